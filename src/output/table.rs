//! `-O table`: rows are gathered and printed as one aligned block per
//! emission, with a header naming the columns. A block ends at each flush
//! (the input had nothing more ready), when the window of the rows changes
//! (each closed window is its own block, even from a file read in one go),
//! and after [`MAX_BLOCK_ROWS`] rows so memory stays bounded.
//!
//! A block of one row is not followed by a blank line, and a one-row block
//! with the same columns that fits the widths continues it without a header:
//! an unkeyed windowed count (one row per window) reads as one table.
//!
//! Watching (`emit every D`, `emit on update`; see [`Live`]): on a terminal
//! one table is redrawn in place, as `top` does, under a line with the time
//! of the snapshot and the window; into a pipe or file each block is headed
//! by that line. A group's row replaces its older row, except for the
//! `top` stage, whose every snapshot replaces the whole table.
//!
//! Numbers are right-aligned (header too); widths count characters. The
//! header is bold only on a terminal, and never with `NO_COLOR` set.

use serde_json::Map;

use crate::report::visible;
use crate::timefmt::{format_rfc3339_ms, Millis};
use crate::value::{cell_text, Value};

/// Rows held before a block is printed regardless.
pub const MAX_BLOCK_ROWS: usize = 10_000;

/// Colour on a terminal unless `NO_COLOR` is set to something non-empty
/// (<https://no-color.org>).
pub fn color_wanted(is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// How a table is written when the pipeline is watched (`emit every`, `emit on update`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Live {
    /// Not watched: blocks as they come.
    Off,
    /// Into a pipe or file: each block headed by the snapshot line.
    Blocks,
    /// On a terminal: one table redrawn in place. A row replaces the row
    /// with the same values in these columns (window and keys).
    Redraw(Vec<String>),
    /// On a terminal: one table redrawn in place, each block (a snapshot
    /// of `top … emit every`) replacing the whole table, so a group that
    /// left the top N leaves the screen.
    Replace,
}

impl Live {
    /// The mode for a pipeline watched by these columns (None: not
    /// watched), written to a terminal or not.
    pub fn of(watched: Option<Vec<String>>, terminal: bool) -> Live {
        match (watched, terminal) {
            (None, _) => Live::Off,
            (Some(cols), true) => Live::Redraw(cols),
            (Some(_), false) => Live::Blocks,
        }
    }
}

/// Columns and their widths, as printed.
#[derive(Debug, Clone, PartialEq)]
struct Layout {
    cols: Vec<String>,
    widths: Vec<usize>,
    numeric: Vec<bool>,
}

pub struct Table {
    rows: Vec<Map<String, Value>>,
    color: bool,
    live: Live,
    /// `Live::Redraw`: the rows on screen, by the text of their identity.
    screen: Vec<(String, Map<String, Value>)>,
    /// The screen changed since it was drawn.
    dirty: bool,
    /// The last block printed had one row and no blank line after it.
    open: Option<Layout>,
    /// The wall clock (epoch ms), for the snapshot line.
    clock: fn() -> Millis,
}

fn wall_clock() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

fn width(s: &str) -> usize {
    s.chars().count()
}

impl Table {
    pub fn new(color: bool) -> Table {
        Table {
            rows: Vec::new(),
            color,
            live: Live::Off,
            screen: Vec::new(),
            dirty: false,
            open: None,
            clock: wall_clock,
        }
    }

    pub fn set_live(&mut self, live: Live) {
        self.live = live;
    }

    /// Add a row; a row of another window first prints the rows before it.
    pub fn push(&mut self, row: Map<String, Value>, out: &mut Vec<u8>) {
        if let Live::Redraw(identity) = &self.live {
            let id = identity_of(identity, &row);
            upsert(&mut self.screen, id, row);
            self.dirty = true;
            return;
        }
        if self.live == Live::Replace {
            // The largest groups come first: past the bound, the rest are not shown.
            if self.rows.len() < MAX_BLOCK_ROWS {
                self.rows.push(row);
            }
            return;
        }
        let new_window = self
            .rows
            .last()
            .is_some_and(|last| last.get("window_end") != row.get("window_end"));
        if new_window || self.rows.len() >= MAX_BLOCK_ROWS {
            self.render(out);
        }
        self.rows.push(row);
    }

