//! Group keys of `dedup`, `running … by` and `top`: the values of the KEYS
//! items, compared by their text (`value::key_text`, so the number `12` and
//! the string `"12"` are one key, as in joins).
//!
//! A key is encoded into a caller-owned byte buffer, so looking up a key that
//! is already known allocates nothing. For an untouched JSON event and a
//! top-level field, the raw JSON bytes are used when they already are the
//! key text (strings without escapes, plain integers) — no decoding at all.
//! `null` (or a missing field) is a key value of its own, as in SQL
//! `GROUP BY` and Flink's `PARTITION BY`.
//!
//! Encoding, per item: `0` for null, or `1`, the text length as u32 LE, the
//! text. Unambiguous for any number of items.

use std::borrow::Cow;

use crate::event::{raw_is_canonical, Event};
use crate::expr::{self, Compiled};
use crate::lang::ast::{ExprKind, KeyItem};
use crate::lang::LangError;
use crate::value::{self, Value};

enum Part {
    /// A top-level field: may use the raw JSON bytes.
    Top(String),
    Expr(Compiled),
}

pub struct KeyExtractor {
    parts: Vec<Part>,
    names: Vec<String>,
}

impl KeyExtractor {
    pub fn new(keys: &[KeyItem]) -> Result<KeyExtractor, LangError> {
        let parts = keys
            .iter()
            .map(|k| match &k.expr.kind {
                ExprKind::Field(p) if p.parts.len() == 1 => Ok(Part::Top(p.parts[0].clone())),
                _ => expr::compile(&k.expr).map(Part::Expr),
            })
            .collect::<Result<_, _>>()?;
        Ok(KeyExtractor {
            parts,
            names: keys.iter().map(|k| k.name.clone()).collect(),
        })
    }

    /// Output column names of the keys.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Encode the event's key into `buf` (cleared first).
    pub fn encode(&self, ev: &Event<'_>, buf: &mut Vec<u8>) {
        buf.clear();
        for part in &self.parts {
            match part {
                Part::Top(name) => {
                    if let Some(raw) = ev.get_raw_json(name) {
                        if let Some(text) = raw_key_text(raw) {
                            push_text(buf, text);
                            continue;
                        }
                    }
                    if let Some(cell) = ev.get_cell(name) {
                        if let Some(text) = cell_key_text(&cell) {
                            push_text(buf, text);
                            continue;
                        }
                    }
                    match ev.get(name) {
                        Some(v) => push_value(buf, &v),
                        None => buf.push(0),
                    }
                }
                Part::Expr(c) => push_value(buf, &c.eval_cow(ev)),
            }
        }
    }

    /// The key values of an event, for output rows.
    pub fn values(&self, ev: &Event<'_>) -> Vec<Value> {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Top(name) => ev.get(name).map(Cow::into_owned).unwrap_or(Value::Null),
                Part::Expr(c) => c.eval(ev),
            })
            .collect()
    }

    /// [`values`](Self::values) as serde_json writes them (a JSON array),
    /// without the vector.
    pub fn write_values_json(&self, ev: &Event<'_>, buf: &mut Vec<u8>) {
        buf.push(b'[');
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            // Writing JSON into a Vec cannot fail.
            if let Part::Top(name) = part {
                // A value the line holds as serde_json would write it (a
                // string without escapes, a literal, a number in its form).
                if let Some(raw) = ev.get_raw_json(name).filter(|r| raw_is_canonical(r)) {
                    buf.extend_from_slice(raw);
                    continue;
                }
            }
            let _ = match part {
                Part::Top(name) => match ev.get(name) {
                    Some(v) => serde_json::to_writer(&mut *buf, &*v),
                    None => serde_json::to_writer(&mut *buf, &Value::Null),
                },
                Part::Expr(c) => serde_json::to_writer(&mut *buf, &c.eval(ev)),
            };
        }
        buf.push(b']');
    }
}

fn push_value(buf: &mut Vec<u8>, v: &Value) {
    // The commonest key a stage makes, an integer (`parse nginx`'s
    // `status`): its text as `key_text` gives it, without a String.
    if let Value::Number(n) = v {
        if let Some(i) = n.as_i64() {
            return push_text(buf, itoa::Buffer::new().format(i).as_bytes());
        }
    }
    match value::key_text(v) {
        None => buf.push(0),
        Some(text) => push_text(buf, text.as_bytes()),
    }
}

fn push_text(buf: &mut Vec<u8>, text: &[u8]) {
    buf.push(1);
    // Texts come from lines bounded by --max-line-bytes; saturate rather than wrap.
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(&text[..len as usize]);
}

/// The key text of a raw JSON value when it can be read off the bytes:
/// a string without escapes (its content), or an integer written the way
/// serde_json prints it (no leading zero, no `-0`, fits i64).
fn raw_key_text(raw: &[u8]) -> Option<&[u8]> {
    match raw.first()? {
        b'"' => {
            let inner = raw.get(1..raw.len().checked_sub(1)?)?;
            (!inner.contains(&b'\\')).then_some(inner)
        }
        b'-' | b'0'..=b'9' => {
            let digits = raw.strip_prefix(b"-").unwrap_or(raw);
            let plain = !digits.is_empty()
                && digits.len() <= 18
                && digits.iter().all(u8::is_ascii_digit)
                && (digits[0] != b'0' || (digits.len() == 1 && raw.len() == 1));
            plain.then_some(raw)
        }
        _ => None,
    }
}

