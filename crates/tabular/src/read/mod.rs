//! Reading CSV and spreadsheet files into a [`RawTable`]: the header and every cell as text,
//! with missing values recognised, before any typing.
//!
//! Typing happens later, against a [`crate::Schema`] (see [`crate::Schema::apply`]), so that a
//! non-numeric value in a numerical column is reported with its file, row and column.
//!
//! Rules shared by both formats:
//! - cells are trimmed of surrounding whitespace (option [`ReadOptions::trim`]);
//! - a cell is missing when it is empty or equals, ignoring ASCII case, one of
//!   [`DEFAULT_MISSING`] (`NA`, `NaN`, `N/A`, `null`, `?`), or the tokens given in
//!   [`ReadOptions::missing`];
//! - rows whose cells are all empty are skipped (a CSV's blank lines, a sheet's empty rows);
//! - the header row is [`ReadOptions::header_row`] when given, else found by
//!   [`detect_header_row`]; rows above it are ignored.
//!
//! Memory: rows go into the columns as they are read (only the rows before the header is
//! known are held as rows), and each column keeps its cells in one text buffer
//! ([`TextColumn`]): a CSV file costs its bytes, its cells' text and 9 bytes a cell, not an
//! allocation a cell.

pub mod csv;
pub mod encoding;
pub mod excel;
mod text_column;

pub use text_column::TextColumn;

use std::path::Path;

use crate::error::{Result, TabularError};

/// The missing-value tokens recognised by default (compared ignoring ASCII case), besides the
/// empty cell.
pub const DEFAULT_MISSING: [&str; 5] = ["NA", "NaN", "N/A", "null", "?"];

/// How many leading rows [`detect_header_row`] looks at.
pub const HEADER_SCAN_ROWS: usize = 8;

/// Options for [`read_path`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOptions {
    /// CSV field delimiter; `None` sniffs it among `,` `;` tab `|` (see [`csv::sniff_delimiter`]).
    pub delimiter: Option<u8>,
    /// CSV quote character; `None` detects `"` or `'` (see [`csv::sniff_quote`]).
    pub quote: Option<u8>,
    /// Spreadsheet sheet, by name or by 0-based index written as a number; `None`: a sheet
    /// named `Data` if there is one, else the first sheet.
    pub sheet: Option<String>,
    /// 0-based index, among the non-empty rows, of the header row; `None`: detected by
    /// [`detect_header_row`].
    pub header_row: Option<usize>,
    /// Extra missing-value tokens (compared ignoring ASCII case), on top of [`DEFAULT_MISSING`].
    pub missing: Vec<String>,
    /// Trim whitespace around cells (default `true`).
    pub trim: bool,
    /// Text encoding of a CSV file, as an Encoding Standard label (`utf-8`, `utf-16le`,
    /// `windows-1252`, `latin1`, ...); `None` detects it ([`encoding`]).
    pub encoding: Option<String>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            delimiter: None,
            quote: None,
            sheet: None,
            header_row: None,
            missing: Vec::new(),
            trim: true,
            encoding: None,
        }
    }
}

impl ReadOptions {
    /// Whether `cell` (already trimmed if trimming is on) is a missing value.
    pub fn is_missing(&self, cell: &str) -> bool {
        cell.is_empty()
            || DEFAULT_MISSING.iter().any(|t| cell.eq_ignore_ascii_case(t))
            || self.missing.iter().any(|t| cell.eq_ignore_ascii_case(t))
    }

    /// The cell as stored in a [`RawTable`]: trimmed if asked, `None` when missing.
    pub fn cell(&self, text: &str) -> Option<String> {
        self.cell_text(text).map(str::to_string)
    }

    /// [`ReadOptions::cell`], borrowed from `text`.
    pub fn cell_text<'a>(&self, text: &'a str) -> Option<&'a str> {
        let t = if self.trim { text.trim() } else { text };
        (!self.is_missing(t)).then_some(t)
    }
}

/// A table as read from a file: header names and cells as text, before typing.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTable {
    /// Where it came from (the path as given), for error messages.
    pub source: String,
    /// Column names, in file order.
    pub header: Vec<String>,
    /// Cells, column-major: `columns[j].get(i)` is row `i` of column `j`; `None` is missing.
    pub columns: Vec<TextColumn>,
    /// For each data row, its 1-based row number in the file (CSV line, sheet row).
    pub rows: Vec<u64>,
    /// Numbers may be written with a decimal comma (`21,642`): set for `;`-separated files,
    /// where that is the convention.
    pub decimal_comma: bool,
    /// The text encoding the file was read in (`UTF-8`, `UTF-16LE`, `windows-1252`, ...).
    pub encoding: String,
}

