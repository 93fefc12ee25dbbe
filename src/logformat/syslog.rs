//! `parse syslog`: RFC 3164 (BSD) and RFC 5424 lines, with or without the
//! `<PRI>` that is on the wire but not in files:
//!
//! ```text
//! Mar  1 12:00:05 web1 sshd[4242]: Failed password for root from 203.0.113.9 port 22 ssh2
//! <34>Mar  1 12:00:05 web1 su: 'su root' failed for alice on /dev/pts/8
//! 2026-03-01T12:00:05.123456+01:00 web1 systemd[1]: Started Session 7.
//! <165>1 2026-03-01T12:00:05.003Z web1 evntslog 812 ID47 [ex@32473 iut="3"] An application event
//! ```
//!
//! RFC 3164 fields: `ts`, `host`, `app`, `pid` (integer; null without
//! `[pid]`), `message`; with a `<PRI>`, `facility` and `severity` by name
//! (`auth`, `err`) first. RFC 5424 adds `msgid` and `structured_data` (the
//! text of the `[…]` elements); `-` is null. A date without a year (RFC 3164)
//! is in the current year, or the previous one when that date would be more
//! than a day in the future (as rsyslog does: December's lines read in
//! January). A time without an offset is UTC.

use super::access::small_uint;
use super::scan::Scan;
use super::{text_or_null, ts_value};
use crate::value::Value;

const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];
const SEVERITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

pub fn parse(line: &str, now: i64) -> Option<Vec<(&'static str, Value)>> {
    let mut c = Scan::new(line);
    let mut fields = Vec::with_capacity(9);
    if c.eat("<") {
        let end = c.rest().find('>')?;
        let pri: usize = small_uint(&c.rest()[..end])?.try_into().ok()?;
        let facility = FACILITIES.get(pri / 8)?;
        fields.push(("facility", Value::String((*facility).to_owned())));
        fields.push(("severity", Value::String(SEVERITIES[pri % 8].to_owned())));
        c.pos += end + 1;
        if c.eat("1 ") {
            return rfc5424(c, fields);
        }
    }
    // RFC 3164: `Mmm dd hh:mm:ss` (day padded with a space), or the ISO
    // timestamp rsyslog writes with its high-precision file format.
    let rest = c.rest();
    let ts = if rest.len() >= 14 && rest.as_bytes()[3] == b' ' {
        // `Mar  1 12:00:05`, or `Mar 1 12:00:05` as some daemons write it.
        let len = crate::timefmt::syslog_time_len(rest.as_bytes());
        let t = crate::timefmt::parse_syslog_time(rest.get(..len)?, now)?;
        c.pos += len;
        t
    } else {
        crate::timefmt::parse_auto_str(c.word()?)?
    };
    c.spaces();
    let host = c.word()?;
    let (app, pid, message) = tag(c.rest());
    fields.push(("ts", ts_value(ts)));
    fields.push(("host", Value::String(host.to_owned())));
    fields.push(("app", app));
    fields.push(("pid", pid));
    fields.push(("message", Value::String(message.to_owned())));
    Some(fields)
}

/// `sshd[123]: text` as (app, pid, message); a line without a tag (`last
/// message repeated 2 times`) has a null app and pid.
fn tag(rest: &str) -> (Value, Value, &str) {
    let b = rest.as_bytes();
    let end = b
        .iter()
        .position(|&c| c == b':' || c == b'[' || c == b' ')
        .unwrap_or(b.len());
    if end == 0 {
        return (Value::Null, Value::Null, rest);
    }
    let app = &rest[..end];
    match b.get(end) {
        Some(b':') => (
            Value::String(app.to_owned()),
            Value::Null,
            rest[end + 1..]
                .strip_prefix(' ')
                .unwrap_or(&rest[end + 1..]),
        ),
        Some(b'[') => {
            let Some(close) = rest[end..].find("]:") else {
                return (Value::Null, Value::Null, rest);
            };
            let pid = &rest[end + 1..end + close];
            let pid = small_uint(pid).map_or_else(|| Value::String(pid.to_owned()), Value::from);
            let msg = &rest[end + close + 2..];
            (
                Value::String(app.to_owned()),
                pid,
                msg.strip_prefix(' ').unwrap_or(msg),
            )
        }
        _ => (Value::Null, Value::Null, rest),
    }
}

