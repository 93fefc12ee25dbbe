//! logfmt: `key=value key="quoted value" flag`. Values are typed like CSV
//! cells; a bare key without `=` is `true` (as in Go's logfmt).

use serde_json::Map;

use crate::value::{typed_cell, Value};

/// Parse one logfmt line. Errors name the character column.
pub fn parse_logfmt(text: &str) -> Result<Map<String, Value>, String> {
    let mut map = Map::new();
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
                return Err(format!(
                    "logfmt: unexpected `\"` in a key at column {}",
                    i + 1
                ));
            }
            i += 1;
        }
        let key = &text[key_start..i];
        if key.is_empty() {
            return Err(format!("logfmt: expected a key at column {}", i + 1));
        }
        if i >= b.len() || b[i] != b'=' {
            map.insert(key.to_owned(), Value::Bool(true));
            continue;
        }
        i += 1; // '='
        if i < b.len() && b[i] == b'"' {
            i += 1;
            let mut s = String::new();
            let mut closed = false;
            let mut seg = i;
            while i < b.len() {
                match b[i] {
                    b'"' => {
                        s.push_str(&text[seg..i]);
                        i += 1;
                        closed = true;
                        break;
                    }
                    b'\\' if i + 1 < b.len() => {
                        s.push_str(&text[seg..i]);
                        match b[i + 1] {
                            b'n' => s.push('\n'),
                            b't' => s.push('\t'),
                            b'r' => s.push('\r'),
                            c @ (b'"' | b'\\') => s.push(c as char),
                            _ => s.push_str(&text[i..i + 2]),
                        }
                        i += 2;
                        seg = i;
                    }
                    _ => i += 1,
                }
            }
            if !closed {
                return Err(format!("logfmt: unterminated quoted value for `{key}`"));
            }
            // A quoted value is always a string: quoting says "this is text".
            map.insert(key.to_owned(), Value::String(s));
        } else {
            let v_start = i;
            while i < b.len() && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            map.insert(key.to_owned(), typed_cell(&text[v_start..i]));
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(parse_logfmt(r#"a="open"#)
            .unwrap_err()
            .contains("unterminated"));
        assert!(parse_logfmt("=x").is_err());
    }
}
