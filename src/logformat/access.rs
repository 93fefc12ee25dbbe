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
use super::{text_or_null, ts_value};
use crate::value::Value;

pub fn parse(line: &str) -> Option<Vec<(&'static str, Value)>> {
    let mut c = Scan::new(line);
    let ip = c.word()?;
    let _ident = c.word()?;
    let user = c.word()?;
    let ts = crate::timefmt::parse_clf_text(c.bracketed()?)?;
    let request = c.quoted()?;
    let status = c.word()?;
    let status = small_uint(status)?;
    let bytes = c.word()?;
    let bytes = if bytes == "-" { 0 } else { small_uint(bytes)? };
    let (method, path, proto) = split_request(request);
    let mut fields = Vec::with_capacity(10);
    fields.push(("ip", Value::String(ip.to_owned())));
    fields.push(("user", text_or_null(user)));
    fields.push(("ts", ts_value(ts)));
    fields.push(("method", method));
    fields.push(("path", path));
    fields.push(("proto", proto));
    fields.push(("status", Value::from(status)));
    fields.push(("bytes", Value::from(bytes)));
    if !c.at_end() {
        let referer = c.quoted()?;
        let agent = c.quoted()?;
        fields.push(("referer", text_or_null(referer)));
        fields.push(("user_agent", text_or_null(agent)));
    }
    Some(fields)
}

/// `GET /a HTTP/1.1` as (method, path, proto).
fn split_request(r: &str) -> (Value, Value, Value) {
    let mut parts = r.splitn(3, ' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(p), proto)
            if !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase()) && !p.is_empty() =>
        {
            (
                Value::String(m.to_owned()),
                Value::String(p.to_owned()),
                proto.map_or(Value::Null, |p| Value::String(p.to_owned())),
            )
        }
        _ => (Value::Null, text_or_null(r), Value::Null),
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
        parse(line).map(|f| f.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[test]
    fn combined() {
        assert_eq!(
            obj(
                r#"203.0.113.9 - alice [01/Mar/2026:12:00:05 +0100] "GET /a?x=1 HTTP/1.1" 200 512 "https://ex.com/" "curl/8.5 (x \"y\")""#
            ),
            Some(
                json!({"ip":"203.0.113.9","user":"alice","ts":"2026-03-01T11:00:05.000Z","method":"GET","path":"/a?x=1","proto":"HTTP/1.1","status":200,"bytes":512,"referer":"https://ex.com/","user_agent":"curl/8.5 (x \\\"y\\\")"})
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

    #[test]
    fn not_an_access_log() {
        for line in [
            "",
            "hello world",
            r#"1.2.3.4 - - [01/Mar/2026:12:00:05 +0000] "GET / HTTP/1.1" abc 1"#,
            r#"1.2.3.4 - - [yesterday] "GET / HTTP/1.1" 200 1"#,
            r#"1.2.3.4 - - [01/Mar/2026:12:00:05 +0000] "GET / HTTP/1.1 200 1"#,
        ] {
            assert_eq!(parse(line), None, "{line}");
        }
    }
}