/// The key text of a CSV/TSV cell when it is the cell itself: a cell that
/// types as a string (it cannot be a number: it does not start with `-` or
/// a digit), or a plain integer as `raw_key_text` takes it. `None` for an
/// empty cell (null) and other numbers, which are typed first.
fn cell_key_text(cell: &str) -> Option<&[u8]> {
    match cell.as_bytes().first()? {
        b'-' | b'0'..=b'9' => raw_key_text(cell.as_bytes()),
        _ => Some(cell.as_bytes()),
    }
}

/// The key texts of an encoded key (`None` for null), for snapshots.
pub fn decode(mut bytes: &[u8]) -> Option<Vec<Option<String>>> {
    let mut out = Vec::new();
    while let Some((&tag, rest)) = bytes.split_first() {
        match tag {
            0 => {
                out.push(None);
                bytes = rest;
            }
            1 => {
                let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
                let text = rest.get(4..4 + len)?;
                out.push(Some(String::from_utf8(text.to_vec()).ok()?));
                bytes = &rest[4 + len..];
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Encode key texts (from a snapshot) the way `encode` does.
pub fn encode_texts(texts: &[Option<String>], buf: &mut Vec<u8>) {
    buf.clear();
    for t in texts {
        match t {
            None => buf.push(0),
            Some(s) => push_text(buf, s.as_bytes()),
        }
    }
}

/// An encoded key as a state writes it: a JSON list of texts and nulls
/// (`null` for bytes that are no key, which streamctl never makes).
pub struct KeyOut<'a>(pub &'a [u8]);

impl serde::Serialize for KeyOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut parts = Vec::new();
        let mut bytes = self.0;
        while let Some((&tag, rest)) = bytes.split_first() {
            let part = match tag {
                0 => {
                    bytes = rest;
                    None
                }
                1 => {
                    let len = rest
                        .get(..4)
                        .map(|l| u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize);
                    match len
                        .and_then(|n| rest.get(4..4 + n))
                        .map(std::str::from_utf8)
                    {
                        Some(Ok(text)) => {
                            bytes = &rest[4 + text.len()..];
                            Some(text)
                        }
                        _ => return s.serialize_unit(),
                    }
                }
                _ => return s.serialize_unit(),
            };
            parts.push(part);
        }
        s.collect_seq(parts)
    }
}

/// A key read back from a state: the list [`KeyOut`] wrote, encoded again.
pub struct KeyIn(pub Vec<u8>);

impl<'de> serde::Deserialize<'de> for KeyIn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let texts = Vec::<Option<String>>::deserialize(d)?;
        let mut buf = Vec::new();
        encode_texts(&texts, &mut buf);
        Ok(KeyIn(buf))
    }
}

/// A snapshot form of an encoded key: a JSON array of texts and nulls.
pub fn to_json(key: &[u8]) -> Value {
    match decode(key) {
        Some(parts) => Value::Array(
            parts
                .into_iter()
                .map(|p| p.map_or(Value::Null, Value::String))
                .collect(),
        ),
        // Our own encoding always decodes; keep the snapshot valid regardless.
        None => Value::Null,
    }
}

