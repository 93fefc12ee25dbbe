//! An event flowing through the pipeline.
//!
//! An event read from a JSON line keeps its original bytes and an index of its
//! top-level members; fields are decoded only when a stage reads them, and an
//! event no stage changed is written back byte for byte. Fields a stage adds
//! (`append_field`, `append_new_fields`) are kept beside the line, borrowed
//! from the stage where it can lend them, and the JSON encoder writes the
//! line's members and then them (`write_json`), copying every member already
//! in serde_json's form. Any other change decodes the whole object
//! (`fields_mut`) and drops the "unchanged" mark.

use std::borrow::Cow;

use serde_json::Map;

use crate::expr::Fields;
use crate::input::json_index::Member;
use crate::input::logfmt::Pair;
use crate::timefmt::Millis;
use crate::value::{typed_cell, Value};

/// Where an event came from: input number and 1-based line, for messages.
/// Packed to 12 bytes, so that an `Event` fits in 128 (see there).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C, packed(4))]
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
    /// A JSON object line; its members are decoded only when read.
    Json { members: &'a [Member] },
    /// A decoded object. (`Event::edits` is then empty: changes go to the map.)
    /// Boxed: the map is 72 bytes, and an event is moved from stage to stage
    /// by value (see `Event`).
    Obj(Box<Map<String, Value>>),
    /// A CSV/TSV row (or a `lines` line, one cell named `line`): its cells
    /// under the header's names; a cell is typed only when read.
    Cells {
        header: &'a [String],
        cells: Cells<'a>,
    },
    /// A logfmt line: its pairs as offsets into `text` (the line); a value
    /// is decoded only when read.
    Logfmt { text: &'a str, pairs: &'a [Pair] },
}

/// The cells of a CSV/TSV row, in buffers the decoder reuses: cell `i` is
/// `text[spans[i].start..spans[i].end]`. `text` is the line itself when its
/// cells are slices of it (enclosing quotes left out), else the decoded
/// cells back to back.
#[derive(Clone, Copy, Debug)]
pub struct Cells<'a> {
    /// UTF-8 (the decoder checked the line), split at ASCII bytes only.
    pub text: &'a [u8],
    pub spans: &'a [Span],
    /// CSV/TSV cells are typed (`value::typed_cell`); a `lines` line is
    /// always a string.
    pub typed: bool,
    /// The parts of a `lines` line that the reader thread found it has as
    /// an access log (`parse nginx` first in the pipeline), so the parse
    /// only makes values.
    pub access: Option<&'a crate::logformat::access::AccessScan>,
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

    /// Cell `i` (`None` past the last, or if it is not UTF-8, which the
    /// decoder never lets through).
    pub fn get(&self, i: usize) -> Option<Cow<'a, str>> {
        let span = self.spans.get(i)?;
        let text = std::str::from_utf8(self.text.get(span.start..span.end)?).ok()?;
        Some(if span.doubled {
            Cow::Owned(text.replace("\"\"", "\""))
        } else {
            Cow::Borrowed(text)
        })
    }

    /// Cell `i` as a value.
    pub fn value(&self, i: usize) -> Option<Value> {
        // The commonest number cell needs no UTF-8 check: it is digits.
        if self.typed {
            let span = self.spans.get(i)?;
            if let Some(n) = crate::value::small_int(self.text.get(span.start..span.end)?) {
                return Some(Value::from(n));
            }
        }
        let text = self.get(i)?;
        Some(if self.typed {
            typed_cell(&text)
        } else {
            Value::String(text.into_owned())
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = Cow<'a, str>> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }
}

/// What stages did to an event that is still in its input form (a JSON
/// line, a CSV row, a logfmt line): the changes are kept beside the bytes,
/// and readers and the JSON encoder see the fields through them, so a
/// change costs what it changes. The "base fields" are the line's own
/// (JSON members, cells, pairs), by position.
///
/// Edits of base fields are only made on events whose base names are
/// unique and need no unescaping (`Event::base_is_editable`): then a name
/// stands for one position and the result equals the same changes made on
/// the decoded map. Other events are decoded (`fields_mut`) to be changed.
#[derive(Default)]
struct Edits<'a> {
    /// What became of each base field; empty while none changed.
    base: Vec<BaseEdit<'a>>,
    /// Fields added after the base fields, in order.
    extras: Extras<'a>,
    /// A stage changed the event (even if back as it was, the way a map
    /// change would): it is no longer echoed as its bytes.
    touched: bool,
}

/// What became of one base field.
#[derive(Clone, Debug, PartialEq)]
enum BaseEdit<'a> {
    Keep,
    Drop,
    /// A new name (renamed in place), a new value, or both.
    Change {
        name: Option<Cow<'a, str>>,
        value: Option<Value>,
    },
}

impl BaseEdit<'_> {
    /// Still under its own name in the event.
    fn keeps_name(&self) -> bool {
        matches!(self, BaseEdit::Keep | BaseEdit::Change { name: None, .. })
    }
}

/// Fields added to an event. Their names and values are borrowed from the
/// stage that added them where it can lend them (a lookup row, an
/// aggregate's name), so adding a field allocates nothing.
enum Extra<'a> {
    Field(Cow<'a, str>, Cow<'a, Value>),
    /// The fields of `Encoded` but those whose bit is set in the mask (the
    /// event has a field of that name already and keeps its own).
    Encoded(EncodedRef<'a>, u64),
}

/// An event's [`Edits`], boxed when there are any: most events are never
/// changed, and an event moves by value from stage to stage, so keeping the
/// edits inline made every move of every event copy them (half of a
/// `count by status every 1m`'s memory traffic). Reads see empty edits
/// until a change makes the box.
#[derive(Default)]
struct EditsBox<'a>(Option<Box<Edits<'a>>>);

static NO_EDITS: Edits<'static> = Edits {
    base: Vec::new(),
    extras: Extras {
        first: None,
        rest: Vec::new(),
    },
    touched: false,
};

impl<'a> std::ops::Deref for EditsBox<'a> {
    type Target = Edits<'a>;
    fn deref(&self) -> &Edits<'a> {
        self.0.as_deref().unwrap_or(&NO_EDITS)
    }
}

impl<'a> std::ops::DerefMut for EditsBox<'a> {
    fn deref_mut(&mut self) -> &mut Edits<'a> {
        self.0.get_or_insert_with(Box::default)
    }
}

/// The extras of an event: the first kept inline, so one added field or
/// one lookup row costs no allocation.
#[derive(Default)]
struct Extras<'a> {
    first: Option<Extra<'a>>,
    rest: Vec<Extra<'a>>,
}

/// Where a name is among the added fields.
enum ExtraHit {
    /// The `i`th extra, a single field.
    Field(usize),
    /// Inside an encoded row (changed only after decoding the event).
    Encoded,
}

impl<'a> Extras<'a> {
    fn push(&mut self, e: Extra<'a>) {
        if self.first.is_none() {
            self.first = Some(e);
        } else {
            self.rest.push(e);
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Extra<'a>> {
        self.first.iter().chain(self.rest.iter())
    }

    fn get_mut(&mut self, i: usize) -> Option<&mut Extra<'a>> {
        match i {
            0 => self.first.as_mut(),
            _ => self.rest.get_mut(i - 1),
        }
    }

    /// Remove the `i`th extra, keeping the order of the others.
    fn remove(&mut self, i: usize) {
        if i == 0 {
            self.first = (!self.rest.is_empty()).then(|| self.rest.remove(0));
        } else if i - 1 < self.rest.len() {
            self.rest.remove(i - 1);
        }
    }

    fn find(&self, key: &str) -> Option<ExtraHit> {
        self.iter().enumerate().find_map(|(i, e)| match e {
            Extra::Field(k, _) => (k == key).then_some(ExtraHit::Field(i)),
            Extra::Encoded(enc, skip) => enc
                .position(key)
                .filter(|&j| !masked(*skip, j))
                .map(|_| ExtraHit::Encoded),
        })
    }

    /// Every added field in order, as (name, value).
    fn fields(&self) -> impl Iterator<Item = (&str, Cow<'_, Value>)> {
        self.iter().flat_map(|e| {
            let (one, many) = match e {
                Extra::Field(k, v) => (Some((k.as_ref(), Cow::Borrowed(v.as_ref()))), None),
                Extra::Encoded(enc, skip) => {
                    (None, Some(enc.kept(*skip).map(|(k, v)| (k, Cow::Owned(v)))))
                }
            };
            one.into_iter().chain(many.into_iter().flatten())
        })
    }

