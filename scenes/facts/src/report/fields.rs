//! Validation shared by every format: ranges, text limits, times, and JSON field access that
//! names each field by its JSON pointer.
//!
//! Nothing here slices a string by byte index: input is arbitrary bytes from the network, and a
//! multi-byte character at the cut would panic. Lengths are counted in characters.
use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value};

use crate::event::{MAX_YEAR, MIN_YEAR};
use crate::ReportError;

/// A number inside an inclusive range, or `OutOfRange` naming `field`.
pub(crate) fn in_range(
    x: f64,
    field: &str,
    range: (f64, f64),
    unit: &str,
    shown: &str,
) -> Result<f64, ReportError> {
    if !x.is_finite() || !(range.0..=range.1).contains(&x) {
        let unit = if unit.is_empty() {
            String::new()
        } else {
            format!(" {unit}")
        };
        return Err(ReportError::OutOfRange {
            field: field.to_string(),
            value: shown.to_string(),
            expected: format!("{} to {}{unit}", range.0, range.1),
        });
    }
    Ok(x)
}

/// A decimal number written as text (CENC records, QuakeML values): finite, no units.
pub(crate) fn parse_decimal(s: &str, field: &str) -> Result<f64, ReportError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(ReportError::Invalid {
            field: field.to_string(),
            reason: "empty; expected a decimal number".into(),
        });
    }
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(ReportError::WrongType {
            field: field.to_string(),
            expected: format!("a decimal number, got {}", shown(s)),
        }),
    }
}

/// Text as shown in an error: quoted, at most 60 characters.
pub(crate) fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().nth(60).is_some() {
        out.push('…');
    }
    format!("{out:?}")
}

/// Trimmed, non-empty text of at most `max` characters without control characters.
pub(crate) fn text(s: &str, field: &str, max: usize) -> Result<String, ReportError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(ReportError::Invalid {
            field: field.to_string(),
            reason: "empty; expected a non-empty string".into(),
        });
    }
    let n = t.chars().count();
    if n > max {
        return Err(ReportError::Invalid {
            field: field.to_string(),
            reason: format!("{n} characters; at most {max} are accepted"),
        });
    }
    if let Some(c) = t.chars().find(|c| c.is_control()) {
        return Err(ReportError::Invalid {
            field: field.to_string(),
            reason: format!("contains the control character {c:?}"),
        });
    }
    Ok(t.to_string())
}

/// An origin time within [`MIN_YEAR`]..=[`MAX_YEAR`].
pub(crate) fn check_year(t: DateTime<Utc>, field: &str, shown: &str) -> Result<(), ReportError> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&t.year()) {
        return Err(ReportError::OutOfRange {
            field: field.to_string(),
            value: shown.to_string(),
            expected: format!("a time in the years {MIN_YEAR} to {MAX_YEAR}"),
        });
    }
    Ok(())
}

/// RFC 3339 with an explicit offset (our own schema: a time without one is refused, not guessed).
pub(crate) fn rfc3339_time(s: &str, field: &str) -> Result<DateTime<Utc>, ReportError> {
    let t = DateTime::parse_from_rfc3339(s.trim()).map_err(|e| ReportError::Invalid {
        field: field.to_string(),
        reason: format!(
            "{} is not an ISO-8601 time with a UTC offset ({e}); \
             expected e.g. \"2022-05-20T08:36:00+08:00\"",
            shown(s)
        ),
    })?;
    let utc = t.with_timezone(&Utc);
    check_year(utc, field, &shown(s))?;
    Ok(utc)
}

/// An ISO-8601 time that the format defines as UTC (EMSC, QuakeML): an offset is honoured, a
/// time without one is UTC. `check` applies the origin-time year range.
pub(crate) fn utc_time(s: &str, field: &str, check: bool) -> Result<DateTime<Utc>, ReportError> {
    let t = s.trim();
    let parsed = DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
                .map(|n| Utc.from_utc_datetime(&n))
        })
        .map_err(|_| ReportError::Invalid {
            field: field.to_string(),
            reason: format!(
                "{} is not an ISO-8601 UTC time; expected e.g. \"2023-02-06T01:17:35.0Z\"",
                shown(s)
            ),
        })?;
    if check {
        check_year(parsed, field, &shown(s))?;
    }
    Ok(parsed)
}

/// Beijing time (UTC+8) as CENC writes it: `YYYY-MM-DD HH:MM:SS`, a fraction of a second
/// optional (`T` between date and time is accepted too).
pub(crate) fn beijing_time(
    s: &str,
    field: &str,
    check: bool,
) -> Result<DateTime<Utc>, ReportError> {
    let t = s.trim();
    let naive = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f"))
        .map_err(|_| ReportError::Invalid {
            field: field.to_string(),
            reason: format!(
                "{} is not a Beijing time; expected \"YYYY-MM-DD HH:MM:SS\", e.g. \
                 \"2022-09-05 12:52:18\"",
                shown(s)
            ),
        })?;
    let beijing = FixedOffset::east_opt(8 * 3600).ok_or_else(|| ReportError::Invalid {
        field: field.to_string(),
        reason: "UTC+8 is not representable".into(),
    })?;
    let utc = beijing
        .from_local_datetime(&naive)
        .single()
        .ok_or_else(|| ReportError::Invalid {
            field: field.to_string(),
            reason: format!("{} is not a representable time", shown(s)),
        })?
        .with_timezone(&Utc);
    if check {
        check_year(utc, field, &shown(s))?;
    }
    Ok(utc)
}

