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

    /// Every field this format can make (a line gives some or all of them).
    pub fn field_names(self) -> &'static [&'static str] {
        match self {
            LogFormat::Access => &access::FIELDS,
            LogFormat::ApacheError => &[
                "ts", "module", "level", "pid", "tid", "client", "code", "message",
            ],
            LogFormat::Syslog => &[
                "facility",
                "severity",
                "ts",
                "host",
                "app",
                "pid",
                "msgid",
                "structured_data",
                "message",
            ],
        }
    }

    /// The words `parse` takes for these formats.
    pub const WORDS: [&'static str; 4] = ["nginx", "apache", "apache_error", "syslog"];

    /// The fields of `line` that `want` names, appended to `out`; `false`
    /// when it is not in this format. `now` (epoch ms) gives the year of a
    /// syslog date written without one.
    pub fn parse(
        self,
        line: &str,
        now: i64,
        want: &Want,
        out: &mut Vec<(&'static str, Value)>,
    ) -> bool {
        let fields = match self {
            LogFormat::Access => return access::parse(line, want, out),
            LogFormat::ApacheError => apache_error::parse(line),
            LogFormat::Syslog => syslog::parse(line, now),
        };
        let Some(fields) = fields else {
            return false;
        };
        out.extend(fields.into_iter().filter(|(k, _)| want.has(k)));
        true
    }
}

/// The fields a parser makes: all, or only those the rest of the pipeline
/// reads (`parse nginx | count by status` reads `status`, and the time
/// field). A line is checked whole either way, so it parses, or does not,
/// alike; only the values nobody reads are not made.
#[derive(Debug, Clone, PartialEq)]
pub struct Want {
    names: Option<Vec<String>>,
    /// Bit `i` set: `access::FIELDS[i]` is wanted (looked up once, not per line).
    access: u16,
}

impl Default for Want {
    fn default() -> Want {
        Want::all()
    }
}

impl Want {
    pub fn all() -> Want {
        Want {
            names: None,
            access: u16::MAX,
        }
    }

    pub fn only(names: Vec<String>) -> Want {
        let access = access::FIELDS
            .iter()
            .enumerate()
            .filter(|(_, f)| names.iter().any(|n| n == *f))
            .fold(0, |m, (i, _)| m | 1 << i);
        Want {
            names: Some(names),
            access,
        }
    }

    #[inline]
    pub fn has(&self, name: &str) -> bool {
        self.names
            .as_ref()
            .is_none_or(|v| v.iter().any(|n| n == name))
    }

    /// `has(access::FIELDS[i])`, without comparing names.
    #[inline]
    fn access(&self, i: usize) -> bool {
        self.access & (1 << i) != 0
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
/// Lines in a row mostly share their second: the text of the last one is
/// kept, not formatted again.
fn ts_value(ms: i64) -> Value {
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> =
            const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != ms {
            *last = (ms, crate::timefmt::format_rfc3339_ms(ms));
        }
        Value::String(last.1.clone())
    })
}