    /// Whether a field of this name was added.
    fn has(&self, key: &[u8]) -> bool {
        self.iter().any(|e| match e {
            Extra::Field(k, _) => same_bytes(k.as_bytes(), key),
            Extra::Encoded(enc, skip) => std::str::from_utf8(key)
                .ok()
                .and_then(|k| enc.position(k))
                .is_some_and(|i| !masked(*skip, i)),
        })
    }

    fn get(&self, key: &str) -> Option<Cow<'_, Value>> {
        self.iter().find_map(|e| match e {
            Extra::Field(k, v) => (k == key).then(|| Cow::Borrowed(v.as_ref())),
            Extra::Encoded(enc, skip) => enc
                .position(key)
                .filter(|&i| !masked(*skip, i))
                .map(|i| Cow::Owned(enc.value(i))),
        })
    }

    /// The raw JSON text of an added field, when it has one (encoded fields).
    fn get_raw(&self, key: &str) -> Option<Option<&'a [u8]>> {
        for e in self.iter() {
            match e {
                Extra::Field(k, _) if k == key => return Some(None),
                Extra::Field(..) => {}
                Extra::Encoded(enc, skip) => {
                    if let Some(i) = enc.position(key) {
                        if !masked(*skip, i) {
                            return Some(Some(enc.raw_value(i)));
                        }
                    }
                }
            }
        }
        None
    }

    /// Insert the added fields into `map`, after what it has.
    fn insert_into(self, map: &mut Map<String, Value>) {
        for e in self.first.into_iter().chain(self.rest) {
            match e {
                Extra::Field(k, v) => {
                    map.insert(k.into_owned(), v.into_owned());
                }
                Extra::Encoded(enc, skip) => {
                    for (k, v) in enc.kept(skip) {
                        map.insert(k.to_owned(), v);
                    }
                }
            }
        }
    }
}

/// Whether field `i` is masked out in `skip`.
fn masked(skip: u64, i: usize) -> bool {
    i < 64 && skip & (1 << i) != 0
}

/// The names of encoded fields, shared by every lookup row that adds the
/// same ones (all rows of a CSV lookup): a row stores only its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    names: Box<[String]>,
    /// `"name":` as serde_json writes each name, back to back.
    quoted: Box<[u8]>,
    /// Where each name's `"name":` ends in `quoted`.
    quoted_ends: Box<[u32]>,
}

impl Shape {
    pub fn new(names: Vec<String>) -> Shape {
        let mut quoted = Vec::new();
        let mut quoted_ends = Vec::with_capacity(names.len());
        for k in &names {
            write_key(k, &mut quoted);
            quoted_ends.push(u32::try_from(quoted.len()).unwrap_or(u32::MAX));
        }
        Shape {
            names: names.into_boxed_slice(),
            quoted: quoted.into_boxed_slice(),
            quoted_ends: quoted_ends.into_boxed_slice(),
        }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Field i's `"name":`.
    fn quoted(&self, i: usize) -> &[u8] {
        let end = self.quoted_ends.get(i).map_or(0, |&e| e as usize);
        let start = match i {
            0 => 0,
            _ => self.quoted_ends.get(i - 1).map_or(0, |&e| e as usize),
        };
        self.quoted.get(start..end).unwrap_or_default()
    }

    /// Heap bytes held, for `--stats`.
    pub fn heap_bytes(&self) -> usize {
        self.names.iter().map(|n| n.capacity() + 24).sum::<usize>()
            + self.quoted.len()
            + 4 * self.quoted_ends.len()
    }
}

/// Append the block of one row to `out`: a u32 (native order) per field,
/// where its value ends (counted from the first value), then the values as
/// serde_json writes them, back to back. `write(i, out)` writes value i;
/// false (and `out` as it was) if it fails or the values pass 4 GiB.
pub fn encode_block(
    n: usize,
    out: &mut Vec<u8>,
    mut write: impl FnMut(usize, &mut Vec<u8>) -> bool,
) -> bool {
    let start = out.len();
    out.resize(start + 4 * n, 0);
    let values = out.len();
    for i in 0..n {
        let ok = write(i, out);
        match u32::try_from(out.len() - values) {
            Ok(end) if ok => {
                out[start + 4 * i..start + 4 * i + 4].copy_from_slice(&end.to_ne_bytes())
            }
            _ => {
                out.truncate(start);
                return false;
            }
        }
    }
    true
}

/// Fields encoded as JSON once, for a stage that adds the same fields to
/// many events (a lookup row): the encoder copies their bytes, later stages
/// read their raw JSON text, and a value is decoded only when read. Owned;
/// stages lend `EncodedRef`s to events.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    shape: Shape,
    block: Box<[u8]>,
}

impl Encoded {
    /// At most 64 fields are addressed by `append_new_fields`; more are
    /// added one by one.
    pub const MAX_FIELDS: usize = 64;

    pub fn new(fields: Vec<(String, Value)>) -> Encoded {
        let mut block = Vec::new();
        encode_block(fields.len(), &mut block, |i, out| {
            serde_json::to_writer(out, &fields[i].1).is_ok()
        });
        Encoded {
            shape: Shape::new(fields.into_iter().map(|(k, _)| k).collect()),
            block: block.into_boxed_slice(),
        }
    }

    /// The fields, decoded.
    pub fn fields(&self) -> Vec<(String, Value)> {
        self.as_ref().fields()
    }

    pub fn as_ref(&self) -> EncodedRef<'_> {
        EncodedRef::new(&self.shape, &self.block)
    }
}

/// A view of encoded fields: their shape (names) and block (see `encode_block`).
#[derive(Clone, Copy)]
pub struct EncodedRef<'a> {
    shape: &'a Shape,
    ends: &'a [u8],
    values: &'a [u8],
    n: usize,
}

impl<'a> EncodedRef<'a> {
    /// A block as `encode_block` wrote it for `shape`'s fields; one that
    /// does not hold them reads as no fields.
    pub fn new(shape: &'a Shape, block: &'a [u8]) -> EncodedRef<'a> {
        let n = shape.len();
        let (ends, values) = block.split_at(block.len().min(4 * n));
        EncodedRef {
            shape,
            ends,
            values,
            n: if ends.len() == 4 * n { n } else { 0 },
        }
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn len(&self) -> usize {
        self.n
    }

    /// The fields, decoded.
    pub fn fields(&self) -> Vec<(String, Value)> {
        (0..self.n)
            .map(|i| (self.shape.names[i].clone(), self.value(i)))
            .collect()
    }

    /// Write the fields as JSON object members (for tests and tools).
    pub fn write_fields(&self, out: &mut Vec<u8>) {
        self.write(0, true, out);
    }

    fn name(&self, i: usize) -> &'a str {
        self.shape.names.get(i).map_or("", |s| s.as_str())
    }

    fn position(&self, key: &str) -> Option<usize> {
        // Duplicate names cannot occur: the fields come from a map.
        let key = key.as_bytes();
        (0..self.n).find(|&i| same_bytes(self.name(i).as_bytes(), key))
    }

    fn raw_value(&self, i: usize) -> &'a [u8] {
        let start = if i == 0 {
            0
        } else {
            read_u32(self.ends, 4 * (i - 1))
        };
        let end = read_u32(self.ends, 4 * i);
        self.values.get(start..end).unwrap_or_default()
    }

    fn value(&self, i: usize) -> Value {
        decode_json_value(self.raw_value(i))
    }

    /// The fields not masked out by `skip`, decoded.
    fn kept(&self, skip: u64) -> impl Iterator<Item = (&'a str, Value)> + '_ {
        (0..self.n)
            .filter(move |&i| !masked(skip, i))
            .map(|i| (self.name(i), self.value(i)))
    }

    /// Write the kept fields, each preceded by a comma unless `first`.
    /// Returns whether anything was written.
    fn write(&self, skip: u64, mut first: bool, out: &mut Vec<u8>) -> bool {
        let before = first;
        let mut start = 0;
        for i in 0..self.n {
            let end = read_u32(self.ends, 4 * i);
            if !masked(skip, i) {
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(self.shape.quoted(i));
                out.extend_from_slice(self.values.get(start..end).unwrap_or_default());
            }
            start = end;
        }
        before != first
    }
}

/// A u32 (native order) at `at`, 0 past the end.
pub fn read_u32(bytes: &[u8], at: usize) -> usize {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, |b| u32::from_ne_bytes(b) as usize)
}

