//! Indexing JSON lines (splitting CSV/TSV lines, scanning access-log lines)
//! on the reader thread, so both cores share the work.
//!
//! Why: validating and indexing a JSON line, or finding a CSV line's cells,
//! is most of what a simple pipeline (`where status >= 500`) costs, while
//! the reader thread mostly waits for `read`. So the reader indexes some
//! blocks itself before it sends them; the main loop uses that index and
//! indexes only the rest.
//!
//! How much the reader takes on is balanced as it goes (see `Share`): when
//! the main loop had to wait for input, the reader does less; when the
//! channel is full (the main loop is the slow side), it does more. On a
//! trickle of input the main loop always waits, so the reader indexes
//! nothing and a line goes through with no extra step.
//!
//! The main loop stays the judge of what a line is: it splits lines itself
//! (over-long lines, lines across blocks, CSV input) and only takes an index
//! for a line that ends exactly where an indexed line ends; any other line is
//! decoded as before. A line the reader found invalid is decoded again on
//! the main loop, so rejections read the same.

use memchr::memchr_iter;

use super::cells::{split_csv_in_place, split_tsv_in_place};
use super::json_index::{index_members, Member};
use super::lines::trim_cr;
use crate::event::Span;
use crate::logformat::access::{self, AccessScan};

/// What the reader may prepare for an input's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Nothing (logfmt, lines).
    Opaque,
    /// JSON objects (`-i json`, or `auto`, where the first line decides).
    Json,
    Csv,
    Tsv,
    /// Text lines that the pipeline first parses as an access log
    /// (`parse nginx`): the reader finds their parts (`access::scan`).
    Access,
}

/// Marks a line the reader found invalid (the main loop decodes it again).
const INVALID: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct IndexedLine {
    /// Offset in the block just after the line's `\n`.
    end: u32,
    /// Its members (JSON) are `members[first..first + count]`, its cells
    /// (CSV/TSV) `spans[first..first + count]`, its access-log parts
    /// `access[first]`; `count` is `INVALID` for a line that is not a valid
    /// JSON object, not a CSV/TSV line that can be split in place, or not
    /// an access-log line.
    first: u32,
    count: u32,
    /// A CSV/TSV line is all ASCII (so it needs no UTF-8 check).
    ascii: bool,
}

/// The index of the whole lines of one block (empty: not indexed).
#[derive(Default)]
pub struct BlockIndex {
    kind: Option<LineKind>,
    /// Offset just after the first line's `\n` when that line began in an
    /// earlier block (it has no entry in `lines`); 0 if none.
    first_end: u32,
    lines: Vec<IndexedLine>,
    members: Vec<Member>,
    spans: Vec<Span>,
    access: Vec<AccessScan>,
    scratch: Vec<Span>,
}

