//! Identifier columns: their shape, learnt from the real values, and fresh values in that
//! shape for synthetic rows. No real identifier is ever written to a synthetic table, and the
//! model directory stores none: only the shape (a prefix, a width, the largest number seen,
//! the character class of each position).
//!
//! Shapes, tried in order on the distinct values of the column:
//! - [`IdShape::Integer`]: integers (no leading zeros). Fresh values continue after the
//!   largest real one (`max + 1, max + 2, ...`), so none equals a real identifier.
//! - [`IdShape::Numbered`]: a constant prefix and suffix around a number (`C13126`,
//!   `INV-000123-EU`). Fresh values continue after the largest real number, zero-padded to
//!   the real width when the real values were all of one width.
//! - [`IdShape::Pattern`]: anything else. Each position of the most common length keeps its
//!   character when every value has the same one there, else draws from the smallest class
//!   holding every character seen there (digits, hexadecimal, letters, alphanumerics).
//!   Values are a seeded permutation of the pattern's space (an affine map modulo its size),
//!   so they are unique as long as the space is larger than the number of rows; they are not
//!   checked against the real ones (which are not kept), and a space much larger than the
//!   table (UUIDs, hashes) makes a coincidence negligible.

use serde::{Deserialize, Serialize};

/// The shape of an identifier column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum IdShape {
    /// Integers; fresh values are `start, start + 1, ...`.
    Integer {
        /// One more than the largest real value.
        start: i64,
    },
    /// `prefix` + a number + `suffix`; fresh numbers are `start, start + 1, ...`.
    Numbered {
        /// Text before the number.
        prefix: String,
        /// Text after the number.
        suffix: String,
        /// Zero-padded width of the number (0: no padding).
        width: usize,
        /// One more than the largest real number.
        start: u64,
    },
    /// One character class (or a literal character) per position.
    Pattern {
        /// The positions.
        classes: Vec<CharClass>,
    },
}

/// The characters one position of a [`IdShape::Pattern`] draws from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CharClass {
    /// Always this character.
    Literal(char),
    /// `0-9`.
    Digit,
    /// `0-9a-f`.
    HexLower,
    /// `0-9A-F`.
    HexUpper,
    /// `a-z`.
    Lower,
    /// `A-Z`.
    Upper,
    /// `0-9A-Za-z`.
    Alnum,
}

const DIGITS: &str = "0123456789";
const HEX_LOWER: &str = "0123456789abcdef";
const HEX_UPPER: &str = "0123456789ABCDEF";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl CharClass {
    fn alphabet(&self) -> &'static str {
        match self {
            CharClass::Literal(_) => "",
            CharClass::Digit => DIGITS,
            CharClass::HexLower => HEX_LOWER,
            CharClass::HexUpper => HEX_UPPER,
            CharClass::Lower => LOWER,
            CharClass::Upper => UPPER,
            CharClass::Alnum => ALNUM,
        }
    }

    /// The smallest class holding every character of `seen` (more than one distinct).
    fn covering(seen: &std::collections::BTreeSet<char>) -> Self {
        [
            CharClass::Digit,
            CharClass::HexLower,
            CharClass::HexUpper,
            CharClass::Lower,
            CharClass::Upper,
        ]
        .into_iter()
        .find(|c| seen.iter().all(|&ch| c.alphabet().contains(ch)))
        .unwrap_or(CharClass::Alnum)
    }
}

impl IdShape {
    /// The shape of `values` (distinct, non-empty texts); `None` when there are none.
    pub fn learn(values: &[&str]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        if let Some(max) = values
            .iter()
            .map(|v| plain_integer(v))
            .collect::<Option<Vec<i64>>>()
            .and_then(|v| v.into_iter().max())
        {
            return Some(IdShape::Integer {
                start: max.saturating_add(1),
            });
        }
        numbered(values).or_else(|| Some(pattern(values)))
    }

    /// The `k`-th fresh value (0-based) for the draw seeded by `seed`.
    pub fn value(&self, k: u64, seed: u64) -> String {
        match self {
            IdShape::Integer { start } => start.saturating_add(k as i64).to_string(),
            IdShape::Numbered {
                prefix,
                suffix,
                width,
                start,
            } => format!(
                "{prefix}{:0w$}{suffix}",
                start.saturating_add(k),
                w = *width
            ),
            IdShape::Pattern { classes } => pattern_value(classes, k, seed),
        }
    }
}

/// An integer written without sign tricks or leading zeros.
fn plain_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let ok = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() == 1 || !digits.starts_with('0'));
    ok.then(|| text.parse().ok()).flatten()
}

/// The `Numbered` shape: a common prefix and suffix (not ending / starting in a digit) around
/// a run of digits in every value.
fn numbered(values: &[&str]) -> Option<IdShape> {
    let first = values[0];
    let mut prefix = first.len();
    let mut suffix = first.len();
    for v in &values[1..] {
        prefix = common_prefix(&first[..prefix], v);
        suffix = common_suffix(&first[first.len() - suffix..], v);
    }
    let mut pre = &first[..prefix];
    pre = pre.trim_end_matches(|c: char| c.is_ascii_digit());
    let mut suf = &first[first.len() - suffix.min(first.len() - pre.len())..];
    suf = suf.trim_start_matches(|c: char| c.is_ascii_digit());
    let mut widths = std::collections::BTreeSet::new();
    let mut max = 0u64;
    let mut padded = false;
    for v in values {
        let mid = v.get(pre.len()..v.len().checked_sub(suf.len())?)?;
        if mid.is_empty() || mid.len() > 18 || !mid.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        padded |= mid.len() > 1 && mid.starts_with('0');
        widths.insert(mid.len());
        max = max.max(mid.parse().ok()?);
    }
    let width = if widths.len() == 1 || padded {
        widths.into_iter().next_back().unwrap_or(0)
    } else {
        0
    };
    Some(IdShape::Numbered {
        prefix: pre.to_string(),
        suffix: suf.to_string(),
        width,
        start: max + 1,
    })
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i)
        .min(b.len())
}