/// Byte equality for short strings such as keys, without a call to memcmp.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.first() == b.first() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Kept within 128 bytes (a test checks): an event is moved by value from
/// stage to stage, and a larger one is copied by a call to memcpy each time.
pub struct Event<'a> {
    /// The event's JSON or other text (without its line ending); empty for
    /// rows a stage made.
    line: &'a [u8],
    /// The input line it came from, for dead letters (`line` too, unless a
    /// stage built the event's bytes anew, see `derived`).
    origin: &'a [u8],
    /// The format of `line` while the event is still read from it (`repr`
    /// is not `Obj`, or a decoded line no stage changed): with no `edits`,
    /// the line may be echoed.
    raw_format: Option<RawFormat>,
    repr: Repr<'a>,
    /// Changes not yet folded into a map (see `Edits`).
    edits: EditsBox<'a>,
    /// Event time in epoch milliseconds, when the pipeline uses time
    /// (`NO_TIME`: none). Not an `Option`: that would take 16 bytes, and
    /// an event must stay within 128 (see the test).
    time: Millis,
    pub pos: Pos,
}

/// `Event::time` when the event has none (no timestamp reads as this:
/// `timefmt` keeps times within years 0–9999).
const NO_TIME: Millis = Millis::MIN;

impl<'a> Event<'a> {
    /// Event time in epoch milliseconds, once it is read (or set by a stage).
    #[inline]
    pub fn time(&self) -> Option<Millis> {
        (self.time != NO_TIME).then_some(self.time)
    }

    #[inline]
    pub fn set_time(&mut self, t: Option<Millis>) {
        self.time = t.unwrap_or(NO_TIME);
    }