/// What the reader knew of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pre<'a> {
    /// Not indexed: decode it as usual.
    Unknown,
    /// A valid JSON object with these top-level members.
    Valid(&'a [Member]),
    /// A CSV/TSV line whose cells are these slices of it.
    Cells { spans: &'a [Span], ascii: bool },
    /// An access-log line whose parts are here.
    Access(&'a AccessScan),
    /// Not a valid JSON object (or blank): decode it as usual to say why.
    Invalid,
}

impl BlockIndex {
    pub fn clear(&mut self) {
        self.kind = None;
        self.first_end = 0;
        self.lines.clear();
        self.members.clear();
        self.spans.clear();
        self.access.clear();
    }

    /// Index every line of `data` that starts in it and ends with a `\n` in
    /// it. `at_line_start`: the block begins a line (else its first line
    /// began in an earlier block and is left to the main loop).
    pub fn build(&mut self, data: &[u8], at_line_start: bool, kind: LineKind) {
        self.clear();
        if data.len() >= INVALID as usize || kind == LineKind::Opaque {
            return;
        }
        self.kind = Some(kind);
        let mut start = 0;
        let mut first_line = !at_line_start;
        for nl in memchr_iter(b'\n', data) {
            let line = &data[start..nl];
            start = nl + 1;
            if std::mem::take(&mut first_line) {
                self.first_end = start as u32;
                continue;
            }
            let entry = match kind {
                LineKind::Json => self.index_json(trim_cr(line)),
                LineKind::Access => self.scan_access(trim_cr(line)),
                _ => self.split_cells(trim_cr(line), kind),
            };
            self.lines.push(IndexedLine {
                end: start as u32,
                ..entry
            });
        }
    }

    fn index_json(&mut self, line: &[u8]) -> IndexedLine {
        let first = self.members.len();
        let count = match index_members(line, &mut self.members) {
            Ok(()) => (self.members.len() - first) as u32,
            Err(_) => {
                self.members.truncate(first);
                INVALID
            }
        };
        IndexedLine {
            end: 0,
            first: first as u32,
            count,
            ascii: false,
        }
    }

    /// The parts of an access-log line. A line that is not one, or not
    /// UTF-8, is left to the main loop (which says why, or counts it as
    /// unparsed).
    fn scan_access(&mut self, line: &[u8]) -> IndexedLine {
        let first = self.access.len() as u32;
        let scanned = std::str::from_utf8(line).ok().and_then(access::scan);
        let count = match scanned {
            Some(scan) => {
                self.access.push(scan);
                1
            }
            None => INVALID,
        };
        IndexedLine {
            end: 0,
            first,
            count,
            ascii: false,
        }
    }

    /// The cells of a CSV/TSV line that can be split where it is; any other
    /// line (quotes to undo, escapes, blank) is left to the main loop.
    fn split_cells(&mut self, line: &[u8], kind: LineKind) -> IndexedLine {
        let first = self.spans.len();
        let split = if line.is_empty() {
            None
        } else if kind == LineKind::Tsv {
            split_tsv_in_place(line, &mut self.scratch)
        } else {
            split_csv_in_place(line, &mut self.scratch)
        };
        let (count, ascii) = match split {
            Some(ascii) => {
                self.spans.extend_from_slice(&self.scratch);
                (self.scratch.len() as u32, ascii)
            }
            None => (INVALID, false),
        };
        IndexedLine {
            end: 0,
            first: first as u32,
            count,
            ascii,
        }
    }

    /// The offsets of the block's `\n`s from offset `from` on, relative to
    /// `from` (every one: each ends a line the index has, or the first
    /// line); `None` if the block was not indexed.
    pub fn newlines(&self, from: usize) -> Option<impl Iterator<Item = usize> + '_> {
        self.kind?;
        let ends = std::iter::once(self.first_end)
            .filter(|&e| e != 0)
            .chain(self.lines.iter().map(|l| l.end));
        Some(
            ends.map(|end| end as usize - 1)
                .skip_while(move |&nl| nl < from)
                .map(move |nl| nl - from),
        )
    }

    /// Look lines up in order; `base` is the stream offset of the block's
    /// first byte.
    pub fn cursor(&self, base: u64) -> Cursor<'_> {
        self.cursor_at(base, 0)
    }

    /// A cursor that carries on at the place another one left (`Cursor::place`).
    pub fn cursor_at(&self, base: u64, place: usize) -> Cursor<'_> {
        Cursor {
            index: self,
            base,
            next: place,
        }
    }
}

/// Walks a block's index alongside the main loop's line splitter.
pub struct Cursor<'a> {
    index: &'a BlockIndex,
    base: u64,
    next: usize,
}

