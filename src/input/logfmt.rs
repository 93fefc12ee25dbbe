//! logfmt: `key=value key="quoted value" flag`. Values are typed like CSV
//! cells; a bare key without `=` is `true` (as in Go's logfmt).

use serde_json::Map;

use crate::value::{typed_cell, Value};

/// One `key=value` (or bare `key`) of a logfmt line, as byte offsets into
/// it, so that a line can be indexed once and a value decoded only when
/// it is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair {
    pub key_start: usize,
    pub key_end: usize,
    pub value: RawValue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawValue {
    /// A key without `=`: `true`.
    Bare,
    /// `key=value`: typed like a CSV cell.
    Plain { start: usize, end: usize },
    /// `key="value"` (the text between the quotes): always a string;
    /// `escaped` if it has backslashes to undo.
    Quoted {
        start: usize,
        end: usize,
        escaped: bool,
    },
}

impl Pair {
    pub fn key<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.key_start..self.key_end).unwrap_or_default()
    }

    /// The pair's value in `text` (the line it was indexed from).
    pub fn value(&self, text: &str) -> Value {
        match self.value {
            RawValue::Bare => Value::Bool(true),
            RawValue::Plain { start, end } => typed_cell(text.get(start..end).unwrap_or_default()),
            RawValue::Quoted {
                start,
                end,
                escaped,
            } => {
                let raw = text.get(start..end).unwrap_or_default();
                Value::String(if escaped {
                    unescape(raw)
                } else {
                    raw.to_owned()
                })
            }
        }
    }
}

/// A quoted value's text with `\n`, `\t`, `\r`, `\"`, `\\` undone; any
/// other backslash stays, with the character after it.
fn unescape(raw: &str) -> String {
    let mut s = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            s.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => s.push('\n'),
            Some('t') => s.push('\t'),
            Some('r') => s.push('\r'),
            Some(c @ ('"' | '\\')) => s.push(c),
            Some(o) => {
                s.push('\\');
                s.push(o);
            }
            None => s.push('\\'),
        }
    }
    s
}

/// Why a line is not logfmt; the text is the reason shown as `FILE:LINE: reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogfmtError {
    #[error("logfmt: unexpected `\"` in a key at column {column}")]
    QuoteInKey { column: usize },
    #[error("logfmt: expected a key at column {column}")]
    ExpectedKey { column: usize },
    #[error("logfmt: unterminated quoted value for `{key}`")]
    Unterminated { key: String },
}

/// Parse one logfmt line. Errors name the character column.
pub fn parse_logfmt(text: &str) -> Result<Map<String, Value>, LogfmtError> {
    let mut pairs = Vec::new();
    index_logfmt(text, &mut pairs)?;
    // A repeated key keeps its first place and its last value.
    Ok(pairs
        .iter()
        .map(|p| (p.key(text).to_owned(), p.value(text)))
        .collect())
}

/// Index one logfmt line into `pairs` (cleared first), with the errors of
/// `parse_logfmt`. Allocates nothing once `pairs` has grown.
pub fn index_logfmt(text: &str, pairs: &mut Vec<Pair>) -> Result<(), LogfmtError> {
    pairs.clear();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let key_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' {
            if b[i] == b'"' {
                return Err(LogfmtError::QuoteInKey { column: i + 1 });
            }
            i += 1;
        }
        let key_end = i;
        if key_end == key_start {
            return Err(LogfmtError::ExpectedKey { column: i + 1 });
        }
        let mut pair = Pair {
            key_start,
            key_end,
            value: RawValue::Bare,
        };
        if i >= b.len() || b[i] != b'=' {
            pairs.push(pair);
            continue;
        }
        i += 1; // '='
        if i < b.len() && b[i] == b'"' {
            i += 1;
            let start = i;
            let mut escaped = false;
            let mut end = None;
            while i < b.len() {
                match b[i] {
                    b'"' => {
                        end = Some(i);
                        i += 1;
                        break;
                    }
                    b'\\' if i + 1 < b.len() => {
                        escaped = true;
                        i += 2;
                    }
                    _ => i += 1,
                }
            }
            let Some(end) = end else {
                return Err(LogfmtError::Unterminated {
                    key: text[key_start..key_end].to_string(),
                });
            };
            // A quoted value is always a string: quoting says "this is text".
            pair.value = RawValue::Quoted {
                start,
                end,
                escaped,
            };
        } else {
            let start = i;
            while i < b.len() && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            pair.value = RawValue::Plain { start, end: i };
        }
        pairs.push(pair);
    }
    Ok(())
}

