//! `AGG [by KEYS] [WINDOW] [EMIT]` and `stats a, b as x …` (DESIGN §3, §5).
//!
//! One row per group (and window): `window_start`, `window_end` (only when
//! windowed), the keys, then the aggregates, in that order. Rows of one
//! window come in the order their groups were first seen; windows in order
//! of `window_end`, then `window_start`. A windowed row's event time is
//! `window_end − 1`, so a later stage can window it again.
//!
//! Emission: `on close` (default) when a window closes, or at the end of
//! input without a window; `every D`, a snapshot of every open group each D
//! of wall-clock time, plus the final rows when a window closes or input
//! ends; `on update`, a row each time an event changes a group (nothing
//! more at close).
//!
//! Memory is bounded by the open windows and groups, never by the number of
//! events: a group is found by the bytes of its key (no allocation for a
//! group already seen) and only a new group decodes its key values.
//! An event whose windows have all closed is late: not counted, reported
//! through `Emit::late`.
//!
//! Hopping windows that emit on close (no `fill`) are kept by slices
//! (`exec::slices`): an event updates one slice, not every window it is in.
//! With `emit every`, `emit on update` or `fill`, which need every open
//! window's value as events come, each window keeps its own groups, as
//! tumbling windows do; that per-window code is also the reference the
//! slices are tested against.

use std::collections::BTreeMap;

use hashbrown::HashTable;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_json::Map;

use super::agg::{Accumulator, AggSpec};
use super::fill::{self, Fill};
use super::key::{KeyExtractor, KeyIn, KeyOut};
use super::slices::Sliced;
use super::state::{self, RawJson, Version};
use super::window::{self, fmt_ms, Windows};
use super::{Emit, ExecResult, Flow, Operator, RawValue, StateError, StateSize};
use crate::event::Event;
use crate::input::json_index::Member;
use crate::lang::ast::{self, Aggregation, WindowKind};
use crate::lang::LangError;
use crate::timefmt::format_rfc3339_ms;
use crate::timefmt::Millis;
use crate::value::Value;

/// `next_tick` before the first tick: asks for one at once, to start the clock.
const UNSCHEDULED: Millis = Millis::MIN;

pub struct Aggregate {
    keys: KeyExtractor,
    specs: Vec<AggSpec>,
    windows: Option<Windows>,
    emit: ast::Emit,
    /// The watermark seen last (windows ending at or before it + 1 are closed).
    wm: Millis,
    /// The latest event time seen: the time of unwindowed rows.
    max_time: Option<Millis>,
    /// Without a window: every group.
    global: Table,
    /// Tumbling and hopping windows still open, by (end, start).
    open: BTreeMap<(Millis, Millis), Table>,
    sessions: Sessions,
    /// `every D fill`: rows for windows without events.
    fill: Option<Fill>,
    /// Hopping windows emitted on close: kept by slices (then `open` stays empty).
    sliced: Option<Sliced>,
    /// Sliced rows are written as JSON text: each column's `"name":`.
    raw_names: Option<Vec<Vec<u8>>>,
    /// `emit every`: the next wall-clock time to emit a snapshot.
    next_tick: Option<Millis>,
    /// Reused buffers: the current event's key, its windows.
    key_buf: Vec<u8>,
    scratch: Vec<(Millis, Millis)>,
}

/// The groups of one window (or of the whole input), in first-seen order.
///
/// Kept compact, because `count by k` over many keys is nothing but groups
/// (issue 19): a group's key bytes and the JSON text of its key values sit
/// in one arena, its accumulators in one flat vector (`stride` a group), and
/// the index holds 4-byte group numbers. Key values are decoded only when a
/// row is written.
struct Table {
    stride: usize,
    index: HashTable<u32>,
    groups: Vec<Span>,
    arena: Vec<u8>,
    accs: Vec<Accumulator>,
}

/// Where a group's key is in the arena; its values' JSON follows it.
#[derive(Debug, Clone, Copy)]
struct Span {
    at: usize,
    key_len: u32,
    values_len: u32,
}

fn hash_key(key: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(key)
}

fn key_in<'a>(arena: &'a [u8], groups: &[Span], g: u32) -> &'a [u8] {
    let s = groups[g as usize];
    &arena[s.at..s.at + s.key_len as usize]
}

