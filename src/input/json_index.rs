//! A one-pass validator and indexer for a JSON object line.
//!
//! Why: fully decoding every event into a map costs more than the rest of a
//! `where status >= 500` pipeline together. Instead we walk the line once,
//! check that it is well-formed JSON, and record where each top-level member's
//! key and value sit. A stage then decodes only the values it reads, and an
//! unchanged event is written back as its original bytes.
//!
//! It must not accept what serde_json would reject for a top-level object,
//! apart from the recursion limit it shares (128 levels).

use memchr::memchr2;

/// Where one top-level `"key": value` sits in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// Key bytes between the quotes (still escaped if `key_escaped`).
    pub key_start: u32,
    pub key_end: u32,
    /// The raw JSON value text.
    pub val_start: u32,
    pub val_end: u32,
    pub key_escaped: bool,
}

impl Member {
    pub fn key<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.key_start as usize..self.key_end as usize]
    }
    pub fn value<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.val_start as usize..self.val_end as usize]
    }
}

const MAX_DEPTH: usize = 128;

/// Validate `line` as one JSON object and fill `out` with its top-level members.
/// On error, returns a reason that names the byte column (1-based).
pub fn index_object(line: &[u8], out: &mut Vec<Member>) -> Result<(), String> {
    out.clear();
    if line.len() > u32::MAX as usize {
        return Err("line too long to index".into());
    }
    let mut p = Parser { s: line, i: 0 };
    p.ws();
    if p.peek() != Some(b'{') {
        return Err(match p.peek() {
            None => "empty line where a JSON object was expected".into(),
            Some(_) => format!("expected a JSON object at column {}", p.i + 1),
        });
    }
    p.i += 1;
    p.ws();
    if p.peek() == Some(b'}') {
        p.i += 1;
    } else {
        loop {
            p.ws();
            if p.peek() != Some(b'"') {
                return Err(p.err("expected a string key"));
            }
            let (ks, ke, escaped) = p.string()?;
            p.ws();
            if p.peek() != Some(b':') {
                return Err(p.err("expected `:` after key"));
            }
            p.i += 1;
            p.ws();
            let vs = p.i;
            p.value(1)?;
            out.push(Member {
                key_start: ks as u32,
                key_end: ke as u32,
                val_start: vs as u32,
                val_end: p.i as u32,
                key_escaped: escaped,
            });
            p.ws();
            match p.peek() {
                Some(b',') => p.i += 1,
                Some(b'}') => {
                    p.i += 1;
                    break;
                }
                _ => return Err(p.err("expected `,` or `}`")),
            }
        }
    }
    p.ws();
    if p.i != line.len() {
        return Err(p.err("unexpected text after the JSON object"));
    }
    Ok(())
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn err(&self, what: &str) -> String {
        match self.peek() {
            None => format!("invalid JSON: {what}, found end of line"),
            Some(c) => format!(
                "invalid JSON: {what} at column {}, found `{}`",
                self.i + 1,
                (c as char).escape_default()
            ),
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// At an opening quote: returns (content start, content end, had escapes).
    fn string(&mut self) -> Result<(usize, usize, bool), String> {
        self.i += 1;
        let start = self.i;
        let mut escaped = false;
        loop {
            let rest = &self.s[self.i..];
            let Some(off) = memchr2(b'"', b'\\', rest) else {
                self.i = self.s.len();
                return Err("invalid JSON: unterminated string".into());
            };
            // Control characters are not allowed raw inside JSON strings.
            if rest[..off].iter().any(|&c| c < 0x20) {
                let at = self.i + rest[..off].iter().position(|&c| c < 0x20).unwrap_or(0);
                return Err(format!(
                    "invalid JSON: control character in string at column {}",
                    at + 1
                ));
            }
            self.i += off;
            if self.s[self.i] == b'"' {
                let end = self.i;
                self.i += 1;
                return Ok((start, end, escaped));
            }
            escaped = true;
            self.i += 1;
            match self.peek() {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                Some(b'u') => {
                    let hex = self.s.get(self.i + 1..self.i + 5);
                    if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                        return Err(self.err("bad \\u escape"));
                    }
                    self.i += 5;
                }
                _ => return Err(self.err("bad escape in string")),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("invalid JSON: nested too deeply".into());
        }
        match self.peek() {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'{') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.err("expected a string key"));
                    }
                    self.string()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err(self.err("expected `:`"));
                    }
                    self.i += 1;
                    self.ws();
                    self.value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(self.err("expected `,` or `}`")),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    self.value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(self.err("expected `,` or `]`")),
                    }
                }
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err("expected a value")),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), String> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.err("expected a value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<(), String> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("bad number")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("bad number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("bad number"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(line: &str) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        index_object(line.as_bytes(), &mut out)?;
        Ok(out
            .iter()
            .map(|m| {
                (
                    String::from_utf8(m.key(line.as_bytes()).to_vec()).unwrap(),
                    String::from_utf8(m.value(line.as_bytes()).to_vec()).unwrap(),
                )
            })
            .collect())
    }

    #[test]
    fn indexes_top_level_members() {
        let got = keys(r#"{"a": 1, "b":{"c":[1,2,{"d":null}]} ,"e":"x\"y"}"#).unwrap();
        assert_eq!(
            got,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), r#"{"c":[1,2,{"d":null}]}"#.into()),
                ("e".into(), r#""x\"y""#.into()),
            ]
        );
        assert_eq!(keys("{}").unwrap(), vec![]);
        assert_eq!(keys("  { } ").unwrap(), vec![]);
    }

    #[test]
    fn rejects_what_serde_rejects() {
        for bad in [
            "",
            "[1]",
            "{",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":tru}"#,
            r#"{"a":"x}"#,
            r#"{"a":"\q"}"#,
            r#"{"a":[1,2}"#,
            r#"{"a":1} x"#,
            "{\"a\":\"\t\"}",
            r#"{a:1}"#,
        ] {
            assert!(keys(bad).is_err(), "accepted {bad:?}");
            assert!(serde_json::from_str::<serde_json::Value>(bad).is_err() || bad == "[1]");
        }
    }

    #[test]
    fn agrees_with_serde_on_valid_objects() {
        for good in [
            r#"{"a":-0.5e+3,"b":true,"c":false,"d":null,"e":"\u00e9\n"}"#,
            r#"{"nested":{"deep":[[[]]],"x":{}}}"#,
        ] {
            assert!(keys(good).is_ok());
            assert!(serde_json::from_str::<serde_json::Value>(good).is_ok());
        }
    }

    #[test]
    fn depth_is_limited_without_stack_overflow() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(keys(&deep).is_err());
    }
}
