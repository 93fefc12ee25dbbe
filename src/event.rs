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
use crate::value::{typed_cell, Value};

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
    /// A JSON object line, untouched so far except for fields appended with
    /// `append_field` (new names only), which the JSON encoder writes after
    /// the original bytes.
    Json {
        members: &'a [Member],
        appended: Vec<(String, Value)>,
    },
    /// A decoded object.
    Obj(Map<String, Value>),
    /// A CSV/TSV row, untouched so far: its cells under the header's names;
    /// a cell is typed only when read.
    Cells {
        header: &'a [String],
        cells: Cells<'a>,
    },
}

/// The cells of a CSV/TSV row, in buffers the decoder reuses: cell `i` is
/// `text[spans[i].start..spans[i].end]`. `text` is the line itself when its
/// cells are slices of it (enclosing quotes left out), else the decoded
/// cells back to back.
#[derive(Clone, Copy, Debug)]
pub struct Cells<'a> {
    pub text: &'a str,
    pub spans: &'a [Span],
}

/// Where a cell is in `Cells::text`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    /// The text has `""` for each `"` (a quoted CSV cell kept in the line):
    /// undone when the cell is read.
    pub doubled: bool,
}

impl<'a> Cells<'a> {
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Cell `i` (`None` past the last, or if a span is not on character
    /// boundaries, which the decoder never makes).
    pub fn get(&self, i: usize) -> Option<Cow<'a, str>> {
        let span = self.spans.get(i)?;
        let text = self.text.get(span.start..span.end)?;
        Some(if span.doubled {
            Cow::Owned(text.replace("\"\"", "\""))
        } else {
            Cow::Borrowed(text)
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = Cow<'a, str>> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }
}

/// A JSON line with fields appended (see `Event::append_field`).
pub struct Appended<'a, 'e> {
    /// The line as read; it ends with the object's `}`.
    pub line: &'a [u8],
    /// Whether the object has members (so the first appended field needs a `,`).
    pub has_members: bool,
    pub fields: &'e [(String, Value)],
}

pub struct Event<'a> {
    /// The event's JSON or other text (without its line ending); empty for
    /// rows a stage made.
    line: &'a [u8],
    /// The input line it came from, for dead letters (`line` too, unless a
    /// stage built the event's bytes anew, see `derived`).
    origin: &'a [u8],
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
            origin: line,
            raw_format: Some(RawFormat::Json),
            repr: Repr::Json {
                members,
                appended: Vec::new(),
            },
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
            origin: line,
            raw_format: Some(format),
            repr: Repr::Obj(fields),
            time: None,
            pos,
        }
    }