    fn of(line: &'a [u8], format: Option<RawFormat>, repr: Repr<'a>, pos: Pos) -> Event<'a> {
        Event {
            line,
            origin: line,
            raw_format: format,
            repr,
            edits: EditsBox::default(),
            time: NO_TIME,
            pos,
        }
    }

    /// An untouched JSON line and its member index (see `json_index`).
    pub fn from_json_line(line: &'a [u8], members: &'a [Member], pos: Pos) -> Event<'a> {
        Event::of(line, Some(RawFormat::Json), Repr::Json { members }, pos)
    }

    /// A decoded line of another format; it keeps its bytes for echo and dead letters.
    pub fn from_decoded(
        line: &'a [u8],
        format: RawFormat,
        fields: Map<String, Value>,
        pos: Pos,
    ) -> Event<'a> {
        Event::of(line, Some(format), Repr::Obj(Box::new(fields)), pos)
    }

    /// An untouched CSV or TSV row, or `lines` line (see `Cells`);
    /// `cells.len()` is the header's.
    pub fn from_csv_cells(
        line: &'a [u8],
        format: RawFormat,
        header: &'a [String],
        cells: Cells<'a>,
        pos: Pos,
    ) -> Event<'a> {
        Event::of(line, Some(format), Repr::Cells { header, cells }, pos)
    }

    /// An untouched logfmt line (`text`) and its pairs (see `logfmt::index_logfmt`).
    pub fn from_logfmt(text: &'a str, pairs: &'a [Pair], pos: Pos) -> Event<'a> {
        Event::of(
            text.as_bytes(),
            Some(RawFormat::Logfmt),
            Repr::Logfmt { text, pairs },
            pos,
        )
    }

    /// A row a stage produced (aggregation output, …).
    pub fn new_row(fields: Map<String, Value>, time: Option<Millis>) -> Event<'static> {
        let mut ev = Event::of(b"", None, Repr::Obj(Box::new(fields)), Pos::default());
        ev.set_time(time);
        ev
    }

    /// A row a stage wrote as a JSON object (`line`, indexed by
    /// `json_index::index_object`) instead of a map: read lazily downstream
    /// and echoed as is by the JSON encoder. Like `new_row`, it has no
    /// input line.
    pub fn row_from_json(line: &'a [u8], members: &'a [Member], time: Option<Millis>) -> Event<'a> {
        let mut ev = Event::of(
            line,
            Some(RawFormat::Json),
            Repr::Json { members },
            Pos::default(),
        );
        ev.origin = b"";
        ev.set_time(time);
        ev
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
        let mut ev = Event::of(
            line,
            Some(RawFormat::Json),
            Repr::Json { members },
            self.pos,
        );
        ev.origin = self.origin;
        ev.time = self.time;
        ev
    }

    /// The original bytes when no stage changed the event.
    /// The access-log parts the reader found in this `lines` line, while
    /// no stage has changed it.
    pub fn access_scan(&self) -> Option<&'a crate::logformat::access::AccessScan> {
        match (&self.repr, self.raw_format) {
            (Repr::Cells { cells, .. }, Some(RawFormat::Lines)) if !self.edits.touched => {
                cells.access
            }
            _ => None,
        }
    }

    pub fn unchanged_raw(&self) -> Option<(&'a [u8], RawFormat)> {
        if self.edits.touched {
            return None;
        }
        self.raw_format.map(|f| (self.line, f))
    }

    /// Write the event as JSON, exactly as serde_json writes `to_map()`,
    /// straight from the bytes of a JSON line or CSV row and the changes
    /// made to it. False (and nothing written) for any other event, or when
    /// the line holds what this cannot reproduce (escaped or duplicate keys,
    /// numbers serde cannot read): the caller then encodes the map.
    pub fn write_json(&self, out: &mut Vec<u8>) -> bool {
        match (&self.repr, self.raw_format) {
            (Repr::Json { members }, Some(RawFormat::Json)) => {
                write_json_object(self.line, members, &self.edits, out)
            }
            (Repr::Cells { header, cells }, Some(_)) => {
                write_cells_object(header, cells, &self.edits, out)
            }
            _ => false,
        }
    }

    /// Add a top-level field (replacing one of that name): `set_field`
    /// with a name and value the caller lends.
    pub fn append_field(&mut self, name: &'a str, v: Cow<'a, Value>) {
        self.set_top(Cow::Borrowed(name), v);
    }

    /// Set a field, top-level or nested (`["req", "path"]`), as
    /// `set_path` does on the decoded map: a field of that name is replaced
    /// where it is, a new one goes last, missing parents are made objects.
    /// On an event still in its input form nothing else is decoded (a
    /// nested set decodes the one top-level member it goes into).
    pub fn set_field(&mut self, path: &[String], v: Value) {
        match path {
            [] => {}
            [name] => self.set_top(Cow::Owned(name.clone()), Cow::Owned(v)),
            [top, ..] => {
                let mut m = Map::new();
                if let Some(cur) = self.get(top) {
                    m.insert(top.clone(), cur.into_owned());
                }
                set_path(&mut m, path, v);
                let new = m.swap_remove(top).unwrap_or(Value::Null);
                self.set_top(Cow::Owned(top.clone()), Cow::Owned(new));
            }
        }
    }

    /// `set_field` for a name the caller lends (no allocation for the name).
    pub fn set_named(&mut self, name: &'a str, v: Value) {
        self.set_top(Cow::Borrowed(name), Cow::Owned(v));
    }

    /// `set_field` for a top-level name the caller gives away.
    pub fn set_owned(&mut self, name: String, v: Value) {
        self.set_top(Cow::Owned(name), Cow::Owned(v));
    }

    /// Remove a field, top-level or nested, keeping the order of the
    /// others; returns its value. Nothing else is decoded.
    pub fn remove_field(&mut self, path: &[String]) -> Option<Value> {
        match path {
            [] => None,
            [name] => self.remove_top(name),
            [top, ..] => self
                .remove_nested(top, path)
                // A top-level key written with the dots (see `get_path`).
                .or_else(|| with_dotted(path, |name| self.remove_top(name))),
        }
    }

    fn remove_nested(&mut self, top: &str, path: &[String]) -> Option<Value> {
        let mut m = Map::new();
        m.insert(top.to_owned(), self.get(top)?.into_owned());
        let removed = remove_path(&mut m, path)?;
        let new = m.swap_remove(top).unwrap_or(Value::Null);
        self.set_top(Cow::Owned(top.to_owned()), Cow::Owned(new));
        Some(removed)
    }

    /// Rename a field: a top-level one keeps its position under the new
    /// name, and a field already called `to` goes (as mlr does); a nested
    /// one is removed and set at its new path. Nothing if `from` is missing.
    pub fn rename_field(&mut self, from: &[String], to: &[String]) {
        if from == to {
            return;
        }
        if let ([f], [t]) = (from, to) {
            return self.rename_top(f, t);
        }
        if let ([_, _, ..], [t]) = (from, to) {
            // A top-level key written with the dots (see `get_path`) keeps
            // its place, as any top-level rename does.
            let nested = self
                .get(&from[0])
                .is_some_and(|top| lookup(&top, &from[1..]).is_some());
            if !nested && with_dotted(from, |f| self.get(f).is_some()) {
                return with_dotted(from, |f| self.rename_top(f, t));
            }
        }
        if let Some(v) = self.remove_field(from) {
            self.set_field(to, v);
        }
    }

    fn set_top(&mut self, name: Cow<'a, str>, v: Cow<'a, Value>) {
        self.edits.touched = true;
        if let Repr::Obj(_) = self.repr {
            self.fields_mut().insert(name.into_owned(), v.into_owned());
            return;
        }
        match self.edits.extras.find(&name) {
            Some(ExtraHit::Field(i)) => {
                if let Some(Extra::Field(_, old)) = self.edits.extras.get_mut(i) {
                    *old = v;
                }
                return;
            }
            Some(ExtraHit::Encoded) => {}
            None => match self.live_base(&name) {
                None => return self.edits.extras.push(Extra::Field(name, v)),
                Some(i) => {
                    if let Some(edit) = self.base_edit(i) {
                        let value = v.into_owned();
                        match edit {
                            BaseEdit::Change { value: old, .. } => *old = Some(value),
                            other => {
                                *other = BaseEdit::Change {
                                    name: None,
                                    value: Some(value),
                                }
                            }
                        }
                        return;
                    }
                }
            },
        }
        self.fields_mut().insert(name.into_owned(), v.into_owned());
    }

    fn remove_top(&mut self, name: &str) -> Option<Value> {
        if let Repr::Obj(map) = &mut self.repr {
            let removed = map.shift_remove(name);
            if removed.is_some() {
                self.raw_format = None;
            }
            return removed;
        }
        match self.edits.extras.find(name) {
            Some(ExtraHit::Field(i)) => {
                let v = match self.edits.extras.get_mut(i) {
                    Some(Extra::Field(_, v)) => std::mem::take(v.to_mut()),
                    _ => Value::Null,
                };
                self.edits.extras.remove(i);
                self.edits.touched = true;
                return Some(v);
            }
            Some(ExtraHit::Encoded) => {}
            None => {
                let i = self.live_base(name)?;
                let v = self.get(name).map(Cow::into_owned);
                if let Some(edit) = self.base_edit(i) {
                    *edit = BaseEdit::Drop;
                    self.edits.touched = true;
                    return v;
                }
            }
        }
        self.fields_mut().shift_remove(name)
    }

    fn rename_top(&mut self, from: &str, to: &str) {
        if let Repr::Obj(_) = self.repr {
            return rename_in_map(self.fields_mut(), from, to);
        }
        let hit = match self.edits.extras.find(from) {
            Some(ExtraHit::Field(_)) => true,
            Some(ExtraHit::Encoded) => false,
            None => match self.live_base(from) {
                Some(_) => self.base_is_editable(),
                None => return,
            },
        };
        if hit && !matches!(self.edits.extras.find(to), Some(ExtraHit::Encoded)) {
            self.remove_top(to);
            self.edits.touched = true;
            if let Some(ExtraHit::Field(i)) = self.edits.extras.find(from) {
                if let Some(Extra::Field(k, _)) = self.edits.extras.get_mut(i) {
                    *k = Cow::Owned(to.to_owned());
                }
                return;
            }
            if let Some(i) = self.live_base(from) {
                if let Some(edit) = self.base_edit(i) {
                    let name = Some(Cow::Owned(to.to_owned()));
                    match edit {
                        BaseEdit::Change { name: n, .. } => *n = name,
                        other => *other = BaseEdit::Change { name, value: None },
                    }
                    return;
                }
            }
        }
        rename_in_map(self.fields_mut(), from, to);
    }

    /// The edit slot of base field `i`, starting the list of base edits if
    /// needed; `None` if this event's base fields cannot be edited in place.
    fn base_edit(&mut self, i: usize) -> Option<&mut BaseEdit<'a>> {
        if self.edits.base.is_empty() {
            if !self.base_is_editable() {
                return None;
            }
            self.edits.base = vec![BaseEdit::Keep; self.base_len()];
        }
        self.edits.base.get_mut(i)
    }

    /// How many base fields the event has (members, cells, pairs).
    fn base_len(&self) -> usize {
        match &self.repr {
            Repr::Json { members } => members.len(),
            Repr::Cells { cells, .. } => cells.len(),
            Repr::Logfmt { pairs, .. } => pairs.len(),
            Repr::Obj(_) => 0,
        }
    }

    /// Base field `i`'s name as written (JSON: still escaped).
    fn base_key(&self, i: usize) -> &'a [u8] {
        match &self.repr {
            Repr::Json { members } => members.get(i).map_or(&[], |m| m.key(self.line)),
            Repr::Cells { header, .. } => header.get(i).map_or(&[], |h| h.as_bytes()),
            Repr::Logfmt { text, pairs } => pairs.get(i).map_or(&[], |p| p.key(text).as_bytes()),
            Repr::Obj(_) => &[],
        }
    }

    /// Base field `i`'s value, decoded.
    fn base_value(&self, i: usize) -> Value {
        match &self.repr {
            Repr::Json { members } => members
                .get(i)
                .map_or(Value::Null, |m| decode_json_value(m.value(self.line))),
            Repr::Cells { cells, .. } => cells.value(i).unwrap_or(Value::Null),
            Repr::Logfmt { text, pairs } => pairs.get(i).map_or(Value::Null, |p| p.value(text)),
            Repr::Obj(_) => Value::Null,
        }
    }

    /// The base field a name reads, by the line's own names (the last one
    /// of a repeated name, as in the map).
    fn base_index(&self, key: &str) -> Option<usize> {
        match &self.repr {
            Repr::Json { members } => raw_key_index(self.line, members, key.as_bytes()),
            Repr::Cells { header, .. } => cell_index(header, key),
            Repr::Logfmt { text, pairs } => pairs.iter().rposition(|p| p.key(text) == key),
            Repr::Obj(_) => None,
        }
    }

    /// The base field now called `key`, edits considered.
    fn live_base(&self, key: &str) -> Option<usize> {
        if self.edits.base.is_empty() {
            return self.base_index(key);
        }
        // Editable: each name is at one position.
        let own = self
            .base_index(key)
            .filter(|&i| self.edits.base.get(i).is_some_and(BaseEdit::keeps_name));
        own.or_else(|| {
            self.edits
                .base
                .iter()
                .position(|e| matches!(e, BaseEdit::Change { name: Some(n), .. } if n == key))
        })
    }

    /// Whether the base names are unique and need no unescaping, so that
    /// base fields can be edited by position (see `Edits`).
    fn base_is_editable(&self) -> bool {
        let n = self.base_len();
        if matches!(&self.repr, Repr::Json { members } if members.iter().any(|m| m.key_escaped)) {
            return false;
        }
        if let Repr::Json { members } = &self.repr {
            // The indexer proved most keys unique already.
            return members.iter().all(|m| m.unique_key) || !has_duplicate_keys(self.line, members);
        }
        (0..n).all(|i| (0..i).all(|j| self.base_key(j) != self.base_key(i)))
    }

    /// Add the fields of `enc` that the event does not have yet (a field of
    /// the same name keeps the event's own value). On an event still in its
    /// input form nothing is decoded or copied: the fields are written from
    /// `enc`'s bytes.
    pub fn append_new_fields(&mut self, enc: EncodedRef<'a>) {
        if enc.n <= Encoded::MAX_FIELDS && !matches!(self.repr, Repr::Obj(_)) {
            let mut skip = 0u64;
            for i in 0..enc.n {
                let k = enc.name(i);
                let own = self.edits.extras.has(k.as_bytes()) || self.live_base(k).is_some();
                if own {
                    skip |= 1 << i;
                }
            }
            self.edits.extras.push(Extra::Encoded(enc, skip));
            self.edits.touched = true;
            return;
        }
        for (k, v) in enc.fields() {
            if self.get(&k).is_none() {
                self.fields_mut().insert(k, v);
            }
        }
    }

    /// Whether the event is a JSON line whose own members no stage changed
    /// (fields may have been added): `get_raw_json` has the raw text of
    /// each of its own fields.
    pub fn is_json_line(&self) -> bool {
        matches!(
            (&self.repr, self.raw_format),
            (Repr::Json { .. }, Some(RawFormat::Json))
        ) && self.edits.base.is_empty()
    }

    /// A top-level field, decoded on demand.
    pub fn get(&self, key: &str) -> Option<Cow<'_, Value>> {
        if let Repr::Obj(map) = &self.repr {
            return map.get(key).map(Cow::Borrowed);
        }
        if let Some(v) = self.edits.extras.get(key) {
            return Some(v);
        }
        if self.edits.base.is_empty() {
            return match &self.repr {
                Repr::Json { members } => {
                    let raw = raw_top_level(self.line, members, key)?;
                    Some(Cow::Owned(decode_json_value(raw)))
                }
                Repr::Cells { header, cells } => {
                    Some(Cow::Owned(cells.value(cell_index(header, key)?)?))
                }
                // A repeated key: the last value wins, as in the map.
                Repr::Logfmt { text, pairs } => pairs
                    .iter()
                    .rev()
                    .find(|p| p.key(text) == key)
                    .map(|p| Cow::Owned(p.value(text))),
                Repr::Obj(_) => None,
            };
        }
        let i = self.live_base(key)?;
        match self.edits.base.get(i) {
            Some(BaseEdit::Change { value: Some(v), .. }) => Some(Cow::Borrowed(v)),
            _ => Some(Cow::Owned(self.base_value(i))),
        }
    }

    /// The text of a cell of an untouched CSV/TSV row (or `lines` line),
    /// as in the input (quotes and escapes undone), before typing: for hot
    /// paths that can use the text as it is (group keys). `None` if the
    /// field is not such a cell (then read it with `get`).
    pub fn get_cell(&self, key: &str) -> Option<Cow<'a, str>> {
        match &self.repr {
            Repr::Cells { header, cells } => {
                if self.edits.extras.find(key).is_some() {
                    return None;
                }
                let i = self.live_base(key)?;
                match self.edits.base.get(i) {
                    None | Some(BaseEdit::Keep) => cells.get(i),
                    Some(_) => None,
                }
                .filter(|_| header.len() == cells.len())
            }
            _ => None,
        }
    }

    /// The header and cells of a CSV/TSV row no stage changed.
    pub fn untouched_cells(&self) -> Option<(&'a [String], Cells<'a>)> {
        match &self.repr {
            Repr::Cells { header, cells } if !self.edits.touched => Some((header, *cells)),
            _ => None,
        }
    }

    /// The raw JSON text of a top-level field of a JSON line (or of a
    /// field added from encoded bytes), for hot paths that hash or compare
    /// bytes (group keys). `None` if there is no such text (then read the
    /// field with `get`).
    pub fn get_raw_json(&self, key: &str) -> Option<&'a [u8]> {
        match &self.repr {
            Repr::Json { members } => match self.edits.extras.get_raw(key) {
                // An added field's name is new: the line does not have it.
                Some(raw) => raw,
                None if self.edits.base.is_empty() => raw_top_level(self.line, members, key),
                None => {
                    let i = self.live_base(key)?;
                    match self.edits.base.get(i) {
                        Some(BaseEdit::Keep | BaseEdit::Change { value: None, .. }) => {
                            members.get(i).map(|m| m.value(self.line))
                        }
                        _ => None,
                    }
                }
            },
            _ => None,
        }
    }

    /// A field by path (`req.path` is `["req", "path"]`). Where there is no
    /// such nested field, a top-level key written with the dots
    /// (`{"req.path": …}`, as a CSV header, a logfmt key or `count by
    /// req.path` makes it) is the field: the two spellings are one field,
    /// as `-O csv` already shows a nested field as a dotted column.
    pub fn get_path(&self, path: &[String]) -> Option<Cow<'_, Value>> {
        let (first, rest) = path.split_first()?;
        if rest.is_empty() {
            return self.get(first);
        }
        let nested = match self.get(first) {
            Some(Cow::Borrowed(v)) => lookup(v, rest).map(Cow::Borrowed),
            Some(Cow::Owned(v)) => lookup(&v, rest).cloned().map(Cow::Owned),
            None => None,
        };
        nested.or_else(|| with_dotted(path, |name| self.get(name)))
    }

    /// The decoded fields, for a stage that changes the event. After this the
    /// event is no longer written back as its original bytes.
    pub fn fields_mut(&mut self) -> &mut Map<String, Value> {
        self.raw_format = None;
        if let Some(map) = self.decode_all() {
            self.repr = Repr::Obj(Box::new(map));
            self.edits = EditsBox::default();
        }
        match &mut self.repr {
            Repr::Obj(map) => map,
            _ => unreachable!("decoded just above"),
        }
    }

    /// The whole object of an event not decoded yet, changes applied
    /// (`None` if it is decoded).
    fn decode_all(&self) -> Option<Map<String, Value>> {
        let mut map = match &self.repr {
            Repr::Obj(_) => return None,
            _ if !self.edits.base.is_empty() => {
                let mut map = Map::with_capacity(self.base_len() + 2);
                for (i, edit) in self.edits.base.iter().enumerate() {
                    let name = || String::from_utf8_lossy(self.base_key(i)).into_owned();
                    match edit {
                        BaseEdit::Drop => continue,
                        BaseEdit::Keep => map.insert(name(), self.base_value(i)),
                        BaseEdit::Change { name: n, value } => map.insert(
                            n.as_ref().map_or_else(name, |n| n.to_string()),
                            value.clone().unwrap_or_else(|| self.base_value(i)),
                        ),
                    };
                }
                map
            }
            Repr::Json { .. } => decode_object(self.line),
            Repr::Cells { header, cells } => header
                .iter()
                .enumerate()
                .map(|(i, k)| (k.clone(), cells.value(i).unwrap_or(Value::Null)))
                .collect(),
            Repr::Logfmt { text, pairs } => pairs
                .iter()
                .map(|p| (p.key(text).to_owned(), p.value(text)))
                .collect(),
        };
        for (k, v) in self.edits.extras.fields() {
            map.insert(k.to_owned(), v.into_owned());
        }
        Some(map)
    }

    /// The fields as a map (decoding an event still in its input form).
    pub fn to_map(&self) -> Cow<'_, Map<String, Value>> {
        match &self.repr {
            Repr::Obj(map) => Cow::Borrowed(&**map),
            _ => Cow::Owned(self.decode_all().unwrap_or_default()),
        }
    }

    /// Take the fields out (for encoders and stages that rebuild the event).
    pub fn into_map(self) -> Map<String, Value> {
        match self.repr {
            Repr::Obj(map) => *map,
            Repr::Json { .. } if self.edits.base.is_empty() => {
                let mut map = decode_object(self.line);
                if let Some(edits) = self.edits.0 {
                    edits.extras.insert_into(&mut map);
                }
                map
            }
            _ => self.decode_all().unwrap_or_default(),
        }
    }

    /// Replace the fields wholesale (select, parse json).
    pub fn set_map(&mut self, map: Map<String, Value>) {
        self.raw_format = None;
        self.repr = Repr::Obj(Box::new(map));
        self.edits = EditsBox::default();
    }

    /// Top-level field names in order (for table/CSV headers).
    pub fn keys(&self) -> Vec<String> {
        self.to_map().keys().cloned().collect()
    }
}