/// Whole minutes from `from` to `to`, 0 when `to` is earlier, saturating at `u32::MAX`: a report
/// saved (updated) later is a later revision.
pub(crate) fn minutes_between(from: DateTime<Utc>, to: DateTime<Utc>) -> u32 {
    let minutes = (to - from).num_seconds().div_euclid(60);
    u32::try_from(minutes.max(0)).unwrap_or(u32::MAX)
}

/// The name JSON gives a value's type, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// An object inside the report together with its JSON pointer.
#[derive(Clone, Debug)]
pub(crate) struct Obj<'a> {
    pub map: &'a Map<String, Value>,
    pub path: String,
}

impl<'a> Obj<'a> {
    pub fn root(map: &'a Map<String, Value>) -> Self {
        Self {
            map,
            path: String::new(),
        }
    }

    pub fn ptr(&self, key: &str) -> String {
        format!("{}/{key}", self.path)
    }

    /// The value, absent and `null` both being `None`.
    pub fn opt(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn get(&self, key: &str) -> Result<&'a Value, ReportError> {
        self.opt(key).ok_or_else(|| ReportError::Missing {
            field: self.ptr(key),
        })
    }

    pub fn obj(&self, key: &str) -> Result<Obj<'a>, ReportError> {
        match self.get(key)? {
            Value::Object(map) => Ok(Obj {
                map,
                path: self.ptr(key),
            }),
            _ => Err(ReportError::WrongType {
                field: self.ptr(key),
                expected: "object".into(),
            }),
        }
    }

    pub fn str(&self, key: &str) -> Result<&'a str, ReportError> {
        match self.get(key)? {
            Value::String(s) => Ok(s),
            _ => Err(ReportError::WrongType {
                field: self.ptr(key),
                expected: "string".into(),
            }),
        }
    }

    /// An optional string: `None` when absent, `null` or empty after trimming.
    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, ReportError> {
        match self.opt(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ReportError::WrongType {
                field: self.ptr(key),
                expected: "string".into(),
            }),
        }
    }

    pub fn text(&self, key: &str, max: usize) -> Result<String, ReportError> {
        text(self.str(key)?, &self.ptr(key), max)
    }

    /// A JSON number within `range`.
    pub fn number_in(&self, key: &str, range: (f64, f64), unit: &str) -> Result<f64, ReportError> {
        number_value(self.get(key)?, &self.ptr(key), range, unit)
    }

    /// A number within `range`, given as a JSON number or as a decimal string (CENC writes
    /// both).
    pub fn loose_number_in(
        &self,
        key: &str,
        range: (f64, f64),
        unit: &str,
    ) -> Result<f64, ReportError> {
        let field = self.ptr(key);
        match self.get(key)? {
            Value::String(s) => {
                let x = parse_decimal(s, &field)?;
                in_range(x, &field, range, unit, &shown(s))
            }
            Value::Number(_) => number_value(self.get(key)?, &field, range, unit),
            _ => Err(ReportError::WrongType {
                field,
                expected: "number or decimal string".into(),
            }),
        }
    }
}

pub(crate) fn number_value(
    v: &Value,
    field: &str,
    range: (f64, f64),
    unit: &str,
) -> Result<f64, ReportError> {
    let Some(x) = v.as_f64() else {
        return Err(ReportError::WrongType {
            field: field.to_string(),
            expected: "number".into(),
        });
    };
    in_range(x, field, range, unit, &v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_time_is_utc_plus_8() {
        let t = beijing_time("2022-09-05 12:52:18", "/O_TIME", true).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2022, 9, 5, 4, 52, 18).unwrap());
        let t = beijing_time("2022-09-05 00:10:00.5", "/O_TIME", true).unwrap();
        assert_eq!(t.to_rfc3339(), "2022-09-04T16:10:00.500+00:00");
        for bad in [
            "2022-09-05",
            "12:52:18",
            "2022-13-05 12:52:18",
            "泸定 12:52",
            "",
        ] {
            let e = beijing_time(bad, "/O_TIME", true).unwrap_err();
            assert_eq!(e.field(), Some("/O_TIME"), "{bad}");
        }
        let e = beijing_time("2101-01-01 08:00:01", "/O_TIME", true).unwrap_err();
        assert!(matches!(e, ReportError::OutOfRange { .. }), "{e}");
    }

    #[test]
    fn minutes_are_floored_and_never_negative() {
        let a = Utc.with_ymd_and_hms(2022, 9, 5, 4, 52, 18).unwrap();
        let b = Utc.with_ymd_and_hms(2022, 9, 5, 4, 59, 31).unwrap();
        assert_eq!(minutes_between(a, b), 7);
        assert_eq!(minutes_between(b, a), 0);
        assert_eq!(minutes_between(a, a), 0);
    }

    #[test]
    fn text_limits_count_characters() {
        let zh = "四".repeat(200);
        assert_eq!(text(&zh, "/r", 200).unwrap(), zh);
        let e = text(&format!("{zh}川"), "/r", 200).unwrap_err();
        assert!(e.to_string().contains("201 characters"), "{e}");
        assert!(text("a\u{0}b", "/r", 10).is_err());
        assert!(text("  ", "/r", 10).is_err());
        // Error text is cut by characters, never inside one.
        let long = "泸".repeat(100);
        assert!(shown(&long).ends_with("…\""));
    }

    #[test]
    fn decimals_must_be_finite() {
        assert_eq!(parse_decimal(" 29.59 ", "/x").unwrap(), 29.59);
        for bad in ["NaN", "inf", "1e400", "29.59N", "二十"] {
            assert!(parse_decimal(bad, "/x").is_err(), "{bad}");
        }
    }
}