    /// An untouched CSV or TSV row (see `Cells`); `cells.len()` is the header's.
    pub fn from_csv_cells(
        line: &'a [u8],
        format: RawFormat,
        header: &'a [String],
        cells: Cells<'a>,
        pos: Pos,
    ) -> Event<'a> {
        Event {
            line,
            origin: line,
            raw_format: Some(format),
            repr: Repr::Cells { header, cells },
            time: None,
            pos,
        }
    }

    /// A row a stage produced (aggregation output, …).
    pub fn new_row(fields: Map<String, Value>, time: Option<Millis>) -> Event<'static> {
        Event {
            line: b"",
            origin: b"",
            raw_format: None,
            repr: Repr::Obj(fields),
            time,
            pos: Pos::default(),
        }
    }

    /// The original input line (empty for produced rows): for dead letters.
    /// (Not `self.line`, which a stage may have rebuilt: see `derived`.)
    #[allow(clippy::misnamed_getters)]
    pub fn line(&self) -> &'a [u8] {
        self.origin
    }

    /// A JSON line a stage built from this event's bytes, with its index
    /// (see `exec::rawjson`), as a new untouched event: read lazily and
    /// echoed as is, with this event's time, position and input line.
    pub fn derived<'b>(&self, line: &'b [u8], members: &'b [Member]) -> Event<'b>
    where
        'a: 'b,
    {
        Event {
            line,
            origin: self.origin,
            raw_format: Some(RawFormat::Json),
            repr: Repr::Json {
                members,
                appended: Vec::new(),
            },
            time: self.time,
            pos: self.pos,
        }
    }

    /// The original bytes when no stage changed the event.
    pub fn unchanged_raw(&self) -> Option<(&'a [u8], RawFormat)> {
        match &self.repr {
            Repr::Json { appended, .. } if !appended.is_empty() => None,
            _ => self.raw_format.map(|f| (self.line, f)),
        }
    }

    /// An untouched JSON line and the fields appended to it, for the JSON
    /// encoder: it writes the line without its closing `}`, then the fields.
    pub fn raw_json_appended(&self) -> Option<Appended<'a, '_>> {
        match (&self.repr, self.raw_format) {
            (Repr::Json { members, appended }, Some(RawFormat::Json)) => Some(Appended {
                line: self.line,
                has_members: !members.is_empty(),
                fields: appended,
            }),
            _ => None,
        }
    }

    /// Add a top-level field. For an untouched JSON line that is already in
    /// the form the encoder would write (see `is_canonical`) and has no field
    /// of that name, the line is not decoded: the field is kept beside it and
    /// written after its bytes (`running` adds its aggregates this way, so a
    /// step costs no decoding). Otherwise the same as setting it in
    /// `fields_mut`, with the same output either way.
    pub fn append_field(&mut self, name: &str, v: Value) {
        if let Repr::Json { members, appended } = &self.repr {
            let known = appended.iter().position(|(k, _)| k == name);
            let fits = if appended.is_empty() {
                self.raw_top_level(members, name).is_none() && is_canonical(self.line, members)
            } else {
                known.is_some() || self.raw_top_level(members, name).is_none()
            };
            if fits && self.raw_format == Some(RawFormat::Json) {
                if let Repr::Json { appended, .. } = &mut self.repr {
                    match known {
                        Some(i) => appended[i].1 = v,
                        None => appended.push((name.to_owned(), v)),
                    }
                }
                return;
            }
        }
        self.fields_mut().insert(name.to_owned(), v);
    }

    /// The line and its member index while the event is an untouched JSON
    /// line: for stages that build their changed event from these bytes
    /// instead of decoding it (see `exec::rawjson`).
    pub fn raw_json_index(&self) -> Option<(&'a [u8], &'a [Member])> {
        match (&self.repr, self.raw_format) {
            (Repr::Json { members, appended }, Some(RawFormat::Json)) if appended.is_empty() => {
                Some((self.line, members))
            }
            _ => None,
        }
    }

    /// A top-level field, decoded on demand.
    pub fn get(&self, key: &str) -> Option<Cow<'_, Value>> {
        match &self.repr {
            Repr::Obj(map) => map.get(key).map(Cow::Borrowed),
            Repr::Json { members, appended } => {
                if let Some((_, v)) = appended.iter().find(|(k, _)| k == key) {
                    return Some(Cow::Borrowed(v));
                }
                let raw = self.raw_top_level(members, key)?;
                Some(Cow::Owned(decode_json_value(raw)))
            }
            Repr::Cells { .. } => Some(Cow::Owned(typed_cell(&self.get_cell(key)?))),
        }
    }

    /// The text of a cell of an untouched CSV/TSV row, as in the input
    /// (quotes and escapes undone), before typing: for hot paths that can
    /// use the text as it is (group keys).
    pub fn get_cell(&self, key: &str) -> Option<Cow<'a, str>> {
        match &self.repr {
            Repr::Cells { header, cells } => {
                // A repeated column name: the last one wins, as in the map.
                let i = header.iter().rposition(|h| h == key)?;
                cells.get(i)
            }
            _ => None,
        }
    }

    /// The raw JSON text of a top-level field of an untouched JSON event,
    /// for hot paths that hash or compare bytes (group keys).
    pub fn get_raw_json(&self, key: &str) -> Option<&'a [u8]> {
        match &self.repr {
            // An appended field has no raw bytes (and its name is new).
            Repr::Json { members, appended } if !appended.iter().any(|(k, _)| k == key) => {
                self.raw_top_level(members, key)
            }
            _ => None,
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
        if let Repr::Json { appended, .. } = &mut self.repr {
            let appended = std::mem::take(appended);
            self.repr = Repr::Obj(decode_with(self.line, appended));
        } else if let Some(map) = self.decode_all() {
            self.repr = Repr::Obj(map);
        }
        match &mut self.repr {
            Repr::Obj(map) => map,
            _ => unreachable!("decoded just above"),
        }
    }

    /// The whole object of an event not decoded yet (`None` if it is).
    fn decode_all(&self) -> Option<Map<String, Value>> {
        match &self.repr {
            Repr::Obj(_) => None,
            Repr::Json { appended, .. } => Some(decode_with(self.line, appended.to_vec())),
            Repr::Cells { header, cells } => Some(
                header
                    .iter()
                    .zip(cells.iter())
                    .map(|(k, cell)| (k.clone(), typed_cell(&cell)))
                    .collect(),
            ),
        }
    }

    /// The fields as a map (decoding an untouched JSON line).
    pub fn to_map(&self) -> Cow<'_, Map<String, Value>> {
        match &self.repr {
            Repr::Obj(map) => Cow::Borrowed(map),
            _ => Cow::Owned(self.decode_all().unwrap_or_default()),
        }
    }

    /// Take the fields out (for encoders and stages that rebuild the event).
    pub fn into_map(self) -> Map<String, Value> {
        match self.repr {
            Repr::Obj(map) => map,
            Repr::Json { appended, .. } => decode_with(self.line, appended),
            Repr::Cells { .. } => self.decode_all().unwrap_or_default(),
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
            Repr::Json { appended, .. } => decode_object(self.line)
                .keys()
                .cloned()
                .chain(appended.iter().map(|(k, _)| k.clone()))
                .collect(),
            Repr::Cells { .. } => self.to_map().keys().cloned().collect(),
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
        // `-0` is left to serde_json, which reads it as the float -0.0.
        Some(b'-' | b'0'..=b'9')
            if raw != b"-0" && raw.iter().all(|c| c.is_ascii_digit() || *c == b'-') =>
        {
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

/// Whether serde_json writes this object's decoded fields back exactly as
/// the line reads: compact, no escapes, no duplicate keys, scalar values in
/// serde's own form (`1.5`, not `1.50`). Only then may fields be appended
/// to the raw bytes without changing the output. Allocates nothing.
fn is_canonical(line: &[u8], members: &[Member]) -> bool {
    if members.len() > 64 || line.first() != Some(&b'{') || line.contains(&b'\\') {
        return false;
    }
    let mut pos = 1usize;
    for (i, m) in members.iter().enumerate() {
        if i > 0 {
            if line.get(pos) != Some(&b',') {
                return false;
            }
            pos += 1;
        }
        let compact = line.get(pos) == Some(&b'"')
            && m.key_start as usize == pos + 1
            && m.val_start as usize == m.key_end as usize + 2;
        if !compact
            || !scalar_is_canonical(m.value(line))
            || members[..i].iter().any(|o| o.key(line) == m.key(line))
        {
            return false;
        }
        pos = m.val_end as usize;
    }
    line.get(pos) == Some(&b'}') && pos + 1 == line.len()
}

/// Whether a raw value is a scalar serde_json writes back exactly as it
/// reads (no escapes; numbers in serde's form). `select` builds its line
/// from such values.
pub fn raw_scalar_is_canonical(v: &[u8]) -> bool {
    !v.contains(&b'\\') && scalar_is_canonical(v)
}

/// A raw scalar serde_json would write the same way (the line has no `\\`).
fn scalar_is_canonical(v: &[u8]) -> bool {
    match v.first() {
        Some(b'"' | b't' | b'f' | b'n') => true,
        Some(b'-' | b'0'..=b'9') => {
            let digits = v.strip_prefix(b"-").unwrap_or(v);
            if digits.iter().all(u8::is_ascii_digit) {
                // `-0` reads as the float -0.0; up to 18 digits always fit i64.
                return v != b"-0" && digits.len() <= 18;
            }
            let Some(f) = std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
            else {
                return false;
            };
            let mut buf = [0u8; 40];
            let mut w: &mut [u8] = &mut buf;
            if serde_json::to_writer(&mut w, &f).is_err() {
                return false;
            }
            let n = 40 - w.len();
            buf[..n] == *v
        }
        _ => false,
    }
}

/// The line's fields, then the appended ones.
fn decode_with(line: &[u8], appended: Vec<(String, Value)>) -> Map<String, Value> {
    let mut map = decode_object(line);
    map.extend(appended);
    map
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
    fn lazy_decoding_agrees_with_serde_on_scalars() {
        for raw in [
            "-0",
            "0",
            "-12",
            "9223372036854775807",
            "18446744073709551615",
            "1.5",
            "\"x\"",
        ] {
            let full: Value = serde_json::from_str(raw).unwrap();
            assert_eq!(decode_json_value(raw.as_bytes()), full, "{raw}");
        }
    }

    #[test]
    fn escaped_keys_are_found() {
        let line = br#"{"st\u0061tus":500}"#;
        let mut idx = Vec::new();
        index_object(line, &mut idx).unwrap();
        let ev = Event::from_json_line(line, &idx, Pos::default());
        assert_eq!(ev.get("status").unwrap().as_ref(), &Value::from(500));
    }

    /// JSON output of `line` with fields appended: through `append_field`
    /// and through a full decode. Also returns whether the raw path was taken.
    fn appended_both_ways(line: &str, fields: &[(&str, Value)]) -> (String, String, bool) {
        use crate::output::Encoder;
        use crate::output::OutFormat;
        let mut idx = Vec::new();
        index_object(line.as_bytes(), &mut idx).unwrap();
        let mut fast = Event::from_json_line(line.as_bytes(), &idx, Pos::default());
        let mut slow = Event::from_json_line(line.as_bytes(), &idx, Pos::default());
        for (k, v) in fields {
            fast.append_field(k, v.clone());
            slow.fields_mut().insert(k.to_string(), v.clone());
        }
        let raw = fast
            .raw_json_appended()
            .is_some_and(|a| !a.fields.is_empty());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        Encoder::new(OutFormat::Json, false).encode(&fast, &mut a);
        Encoder::new(OutFormat::Json, false).encode(&slow, &mut b);
        assert_eq!(fast.to_map(), slow.to_map(), "fields of {line}");
        (
            String::from_utf8(a).unwrap(),
            String::from_utf8(b).unwrap(),
            raw,
        )
    }

    #[test]
    fn appended_fields_are_written_as_a_full_decode_would() {
        let add = [("n", Value::from(1.5)), ("s", Value::from("x"))];
        for (line, raw) in [
            (r#"{"a":1,"b":"x","c":true,"d":null,"e":-2.5}"#, true),
            (r#"{"f":1e20}"#, false),
            (r#"{"f":0.001,"g":-7}"#, true),
            (r#"{}"#, true),
            (r#"{"a": 1}"#, false),
            (r#"{"a":1.50}"#, false),
            (r#"{"a":1E2}"#, false),
            (r#"{"a":-0}"#, false),
            (r#"{"a":"\u00e9"}"#, false),
            (r#"{"a":"é"}"#, true),
            (r#"{"a":[1,2]}"#, false),
            (r#"{"a":1,"a":2}"#, false),
            (r#"{"n":7,"b":2}"#, false),
            (r#"{"a":12345678901234567890}"#, false),
            (r#" {"a":1}"#, false),
        ] {
            let (fast, slow, took_raw) = appended_both_ways(line, &add);
            assert_eq!(fast, slow, "output for {line}");
            assert_eq!(took_raw, raw, "raw path for {line}");
        }
        // Appending twice to one name keeps the last value, in place.
        let (fast, slow, raw) = appended_both_ways(
            r#"{"a":1}"#,
            &[("x", Value::from(1)), ("x", Value::from(2))],
        );
        assert_eq!((fast.as_str(), raw), ("{\"a\":1,\"x\":2}\n", true));
        assert_eq!(fast, slow);
    }

    #[test]
    fn appended_fields_are_seen_by_later_stages() {
        let line = br#"{"a":1}"#;
        let mut idx = Vec::new();
        index_object(line, &mut idx).unwrap();
        let mut ev = Event::from_json_line(line, &idx, Pos::default());
        ev.append_field("x", Value::from(5));
        assert!(ev.unchanged_raw().is_none());
        assert_eq!(ev.get("x").unwrap().as_ref(), &Value::from(5));
        assert_eq!(ev.get_raw_json("x"), None);
        assert_eq!(ev.get_raw_json("a"), Some(&b"1"[..]));
        assert_eq!(ev.keys(), ["a", "x"]);
        ev.fields_mut().insert("y".into(), Value::Null);
        assert_eq!(
            serde_json::to_string(&ev.into_map()).unwrap(),
            r#"{"a":1,"x":5,"y":null}"#
        );
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
