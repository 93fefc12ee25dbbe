//! An event flowing through the pipeline.
//!
//! An event read from a JSON line keeps its original bytes and an index of its
//! top-level members; fields are decoded only when a stage reads them, and an
//! event no stage changed is written back byte for byte. The first change
//! decodes the whole object (`fields_mut`) and drops the "unchanged" mark.

use std::borrow::Cow;

use serde_json::Map;

use crate::expr::Fields;
use crate::input::json_index::Member;
use crate::lang::ast::Millis;
use crate::value::Value;

/// Where an event came from: input number and 1-based line, for messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pos {
    pub source: u32,
    pub line: u64,
}

/// The format an event's original bytes are in, so an encoder knows whether
/// it may echo them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawFormat {
    Json,
    Csv,
    Tsv,
    Logfmt,
    Lines,
}

enum Repr<'a> {
    /// A JSON object line, untouched so far.
    Json { members: &'a [Member] },
    /// A decoded object.
    Obj(Map<String, Value>),
}

pub struct Event<'a> {
    /// The input line (without its line ending); empty for rows a stage made.
    line: &'a [u8],
    /// `Some` while no stage has changed the event: the line may be echoed.
    raw_format: Option<RawFormat>,
    repr: Repr<'a>,
    /// Event time in epoch milliseconds, when the pipeline uses time.
    pub time: Option<Millis>,
    pub pos: Pos,
}

impl<'a> Event<'a> {
    /// An untouched JSON line and its member index (see `json_index`).
    pub fn from_json_line(line: &'a [u8], members: &'a [Member], pos: Pos) -> Event<'a> {
        Event {
            line,
            raw_format: Some(RawFormat::Json),
            repr: Repr::Json { members },
            time: None,
            pos,
        }
    }

    /// A decoded line of another format; it keeps its bytes for echo and dead letters.
    pub fn from_decoded(
        line: &'a [u8],
        format: RawFormat,
        fields: Map<String, Value>,
        pos: Pos,
    ) -> Event<'a> {
        Event {
            line,
            raw_format: Some(format),
            repr: Repr::Obj(fields),
            time: None,
            pos,
        }
    }

    /// A row a stage produced (aggregation output, …).
    pub fn new_row(fields: Map<String, Value>, time: Option<Millis>) -> Event<'static> {
        Event {
            line: b"",
            raw_format: None,
            repr: Repr::Obj(fields),
            time,
            pos: Pos::default(),
        }
    }

    /// The original input line (empty for produced rows): for dead letters.
    pub fn line(&self) -> &'a [u8] {
        self.line
    }

    /// The original bytes when no stage changed the event.
    pub fn unchanged_raw(&self) -> Option<(&'a [u8], RawFormat)> {
        self.raw_format.map(|f| (self.line, f))
    }

    /// A top-level field, decoded on demand.
    pub fn get(&self, key: &str) -> Option<Cow<'_, Value>> {
        match &self.repr {
            Repr::Obj(map) => map.get(key).map(Cow::Borrowed),
            Repr::Json { members } => {
                let raw = self.raw_top_level(members, key)?;
                Some(Cow::Owned(decode_json_value(raw)))
            }
        }
    }

    /// The raw JSON text of a top-level field of an untouched JSON event,
    /// for hot paths that hash or compare bytes (group keys).
    pub fn get_raw_json(&self, key: &str) -> Option<&'a [u8]> {
        match &self.repr {
            Repr::Json { members } => self.raw_top_level(members, key),
            Repr::Obj(_) => None,
        }
    }

    fn raw_top_level(&self, members: &'a [Member], key: &str) -> Option<&'a [u8]> {
        // Search from the end: with duplicate keys the last one wins, as in serde_json.
        members.iter().rev().find_map(|m| {
            let k = m.key(self.line);
            let hit = if m.key_escaped {
                serde_json::from_slice::<String>(
                    &self.line[m.key_start as usize - 1..m.key_end as usize + 1],
                )
                .is_ok_and(|s| s == key)
            } else {
                k == key.as_bytes()
            };
            hit.then(|| m.value(self.line))
        })
    }

    /// A field by path (`req.path` is `["req", "path"]`).
    pub fn get_path(&self, path: &[String]) -> Option<Cow<'_, Value>> {
        let (first, rest) = path.split_first()?;
        let top = self.get(first)?;
        if rest.is_empty() {
            return Some(top);
        }
        match top {
            Cow::Borrowed(v) => lookup(v, rest).map(Cow::Borrowed),
            Cow::Owned(v) => lookup(&v, rest).cloned().map(Cow::Owned),
        }
    }

    /// The decoded fields, for a stage that changes the event. After this the
    /// event is no longer written back as its original bytes.
    pub fn fields_mut(&mut self) -> &mut Map<String, Value> {
        self.raw_format = None;
        if let Repr::Json { .. } = self.repr {
            self.repr = Repr::Obj(decode_object(self.line));
        }
        match &mut self.repr {
            Repr::Obj(map) => map,
            Repr::Json { .. } => unreachable!("decoded just above"),
        }
    }

    /// The fields as a map (decoding an untouched JSON line).
    pub fn to_map(&self) -> Cow<'_, Map<String, Value>> {
        match &self.repr {
            Repr::Obj(map) => Cow::Borrowed(map),
            Repr::Json { .. } => Cow::Owned(decode_object(self.line)),
        }
    }

    /// Take the fields out (for encoders and stages that rebuild the event).
    pub fn into_map(self) -> Map<String, Value> {
        match self.repr {
            Repr::Obj(map) => map,
            Repr::Json { .. } => decode_object(self.line),
        }
    }

    /// Replace the fields wholesale (select, parse json).
    pub fn set_map(&mut self, map: Map<String, Value>) {
        self.raw_format = None;
        self.repr = Repr::Obj(map);
    }

    /// Top-level field names in order (for table/CSV headers).
    pub fn keys(&self) -> Vec<String> {
        match &self.repr {
            Repr::Obj(map) => map.keys().cloned().collect(),
            Repr::Json { .. } => decode_object(self.line).keys().cloned().collect(),
        }
    }
}

