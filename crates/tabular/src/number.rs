//! Numbers as text: parsing, the decimal places a text shows, and writing a value back in the
//! same style, so that decoding and writing reproduce the original text.

use serde::{Deserialize, Serialize};

/// Parses a cell as a finite number; `None` for anything else (`inf` included).
/// `-0` is read as `0`: the sign of zero carries no information in a table, and the
/// quantile transform could not keep it.
pub fn parse_number(text: &str) -> Option<f64> {
    let first = text.as_bytes().first()?;
    // f64::from_str accepts `inf`, `infinity`, `nan`; only digits, signs and dots start a number.
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    let v: f64 = text.parse().ok()?;
    v.is_finite().then_some(if v == 0.0 { 0.0 } else { v })
}

/// The style of one number's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextStyle {
    /// Digits written after the decimal point (`1.50` -> 2, `1e5` -> 0).
    pub fraction_digits: u32,
    /// Decimal places of the value's resolution: fraction digits minus the exponent, at least 0
    /// (`1.5e-3` -> 4, `1.5e3` -> 0).
    pub decimals: u32,
    /// Written with an exponent (`1e300`, `2.5E-3`).
    pub exponent: bool,
}

/// The style of a number's text (call only on text that [`parse_number`] accepts).
pub fn text_style(text: &str) -> TextStyle {
    let (mantissa, exp) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i64>().unwrap_or(0)),
        None => (text, 0),
    };
    let fraction_digits = mantissa.find('.').map_or(0, |i| mantissa.len() - i - 1) as u32;
    let decimals = (i64::from(fraction_digits) - exp).clamp(0, i64::from(u32::MAX)) as u32;
    TextStyle {
        fraction_digits,
        decimals,
        exponent: text.len() != mantissa.len(),
    }
}

/// How a numerical column's values are written, learnt from the texts read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NumberFormat {
    /// The most decimal places any value showed (its resolution, see [`TextStyle::decimals`]);
    /// decoded values are rounded to it.
    pub decimals: u32,
    /// Every value was written with exactly `decimals` fraction digits and no exponent
    /// (`1.50`, `2.25`): write them the same way. Otherwise values are written in their
    /// shortest form by [`float_text`] (`1.5`, `2.25`, `20000`, `1e300`).
    #[serde(default)]
    pub fixed: bool,
    /// Some value was written with an exponent (`1e300`). Informational: values that are not
    /// `fixed` are written by [`float_text`], which uses an exponent outside `[1e-5, 1e16)`.
    #[serde(default)]
    pub exponent: bool,
}

impl NumberFormat {
    /// The format that writes back every text of `texts` (the non-missing cells of a numerical
    /// column) as it was, as far as one format per column can.
    pub fn learn<'a>(texts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut decimals = 0;
        let mut exponent = false;
        let mut fraction: Option<u32> = None;
        let mut same_fraction = true;
        for t in texts {
            let s = text_style(t);
            decimals = decimals.max(s.decimals);
            exponent |= s.exponent;
            same_fraction &= fraction.is_none_or(|f| f == s.fraction_digits);
            fraction = Some(s.fraction_digits);
        }
        let fixed = !exponent && same_fraction && fraction.unwrap_or(0) > 0;
        Self {
            decimals,
            fixed,
            exponent,
        }
    }

    /// The text of `v` in this format.
    pub fn format(&self, v: f64) -> String {
        if self.fixed {
            format!("{v:.*}", self.decimals as usize)
        } else {
            float_text(v)
        }
    }

    /// `v` rounded to [`Self::decimals`] places: the nearest value that a text with that many
    /// decimal places denotes. Exact (equal to parsing the text) because `m / 10^d` with
    /// integers `|m| < 2^53`, `d <= 22` is one correctly rounded division; values outside that
    /// range are returned unchanged (they are integers, or too fine to round in `f64`).
    pub fn round(&self, v: f64) -> f64 {
        const MAX_EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
        if self.decimals > 22 {
            return v;
        }
        let p = 10f64.powi(self.decimals as i32);
        let m = (v * p).round();
        if !m.is_finite() || m.abs() >= MAX_EXACT {
            return v;
        }
        let r = m / p;
        if r == 0.0 { 0.0 } else { r }
    }
}

/// Shortest text that reads back as `v`: no exponent for `1e-5 <= |v| < 1e16` (integers
/// without `.0`), exponent form otherwise; zero is `0`.
pub fn float_text(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".to_string()
    } else if (1e-5..1e16).contains(&a) || !v.is_finite() {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles() {
        assert_eq!(
            text_style("1.50"),
            TextStyle {
                fraction_digits: 2,
                decimals: 2,
                exponent: false
            }
        );
        assert_eq!(text_style("1.5e-3").decimals, 4);
        assert_eq!(text_style("1.5E3").decimals, 0);
        assert!(text_style("1e300").exponent);
    }

    #[test]
    fn parse_rejects_words_and_normalises_zero() {
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("nan"), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number("1e400"), None);
        let z = parse_number("-0.0").unwrap();
        assert!(z == 0.0 && z.is_sign_positive());
        assert_eq!(parse_number("1e300"), Some(1e300));
    }

    #[test]
    fn formats_reproduce_text() {
        for texts in [
            vec!["1.50", "2.25", "-3.00"],
            vec!["1.5", "2.25", "20000"],
            vec!["1e300", "2.5e-7", "0", "-3.25"],
        ] {
            let f = NumberFormat::learn(texts.iter().copied());
            for t in &texts {
                let v = parse_number(t).unwrap();
                // A small relative error, as decoding leaves, is removed by rounding
                // wherever the resolution is representable.
                let noisy = if v.abs() < 1e6 { v * (1.0 + 1e-12) } else { v };
                assert_eq!(f.format(f.round(noisy)), *t, "{f:?}");
            }
        }
    }

    #[test]
    fn rounding_equals_parsing() {
        let f = NumberFormat {
            decimals: 3,
            fixed: false,
            exponent: false,
        };
        for t in ["0.001", "123.457", "-9.999", "0.1"] {
            let v: f64 = t.parse().unwrap();
            assert_eq!(f.round(v + 3e-5).to_bits(), v.to_bits());
        }
    }
}