impl Table {
    /// An empty table for groups of `stride` accumulators.
    fn new(stride: usize) -> Table {
        Table {
            stride,
            index: HashTable::new(),
            groups: Vec::new(),
            arena: Vec::new(),
            accs: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.groups.len()
    }

    fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    fn key(&self, i: usize) -> &[u8] {
        key_in(&self.arena, &self.groups, i as u32)
    }

    /// The group's key values, as first seen.
    fn values(&self, i: usize) -> Vec<Value> {
        let s = self.groups[i];
        let from = s.at + s.key_len as usize;
        serde_json::from_slice(&self.arena[from..from + s.values_len as usize]).unwrap_or_default()
    }

    /// The group's key values as the JSON text they are kept in.
    fn values_json(&self, i: usize) -> &[u8] {
        let s = self.groups[i];
        let from = s.at + s.key_len as usize;
        &self.arena[from..from + s.values_len as usize]
    }

    /// Heap bytes (an estimate, for `--stats`).
    fn heap_bytes(&self) -> u64 {
        let own = self.arena.capacity()
            + self.groups.capacity() * std::mem::size_of::<Span>()
            + self.accs.capacity() * std::mem::size_of::<Accumulator>()
            + self.index.capacity() * 5;
        own as u64 + self.accs.iter().map(Accumulator::heap_bytes).sum::<u64>()
    }

    /// The number of the group of `key`, if there is one.
    fn find(&self, key: &[u8]) -> Option<usize> {
        let (arena, groups) = (&self.arena, &self.groups);
        self.index
            .find(hash_key(key), |&g| key_in(arena, groups, g) == key)
            .map(|&g| g as usize)
    }

    fn accs(&self, i: usize) -> &[Accumulator] {
        &self.accs[i * self.stride..(i + 1) * self.stride]
    }

    fn accs_mut(&mut self, i: usize) -> &mut [Accumulator] {
        &mut self.accs[i * self.stride..(i + 1) * self.stride]
    }

    /// The number of the group of `key`, made with `values()` and
    /// `new_accs()` if new.
    fn group(
        &mut self,
        key: &[u8],
        values: impl FnOnce() -> Vec<Value>,
        new_accs: impl FnOnce() -> Vec<Accumulator>,
    ) -> usize {
        if let Some(g) = self.find(key) {
            return g;
        }
        self.push(key, &values(), new_accs())
    }

    /// Append a group (its key not in the table yet).
    fn push(&mut self, key: &[u8], values: &[Value], accs: Vec<Accumulator>) -> usize {
        // Writing JSON into a Vec cannot fail.
        let json = serde_json::to_vec(values).unwrap_or_default();
        self.push_json(key, &json, accs)
    }

    /// Append a group whose key values are given as JSON text.
    fn push_json(&mut self, key: &[u8], values: &[u8], accs: Vec<Accumulator>) -> usize {
        let i = self.groups.len();
        let at = self.arena.len();
        self.arena.extend_from_slice(key);
        self.arena.extend_from_slice(values);
        self.groups.push(Span {
            at,
            key_len: key.len() as u32,
            values_len: (self.arena.len() - at - key.len()) as u32,
        });
        self.accs.extend(accs);
        let (arena, groups) = (&self.arena, &self.groups);
        self.index.insert_unique(hash_key(key), i as u32, |&g| {
            hash_key(key_in(arena, groups, g))
        });
        i
    }
}

/// Session windows: per key, its open sessions (sorted by start, never
/// touching each other), and a queue of session ends for closing them.
#[derive(Default)]
struct Sessions {
    keys: FxHashMap<Box<[u8]>, KeySessions>,
    /// (end, start, key's sequence number) → key.
    timers: BTreeMap<(Millis, Millis, u64), Box<[u8]>>,
    next_seq: u64,
}

struct KeySessions {
    /// The key values as JSON text, decoded only when a row is written (a
    /// `Vec<Value>` took ≈ 120 bytes a key; issue 19).
    values: Box<[u8]>,
    /// Orders sessions of different keys that start and end together.
    seq: u64,
    list: Vec<Session>,
}

impl KeySessions {
    fn values(&self) -> Vec<Value> {
        serde_json::from_slice(&self.values).unwrap_or_default()
    }
}

/// The items of a JSON array as serde_json writes it (no white space), each
/// as its text: what serde_json writes for each value on its own.
fn json_array_items(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = text
        .strip_prefix(b"[")
        .and_then(|t| t.strip_suffix(b"]"))
        .unwrap_or_default();
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (mut depth, mut in_str, mut esc) = (0usize, false, false);
        let mut end = rest.len();
        for (i, &c) in rest.iter().enumerate() {
            if in_str {
                if esc {
                    esc = false;
                } else if c == b'\\' {
                    esc = true;
                } else if c == b'"' {
                    in_str = false;
                }
                continue;
            }
            match c {
                b'"' => in_str = true,
                b'[' | b'{' => depth += 1,
                b']' | b'}' => depth = depth.saturating_sub(1),
                b',' if depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let item = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or_default();
        Some(item)
    })
}

fn json_values(v: &[Value]) -> Box<[u8]> {
    serde_json::to_vec(v).unwrap_or_default().into_boxed_slice()
}

struct Session {
    start: Millis,
    end: Millis,
    accs: Vec<Accumulator>,
}

impl Aggregate {
    pub fn new(a: &Aggregation) -> Result<Aggregate, LangError> {
        let specs = a
            .aggs
            .iter()
            .map(AggSpec::compile)
            .collect::<Result<Vec<_>, LangError>>()?;
        let windows = match &a.window {
            None => None,
            Some(w) => Some(Windows::new(w.kind).map_err(|m| LangError::new(m, w.span))?),
        };
        if let ast::Emit::Every(d) = a.emit {
            if d <= 0 {
                let span = match (&a.window, a.aggs.first()) {
                    (Some(w), _) => w.span,
                    (None, Some(c)) => c.span,
                    (None, None) => crate::lang::span::Span::default(),
                };
                return Err(LangError::new(
                    "`emit every` needs a duration longer than 0ms; write e.g. `emit every 10s`",
                    span,
                ));
            }
        }
        let fill = match (&a.window, a.fill) {
            (Some(w), true) => Fill::new(w.kind, !a.by.is_empty()),
            _ => None,
        };
        let sliced = match (&windows, a.emit, &fill) {
            (
                Some(Windows {
                    kind: WindowKind::Hopping { size, slide },
                }),
                ast::Emit::OnClose,
                None,
            ) => {
                let sl = Sliced::new(*size, *slide, a.aggs.len());
                // The two stacks keep a copy of the state a slice: not for
                // the aggregates whose state grows with their values.
                let small = specs.iter().all(|s| {
                    !matches!(s.func, ast::AggFunc::Distinct | ast::AggFunc::Percentile(_))
                });
                let sl = sl.with_running(&specs);
                Some(if small { sl.with_stacks() } else { sl })
            }
            _ => None,
        };
        let keys = KeyExtractor::new(&a.by)?;
        Ok(Aggregate {
            raw_names: Self::raw_row_names(&keys, &specs),
            sliced,
            fill,
            keys,
            specs,
            windows,
            emit: a.emit,
            wm: Millis::MIN,
            max_time: None,
            global: Table::new(a.aggs.len()),
            open: BTreeMap::new(),
            sessions: Sessions::default(),
            next_tick: match a.emit {
                ast::Emit::Every(_) => Some(UNSCHEDULED),
                _ => None,
            },
            key_buf: Vec::new(),
            scratch: Vec::new(),
        })
    }

    /// The same stage with one table a window, never slices: the reference
    /// the slices are tested against.
    #[cfg(test)]
    pub(crate) fn per_window(a: &Aggregation) -> Result<Aggregate, LangError> {
        let mut op = Aggregate::new(a)?;
        op.sliced = None;
        Ok(op)
    }

    /// One line for `--explain`: aggregates, keys, window, emission.
    pub fn describe(&self) -> String {
        let names: Vec<&str> = self.specs.iter().map(|s| s.name.as_str()).collect();
        let by = if self.keys.is_empty() {
            " over all events".to_string()
        } else {
            format!(" by {}", self.keys.names().join(", "))
        };
        let window = match (&self.windows, &self.sliced) {
            (None, _) => "no window".to_string(),
            (Some(w), None) => w.describe(),
            (Some(w), Some(sl)) => format!(
                "{}, each event updating one slice of {}",
                w.describe(),
                fmt_ms(sl.width())
            ),
        };
        let emit = match (self.emit, &self.windows) {
            (ast::Emit::OnClose, None) => "emit at end of input".to_string(),
            (ast::Emit::OnClose, Some(_)) => "emit when a window closes".to_string(),
            (ast::Emit::Every(d), _) => format!(
                "emit every {} of wall-clock time, and final rows {}",
                fmt_ms(d),
                if self.windows.is_some() {
                    "when a window closes"
                } else {
                    "at end of input"
                }
            ),
            (ast::Emit::OnUpdate, _) => "emit a row on every update".to_string(),
        };
        let fill = if self.fill.is_some() {
            "; rows for windows without events (fill)"
        } else {
            ""
        };
        format!("aggregate {}{by}; {window}{fill}; {emit}", names.join(", "))
    }

    fn new_accs(specs: &[AggSpec]) -> Vec<Accumulator> {
        specs.iter().map(AggSpec::new_acc).collect()
    }

    fn update(specs: &[AggSpec], accs: &mut [Accumulator], ev: &Event<'_>) {
        for (spec, acc) in specs.iter().zip(accs.iter_mut()) {
            spec.update(acc, ev);
        }
    }

    fn row(
        &self,
        window: Option<(Millis, Millis)>,
        values: &[Value],
        accs: &[Accumulator],
        time: Option<Millis>,
    ) -> Event<'static> {
        let mut m = Map::with_capacity(2 + values.len() + accs.len());
        let time = match window {
            Some((start, end)) => {
                m.insert("window_start".into(), format_rfc3339_ms(start).into());
                m.insert("window_end".into(), format_rfc3339_ms(end).into());
                Some(window::row_time(end))
            }
            None => time,
        };
        for (name, v) in self.keys.names().iter().zip(values) {
            m.insert(name.clone(), v.clone());
        }
        for (spec, acc) in self.specs.iter().zip(accs) {
            m.insert(spec.name.clone(), acc.result());
        }
        Event::new_row(m, time)
    }