/// Rename a top-level field of a map in place; a field already called `to`
/// goes.
fn rename_in_map(map: &mut Map<String, Value>, from: &str, to: &str) {
    if from == to || !map.contains_key(from) {
        return;
    }
    // serde_json's Map has no positional insert: rebuild it in order.
    let old = std::mem::take(map);
    for (k, v) in old {
        if k == from {
            map.insert(to.to_owned(), v);
        } else if k != to {
            map.insert(k, v);
        }
    }
}

/// An event kept past the input buffer it borrows from: held by the event
/// time reader while it decides where time comes from (see
/// `exec::event_time`). Rare (a few events at the start of a run), so it
/// keeps the decoded fields and copies of the bytes, and can be saved in a
/// checkpoint.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Held {
    /// The event's own bytes, echoed when no stage changed it (`raw` set).
    line: String,
    /// The input line, for dead letters.
    origin: String,
    raw: Option<String>,
    fields: Map<String, Value>,
    source: u32,
    line_no: u64,
    /// When it arrived (epoch ms), its time if it ends up on arrival time.
    pub arrival: Millis,
}

impl Held {
    pub fn new(ev: &Event<'_>, arrival: Millis) -> Held {
        let raw = ev.unchanged_raw().map(|(_, f)| format!("{f:?}"));
        Held {
            line: String::from_utf8_lossy(ev.line).into_owned(),
            origin: String::from_utf8_lossy(ev.origin).into_owned(),
            raw,
            fields: ev.to_map().into_owned(),
            source: ev.pos.source,
            line_no: ev.pos.line,
            arrival,
        }
    }