    /// Print what is pending: a block, or the redrawn table.
    pub fn render(&mut self, out: &mut Vec<u8>) {
        match self.live {
            Live::Redraw(_) => self.redraw(out),
            Live::Replace => {
                if self.rows.is_empty() {
                    return;
                }
                self.screen = self.rows.drain(..).map(|r| (String::new(), r)).collect();
                self.dirty = true;
                self.redraw(out);
            }
            Live::Blocks => {
                if self.rows.is_empty() {
                    return;
                }
                let line = snapshot_line((self.clock)(), &self.rows);
                out.extend_from_slice(line.as_bytes());
                out.push(b'\n');
                let layout = layout(&self.rows, None);
                self.write_block(&layout, true, out);
                out.push(b'\n');
            }
            Live::Off => self.render_block(out),
        }
    }

    fn render_block(&mut self, out: &mut Vec<u8>) {
        if self.rows.is_empty() {
            return;
        }
        if self.rows.len() == 1 {
            if let Some(open) = &self.open {
                let fits = layout(&self.rows, Some(open));
                if fits == *open {
                    self.write_block(&fits, false, out);
                    return;
                }
            }
        }
        if self.open.take().is_some() {
            // The one-row block before ends here.
            out.push(b'\n');
        }
        let layout = layout(&self.rows, None);
        self.write_block(&layout, true, out);
    }

    /// Write the rows (after a header if asked) and forget them; a block of
    /// one row stays open for the next, a longer one ends with a blank line.
    fn write_block(&mut self, layout: &Layout, header: bool, out: &mut Vec<u8>) {
        let cells: Vec<Vec<String>> = self.rows.iter().map(|r| cells(&layout.cols, r)).collect();
        if header {
            // Keys come from the data too: shown escaped, like the cells.
            let titles: Vec<_> = layout.cols.iter().map(|c| visible(c)).collect();
            let names: Vec<&str> = titles.iter().map(|t| t.as_ref()).collect();
            write_line(out, layout, &names, self.color);
        }
        for r in &cells {
            let texts: Vec<&str> = r.iter().map(String::as_str).collect();
            write_line(out, layout, &texts, false);
        }
        if self.live == Live::Off && self.rows.len() == 1 {
            self.open = Some(layout.clone());
        } else if self.live == Live::Off {
            out.push(b'\n');
        }
        self.rows.clear();
    }

    /// `Live::Redraw`: clear the terminal and draw the snapshot line and the table.
    fn redraw(&mut self, out: &mut Vec<u8>) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        let rows: Vec<Map<String, Value>> = self.screen.iter().map(|(_, r)| r.clone()).collect();
        // Home, clear the screen: the table is drawn in place, whatever its height was.
        out.extend_from_slice(b"\x1b[H\x1b[2J");
        out.extend_from_slice(snapshot_line((self.clock)(), &rows).as_bytes());
        out.push(b'\n');
        if rows.is_empty() {
            return;
        }
        let layout = layout(&rows, None);
        // Keys come from the data too: shown escaped, like the cells.
        let titles: Vec<_> = layout.cols.iter().map(|c| visible(c)).collect();
        let names: Vec<&str> = titles.iter().map(|t| t.as_ref()).collect();
        write_line(out, &layout, &names, self.color);
        for r in &rows {
            let c = cells(&layout.cols, r);
            let texts: Vec<&str> = c.iter().map(String::as_str).collect();
            write_line(out, &layout, &texts, false);
        }
    }
}

/// The text that says which row a row replaces on a redrawn table.
fn identity_of(cols: &[String], row: &Map<String, Value>) -> String {
    let mut id = String::new();
    for c in cols {
        id.push_str(&row.get(c).map(Value::to_string).unwrap_or_default());
        id.push('\u{0}');
    }
    id
}

/// Put `row` on the screen: in place of the row with its identity, else
/// last. Rows of windows that ended before this row's window started are
/// gone (the screen shows the open windows), and the screen holds at most
/// [`MAX_BLOCK_ROWS`] rows.
fn upsert(screen: &mut Vec<(String, Map<String, Value>)>, id: String, row: Map<String, Value>) {
    if let Some(start) = row.get("window_start").and_then(Value::as_str) {
        screen.retain(|(_, r)| {
            r.get("window_end")
                .and_then(Value::as_str)
                .is_none_or(|end| end > start)
        });
    }
    match screen.iter_mut().find(|(i, _)| *i == id) {
        Some((_, r)) => *r = row,
        None => {
            if screen.len() >= MAX_BLOCK_ROWS {
                screen.remove(0);
            }
            screen.push((id, row));
        }
    }
}

