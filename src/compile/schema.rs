//! Source schemas for the Flink SQL compiler: column names and types, from a
//! `--schema` file (`name type` a line) or inferred from a sample of events.
//!
//! Inference reads the first [`SAMPLE_EVENTS`] JSON lines: integers are
//! `BIGINT`, any other number `DOUBLE` (a field with both is `DOUBLE`),
//! strings `STRING`, booleans `BOOLEAN`, objects `ROW<…>`, arrays
//! `ARRAY<…>`; a field seen only as `null` is `STRING`. A field seen with two
//! kinds of value (a number here, a string there) has no single SQL type and
//! is refused with a message pointing at `--schema`. Columns come in order of
//! first appearance.

use crate::compile::{no, Untranslatable};
use std::fmt::Write;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde_json::Value;

/// How many events of the input (or `--sample`) inference looks at.
pub const SAMPLE_EVENTS: usize = 1000;

/// A column type as far as the compiler needs to know it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Int,
    Float,
    Str,
    Bool,
    /// Only `null` seen (a literal `null`, or a column never set in the sample).
    Null,
    Row(Vec<(String, Ty)>),
    Array(Box<Ty>),
    /// A type from `--schema` the compiler passes through but cannot reason about.
    Other(String),
}

impl Ty {
    /// The Flink SQL type.
    pub fn sql(&self) -> String {
        match self {
            Ty::Int => "BIGINT".into(),
            Ty::Float => "DOUBLE".into(),
            Ty::Str | Ty::Null => "STRING".into(),
            Ty::Bool => "BOOLEAN".into(),
            Ty::Row(fields) => {
                let mut s = String::from("ROW<");
                for (i, (n, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    let _ = write!(s, "{} {}", quote_ident(n), t.sql());
                }
                s.push('>');
                s
            }
            Ty::Array(t) => format!("ARRAY<{}>", t.sql()),
            Ty::Other(text) => text.clone(),
        }
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Float)
    }

    /// A short word for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Ty::Int => "an integer",
            Ty::Float => "a float",
            Ty::Str => "a string",
            Ty::Bool => "a boolean",
            Ty::Null => "null",
            Ty::Row(_) => "an object",
            Ty::Array(_) => "an array",
            Ty::Other(_) => "a value of a declared type",
        }
    }

    fn of(v: &Value) -> Result<Ty, Untranslatable> {
        Ok(match v {
            Value::Null => Ty::Null,
            Value::Bool(_) => Ty::Bool,
            Value::Number(n) if n.is_i64() => Ty::Int,
            Value::Number(n) if n.is_u64() => {
                return no(format!("{n} does not fit a BIGINT"));
            }
            Value::Number(_) => Ty::Float,
            Value::String(_) => Ty::Str,
            Value::Array(items) => {
                let mut t = Ty::Null;
                for i in items {
                    t = merge(&t, &Ty::of(i)?).ok_or("an array with mixed kinds of values")?;
                }
                Ty::Array(Box::new(t))
            }
            Value::Object(map) => {
                let mut fields: Vec<(String, Ty)> = Vec::new();
                for (k, v) in map {
                    fields.push((k.clone(), Ty::of(v)?));
                }
                Ty::Row(fields)
            }
        })
    }
}

/// The type that holds values of both, if any.
fn merge(a: &Ty, b: &Ty) -> Option<Ty> {
    Some(match (a, b) {
        (Ty::Null, t) | (t, Ty::Null) => t.clone(),
        (Ty::Int, Ty::Float) | (Ty::Float, Ty::Int) => Ty::Float,
        (Ty::Row(x), Ty::Row(y)) => {
            let mut fields = x.clone();
            for (n, t) in y {
                match fields.iter_mut().find(|(m, _)| m == n) {
                    Some((_, old)) => *old = merge(old, t)?,
                    None => fields.push((n.clone(), t.clone())),
                }
            }
            Ty::Row(fields)
        }
        (Ty::Array(x), Ty::Array(y)) => Ty::Array(Box::new(merge(x, y)?)),
        (x, y) if x == y => x.clone(),
        _ => return None,
    })
}

/// A column of a source table or a view.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: Ty,
}

/// `` `name` `` with backticks doubled, for every identifier the compiler writes.
pub fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Read a `--schema` file: `name type` a line; blank lines and `#` comments skipped.
pub fn read_schema_file(path: &Path) -> Result<Vec<Column>, Untranslatable> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read --schema {}: {e}", path.display()))?;
    let mut cols: Vec<Column> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, ty)) = line.split_once(char::is_whitespace) else {
            return no(format!(
                "{}:{}: expected `name type`, e.g. `status BIGINT`, got `{line}`",
                path.display(),
                i + 1
            ));
        };
        let name = name.trim_matches('`').to_string();
        if cols.iter().any(|c| c.name == name) {
            return no(format!(
                "{}:{}: column `{name}` is declared twice",
                path.display(),
                i + 1
            ));
        }
        cols.push(Column {
            name,
            ty: parse_type(ty.trim()),
        });
    }
    if cols.is_empty() {
        return no(format!(
            "--schema {} declares no column: write `name type` a line",
            path.display()
        ));
    }
    Ok(cols)
}