    /// A row of a group that had no events in window `(start, end)`
    /// (`fill`): `count` and `sum` 0, every other aggregate null.
    fn zero_row(&self, (start, end): (Millis, Millis), values: &[Value]) -> Event<'static> {
        let mut m = Map::with_capacity(2 + values.len() + self.specs.len());
        m.insert("window_start".into(), format_rfc3339_ms(start).into());
        m.insert("window_end".into(), format_rfc3339_ms(end).into());
        for (name, v) in self.keys.names().iter().zip(values) {
            m.insert(name.clone(), v.clone());
        }
        for spec in &self.specs {
            m.insert(spec.name.clone(), fill::zero_value(spec.func));
        }
        Event::new_row(m, Some(window::row_time(end)))
    }

    fn event_unwindowed(&mut self, ev: &Event<'_>, out: &mut dyn Emit) -> ExecResult {
        let specs = &self.specs;
        let keys = &self.keys;
        let g = self
            .global
            .group(&self.key_buf, || keys.values(ev), || Self::new_accs(specs));
        Self::update(specs, self.global.accs_mut(g), ev);
        if self.emit == ast::Emit::OnUpdate {
            let t = &self.global;
            return out.emit(self.row(None, &t.values(g), t.accs(g), ev.time()));
        }
        Ok(Flow::Continue)
    }

    fn event_fixed(
        &mut self,
        w: Windows,
        t: Millis,
        ev: &Event<'_>,
        out: &mut dyn Emit,
    ) -> ExecResult {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let wm = self.wm;
        w.each_window(t, |s, e| {
            if !window::is_closed(e, wm) {
                scratch.push((s, e));
            }
        });
        if scratch.is_empty() {
            out.late(ev);
        }
        let mut flow = Flow::Continue;
        for &(s, e) in &scratch {
            let specs = &self.specs;
            let keys = &self.keys;
            let table = self
                .open
                .entry((e, s))
                .or_insert_with(|| Table::new(specs.len()));
            let g = table.group(&self.key_buf, || keys.values(ev), || Self::new_accs(specs));
            Self::update(specs, table.accs_mut(g), ev);
            if self.emit == ast::Emit::OnUpdate && flow == Flow::Continue {
                let table = &self.open[&(e, s)];
                flow = out.emit(self.row(Some((s, e)), &table.values(g), table.accs(g), None))?;
            }
        }
        self.scratch = scratch;
        Ok(flow)
    }

    fn event_session(
        &mut self,
        gap: Millis,
        t: Millis,
        ev: &Event<'_>,
        out: &mut dyn Emit,
    ) -> ExecResult {
        let (ns, ne) = window::session_of(t, gap);
        let ss = &mut self.sessions;
        let known = ss.keys.contains_key(self.key_buf.as_slice());
        let meets = |s: &Session| window::sessions_meet((s.start, s.end), (ns, ne));
        let any_open = known && ss.keys[self.key_buf.as_slice()].list.iter().any(meets);
        if !any_open && window::is_closed(ne, self.wm) {
            out.late(ev);
            return Ok(Flow::Continue);
        }
        if !known {
            let seq = ss.next_seq;
            ss.next_seq += 1;
            ss.keys.insert(
                self.key_buf.as_slice().into(),
                KeySessions {
                    values: json_values(&self.keys.values(ev)),
                    seq,
                    list: Vec::new(),
                },
            );
        }
        let Some(ks) = ss.keys.get_mut(self.key_buf.as_slice()) else {
            return Ok(Flow::Continue);
        };
        // Take out every session the new window meets, merge them in order of start.
        let mut merged = Session {
            start: ns,
            end: ne,
            accs: Vec::new(),
        };
        let mut i = 0;
        while i < ks.list.len() {
            if window::sessions_meet((ks.list[i].start, ks.list[i].end), (ns, ne)) {
                let s = ks.list.remove(i);
                ss.timers.remove(&(s.end, s.start, ks.seq));
                merged.start = merged.start.min(s.start);
                merged.end = merged.end.max(s.end);
                if merged.accs.is_empty() {
                    merged.accs = s.accs;
                } else {
                    for (a, b) in merged.accs.iter_mut().zip(&s.accs) {
                        a.merge(b);
                    }
                }
            } else {
                i += 1;
            }
        }
        if merged.accs.is_empty() {
            merged.accs = Self::new_accs(&self.specs);
        }
        Self::update(&self.specs, &mut merged.accs, ev);
        ss.timers.insert(
            (merged.end, merged.start, ks.seq),
            self.key_buf.as_slice().into(),
        );
        let pos = ks.list.partition_point(|s| s.start < merged.start);
        ks.list.insert(pos, merged);
        if self.emit == ast::Emit::OnUpdate {
            let ks = &self.sessions.keys[self.key_buf.as_slice()];
            let s = &ks.list[pos];
            return out.emit(self.row(Some((s.start, s.end)), &ks.values(), &s.accs, None));
        }
        Ok(Flow::Continue)
    }

    /// Emit and forget every window (and session) that `done` says is over,
    /// in order of end, then start; with `fill`, the windows without events
    /// between them too (and after them while time moves on, unless `at_end`).
    fn close(
        &mut self,
        done: impl Fn(Millis) -> bool,
        at_end: bool,
        out: &mut dyn Emit,
    ) -> ExecResult {
        let mut flow = Flow::Continue;
        let final_rows = self.emit != ast::Emit::OnUpdate;
        loop {
            let first = self.open.first_key_value().map(|(&(e, s), _)| (s, e));
            let next = match &self.fill {
                Some(f) => f.next(first, &done, at_end),
                None => match first {
                    Some((_, e)) if done(e) => fill::Next::Open,
                    _ => fill::Next::None,
                },
            };
            match next {
                fill::Next::None => break,
                fill::Next::Open => {
                    let Some(((e, s), table)) = self.open.pop_first() else {
                        break;
                    };
                    if final_rows {
                        for g in 0..table.len() {
                            if flow == Flow::Continue {
                                let row =
                                    self.row(Some((s, e)), &table.values(g), table.accs(g), None);
                                flow = out.emit(row)?;
                            }
                        }
                    }
                    if self.fill.is_some() {
                        flow = self.emit_zero_rows((s, e), Some(&table), flow, out)?;
                        let keys = (0..table.len()).map(|g| (table.key(g).into(), table.values(g)));
                        if let Some(f) = &mut self.fill {
                            f.closed(s, keys.collect());
                        }
                    }
                }
                fill::Next::Empty(s, e) => {
                    flow = self.emit_zero_rows((s, e), None, flow, out)?;
                    if let Some(f) = &mut self.fill {
                        f.closed(s, Vec::new());
                    }
                }
            }
            if flow == Flow::Stop && self.fill.is_some() && !at_end {
                // Nothing more is wanted: do not go on making rows up to the watermark.
                break;
            }
        }
        while let Some((&(e, s, _), _)) = self.sessions.timers.first_key_value() {
            if !done(e) {
                break;
            }
            let Some((_, key)) = self.sessions.timers.pop_first() else {
                break;
            };
            let Some(ks) = self.sessions.keys.get_mut(&key) else {
                continue;
            };
            let Some(i) = ks.list.iter().position(|x| x.start == s && x.end == e) else {
                continue;
            };
            let sess = ks.list.remove(i);
            let ks = if ks.list.is_empty() {
                match self.sessions.keys.remove(&key) {
                    Some(ks) => ks,
                    None => continue,
                }
            } else {
                KeySessions {
                    values: ks.values.clone(),
                    seq: ks.seq,
                    list: Vec::new(),
                }
            };
            if final_rows && flow == Flow::Continue {
                flow = out.emit(self.row(Some((s, e)), &ks.values(), &sess.accs, None))?;
            }
        }
        Ok(flow)
    }

    /// `emit every`: a row for every open group, windows in order of end.
    fn emit_snapshot(&self, out: &mut dyn Emit) -> ExecResult {
        let mut flow = Flow::Continue;
        let mut emit = |ev: Event<'static>| -> ExecResult {
            if flow == Flow::Continue {
                flow = out.emit(ev)?;
            }
            Ok(flow)
        };
        match &self.windows {
            None => {
                let t = &self.global;
                for g in 0..t.len() {
                    emit(self.row(None, &t.values(g), t.accs(g), self.max_time))?;
                }
            }
            Some(w) if w.is_session() => {
                for (&(e, s, _), key) in &self.sessions.timers {
                    let Some(ks) = self.sessions.keys.get(key) else {
                        continue;
                    };
                    if let Some(sess) = ks.list.iter().find(|x| x.start == s && x.end == e) {
                        emit(self.row(Some((s, e)), &ks.values(), &sess.accs, None))?;
                    }
                }
            }
            Some(_) => {
                for (&(e, s), table) in &self.open {
                    for g in 0..table.len() {
                        emit(self.row(Some((s, e)), &table.values(g), table.accs(g), None))?;
                    }
                }
            }
        }
        Ok(flow)
    }
}

