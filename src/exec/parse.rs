//! `parse regex "RE" [from f]`, `parse logfmt [from f]`, `parse json [from f]`,
//! `parse FORMAT`, `parse "PATTERN" as …`: turn one text field into fields.
//! An event whose field is missing or does not match passes on unchanged
//! and is counted as unparsed (`--stats`).
//!
//! This runs once per line of logs of many gigabytes, so: the text of a
//! `lines` event is read where it lies (not copied); only the fields the
//! rest of the pipeline reads are made (`Want`, worked out by the plan: up
//! to the first stage that makes rows of its own, and the time field), with
//! names that live for the run (no allocation per field name); and a regex
//! is run with its unread named groups made non-capturing (the same
//! matches, fewer captures to track). Output is identical either way.

use std::borrow::Cow;

use regex::{CaptureLocations, Regex};

use crate::event::{Event, RawFormat};
use crate::input::logfmt::parse_logfmt;
use crate::logformat::access::{self, AccessScan};
use crate::logformat::pattern::Pattern;
use crate::logformat::{LogFormat, Want};
use crate::value::{typed_cell, Value};

use super::{Emit, ExecResult, Operator};

pub enum Parser {
    Regex(RegexParser),
    Logfmt,
    Json,
    /// `parse nginx`, `parse syslog`, … (see `logformat`), making the
    /// fields wanted.
    Format(LogFormat, Want),
    /// `parse "* [*]" as a, b`, and the name to give each capture (`None`:
    /// dropped, or not wanted).
    Pattern(Pattern, Vec<Option<&'static str>>),
}

impl Parser {
    /// `parse "…" as …` making the fields `want` names.
    pub fn pattern(p: Pattern, want: &Want) -> Parser {
        let names = p
            .capture_names()
            .map(|n| n.filter(|n| want.has(n)).map(leak))
            .collect();
        Parser::Pattern(p, names)
    }
}

/// A regex and the named groups to make fields of.
pub struct RegexParser {
    re: Regex,
    /// (group index in `re`, field name), in the order of the groups.
    groups: Vec<(usize, &'static str)>,
    locs: CaptureLocations,
}

impl RegexParser {
    /// `re` making the fields `want` names.
    pub fn new(re: Regex, want: &Want) -> RegexParser {
        let re = narrow(&re, want).unwrap_or(re);
        let groups = re
            .capture_names()
            .enumerate()
            .filter_map(|(i, n)| Some((i, n.filter(|n| want.has(n))?)))
            .map(|(i, n)| (i, leak(n)))
            .collect();
        let locs = re.capture_locations();
        RegexParser { re, groups, locs }
    }

