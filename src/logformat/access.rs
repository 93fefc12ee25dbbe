//! `parse nginx` / `parse apache`: the NCSA common log format and the
//! combined format nginx and Apache write by default:
//!
//! ```text
//! 203.0.113.9 - alice [01/Mar/2026:12:00:05 +0000] "GET /a?x=1 HTTP/1.1" 200 512 "https://ex.com/" "curl/8.5"
//! ```
//!
//! Fields: `ip`, `user` (null for `-`), `ts`, `method`, `path`, `proto`,
//! `status` (integer), `bytes` (integer, 0 for `-`), and in the combined
//! format `referer` and `user_agent` (null for `-`). Anything after the user
//! agent (fields an admin added) is ignored. A request that is not
//! `METHOD PATH PROTO` (a probe's junk, `-`) leaves `method` and `proto` null
//! and `path` the request's text.

use super::scan::Scan;
use super::{text_or_null, ts_value, Want};
use crate::value::Value;

/// The fields, in order (`Want` keeps which of them are wanted as bits).
pub const FIELDS: [&str; 10] = [
    "ip",
    "user",
    "ts",
    "method",
    "path",
    "proto",
    "status",
    "bytes",
    "referer",
    "user_agent",
];

/// Where the parts of an access-log line are, and what its numbers and time
/// read as: everything that decides whether the line has the format, found
/// without making a value. `scan` can run on the reader thread (the
/// pre-index), leaving only `fields` to the main loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessScan {
    ip: Part,
    user: Part,
    request: Part,
    /// The referer and user agent of the combined format, as written.
    combined: Option<(Part, Part)>,
    ts: i64,
    status: i64,
    bytes: i64,
}

impl AccessScan {
    /// The line's time, epoch milliseconds.
    pub fn ts(&self) -> i64 {
        self.ts
    }
}

/// A byte range of the line (`start..end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Part {
    start: u32,
    end: u32,
}

impl Part {
    fn of(line: &str, s: &str) -> Part {
        // `s` is a slice of `line`; lines are bounded by --max-line-bytes.
        let start = s.as_ptr() as usize - line.as_ptr() as usize;
        Part {
            start: start as u32,
            end: (start + s.len()) as u32,
        }
    }

