//! Parsers for the text logs people tail: `parse nginx` / `parse apache`
//! (NCSA common and combined access logs), `parse apache_error`,
//! `parse syslog` (RFC 3164 and RFC 5424) and `parse "PATTERN" as …` (a
//! pattern with `*` wildcards, as in angle-grinder).
//!
//! Each is a hand-written scanner over the line's bytes, not a regex: these
//! run once per line of logs of many gigabytes. Each gives typed fields (a
//! number is a number) and a `ts` in RFC 3339 UTC with milliseconds, which
//! event time picks up without a flag. A line that does not have the
//! format's shape gives `None` (the stage counts it as unparsed). Nothing
//! here knows about events or panics on any input.

pub mod access;
pub mod apache_error;
pub mod pattern;
mod scan;
pub mod syslog;

use crate::value::Value;

/// A built-in log format (`parse FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// `parse nginx`, `parse apache`: common or combined access log.
    Access,
    ApacheError,
    Syslog,
}

impl LogFormat {
    /// The format a `parse` word names, and the word as written.
    pub fn from_word(w: &str) -> Option<LogFormat> {
        Some(match w {
            "nginx" | "apache" => LogFormat::Access,
            "apache_error" => LogFormat::ApacheError,
            "syslog" => LogFormat::Syslog,
            _ => return None,
        })
    }

    /// The words `parse` takes for these formats.
    pub const WORDS: [&'static str; 4] = ["nginx", "apache", "apache_error", "syslog"];

    /// The fields of `line`, or `None` when it is not in this format.
    /// `now` (epoch ms) gives the year of a syslog date written without one.
    pub fn parse(self, line: &str, now: i64) -> Option<Vec<(&'static str, Value)>> {
        match self {
            LogFormat::Access => access::parse(line),
            LogFormat::ApacheError => apache_error::parse(line),
            LogFormat::Syslog => syslog::parse(line, now),
        }
    }
}

/// `-` (the usual "no value") as null, else the text.
fn text_or_null(s: &str) -> Value {
    if s == "-" || s.is_empty() {
        Value::Null
    } else {
        Value::String(s.to_owned())
    }
}

/// The timestamp field every parser gives: RFC 3339 UTC with milliseconds.
fn ts_value(ms: i64) -> Value {
    Value::String(crate::timefmt::format_rfc3339_ms(ms))
}