/// `snapshot TIME · window START – END` (or `windows …` when the rows span
/// several, `all events so far` without windows).
pub fn snapshot_line(now: Millis, rows: &[Map<String, Value>]) -> String {
    let field =
        |r: &Map<String, Value>, k: &str| r.get(k).and_then(Value::as_str).map(str::to_owned);
    let starts: Vec<String> = rows
        .iter()
        .filter_map(|r| field(r, "window_start"))
        .collect();
    let ends: Vec<String> = rows.iter().filter_map(|r| field(r, "window_end")).collect();
    let window = match (starts.iter().min(), ends.iter().max()) {
        (Some(s), Some(e)) => {
            let one = starts.iter().all(|x| x == s);
            format!("{} {s} – {e}", if one { "window" } else { "windows" })
        }
        _ => "all events so far".to_string(),
    };
    format!("snapshot {} · {window}", format_rfc3339_ms(now))
}

fn cells(cols: &[String], r: &Map<String, Value>) -> Vec<String> {
    cols.iter()
        .map(|c| {
            r.get(c)
                .map(|v| visible(&cell_text(v)).into_owned())
                .unwrap_or_default()
        })
        .collect()
}

/// Columns (every key in first-seen order), widths and alignment of rows.
/// With `within`, the rows are measured against that layout: the result
/// equals it when they have its columns and fit its widths.
fn layout(rows: &[Map<String, Value>], within: Option<&Layout>) -> Layout {
    let mut cols: Vec<String> = Vec::new();
    for row in rows {
        for k in row.keys() {
            if !cols.contains(k) {
                cols.push(k.clone());
            }
        }
    }
    let mut widths: Vec<usize> = cols
        .iter()
        .map(|c| {
            rows.iter()
                .map(|r| width(&cells(std::slice::from_ref(c), r)[0]))
                .max()
                .unwrap_or(0)
                .max(width(&visible(c)))
        })
        .collect();
    let mut numeric: Vec<bool> = cols
        .iter()
        .map(|c| {
            rows.iter()
                .all(|r| matches!(r.get(c), Some(Value::Number(_)) | None | Some(Value::Null)))
        })
        .collect();
    if let Some(w) = within {
        if w.cols == cols && widths.iter().zip(&w.widths).all(|(a, b)| a <= b) {
            widths.clone_from(&w.widths);
            if numeric.iter().zip(&w.numeric).all(|(a, b)| *a || !*b) {
                numeric.clone_from(&w.numeric);
            }
        }
    }
    Layout {
        cols,
        widths,
        numeric,
    }
}

