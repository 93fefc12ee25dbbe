//! Lookup tables for `join`: read a CSV, TSV or JSON-lines file into a hash
//! index from key text to the fields a match adds, and tell whether the
//! file changed since.
//!
//! Rows are decoded by the input decoder (`input::decode`), so a lookup cell
//! is typed exactly as an input cell would be and a malformed lookup line is
//! refused for the same reasons an input line is. This module never prints:
//! it returns what it found (duplicate keys included) and the caller words
//! the message for startup or for a reload.
//!
//! Size: a table holds, per row, its key once and its values as JSON text
//! (names are shared: see `event::Shape`), in one arena, plus a 4-byte slot
//! of a hash index — about the file's size plus 20–30 bytes a row, where a
//! map of decoded rows took 25× the file.

use std::borrow::Cow;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use hashbrown::HashTable;
use rustc_hash::FxHashMap;

use crate::event::{
    encode_block, read_u32, write_cell_json, EncodedRef, Event, Pos, RawFormat, Shape,
};
use crate::input::decode::{Decoded, Decoder};
use crate::input::Format;
use crate::value::{key_text, typed_cell, Value};

/// What a lookup file holds, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupFormat {
    Csv,
    Tsv,
    JsonLines,
}

impl LookupFormat {
    pub fn of(path: &Path) -> Option<LookupFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(LookupFormat::Csv),
            "tsv" => Some(LookupFormat::Tsv),
            "json" | "jsonl" | "ndjson" => Some(LookupFormat::JsonLines),
            _ => None,
        }
    }

    fn input_format(self) -> Format {
        match self {
            LookupFormat::Csv => Format::Csv,
            LookupFormat::Tsv => Format::Tsv,
            LookupFormat::JsonLines => Format::Json,
        }
    }
}

/// How a table is built from a file: which column is the key and what the
/// added fields are called.
#[derive(Debug, Clone)]
pub struct Spec {
    pub format: LookupFormat,
    /// The lookup column matched against the event's key.
    pub key: String,
    /// Put before every added field's name.
    pub prefix: Option<String>,
}

/// The fields one lookup row adds, names final (prefix applied), key column
/// left out: encoded as JSON once, lent to each event it joins.
#[derive(Clone, Copy)]
pub struct Row<'t> {
    pub fields: EncodedRef<'t>,
}

/// The first duplicate key met while loading (later rows win), and how many there were.
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicates {
    pub key: String,
    pub line: u64,
    pub first_line: u64,
    pub count: u64,
}

/// Key text → row. Laid out so that a lookup touches one block of memory
/// beyond the hash index: a row is rarely in cache (tables are large and
/// keys random), and each cache miss costs more than everything else a
/// join does per event. The index holds only offsets (4 bytes a slot, so it
/// stays in cache); at an offset in `arena` are the row's line, shape, key
/// length and block length (u32 each), then the key text and the block of
/// its values (`event::encode_block`). Names are in `shapes`, once for all
/// rows that add the same ones.
#[derive(Default)]
pub struct Table {
    arena: Vec<u8>,
    index: HashTable<u32>,
    shapes: Vec<Shape>,
    pub duplicates: Option<Duplicates>,
}

/// An arena entry: line, shape, key length, block length (u32 each), key, block.
const ENTRY_HEADER: usize = 16;

