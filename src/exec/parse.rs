//! `parse regex "RE" [from f]`, `parse logfmt [from f]`, `parse json [from f]`:
//! turn one text field into fields. An event whose field is missing or does
//! not match passes on unchanged and is counted as unparsed (`--stats`).

use regex::Regex;

use crate::logformat::pattern::Pattern;
use crate::logformat::LogFormat;

use super::{Emit, ExecResult, Operator};
use crate::event::Event;
use crate::input::logfmt::parse_logfmt;
use crate::value::{typed_cell, Value};

pub enum Parser {
    Regex(Regex),
    Logfmt,
    Json,
    /// `parse nginx`, `parse syslog`, … (see `logformat`).
    Format(LogFormat),
    /// `parse "* [*]" as a, b`.
    Pattern(Pattern),
}

pub struct Parse {
    pub parser: Parser,
    pub from: Vec<String>,
}

impl Parse {
    /// The fields to add, or `None` when the text does not parse.
    fn extract(&self, text: &str) -> Option<Vec<(String, Value)>> {
        match &self.parser {
            Parser::Regex(re) => {
                let caps = re.captures(text)?;
                Some(
                    re.capture_names()
                        .enumerate()
                        .filter_map(|(i, name)| {
                            let name = name?;
                            let value = caps.get(i).map_or(Value::Null, |m| typed_cell(m.as_str()));
                            Some((name.to_owned(), value))
                        })
                        .collect(),
                )
            }
            Parser::Logfmt => Some(parse_logfmt(text).ok()?.into_iter().collect()),
            Parser::Json => match serde_json::from_str::<Value>(text).ok()? {
                Value::Object(m) => Some(m.into_iter().collect()),
                _ => None,
            },
            Parser::Format(f) => Some(
                f.parse(text, crate::run::now_ms())?
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            ),
            Parser::Pattern(p) => p.parse(text),
        }
    }
}

impl Operator for Parse {
    fn on_event(&mut self, mut ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        let fields = match ev.get_path(&self.from).as_deref() {
            Some(Value::String(text)) => self.extract(text),
            _ => None,
        };
        match fields {
            // Edited, not decoded: the new fields are kept beside the bytes.
            Some(fields) => {
                for (k, v) in fields {
                    ev.set_owned(k, v);
                }
            }
            None => out.stats().unparsed += 1,
        }
        out.emit(ev)
    }
}