    /// The part's text. `line` is UTF-8 (the decoder checked it) and parts
    /// end at ASCII bytes, so the check here never fails; it costs what
    /// the part is long, not the line (a wanted part only is read).
    fn text(self, line: &[u8]) -> &str {
        line.get(self.start as usize..self.end as usize)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

/// Check that `line` is an access-log line (every part of it, so a line
/// parses, or does not, whatever fields are wanted) and say where its parts
/// are. `None`: not this format.
pub fn scan(line: &str) -> Option<AccessScan> {
    if line.len() >= u32::MAX as usize {
        return None;
    }
    let mut c = Scan::new(line);
    let ip = c.word()?;
    let _ident = c.word()?;
    let user = c.word()?;
    let ts = crate::timefmt::parse_clf_text(c.bracketed()?)?;
    let request = c.quoted()?;
    let status = small_uint(c.word()?)?;
    let bytes = c.word()?;
    let bytes = if bytes == "-" { 0 } else { small_uint(bytes)? };
    let combined = if c.at_end() {
        None
    } else {
        let referer = c.quoted()?;
        let agent = c.quoted()?;
        Some((Part::of(line, referer), Part::of(line, agent)))
    };
    Some(AccessScan {
        ip: Part::of(line, ip),
        user: Part::of(line, user),
        request: Part::of(line, request),
        combined,
        ts,
        status,
        bytes,
    })
}

/// The fields `want` names of the line `scan` was made from (its bytes,
/// checked as UTF-8), appended to `out`.
pub fn fields(line: &[u8], scan: &AccessScan, want: &Want, out: &mut Vec<(&'static str, Value)>) {
    let (method, path, proto) = if want.access(3) || want.access(4) || want.access(5) {
        split_request(scan.request.text(line))
    } else {
        (None, None, None)
    };
    let text = |s: Option<&str>| s.map_or(Value::Null, |s| Value::String(s.to_owned()));
    let mut put = |i: usize, v: &dyn Fn() -> Value| {
        if want.access(i) {
            out.push((FIELDS[i], v()));
        }
    };
    put(0, &|| Value::String(scan.ip.text(line).to_owned()));
    put(1, &|| text_or_null(scan.user.text(line)));
    put(2, &|| ts_value(scan.ts));
    put(3, &|| text(method));
    put(4, &|| text(path));
    put(5, &|| text(proto));
    put(6, &|| Value::from(scan.status));
    put(7, &|| Value::from(scan.bytes));
    if let Some((referer, agent)) = scan.combined {
        put(8, &|| text_or_null(&unescape(referer.text(line))));
        put(9, &|| text_or_null(&unescape(agent.text(line))));
    }
}

/// The fields of `line` that `want` names, appended to `out`; `false` when
/// it is not an access-log line.
pub fn parse(line: &str, want: &Want, out: &mut Vec<(&'static str, Value)>) -> bool {
    match scan(line) {
        Some(s) => {
            fields(line.as_bytes(), &s, want, out);
            true
        }
        None => false,
    }
}

/// `GET /a HTTP/1.1` as (method, path, proto), the path being all between
/// the first and the last space; a request of another shape
/// is its text as the path (null for `-`).
fn split_request(r: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
    let space = |s: &str| memchr::memchr(b' ', s.as_bytes());
    let (m, rest) = match space(r) {
        Some(i) => (&r[..i], &r[i + 1..]),
        None => (r, ""),
    };
    // The protocol is the last word: a path sent with a space keeps it.
    let (p, proto) = match memchr::memrchr(b' ', rest.as_bytes()) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    // `splitn(3, ' ')`: a request without a space has no path.
    let has_path = m.len() < r.len();
    if has_path && !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase()) && !p.is_empty() {
        (Some(m), Some(p), proto)
    } else {
        (None, Some(r).filter(|r| *r != "-" && !r.is_empty()), None)
    }
}

/// A quoted field's text as the client sent it: Apache writes `"` and `\`
/// as `\"` and `\\`, nginx as `\x22` and `\x5C` (and other bytes as
/// `\xHH`). Escapes that would not give UTF-8 are kept as written.
fn unescape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('\\') {
        return s.into();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            match b.get(i + 1) {
                Some(&c @ (b'"' | b'\\')) => {
                    out.push(c);
                    i += 2;
                    continue;
                }
                Some(b'x') => {
                    let hex = b
                        .get(i + 2..i + 4)
                        .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                        .and_then(|h| std::str::from_utf8(h).ok());
                    if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        out.push(v);
                        i += 4;
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(b[i]);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(t) => t.into(),
        Err(_) => s.into(),
    }
}

/// Decimal digits (at most 18) as an integer.
pub(super) fn small_uint(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(line: &str) -> Option<serde_json::Value> {
        let mut f = Vec::new();
        parse(line, &Want::all(), &mut f)
            .then(|| f.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[test]
    fn combined() {
        assert_eq!(
            obj(
                r#"203.0.113.9 - alice [01/Mar/2026:12:00:05 +0100] "GET /a?x=1 HTTP/1.1" 200 512 "https://ex.com/" "curl/8.5 (x \"y\")""#
            ),
            Some(
                json!({"ip":"203.0.113.9","user":"alice","ts":"2026-03-01T11:00:05.000Z","method":"GET","path":"/a?x=1","proto":"HTTP/1.1","status":200,"bytes":512,"referer":"https://ex.com/","user_agent":"curl/8.5 (x \"y\")"})
            )
        );
    }

    #[test]
    fn common_with_dashes() {
        assert_eq!(
            obj(r#"::1 - - [01/Mar/2026:12:00:05 +0000] "-" 400 - "#.trim_end()),
            Some(
                json!({"ip":"::1","user":null,"ts":"2026-03-01T12:00:05.000Z","method":null,"path":null,"proto":null,"status":400,"bytes":0})
            )
        );
    }

    #[test]
    fn junk_request_keeps_its_text() {
        let f = obj(r#"1.2.3.4 - - [01/Mar/2026:12:00:05 +0000] "\x16\x03\x01" 400 157 "-" "-""#)
            .unwrap();
        assert_eq!(f["path"], json!("\\x16\\x03\\x01"));
        assert_eq!(f["referer"], json!(null));
    }

    /// The memchr split against `split_once` and `rsplit_once`: the method
    /// up to the first space, the protocol after the last.
    #[test]
    fn split_request_is_first_and_last_space() {
        fn slow(r: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
            let (m, p, proto) = match r.split_once(' ') {
                None => (Some(r), None, None),
                Some((m, rest)) => match rest.rsplit_once(' ') {
                    Some((p, proto)) => (Some(m), Some(p), Some(proto)),
                    None => (Some(m), Some(rest), None),
                },
            };
            match (m, p, proto) {
                (Some(m), Some(p), proto)
                    if !m.is_empty()
                        && m.bytes().all(|b| b.is_ascii_uppercase())
                        && !p.is_empty() =>
                {
                    (Some(m), Some(p), proto)
                }
                _ => (None, Some(r).filter(|r| *r != "-" && !r.is_empty()), None),
            }
        }
        for r in [
            "GET /a HTTP/1.1",
            "GET /a",
            "GET",
            "GET ",
            "GET  /a",
            " /a",
            "-",
            "",
            "get /a",
            "GET /a HTTP/1.1 more",
            "GET /a b HTTP/1.1",
            "GET /a ",
            "\\x16\\x03",
            "PUT /é x",
            " ",
            "  ",
        ] {
            assert_eq!(split_request(r), slow(r), "{r:?}");
        }
    }

    #[test]
    fn not_an_access_log() {
        for line in [
            "",
            "hello world",
            r#"1.2.3.4 - - [01/Mar/2026:12:00:05 +0000] "GET / HTTP/1.1" abc 1"#,
            r#"1.2.3.4 - - [yesterday] "GET / HTTP/1.1" 200 1"#,
            r#"1.2.3.4 - - [01/Mar/2026:12:00:05 +0000] "GET / HTTP/1.1 200 1"#,
        ] {
            assert_eq!(scan(line), None, "{line}");
        }
    }
}