fn write_line(out: &mut Vec<u8>, layout: &Layout, texts: &[&str], bold: bool) {
    let mut s = String::new();
    for (i, t) in texts.iter().enumerate() {
        let pad = layout.widths[i].saturating_sub(width(t));
        let last = i + 1 == texts.len();
        let cell = if layout.numeric[i] {
            format!("{}{t}", " ".repeat(pad))
        } else if last {
            t.to_string()
        } else {
            format!("{t}{}", " ".repeat(pad))
        };
        if i > 0 {
            s.push_str("  ");
        }
        if bold {
            s.push_str("\x1b[1m");
            s.push_str(&cell);
            s.push_str("\x1b[0m");
        } else {
            s.push_str(&cell);
        }
    }
    out.extend_from_slice(s.trim_end().as_bytes());
    out.push(b'\n');
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
        assert_eq!(out, "msg\ntwo\\nlines\n");
    }

    #[test]
    fn header_is_bold_only_with_colour() {
        let out = render(&[json!({"k": "v", "n": 1})], true);
        assert_eq!(out, "\x1b[1mk\x1b[0m  \x1b[1mn\x1b[0m\nv  1\n");
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
            "window_end   n\nT1           1\nT1          22\n\nwindow_end  n\nT2          3\n"
        );
    }

    #[test]
    fn one_row_windows_read_as_one_table_with_one_header() {
        let out = render(
            &[
                json!({"window_end": "T1", "count": 3}),
                json!({"window_end": "T2", "count": 12}),
                json!({"window_end": "T3", "count": 0}),
            ],
            false,
        );
        assert_eq!(
            out,
            "window_end  count\nT1              3\nT2             12\nT3              0\n"
        );
        // A row that does not fit, or other columns, starts a block of its own.
        let out = render(
            &[
                json!({"window_end": "T1", "count": 3}),
                json!({"window_end": "T2 is much longer", "count": 1}),
                json!({"window_end": "T3", "other": 1}),
                json!({"window_end": "T4", "other": 2}),
                json!({"window_end": "T4", "other": 3}),
            ],
            false,
        );
        assert_eq!(
            out,
            "window_end  count\nT1              3\n\nwindow_end         count\nT2 is much longer      1\n\n\
             window_end  other\nT3              1\n\nwindow_end  other\nT4              2\nT4              3\n\n"
        );
    }

    fn at_noon() -> Millis {
        1_772_366_400_000 // 2026-03-01T12:00:00Z
    }

    #[test]
    fn watched_blocks_are_headed_by_the_snapshot_time_and_window() {
        let mut t = Table::new(false);
        t.clock = at_noon;
        t.set_live(Live::Blocks);
        let mut out = Vec::new();
        t.push(
            row(json!({"window_start": "A", "window_end": "B", "n": 1})),
            &mut out,
        );
        t.render(&mut out);
        t.push(row(json!({"path": "/a", "n": 2})), &mut out);
        t.render(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "snapshot 2026-03-01T12:00:00.000Z · window A – B\nwindow_start  window_end  n\nA             B           1\n\n\
             snapshot 2026-03-01T12:00:00.000Z · all events so far\npath  n\n/a    2\n\n"
        );
    }

    #[test]
    fn a_terminal_table_is_redrawn_in_place_with_rows_replaced_by_identity() {
        let mut t = Table::new(false);
        t.clock = at_noon;
        t.set_live(Live::Redraw(vec!["path".into()]));
        let mut out = Vec::new();
        t.push(row(json!({"path": "/a", "n": 1})), &mut out);
        t.push(row(json!({"path": "/b", "n": 1})), &mut out);
        t.render(&mut out);
        let first = String::from_utf8(std::mem::take(&mut out)).unwrap();
        assert_eq!(
            first,
            "\x1b[H\x1b[2Jsnapshot 2026-03-01T12:00:00.000Z · all events so far\npath  n\n/a    1\n/b    1\n"
        );
        // Nothing new: nothing drawn.
        t.render(&mut out);
        assert!(out.is_empty());
        t.push(row(json!({"path": "/a", "n": 5})), &mut out);
        t.render(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\x1b[H\x1b[2Jsnapshot 2026-03-01T12:00:00.000Z · all events so far\npath  n\n/a    5\n/b    1\n"
        );
    }

    #[test]
    fn a_replaced_table_shows_only_the_last_snapshot() {
        let mut t = Table::new(false);
        t.clock = at_noon;
        t.set_live(Live::Replace);
        let mut out = Vec::new();
        t.push(row(json!({"path": "/a", "count": 3})), &mut out);
        t.push(row(json!({"path": "/b", "count": 2})), &mut out);
        t.render(&mut out);
        let first = String::from_utf8(std::mem::take(&mut out)).unwrap();
        assert_eq!(
            first,
            "\x1b[H\x1b[2Jsnapshot 2026-03-01T12:00:00.000Z · all events so far\npath  count\n/a        3\n/b        2\n"
        );
        // Nothing new: nothing drawn.
        t.render(&mut out);
        assert!(out.is_empty());
        // /b left the top 2: it leaves the screen.
        t.push(row(json!({"path": "/c", "count": 9})), &mut out);
        t.push(row(json!({"path": "/a", "count": 3})), &mut out);
        t.render(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\x1b[H\x1b[2Jsnapshot 2026-03-01T12:00:00.000Z · all events so far\npath  count\n/c        9\n/a        3\n"
        );
    }

    #[test]
    fn a_redrawn_table_drops_windows_that_ended() {
        let mut screen = Vec::new();
        let r = |s: &str, e: &str, n: i64| row(json!({"window_start": s, "window_end": e, "n": n}));
        upsert(&mut screen, "1".into(), r("T0", "T1", 1));
        upsert(&mut screen, "2".into(), r("T1", "T2", 2));
        assert_eq!(screen.len(), 1);
        assert_eq!(screen[0].0, "2");
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