fn lookup<'v>(mut v: &'v Value, path: &[String]) -> Option<&'v Value> {
    for part in path {
        v = match v {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Set a (possibly nested) field, creating objects on the way.
pub fn set_path(map: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = map;
    for part in parents {
        let slot = cur
            .entry(part.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        cur = match slot {
            Value::Object(m) => m,
            _ => unreachable!("made an object just above"),
        };
    }
    cur.insert(last.clone(), value);
}

/// Remove a (possibly nested) field, keeping the order of the others.
pub fn remove_path(map: &mut Map<String, Value>, path: &[String]) -> Option<Value> {
    let (last, parents) = path.split_last()?;
    let mut cur = map;
    for part in parents {
        cur = cur.get_mut(part)?.as_object_mut()?;
    }
    cur.shift_remove(last)
}

/// Decode one raw JSON value that `json_index` already validated.
pub fn decode_json_value(raw: &[u8]) -> Value {
    // Fast paths for the commonest scalars; everything else goes to serde_json.
    match raw.first() {
        Some(b'-' | b'0'..=b'9') if raw.iter().all(|c| c.is_ascii_digit() || *c == b'-') => {
            // SAFETY-free: the bytes are ASCII digits.
            if let Some(n) = std::str::from_utf8(raw)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
            {
                return Value::from(n);
            }
        }
        Some(b'"') if !raw.contains(&b'\\') => {
            if let Ok(s) = std::str::from_utf8(&raw[1..raw.len() - 1]) {
                return Value::String(s.to_owned());
            }
        }
        _ => {}
    }
    serde_json::from_slice(raw).unwrap_or(Value::Null)
}

fn decode_object(line: &[u8]) -> Map<String, Value> {
    serde_json::from_slice(line).unwrap_or_default()
}

impl Fields for Event<'_> {
    fn field(&self, path: &[String]) -> Option<Cow<'_, Value>> {
        self.get_path(path)
    }
    fn event_time(&self) -> Option<i64> {
        self.time
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::json_index::index_object;

    #[test]
    fn reads_fields_lazily_and_echoes_until_changed() {
        let line = br#"{"a":1,"b":{"c":"x"},"a":2}"#;
        let mut idx = Vec::new();
        index_object(line, &mut idx).unwrap();
        let mut ev = Event::from_json_line(line, &idx, Pos::default());
        assert_eq!(ev.get("a").unwrap().as_ref(), &Value::from(2));
        let path = vec!["b".to_string(), "c".to_string()];
        assert_eq!(ev.get_path(&path).unwrap().as_ref(), &Value::from("x"));
        assert!(ev.unchanged_raw().is_some());
        ev.fields_mut().insert("d".into(), Value::Null);
        assert!(ev.unchanged_raw().is_none());
        assert_eq!(
            serde_json::to_string(&ev.into_map()).unwrap(),
            r#"{"a":2,"b":{"c":"x"},"d":null}"#
        );
    }

    #[test]
    fn escaped_keys_are_found() {
        let line = br#"{"st\u0061tus":500}"#;
        let mut idx = Vec::new();
        index_object(line, &mut idx).unwrap();
        let ev = Event::from_json_line(line, &idx, Pos::default());
        assert_eq!(ev.get("status").unwrap().as_ref(), &Value::from(500));
    }

    #[test]
    fn set_and_remove_nested_paths() {
        let mut m = Map::new();
        let p = vec!["a".to_string(), "b".to_string()];
        set_path(&mut m, &p, Value::from(1));
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"a":{"b":1}}"#);
        assert_eq!(remove_path(&mut m, &p), Some(Value::from(1)));
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"a":{}}"#);
    }
}