impl Table {
    pub fn get(&self, key: &str) -> Option<Row<'_>> {
        self.get_bytes(key.as_bytes())
    }

    /// `get` with the key text as bytes (no UTF-8 check per lookup).
    pub fn get_bytes(&self, key: &[u8]) -> Option<Row<'_>> {
        let at = *self
            .index
            .find(hash_key(key), |&at| self.key_at(at) == key)?;
        Some(self.row_at(at))
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The memory the table holds: arena, index and names.
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity()
            + self.index.allocation_size()
            + self.shapes.iter().map(Shape::heap_bytes).sum::<usize>()
    }

    /// The added field names when every row has the same ones (always for
    /// CSV/TSV).
    pub fn names(&self) -> Option<&[String]> {
        match self.shapes.as_slice() {
            [one] => Some(one.names()),
            _ => None,
        }
    }

    fn key_at(&self, at: u32) -> &[u8] {
        key_in(&self.arena, at)
    }

    fn row_at(&self, at: u32) -> Row<'_> {
        let at = at as usize;
        let shape = read_u32(&self.arena, at + 4);
        let key_len = read_u32(&self.arena, at + 8);
        let block_len = read_u32(&self.arena, at + 12);
        let start = at + ENTRY_HEADER + key_len;
        let block = self.arena.get(start..start + block_len).unwrap_or_default();
        static NONE: std::sync::OnceLock<Shape> = std::sync::OnceLock::new();
        let shape = self
            .shapes
            .get(shape)
            .unwrap_or_else(|| NONE.get_or_init(|| Shape::new(Vec::new())));
        Row {
            fields: EncodedRef::new(shape, block),
        }
    }

    /// Add a row to the arena: its key, line, shape and values (`write(i,
    /// out)` writes value i); the caller indexes it (`Pending`). Returns
    /// the entry's offset and the key's hash. Err if the table outgrew its
    /// 4 GiB of offsets or a value could not be written.
    fn push(
        &mut self,
        key: &[u8],
        line: u64,
        shape: u32,
        write: impl FnMut(usize, &mut Vec<u8>) -> bool,
    ) -> Result<(u64, u32), ()> {
        let n = self.shapes.get(shape as usize).map_or(0, Shape::len);
        let at = self.arena.len();
        let (Ok(at32), Ok(line32), Ok(key_len)) = (
            u32::try_from(at),
            u32::try_from(line),
            u32::try_from(key.len()),
        ) else {
            return Err(());
        };
        for w in [line32, shape, key_len, 0] {
            self.arena.extend_from_slice(&w.to_ne_bytes());
        }
        self.arena.extend_from_slice(key);
        let block_start = self.arena.len();
        if !encode_block(n, &mut self.arena, write) {
            self.arena.truncate(at);
            return Err(());
        }
        let Ok(block_len) = u32::try_from(self.arena.len() - block_start) else {
            self.arena.truncate(at);
            return Err(());
        };
        self.arena[at + 12..at + 16].copy_from_slice(&block_len.to_ne_bytes());
        Ok((hash_key(key), at32))
    }

    /// Index the entry at `at` (its key's hash `hash`). A row with the same
    /// key is replaced: its line is returned.
    fn index_entry(&mut self, hash: u64, at: u32) -> Option<u64> {
        let arena = &self.arena;
        let key = key_in(arena, at);
        // One probe of the index for both the lookup and the insertion.
        match self.index.entry(
            hash,
            |&o| key_in(arena, o) == key,
            |&o| hash_key(key_in(arena, o)),
        ) {
            // A replaced row's old bytes stay in the arena, unused.
            hashbrown::hash_table::Entry::Occupied(mut e) => {
                let old_line = read_u32(arena, *e.get() as usize) as u64;
                *e.get_mut() = at;
                Some(old_line)
            }
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(at);
                None
            }
        }
    }

    /// Note a replaced row (for the duplicate-key warning): the one told
    /// is the earliest line that repeats a key (rows are indexed in batches
    /// out of line order, see `Pending`).
    fn note_duplicate(&mut self, at: u32, first_line: u64) {
        let line = read_u32(&self.arena, at as usize) as u64;
        match &mut self.duplicates {
            Some(d) => {
                d.count += 1;
                if line < d.line {
                    d.key = String::from_utf8_lossy(key_in(&self.arena, at)).into_owned();
                    d.line = line;
                    d.first_line = first_line;
                }
            }
            None => {
                self.duplicates = Some(Duplicates {
                    key: String::from_utf8_lossy(key_in(&self.arena, at)).into_owned(),
                    line,
                    first_line,
                    count: 1,
                })
            }
        }
    }
}

/// Rows in the arena not yet in the index, as (hash, offset) in line order.
///
/// Why batches: a large table's index does not fit in the cache, so each
/// insertion in line order is a cache miss (half of a load's time). A batch
/// is first spread by the bucket its hash lands in, in `parts` ranges of the
/// index small enough for the cache, then inserted range after range. The
/// spread is stable, so rows with one key (one hash, one bucket) are still
/// indexed in line order and the later row wins.
struct Pending {
    rows: Vec<(u64, u32)>,
    spread: Vec<(u64, u32)>,
    /// Buckets of the index (a power of two) and how many bits of a bucket
    /// number choose its range (0: insert in line order).
    bucket_bits: u32,
    part_bits: u32,
    batch: usize,
}