impl Aggregate {
    /// Hopping windows by slices: emit those closed at `wm` (all at the end).
    fn close_slices(&mut self, wm: Option<Millis>, out: &mut dyn Emit) -> ExecResult {
        let Some(mut sl) = self.sliced.take() else {
            return Ok(Flow::Continue);
        };
        let this = &*self;
        if let Some(names) = &self.raw_names {
            let result = self.close_slices_raw(&mut sl, wm, names, out);
            self.sliced = Some(sl);
            return result;
        }
        // A window has many rows: its bounds are formatted once.
        let mut bounds: Option<((Millis, Millis), Value, Value)> = None;
        let result = sl.close(wm, &mut |w, values, accs| {
            if bounds.as_ref().is_none_or(|b| b.0 != w) {
                bounds = Some((
                    w,
                    format_rfc3339_ms(w.0).into(),
                    format_rfc3339_ms(w.1).into(),
                ));
            }
            let Some((_, start, end)) = &bounds else {
                return Ok(Flow::Continue);
            };
            let values: Vec<Value> = serde_json::from_slice(values).unwrap_or_default();
            let mut m = Map::with_capacity(2 + values.len() + accs.len());
            m.insert("window_start".into(), start.clone());
            m.insert("window_end".into(), end.clone());
            for (name, v) in this.keys.names().iter().zip(values) {
                m.insert(name.clone(), v);
            }
            for (spec, acc) in this.specs.iter().zip(accs) {
                m.insert(spec.name.clone(), acc.result());
            }
            out.emit(Event::new_row(m, Some(window::row_time(w.1))))
        });
        self.sliced = Some(sl);
        result
    }

    /// Each column's `"name":` as JSON (with the comma before it), when the
    /// row's columns have distinct names (a map keeps the first place of a
    /// repeated name and the last value: those rows are built as maps).
    fn raw_row_names(keys: &KeyExtractor, specs: &[AggSpec]) -> Option<Vec<Vec<u8>>> {
        let names: Vec<&str> = ["window_start", "window_end"]
            .into_iter()
            .chain(keys.names().iter().map(String::as_str))
            .chain(specs.iter().map(|s| s.name.as_str()))
            .collect();
        let mut seen = std::collections::HashSet::new();
        if !names.iter().all(|n| seen.insert(*n)) {
            return None;
        }
        Some(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let mut b = if i == 0 { b"{".to_vec() } else { b",".to_vec() };
                    let _ = serde_json::to_writer(&mut b, n);
                    b.push(b':');
                    b
                })
                .collect(),
        )
    }

    /// Hopping windows' rows written as JSON text rather than maps (a
    /// window of `slide 1s` has as many rows as groups, every second): the
    /// bytes serde_json writes for the map, so every output format gives
    /// what the map would. Per window, its bounds are written once; per
    /// row, the key values are copied from the text they are kept in (the
    /// array serde_json wrote, split at its top-level commas) and counts
    /// and integer sums written as digits, with no `Value` in between.
    /// When the rows go straight to a JSON output (`Emit::json_out`), they
    /// are written into it; otherwise each is an event, its members indexed
    /// as they are written.
    fn close_slices_raw(
        &self,
        sl: &mut Sliced,
        wm: Option<Millis>,
        names: &[Vec<u8>],
        out: &mut dyn Emit,
    ) -> ExecResult {
        // The window of the last row, and the row's text and members up to
        // the keys: `{"window_start":"…","window_end":"…"`.
        let mut window: Option<(Millis, Millis)> = None;
        // Called at every watermark, mostly to close nothing: allocate when a row comes.
        let mut head = Vec::new();
        let mut lead = Vec::new();
        let mut buf = Vec::new();
        let mut members = Vec::new();
        let nkeys = self.keys.names().len();
        let member = |name: &[u8], at: usize, val_start: usize, val_end: usize| Member {
            key_start: at as u32 + 2,
            key_end: (at + name.len()) as u32 - 2,
            val_start: val_start as u32,
            val_end: val_end as u32,
            key_escaped: name.contains(&b'\\'),
            // Not looked at: "not known" is always right.
            plain_value: false,
            // The names were checked distinct (`raw_row_names`).
            unique_key: true,
        };
        sl.close(wm, &mut |w, values, accs| {
            if window != Some(w) {
                window = Some(w);
                head.clear();
                members.clear();
                for (name, t) in names[..2].iter().zip([w.0, w.1]) {
                    let at = head.len();
                    head.extend_from_slice(name);
                    let val_start = head.len();
                    head.push(b'"');
                    head.extend_from_slice(format_rfc3339_ms(t).as_bytes());
                    head.push(b'"');
                    members.push(member(name, at, val_start, head.len()));
                }
                lead.clear();
                lead.extend_from_slice(&head);
                lead.extend_from_slice(names.get(2).map_or(&[][..], |n| n));
            }
            let keys = names[2..2 + nkeys].iter().zip(json_array_items(values));
            let aggs = names[2 + nkeys..].iter().zip(accs);
            if let Some(line) = out.json_out() {
                // The head and the third column's name are one copy.
                line.extend_from_slice(&lead);
                let mut named = true;
                if nkeys == 1 {
                    // One key value: the array's only item, no commas to look for.
                    let item = values
                        .strip_prefix(b"[")
                        .and_then(|t| t.strip_suffix(b"]"))
                        .unwrap_or_default();
                    line.extend_from_slice(item);
                    named = false;
                }
                for (name, item) in keys.take(if nkeys == 1 { 0 } else { nkeys }) {
                    if !std::mem::take(&mut named) {
                        line.extend_from_slice(name);
                    }
                    line.extend_from_slice(item);
                }
                for (name, acc) in aggs {
                    if !std::mem::take(&mut named) {
                        line.extend_from_slice(name);
                    }
                    acc.write_result_json(line);
                }
                line.extend_from_slice(b"}\n");
                return out.json_row_written();
            }
            buf.clear();
            buf.extend_from_slice(&head);
            members.truncate(2);
            for (name, item) in keys {
                let at = buf.len();
                buf.extend_from_slice(name);
                let val_start = buf.len();
                buf.extend_from_slice(item);
                members.push(member(name, at, val_start, buf.len()));
            }
            for (name, acc) in aggs {
                let at = buf.len();
                buf.extend_from_slice(name);
                let val_start = buf.len();
                acc.write_result_json(&mut buf);
                members.push(member(name, at, val_start, buf.len()));
            }
            buf.push(b'}');
            let time = Some(window::row_time(w.1));
            #[cfg(debug_assertions)]
            {
                let mut check = Vec::new();
                crate::input::json_index::index_object(&buf, &mut check).expect("a JSON object");
                let at = |m: &[Member]| -> Vec<(u32, u32, u32, u32, bool, bool)> {
                    m.iter()
                        .map(|m| {
                            let (ks, ke, vs, ve) = (m.key_start, m.key_end, m.val_start, m.val_end);
                            (ks, ke, vs, ve, m.key_escaped, m.unique_key)
                        })
                        .collect()
                };
                let row = String::from_utf8_lossy(&buf);
                assert_eq!(at(&check), at(&members), "members of {row}");
            }
            out.emit(Event::row_from_json(&buf, &members, time))
        })
    }

    /// `fill`: the zero rows of window `w`, whose groups are `table` (None:
    /// no events in it).
    fn emit_zero_rows(
        &self,
        w: (Millis, Millis),
        table: Option<&Table>,
        mut flow: Flow,
        out: &mut dyn Emit,
    ) -> ExecResult {
        let Some(f) = &self.fill else {
            return Ok(flow);
        };
        let present = |k: &[u8]| table.is_some_and(|t| t.find(k).is_some());
        let empty = table.is_none_or(|t| t.is_empty());
        for values in f.zero_keys(&present, empty) {
            if flow == Flow::Continue {
                flow = out.emit(self.zero_row(w, values))?;
            }
        }
        Ok(flow)
    }
}

