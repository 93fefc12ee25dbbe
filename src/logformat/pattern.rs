//! `parse "PATTERN" as a, b, …`: a pattern of literal text and `*`
//! wildcards, as in angle-grinder, with no regex to write:
//!
//! ```text
//! parse "* - - [*] \"* * *\" * *" as ip, ts, method, path, proto, status, bytes
//! ```
//!
//! The text is searched for the pattern's first literal (anywhere, so
//! `parse "took *ms" as ms` finds it mid-line); each `*` then matches as
//! little as it can: up to the first place where the literal after it
//! appears. A `*` at the end takes the rest of the text. Every literal must
//! be found, or the text does not match. Captures are typed like CSV cells
//! (`"148"` is the number 148); a name `_` drops its capture. In the
//! literal text `\t` is a tab, `\n` a newline (between the lines of a
//! `--multiline-start` event) and `\*` a `*` that is text, not a capture.

use crate::value::{typed_cell, Value};

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Lit(String),
    Star,
}

#[derive(Debug, Clone)]
pub struct Pattern {
    pieces: Vec<Piece>,
    /// One per `*`; `None` for `_`.
    names: Vec<Option<String>>,
    /// Finders for each literal, in order (`memchr::memmem` is fast on the
    /// short separators patterns have).
    finders: Vec<memchr::memmem::Finder<'static>>,
}

impl Pattern {
    /// The pattern and the names of its captures; a message for the user if
    /// they do not fit.
    pub fn new(pattern: &str, names: &[String]) -> Result<Pattern, String> {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut chars = pattern.chars().peekable();
        while let Some(ch) = chars.next() {
            if ch == '\\' {
                let escaped = match chars.peek() {
                    Some('t') => Some('\t'),
                    Some('n') => Some('\n'),
                    Some('*') => Some('*'),
                    _ => None,
                };
                if let Some(e) = escaped {
                    chars.next();
                    lit.push(e);
                    continue;
                }
            }
            if ch == '*' {
                if !lit.is_empty() {
                    pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                } else if pieces.last() == Some(&Piece::Star) {
                    return Err("two `*` in a row cannot be told apart; put the text between them in the pattern".into());
                }
                pieces.push(Piece::Star);
            } else {
                lit.push(ch);
            }
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        let stars = pieces.iter().filter(|p| **p == Piece::Star).count();
        if stars == 0 {
            return Err(
                "the pattern has no `*` to capture; write `*` where a field's text is".into(),
            );
        }
        if stars != names.len() {
            return Err(format!(
                "the pattern has {stars} `*` but {} name(s) follow `as`; give one name per `*` (`_` to drop one)",
                names.len()
            ));
        }
        let finders = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Lit(l) => Some(memchr::memmem::Finder::new(l.as_bytes()).into_owned()),
                Piece::Star => None,
            })
            .collect();
        Ok(Pattern {
            pieces,
            names: names
                .iter()
                .map(|n| (n != "_").then(|| n.clone()))
                .collect(),
            finders,
        })
    }

    /// The name of each `*`, in order (`None` for `_`).
    pub fn capture_names(&self) -> impl Iterator<Item = Option<&str>> {
        self.names.iter().map(|n| n.as_deref())
    }

    /// The names of the fields it makes, in order.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().flatten().map(String::as_str)
    }

    /// The captures of `text` as (name index, capture), or `None` when it
    /// does not match.
    pub fn captures<'t>(&self, text: &'t str, mut each: impl FnMut(usize, &'t str)) -> bool {
        let b = text.as_bytes();
        let mut pos = 0;
        let mut star = 0;
        let mut lit = 0;
        let mut open: Option<usize> = None;
        for piece in &self.pieces {
            match piece {
                Piece::Star => open = Some(pos),
                Piece::Lit(l) => {
                    let Some(at) = self.finders[lit].find(&b[pos..]) else {
                        return false;
                    };
                    lit += 1;
                    if let Some(start) = open.take() {
                        each(star, &text[start..pos + at]);
                        star += 1;
                    }
                    pos += at + l.len();
                }
            }
        }
        if let Some(start) = open {
            each(star, &text[start..]);
        }
        true
    }

    /// The fields of `text`, or `None` when it does not match.
    pub fn parse(&self, text: &str) -> Option<Vec<(String, Value)>> {
        let mut out = Vec::with_capacity(self.names.len());
        let ok = self.captures(text, |i, cap| {
            if let Some(name) = &self.names[i] {
                out.push((name.clone(), typed_cell(cap)));
            }
        });
        ok.then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(pattern: &str, names: &str, text: &str) -> Option<serde_json::Value> {
        let names: Vec<String> = names.split(", ").map(str::to_owned).collect();
        let p = Pattern::new(pattern, &names).unwrap();
        p.parse(text).map(|f| f.into_iter().collect())
    }

    #[test]
    fn common_log() {
        assert_eq!(
            run(
                r#"* - - [*] "* * *" * *"#,
                "ip, ts, method, path, proto, status, bytes",
                r#"10.0.0.1 - - [01/Mar/2026:12:00:05 +0000] "GET /a HTTP/1.1" 200 512"#
            ),
            Some(
                json!({"ip":"10.0.0.1","ts":"01/Mar/2026:12:00:05 +0000","method":"GET","path":"/a","proto":"HTTP/1.1","status":200,"bytes":512})
            )
        );
    }

    #[test]
    fn found_mid_line_and_lazy() {
        assert_eq!(
            run("took *ms", "ms", "GET /a took 148ms, then 3ms"),
            Some(json!({"ms":148}))
        );
        assert_eq!(
            run("a=* b=*", "a, b", "x a=1 2 b=3 b=4"),
            Some(json!({"a":"1 2","b":"3 b=4"}))
        );
    }

    #[test]
    fn underscore_drops_a_capture() {
        assert_eq!(run("* * *", "_, b, _", "1 2 3"), Some(json!({"b":2})));
    }

    #[test]
    fn every_literal_must_be_found() {
        assert_eq!(run("[*]", "x", "no brackets"), None);
        assert_eq!(run("* - *;", "a, b", "1 - 2"), None);
    }

    #[test]
    fn bad_patterns_are_explained() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(Pattern::new("**", &names(&["a", "b"]))
            .unwrap_err()
            .contains("two `*` in a row"));
        assert!(Pattern::new("abc", &names(&[]))
            .unwrap_err()
            .contains("no `*`"));
        assert!(Pattern::new("* *", &names(&["a"]))
            .unwrap_err()
            .contains("2 `*` but 1 name"));
    }
}