/// `-i auto` on a first line that is not JSON: is it logfmt? Yes when it
/// is nothing but two or more `key=value` pairs (values may be quoted) whose
/// keys read as names (a letter, `_` or `@`, then letters, digits and
/// `_ . - @ / :`). A sentence with a `k=v` in it, a bare word, an access log
/// line or a single `k=v` stay lines.
pub fn looks_like_logfmt(text: &str) -> bool {
    let mut pairs = Vec::new();
    if index_logfmt(text, &mut pairs).is_err() || pairs.len() < 2 {
        return false;
    }
    pairs
        .iter()
        .all(|p| !matches!(p.value, RawValue::Bare) && is_name(p.key(text)))
}

fn is_name(key: &str) -> bool {
    let mut b = key.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b'@')
        && b.all(|c| c.is_ascii_alphanumeric() || b"_.-@/:".contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logfmt_is_told_from_other_text() {
        for yes in [
            r#"time=2026-03-01T12:00:05Z level=info msg="request done" status=200"#,
            "a=1 b=2",
            r#"level=warn msg="" err="x=1 y" http.path=/a @ts=1"#,
            "  k=v/w  j=  ",
        ] {
            assert!(looks_like_logfmt(yes), "{yes}");
        }
        for no in [
            "level=info",
            "hello world",
            "set a=1 b=2",
            "a=1 flag",
            r#"a="open b=2"#,
            r#"127.0.0.1 - - [01/Mar/2026:12:00:05 +0000] "GET /?a=1&b=2 HTTP/1.1" 200 5"#,
            "2026-03-01 12:00:05,123 INFO a=1 b=2",
            "1a=x b=y",
            "a=1 =2",
            "",
        ] {
            assert!(!looks_like_logfmt(no), "{no}");
        }
    }

    fn js(s: &str) -> String {
        serde_json::to_string(&parse_logfmt(s).unwrap()).unwrap()
    }

    #[test]
    fn parses_values_and_types_them() {
        assert_eq!(
            js(r#"level=info msg="hello \"you\"" ms=12 ratio=0.5 empty= flag"#),
            r#"{"level":"info","msg":"hello \"you\"","ms":12,"ratio":0.5,"empty":null,"flag":true}"#
        );
        assert_eq!(js(r#"id="12""#), r#"{"id":"12"}"#);
    }

    #[test]
    fn reports_broken_lines() {
        assert_eq!(
            parse_logfmt(r#"a="open"#).unwrap_err().to_string(),
            "logfmt: unterminated quoted value for `a`"
        );
        assert!(parse_logfmt("=x").is_err());
    }

    #[test]
    fn escapes_are_undone_and_others_kept() {
        // Not a raw string: the line is a="x\ty\q\é\\" b="\""
        assert_eq!(
            js("a=\"x\\ty\\q\\é\\\\\" b=\"\\\"\""),
            "{\"a\":\"x\\ty\\\\q\\\\é\\\\\",\"b\":\"\\\"\"}"
        );
        assert!(parse_logfmt("a=\"x\\\"").is_err());
    }

    #[test]
    fn a_repeated_key_keeps_its_place_and_its_last_value() {
        assert_eq!(js("a=1 b=2 a=3"), r#"{"a":3,"b":2}"#);
    }
}