impl Operator for Aggregate {
    fn on_event(&mut self, ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        if let Some(t) = ev.time() {
            self.max_time = Some(self.max_time.map_or(t, |m| m.max(t)));
        }
        self.keys.encode(&ev, &mut self.key_buf);
        let Some(w) = self.windows else {
            return self.event_unwindowed(&ev, out);
        };
        let Some(t) = ev.time() else {
            // Only rows of an unwindowed stage have no time: they belong to no window.
            out.late(&ev);
            return Ok(Flow::Continue);
        };
        if let Some(sl) = &mut self.sliced {
            if !sl.add(t, self.wm, &self.key_buf, &self.specs, &self.keys, &ev) {
                out.late(&ev);
            }
            return Ok(Flow::Continue);
        }
        match w.kind {
            WindowKind::Session { gap } => self.event_session(gap, t, &ev, out),
            _ => self.event_fixed(w, t, &ev, out),
        }
    }

    fn on_watermark(&mut self, wm: Millis, out: &mut dyn Emit) -> ExecResult {
        if wm <= self.wm {
            return Ok(Flow::Continue);
        }
        self.wm = wm;
        if self.close(|end| window::is_closed(end, wm), false, out)? == Flow::Stop {
            return Ok(Flow::Stop);
        }
        self.close_slices(Some(wm), out)
    }

    fn on_tick(&mut self, now: Millis, out: &mut dyn Emit) -> ExecResult {
        let (ast::Emit::Every(d), Some(next)) = (self.emit, self.next_tick) else {
            return Ok(Flow::Continue);
        };
        if next == UNSCHEDULED {
            self.next_tick = Some(now.saturating_add(d));
            return Ok(Flow::Continue);
        }
        if now < next {
            return Ok(Flow::Continue);
        }
        self.next_tick = Some(now.saturating_add(d));
        self.emit_snapshot(out)
    }

    fn next_tick(&self) -> Option<Millis> {
        self.next_tick
    }

    fn on_end(&mut self, out: &mut dyn Emit) -> ExecResult {
        if self.windows.is_some() {
            if self.close(|_| true, true, out)? == Flow::Stop {
                return Ok(Flow::Stop);
            }
            return self.close_slices(None, out);
        }
        let mut flow = Flow::Continue;
        if self.keys.is_empty() && self.global.is_empty() && self.emit == ast::Emit::OnClose {
            // As in SQL, an aggregate without keys has one row even over no
            // events: `count` of an empty input is 0.
            let accs = Self::new_accs(&self.specs);
            return out.emit(self.row(None, &[], &accs, self.max_time));
        }
        if self.emit != ast::Emit::OnUpdate {
            let t = &self.global;
            for g in 0..t.len() {
                if flow == Flow::Continue {
                    flow = out.emit(self.row(None, &t.values(g), t.accs(g), self.max_time))?;
                }
            }
        }
        self.global = Table::new(self.specs.len());
        Ok(flow)
    }

    fn state_size(&self) -> Option<StateSize> {
        let mut s = StateSize::default();
        for t in std::iter::once(&self.global).chain(self.open.values()) {
            s.groups += t.len() as u64;
            s.bytes += t.heap_bytes();
        }
        s.windows = self.open.len() as u64;
        if let Some(sl) = &self.sliced {
            s += sl.state_size();
        }
        let acc = std::mem::size_of::<Accumulator>() as u64;
        for (k, ks) in &self.sessions.keys {
            s.groups += 1;
            s.windows += ks.list.len() as u64;
            // The key twice (map and timer), its values, each session.
            s.bytes += 2 * (k.len() as u64 + 16) + 72 + ks.values.len() as u64;
            for sess in &ks.list {
                s.bytes += 64 + sess.accs.iter().map(|a| acc + a.heap_bytes()).sum::<u64>();
            }
        }
        Some(s)
    }

    fn save(&self, out: &mut dyn std::io::Write) -> serde_json::Result<()> {
        let mut keys: Vec<(&Box<[u8]>, &KeySessions)> = self.sessions.keys.iter().collect();
        keys.sort_by_key(|(_, ks)| ks.seq);
        serde_json::to_writer(
            out,
            &AggregateOut {
                version: Version,
                wm: self.wm,
                max_time: self.max_time,
                next_tick: self.next_tick,
                groups: self.global.state(),
                windows: state::iter(self.open.iter().map(|(&(end, start), t)| WindowOut {
                    start,
                    end,
                    groups: t.state(),
                })),
                sessions: state::iter(keys.into_iter().map(|(k, ks)| SessionKeyOut {
                    key: KeyOut(k),
                    values: RawJson(&ks.values),
                    seq: ks.seq,
                    list: state::iter(ks.list.iter().map(|s| SessionOut {
                        start: s.start,
                        end: s.end,
                        accs: &s.accs,
                    })),
                })),
                next_seq: self.sessions.next_seq,
                fill: self.fill.as_ref().map(Fill::state),
                slices: self.sliced.as_ref().map(Sliced::state),
            },
        )
    }

