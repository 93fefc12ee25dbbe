//! `parse apache_error`: Apache httpd's error log, 2.4 and 2.2 style:
//!
//! ```text
//! [Sun Mar 01 12:00:05.123456 2026] [core:error] [pid 1234:tid 5678] [client 10.0.0.1:5555] AH00124: Request exceeded the limit
//! [Sun Mar 01 12:00:05 2026] [error] [client 10.0.0.1] File does not exist: /var/www/favicon.ico
//! ```
//!
//! Fields, always all present (null when the line has no such part):
//! `ts`, `module`, `level`, `pid` and `tid` (integers), `client`, `code`
//! (`AH00124`), `message`.

use super::access::small_uint;
use super::scan::Scan;
use super::ts_value;
use crate::value::Value;

pub fn parse(line: &str) -> Option<Vec<(&'static str, Value)>> {
    let mut c = Scan::new(line);
    let ts = crate::timefmt::parse_apache_error_time(c.bracketed()?)?;
    let level_part = c.bracketed()?;
    let (module, level) = match level_part.split_once(':') {
        Some((m, l)) => (Value::String(m.to_owned()), l),
        None => (Value::Null, level_part),
    };
    if level.is_empty() || !level.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let (mut pid, mut tid, mut client) = (Value::Null, Value::Null, Value::Null);
    while c.rest().starts_with('[') {
        let before = c.pos;
        let Some(group) = c.bracketed() else { break };
        if let Some(p) = group.strip_prefix("pid ") {
            let (p, t) = match p.split_once(":tid ") {
                Some((p, t)) => (p, Some(t)),
                None => (p, None),
            };
            pid = small_uint(p).map_or(Value::Null, Value::from);
            tid = t.and_then(small_uint).map_or(Value::Null, Value::from);
        } else if let Some(addr) = group.strip_prefix("client ") {
            client = Value::String(addr.to_owned());
        } else {
            // Not one of the known parts: the message starts here.
            c.pos = before;
            break;
        }
    }
    let message = c.rest();
    let (code, message) = match message.split_once(": ") {
        Some((code, rest)) if is_code(code) => (Value::String(code.to_owned()), rest),
        _ => (Value::Null, message),
    };
    Some(vec![
        ("ts", ts_value(ts)),
        ("module", module),
        ("level", Value::String(level.to_owned())),
        ("pid", pid),
        ("tid", tid),
        ("client", client),
        ("code", code),
        ("message", Value::String(message.to_owned())),
    ])
}

/// `AH` and five digits: Apache's message codes.
fn is_code(s: &str) -> bool {
    s.len() == 7 && s.starts_with("AH") && s[2..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(line: &str) -> Option<serde_json::Value> {
        parse(line).map(|f| f.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[test]
    fn apache_2_4() {
        assert_eq!(
            obj("[Sun Mar 01 12:00:05.123456 2026] [core:error] [pid 1234:tid 5678] [client 10.0.0.1:5555] AH00124: Request exceeded the limit of 10 internal redirects"),
            Some(json!({"ts":"2026-03-01T12:00:05.123Z","module":"core","level":"error","pid":1234,"tid":5678,"client":"10.0.0.1:5555","code":"AH00124","message":"Request exceeded the limit of 10 internal redirects"}))
        );
    }

    #[test]
    fn apache_2_2() {
        assert_eq!(
            obj("[Sun Mar 01 12:00:05 2026] [error] [client 10.0.0.1] File does not exist: /var/www/favicon.ico"),
            Some(json!({"ts":"2026-03-01T12:00:05.000Z","module":null,"level":"error","pid":null,"tid":null,"client":"10.0.0.1","code":null,"message":"File does not exist: /var/www/favicon.ico"}))
        );
    }

    #[test]
    fn notice_without_client() {
        let f = obj("[Sun Mar 01 12:00:05.000001 2026] [mpm_event:notice] [pid 99:tid 1] AH00489: Apache/2.4.58 configured -- resuming normal operations").unwrap();
        assert_eq!(f["client"], json!(null));
        assert_eq!(f["code"], json!("AH00489"));
    }

    #[test]
    fn not_an_error_log() {
        assert_eq!(parse("[x] [error] boom"), None);
        assert_eq!(parse("Mar  1 12:00:05 host app: hi"), None);
        assert_eq!(parse(""), None);
    }
}