    /// The event again, as it was when held.
    pub fn event(&self) -> Event<'_> {
        let raw_format = self.raw.as_deref().and_then(|r| {
            [
                RawFormat::Json,
                RawFormat::Csv,
                RawFormat::Tsv,
                RawFormat::Logfmt,
                RawFormat::Lines,
            ]
            .into_iter()
            .find(|f| format!("{f:?}") == r)
        });
        let pos = Pos {
            source: self.source,
            line: self.line_no,
        };
        let mut ev = Event::of(
            self.line.as_bytes(),
            raw_format,
            Repr::Obj(Box::new(self.fields.clone())),
            pos,
        );
        ev.origin = self.origin.as_bytes();
        ev
    }
}

/// The raw value of a top-level member of a line, by key.
fn raw_top_level<'l>(line: &'l [u8], members: &[Member], key: &str) -> Option<&'l [u8]> {
    raw_key_index(line, members, key.as_bytes()).map(|i| members[i].value(line))
}

/// The member with this (unescaped) key; the last one if there are several,
/// as in serde_json.
fn raw_key_index(line: &[u8], members: &[Member], key: &[u8]) -> Option<usize> {
    members.iter().rposition(|m| {
        // Most members differ in length: tell that from the index alone,
        // before touching the line. An escaped key is longer than it reads
        // (every escape is longer than the character it stands for).
        let raw_len = (m.key_end - m.key_start) as usize;
        if raw_len == key.len() {
            !m.key_escaped && same_bytes(m.key(line), key)
        } else {
            raw_len > key.len()
                && m.key_escaped
                && serde_json::from_slice::<String>(
                    &line[m.key_start as usize - 1..m.key_end as usize + 1],
                )
                .is_ok_and(|s| s.as_bytes() == key)
        }
    })
}

/// The column of a name; with a repeated name the last one wins, as in the map.
fn cell_index(header: &[String], key: &str) -> Option<usize> {
    header.iter().rposition(|h| h == key)
}

/// A field of a map by path.
#[cfg(test)]
fn lookup_in<'v>(map: &'v Map<String, Value>, path: &[String]) -> Option<&'v Value> {
    let (first, rest) = path.split_first()?;
    lookup(map.get(first)?, rest)
}