impl RawTable {
    /// Number of data rows.
    pub fn n_rows(&self) -> usize {
        self.rows.len()
    }

    /// Parses a cell of this table as a finite number (see [`crate::number::parse_number_in`]).
    pub fn number(&self, text: &str) -> Option<f64> {
        crate::number::parse_number_in(text, self.decimal_comma)
    }

    /// Index of the column named `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Appends a data row read at file row `line`; a row of another width than the header is
    /// an error naming its row.
    fn push_row<'a>(
        &mut self,
        cells: impl ExactSizeIterator<Item = Option<&'a str>>,
        line: u64,
    ) -> Result<()> {
        if cells.len() != self.columns.len() {
            return Err(TabularError::RaggedRow {
                file: self.source.clone(),
                row: line,
                expected: self.columns.len(),
                found: cells.len(),
            });
        }
        for (column, cell) in self.columns.iter_mut().zip(cells) {
            column.push(cell);
        }
        self.rows.push(line);
        Ok(())
    }
}

/// Rows of cells turned into a [`RawTable`] as they are read: the first rows wait until the
/// header row is known (given, or found by [`detect_header_row`] among the first
/// [`HEADER_SCAN_ROWS`]); every later row goes straight into the columns, so that a file is
/// never held as rows of owned cells. Used by both readers.
pub(crate) struct RawBuilder {
    source: String,
    header_row: Option<usize>,
    /// Rows read before the header is known, and their file row numbers.
    pending: Vec<Vec<Option<String>>>,
    pending_lines: Vec<u64>,
    /// The table, once the header is known.
    table: Option<RawTable>,
}

impl RawBuilder {
    /// A builder for the file `source`, its header row given (0-based among the non-empty
    /// rows) or to be found.
    pub(crate) fn new(source: &str, header_row: Option<usize>) -> Self {
        Self {
            source: source.to_string(),
            header_row,
            pending: Vec::new(),
            pending_lines: Vec::new(),
            table: None,
        }
    }

    /// Appends a non-empty row read at file row `line`.
    pub(crate) fn push<'a>(
        &mut self,
        cells: impl ExactSizeIterator<Item = Option<&'a str>>,
        line: u64,
    ) -> Result<()> {
        if let Some(table) = &mut self.table {
            return table.push_row(cells, line);
        }
        self.pending
            .push(cells.map(|c| c.map(str::to_string)).collect());
        self.pending_lines.push(line);
        // Enough rows to decide the header exactly as on the whole file.
        let needed = self.header_row.map_or(HEADER_SCAN_ROWS + 1, |h| h + 1);
        if self.pending.len() >= needed {
            self.start()?;
        }
        Ok(())
    }

    /// The header cell of column `j` if the header row is read already (for error messages).
    pub(crate) fn header_name(&self, j: usize) -> Option<String> {
        if let Some(table) = &self.table {
            return table.header.get(j).cloned();
        }
        let h = self
            .header_row
            .unwrap_or_else(|| detect_header_row(&self.pending));
        self.pending.get(h)?.get(j)?.clone()
    }

    /// Fixes the header from the pending rows and moves the rows below it into the columns.
    fn start(&mut self) -> Result<()> {
        let source = self.source.clone();
        if self.pending.is_empty() {
            return Err(TabularError::EmptyFile { file: source });
        }
        let rows = std::mem::take(&mut self.pending);
        let lines = std::mem::take(&mut self.pending_lines);
        let h = match self.header_row {
            Some(h) if h >= rows.len() => {
                return Err(TabularError::HeaderRowOutOfRange {
                    file: source,
                    row: h as u64 + 1,
                });
            }
            Some(h) => h,
            None => detect_header_row(&rows),
        };
        let header = header_names(&rows[h]);
        check_duplicates(&source, &header)?;
        let mut table = RawTable {
            source,
            columns: vec![TextColumn::default(); header.len()],
            header,
            rows: Vec::new(),
            decimal_comma: false,
            encoding: "UTF-8".to_string(),
        };
        for (row, &line) in rows.iter().zip(&lines).skip(h + 1) {
            table.push_row(row.iter().map(Option::as_deref), line)?;
        }
        self.table = Some(table);
        Ok(())
    }

    /// The table; an error for a file without rows, without the header row asked for, or
    /// without data rows below the header.
    pub(crate) fn finish(mut self) -> Result<RawTable> {
        if self.table.is_none() {
            self.start()?;
        }
        let table = self.table.take().ok_or_else(|| TabularError::EmptyFile {
            file: self.source.clone(),
        })?;
        if table.rows.is_empty() {
            return Err(TabularError::NoDataRows { file: table.source });
        }
        Ok(table)
    }
}