/// Rows spread and indexed at once: 16 MiB of pending rows at most.
const BATCH: usize = 1 << 20;
/// Index buckets per range: 32k slots of 4 bytes and their control bytes
/// stay in a core's cache.
const RANGE_BITS: u32 = 15;

impl Pending {
    fn new(table: &Table, rows: usize, batch: usize) -> Pending {
        // hashbrown keeps 7/8 of its buckets usable; a wrong guess here
        // only costs speed, never correctness.
        let buckets = (table.index.capacity().max(1) * 8 / 7).next_power_of_two();
        let bucket_bits = buckets.trailing_zeros();
        let part_bits = bucket_bits.saturating_sub(RANGE_BITS).min(10);
        Pending {
            rows: Vec::with_capacity(rows.min(batch)),
            spread: Vec::new(),
            bucket_bits,
            part_bits,
            batch,
        }
    }

    fn push(&mut self, table: &mut Table, hash: u64, at: u32) {
        self.rows.push((hash, at));
        if self.rows.len() >= self.batch {
            self.flush(table);
        }
    }

    /// Index every pending row.
    fn flush(&mut self, table: &mut Table) {
        let order = if self.part_bits == 0 {
            &self.rows
        } else {
            let shift = self.bucket_bits - self.part_bits;
            let mask = (1u64 << self.bucket_bits) - 1;
            let part = |h: u64| ((h & mask) >> shift) as usize;
            let mut starts = vec![0usize; (1 << self.part_bits) + 1];
            for &(h, _) in &self.rows {
                starts[part(h) + 1] += 1;
            }
            for i in 1..starts.len() {
                starts[i] += starts[i - 1];
            }
            self.spread.clear();
            self.spread.resize(self.rows.len(), (0, 0));
            for &row in &self.rows {
                let p = &mut starts[part(row.0)];
                self.spread[*p] = row;
                *p += 1;
            }
            &self.spread
        };
        for &(hash, at) in order {
            if let Some(first_line) = table.index_entry(hash, at) {
                table.note_duplicate(at, first_line);
            }
        }
        self.rows.clear();
    }
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("rows", &self.len())
            .field("names", &self.names())
            .field("duplicates", &self.duplicates)
            .finish()
    }
}

fn key_in(arena: &[u8], at: u32) -> &[u8] {
    let at = at as usize;
    let len = read_u32(arena, at + 8);
    arena
        .get(at + ENTRY_HEADER..at + ENTRY_HEADER + len)
        .unwrap_or_default()
}

fn hash_key(key: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(key)
}

/// Why a file could not be made into a table.
#[derive(Debug, PartialEq)]
pub enum ParseError {
    /// A malformed line (1-based), with the decoder's reason.
    Line { line: u64, reason: String },
    /// The key column is not in the CSV/TSV header (or in any JSON row).
    NoKeyColumn { columns: Vec<String> },
    /// A CSV/TSV file without even a header line.
    NoHeader,
}

impl ParseError {
    /// The message, naming the file as `name`.
    pub fn describe(&self, name: &str, key: &str) -> String {
        match self {
            ParseError::Line { line, reason } => {
                format!("lookup file {name}, line {line}: {reason}")
            }
            ParseError::NoHeader => {
                format!("lookup file {name} is empty: a CSV/TSV lookup needs a header line")
            }
            ParseError::NoKeyColumn { columns } if columns.is_empty() => {
                format!("lookup file {name} has no column `{key}`: it has no rows")
            }
            ParseError::NoKeyColumn { columns } => {
                let mut s = format!(
                    "lookup file {name} has no column `{key}` (its columns: {})",
                    columns.join(", ")
                );
                if let Some(near) = columns
                    .iter()
                    .filter(|c| strsim::damerau_levenshtein(c, key) <= 2)
                    .min_by_key(|c| strsim::damerau_levenshtein(c, key))
                {
                    s.push_str(&format!("; did you mean `{near}`?"));
                }
                s
            }
        }
    }
}

