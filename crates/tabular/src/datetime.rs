//! Dates, datetimes and times: detected from their text, modelled as numbers, written back in
//! the format they were read in.
//!
//! A column is a datetime column when every non-missing cell parses with one of
//! [`CANDIDATES`] and is written back in it as the same text (tried in order; the first that
//! reads every cell wins, so an ambiguous `03/04/2024` column is read month-first, as pandas
//! does by default; loose matches such as `1.2.3` or an unpadded `2024-1-5` stay text). Its values become
//! seconds: since 1970-01-01 00:00 UTC for dates and datetimes (a zoned value is converted to
//! UTC), since midnight for times. Decoded values are rounded to the format's resolution (a
//! day, a minute, a second or its fraction) and written in the column's format; zoned values
//! are written in the offset most of the training values carried.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

/// What a datetime column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatetimeKind {
    /// Calendar dates (`2024-01-31`).
    Date,
    /// Dates with a time of day, no zone (`2024-01-31T10:00:00`).
    Datetime,
    /// Dates with a time of day and a UTC offset (`2024-01-31T10:00:00+01:00`, `...Z`).
    Zoned,
    /// Times of day (`10:00`).
    Time,
}

/// The formats tried, in order: `(kind, chrono pattern)`. `%.f` reads an optional fraction of
/// a second; a final `Z` is a literal UTC marker.
pub const CANDIDATES: [(DatetimeKind, &str); 22] = [
    (DatetimeKind::Date, "%Y-%m-%d"),
    (DatetimeKind::Date, "%Y/%m/%d"),
    (DatetimeKind::Date, "%m/%d/%Y"),
    (DatetimeKind::Date, "%d/%m/%Y"),
    (DatetimeKind::Date, "%d.%m.%Y"),
    (DatetimeKind::Datetime, "%Y-%m-%dT%H:%M:%S%.f"),
    (DatetimeKind::Datetime, "%Y-%m-%d %H:%M:%S%.f"),
    (DatetimeKind::Datetime, "%Y-%m-%dT%H:%M"),
    (DatetimeKind::Datetime, "%Y-%m-%d %H:%M"),
    (DatetimeKind::Datetime, "%Y/%m/%d %H:%M:%S%.f"),
    (DatetimeKind::Datetime, "%m/%d/%Y %H:%M:%S%.f"),
    (DatetimeKind::Datetime, "%d/%m/%Y %H:%M:%S%.f"),
    (DatetimeKind::Datetime, "%m/%d/%Y %H:%M"),
    (DatetimeKind::Datetime, "%d/%m/%Y %H:%M"),
    (DatetimeKind::Zoned, "%Y-%m-%dT%H:%M:%S%.fZ"),
    (DatetimeKind::Zoned, "%Y-%m-%d %H:%M:%S%.fZ"),
    (DatetimeKind::Zoned, "%Y-%m-%dT%H:%M:%S%.f%:z"),
    (DatetimeKind::Zoned, "%Y-%m-%d %H:%M:%S%.f%:z"),
    (DatetimeKind::Zoned, "%Y-%m-%dT%H:%M:%S%.f%z"),
    (DatetimeKind::Zoned, "%Y-%m-%d %H:%M:%S%.f%z"),
    (DatetimeKind::Time, "%H:%M:%S%.f"),
    (DatetimeKind::Time, "%H:%M"),
];

const DAY: f64 = 86_400.0;

/// The format of a datetime column, learnt from its texts and stored in the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatetimeFormat {
    /// What the values are.
    pub kind: DatetimeKind,
    /// The chrono pattern they were read with.
    pub pattern: String,
    /// Digits of the fraction of a second written (0: none).
    #[serde(default)]
    pub fraction_digits: u32,
    /// Offset east of UTC, in seconds, zoned values are written in.
    #[serde(default)]
    pub offset_seconds: i32,
}