impl<'a> Cursor<'a> {
    /// No index at all (a file's last line, read at its end).
    pub fn none() -> Cursor<'static> {
        static EMPTY: BlockIndex = BlockIndex {
            kind: None,
            first_end: 0,
            lines: Vec::new(),
            members: Vec::new(),
            spans: Vec::new(),
            access: Vec::new(),
            scratch: Vec::new(),
        };
        EMPTY.cursor(0)
    }

    /// How far the cursor went (to carry on later with `cursor_at`).
    pub fn place(&self) -> usize {
        self.next
    }

    /// What the reader knew of the line that ends at stream offset `end`
    /// (just after its `\n`). Lines must be asked for in order.
    pub fn line_ending_at(&mut self, end: u64) -> Pre<'a> {
        let Some(rel) = end.checked_sub(self.base) else {
            return Pre::Unknown;
        };
        while let Some(line) = self.index.lines.get(self.next) {
            let line_end = u64::from(line.end);
            if line_end > rel {
                break;
            }
            self.next += 1;
            if line_end == rel {
                if line.count == INVALID {
                    // Not an access-log line: the main loop tries it itself.
                    if self.index.kind == Some(LineKind::Access) {
                        return Pre::Unknown;
                    }
                    return Pre::Invalid;
                }
                let range = line.first as usize..(line.first + line.count) as usize;
                return match self.index.kind {
                    Some(LineKind::Json) => Pre::Valid(&self.index.members[range]),
                    Some(LineKind::Csv | LineKind::Tsv) => Pre::Cells {
                        spans: &self.index.spans[range],
                        ascii: line.ascii,
                    },
                    Some(LineKind::Access) => self
                        .index
                        .access
                        .get(line.first as usize)
                        .map_or(Pre::Unknown, Pre::Access),
                    _ => Pre::Unknown,
                };
            }
        }
        Pre::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::json_index::index_object;

    fn members_of(line: &[u8]) -> Vec<Member> {
        let mut v = Vec::new();
        index_object(line, &mut v).unwrap();
        v
    }

    #[test]
    fn indexes_whole_lines_only() {
        let data = b"x\":1}\n{\"a\":1}\r\nnot json\n\n{\"b\":[2]}\n{\"c\":";
        let mut idx = BlockIndex::default();
        idx.build(data, false, LineKind::Json);
        let mut c = idx.cursor(100);
        // The first line began in an earlier block: not indexed.
        assert_eq!(c.line_ending_at(106), Pre::Unknown);
        let a = members_of(b"{\"a\":1}");
        assert_eq!(c.line_ending_at(115), Pre::Valid(&a));
        assert_eq!(c.line_ending_at(124), Pre::Invalid);
        assert_eq!(c.line_ending_at(125), Pre::Invalid);
        let b = members_of(b"{\"b\":[2]}");
        assert_eq!(c.line_ending_at(135), Pre::Valid(&b));
        // The unfinished last line has no entry.
        assert_eq!(c.line_ending_at(141), Pre::Unknown);
    }

    #[test]
    fn access_log_lines_are_scanned_and_others_left_to_the_main_loop() {
        let good = r#"1.2.3.4 - - [01/Mar/2026:12:00:05 +0000] "GET / HTTP/1.1" 200 5"#;
        let data = format!("{good}\n{good}\r\njunk\n#{good}\n{good}");
        let mut data = data.into_bytes();
        // A byte that is not UTF-8 in the fourth line.
        let at = data.iter().position(|&b| b == b'#').unwrap_or(0);
        data[at] = 0xFF;
        let mut idx = BlockIndex::default();
        idx.build(&data, true, LineKind::Access);
        let mut c = idx.cursor(0);
        let scan = access::scan(good).unwrap();
        let n = good.len() as u64;
        assert_eq!(c.line_ending_at(n + 1), Pre::Access(&scan));
        assert_eq!(c.line_ending_at(2 * n + 3), Pre::Access(&scan), "CRLF");
        assert_eq!(c.line_ending_at(2 * n + 8), Pre::Unknown, "junk");
        assert_eq!(c.line_ending_at(3 * n + 10), Pre::Unknown, "not UTF-8");
        // The unfinished last line has no entry.
        assert_eq!(c.line_ending_at(4 * n + 10), Pre::Unknown);
    }

    #[test]
    fn newlines_are_every_newline_of_an_indexed_block() {
        let data = b"x\":1}\n{\"a\":1}\r\nnot json\n\n{\"b\":[2]}\n{\"c\":";
        let all: Vec<usize> = memchr_iter(b'\n', data).collect();
        for at_line_start in [false, true] {
            let mut idx = BlockIndex::default();
            idx.build(data, at_line_start, LineKind::Json);
            for from in 0..data.len() {
                let want: Vec<usize> = all
                    .iter()
                    .filter(|&&n| n >= from)
                    .map(|n| n - from)
                    .collect();
                let got: Vec<usize> = idx.newlines(from).unwrap().collect();
                assert_eq!(got, want, "from {from}");
            }
        }
        let mut idx = BlockIndex::default();
        idx.build(data, true, LineKind::Opaque);
        assert!(idx.newlines(0).is_none());
        assert!(BlockIndex::default().newlines(0).is_none());
    }

    #[test]
    fn a_block_at_a_line_start_indexes_its_first_line() {
        let mut idx = BlockIndex::default();
        idx.build(b"{\"a\":1}\n", true, LineKind::Json);
        let a = members_of(b"{\"a\":1}");
        assert_eq!(idx.cursor(0).line_ending_at(8), Pre::Valid(&a));
    }

    #[test]
    fn lines_the_splitter_joined_differently_are_unknown() {
        let mut idx = BlockIndex::default();
        idx.build(b"{\"a\":1}\n{\"b\":2}\n", true, LineKind::Json);
        let mut c = idx.cursor(0);
        // The main loop saw one line up to offset 16 (it had skipped 8 as part
        // of an over-long line, say): not the same line, so no index.
        assert_eq!(c.line_ending_at(12), Pre::Unknown);
        let b = members_of(b"{\"b\":2}");
        assert_eq!(c.line_ending_at(16), Pre::Valid(&b));
        assert_eq!(Cursor::none().line_ending_at(16), Pre::Unknown);
    }
}