/// The key text of a CSV/TSV cell, as `key_text` of its typed value gives
/// it, without typing the commonest cells: a word, a plain integer.
fn cell_key(cell: &str) -> Option<Cow<'_, str>> {
    match cell.as_bytes().first()? {
        b'-' | b'0'..=b'9' => match crate::value::small_int(cell.as_bytes()) {
            Some(0) => Some(Cow::Borrowed("0")),
            Some(_) => Some(Cow::Borrowed(cell)),
            None => key_text(&typed_cell(cell)).map(|t| Cow::Owned(t.into_owned())),
        },
        _ => Some(Cow::Borrowed(cell)),
    }
}

/// How the rows of a CSV/TSV file go into the table without a map: the
/// key's column, and the columns added (in order) under shape 0.
struct CellPlan {
    key: usize,
    added: Vec<usize>,
}

impl CellPlan {
    /// `None` when a name repeats in the header (the map then says which
    /// cell wins, and the slow path follows it).
    fn of(header: &[String], spec: &Spec, table: &mut Table) -> Option<CellPlan> {
        if (1..header.len()).any(|i| header[..i].contains(&header[i])) {
            return None;
        }
        let key = header.iter().position(|h| *h == spec.key)?;
        let added: Vec<usize> = (0..header.len()).filter(|&i| i != key).collect();
        let names = added
            .iter()
            .map(|&i| prefixed(&spec.prefix, &header[i]))
            .collect();
        table.shapes.push(Shape::new(names));
        Some(CellPlan { key, added })
    }
}

fn prefixed(prefix: &Option<String>, name: &str) -> String {
    match prefix {
        Some(p) => format!("{p}{name}"),
        None => name.to_owned(),
    }
}

/// Build a table from a whole file's bytes.
pub fn parse(bytes: &[u8], spec: &Spec) -> Result<Table, ParseError> {
    parse_batched(bytes, spec, BATCH)
}

/// `parse`, indexing rows `batch` at a time (tests use small batches).
fn parse_batched(bytes: &[u8], spec: &Spec, batch: usize) -> Result<Table, ParseError> {
    // Spreadsheet exports often start with a byte-order mark; it is not part
    // of the first column's name.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut decoder = Decoder::new(Some(spec.format.input_format()));
    let mut table = Table::default();
    // Sized once: no rehashing and no arena copies while loading.
    let rows = memchr::memchr_iter(b'\n', bytes).count() + 1;
    table.index.reserve(rows, |_| 0);
    table.arena.reserve(bytes.len() + 24 * rows);
    let mut pending = Pending::new(&table, rows, batch);
    let mut header_checked = false;
    let mut cell_plan: Option<Option<CellPlan>> = None;
    let mut slow = MapRows::default();
    let cells_format = matches!(spec.format, LookupFormat::Csv | LookupFormat::Tsv);
    for (i, line) in lines(bytes).enumerate() {
        let line_no = i as u64 + 1;
        let pos = Pos {
            source: 0,
            line: line_no,
        };
        let ev = if cells_format {
            // CSV/TSV: the decoder's cells (its checks, its typing) without
            // an event, straight into the arena.
            let (header, cells) = match decoder.decode_cells(line) {
                Ok(Some(row)) => row,
                Ok(None) => continue,
                Err(reason) => {
                    return Err(ParseError::Line {
                        line: line_no,
                        reason,
                    })
                }
            };
            if !header_checked {
                header_checked = true;
                if !header.contains(&spec.key) {
                    return Err(ParseError::NoKeyColumn {
                        columns: header.to_vec(),
                    });
                }
            }
            let plan = cell_plan.get_or_insert_with(|| CellPlan::of(header, spec, &mut table));
            let Some(plan) = plan else {
                // A name repeats in the header: the map says which cell wins.
                let raw = match spec.format {
                    LookupFormat::Tsv => RawFormat::Tsv,
                    _ => RawFormat::Csv,
                };
                let ev = Event::from_csv_cells(line, raw, header, cells, pos);
                add_map_row(ev, spec, &mut table, &mut pending, &mut slow, line_no)?;
                continue;
            };
            slow.any_key = true;
            let Some(cell) = cells.get(plan.key) else {
                continue;
            };
            // A null key (an empty cell) matches nothing, as in SQL.
            let Some(key) = cell_key(&cell) else {
                continue;
            };
            let added = &plan.added;
            let (hash, at) = table
                .push(key.as_bytes(), line_no, 0, |i, out| {
                    write_cell_json(&cells, added[i], out);
                    true
                })
                .map_err(|()| too_big(line_no))?;
            pending.push(&mut table, hash, at);
            continue;
        } else {
            match decoder.decode(line, pos) {
                Decoded::Event(ev) => ev,
                Decoded::Nothing => continue,
                Decoded::Reject(reason) => {
                    return Err(ParseError::Line {
                        line: line_no,
                        reason,
                    })
                }
            }
        };
        add_map_row(ev, spec, &mut table, &mut pending, &mut slow, line_no)?;
    }
    pending.flush(&mut table);
    match spec.format {
        LookupFormat::Csv | LookupFormat::Tsv => match decoder.header() {
            None => return Err(ParseError::NoHeader),
            Some(header) if !header.contains(&spec.key) => {
                return Err(ParseError::NoKeyColumn {
                    columns: header.to_vec(),
                })
            }
            Some(_) => {}
        },
        LookupFormat::JsonLines => {
            // Rows exist but none has the key: surely the wrong column name.
            if !slow.any_key && !slow.seen_fields.is_empty() {
                return Err(ParseError::NoKeyColumn {
                    columns: slow.seen_fields,
                });
            }
        }
    }
    if table.shapes.is_empty() {
        // CSV/TSV without rows: the names still are the header's.
        if let Some(header) = decoder.header() {
            let names = header
                .iter()
                .filter(|h| **h != spec.key)
                .map(|h| prefixed(&spec.prefix, h))
                .collect();
            table.shapes.push(Shape::new(names));
        }
    }
    table.arena.shrink_to_fit();
    Ok(table)
}