impl DatetimeFormat {
    /// The format that reads every text of `texts`, if one of [`CANDIDATES`] does.
    pub fn detect<'a>(texts: impl IntoIterator<Item = &'a str> + Clone) -> Option<Self> {
        let first = texts.clone().into_iter().next()?;
        // Cheap filter: a datetime has a digit and one of `-/.:`.
        if !first.bytes().any(|b| b.is_ascii_digit()) || !first.contains(['-', '/', '.', ':']) {
            return None;
        }
        'candidates: for (kind, pattern) in CANDIDATES {
            let mut f = Self {
                kind,
                pattern: pattern.to_string(),
                fraction_digits: 0,
                offset_seconds: 0,
            };
            let mut offsets = std::collections::HashMap::<i32, usize>::new();
            for t in texts.clone() {
                let Some((_, offset)) = f.parse_with_offset(t) else {
                    continue 'candidates;
                };
                *offsets.entry(offset).or_default() += 1;
                f.fraction_digits = f.fraction_digits.max(fraction_digits(t, kind));
            }
            f.offset_seconds = offsets
                .into_iter()
                .max_by_key(|&(o, n)| (n, std::cmp::Reverse(o)))
                .map_or(0, |(o, _)| o);
            // Written back as read: a loose match (`1.2.3` as the date 01.02.0003, `2024-1-5`
            // unpadded) is no datetime column. Zoned values in another offset than the one
            // they are written in need only parse.
            let exact = texts.clone().into_iter().all(|t| {
                let Some((v, offset)) = f.parse_with_offset(t) else {
                    return false;
                };
                offset != f.offset_seconds || f.format(v) == t
            });
            if exact {
                return Some(f);
            }
        }
        None
    }

    /// The value of a text in seconds (see the module documentation); `None` if it does not
    /// parse in this format.
    pub fn parse(&self, text: &str) -> Option<f64> {
        self.parse_with_offset(text).map(|(v, _)| v)
    }

    fn parse_with_offset(&self, text: &str) -> Option<(f64, i32)> {
        let p = self.pattern.as_str();
        match self.kind {
            DatetimeKind::Date => {
                let d = NaiveDate::parse_from_str(text, p).ok()?;
                Some((days_since_epoch(d) * DAY, 0))
            }
            DatetimeKind::Datetime => {
                let dt = NaiveDateTime::parse_from_str(text, p).ok()?;
                Some((naive_seconds(&dt), 0))
            }
            DatetimeKind::Zoned if p.ends_with('Z') => {
                let dt = NaiveDateTime::parse_from_str(text, p).ok()?;
                Some((naive_seconds(&dt), 0))
            }
            DatetimeKind::Zoned => {
                let dt = DateTime::parse_from_str(text, p).ok()?;
                let offset = dt.offset().local_minus_utc();
                Some((naive_seconds(&dt.naive_utc()), offset))
            }
            DatetimeKind::Time => {
                let t = NaiveTime::parse_from_str(text, p).ok()?;
                let secs = f64::from(t.num_seconds_from_midnight());
                Some((secs + f64::from(t.nanosecond()) * 1e-9, 0))
            }
        }
    }

    /// The resolution of the format in seconds: a day, a minute, a second or its fraction.
    pub fn resolution(&self) -> f64 {
        if self.kind == DatetimeKind::Date {
            DAY
        } else if !self.pattern.contains("%S") {
            60.0
        } else {
            10f64.powi(-(self.fraction_digits as i32))
        }
    }

    /// The text of a value (seconds), rounded to the format's resolution.
    pub fn format(&self, seconds: f64) -> String {
        let r = self.resolution();
        let v = (seconds / r).round() * r;
        let (whole, frac) = split_seconds(v, self.fraction_digits);
        let (before, after) = match self.pattern.split_once("%.f") {
            Some((b, a)) => (b.to_string(), a.to_string()),
            None => (self.pattern.clone(), String::new()),
        };
        let fraction = if self.fraction_digits > 0 {
            format!(".{frac:0w$}", w = self.fraction_digits as usize)
        } else {
            String::new()
        };
        match self.kind {
            DatetimeKind::Time => {
                let secs = whole.rem_euclid(86_400) as u32;
                let t = NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap_or_default();
                format!("{}{fraction}{}", t.format(&before), t.format(&after))
            }
            DatetimeKind::Zoned if !self.pattern.ends_with('Z') => {
                let offset = chrono::FixedOffset::east_opt(self.offset_seconds)
                    .unwrap_or(chrono::FixedOffset::east_opt(0).expect("zero offset"));
                let dt = DateTime::from_timestamp(whole, 0)
                    .unwrap_or_default()
                    .with_timezone(&offset);
                format!("{}{fraction}{}", dt.format(&before), dt.format(&after))
            }
            _ => {
                let dt = DateTime::from_timestamp(whole, 0)
                    .unwrap_or_default()
                    .naive_utc();
                format!("{}{fraction}{}", dt.format(&before), dt.format(&after))
            }
        }
    }
}

