//! One encoder per output format. An unchanged JSON event is echoed as its
//! original bytes; everything else is serialised from its fields.

use serde_json::Map;

use super::table::Table;
use super::OutFormat;
use crate::event::{Event, RawFormat};
use crate::value::{cell_text, Value};

pub enum Encoder {
    Json,
    Delimited {
        sep: u8,
        header: Option<Vec<String>>,
        csv: Box<csv_core::Writer>,
    },
    Logfmt,
    Table(Table),
}

impl Encoder {
    pub fn new(format: OutFormat, color: bool) -> Encoder {
        match format {
            OutFormat::Json => Encoder::Json,
            OutFormat::Csv => Encoder::Delimited {
                sep: b',',
                header: None,
                csv: Box::default(),
            },
            OutFormat::Tsv => Encoder::Delimited {
                sep: b'\t',
                header: None,
                csv: Box::default(),
            },
            OutFormat::Logfmt => Encoder::Logfmt,
            OutFormat::Table => Encoder::Table(Table::new(color)),
        }
    }

    pub fn encode(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) {
        let raw = ev.unchanged_raw();
        match self {
            Encoder::Json => {
                if let Some((bytes, RawFormat::Json)) = raw {
                    out.extend_from_slice(bytes);
                } else if !ev.write_json(out) {
                    serde_json::to_writer(&mut *out, ev.to_map().as_ref())
                        .expect("writing to a Vec");
                }
                out.push(b'\n');
            }
            Encoder::Delimited { sep, header, csv } => {
                let map = flatten(ev.to_map());
                let keys_match = header.as_ref().is_some_and(|h| {
                    h.len() == map.len() && h.iter().zip(map.keys()).all(|(a, b)| a == b)
                });
                if !keys_match {
                    // A new set of columns starts a new block with its own header (as mlr does).
                    if header.is_some() {
                        out.push(b'\n');
                    }
                    let keys: Vec<String> = map.keys().cloned().collect();
                    write_row(*sep, csv, keys.iter().map(|k| k.as_str().into()), out);
                    *header = Some(keys);
                }
                let same_format = matches!(
                    (raw, *sep),
                    (Some((_, RawFormat::Csv)), b',') | (Some((_, RawFormat::Tsv)), b'\t')
                );
                if let (true, Some((bytes, _))) = (same_format, raw) {
                    out.extend_from_slice(bytes);
                    out.push(b'\n');
                } else {
                    write_row(*sep, csv, map.values().map(cell_text), out);
                }
            }
            Encoder::Logfmt => {
                if let Some((bytes, RawFormat::Logfmt)) = raw {
                    out.extend_from_slice(bytes);
                } else {
                    write_logfmt(flatten(ev.to_map()).as_ref(), out);
                }
                out.push(b'\n');
            }
            Encoder::Table(t) => t.push(ev.to_map().into_owned(), out),
        }
    }

    /// The columns of the CSV/TSV block being written (its header is out).
    pub fn header(&self) -> Option<&[String]> {
        match self {
            Encoder::Delimited { header, .. } => header.as_deref(),
            _ => None,
        }
    }

    /// Carry on in a CSV/TSV block whose header another run wrote.
    pub fn resume_header(&mut self, columns: Vec<String>) {
        if let Encoder::Delimited { header, .. } = self {
            *header = Some(columns);
        }
    }

    /// The end of one emission: a table prints its block.
    pub fn end_block(&mut self, out: &mut Vec<u8>) {
        if let Encoder::Table(t) = self {
            t.render(out);
        }
    }
}

/// Flat formats (CSV, TSV, logfmt) get flat records, as mlr writes them:
/// a nested value becomes dotted columns (`{"req":{"path":"/a"}}` is
/// `req.path`), array elements are numbered from 1 (`tags.1`); an empty
/// object or array stays one cell (`{}`, `[]`). A flat record is borrowed.
fn flatten(
    map: std::borrow::Cow<'_, Map<String, Value>>,
) -> std::borrow::Cow<'_, Map<String, Value>> {
    let nested = |v: &Value| match v {
        Value::Object(o) => !o.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    };
    if !map.values().any(nested) {
        return map;
    }
    fn put(prefix: String, v: &Value, flat: &mut Map<String, Value>) {
        match v {
            Value::Object(o) if !o.is_empty() => {
                for (k, v) in o {
                    put(format!("{prefix}.{k}"), v, flat);
                }
            }
            Value::Array(a) if !a.is_empty() => {
                for (i, v) in a.iter().enumerate() {
                    put(format!("{prefix}.{}", i + 1), v, flat);
                }
            }
            v => {
                flat.insert(prefix, v.clone());
            }
        }
    }
    let mut flat = Map::with_capacity(map.len());
    for (k, v) in map.iter() {
        put(k.clone(), v, &mut flat);
    }
    std::borrow::Cow::Owned(flat)
}