    fn fields(&mut self, text: &str, out: &mut Vec<(&'static str, Value)>) -> bool {
        if self.groups.is_empty() {
            return self.re.is_match(text);
        }
        if self.re.captures_read(&mut self.locs, text).is_none() {
            return false;
        }
        for &(i, name) in &self.groups {
            let v = self
                .locs
                .get(i)
                .map_or(Value::Null, |(s, e)| typed_cell(&text[s..e]));
            out.push((name, v));
        }
        true
    }
}

/// A field name kept for the whole run, so that setting it on an event
/// allocates nothing (a few bytes per name, once per pipeline).
fn leak(name: &str) -> &'static str {
    Box::leak(name.to_owned().into_boxed_str())
}

/// `re` with its named groups that `want` does not name made non-capturing
/// (`(?P<x>…)` → `(?:…)`): the same matches, and the same captures for the
/// other groups. `None` when there is nothing to drop, or when the rewritten
/// regex does not have exactly the wanted groups (then `re` is used as is).
pub fn narrow(re: &Regex, want: &Want) -> Option<Regex> {
    let src = re.as_str();
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let (mut i, mut copied, mut class) = (0, 0, 0usize);
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' => {
                class += 1;
                // `[]…]` and `[^]…]`: a `]` first in a class is a literal.
                let mut j = i + 1;
                if b.get(j) == Some(&b'^') {
                    j += 1;
                }
                if b.get(j) == Some(&b']') {
                    i = j;
                }
            }
            b']' if class > 0 => class -= 1,
            b'(' if class == 0 => {
                let rest = &src[i..];
                let open = ["(?P<", "(?<"].into_iter().find(|o| rest.starts_with(o));
                if let Some(open) = open {
                    let name_end = i + open.len() + rest[open.len()..].find('>')?;
                    if !want.has(&src[i + open.len()..name_end]) {
                        out.push_str(&src[copied..i]);
                        out.push_str("(?:");
                        copied = name_end + 1;
                        i = name_end;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&src[copied..]);
    let narrowed = Regex::new(&out).ok()?;
    let wanted: Vec<&str> = re
        .capture_names()
        .flatten()
        .filter(|n| want.has(n))
        .collect();
    let kept: Vec<&str> = narrowed.capture_names().flatten().collect();
    (kept == wanted && narrowed.captures_len() == kept.len() + 1).then_some(narrowed)
}

pub struct Parse {
    pub parser: Parser,
    pub from: Vec<String>,
    /// `from` is `line`, the text of a `lines` event (whose parts the
    /// reader thread may have found, see `Event::access_scan`).
    from_line: bool,
    /// Time is read right after this `parse nginx` from its `ts`: set the
    /// event's time from the instant read (`plan::Plan::time_hint`).
    time_hint: bool,
    /// The fields made, reused from event to event.
    buf: Vec<(&'static str, Value)>,
}

impl Parse {
    pub fn new(parser: Parser, from: Vec<String>) -> Parse {
        Parse {
            parser,
            from_line: from == ["line"],
            from,
            time_hint: false,
            buf: Vec::new(),
        }
    }

    pub fn set_time_hint(&mut self, on: bool) {
        self.time_hint = on;
    }
}

/// The text to parse: a `lines` event's line where it lies, else the
/// field's string value (anything else is not parsed).
fn source_text<'a>(ev: &Event<'a>, from: &[String]) -> Option<Cow<'a, str>> {
    if let ([name], Some((_, RawFormat::Lines))) = (from, ev.unchanged_raw()) {
        if let Some(text) = ev.get_cell(name) {
            return Some(text);
        }
    }
    match ev.get_path(from)?.into_owned() {
        Value::String(s) => Some(Cow::Owned(s)),
        _ => None,
    }
}

/// The wall clock, for the formats that need it (a syslog date has no
/// year); not read for the others, once per line.
fn year_clock(f: LogFormat) -> i64 {
    match f {
        LogFormat::Syslog => crate::run::now_ms(),
        _ => 0,
    }
}

/// Set fields whose names are known only now (`parse logfmt`, `parse json`).
fn set_all(ev: &mut Event<'_>, fields: Option<Vec<(String, Value)>>) -> bool {
    let Some(fields) = fields else {
        return false;
    };
    for (k, v) in fields {
        ev.set_owned(k, v);
    }
    true
}

/// The line and the access-log parts the reader thread found in it
/// (preindex), while no stage has changed that `lines` line.
fn scanned<'a>(ev: &Event<'a>, from_line: bool) -> Option<(&'a [u8], &'a AccessScan)> {
    match (ev.access_scan(), ev.unchanged_raw()) {
        (Some(scan), Some((line, RawFormat::Lines))) if from_line => Some((line, scan)),
        _ => None,
    }
}

/// The wanted fields of an access-log line from its parts; and when time is
/// read right after this parse from its `ts`, the event's time, as read.
fn access_fields(
    line: &[u8],
    scan: &AccessScan,
    want: &Want,
    time_hint: bool,
    ev: &mut Event<'_>,
    buf: &mut Vec<(&'static str, Value)>,
) {
    access::fields(line, scan, want, buf);
    if time_hint {
        ev.set_time(Some(scan.ts()));
    }
}

impl Operator for Parse {
    fn on_event(&mut self, mut ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        let Parse {
            parser,
            from,
            from_line,
            time_hint,
            buf,
        } = self;
        buf.clear();
        let parsed = match (parser, scanned(&ev, *from_line)) {
            // Scanned ahead: only the wanted parts of the line are read
            // (its UTF-8 was checked when it was decoded).
            (Parser::Format(LogFormat::Access, want), Some((line, scan))) => {
                access_fields(line, scan, want, *time_hint, &mut ev, buf);
                true
            }
            (parser, _) => {
                let Some(text) = source_text(&ev, from) else {
                    out.stats().unparsed += 1;
                    return out.emit(ev);
                };
                match parser {
                    Parser::Regex(r) => r.fields(&text, buf),
                    Parser::Format(LogFormat::Access, want) => match access::scan(&text) {
                        Some(scan) => {
                            access_fields(text.as_bytes(), &scan, want, *time_hint, &mut ev, buf);
                            true
                        }
                        None => false,
                    },
                    Parser::Format(f, want) => f.parse(&text, year_clock(*f), want, buf),
                    Parser::Pattern(p, names) => p.captures(&text, |i, cap| {
                        if let Some(name) = names[i] {
                            buf.push((name, typed_cell(cap)));
                        }
                    }),
                    Parser::Logfmt => set_all(
                        &mut ev,
                        parse_logfmt(&text).ok().map(|m| m.into_iter().collect()),
                    ),
                    Parser::Json => set_all(
                        &mut ev,
                        match serde_json::from_str::<Value>(&text) {
                            Ok(Value::Object(m)) => Some(m.into_iter().collect()),
                            _ => None,
                        },
                    ),
                }
            }
        };
        if !parsed {
            // A pattern may have captured some before a literal was missing.
            buf.clear();
            out.stats().unparsed += 1;
        }
        // Edited, not decoded: the new fields are kept beside the bytes.
        for (k, v) in buf.drain(..) {
            ev.append_field(k, Cow::Owned(v));
        }
        out.emit(ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every subset of `names`, as a `Want`.
    fn subsets(names: &[&str]) -> Vec<Want> {
        (0..1u32 << names.len())
            .map(|bits| {
                Want::only(
                    (0..names.len())
                        .filter(|i| bits & (1 << i) != 0)
                        .map(|i| names[i].to_string())
                        .collect(),
                )
            })
            .collect()
    }

    fn run(r: &mut RegexParser, text: &str) -> Option<Vec<(&'static str, Value)>> {
        let mut out = Vec::new();
        r.fields(text, &mut out).then_some(out)
    }

    /// The fast path (unread groups made non-capturing) against the slow
    /// one (every group captured, the unwanted ones dropped after).
    #[test]
    fn a_narrowed_regex_gives_the_wanted_captures_of_the_whole_one() {
        let cases: &[(&str, &[&str])] = &[
            (
                r#"^(?P<ip>\S+) \S+ (?P<user>\S+) \[(?P<ts>[^\]]+)\] "(?P<method>\S+) (?P<path>\S+) (?P<proto>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+|-)"#,
                &[
                    r#"1.2.3.4 - - [01/Mar/2026:12:00:05 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl""#,
                    r#"1.2.3.4 - bob [01/Mar/2026:12:00:05 +0000] "POST /b?x=(y) HTTP/2" 503 - "#,
                    "junk",
                ],
            ),
            // Groups inside a class, escaped parentheses, `(?<n>` syntax,
            // nested and optional groups, a `]` first in a class.
            (
                r"[(?P<x>]\(?P<y>(?<a>\w+)(?:-(?P<b>(?P<c>\d)\d*))?[]a]?",
                &["(?P<y>word-12]", "P<y>w", "(P<y>no-x"],
            ),
        ];
        for (src, texts) in cases {
            let re = Regex::new(src).unwrap();
            let names: Vec<&str> = re.capture_names().flatten().collect();
            let mut whole = RegexParser::new(re.clone(), &Want::all());
            for want in subsets(&names) {
                let mut narrow = RegexParser::new(re.clone(), &want);
                for text in *texts {
                    let mut expect = run(&mut whole, text);
                    if let Some(f) = &mut expect {
                        f.retain(|(k, _)| want.has(k));
                    }
                    assert_eq!(run(&mut narrow, text), expect, "{src} {want:?} {text}");
                }
            }
        }
    }

    #[test]
    fn the_usual_access_regex_is_narrowed_to_what_is_read() {
        let re = Regex::new(r"^(?P<ip>\S+) \[(?P<ts>[^\]]+)\] (?P<status>\d{3})").unwrap();
        let r = RegexParser::new(re, &Want::only(vec!["status".into()]));
        assert_eq!(r.re.as_str(), r"^(?:\S+) \[(?:[^\]]+)\] (?P<status>\d{3})");
        let re = Regex::new(r"[(?P<x>](?P<y>.)").unwrap();
        let r = RegexParser::new(re, &Want::only(vec!["y".into()]));
        assert_eq!(r.re.as_str(), r"[(?P<x>](?P<y>.)", "a class is not a group");
    }

    #[test]
    fn an_access_log_line_gives_the_wanted_fields_of_the_whole_parse() {
        let names = crate::logformat::access::FIELDS;
        let lines = [
            r#"203.0.113.9 - alice [01/Mar/2026:12:00:05 +0100] "GET /a?x=1 HTTP/1.1" 200 512 "https://ex.com/" "curl/8.5""#,
            r#"::1 - - [01/Mar/2026:12:00:05 +0000] "-" 400 -"#,
            r#"1.2.3.4 - - [01/Mar/2026:12:00:05 +0000] "\x16\x03" 400 157 "-" "-""#,
            r#"1.2.3.4 - - [01/Mar/2026:12:00:05 +0000] "GET / HTTP/1.1" abc 1"#,
            r#"1.2.3.4 - - [01/Mar/2026:12:00:05 +0000] "GET / HTTP/1.1" 200 1 "-" "unterminated"#,
        ];
        for want in subsets(&names) {
            for line in lines {
                let parse = |want: &Want| {
                    let mut f = Vec::new();
                    LogFormat::Access.parse(line, 0, want, &mut f).then_some(f)
                };
                let mut expect = parse(&Want::all());
                if let Some(f) = &mut expect {
                    f.retain(|(k, _)| want.has(k));
                }
                assert_eq!(parse(&want), expect, "{line}");
            }
        }
    }
}