/// A declared SQL type as the compiler sees it.
fn parse_type(text: &str) -> Ty {
    let upper = text.to_ascii_uppercase();
    let base = upper.split(['(', ' ']).next().unwrap_or("");
    match base {
        "BIGINT" | "INT" | "INTEGER" | "SMALLINT" | "TINYINT" => Ty::Int,
        "DOUBLE" | "FLOAT" | "REAL" => Ty::Float,
        "STRING" | "VARCHAR" | "CHAR" => Ty::Str,
        "BOOLEAN" => Ty::Bool,
        _ => Ty::Other(text.to_string()),
    }
}

/// The first [`SAMPLE_EVENTS`] JSON objects of a file, for inference and for
/// choosing the time field.
pub fn read_sample(path: &Path) -> Result<Vec<serde_json::Map<String, Value>>, Untranslatable> {
    read_rows(path, SAMPLE_EVENTS)
}

/// The first `limit` JSON objects of a file.
pub fn read_rows(
    path: &Path,
    limit: usize,
) -> Result<Vec<serde_json::Map<String, Value>>, Untranslatable> {
    let file = std::fs::File::open(path)
        .map_err(|e| format!("cannot read {} for the schema: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        if out.len() >= limit {
            break;
        }
        let line = line.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => out.push(map),
            _ => {
                return no(format!(
                    "{}:{}: not a JSON object; the schema is inferred from JSON lines (or give --schema)",
                    path.display(),
                    i + 1
                ))
            }
        }
    }
    Ok(out)
}

/// Columns from sample events.
pub fn infer(
    sample: &[serde_json::Map<String, Value>],
    from: &Path,
) -> Result<Vec<Column>, Untranslatable> {
    if sample.is_empty() {
        return no(format!(
            "{} has no events to infer the columns from",
            from.display()
        ));
    }
    let mut cols: Vec<Column> = Vec::new();
    for (i, event) in sample.iter().enumerate() {
        for (k, v) in event {
            let t = Ty::of(v).map_err(|e| {
                format!(
                    "field `{k}` in event {} of {}: {e}; declare its type with --schema",
                    i + 1,
                    from.display()
                )
            })?;
            match cols.iter_mut().find(|c| &c.name == k) {
                Some(c) => {
                    c.ty = merge(&c.ty, &t).ok_or_else(|| {
                        format!(
                            "field `{k}` is {} in one event and {} in event {} of {}: Flink SQL needs one type per column; declare it with --schema",
                            c.ty.describe(),
                            t.describe(),
                            i + 1,
                            from.display()
                        )
                    })?
                }
                None => cols.push(Column {
                    name: k.clone(),
                    ty: t,
                }),
            }
        }
    }
    Ok(cols)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample(v: Value) -> Vec<serde_json::Map<String, Value>> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_object().unwrap().clone())
            .collect()
    }

    fn types(v: Value) -> Result<Vec<(String, String)>, Untranslatable> {
        Ok(infer(&sample(v), Path::new("x.jsonl"))?
            .into_iter()
            .map(|c| (c.name, c.ty.sql()))
            .collect())
    }

    #[test]
    fn ints_floats_strings_in_order_of_appearance() {
        let t = types(json!([{"a": 1, "b": "x"}, {"c": true, "a": 2.5, "d": null}])).unwrap();
        let want = [
            ("a", "DOUBLE"),
            ("b", "STRING"),
            ("c", "BOOLEAN"),
            ("d", "STRING"),
        ];
        assert_eq!(
            t,
            want.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
        );
    }

    #[test]
    fn nested_objects_and_arrays() {
        let t =
            types(json!([{"req": {"path": "/", "ms": 3}, "tags": ["a"]}, {"req": {"ms": 1.5}}]))
                .unwrap();
        assert_eq!(t[0].1, "ROW<`path` STRING, `ms` DOUBLE>");
        assert_eq!(t[1].1, "ARRAY<STRING>");
    }

    #[test]
    fn mixed_kinds_are_refused_with_the_event_number() {
        let e = types(json!([{"a": 1}, {"a": "x"}])).unwrap_err();
        assert!(
            e.contains("field `a` is an integer in one event and a string in event 2"),
            "{e}"
        );
        assert!(e.contains("--schema"), "{e}");
    }

    #[test]
    fn schema_file_types() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.txt");
        std::fs::write(
            &p,
            "# comment\nstatus BIGINT\n\nname VARCHAR(20)\nm MAP<STRING, INT>\n",
        )
        .unwrap();
        let cols = read_schema_file(&p).unwrap();
        assert_eq!(cols[0].ty, Ty::Int);
        assert_eq!(cols[1].ty, Ty::Str);
        assert_eq!(cols[2].ty, Ty::Other("MAP<STRING, INT>".into()));
        std::fs::write(&p, "status\n").unwrap();
        assert!(read_schema_file(&p)
            .unwrap_err()
            .contains(":1: expected `name type`"));
    }
}