    fn restore(&mut self, state: &RawValue) -> Result<(), StateError> {
        let st: AggregateIn = state::parse(state)?;
        let global = self.table_in(st.groups)?;
        let mut open = BTreeMap::new();
        for w in st.windows {
            open.insert((w.end, w.start), self.table_in(w.groups)?);
        }
        let mut sessions = Sessions {
            next_seq: st.next_seq,
            ..Sessions::default()
        };
        state::each(st.sessions, |k: SessionKeyIn| {
            let key: Box<[u8]> = k.key.0.into();
            let mut ks = KeySessions {
                values: k.values.get().as_bytes().into(),
                seq: k.seq,
                list: Vec::with_capacity(k.list.len()),
            };
            for s in k.list {
                sessions.timers.insert((s.end, s.start, k.seq), key.clone());
                ks.list.push(Session {
                    start: s.start,
                    end: s.end,
                    accs: self.accs_in(&s.accs)?,
                });
            }
            if sessions.keys.insert(key, ks).is_some() {
                return Err(StateError::KeyTwice { stage: "aggregate" });
            }
            Ok(())
        })?;
        if let (Some(f), Some(v)) = (&mut self.fill, st.fill) {
            f.restore(v)?;
        }
        match (&mut self.sliced, st.slices) {
            (Some(sl), Some(v)) => sl.restore(v, &self.specs)?,
            (None, Some(_)) => {
                return Err(StateError::invalid(
                    "aggregate",
                    "state has slices, the stage has none",
                ))
            }
            // A checkpoint from before slices (format v1) with hopping
            // windows open: carry them on, one table a window, as it was
            // written (a later checkpoint keeps that form).
            (Some(_), None) if !open.is_empty() => self.sliced = None,
            _ => {}
        }
        self.wm = st.wm;
        self.max_time = st.max_time;
        self.next_tick = match self.emit {
            ast::Emit::Every(_) => Some(st.next_tick.unwrap_or(UNSCHEDULED)),
            _ => None,
        };
        self.global = global;
        self.open = open;
        self.sessions = sessions;
        Ok(())
    }
}

impl Aggregate {
    /// A table read back from a state's list of groups, a group at a time.
    fn table_in(&self, list: &RawValue) -> Result<Table, StateError> {
        let mut t = Table::new(self.specs.len());
        state::each(list, |g: GroupIn| {
            if t.find(&g.key.0).is_some() {
                return Err(StateError::KeyTwice { stage: "aggregate" });
            }
            let accs = self.accs_in(&g.accs)?;
            t.push_json(&g.key.0, g.values.get().as_bytes(), accs);
            Ok(())
        })?;
        Ok(t)
    }

    fn accs_in(&self, states: &[&RawValue]) -> Result<Vec<Accumulator>, StateError> {
        if states.len() != self.specs.len() {
            return Err(StateError::Aggregates {
                stage: "aggregate",
                found: states.len(),
                want: self.specs.len(),
            });
        }
        self.specs
            .iter()
            .zip(states)
            .map(|(spec, s)| {
                let mut a = spec.new_acc();
                a.restore_raw(s).map_err(|why| {
                    StateError::invalid("aggregate", format!("`{}`: {why}", spec.name))
                })?;
                Ok(a)
            })
            .collect()
    }
}

impl Table {
    /// The table as a state writes it: each group's key, key values and
    /// aggregate states, in first-seen order, read from the table as written.
    fn state(&self) -> impl Serialize + '_ {
        state::iter((0..self.len()).map(|g| GroupOut {
            key: KeyOut(self.key(g)),
            values: RawJson(self.values_json(g)),
            accs: self.accs(g),
        }))
    }
}

/// What a checkpoint keeps of an aggregation: the groups of the whole input
/// (no window), of each open window, and each key's open sessions.
#[derive(Serialize)]
struct AggregateOut<G, W, S, F, L> {
    version: Version<1>,
    wm: Millis,
    max_time: Option<Millis>,
    next_tick: Option<Millis>,
    groups: G,
    windows: W,
    sessions: S,
    next_seq: u64,
    fill: Option<F>,
    /// Hopping windows kept by slices (`exec::slices`).
    slices: Option<L>,
}

#[derive(Serialize)]
struct GroupOut<'a> {
    key: KeyOut<'a>,
    values: RawJson<'a>,
    accs: &'a [Accumulator],
}

#[derive(Serialize)]
struct WindowOut<G> {
    start: Millis,
    end: Millis,
    groups: G,
}

#[derive(Serialize)]
struct SessionKeyOut<'a, L> {
    key: KeyOut<'a>,
    values: RawJson<'a>,
    seq: u64,
    list: L,
}

#[derive(Serialize)]
struct SessionOut<'a> {
    start: Millis,
    end: Millis,
    accs: &'a [Accumulator],
}

#[derive(Deserialize)]
struct AggregateIn<'a> {
    #[serde(default)]
    #[allow(dead_code)]
    version: Version<1>,
    wm: Millis,
    max_time: Option<Millis>,
    next_tick: Option<Millis>,
    #[serde(borrow)]
    groups: &'a RawValue,
    #[serde(borrow)]
    windows: Vec<WindowIn<'a>>,
    #[serde(borrow)]
    sessions: &'a RawValue,
    next_seq: u64,
    #[serde(borrow, default)]
    fill: Option<&'a RawValue>,
    /// Absent in format v1 (hopping windows were tables then).
    #[serde(borrow, default)]
    slices: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct WindowIn<'a> {
    start: Millis,
    end: Millis,
    #[serde(borrow)]
    groups: &'a RawValue,
}

#[derive(Deserialize)]
struct GroupIn<'a> {
    key: KeyIn,
    #[serde(borrow)]
    values: &'a RawValue,
    #[serde(borrow)]
    accs: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct SessionKeyIn<'a> {
    key: KeyIn,
    #[serde(borrow)]
    values: &'a RawValue,
    seq: u64,
    #[serde(borrow)]
    list: Vec<SessionIn<'a>>,
}