fn write_row<'a>(
    sep: u8,
    csv: &mut csv_core::Writer,
    cells: impl Iterator<Item = std::borrow::Cow<'a, str>>,
    out: &mut Vec<u8>,
) {
    let row_start = out.len();
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(sep);
        }
        if sep == b'\t' {
            for c in cell.bytes() {
                match c {
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    c => out.push(c),
                }
            }
        } else {
            write_csv_field(csv, cell.as_bytes(), out);
        }
    }
    if out.len() == row_start && sep == b',' {
        // A row of one empty cell would read back as a blank line: quote it (as the csv crate does).
        out.extend_from_slice(b"\"\"");
    }
    out.push(b'\n');
}

/// One CSV field, quoted when needed (csv_core decides), appended to `out`.
fn write_csv_field(csv: &mut csv_core::Writer, mut input: &[u8], out: &mut Vec<u8>) {
    let mut tmp = [0u8; 4096];
    loop {
        let (res, nin, nout) = csv.field(input, &mut tmp);
        out.extend_from_slice(&tmp[..nout]);
        input = &input[nin..];
        if res == csv_core::WriteResult::InputEmpty {
            break;
        }
    }
    // Close any open quote for this field.
    loop {
        let (res, nout) = csv.delimiter(&mut tmp);
        // `delimiter` writes the closing quote (if any) and a comma; drop the comma.
        let written = &tmp[..nout];
        out.extend_from_slice(written.strip_suffix(b",").unwrap_or(written));
        if res == csv_core::WriteResult::InputEmpty {
            break;
        }
    }
}

fn write_logfmt(map: &Map<String, Value>, out: &mut Vec<u8>) {
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(k.as_bytes());
        out.push(b'=');
        let text = cell_text(v);
        let needs_quotes = matches!(v, Value::String(s) if s.is_empty())
            || text
                .bytes()
                .any(|c| c == b' ' || c == b'=' || c == b'"' || c == b'\\' || c < 0x20);
        if needs_quotes {
            out.push(b'"');
            for c in text.bytes() {
                match c {
                    b'"' => out.extend_from_slice(b"\\\""),
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    c => out.push(c),
                }
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(text.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    fn enc(format: OutFormat, rows: &[&str]) -> String {
        let mut e = Encoder::new(format, false);
        let mut out = Vec::new();
        for r in rows {
            let map: Map<String, Value> = serde_json::from_str(r).unwrap();
            e.encode(&Event::new_row(map, None), &mut out);
        }
        e.end_block(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_and_reheaders() {
        assert_eq!(
            enc(
                OutFormat::Csv,
                &[
                    r#"{"a":"x,y","b":1}"#,
                    r#"{"a":"q\"","b":null}"#,
                    r#"{"c":true}"#
                ]
            ),
            "a,b\n\"x,y\",1\n\"q\"\"\",\n\nc\ntrue\n"
        );
    }

    #[test]
    fn tsv_escapes() {
        assert_eq!(
            enc(OutFormat::Tsv, &[r#"{"a":"x\ty","b":[1]}"#]),
            // An array is flattened to numbered columns (b.1), as mlr does.
            "a\tb.1\nx\\ty\t1\n"
        );
    }

    #[test]
    fn logfmt_quotes_when_needed() {
        assert_eq!(
            enc(
                OutFormat::Logfmt,
                &[r#"{"a":"x y","b":1,"c":"","d":null,"e":"q\""}"#]
            ),
            "a=\"x y\" b=1 c=\"\" d= e=\"q\\\"\"\n"
        );
    }

    #[test]
    fn json_floats_shortest() {
        assert_eq!(
            enc(OutFormat::Json, &[r#"{"a":12.5,"b":2.0,"c":3}"#]),
            "{\"a\":12.5,\"b\":2.0,\"c\":3}\n"
        );
    }
}