fn common_suffix(a: &str, b: &str) -> usize {
    let n = a
        .chars()
        .rev()
        .zip(b.chars().rev())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum::<usize>();
    n.min(a.len()).min(b.len())
}

/// The `Pattern` shape of the values of the most common length.
fn pattern(values: &[&str]) -> IdShape {
    let mut lengths = std::collections::BTreeMap::<usize, usize>::new();
    for v in values {
        *lengths.entry(v.chars().count()).or_default() += 1;
    }
    let len = lengths
        .iter()
        .max_by_key(|&(l, n)| (*n, *l))
        .map_or(0, |(l, _)| *l);
    let mut seen = vec![std::collections::BTreeSet::new(); len];
    for v in values.iter().filter(|v| v.chars().count() == len) {
        for (set, ch) in seen.iter_mut().zip(v.chars()) {
            set.insert(ch);
        }
    }
    let classes = seen
        .iter()
        .map(|s| match s.len() {
            1 => CharClass::Literal(*s.iter().next().expect("one character")),
            _ => CharClass::covering(s),
        })
        .collect();
    IdShape::Pattern { classes }
}

/// SplitMix64: a fast, well-mixed 64-bit hash (for the pattern's draws).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The `k`-th value of a pattern: positions from the right, while their alphabets' product
/// stays below 2^62, spell `(c k + o) mod S` in mixed radix (a bijection of `0..S` for `c`
/// coprime to `S`, so values are unique for `k < S`); further positions draw from a hash.
fn pattern_value(classes: &[CharClass], k: u64, seed: u64) -> String {
    let mut space: u128 = 1;
    let mut permuted = vec![false; classes.len()];
    for (i, c) in classes.iter().enumerate().rev() {
        let a = c.alphabet().len() as u128;
        if a > 0 && space * a < (1u128 << 62) {
            space *= a;
            permuted[i] = true;
        }
    }
    let mut mult = u128::from(mix(seed) | 1) % space.max(1);
    while space > 1 && gcd(mult.max(1), space) != 1 {
        mult += 1;
    }
    let offset = u128::from(mix(seed ^ 0x5EED)) % space.max(1);
    let mut index = (mult.max(1) * u128::from(k) + offset) % space.max(1);
    let mut out: Vec<char> = Vec::with_capacity(classes.len());
    for (i, c) in classes.iter().enumerate().rev() {
        let alphabet: Vec<char> = c.alphabet().chars().collect();
        let ch = match c {
            CharClass::Literal(ch) => *ch,
            _ if permuted[i] => {
                let a = alphabet.len() as u128;
                let ch = alphabet[(index % a) as usize];
                index /= a;
                ch
            }
            _ => {
                alphabet
                    [(mix(seed ^ k.rotate_left(17) ^ i as u64) % alphabet.len() as u64) as usize]
            }
        };
        out.push(ch);
    }
    out.into_iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn fresh(shape: &IdShape, n: u64) -> Vec<String> {
        (0..n).map(|k| shape.value(k, 7)).collect()
    }

    #[test]
    fn integers_continue_after_the_largest() {
        let s = IdShape::learn(&["3", "1", "2"]).unwrap();
        assert_eq!(s, IdShape::Integer { start: 4 });
        assert_eq!(fresh(&s, 2), ["4", "5"]);
    }

    #[test]
    fn numbered_ids_keep_prefix_and_width() {
        let s = IdShape::learn(&["C13126", "C00007", "C20001"]).unwrap();
        assert_eq!(
            s,
            IdShape::Numbered {
                prefix: "C".into(),
                suffix: String::new(),
                width: 5,
                start: 20002
            }
        );
        assert_eq!(s.value(0, 0), "C20002");
        let s = IdShape::learn(&["INV-7-EU", "INV-12-EU", "INV-130-EU"]).unwrap();
        assert_eq!(fresh(&s, 1), ["INV-131-EU"]);
    }

    #[test]
    fn patterns_are_unique_and_keep_classes() {
        let real = [
            "3f2a9c1e-aa01",
            "0b7d44e2-ab02",
            "9c0e1f3a-ac03",
            "77aa0b1c-ad04",
            "c0ffee00-ae05",
        ];
        let s = IdShape::learn(&real).unwrap();
        let values = fresh(&s, 5000);
        let set: HashSet<&String> = values.iter().collect();
        assert_eq!(set.len(), values.len(), "unique");
        for v in &values {
            assert_eq!(v.len(), 13);
            assert_eq!(&v[8..10], "-a", "literal positions kept: {v}");
            assert!(
                v[..8]
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            );
        }
        assert_ne!(s.value(0, 1), s.value(0, 2), "the seed moves the draw");
    }
}