#[derive(Deserialize)]
struct SessionIn<'a> {
    start: Millis,
    end: Millis,
    #[serde(borrow)]
    accs: Vec<&'a RawValue>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::testkit::{assert_snapshot_restore_equivalent, raw, run_script, Step};
    use crate::lang::ast::StageKind;

    fn make(src: &str) -> impl Fn() -> Box<dyn Operator> + '_ {
        move || {
            let p = crate::lang::parse(src).expect("parses");
            let StageKind::Aggregate(a) = &p.stages[0].kind else {
                panic!("not an aggregation: {src}")
            };
            Box::new(Aggregate::new(a).expect("plans"))
        }
    }

    /// Rows copy each key value's text out of the array serde_json wrote:
    /// the same bytes serde_json writes for the value on its own.
    #[test]
    fn key_values_split_as_serde_writes_each() {
        let values: Vec<Value> = serde_json::from_str(
            r#"["a,b", "q\"],[", "\\", 1, -1.5e3, 2.0, null, true, [1, [2, ","]],
               {"a": {"b": [1, "}"]}, "c": ""}, [], {}, "é\u0001"]"#,
        )
        .unwrap();
        for n in 0..=values.len() {
            let text = serde_json::to_vec(&values[..n]).unwrap();
            let got: Vec<&[u8]> = json_array_items(&text).collect();
            let want: Vec<Vec<u8>> = values[..n]
                .iter()
                .map(|v| serde_json::to_vec(v).unwrap())
                .collect();
            assert_eq!(got, want, "{}", String::from_utf8_lossy(&text));
        }
    }

    /// The compact table gives back each group's key and values as they
    /// were first seen, in first-seen order, whatever their JSON shape.
    #[test]
    fn table_keeps_keys_values_and_order() {
        let mut t = Table::new(2);
        let shapes = [
            serde_json::json!([1, "a"]),
            serde_json::json!([18446744073709551615u64, null]),
            serde_json::json!([{"b": [1.5, "x"], "a": true}, -0.0]),
            serde_json::json!(["é\"\\", 1e300]),
        ];
        for (i, v) in shapes.iter().enumerate() {
            let key = format!("k{i}");
            let vals = v.as_array().unwrap().clone();
            let g = t.group(
                key.as_bytes(),
                || vals,
                || vec![Accumulator::new(ast::AggFunc::Count); 2],
            );
            assert_eq!(g, i);
            t.accs_mut(g)[1].update_event();
        }
        // A known key finds its group and makes nothing.
        let g = t.group(b"k2", || panic!("values of a known key"), || panic!("accs"));
        assert_eq!(g, 2);
        assert_eq!(t.len(), 4);
        for (i, v) in shapes.iter().enumerate() {
            assert_eq!(t.key(i), format!("k{i}").as_bytes());
            assert_eq!(&Value::Array(t.values(i)), v);
            assert_eq!(t.accs(i)[1].result(), serde_json::json!(1));
            assert_eq!(t.find(format!("k{i}").as_bytes()), Some(i));
        }
        assert_eq!(t.find(b"nope"), None);
    }

    fn ev(text: &'static str, t: Millis) -> Step {
        Step::Event(text, Some(t))
    }

    #[test]
    fn unwindowed_rows_at_end_in_first_seen_order() {
        let steps = [
            ev(r#"{"p":"/b","ms":10}"#, 1),
            ev(r#"{"p":"/a","ms":20}"#, 2),
            ev(r#"{"p":"/b","ms":30}"#, 3),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(
            &make("stats count, avg(ms), max(ms) as top by p"),
            &steps,
        );
        assert_eq!(
            out,
            vec![
                r#"{"p":"/b","count":2,"avg_ms":20.0,"top":30} @3"#,
                r#"{"p":"/a","count":1,"avg_ms":20.0,"top":20} @3"#,
            ]
        );
    }

    #[test]
    fn tumbling_windows_close_on_the_watermark_and_late_events_are_reported() {
        let steps = [
            ev(r#"{"p":"a"}"#, 1_000),
            ev(r#"{"p":"b"}"#, 9_000),
            ev(r#"{"p":"a"}"#, 12_000),
            Step::Watermark(9_998),
            ev(r#"{"p":"a"}"#, 5_000), // window still open: counted
            Step::Watermark(9_999),
            ev(r#"{"p":"c"}"#, 3_000), // its window closed: late
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(&make("count by p every 10s"), &steps);
        assert_eq!(
            out,
            vec![
                r#"{"window_start":"1970-01-01T00:00:00.000Z","window_end":"1970-01-01T00:00:10.000Z","p":"a","count":2} @9999"#,
                r#"{"window_start":"1970-01-01T00:00:00.000Z","window_end":"1970-01-01T00:00:10.000Z","p":"b","count":1} @9999"#,
                r#"late:{"p":"c"}"#,
                r#"{"window_start":"1970-01-01T00:00:10.000Z","window_end":"1970-01-01T00:00:20.000Z","p":"a","count":1} @19999"#,
            ]
        );
    }

    #[test]
    fn fill_gives_zero_rows_to_quiet_windows_and_keys_and_survives_restore() {
        let steps = [
            ev(r#"{"p":"a","ms":5}"#, 1_000),
            ev(r#"{"p":"b","ms":7}"#, 2_000),
            // 10s..20s: only `a`; 20s..30s: nothing; 30s..40s: `b`.
            ev(r#"{"p":"a","ms":1}"#, 15_000),
            ev(r#"{"p":"b","ms":2}"#, 35_000),
            Step::Watermark(39_999),
            // Time moves on without events (an idle watermark): one empty window.
            Step::Watermark(49_999),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(
            &make("stats count, sum(ms), max(ms) by p every 10s fill"),
            &steps,
        );
        let w = |s: u32| {
            format!(
                r#""window_start":"1970-01-01T00:00:{s:02}.000Z","window_end":"1970-01-01T00:00:{:02}.000Z""#,
                s + 10
            )
        };
        let at = |s: u32| (s + 10) * 1000 - 1;
        assert_eq!(
            out,
            vec![
                format!(
                    r#"{{{},"p":"a","count":1,"sum_ms":5,"max_ms":5}} @{}"#,
                    w(0),
                    at(0)
                ),
                format!(
                    r#"{{{},"p":"b","count":1,"sum_ms":7,"max_ms":7}} @{}"#,
                    w(0),
                    at(0)
                ),
                format!(
                    r#"{{{},"p":"a","count":1,"sum_ms":1,"max_ms":1}} @{}"#,
                    w(10),
                    at(10)
                ),
                format!(
                    r#"{{{},"p":"b","count":0,"sum_ms":0,"max_ms":null}} @{}"#,
                    w(10),
                    at(10)
                ),
                format!(
                    r#"{{{},"p":"a","count":0,"sum_ms":0,"max_ms":null}} @{}"#,
                    w(20),
                    at(20)
                ),
                format!(
                    r#"{{{},"p":"b","count":1,"sum_ms":2,"max_ms":2}} @{}"#,
                    w(30),
                    at(30)
                ),
                format!(
                    r#"{{{},"p":"b","count":0,"sum_ms":0,"max_ms":null}} @{}"#,
                    w(40),
                    at(40)
                ),
            ]
        );
        // Unkeyed: every empty window has its row, but none past the data at the end.
        let steps = [ev("{}", 1_000), ev("{}", 31_000), Step::End];
        let out = assert_snapshot_restore_equivalent(&make("count every 10s fill"), &steps);
        let counts: Vec<&str> = out
            .iter()
            .map(|l| &l[l.find("\"count\"").unwrap()..])
            .collect();
        assert_eq!(
            counts,
            [
                "\"count\":1} @9999",
                "\"count\":0} @19999",
                "\"count\":0} @29999",
                "\"count\":1} @39999"
            ]
        );
    }

    #[test]
    fn hopping_windows_count_an_event_in_each() {
        let steps = [
            ev(r#"{}"#, 25),
            ev(r#"{}"#, 31),
            Step::Watermark(39),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(&make("count every 30ms slide 10ms"), &steps);
        let short: Vec<String> = out
            .iter()
            .map(|l| {
                let v: serde_json::Value =
                    serde_json::from_str(l.split(" @").next().unwrap()).unwrap();
                format!(
                    "{}-{}:{}",
                    &v["window_start"].as_str().unwrap()[20..23],
                    &v["window_end"].as_str().unwrap()[20..23],
                    v["count"]
                )
            })
            .collect();
        assert_eq!(
            short,
            vec!["000-030:1", "010-040:2", "020-050:2", "030-060:1"]
        );
    }

    #[test]
    fn sessions_split_on_silence_and_merge_on_bridging_events() {
        let steps = [
            ev(r#"{"u":"x","v":1}"#, 0),
            ev(r#"{"u":"y","v":5}"#, 1_000),
            ev(r#"{"u":"x","v":2}"#, 20_000), // a second session for x
            ev(r#"{"u":"x","v":3}"#, 10_000), // bridges x's two sessions
            Step::Watermark(28_000),
            ev(r#"{"u":"y","v":6}"#, 2_000), // y's session [1000,11000) closed: late
            Step::Tick(0),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(
            &make("stats count, sum(v), first(v), last(v) by u session 10s"),
            &steps,
        );
        assert_eq!(
            out,
            vec![
                r#"{"window_start":"1970-01-01T00:00:01.000Z","window_end":"1970-01-01T00:00:11.000Z","u":"y","count":1,"sum_v":5,"first_v":5,"last_v":5} @10999"#,
                r#"late:{"u":"y","v":6}"#,
                r#"{"window_start":"1970-01-01T00:00:00.000Z","window_end":"1970-01-01T00:00:30.000Z","u":"x","count":3,"sum_v":6,"first_v":1,"last_v":3} @29999"#,
            ]
        );
    }

    #[test]
    fn emit_every_snapshots_open_groups_on_the_wall_clock() {
        let steps = [
            Step::Tick(1_000), // starts the clock: next snapshot at 3000
            ev(r#"{"p":"a"}"#, 1),
            Step::Tick(2_000),
            ev(r#"{"p":"b"}"#, 2),
            Step::Tick(3_000),
            ev(r#"{"p":"a"}"#, 3),
            Step::Tick(4_000),
            Step::Tick(5_000),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(&make("count by p emit every 2s"), &steps);
        assert_eq!(
            out,
            vec![
                r#"{"p":"a","count":1} @2"#,
                r#"{"p":"b","count":1} @2"#,
                r#"{"p":"a","count":2} @3"#,
                r#"{"p":"b","count":1} @3"#,
                r#"{"p":"a","count":2} @3"#,
                r#"{"p":"b","count":1} @3"#,
            ]
        );
    }

    #[test]
    fn emit_every_on_windows_and_on_update() {
        let steps = [
            Step::Tick(0),
            ev(r#"{"p":"a"}"#, 1_000),
            Step::Tick(5_000),
            ev(r#"{"p":"a"}"#, 11_000),
            Step::Watermark(10_000),
            Step::End,
        ];
        let out =
            assert_snapshot_restore_equivalent(&make("count every 10s emit every 5s"), &steps);
        assert_eq!(out.len(), 3, "{out:?}");
        assert!(out[0].ends_with(r#""count":1} @9999"#));
        let out = assert_snapshot_restore_equivalent(&make("count by p emit on update"), &steps);
        assert_eq!(
            out,
            vec![
                r#"{"p":"a","count":1} @1000"#,
                r#"{"p":"a","count":2} @11000"#
            ]
        );
        let out = assert_snapshot_restore_equivalent(
            &make("count by p session 1s emit on update"),
            &steps,
        );
        assert_eq!(out.len(), 2, "{out:?}");
    }

    #[test]
    fn a_hopping_event_counts_in_its_open_windows_only() {
        let steps = [
            ev(r#"{}"#, 5),
            Step::Watermark(29),
            // In [0,30) (closed), [10,40) and [20,50): counted twice, not late.
            ev(r#"{}"#, 25),
            Step::Watermark(1_000),
            // All three of its windows closed: late.
            ev(r#"{}"#, 26),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(&make("count every 30ms slide 10ms"), &steps);
        let counts: Vec<&str> = out
            .iter()
            .map(|l| l.rsplit_once("\"count\":").map_or(l.as_str(), |(_, c)| c))
            .collect();
        assert_eq!(
            counts,
            vec!["1} @9", "1} @19", "1} @29", "1} @39", "1} @49", "late:{}"]
        );
    }

    #[test]
    fn emit_every_with_sessions() {
        let steps = [
            Step::Tick(0),
            ev(r#"{"u":"x"}"#, 1_000),
            ev(r#"{"u":"y"}"#, 1_500),
            Step::Tick(100),
            ev(r#"{"u":"x"}"#, 2_000),
            Step::Watermark(2_600),
            Step::Tick(200),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(
            &make("count by u session 1s emit every 100ms"),
            &steps,
        );
        let short: Vec<String> = out
            .iter()
            .map(|l| {
                let v: serde_json::Value =
                    serde_json::from_str(l.split(" @").next().unwrap()).unwrap();
                format!("{}{}", v["u"].as_str().unwrap(), v["count"])
            })
            .collect();
        // Tick 100: x's [1000,2000) and y's [1500,2500), by end. Watermark 2600
        // closes y (final row); x is now [1000,3000). Tick 200: x. End: x.
        assert_eq!(short, vec!["x1", "y1", "y1", "x2", "x2"]);
    }

    #[test]
    fn chained_windows_roll_up() {
        // Two stages in one chain: 10s counts summed per minute.
        let make2 = || -> Vec<Box<dyn Operator>> {
            vec![
                make("count by p every 10s")(),
                make("sum(count) by p every 1m")(),
            ]
        };
        let mut chain = crate::exec::Chain::new(make2());
        let mut out = crate::exec::testkit::Collect::default();
        let steps = [
            ev(r#"{"p":"a"}"#, 1_000),
            ev(r#"{"p":"a"}"#, 15_000),
            ev(r#"{"p":"a"}"#, 59_999),
            Step::Watermark(59_999),
            ev(r#"{"p":"a"}"#, 61_000),
            Step::End,
        ];
        crate::exec::testkit::drive(&mut chain, &steps, &mut out);
        assert_eq!(
            out.lines,
            vec![
                r#"{"window_start":"1970-01-01T00:00:00.000Z","window_end":"1970-01-01T00:01:00.000Z","p":"a","sum_count":3} @59999"#,
                r#"{"window_start":"1970-01-01T00:01:00.000Z","window_end":"1970-01-01T00:02:00.000Z","p":"a","sum_count":1} @119999"#,
            ]
        );
    }

    #[test]
    fn restore_refuses_a_state_of_another_stage() {
        let mut chain = crate::exec::Chain::new(vec![make("count by p")()]);
        let mut out = crate::exec::testkit::Collect::default();
        crate::exec::testkit::drive(&mut chain, &[ev(r#"{"p":"a"}"#, 1)], &mut out);
        let states: Vec<Value> = serde_json::from_str(&chain.snapshot_text()).unwrap();
        let state = states[0].to_string();
        let mut other = make("stats count, sum(x) by p")();
        let err = other.restore(raw(&state)).unwrap_err().to_string();
        assert!(
            err.contains("state has 1 aggregates per group, the stage has 2"),
            "{err}"
        );
        let mut same = make("count by p")();
        assert!(same.restore(raw(r#"{"wm": 0}"#)).is_err());
        assert!(same.restore(raw(&state)).is_ok());
        assert_eq!(
            run_script(&make("stats count, sum(x)"), &[Step::End]),
            vec![r#"{"count":0,"sum_x":null}"#],
            "no events: one row without keys, as in SQL"
        );
        assert_eq!(
            run_script(&make("count by p"), &[Step::End]),
            Vec::<String>::new()
        );
    }
}