fn days_since_epoch(d: NaiveDate) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a date");
    (d - epoch).num_days() as f64
}

fn naive_seconds(dt: &NaiveDateTime) -> f64 {
    let u = dt.and_utc();
    u.timestamp() as f64 + f64::from(u.timestamp_subsec_nanos()) * 1e-9
}

/// Whole seconds and the fraction as an integer of `digits` digits (carrying into the whole
/// seconds when the fraction rounds up to 1).
fn split_seconds(v: f64, digits: u32) -> (i64, u64) {
    let scale = 10u64.pow(digits.min(9));
    let total = (v * scale as f64).round();
    let whole = (total / scale as f64).floor();
    let frac = (total - whole * scale as f64).round() as u64;
    (whole as i64, frac.min(scale - 1))
}

/// Digits after the seconds' decimal point in `text`.
fn fraction_digits(text: &str, kind: DatetimeKind) -> u32 {
    if kind == DatetimeKind::Date {
        return 0;
    }
    // The fraction follows the last `:` (seconds) as `.ddd`.
    let Some(colon) = text.rfind(':') else {
        return 0;
    };
    let rest = &text[colon..];
    // For a `+01:00` offset the last colon is in the zone: look before the zone sign.
    let rest = match kind {
        DatetimeKind::Zoned => text[..text.len() - zone_len(text)]
            .rsplit(':')
            .next()
            .unwrap_or(""),
        _ => rest,
    };
    rest.split_once('.').map_or(0, |(_, f)| {
        f.bytes().take_while(u8::is_ascii_digit).count() as u32
    })
}

/// Length of a trailing zone designator (`Z`, `+01:00`, `-0500`).
fn zone_len(text: &str) -> usize {
    if text.ends_with('Z') {
        return 1;
    }
    text.rfind(['+', '-'])
        .filter(|&i| i >= 10)
        .map_or(0, |i| text.len() - i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(texts: &[&str], kind: DatetimeKind) {
        let f = DatetimeFormat::detect(texts.iter().copied()).expect("detected");
        assert_eq!(f.kind, kind, "{texts:?}");
        for t in texts {
            let v = f.parse(t).unwrap();
            assert_eq!(f.format(v + 1e-4 * f.resolution()), *t, "{f:?}");
        }
    }

    #[test]
    fn formats_are_detected_and_written_back() {
        round_trip(
            &["2024-01-31", "1999-12-01", "1969-07-20"],
            DatetimeKind::Date,
        );
        round_trip(&["31.01.2024", "01.12.1999"], DatetimeKind::Date);
        round_trip(
            &["2024-01-31T10:00:00", "2024-02-29T23:59:59"],
            DatetimeKind::Datetime,
        );
        round_trip(
            &["2024-01-31 10:00", "2024-02-29 23:59"],
            DatetimeKind::Datetime,
        );
        round_trip(
            &["2024-01-31T10:00:00.250", "2024-02-29T23:59:59.125"],
            DatetimeKind::Datetime,
        );
        round_trip(
            &["2024-01-31T10:00:00Z", "2024-02-29T23:59:59Z"],
            DatetimeKind::Zoned,
        );
        round_trip(
            &["2024-01-31T10:00:00+01:00", "2024-02-29T23:59:59+01:00"],
            DatetimeKind::Zoned,
        );
        round_trip(&["10:00", "23:59", "00:00"], DatetimeKind::Time);
        round_trip(&["10:00:01.5", "23:59:59.0"], DatetimeKind::Time);
    }

    #[test]
    fn zoned_values_are_compared_in_utc() {
        let f = DatetimeFormat::detect(["2024-01-31T10:00:00+01:00", "2024-01-31T09:00:00Z"]);
        // Mixed `Z` and offsets: no single pattern reads both.
        assert!(f.is_none());
        let f = DatetimeFormat::detect(["2024-01-31T10:00:00+01:00", "2024-01-31T09:00:00+00:00"])
            .unwrap();
        assert_eq!(
            f.parse("2024-01-31T10:00:00+01:00"),
            f.parse("2024-01-31T09:00:00+00:00")
        );
    }

    #[test]
    fn non_dates_are_not_detected() {
        for texts in [
            vec!["abc", "def"],
            vec!["1.5", "2.5"],
            vec!["2024-13-45"],
            vec!["C1-2"],
        ] {
            assert!(
                DatetimeFormat::detect(texts.iter().copied()).is_none(),
                "{texts:?}"
            );
        }
    }
}