/// After `<PRI>1 `: TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG.
fn rfc5424(
    mut c: Scan<'_>,
    mut fields: Vec<(&'static str, Value)>,
) -> Option<Vec<(&'static str, Value)>> {
    let ts = c.word()?;
    let ts = if ts == "-" {
        Value::Null
    } else {
        ts_value(crate::timefmt::parse_auto_str(ts)?)
    };
    let host = c.word()?;
    let app = c.word()?;
    let pid = c.word()?;
    let msgid = c.word()?;
    let sd = structured_data(&mut c)?;
    let message = c.rest();
    // A UTF-8 byte order mark may start the message (RFC 5424 §6.4).
    let message = message.strip_prefix('\u{feff}').unwrap_or(message);
    fields.push(("ts", ts));
    fields.push(("host", text_or_null(host)));
    fields.push(("app", text_or_null(app)));
    fields.push((
        "pid",
        small_uint(pid).map_or_else(|| text_or_null(pid), Value::from),
    ));
    fields.push(("msgid", text_or_null(msgid)));
    fields.push(("structured_data", sd));
    fields.push(("message", Value::String(message.to_owned())));
    Some(fields)
}

/// `-` or one or more `[id k="v" …]` elements (a `]` inside a quoted value
/// is escaped as `\]`), as their text.
fn structured_data(c: &mut Scan<'_>) -> Option<Value> {
    if c.eat("-") {
        c.spaces();
        return Some(Value::Null);
    }
    let rest = c.rest();
    let b = rest.as_bytes();
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        let mut in_quotes = false;
        i += 1;
        loop {
            match *b.get(i)? {
                b'\\' => i += 1,
                b'"' => in_quotes = !in_quotes,
                b']' if !in_quotes => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    if i == 0 {
        return None;
    }
    c.pos += i;
    c.spaces();
    Some(Value::String(rest[..i].to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// 2026-06-01T00:00:00Z
    const NOW: i64 = 1_780_272_000_000;

    fn obj(line: &str) -> Option<serde_json::Value> {
        parse(line, NOW).map(|f| f.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[test]
    fn rfc3164_from_a_file() {
        assert_eq!(
            obj("Mar  1 12:00:05 web1 sshd[4242]: Failed password for root from 203.0.113.9 port 22 ssh2"),
            Some(json!({"ts":"2026-03-01T12:00:05.000Z","host":"web1","app":"sshd","pid":4242,"message":"Failed password for root from 203.0.113.9 port 22 ssh2"}))
        );
    }

    #[test]
    fn rfc3164_with_pri_and_no_pid() {
        assert_eq!(
            obj("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"),
            Some(
                json!({"facility":"auth","severity":"crit","ts":"2025-10-11T22:14:15.000Z","host":"mymachine","app":"su","pid":null,"message":"'su root' failed for lonvick on /dev/pts/8"})
            )
        );
    }

    #[test]
    fn a_date_in_the_future_is_last_year() {
        assert_eq!(
            obj("Jun  1 23:00:00 h a: x").unwrap()["ts"],
            json!("2026-06-01T23:00:00.000Z")
        );
        assert_eq!(
            obj("Jun  3 00:00:00 h a: x").unwrap()["ts"],
            json!("2025-06-03T00:00:00.000Z")
        );
        assert_eq!(
            obj("Dec 31 23:59:59 h a: x").unwrap()["ts"],
            json!("2025-12-31T23:59:59.000Z")
        );
    }

    #[test]
    fn rsyslog_high_precision() {
        assert_eq!(
            obj("2026-03-01T12:00:05.123456+01:00 web1 systemd[1]: Started Session 7 of User alice."),
            Some(json!({"ts":"2026-03-01T11:00:05.123Z","host":"web1","app":"systemd","pid":1,"message":"Started Session 7 of User alice."}))
        );
    }

    #[test]
    fn no_tag() {
        let f = obj("Mar  1 12:00:05 web1 last message repeated 3 times").unwrap();
        assert_eq!(f["app"], json!(null));
        assert_eq!(f["message"], json!("last message repeated 3 times"));
    }

    #[test]
    fn rfc5424() {
        assert_eq!(
            obj(
                r#"<165>1 2026-03-01T12:00:05.003Z web1.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="App\]lication"][x@1 a="b"] An application event"#
            ),
            Some(
                json!({"facility":"local4","severity":"notice","ts":"2026-03-01T12:00:05.003Z","host":"web1.example.com","app":"evntslog","pid":null,"msgid":"ID47","structured_data":r#"[exampleSDID@32473 iut="3" eventSource="App\]lication"][x@1 a="b"]"#,"message":"An application event"})
            )
        );
        assert_eq!(
            obj("<13>1 2026-03-01T12:00:05Z h app 77 - - hello").unwrap()["pid"],
            json!(77)
        );
    }

    #[test]
    fn not_syslog() {
        for line in [
            "",
            "hello",
            "<999>Mar  1 12:00:05 h a: x",
            "Foo  1 12:00:05 h a: x",
            "<13>1 yesterday h a - - - x",
        ] {
            assert_eq!(parse(line, NOW), None, "{line}");
        }
    }
}