/// Header names from a header row; an empty header cell is named `column_<j>` (1-based).
fn header_names(row: &[Option<String>]) -> Vec<String> {
    row.iter()
        .enumerate()
        .map(|(j, c)| c.clone().unwrap_or_else(|| format!("column_{}", j + 1)))
        .collect()
}

fn check_duplicates(source: &str, header: &[String]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for h in header {
        if !seen.insert(h.as_str()) {
            return Err(TabularError::DuplicateColumn {
                file: source.to_string(),
                column: h.clone(),
            });
        }
    }
    Ok(())
}

/// Picks the header row among the first rows: the first row, unless it looks like a row of
/// column codes sitting above a row of names, as in the UCI Credit Default spreadsheet, whose
/// first row reads `(empty), X1, ..., X23, Y` and whose second row holds the names `ID`,
/// `LIMIT_BAL`, ... .
///
/// Rule: while the current header candidate `h` is a *code row* (every non-empty cell is one
/// letter optionally followed by digits, like `X1` or `Y`, and at least two cells carry
/// digits) and row `h + 1` is a *name row* (every
/// cell present, none a number, all distinct) followed by at least one row, move to `h + 1`.
/// Only the first [`HEADER_SCAN_ROWS`] rows are looked at. A table whose real header is itself
/// made of such codes and whose first data row is all text is misread by this rule: give
/// [`ReadOptions::header_row`] for it.
pub fn detect_header_row(rows: &[Vec<Option<String>>]) -> usize {
    let mut h = 0;
    while h + 2 < rows.len()
        && h + 1 < HEADER_SCAN_ROWS
        && is_code_row(&rows[h])
        && is_name_row(&rows[h + 1])
    {
        h += 1;
    }
    h
}

fn is_code(cell: &str) -> bool {
    let mut chars = cell.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_digit())
}

fn is_code_row(row: &[Option<String>]) -> bool {
    let cells: Vec<&str> = row.iter().flatten().map(String::as_str).collect();
    let with_digits = cells.iter().filter(|c| c.len() > 1).count();
    with_digits >= 2 && cells.iter().all(|c| is_code(c))
}

fn is_name_row(row: &[Option<String>]) -> bool {
    let mut seen = std::collections::HashSet::new();
    row.iter().all(|c| match c {
        Some(s) => crate::number::parse_number(s).is_none() && seen.insert(s.as_str()),
        None => false,
    })
}

/// The file's name for messages.
pub(crate) fn display_path(path: &Path) -> String {
    path.display().to_string()
}

/// Reads a CSV or spreadsheet file (chosen by extension: `.xls`, `.xlsx`, `.xlsm`, `.xlsb`,
/// `.ods` are spreadsheets, anything else is CSV-like text).
pub fn read_path(path: impl AsRef<Path>, options: &ReadOptions) -> Result<RawTable> {
    let path = path.as_ref();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("xls" | "xlsx" | "xlsm" | "xlsb" | "ods") => excel::read_excel(path, options),
        _ => csv::read_csv(path, options),
    }
}

impl RawTable {
    /// The raw form of an in-memory table (numbers as their shortest text), to infer a schema
    /// for it; rows are numbered from 2 as in a CSV file with one header line.
    pub fn from_table(source: &str, table: &crate::Table) -> Self {
        use crate::ColumnData;
        let columns = table
            .columns
            .iter()
            .map(|c| match &c.data {
                ColumnData::Numerical(v) => {
                    v.iter().map(|x| x.map(crate::number::float_text)).collect()
                }
                ColumnData::Categorical(v) => v.iter().collect(),
            })
            .collect();
        Self {
            source: source.to_string(),
            header: table.columns.iter().map(|c| c.name.clone()).collect(),
            columns,
            rows: (0..table.n_rows() as u64).map(|i| i + 2).collect(),
            decimal_comma: false,
            encoding: "UTF-8".to_string(),
        }
    }
}
