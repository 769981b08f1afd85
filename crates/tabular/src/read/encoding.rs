//! Text encodings of CSV files: what a file's bytes mean before the CSV parser sees them.
//!
//! Spreadsheet programs and older systems still write CSV in UTF-16 (Excel's "Unicode text")
//! and in Windows-1252 / Latin-1. The rule, in the order applied (as pandas' `encoding=` and
//! Python's `utf-8-sig` codec do, with detection added):
//! 1. a byte-order mark names the encoding (UTF-8, UTF-16LE, UTF-16BE) and is removed;
//! 2. a file with NUL bytes is UTF-16 or UTF-32 without a mark, or not text: an error that
//!    says which it looks like (NUL is valid UTF-8, but no table holds it);
//! 3. otherwise valid UTF-8 is UTF-8;
//! 4. otherwise the `chardetng` detector guesses: Windows-1252 (which covers Latin-1, ISO
//!    8859-1, as the WHATWG Encoding Standard maps those labels) is decoded; any other guess
//!    is an error that names the first field that is not UTF-8 and the guess, so that a
//!    Shift_JIS or GBK file is never read as mojibake.
//!
//! [`ReadOptions::encoding`](crate::ReadOptions::encoding) skips detection: any label of the
//! Encoding Standard (`utf-16le`, `latin1`, `shift_jis`, ...) is decoded as given.
//! Decoding is done by `encoding_rs`, the maintained implementation of that standard.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

use crate::error::{Result, TabularError};

/// Bytes decoded to UTF-8, and the name of the encoding they were read in.
pub struct Decoded<'a> {
    /// UTF-8 text (possibly invalid UTF-8 when the encoding is UTF-8: the CSV reader then
    /// reports the first bad field with its row and column).
    pub bytes: Cow<'a, [u8]>,
    /// The encoding's name (`UTF-8`, `UTF-16LE`, `windows-1252`, ...).
    pub encoding: &'static str,
    /// For UTF-8 text that is not valid: the encoding the detector guessed, for the error.
    pub guess: Option<&'static str>,
}

/// Decodes `bytes` to UTF-8 by the rule of the module documentation; `label` forces an
/// encoding. `file` names the file in errors.
pub fn decode<'a>(file: &str, bytes: &'a [u8], label: Option<&str>) -> Result<Decoded<'a>> {
    if let Some(label) = label {
        let enc = Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
            TabularError::InvalidArgument {
                message: format!(
                    "encoding `{label}` is not known (try utf-8, utf-16le, utf-16be, windows-1252, latin1)"
                ),
            }
        })?;
        return decode_as(file, bytes, enc);
    }
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        return decode_as(file, &bytes[bom..], enc);
    }
    if let Some(guess) = nul_guess(bytes) {
        return Err(TabularError::Encoding {
            file: file.to_string(),
            message: format!(
                "not UTF-8: it looks like {guess}; save it as UTF-8 (or pass --encoding)"
            ),
        });
    }
    if std::str::from_utf8(bytes).is_ok() {
        return Ok(Decoded {
            bytes: Cow::Borrowed(bytes),
            encoding: UTF_8.name(),
            guess: None,
        });
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
    detector.feed(bytes, true);
    let guess = detector.guess(None, chardetng::Utf8Detection::Allow);
    if guess == WINDOWS_1252 {
        return decode_as(file, bytes, WINDOWS_1252);
    }
    // Another guess (or mostly UTF-8 with a bad sequence): read as UTF-8, so that the reader
    // names the first bad field, with the guess as the hint.
    Ok(Decoded {
        bytes: Cow::Borrowed(bytes),
        encoding: UTF_8.name(),
        guess: (guess != UTF_8).then(|| guess.name()),
    })
}

/// Decodes all of `bytes` as `enc`, failing on malformed input.
fn decode_as<'a>(file: &str, bytes: &'a [u8], enc: &'static Encoding) -> Result<Decoded<'a>> {
    if enc == UTF_8 {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        return Ok(Decoded {
            bytes: Cow::Borrowed(bytes),
            encoding: UTF_8.name(),
            guess: None,
        });
    }
    let text = enc
        .decode_without_bom_handling_and_without_replacement(bytes)
        .ok_or_else(|| TabularError::Encoding {
            file: file.to_string(),
            message: format!("not valid {}", enc.name()),
        })?;
    Ok(Decoded {
        bytes: Cow::Owned(text.into_owned().into_bytes()),
        encoding: enc.name(),
        guess: None,
    })
}

/// What a text with NUL bytes and no byte-order mark looks like, from where the NULs sit
/// in its first bytes.
fn nul_guess(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(4096)];
    let nul_at = |parity: usize| {
        head.iter()
            .enumerate()
            .filter(|&(i, &b)| b == 0 && i % 2 == parity)
            .count()
    };
    let (even, odd) = (nul_at(0), nul_at(1));
    if even + odd == 0 {
        return None;
    }
    let half = head.len() / 2;
    Some(if odd * 3 > half && even * 10 < odd {
        "UTF-16LE without a byte-order mark"
    } else if even * 3 > half && odd * 10 < even {
        "UTF-16BE without a byte-order mark"
    } else if even > half / 2 && odd > half / 2 {
        "UTF-32 or a binary file"
    } else {
        "a binary file (it holds NUL bytes)"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le_with_bom(text: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn boms_utf16_and_latin1_decode() {
        let d = decode("f", "\u{feff}a,b\n1,2\n".as_bytes(), None).unwrap();
        assert_eq!(&*d.bytes, b"a,b\n1,2\n");
        let bytes = utf16le_with_bom("name\nZ\u{fc}rich\n");
        let d = decode("f", &bytes, None).unwrap();
        assert_eq!(
            std::str::from_utf8(&d.bytes).unwrap(),
            "name\nZ\u{fc}rich\n"
        );
        assert_eq!(d.encoding, "UTF-16LE");
        let latin1 =
            b"ville,pays\nS\xe3o Paulo,Br\xe9sil\nZ\xfcrich,Schweiz\nK\xf6ln,Deutschland\n";
        let d = decode("f", latin1, None).unwrap();
        assert_eq!(d.encoding, "windows-1252");
        assert!(
            std::str::from_utf8(&d.bytes)
                .unwrap()
                .contains("Z\u{fc}rich")
        );
    }

    #[test]
    fn utf16_without_bom_and_unknown_labels_are_errors() {
        let mut v = Vec::new();
        for u in "a,b\n1,2\n".encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        let e = decode("t.csv", &v, None).err().unwrap().to_string();
        assert!(e.contains("t.csv") && e.contains("UTF-16LE"), "{e}");
        let e = decode("t.csv", b"a", Some("klingon"))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("klingon"), "{e}");
        let d = decode("t.csv", b"caf\xe9", Some("latin1")).unwrap();
        assert_eq!(std::str::from_utf8(&d.bytes).unwrap(), "caf\u{e9}");
    }
}
