//! `-O table`: rows are gathered and printed as one aligned block per
//! emission, with a header naming the columns. A block ends at each flush
//! (the input had nothing more ready), when the window of the rows changes
//! (each closed window is its own block, even from a file read in one go),
//! and after [`MAX_BLOCK_ROWS`] rows so memory stays bounded.
//!
//! Numbers are right-aligned (header too); widths count characters. The
//! header is bold only on a terminal, and never with `NO_COLOR` set.

use serde_json::Map;

use crate::value::{cell_text, Value};

/// Rows held before a block is printed regardless.
pub const MAX_BLOCK_ROWS: usize = 10_000;

/// Colour on a terminal unless `NO_COLOR` is set to something non-empty
/// (<https://no-color.org>).
pub fn color_wanted(is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    is_terminal && no_color.is_none_or(|v| v.is_empty())
}

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

    /// Add a row; a row of another window first prints the rows before it.
    pub fn push(&mut self, row: Map<String, Value>, out: &mut Vec<u8>) {
        let new_window = self
            .rows
            .last()
            .is_some_and(|last| last.get("window_end") != row.get("window_end"));
        if new_window || self.rows.len() >= MAX_BLOCK_ROWS {
            self.render(out);
        }
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
                let cell = if numeric[i] {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(v: serde_json::Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test rows are objects"),
        }
    }

    fn render(rows: &[serde_json::Value], color: bool) -> String {
        let mut t = Table::new(color);
        let mut out = Vec::new();
        for r in rows {
            t.push(row(r.clone()), &mut out);
        }
        t.render(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_right_aligned_text_left_aligned() {
        let out = render(
            &[
                json!({"path": "/a", "count": 5, "avg_ms": 12.5}),
                json!({"path": "/longer", "count": 1234, "avg_ms": 3}),
            ],
            false,
        );
        assert_eq!(
            out,
            "path     count  avg_ms\n\
             /a           5    12.5\n\
             /longer   1234       3\n\n"
        );
    }

    #[test]
    fn widths_count_characters_not_bytes() {
        let out = render(
            &[
                json!({"city": "Zürich", "n": 1}),
                json!({"city": "Oslo", "n": 22}),
            ],
            false,
        );
        assert_eq!(out, "city     n\nZürich   1\nOslo    22\n\n");
    }

    #[test]
    fn missing_cells_are_blank_and_new_keys_add_columns() {
        let out = render(&[json!({"a": "x"}), json!({"a": "yy", "b": "z"})], false);
        assert_eq!(out, "a   b\nx\nyy  z\n\n");
    }

    #[test]
    fn newlines_in_cells_do_not_break_rows() {
        let out = render(&[json!({"msg": "two\nlines"})], false);
        assert_eq!(out, "msg\ntwo\\nlines\n\n");
    }

    #[test]
    fn header_is_bold_only_with_colour() {
        let out = render(&[json!({"k": "v", "n": 1})], true);
        assert_eq!(out, "\x1b[1mk\x1b[0m  \x1b[1mn\x1b[0m\nv  1\n\n");
    }

    #[test]
    fn each_window_is_its_own_block() {
        let out = render(
            &[
                json!({"window_end": "T1", "n": 1}),
                json!({"window_end": "T1", "n": 22}),
                json!({"window_end": "T2", "n": 3}),
            ],
            false,
        );
        assert_eq!(
            out,
            "window_end   n\nT1           1\nT1          22\n\nwindow_end  n\nT2          3\n\n"
        );
    }

    #[test]
    fn a_long_block_is_cut_to_bound_memory() {
        let mut t = Table::new(false);
        let mut out = Vec::new();
        for i in 0..MAX_BLOCK_ROWS + 1 {
            t.push(row(json!({ "i": i })), &mut out);
        }
        let printed = String::from_utf8(out.clone()).unwrap();
        assert_eq!(printed.lines().count(), MAX_BLOCK_ROWS + 2);
        assert_eq!(t.rows.len(), 1);
    }

    #[test]
    fn nothing_to_print_prints_nothing() {
        assert_eq!(render(&[], false), "");
    }

    #[test]
    fn colour_follows_the_terminal_and_no_color() {
        use std::ffi::OsStr;
        assert!(color_wanted(true, None));
        assert!(!color_wanted(false, None));
        assert!(!color_wanted(true, Some(OsStr::new("1"))));
        assert!(color_wanted(true, Some(OsStr::new(""))));
    }
}