/// The encoded key of a snapshot's JSON array.
pub fn from_json(v: &Value) -> Result<Vec<u8>, String> {
    let items = v
        .as_array()
        .ok_or_else(|| format!("a key in the state is not a list: {v}"))?;
    let texts = items
        .iter()
        .map(|i| match i {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            other => Err(format!("a key part in the state is not text: {other}")),
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut buf = Vec::new();
    encode_texts(&texts, &mut buf);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Pos;
    use crate::input::json_index::index_object;
    use crate::lang::parse;

    /// The integer fast path writes the text `key_text` gives.
    #[test]
    fn an_integer_key_is_its_key_text() {
        for v in [0i64, -0, 7, -42, 503, i64::MAX, i64::MIN] {
            let v = Value::from(v);
            let mut fast = Vec::new();
            push_value(&mut fast, &v);
            let mut slow = Vec::new();
            push_text(&mut slow, value::key_text(&v).unwrap().as_bytes());
            assert_eq!(fast, slow, "{v}");
        }
    }

    fn keys(src: &str) -> KeyExtractor {
        let p = parse(&format!("dedup {src}")).expect("parses");
        match &p.stages[0].kind {
            crate::lang::ast::StageKind::Dedup { keys, .. } => KeyExtractor::new(keys).unwrap(),
            other => panic!("not dedup: {other:?}"),
        }
    }

    fn encode_line(k: &KeyExtractor, line: &str) -> Vec<u8> {
        let mut idx = Vec::new();
        index_object(line.as_bytes(), &mut idx).unwrap();
        let ev = Event::from_json_line(line.as_bytes(), &idx, Pos::default());
        let mut buf = Vec::new();
        k.encode(&ev, &mut buf);
        buf
    }

    fn encode_decoded(k: &KeyExtractor, line: &str) -> Vec<u8> {
        let ev = Event::new_row(serde_json::from_str(line).unwrap(), None);
        let mut buf = Vec::new();
        k.encode(&ev, &mut buf);
        buf
    }

    /// Key values written from the line's text are what serde_json writes
    /// for the decoded values.
    #[test]
    fn key_values_as_json_agree_with_serde_json() {
        let k = keys("a, b");
        for v in [
            r#""x""#,
            r#""x\"y""#,
            r#""\u00e9""#,
            r#""\/""#,
            r#""é""#,
            r#""a\tb""#,
            "\"\"",
            "12",
            "-12",
            "-0",
            "0.5",
            "1.50",
            "1e2",
            "1.0",
            "null",
            "true",
            r#"[1,"a"]"#,
            r#"{"z":"\/"}"#,
        ] {
            let line = format!(r#"{{"a":{v},"c":1}}"#);
            let mut idx = Vec::new();
            index_object(line.as_bytes(), &mut idx).unwrap();
            let ev = Event::from_json_line(line.as_bytes(), &idx, Pos::default());
            let mut got = Vec::new();
            k.write_values_json(&ev, &mut got);
            let want = serde_json::to_vec(&k.values(&ev)).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want),
                "{line}"
            );
        }
    }

    #[test]
    fn raw_fast_path_agrees_with_key_text() {
        // (`-0` is left out: the lazy decoder reads it as 0, serde_json as -0.0.)
        let k = keys("a");
        for v in [
            r#""x""#,
            r#""x\"y""#,
            r#""\u00e9""#,
            "12",
            "-12",
            "0",
            "1.50",
            "1.0",
            "1e2",
            "12345678901234567890",
            "true",
            "null",
            "[1, 2]",
            r#"{"b": 1}"#,
        ] {
            let line = format!(r#"{{"a": {v}}}"#);
            assert_eq!(
                encode_line(&k, &line),
                encode_decoded(&k, &line),
                "raw and decoded keys differ for {v}"
            );
        }
    }

    #[test]
    fn csv_cell_fast_path_agrees_with_key_text() {
        use crate::event::{Cells, RawFormat};
        let k = keys("a");
        let header = ["a".to_string()];
        for cell in [
            "x",
            "",
            "12",
            "-12",
            "0",
            "-0",
            "007",
            "1.50",
            "1e2",
            "+1",
            "-",
            "true",
            "é",
            "12345678901234567890",
        ] {
            let spans = [crate::event::Span {
                start: 0,
                end: cell.len(),
                doubled: false,
            }];
            let cells = Cells {
                text: cell.as_bytes(),
                spans: &spans,
                typed: true,
                access: None,
            };
            let ev = Event::from_csv_cells(b"", RawFormat::Csv, &header, cells, Pos::default());
            let mut fast = Vec::new();
            k.encode(&ev, &mut fast);
            let mut map = serde_json::Map::new();
            map.insert("a".into(), crate::value::typed_cell(cell));
            let mut slow = Vec::new();
            k.encode(&Event::new_row(map, None), &mut slow);
            assert_eq!(fast, slow, "cell {cell:?}");
        }
    }

    #[test]
    fn numbers_and_numeric_strings_are_one_key_null_is_its_own() {
        let k = keys("a, b");
        assert_eq!(
            encode_line(&k, r#"{"a":12,"b":"x"}"#),
            encode_line(&k, r#"{"a":"12","b":"x"}"#)
        );
        assert_ne!(
            encode_line(&k, r#"{"a":null,"b":"x"}"#),
            encode_line(&k, r#"{"a":"","b":"x"}"#)
        );
        assert_eq!(
            encode_line(&k, r#"{"b":"x"}"#),
            encode_line(&k, r#"{"a":null,"b":"x"}"#)
        );
        // Item boundaries are kept: ("ab","c") is not ("a","bc").
        assert_ne!(
            encode_line(&k, r#"{"a":"ab","b":"c"}"#),
            encode_line(&k, r#"{"a":"a","b":"bc"}"#)
        );
    }

    #[test]
    fn expressions_and_nested_fields_are_keys() {
        let k = keys("lower(name) as n, req.path");
        assert_eq!(
            encode_line(&k, r#"{"name":"AB","req":{"path":"/x"}}"#),
            encode_line(&k, r#"{"name":"ab","req":{"path":"/x"}}"#)
        );
        assert_eq!(k.names(), ["n", "req.path"]);
    }

    #[test]
    fn json_form_round_trips() {
        let k = keys("a, b");
        let key = encode_line(&k, r#"{"a":"x","b":null}"#);
        let j = to_json(&key);
        assert_eq!(j.to_string(), r#"["x",null]"#);
        assert_eq!(from_json(&j).unwrap(), key);
        assert!(from_json(&Value::from(3)).is_err());
        assert!(decode(&[1, 9, 0]).is_none());
    }
}