/// What the rows read as maps share (JSON rows, CSV with a repeated name).
#[derive(Default)]
struct MapRows {
    /// Shape by names.
    shape_of: FxHashMap<Vec<String>, u32>,
    /// JSON rows: the fields seen, for the message when no row has the key.
    seen_fields: Vec<String>,
    any_key: bool,
}

fn too_big(line_no: u64) -> ParseError {
    ParseError::Line {
        line: line_no,
        reason: "the lookup table is over 4 GiB".into(),
    }
}

/// A row read as a map (the slow path) into the arena.
fn add_map_row(
    ev: Event<'_>,
    spec: &Spec,
    table: &mut Table,
    pending: &mut Pending,
    slow: &mut MapRows,
    line_no: u64,
) -> Result<(), ParseError> {
    let mut map = ev.into_map();
    let Some(key_value) = map.shift_remove(&spec.key) else {
        // A JSON row without the key can never match; it is skipped.
        for k in map.keys() {
            if slow.seen_fields.len() < 20 && !slow.seen_fields.contains(k) {
                slow.seen_fields.push(k.clone());
            }
        }
        return Ok(());
    };
    slow.any_key = true;
    // A null key (an empty cell) matches nothing, as in SQL.
    let Some(key) = key_text(&key_value).map(Cow::into_owned) else {
        return Ok(());
    };
    let (names, values): (Vec<String>, Vec<Value>) = map
        .into_iter()
        .map(|(k, v)| (prefixed(&spec.prefix, &k), v))
        .unzip();
    let shape = match slow.shape_of.get(&names) {
        Some(&s) => s,
        None => {
            let s = u32::try_from(table.shapes.len()).map_err(|_| too_big(line_no))?;
            table.shapes.push(Shape::new(names.clone()));
            slow.shape_of.insert(names, s);
            s
        }
    };
    let (hash, at) = table
        .push(key.as_bytes(), line_no, shape, |i, out| {
            serde_json::to_writer(out, &values[i]).is_ok()
        })
        .map_err(|()| too_big(line_no))?;
    pending.push(table, hash, at);
    Ok(())
}

/// Lines without their `\n` or `\r\n`; a last line without a newline counts.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let mut parts = (!bytes.is_empty()).then(|| body.split(|b| *b == b'\n'));
    std::iter::from_fn(move || parts.as_mut()?.next()).map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

