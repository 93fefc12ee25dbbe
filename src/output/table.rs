//! `-O table`: rows are gathered and printed as one aligned block per
//! emission (each flush), with a header naming the columns.

use serde_json::Map;

use super::encode::cell_text;
use crate::value::Value;

pub struct Table {
    rows: Vec<Map<String, Value>>,
    color: bool,
}

impl Table {
    pub fn new(color: bool) -> Table {
        Table {
            rows: Vec::new(),
            color,
        }
    }

    pub fn push(&mut self, row: Map<String, Value>) {
        self.rows.push(row);
    }

    pub fn render(&mut self, out: &mut Vec<u8>) {
        if self.rows.is_empty() {
            return;
        }
        // Columns: every key in first-seen order.
        let mut cols: Vec<&str> = Vec::new();
        for row in &self.rows {
            for k in row.keys() {
                if !cols.contains(&k.as_str()) {
                    cols.push(k);
                }
            }
        }
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                cols.iter()
                    .map(|c| {
                        r.get(*c)
                            .map(|v| cell_text(v).replace('\n', "\\n"))
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .collect();
        let width = |s: &str| s.chars().count();
        let widths: Vec<usize> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cells
                    .iter()
                    .map(|r| width(&r[i]))
                    .max()
                    .unwrap_or(0)
                    .max(width(c))
            })
            .collect();
        let numeric: Vec<bool> = cols
            .iter()
            .map(|c| {
                self.rows
                    .iter()
                    .all(|r| matches!(r.get(*c), Some(Value::Number(_)) | None | Some(Value::Null)))
            })
            .collect();
        let line = |out: &mut Vec<u8>, texts: &[&str], header: bool| {
            let mut s = String::new();
            for (i, t) in texts.iter().enumerate() {
                let pad = widths[i] - width(t);
                let last = i + 1 == texts.len();
                let cell = if numeric[i] && !header {
                    format!("{}{t}", " ".repeat(pad))
                } else if last {
                    t.to_string()
                } else {
                    format!("{t}{}", " ".repeat(pad))
                };
                if i > 0 {
                    s.push_str("  ");
                }
                if header && self.color {
                    s.push_str("\x1b[1m");
                    s.push_str(&cell);
                    s.push_str("\x1b[0m");
                } else {
                    s.push_str(&cell);
                }
            }
            out.extend_from_slice(s.trim_end().as_bytes());
            out.push(b'\n');
        };
        line(out, &cols, true);
        for r in &cells {
            let texts: Vec<&str> = r.iter().map(String::as_str).collect();
            line(out, &texts, false);
        }
        out.push(b'\n');
        self.rows.clear();
    }
}
