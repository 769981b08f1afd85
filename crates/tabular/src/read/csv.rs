//! CSV (and other delimiter-separated text) reading with the `csv` crate: delimiter and quote
//! sniffing, UTF-8 checking per field, 1-based line numbers for errors.

use std::path::Path;

use crate::error::{Result, TabularError};
use crate::read::{RawBuilder, RawTable, ReadOptions, display_path};

/// The delimiters [`sniff_delimiter`] chooses among, in order of preference on ties.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// How many lines the sniffers look at.
const SNIFF_LINES: usize = 32;

/// Reads a CSV file.
pub fn read_csv(path: &Path, options: &ReadOptions) -> Result<RawTable> {
    let file = display_path(path);
    let bytes = std::fs::read(path).map_err(|source| TabularError::Io {
        file: file.clone(),
        source,
    })?;
    read_csv_bytes(&file, &bytes, options)
}

/// Reads CSV text held in memory; `source` names it in error messages.
pub fn read_csv_bytes(source: &str, bytes: &[u8], options: &ReadOptions) -> Result<RawTable> {
    let decoded = crate::read::encoding::decode(source, bytes, options.encoding.as_deref())?;
    let bytes: &[u8] = &decoded.bytes;
    let sample = &bytes[..bytes.len().min(1 << 16)];
    let delimiter = options.delimiter.unwrap_or_else(|| sniff_delimiter(sample));
    let quote = options
        .quote
        .unwrap_or_else(|| sniff_quote(sample, delimiter));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .quote(quote)
        .from_reader(bytes);
    let mut builder = RawBuilder::new(source, options.header_row);
    let mut record = csv::ByteRecord::new();
    // The csv crate's line counter skips blank lines; count newlines from byte offsets instead.
    let mut counter = LineCounter::default();
    loop {
        let start = reader.position().byte();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let at = e.position().map_or(start, |p| p.byte());
                return Err(csv_error(source, counter.line_at(bytes, at), &e));
            }
        }
        let line = counter.line_at(bytes, record.position().map_or(start, |p| p.byte()));
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        let mut cells = Vec::with_capacity(record.len());
        for (j, field) in record.iter().enumerate() {
            let Ok(text) = std::str::from_utf8(field) else {
                let mut e = utf8_error(source, line, j, &builder);
                if let (TabularError::NonUtf8 { hint, .. }, Some(g)) = (&mut e, decoded.guess) {
                    *hint = format!(
                        "; the file looks like {g}: convert it to UTF-8 (iconv -f {g} -t UTF-8) or pass --encoding {g}"
                    );
                }
                return Err(e);
            };
            cells.push(options.cell_text(text));
        }
        builder.push(cells.into_iter(), line)?;
    }
    let mut raw = builder.finish()?;
    raw.decimal_comma = delimiter == b';';
    raw.encoding = decoded.encoding.to_string();
    Ok(raw)
}

fn csv_error(source: &str, row: u64, e: &csv::Error) -> TabularError {
    TabularError::Csv {
        file: source.to_string(),
        row,
        message: e.to_string(),
    }
}

/// 1-based line numbers of byte offsets, for offsets that never decrease.
#[derive(Default)]
struct LineCounter {
    byte: usize,
    newlines: u64,
}

impl LineCounter {
    /// The line of the first byte at or after `byte` that is not a line break (a record's
    /// position includes the blank lines before it).
    fn line_at(&mut self, bytes: &[u8], byte: u64) -> u64 {
        let mut byte = (byte as usize).min(bytes.len()).max(self.byte);
        while byte < bytes.len() && matches!(bytes[byte], b'\n' | b'\r') {
            byte += 1;
        }
        self.newlines += bytes[self.byte..byte]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.byte = byte;
        self.newlines + 1
    }
}

/// A UTF-8 error at field `j` of line `line`, naming the column from the header if the header
/// row has been read already.
fn utf8_error(source: &str, line: u64, j: usize, builder: &RawBuilder) -> TabularError {
    let column = builder
        .header_name(j)
        .unwrap_or_else(|| format!("column {}", j + 1));
    TabularError::NonUtf8 {
        file: source.to_string(),
        row: line,
        column,
        hint: String::new(),
    }
}

/// Counts of `delimiter` outside `"` quotes on each of the first lines of `sample`.
fn counts_per_line(sample: &[u8], delimiter: u8) -> Vec<usize> {
    let mut counts = vec![0usize];
    let mut in_quotes = false;
    for &b in sample {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                if counts.len() >= SNIFF_LINES {
                    break;
                }
                counts.push(0);
            }
            _ if b == delimiter && !in_quotes => *counts.last_mut().unwrap_or(&mut 0) += 1,
            _ => {}
        }
    }
    // A final partial line (sample cut short) or a trailing newline would bias the counts.
    if counts.len() > 1 {
        counts.pop();
    }
    counts
}

/// Sniffs the delimiter among [`DELIMITERS`]: the one that occurs the same, non-zero number of
/// times on every sampled line, the most often; failing that the one with the most occurrences
/// on the first line; failing that `,`.
pub fn sniff_delimiter(sample: &[u8]) -> u8 {
    let mut best: Option<(u8, usize)> = None;
    for &d in &DELIMITERS {
        let counts = counts_per_line(sample, d);
        let first = counts.first().copied().unwrap_or(0);
        if first > 0 && counts.iter().all(|&c| c == first) && best.is_none_or(|(_, c)| first > c) {
            best = Some((d, first));
        }
    }
    if let Some((d, _)) = best {
        return d;
    }
    DELIMITERS
        .iter()
        .map(|&d| (d, counts_per_line(sample, d).first().copied().unwrap_or(0)))
        .filter(|&(_, c)| c > 0)
        .max_by_key(|&(d, c)| {
            (
                c,
                std::cmp::Reverse(DELIMITERS.iter().position(|&x| x == d)),
            )
        })
        .map_or(b',', |(d, _)| d)
}

/// Sniffs the quote character: `'` when the sample has no `"` but has a line where `'` opens
/// a field (at the line start or right after a delimiter) and `'` closes one (right before a
/// delimiter or at the line end); `"` otherwise.
pub fn sniff_quote(sample: &[u8], delimiter: u8) -> u8 {
    if sample.contains(&b'"') {
        return b'"';
    }
    let d = delimiter as char;
    let text = String::from_utf8_lossy(sample);
    let quoted = text.lines().take(SNIFF_LINES).any(|l| {
        let l = l.trim_end_matches('\r');
        let opens = l.starts_with('\'') || l.contains(&format!("{d}'"));
        let closes = l.ends_with('\'') || l.contains(&format!("'{d}"));
        opens && closes && l.matches('\'').count() >= 2
    });
    if quoted { b'\'' } else { b'"' }
}
