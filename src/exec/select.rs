//! `select ITEM, …`: keep only these fields, in this order. A selected field
//! that is missing comes out as `null` (as a SQL projection does), so every
//! row has the same columns.

use serde_json::Map;

use super::rawjson::{QuotedName, Rebuilt};
use super::{Emit, ExecResult, Operator};
use crate::event::{set_path, write_canonical_value, Event};
use crate::expr::Compiled;
use crate::value::Value;

pub struct SelectItem {
    pub name: Vec<String>,
    pub value: Compiled,
}

pub struct Select {
    items: Vec<SelectItem>,
    /// Every item is a plain top-level field under its own name (`select
    /// a, b`): their names as written in JSON.
    plain: Option<Vec<QuotedName>>,
    rebuilt: Rebuilt,
}

impl Select {
    pub fn new(items: Vec<SelectItem>) -> Select {
        let plain = items.iter().enumerate().all(|(i, it)| {
            matches!(it.name.as_slice(), [_])
                && it.value.as_field() == Some(it.name.as_slice())
                && items[..i].iter().all(|p| p.name != it.name)
        });
        let plain = plain.then(|| {
            items
                .iter()
                .map(|it| QuotedName::new(&it.name[0]))
                .collect()
        });
        Select {
            items,
            plain,
            rebuilt: Rebuilt::default(),
        }
    }
}

/// The hot path for `select a, b` on an untouched JSON event (fields added
/// by earlier stages included): the new line is put together from the raw
/// values, each written as serde_json would write it, so the bytes equal
/// what building the map and encoding it gives. False: take the slow path.
fn project(
    items: &[SelectItem],
    names: &[QuotedName],
    ev: &Event<'_>,
    rebuilt: &mut Rebuilt,
) -> bool {
    if !ev.is_json_line() {
        return false;
    }
    rebuilt.clear();
    for (it, quoted) in items.iter().zip(names) {
        let name = it.name[0].as_str();
        let ok = match ev.get_raw_json(name) {
            Some(raw) => rebuilt.push(quoted, |b| write_canonical_value(raw, b)),
            // A field added by an earlier stage, or missing (null).
            None => {
                let v = ev.get(name);
                rebuilt.push(quoted, |b| {
                    serde_json::to_writer(b, v.as_deref().unwrap_or(&Value::Null)).is_ok()
                })
            }
        };
        if !ok {
            return false;
        }
    }
    rebuilt.finish();
    true
}

impl Operator for Select {
    fn on_event(&mut self, mut ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        let raw = match &self.plain {
            Some(names) => project(&self.items, names, &ev, &mut self.rebuilt),
            None => false,
        };
        if raw {
            return out.emit(ev.derived(&self.rebuilt.buf, &self.rebuilt.members));
        }
        let mut map = Map::with_capacity(self.items.len());
        for item in &self.items {
            let v = item.value.eval(&ev);
            set_path(&mut map, &item.name, v);
        }
        ev.set_map(map);
        out.emit(ev)
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::event::{Encoded, Pos};
    use crate::input::json_index::{index_object, places};
    use crate::lang::ast::StageKind;
    use crate::output::{Encoder, OutFormat};

    fn items(src: &str) -> Vec<SelectItem> {
        let p = crate::lang::parse(src).expect("parses");
        match &p.stages[0].kind {
            StageKind::Select(items) => items
                .iter()
                .map(|it| SelectItem {
                    name: it.name.parts.clone(),
                    value: crate::expr::compile(&it.expr).unwrap(),
                })
                .collect(),
            other => panic!("not select: {other:?}"),
        }
    }

    /// `select` output of a line (with fields added first) through the raw
    /// path and through the map, as the JSON encoder writes them.
    fn both_ways(src: &str, line: &str, row: &Encoded) -> (String, Option<String>) {
        let its = items(src);
        let mut idx = Vec::new();
        index_object(line.as_bytes(), &mut idx).unwrap();
        let n = Value::from(1.50);
        let make = || {
            let mut ev = Event::from_json_line(line.as_bytes(), &idx, Pos::default());
            ev.append_new_fields(row.as_ref());
            ev.append_field("n", Cow::Borrowed(&n));
            ev
        };
        let encode = |ev: &Event<'_>| {
            let mut out = Vec::new();
            Encoder::new(OutFormat::Json, false).encode(ev, &mut out);
            String::from_utf8(out).unwrap()
        };
        let mut slow = make();
        let mut map = Map::new();
        for item in &its {
            set_path(&mut map, &item.name, item.value.eval(&slow));
        }
        slow.set_map(map);
        let mut rebuilt = Rebuilt::default();
        let ev = make();
        let names: Vec<QuotedName> = its.iter().map(|it| QuotedName::new(&it.name[0])).collect();
        let fast = project(&its, &names, &ev, &mut rebuilt).then(|| {
            let mut idx = Vec::new();
            index_object(&rebuilt.buf, &mut idx).unwrap();
            assert_eq!(places(&idx), places(&rebuilt.members), "index of {}", line);
            encode(&ev.derived(&rebuilt.buf, &rebuilt.members))
        });
        (encode(&slow), fast)
    }

    #[test]
    fn the_raw_path_writes_what_the_map_gives() {
        let row = Encoded::new(vec![
            ("country".into(), Value::from("IN")),
            ("w\"x".into(), Value::from(2.0)),
        ]);
        for line in [
            r#"{"a":1,"b":"x","c":true}"#,
            r#"{"a":1.50,"b":1e3,"c":-0}"#,
            r#"{ "a" : "\u00e9\/" , "b":[1, 2.0],"c":{"d" : null}}"#,
            r#"{"a":1,"a":2,"b":3}"#,
            r#"{"\u0061":5,"c":12345678901234567890}"#,
            r#"{"country":"own"}"#,
            r#"{}"#,
        ] {
            for src in [
                "select a, b, c",
                "select c, a",
                "select country, n, a",
                r#"select `w"x`, missing"#,
            ] {
                let (slow, fast) = both_ways(src, line, &row);
                assert_eq!(fast.as_deref(), Some(slow.as_str()), "{src} on {line}");
            }
        }
    }
}
