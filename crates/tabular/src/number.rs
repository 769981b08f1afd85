//! Numbers as text: parsing, the decimal places a text shows, and writing a value back in the
//! same style, so that decoding and writing reproduce the original text.

use serde::{Deserialize, Serialize};

/// Parses a cell as a finite number; `None` for anything else (`inf` included).
/// `-0` is read as `0`: the sign of zero carries no information in a table, and the
/// quantile transform could not keep it.
pub fn parse_number(text: &str) -> Option<f64> {
    parse_plain(text)
}

/// Parses a cell as a finite number, reading `,` as the decimal separator when
/// `decimal_comma` is set (`21,642` is 21.642; a text with both `,` and `.` is no number).
pub fn parse_number_in(text: &str, decimal_comma: bool) -> Option<f64> {
    if decimal_comma && text.contains(',') {
        if text.contains('.') || text.matches(',').count() > 1 {
            return None;
        }
        return parse_plain(&text.replace(',', "."));
    }
    parse_plain(text)
}

/// The text with a decimal comma written as a decimal point (for [`text_style`]).
pub fn normalise_decimal(text: &str, decimal_comma: bool) -> std::borrow::Cow<'_, str> {
    if decimal_comma && text.contains(',') {
        std::borrow::Cow::Owned(text.replace(',', "."))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Whether a text that reads as a number is better kept as text: a leading zero before a
/// digit (`08585`, `-007`: zip codes, fixed-width codes) or an integer too large for `f64`
/// to hold exactly (`|v| >= 2^53`, account numbers), whose neighbours would collapse.
pub fn is_code_like(text: &str) -> bool {
    let digits = text.trim_start_matches(['+', '-']);
    let b = digits.as_bytes();
    if b.len() >= 2 && b[0] == b'0' && b[1].is_ascii_digit() {
        return true;
    }
    b.len() >= 16
        && b.iter().all(u8::is_ascii_digit)
        && parse_plain(text).is_some_and(|v| v.abs() >= 9_007_199_254_740_992.0)
}

/// Whether a text is a number that is not finite: `inf`, `-Infinity`, or a literal that
/// overflows `f64` such as `1e309`.
pub fn is_non_finite_number(text: &str) -> bool {
    let t = text.trim_start_matches(['+', '-']);
    if t.eq_ignore_ascii_case("inf") || t.eq_ignore_ascii_case("infinity") {
        return true;
    }
    let first = text.as_bytes().first();
    first.is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.'))
        && text.parse::<f64>().is_ok_and(f64::is_infinite)
}

fn parse_plain(text: &str) -> Option<f64> {
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
    /// Values were written with a decimal comma (`21,642` in a `;`-separated file): write
    /// them the same way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub decimal_comma: bool,
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
            decimal_comma: false,
        }
    }

    /// [`Self::learn`] on texts that may use a decimal comma.
    pub fn learn_in<'a>(texts: impl IntoIterator<Item = &'a str>, decimal_comma: bool) -> Self {
        let mut comma_seen = false;
        let normalised: Vec<String> = texts
            .into_iter()
            .map(|t| {
                comma_seen |= decimal_comma && t.contains(',');
                normalise_decimal(t, decimal_comma).into_owned()
            })
            .collect();
        let mut f = Self::learn(normalised.iter().map(String::as_str));
        f.decimal_comma = comma_seen;
        f
    }

    /// The text of `v` in this format.
    pub fn format(&self, v: f64) -> String {
        let text = if self.fixed {
            format!("{v:.*}", self.decimals as usize)
        } else {
            float_text(v)
        };
        if self.decimal_comma {
            text.replace('.', ",")
        } else {
            text
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
    fn decimal_commas_codes_and_non_finite_texts() {
        assert_eq!(parse_number_in("21,642", true), Some(21.642));
        assert_eq!(parse_number_in("21,642", false), None);
        assert_eq!(parse_number_in("1.234,5", true), None);
        assert_eq!(parse_number_in("-3", true), Some(-3.0));
        let f = NumberFormat::learn_in(["21,642", "1,5"], true);
        assert!(f.decimal_comma && f.decimals == 3);
        assert_eq!(f.format(21.642), "21,642");
        for code in ["08585", "-007", "1152921504606846976"] {
            assert!(is_code_like(code), "{code}");
        }
        for number in ["0", "0.5", "-0", "8585", "9007199254740991"] {
            assert!(!is_code_like(number), "{number}");
        }
        for t in ["inf", "-Infinity", "1e309", "-1E400"] {
            assert!(is_non_finite_number(t), "{t}");
        }
        for t in ["1e300", "info", "abc", ""] {
            assert!(!is_non_finite_number(t), "{t}");
        }
    }

    #[test]
    fn rounding_equals_parsing() {
        let f = NumberFormat {
            decimals: 3,
            ..NumberFormat::default()
        };
        for t in ["0.001", "123.457", "-9.999", "0.1"] {
            let v: f64 = t.parse().unwrap();
            assert_eq!(f.round(v + 3e-5).to_bits(), v.to_bits());
        }
    }
}