/// `f` of the path's parts joined with dots (`req.path`), without an
/// allocation for the usual short path.
pub fn with_dotted<R>(path: &[String], f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 128];
    let mut len = 0;
    for (i, part) in path.iter().enumerate() {
        let dot = usize::from(i > 0);
        let end = len + dot + part.len();
        if end > buf.len() {
            return f(&path.join("."));
        }
        if dot == 1 {
            buf[len] = b'.';
        }
        buf[len + dot..end].copy_from_slice(part.as_bytes());
        len = end;
    }
    // Whole UTF-8 strings and ASCII dots: valid UTF-8.
    f(std::str::from_utf8(&buf[..len]).unwrap_or_default())
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
        Some(b'-' | b'0'..=b'9') if raw != b"-0" => {
            if let Some(n) = crate::value::small_int(raw) {
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

/// Write a JSON line's object, with the changes made to it, exactly as
/// serde_json writes the decoded map: each member kept whose bytes already
/// are serde's form (compact, no escapes, numbers as serde writes them) is
/// copied, runs of such members in one piece; any other value is decoded
/// and written anew, and changed members are written from their new name
/// and value. Returns false, having written nothing, for what the map would
/// change beyond single values: escaped or duplicate keys (the map keeps
/// one of them), or a value serde cannot read.
fn write_json_object(
    line: &[u8],
    members: &[Member],
    edits: &Edits<'_>,
    out: &mut Vec<u8>,
) -> bool {
    if edits.base.is_empty() && line_is_plain(line, members) {
        // Written as it reads: copied whole but its `}`, added fields after.
        // (The common case, tested first: one pass over the members.)
        out.extend_from_slice(&line[..line.len() - 1]);
        write_extras(&edits.extras, false, out);
        out.push(b'}');
        return true;
    }
    // Base edits are only made on lines without such keys. The indexer
    // proved most keys unique while it validated the line: the keys are
    // compared only when it could not.
    if edits.base.is_empty()
        && (members.iter().any(|m| m.key_escaped)
            || !members.iter().all(|m| m.unique_key) && has_duplicate_keys(line, members))
    {
        return false;
    }
    let start = out.len();
    // A run of members to copy as they are: line[run.0..run.1].
    let mut run = (0usize, 0usize);
    let mut prev_end = 0usize;
    let mut written = false;
    for (i, m) in members.iter().enumerate() {
        let line_sep = if i == 0 { b'{' } else { b',' };
        let (ks, ke) = (m.key_start as usize, m.key_end as usize);
        // `{"k":v` or `,"k":v` right after the previous member.
        let compact = ks >= 2
            && ks - 2 == prev_end
            && line[ks - 2] == line_sep
            && m.val_start as usize == ke + 2;
        prev_end = m.val_end as usize;
        let (new_name, new_value) = match edits.base.get(i) {
            None | Some(BaseEdit::Keep) => (None, None),
            Some(BaseEdit::Drop) => {
                out.extend_from_slice(&line[run.0..run.1]);
                run = (0, 0);
                continue;
            }
            Some(BaseEdit::Change { name, value }) => (name.as_deref(), value.as_ref()),
        };
        let sep = if written { b',' } else { b'{' };
        written = true;
        let val = m.value(line);
        // The indexer saw most values are written back as they are.
        let canonical = new_value.is_none() && (m.plain_value || raw_is_canonical(val));
        if canonical && compact && new_name.is_none() {
            if run.0 == run.1 {
                // The line's separator is the one needed unless members
                // before this one were dropped.
                if line_sep == sep {
                    run.0 = ks - 2;
                } else {
                    out.push(sep);
                    run.0 = ks - 1;
                }
            }
            run.1 = prev_end;
            continue;
        }
        out.extend_from_slice(&line[run.0..run.1]);
        run = (0, 0);
        out.push(sep);
        match new_name {
            Some(name) => write_key(name, out),
            None => {
                out.push(b'"');
                out.extend_from_slice(&line[ks..ke]);
                out.extend_from_slice(b"\":");
            }
        }
        if let Some(v) = new_value {
            serde_json::to_writer(&mut *out, v).expect("writing to a Vec");
        } else if canonical {
            out.extend_from_slice(val);
        } else if !reencode_value(val, out) {
            out.truncate(start);
            return false;
        }
    }
    out.extend_from_slice(&line[run.0..run.1]);
    if !written {
        out.push(b'{');
    }
    write_extras(&edits.extras, !written, out);
    out.push(b'}');
    true
}

/// Whether serde_json writes the decoded line back byte for byte: compact
/// (`{"k":v,"k":v}`, nothing around), keys unique and unescaped, every
/// value plain, as the indexer noted (see `Member`). Positions alone tell
/// compactness: in a valid line the one byte between members is a `,`.
fn line_is_plain(line: &[u8], members: &[Member]) -> bool {
    let Some(last) = members.last() else {
        return false;
    };
    let mut prev_end = 0;
    for m in members {
        if !(m.plain_value && m.unique_key && !m.key_escaped)
            || m.key_start != prev_end + 2
            || m.val_start != m.key_end + 2
        {
            return false;
        }
        prev_end = m.val_end;
    }
    line.first() == Some(&b'{') && line.len() == last.val_end as usize + 1
}

/// Write the added fields as members, each preceded by a comma unless
/// `first`.
fn write_extras(extras: &Extras<'_>, mut first: bool, out: &mut Vec<u8>) {
    for e in extras.iter() {
        match e {
            Extra::Field(k, v) => {
                if !first {
                    out.push(b',');
                }
                first = false;
                write_key(k, out);
                serde_json::to_writer(&mut *out, v.as_ref()).expect("writing to a Vec");
            }
            Extra::Encoded(enc, skip) => {
                if enc.write(*skip, first, out) {
                    first = false;
                }
            }
        }
    }
}

/// Write a CSV/TSV row (or `lines` line), with the changes made to it, as
/// serde_json writes the decoded map, without building it: each cell is
/// written as the value it types to. False (nothing written) when the
/// header repeats a name (the map keeps one of them).
fn write_cells_object(
    header: &[String],
    cells: &Cells<'_>,
    edits: &Edits<'_>,
    out: &mut Vec<u8>,
) -> bool {
    if header.len() != cells.len()
        || edits.base.is_empty() && (1..header.len()).any(|i| header[..i].contains(&header[i]))
    {
        return false;
    }
    out.push(b'{');
    let mut written = false;
    for (i, name) in header.iter().enumerate() {
        let (new_name, new_value) = match edits.base.get(i) {
            None | Some(BaseEdit::Keep) => (None, None),
            Some(BaseEdit::Drop) => continue,
            Some(BaseEdit::Change { name, value }) => (name.as_deref(), value.as_ref()),
        };
        if written {
            out.push(b',');
        }
        written = true;
        write_key(new_name.unwrap_or(name), out);
        match new_value {
            Some(v) => serde_json::to_writer(&mut *out, v).expect("writing to a Vec"),
            None => write_cell_json(cells, i, out),
        }
    }
    write_extras(&edits.extras, !written, out);
    out.push(b'}');
    true
}

/// Cell `i` as serde_json writes the value it types to (`Cells::value`).
pub fn write_cell_json(cells: &Cells<'_>, i: usize, out: &mut Vec<u8>) {
    let span = cells.spans.get(i).copied().unwrap_or_default();
    let bytes = cells.text.get(span.start..span.end).unwrap_or_default();
    if cells.typed {
        match bytes.first() {
            None => return out.extend_from_slice(b"null"),
            // An integer is written as it reads (`-0` reads as 0).
            Some(b'-' | b'0'..=b'9') if crate::value::small_int(bytes).is_some() => {
                let plain = if bytes == b"-0" { &b"0"[..] } else { bytes };
                return out.extend_from_slice(plain);
            }
            Some(b'-' | b'0'..=b'9') => {
                let v = cells.value(i).unwrap_or(Value::Null);
                return serde_json::to_writer(&mut *out, &v).expect("writing to a Vec");
            }
            _ => {}
        }
    }
    // The decoder checked the text is UTF-8: a cell with nothing to escape
    // is copied between quotes.
    if !span.doubled && bytes.iter().all(|&c| c >= 0x20 && c != b'"' && c != b'\\') {
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let text = cells.get(i).unwrap_or_default();
    serde_json::to_writer(&mut *out, text.as_ref()).expect("writing to a Vec");
}

/// `"key":` as serde_json writes it.
fn write_key(k: &str, out: &mut Vec<u8>) {
    if name_is_plain(k) {
        out.reserve(k.len() + 3);
        out.push(b'"');
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b"\":");
    } else {
        serde_json::to_writer(&mut *out, k).expect("writing to a Vec");
        out.push(b':');
    }
}

/// Whether serde_json writes this string without escapes.
fn name_is_plain(k: &str) -> bool {
    k.bytes().all(|c| c >= 0x20 && c != b'"' && c != b'\\')
}

/// Whether two members have the same (unescaped) key. Keys are first told
/// apart by length and end bytes, so a line of distinct keys costs no
/// byte-by-byte comparison.
fn has_duplicate_keys(line: &[u8], members: &[Member]) -> bool {
    let mut seen = 0u64;
    for (i, m) in members.iter().enumerate() {
        let k = m.key(line);
        let h = (k.len()
            + 7 * k.first().copied().unwrap_or(0) as usize
            + 13 * k.last().copied().unwrap_or(0) as usize)
            % 64;
        if seen & (1 << h) != 0 && members[..i].iter().any(|o| o.key(line) == k) {
            return true;
        }
        seen |= 1 << h;
    }
    false
}

/// Decode a raw value and write it as serde_json does; false if serde
/// cannot read it (a number out of range), so the whole line would not
/// decode either.
fn reencode_value(raw: &[u8], out: &mut Vec<u8>) -> bool {
    match serde_json::from_slice::<Value>(raw) {
        Ok(v) => {
            serde_json::to_writer(&mut *out, &v).expect("writing to a Vec");
            true
        }
        Err(_) => false,
    }
}

/// Write a raw JSON value (validated by `json_index`) as serde_json writes
/// its decoded value. False if serde cannot read it.
pub fn write_canonical_value(raw: &[u8], out: &mut Vec<u8>) -> bool {
    if raw_is_canonical(raw) {
        out.extend_from_slice(raw);
        true
    } else {
        reencode_value(raw, out)
    }
}

/// Whether a raw value (validated by `json_index`) is written by serde_json
/// exactly as it reads: a string without escapes, a literal, a number in
/// serde's own form (`1.5`, not `1.50`). Objects and arrays count as not
/// (they are decoded and written anew).
pub fn raw_is_canonical(v: &[u8]) -> bool {
    match v.first() {
        Some(b'"') => memchr::memchr(b'\\', v).is_none(),
        Some(b't' | b'f' | b'n') => true,
        Some(b'-' | b'0'..=b'9') => number_is_canonical(v),
        _ => false,
    }
}

/// Whether serde_json writes this JSON number back as it reads.
fn number_is_canonical(v: &[u8]) -> bool {
    let digits = v.strip_prefix(b"-").unwrap_or(v);
    if digits.iter().all(u8::is_ascii_digit) {
        // `-0` reads as the float -0.0; up to 18 digits always fit i64.
        return v != b"-0" && digits.len() <= 18;
    }
    if let Some(quick) = decimal_is_canonical(digits) {
        return quick;
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

/// The common case without formatting the float: `I.F` (sign stripped),
/// F not ending in `0`, at most 15 significant digits, value in [0.1, 1e15).
/// Such a decimal is the shortest text of the double it reads as (two
/// decimals of up to 15 digits never read as the same double), and serde
/// writes doubles in that range without an exponent. `None`: not this
/// form, format the float to tell.
fn decimal_is_canonical(digits: &[u8]) -> Option<bool> {
    let dot = digits.iter().position(|&c| c == b'.')?;
    let (int, frac) = (&digits[..dot], &digits[dot + 1..]);
    if int.is_empty()
        || frac.is_empty()
        || !int.iter().all(u8::is_ascii_digit)
        || !frac.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    if frac.last() == Some(&b'0') {
        // `1.50` is written `1.5`, `2.0` stays `2.0`: let the float tell.
        return None;
    }
    let significant = if int == b"0" {
        if frac[0] == b'0' {
            return None;
        }
        frac.len()
    } else {
        int.len() + frac.len()
    };
    (significant <= 15).then_some(true)
}

impl Fields for Event<'_> {
    fn field(&self, path: &[String]) -> Option<Cow<'_, Value>> {
        self.get_path(path)
    }
    fn raw_json(&self, name: &str) -> Option<&[u8]> {
        self.get_raw_json(name)
    }
    fn event_time(&self) -> Option<i64> {
        self.time()
    }
}

#[cfg(test)]
mod edit_props;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::json_index::index_object;

    /// An event moves by value from stage to stage: at 128 bytes or less a
    /// move is a few register copies, past that a call to memcpy (a tenth
    /// of W5's main thread when it was 152).
    #[test]
    fn an_event_fits_in_128_bytes() {
        assert!(std::mem::size_of::<Event<'_>>() <= 128);
    }

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
            "-9223372036854775808",
            "-9223372036854775809",
            "999999999999999999",
            "-999999999999999999",
            "1000000000000000000",
            "18446744073709551615",
            "1e3",
            "-1E-2",
            "0.0",
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

    /// JSON output of `line` with fields added: through `append_field` /
    /// `append_new_fields` and through a full decode (the slow path). Also
    /// returns whether the fast writer took it.
    fn appended_both_ways(
        line: &str,
        fields: &[(&str, Value)],
        row: Option<&Encoded>,
    ) -> (String, String, bool) {
        use crate::output::Encoder;
        use crate::output::OutFormat;
        let mut idx = Vec::new();
        index_object(line.as_bytes(), &mut idx).unwrap();
        let mut fast = Event::from_json_line(line.as_bytes(), &idx, Pos::default());
        let mut slow = Event::from_json_line(line.as_bytes(), &idx, Pos::default());
        for (k, v) in fields {
            fast.append_field(k, Cow::Borrowed(v));
            slow.fields_mut().insert(k.to_string(), v.clone());
        }
        if let Some(enc) = row {
            fast.append_new_fields(enc.as_ref());
            for (k, v) in enc.fields() {
                if !slow.fields_mut().contains_key(&k) {
                    slow.fields_mut().insert(k, v);
                }
            }
        }
        let raw = fast.write_json(&mut Vec::new());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        Encoder::new(OutFormat::Json, false).encode(&fast, &mut a);
        Encoder::new(OutFormat::Json, false).encode(&slow, &mut b);
        assert_eq!(fast.to_map(), slow.to_map(), "fields of {line}");
        assert_eq!(fast.keys(), slow.keys(), "keys of {line}");
        for (k, v) in slow.to_map().iter() {
            assert_eq!(fast.get(k).as_deref(), Some(v), "{k} of {line}");
            if let Some(raw) = fast.get_raw_json(k) {
                assert_eq!(&decode_json_value(raw), v, "raw {k} of {line}");
            }
        }
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
            (r#"{"f":1e20}"#, true),
            (r#"{"f":0.001,"g":-7}"#, true),
            (r#"{}"#, true),
            (r#"{ }"#, true),
            (r#"{"a": 1}"#, true),
            (r#"{ "a" : 1 , "b":2,"c" :3 }"#, true),
            (r#"{"a":1.50}"#, true),
            (r#"{"a":2.0,"b":0.10,"c":100.0,"d":1.0e3,"e":1e3}"#, true),
            (r#"{"a":1E2}"#, true),
            (r#"{"a":-0,"b":-0.0,"c":0}"#, true),
            (
                r#"{"a":0.1,"b":0.01,"c":0.0001,"d":0.00001,"e":1e-7}"#,
                true,
            ),
            (r#"{"a":123456789012345.6,"b":1234567890123456.7}"#, true),
            (r#"{"a":999999999999999.9,"b":12345678901234.5}"#, true),
            (r#"{"a":0.123456789012345,"b":0.1234567890123456789}"#, true),
            (r#"{"a":"\u00e9","b":"x\/y","c":"q\"\\"}"#, true),
            (r#"{"a":"é"}"#, true),
            (r#"{"a":[1,2],"b":{ "c" : 1.50 },"c":[]}"#, true),
            (
                r#"{"a":12345678901234567890,"b":123456789012345678901}"#,
                true,
            ),
            (r#" {"a":1} "#, true),
            (r#"{"a":1,"a":2}"#, false),
            (r#"{"a":1,"b":2,"a":3}"#, false),
            (r#"{"\u0061":1}"#, false),
            (r#"{"a":1,"\u0061":2}"#, false),
            // A replaced member is written anew, the others copied.
            (r#"{"n":7,"b":2}"#, true),
        ] {
            let (fast, slow, took_raw) = appended_both_ways(line, &add, None);
            assert_eq!(fast, slow, "output for {line}");
            assert_eq!(took_raw, raw, "fast path for {line}");
        }
        // Appending twice to one name keeps the last value, in place.
        let (fast, slow, raw) = appended_both_ways(
            r#"{"a":1}"#,
            &[
                ("x", Value::from(1)),
                ("y", Value::from(3)),
                ("x", Value::from(2)),
            ],
            None,
        );
        assert_eq!((fast.as_str(), raw), ("{\"a\":1,\"x\":2,\"y\":3}\n", true));
        assert_eq!(fast, slow);
        // Names that need escapes.
        let (fast, slow, raw) =
            appended_both_ways(r#"{"a":1}"#, &[("q\"\n", Value::from("\u{1}"))], None);
        assert!(raw);
        assert_eq!(fast, slow);
    }

    #[test]
    fn encoded_rows_are_written_as_a_full_decode_would() {
        let row = Encoded::new(vec![
            ("country".into(), Value::from("IN")),
            ("plan".into(), Value::from(2.50)),
            ("a".into(), Value::Null),
            ("x\"y".into(), Value::from(vec![1, 2])),
        ]);
        for line in [
            r#"{"user_id":1}"#,
            r#"{}"#,
            r#"{"a":5,"b":1.50}"#,
            r#"{"plan":"own","country":"XX","a":1,"x\"y":0}"#,
            r#"{"pl\u0061n":"own"}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"ts":"t","n":1e3}"#,
        ] {
            for fields in [&[][..], &[("n", Value::from(7))][..]] {
                let (fast, slow, _) = appended_both_ways(line, fields, Some(&row));
                assert_eq!(fast, slow, "output for {line} + {fields:?}");
            }
        }
        let (fast, _, raw) = appended_both_ways(r#"{"a":0}"#, &[], Some(&row));
        assert!(raw);
        assert_eq!(
            fast,
            "{\"a\":0,\"country\":\"IN\",\"plan\":2.5,\"x\\\"y\":[1,2]}\n"
        );
        // A field added after the row replaces the event's value only where
        // the row's field was kept; an empty row adds nothing.
        let (fast, slow, _) =
            appended_both_ways(r#"{"a":0}"#, &[("country", Value::from(1))], Some(&row));
        assert_eq!(fast, slow);
        let empty = Encoded::new(Vec::new());
        let (fast, slow, _) = appended_both_ways(r#"{"a":0}"#, &[], Some(&empty));
        assert_eq!(
            (fast.as_str(), slow.as_str()),
            ("{\"a\":0}\n", "{\"a\":0}\n")
        );
    }

    #[test]
    fn encoded_fields_lend_their_raw_text() {
        let row = Encoded::new(vec![("country".into(), Value::from("IN"))]);
        let line = br#"{"a":1}"#;
        let mut idx = Vec::new();
        index_object(line, &mut idx).unwrap();
        let mut ev = Event::from_json_line(line, &idx, Pos::default());
        ev.append_new_fields(row.as_ref());
        assert_eq!(ev.get_raw_json("country"), Some(&br#""IN""#[..]));
        assert_eq!(ev.get_raw_json("a"), Some(&b"1"[..]));
        assert_eq!(ev.get_raw_json("b"), None);
        assert!(ev.unchanged_raw().is_none());
        // A field of the event's own keeps its value, and its raw text.
        let line = br#"{"country":"FR"}"#;
        index_object(line, &mut idx).unwrap();
        let mut ev = Event::from_json_line(line, &idx, Pos::default());
        ev.append_new_fields(row.as_ref());
        assert_eq!(ev.get_raw_json("country"), Some(&br#""FR""#[..]));
        assert_eq!(ev.get("country").unwrap().as_ref(), &Value::from("FR"));
    }

    /// The quick test for decimals agrees with formatting the float.
    #[test]
    fn quick_decimal_check_agrees_with_serde() {
        let exact = |t: &str| {
            let f: f64 = t.parse().unwrap();
            serde_json::to_string(&f).unwrap() == t
        };
        let mut rng = crate::exec::testkit::Rng::new(0x9e37_79b9_7f4a_7c15);
        let mut next = |n: u64| rng.below(n);
        let mut quick_yes = 0;
        for _ in 0..200_000 {
            let int_len = next(18) as usize;
            let frac_len = 1 + next(18) as usize;
            let mut t = String::new();
            if next(2) == 0 {
                t.push('-');
            }
            if int_len == 0 {
                t.push('0');
            } else {
                t.push((b'1' + next(9) as u8) as char);
                for _ in 1..int_len {
                    t.push((b'0' + next(10) as u8) as char);
                }
            }
            t.push('.');
            let zeros = if next(3) == 0 { next(6) as usize } else { 0 };
            for i in 0..frac_len {
                let d = if i < zeros { 0 } else { next(10) as u8 };
                t.push((b'0' + d) as char);
            }
            let quick = decimal_is_canonical(t.trim_start_matches('-').as_bytes());
            if quick == Some(true) {
                quick_yes += 1;
                assert!(exact(&t), "{t} passed the quick check");
            }
            assert_eq!(number_is_canonical(t.as_bytes()), exact(&t), "{t}");
        }
        assert!(quick_yes > 10_000);
        for t in [
            "0.1",
            "0.9",
            "1.5",
            "99999999999999.9",
            "9999999999999.99",
            "0.999999999999999",
            "0.100000000000001",
        ] {
            assert_eq!(decimal_is_canonical(t.as_bytes()), Some(true), "{t}");
            assert!(exact(t), "{t}");
        }
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