/// What identifies one version of a file: a rename over it changes the inode,
/// a write changes the size or the modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
}

impl Signature {
    pub fn of(m: &fs::Metadata) -> Signature {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Signature {
                dev: m.dev(),
                ino: m.ino(),
                size: m.size(),
                mtime_ns: m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
            }
        }
        #[cfg(not(unix))]
        {
            let mtime_ns = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as i128);
            Signature {
                dev: 0,
                ino: 0,
                size: m.len(),
                mtime_ns,
            }
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }
}

/// Why reading a whole file failed.
#[derive(Debug)]
pub enum ReadError {
    Io(io::Error),
    IsDir,
    /// The file changed while it was read: what we have may be half old,
    /// half new. Read it again later.
    Changed,
}

/// Read the whole file and prove it did not change meanwhile: the path still
/// names the same inode, with the size and modification time it had when
/// opened, and the bytes read are that size.
pub fn read_consistent(path: &Path) -> Result<(Vec<u8>, Signature), ReadError> {
    read_consistent_with(path, || {})
}

/// `read_consistent`, with a hook run between the read and the check (tests
/// change the file there).
fn read_consistent_with(
    path: &Path,
    after_read: impl FnOnce(),
) -> Result<(Vec<u8>, Signature), ReadError> {
    let mut f = File::open(path).map_err(ReadError::Io)?;
    let meta = f.metadata().map_err(ReadError::Io)?;
    if meta.is_dir() {
        return Err(ReadError::IsDir);
    }
    let before = Signature::of(&meta);
    let mut bytes = Vec::with_capacity(before.size as usize);
    f.read_to_end(&mut bytes).map_err(ReadError::Io)?;
    after_read();
    let after = Signature::of(&fs::metadata(path).map_err(ReadError::Io)?);
    if after != before || bytes.len() as u64 != before.size {
        return Err(ReadError::Changed);
    }
    Ok((bytes, before))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(format: LookupFormat, key: &str, prefix: Option<&str>) -> Spec {
        Spec {
            format,
            key: key.into(),
            prefix: prefix.map(String::from),
        }
    }

    fn fields(t: &Table, key: &str) -> String {
        let row = t.get(key).expect("key present");
        let m: serde_json::Map<String, Value> = row.fields.fields().into_iter().collect();
        // The encoded block says the same as the decoded fields.
        let mut json = b"{".to_vec();
        row.fields.write_fields(&mut json);
        json.push(b'}');
        assert_eq!(json, serde_json::to_vec(&m).unwrap());
        serde_json::to_string(&m).unwrap()
    }

    #[test]
    fn csv_cells_are_typed_and_keyed_by_text() {
        let t = parse(
            b"\xEF\xBB\xBFid,name,age\r\n12,ann,30\r\n007,bob,\r\n,nobody,1\n",
            &spec(LookupFormat::Csv, "id", None),
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(fields(&t, "12"), r#"{"name":"ann","age":30}"#);
        assert_eq!(fields(&t, "007"), r#"{"name":"bob","age":null}"#);
        assert_eq!(
            t.names(),
            Some(&["name".to_string(), "age".to_string()][..])
        );
        // Long keys live on the heap, short ones inline; both are found.
        let long = "k".repeat(40);
        let t = parse(
            format!("id,v\n{long},1\nshort,2\n").as_bytes(),
            &spec(LookupFormat::Csv, "id", None),
        )
        .unwrap();
        assert_eq!(fields(&t, &long), r#"{"v":1}"#);
        assert_eq!(fields(&t, "short"), r#"{"v":2}"#);
        assert!(t.get("k").is_none());
        assert!(t.duplicates.is_none());
    }

    #[test]
    fn tsv_and_json_lines_with_prefix() {
        let t = parse(
            b"k\tv\nx\ta\\tb\n",
            &spec(LookupFormat::Tsv, "k", Some("u_")),
        )
        .unwrap();
        assert_eq!(fields(&t, "x"), r#"{"u_v":"a\tb"}"#);
        let t = parse(
            b"{\"id\":1.5,\"tags\":[1]}\n\n{\"other\":1}\n{\"id\":\"z\",\"n\":null}",
            &spec(LookupFormat::JsonLines, "id", None),
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(fields(&t, "1.5"), r#"{"tags":[1]}"#);
        assert_eq!(fields(&t, "z"), r#"{"n":null}"#);
        assert_eq!(t.names(), None, "rows add different names");
    }

    #[test]
    fn many_rows_survive_the_index_growing_and_replacements() {
        let mut text = String::from("id,v,w\n");
        for i in 0..5000 {
            text.push_str(&format!("k{i},{i},x{i}\n"));
        }
        text.push_str("k17,new,\n");
        let t = parse(text.as_bytes(), &spec(LookupFormat::Csv, "id", None)).unwrap();
        assert_eq!(t.len(), 5000);
        for i in [0, 1, 999, 4999] {
            assert_eq!(
                fields(&t, &format!("k{i}")),
                format!(r#"{{"v":{i},"w":"x{i}"}}"#)
            );
        }
        assert_eq!(fields(&t, "k17"), r#"{"v":"new","w":null}"#);
        let row = t.get("k17").unwrap().fields;
        assert_eq!(row.len(), 2);
        assert!(t.get("k5000").is_none() && t.get("").is_none());
        assert_eq!(
            t.duplicates.as_ref().map(|d| (d.line, d.first_line)),
            Some((5002, 19))
        );
    }

    #[test]
    fn duplicate_keys_keep_the_last_row_and_are_counted() {
        let t = parse(
            b"id,v\n1,a\n2,b\n1,c\n2,d\n1,e\n",
            &spec(LookupFormat::Csv, "id", None),
        )
        .unwrap();
        assert_eq!(fields(&t, "1"), r#"{"v":"e"}"#);
        assert_eq!(
            t.duplicates,
            Some(Duplicates {
                key: "1".into(),
                line: 4,
                first_line: 2,
                count: 3
            })
        );
    }

    /// Rows indexed in batches spread over ranges of the index (see
    /// `Pending`) give the table and the warning that rows indexed one by
    /// one in line order would: the last row of a key wins, the duplicate
    /// told is the earliest line that repeats a key.
    #[test]
    fn rows_indexed_in_batches_out_of_line_order_keep_line_order() {
        let n = 70_000u64;
        let mut text = String::from("id,v\n");
        // Keys repeat at random (a fixed LCG), over batches.
        let mut x = 12345u64;
        let mut last = std::collections::HashMap::new();
        let mut first_dup: Option<(u64, u64, u64)> = None;
        let mut count = 0;
        for i in 0..n {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = (x >> 33) % 60_000;
            let line = i + 2;
            text.push_str(&format!("{key},{i}\n"));
            if let Some(prev) = last.insert(key, (line, i)) {
                count += 1;
                first_dup.get_or_insert((key, line, prev.0));
            }
        }
        for batch in [1, 777, 1 << 20] {
            let t = parse_batched(text.as_bytes(), &spec(LookupFormat::Csv, "id", None), batch)
                .unwrap();
            let p = Pending::new(&t, n as usize, batch);
            assert!(p.part_bits > 0, "the test must spread rows over ranges");
            assert_eq!(t.len(), last.len());
            for (key, (_, v)) in &last {
                assert_eq!(fields(&t, &key.to_string()), format!(r#"{{"v":{v}}}"#));
            }
            let (key, line, first_line) = first_dup.unwrap();
            assert_eq!(
                t.duplicates,
                Some(Duplicates {
                    key: key.to_string(),
                    line,
                    first_line,
                    count
                }),
                "batch {batch}"
            );
        }
    }

    #[test]
    fn malformed_files_are_refused_with_their_line() {
        let csv = spec(LookupFormat::Csv, "id", None);
        assert_eq!(
            parse(b"id,v\n1,a\n2\n", &csv).unwrap_err(),
            ParseError::Line {
                line: 3,
                reason: "expected 2 fields (as in the header), found 1".into()
            }
        );
        assert_eq!(parse(b"", &csv).unwrap_err(), ParseError::NoHeader);
        let err = parse(b"ids,v\n", &csv).unwrap_err();
        assert_eq!(
            err.describe("u.csv", "id"),
            "lookup file u.csv has no column `id` (its columns: ids, v); did you mean `ids`?"
        );
        let json = spec(LookupFormat::JsonLines, "id", None);
        assert_eq!(
            parse(b"{\"id\":1}\n[1]\n", &json)
                .unwrap_err()
                .describe("u.jsonl", "id"),
            "lookup file u.jsonl, line 2: expected a JSON object at column 1"
        );
        assert_eq!(
            parse(b"{\"uid\":1}\n", &json)
                .unwrap_err()
                .describe("u.jsonl", "id"),
            "lookup file u.jsonl has no column `id` (its columns: uid); did you mean `uid`?"
        );
        // An empty JSON lookup is an empty table.
        assert!(parse(b"", &json).unwrap().is_empty());
    }

    #[test]
    fn a_file_changed_during_the_read_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("u.csv");
        fs::write(&p, "id,v\n1,a\n").unwrap();
        let (bytes, sig) = read_consistent(&p).unwrap();
        assert_eq!(bytes, b"id,v\n1,a\n");
        assert_eq!(sig.size(), 9);
        let r = read_consistent_with(&p, || fs::write(&p, "id,v\n1,a\n2,b\n").unwrap());
        assert!(matches!(r, Err(ReadError::Changed)), "{r:?}");
        let other = dir.path().join("new.csv");
        let r = read_consistent_with(&p, || {
            fs::write(&other, "id,v\n1,z\n").unwrap();
            fs::rename(&other, &p).unwrap();
        });
        assert!(matches!(r, Err(ReadError::Changed)), "{r:?}");
        assert!(matches!(read_consistent(dir.path()), Err(ReadError::IsDir)));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// The table as the map path builds it: each row decoded, its key's
    /// text taken, the rest added in order; the last row of a key wins.
    fn by_map(bytes: &[u8], spec: &Spec) -> Vec<(String, String)> {
        let mut d = Decoder::new(Some(spec.format.input_format()));
        let mut rows = std::collections::HashMap::new();
        for line in lines(bytes) {
            let Decoded::Event(ev) = d.decode(line, Pos::default()) else {
                continue;
            };
            let mut map = ev.into_map();
            let Some(key) = map.shift_remove(&spec.key) else {
                continue;
            };
            let Some(key) = key_text(&key).map(Cow::into_owned) else {
                continue;
            };
            let fields: serde_json::Map<String, Value> = map
                .into_iter()
                .map(|(k, v)| (prefixed(&spec.prefix, &k), v))
                .collect();
            rows.insert(key, serde_json::to_string(&fields).unwrap());
        }
        rows.into_iter().collect()
    }

    fn cell() -> impl Strategy<Value = &'static str> {
        proptest::sample::select(vec![
            "",
            "1",
            "01",
            "-0",
            "1.50",
            "1.5",
            "2e3",
            "x",
            "\"a,b\"",
            "\"q\"\"\"",
            "é",
            "true",
        ])
    }

    proptest! {
        /// Rows loaded straight from their cells equal rows decoded into a map.
        #[test]
        fn cells_load_as_the_map_path_does(
            header in proptest::collection::vec(proptest::sample::select(vec!["id", "a", "b"]), 1..4),
            rows in proptest::collection::vec(proptest::collection::vec(cell(), 4), 0..12),
            prefix in proptest::option::of(Just("p_")),
        ) {
            let mut text = header.join(",");
            text.push('\n');
            for r in &rows {
                text.push_str(&r[..header.len()].join(","));
                text.push('\n');
            }
            let spec = Spec { format: LookupFormat::Csv, key: "id".into(), prefix: prefix.map(String::from) };
            let got = parse(text.as_bytes(), &spec);
            if !header.contains(&"id") {
                prop_assert!(got.is_err());
                return Ok(());
            }
            let table = got.unwrap();
            let want = by_map(text.as_bytes(), &spec);
            prop_assert_eq!(table.len(), want.len());
            for (key, fields) in want {
                let row = table.get(&key);
                prop_assert!(row.is_some(), "key {}", key);
                let mut json = b"{".to_vec();
                row.unwrap().fields.write_fields(&mut json);
                json.push(b'}');
                prop_assert_eq!(String::from_utf8(json).unwrap(), fields, "key {}", key);
            }
        }
    }
}
