//! Hopping windows by slices (issue 19), as Flink's window slicing does
//! (`SliceAssigner`, `SliceSharedWindowAggProcessor`): time is cut into
//! slices of `gcd(size, slide)`, so every window is a whole number of them;
//! an event updates the one slice it falls in (per group), and a window's
//! rows are the merge of its slices when it closes. An event costs one
//! update instead of one per window it is in (`size / slide`: 60 at
//! `every 60s slide 1s`, 600 at `slide 100ms`).
//!
//! Rows are those of one accumulator per window fed in arrival order (the
//! per-window implementation in `aggregate.rs`, kept for `emit every`,
//! `emit on update` and `fill`, and as the reference in the tests):
//! - a window closes, or an event is late, by the same watermark rule;
//! - groups come in the order they were first seen in the window, with the
//!   key values of that first event (each slice keeps, per group, the
//!   arrival number of its first event and its key values);
//! - `first`, `last`, `min`, `max` keep the arrival number of their value
//!   and merge by it ([`Accumulator::merge_by_arrival`]); count, integer
//!   sums, distinct and percentiles merge exactly. Float sums, averages and
//!   `stddev` may differ from one pass in the last bits (float addition is
//!   not associative; Flink's sliced windows have the same property), and
//!   `min`/`max` over values that do not form an order (numbers mixed with
//!   words) may keep another value than one pass.
//!
//! A slice is dropped once every window that holds it has closed. Groups
//! are numbered through one dictionary of keys shared by the slices, so
//! merging a window's slices indexes a vector instead of hashing keys.
//! Window arithmetic is done in i128: no time overflows.
//!
//! Merging every slice of every window costs `size / slide` merges a group
//! and window (600 at `slide 100ms`). When every aggregate's state is small
//! (not `distinct` or a percentile, whose copies would cost memory), the
//! slices are merged as two stacks instead (the classic FIFO aggregation):
//! time is cut into blocks of the window size; for the block `[F, F + size)`
//! holding a window's start, the "front" keeps, for each slice of the block,
//! the merge of it and every later slice of the block, and the "back" the
//! merge of the slices from `F + size` on, slice by slice as windows close.
//! A window `[ws, ws + size)` is then the front's entry at `ws` merged with
//! the back: two merges a group. Both are rebuilt from the slices when the
//! block changes, or when an event falls behind the watermark into a slice
//! they hold (rare: only events later than `--lateness` and not yet late),
//! so they are a function of the slices alone: a restored run rebuilds
//! them and gives the same bits as one that never stopped.

use std::collections::{BTreeMap, VecDeque};

use hashbrown::HashTable;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::agg::{Accumulator, AggSpec};
use super::key::{KeyExtractor, KeyIn, KeyOut};
use super::state::{self, RawJson, RawValue, StateError};
use super::{window, ExecResult, Flow, StateSize};
use crate::event::Event;
use crate::timefmt::Millis;

/// Slot of a group not in the window being merged.
const NONE: u32 = u32::MAX;

pub struct Sliced {
    size: i128,
    slide: i128,
    /// gcd(size, slide): window bounds are all multiples of it.
    width: i128,
    stride: usize,
    dict: Dict,
    /// Slices holding events, by start.
    slices: BTreeMap<Millis, Slice>,
    /// Every window starting before this has closed (`None`: none yet).
    next_start: Option<i128>,
    /// The arrival number of the next event.
    seq: u64,
    /// Scratch for merging a window: each group's place in `merged`, by
    /// group number; the merged groups; their accumulators.
    slot_of: Vec<u32>,
    merged: Vec<Merged>,
    accs: Vec<Accumulator>,
    /// The merged groups' places in first-seen order, when not already in it.
    order: Vec<(u64, u32)>,
    /// The back's groups found in the window's front entry.
    taken: Vec<bool>,
    /// Two stacks, when every aggregate is small (see the module doc).
    stacks: Option<Stacks>,
    /// When every aggregate is a count: an empty group's accumulators, and
    /// the running values of the window (see [`Running`]).
    zero: Option<Vec<Accumulator>>,
    running: Option<Running>,
    /// A group was added to this slice while a later one had events: the
    /// slices' arrival numbers are out of order until it is dropped, and
    /// windows are merged meanwhile.
    disorder: Option<Millis>,
    /// The ordinal of the next slice made.
    next_ord: u64,
}

/// Windows of counts, kept running instead of merged: a window's counts
/// are the slices' before `end` added in (each slice added once, when the
/// first window holding it closes) and the dropped ones taken out, both
/// exact. Its rows are its groups in first-seen order, which is, while
/// arrival numbers grow with (slice start, slot) (every group was added to
/// the latest slice: time order within `--lateness` that does not reach back
/// across a slice boundary), the order of each group's first slice in the
/// window and its slot there: the slices' `fresh` slots (those of groups
/// in no earlier slice), read slice by slice. When a slice is dropped, the
/// next slice holding each of its groups gains that group as fresh. Any
/// other order, and after a restore until checked, falls back to merging.
struct Running {
    /// `stride` accumulators a group number: the merge of the slices before `end`.
    accs: Vec<Accumulator>,
    /// Per group number, its slot in the latest slice holding it.
    last: Vec<(u64, u32)>,
    /// Per slice held, by ordinal from `base` (slices come in order here).
    meta: VecDeque<Meta>,
    base: u64,
    end: i128,
}

/// A slice's links, by slot: the next slot of the same group (slice
/// ordinal and slot, [`NO_NEXT`] if none), and the fresh slots, ascending.
#[derive(Default)]
struct Meta {
    start: Millis,
    next: Vec<(u64, u32)>,
    fresh: Vec<u32>,
}

const NO_NEXT: (u64, u32) = (u64::MAX, u32::MAX);

impl Running {
    fn heap_bytes(&self) -> u64 {
        (self.accs.capacity() * std::mem::size_of::<Accumulator>()
            + self.last.capacity() * 16
            + self.meta.capacity() * std::mem::size_of::<Meta>()
            + self
                .meta
                .iter()
                .map(|m| m.next.capacity() * 16 + m.fresh.capacity() * 4)
                .sum::<usize>()) as u64
    }

    /// Group `gid` is in slot `slot` of the latest slice, ordinal `ord`, new;
    /// `absent`: no earlier slice holds it (the slot is fresh).
    fn occupy(
        &mut self,
        gid: u32,
        (start, ord): (Millis, u64),
        slot: u32,
        absent: bool,
        zero: &[Accumulator],
    ) {
        let g = gid as usize;
        if self.last.len() <= g {
            self.last.resize(g + 1, NO_NEXT);
        }
        while self.accs.len() < (g + 1) * zero.len() {
            self.accs.extend_from_slice(zero);
        }
        let at = (ord - self.base) as usize;
        while self.meta.len() <= at {
            self.meta.push_back(Meta {
                start,
                ..Meta::default()
            });
        }
        let m = &mut self.meta[at];
        debug_assert_eq!(m.next.len(), slot as usize);
        m.next.push(NO_NEXT);
        if absent {
            m.fresh.push(slot);
        } else {
            let (o, s) = self.last[g];
            self.meta[(o - self.base) as usize].next[s as usize] = (ord, slot);
        }
        self.last[g] = (ord, slot);
    }
}

/// Merged groups: the front's entries and the back (see the module doc).
#[derive(Clone, Default)]
struct Agg {
    index: FxHashMap<u32, u32>,
    groups: Vec<Merged>,
    accs: Vec<Accumulator>,
}

impl Agg {
    /// Fold in a slice's groups.
    fn merge_slice(&mut self, start: Millis, slice: &Slice, stride: usize) {
        for (i, &g) in slice.gids.iter().enumerate() {
            let m = Merged {
                gid: g,
                seq: slice.seqs[i],
                from: (start, i as u32),
            };
            self.merge_group(m, &slice.accs[i * stride..(i + 1) * stride], stride);
        }
    }

    fn merge_group(&mut self, m: Merged, accs: &[Accumulator], stride: usize) {
        match self.index.get(&m.gid) {
            None => {
                self.index.insert(m.gid, self.groups.len() as u32);
                self.groups.push(m);
                self.accs.extend_from_slice(accs);
            }
            Some(&j) => {
                let j = j as usize;
                let into = &mut self.accs[j * stride..(j + 1) * stride];
                for (a, b) in into.iter_mut().zip(accs) {
                    a.merge_by_arrival(b);
                }
                let mine = &mut self.groups[j];
                if m.seq < mine.seq {
                    mine.seq = m.seq;
                    mine.from = m.from;
                }
            }
        }
    }

    fn heap_bytes(&self) -> u64 {
        (self.index.capacity() * 9
            + self.groups.capacity() * std::mem::size_of::<Merged>()
            + self.accs.capacity() * std::mem::size_of::<Accumulator>()) as u64
            + self.accs.iter().map(Accumulator::heap_bytes).sum::<u64>()
    }
}

#[derive(Default)]
struct Stacks {
    /// The block `[F, F + size)` the front is for (`None`: not built).
    block: Option<i128>,
    /// For each slice of the block with events, ascending: its start and
    /// the merge of it and the block's later slices.
    front: Vec<(Millis, Agg)>,
    front_stale: bool,
    /// The merge of the slices in `[F + size, back_end)`, in order.
    back: Agg,
    back_end: i128,
    back_stale: bool,
    /// Emptied entries, kept for their memory: the front is rebuilt every
    /// block, and allocating it anew cost as much again in page faults.
    spare: Vec<Agg>,
}

impl Stacks {
    /// Keep the vectors of entries no window needs any more.
    fn recycle(&mut self, entries: impl IntoIterator<Item = (Millis, Agg)>) {
        for (_, mut a) in entries {
            a.index.clear();
            a.groups.clear();
            a.accs.clear();
            self.spare.push(a);
        }
    }
}

/// A group of the window being merged.
#[derive(Clone, Copy)]
struct Merged {
    gid: u32,
    /// Arrival number of its first event in the window.
    seq: u64,
    /// Where that event's key values are: slice start and slot.
    from: (Millis, u32),
}

/// The keys of groups in open slices, numbered; a number is reused once no
/// slice holds its group.
#[derive(Default)]
struct Dict {
    index: HashTable<u32>,
    keys: Vec<Box<[u8]>>,
    /// How many slices hold each group.
    refs: Vec<u32>,
    free: Vec<u32>,
}

fn hash_key(key: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(key)
}

impl Dict {
    fn find(&self, key: &[u8]) -> Option<u32> {
        let keys = &self.keys;
        self.index
            .find(hash_key(key), |&g| &*keys[g as usize] == key)
            .copied()
    }

    /// The group number of `key`, a new one if needed (held by no slice yet).
    fn gid(&mut self, key: &[u8]) -> u32 {
        if let Some(g) = self.find(key) {
            return g;
        }
        let g = match self.free.pop() {
            Some(g) => {
                self.keys[g as usize] = key.into();
                g
            }
            None => {
                self.keys.push(key.into());
                self.refs.push(0);
                (self.keys.len() - 1) as u32
            }
        };
        let keys = &self.keys;
        self.index
            .insert_unique(hash_key(key), g, |&x| hash_key(&keys[x as usize]));
        g
    }

    /// A slice that held group `g` is gone.
    fn release(&mut self, g: u32) {
        let r = &mut self.refs[g as usize];
        *r = r.saturating_sub(1);
        if *r == 0 {
            let key = std::mem::take(&mut self.keys[g as usize]);
            if let Ok(e) = self.index.find_entry(hash_key(&key), |&x| x == g) {
                e.remove();
            }
            self.free.push(g);
        }
    }

    fn heap_bytes(&self) -> u64 {
        let keys: usize = self.keys.iter().map(|k| k.len() + 16).sum();
        (keys + self.refs.capacity() * 4 + self.index.capacity() * 5 + self.free.capacity() * 4)
            as u64
    }
}

/// The groups of one slice.
#[derive(Default)]
struct Slice {
    /// Group number → slot.
    index: FxHashMap<u32, u32>,
    gids: Vec<u32>,
    /// Arrival number of each group's first event in the slice.
    seqs: Vec<u64>,
    /// That event's key values as JSON text: `values[spans[i]]`.
    spans: Vec<(u32, u32)>,
    values: Vec<u8>,
    /// `stride` accumulators a slot.
    accs: Vec<Accumulator>,
    /// Its ordinal, for [`Running`] (slices are numbered as made).
    ord: u64,
}

impl Slice {
    fn with_capacity(n: usize, stride: usize, ord: u64) -> Slice {
        Slice {
            index: FxHashMap::with_capacity_and_hasher(n, Default::default()),
            gids: Vec::with_capacity(n),
            seqs: Vec::with_capacity(n),
            spans: Vec::with_capacity(n),
            values: Vec::new(),
            accs: Vec::with_capacity(n * stride),
            ord,
        }
    }

    fn values_json(&self, slot: u32) -> &[u8] {
        let (at, len) = self.spans[slot as usize];
        &self.values[at as usize..(at + len) as usize]
    }

    fn push(&mut self, gid: u32, seq: u64, values: &[u8], accs: Vec<Accumulator>) -> u32 {
        let slot = self.gids.len() as u32;
        self.index.insert(gid, slot);
        self.gids.push(gid);
        self.seqs.push(seq);
        self.spans
            .push((self.values.len() as u32, values.len() as u32));
        self.values.extend_from_slice(values);
        self.accs.extend(accs);
        slot
    }

    /// [`push`](Self::push) for an event: its key values written straight
    /// into `values`, its accumulators into `accs`.
    fn push_event(
        &mut self,
        gid: u32,
        seq: u64,
        keys: &KeyExtractor,
        ev: &Event<'_>,
        specs: &[AggSpec],
    ) -> u32 {
        let slot = self.gids.len() as u32;
        self.index.insert(gid, slot);
        self.gids.push(gid);
        self.seqs.push(seq);
        let at = self.values.len();
        keys.write_values_json(ev, &mut self.values);
        self.spans
            .push((at as u32, (self.values.len() - at) as u32));
        self.accs.extend(specs.iter().map(AggSpec::new_acc));
        slot
    }

    fn heap_bytes(&self) -> u64 {
        let own = self.index.capacity() * 9
            + self.gids.capacity() * 4
            + self.seqs.capacity() * 8
            + self.spans.capacity() * 8
            + self.values.capacity()
            + self.accs.capacity() * std::mem::size_of::<Accumulator>();
        own as u64 + self.accs.iter().map(Accumulator::heap_bytes).sum::<u64>()
    }
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// `x` rounded down to a multiple of `m` (> 0), divided in i64 when both
/// fit (an i128 division is a library call, and this is done per event).
fn floor_to(x: i128, m: i128) -> i128 {
    match (i64::try_from(x), i64::try_from(m)) {
        (Ok(a), Ok(b)) => a as i128 - a.rem_euclid(b) as i128,
        _ => x - x.rem_euclid(m),
    }
}

/// An i128 time as Millis, saturated (as the per-window code saturates ends).
fn clamp(t: i128) -> Millis {
    t.clamp(Millis::MIN as i128, Millis::MAX as i128) as Millis
}

/// One closed window's rows, handed to the stage: `(start, end)`, then per
/// group (in first-seen order) its key values as JSON text and accumulators.
pub type Rows<'a> = &'a mut dyn FnMut((Millis, Millis), &[u8], &[Accumulator]) -> ExecResult;

impl Sliced {
    pub fn new(size: Millis, slide: Millis, stride: usize) -> Sliced {
        let (size, slide) = (size as i128, slide as i128);
        Sliced {
            size,
            slide,
            width: gcd(size, slide),
            stride,
            dict: Dict::default(),
            slices: BTreeMap::new(),
            next_start: None,
            seq: 0,
            slot_of: Vec::new(),
            merged: Vec::new(),
            accs: Vec::new(),
            order: Vec::new(),
            taken: Vec::new(),
            stacks: None,
            zero: None,
            running: None,
            disorder: None,
            next_ord: 0,
        }
    }

    /// Keep windows' counts running instead of merging their slices, when
    /// every aggregate is [`invertible`](Accumulator::invertible).
    pub fn with_running(mut self, specs: &[AggSpec]) -> Sliced {
        if specs.iter().all(|s| Accumulator::invertible(&s.func)) {
            self.zero = Some(specs.iter().map(AggSpec::new_acc).collect());
        }
        self
    }

    /// Merge windows' slices as two stacks (only for aggregates whose state
    /// is small: the front keeps a copy a slice).
    pub fn with_stacks(mut self) -> Sliced {
        self.stacks = Some(Stacks::default());
        self
    }

    /// The slice width, for `--explain`.
    pub fn width(&self) -> Millis {
        clamp(self.width)
    }

    /// Add an event at `t` whose key is `key`; `false` if it is late (every
    /// window holding it has closed at watermark `wm`).
    pub fn add(
        &mut self,
        t: Millis,
        wm: Millis,
        key: &[u8],
        specs: &[AggSpec],
        keys: &KeyExtractor,
        ev: &Event<'_>,
    ) -> bool {
        let t = t as i128;
        // The last window holding t starts at the slide boundary at or before it.
        let last_start = floor_to(t, self.slide);
        if window::is_closed(clamp(last_start + self.size), wm) {
            return false;
        }
        let slice_start = clamp(floor_to(t, self.width));
        if let Some(st) = &mut self.stacks {
            // Behind the watermark, into a slice the stacks hold: rebuild them.
            if let Some(f) = st.block {
                let s = slice_start as i128;
                st.front_stale |= f <= s && s < f + self.size;
                st.back_stale |= f + self.size <= s && s < st.back_end;
            }
        }
        let seq = self.seq;
        self.seq += 1;
        let gid = self.dict.gid(key);
        let (latest, size) = self
            .slices
            .last_key_value()
            .map_or((None, 0), |(&s, sl)| (Some(s), sl.gids.len()));
        let stride = self.stride;
        let slice = match self.slices.last_entry() {
            Some(e) if *e.key() == slice_start => e.into_mut(),
            // A new slice: sized as the latest (saves growing it step by step).
            _ => self.slices.entry(slice_start).or_insert_with(|| {
                self.next_ord += 1;
                Slice::with_capacity(size, stride, self.next_ord - 1)
            }),
        };
        let slot = match slice.index.get(&gid) {
            Some(&s) => s,
            None => {
                let absent = self.dict.refs[gid as usize] == 0;
                self.dict.refs[gid as usize] += 1;
                let slot = slice.push_event(gid, seq, keys, ev, specs);
                if let Some(zero) = &self.zero {
                    if latest.is_some_and(|l| l > slice_start) {
                        // Its arrival number is after the later slices': merge.
                        self.disorder =
                            Some(self.disorder.map_or(slice_start, |d| d.max(slice_start)));
                        if self.running.take().is_some() {
                            if let Some(st) = &mut self.stacks {
                                st.block = None;
                            }
                        }
                    } else if let Some(r) = &mut self.running {
                        r.occupy(gid, (slice_start, slice.ord), slot, absent, zero);
                    }
                }
                slot
            }
        } as usize;
        let accs = &mut slice.accs[slot * self.stride..(slot + 1) * self.stride];
        for (spec, acc) in specs.iter().zip(accs) {
            spec.update_at(acc, ev, seq);
        }
        if let Some(r) = &mut self.running {
            if (slice_start as i128) < r.end {
                // A slice already added to the window's counts.
                let g = gid as usize;
                let accs = &mut r.accs[g * self.stride..(g + 1) * self.stride];
                for (spec, acc) in specs.iter().zip(accs) {
                    spec.update_at(acc, ev, seq);
                }
            }
        }
        true
    }

    /// Emit, in order, every window that has closed at watermark `wm` (all
    /// of them when `wm` is `None`: the end of input), and drop the slices
    /// no open window holds.
    pub fn close(&mut self, wm: Option<Millis>, rows: Rows<'_>) -> ExecResult {
        // Windows starting at or before `wm + 1 − size` have closed.
        let bound = wm.map(|wm| {
            let x = wm as i128 + 1 - self.size;
            floor_to(x, self.slide) + self.slide
        });
        let mut flow = Flow::Continue;
        while let Some(&first) = self.slices.keys().next() {
            let first = first as i128;
            // The first window holding the first slice, unless it closed before.
            let mut start = floor_to(first - self.size, self.slide) + self.slide;
            if let Some(n) = self.next_start {
                start = start.max(n);
            }
            if bound.is_some_and(|b| start >= b) {
                break;
            }
            if start > first {
                // No window still open holds it.
                self.drop_before(start);
                continue;
            }
            if flow == Flow::Continue {
                flow = self.emit_window(start, rows)?;
            }
            self.next_start = Some(start + self.slide);
            self.drop_before(start + self.slide);
        }
        if let Some(b) = bound {
            self.next_start = Some(self.next_start.map_or(b, |n| n.max(b)));
        }
        Ok(flow)
    }

    fn drop_before(&mut self, start: i128) {
        while let Some(e) = self.slices.first_entry() {
            if *e.key() as i128 >= start {
                break;
            }
            let (at, slice) = e.remove_entry();
            if self.running.as_ref().is_some_and(|r| r.base != slice.ord) {
                debug_assert!(false, "slices dropped out of order");
                self.running = None;
            }
            if let Some(r) = &mut self.running {
                let stride = self.stride;
                let m = r.meta.pop_front().unwrap_or_default();
                r.base += 1;
                for (i, &g) in slice.gids.iter().enumerate() {
                    let g = g as usize;
                    if (at as i128) < r.end {
                        let accs = &mut r.accs[g * stride..(g + 1) * stride];
                        for (a, b) in accs.iter_mut().zip(&slice.accs[i * stride..]) {
                            a.unmerge(b);
                        }
                    }
                    // The next slice holding the group is now its first.
                    if let Some(&(o, slot)) = m.next.get(i).filter(|&&n| n != NO_NEXT) {
                        let fresh = &mut r.meta[(o - r.base) as usize].fresh;
                        let k = fresh.partition_point(|&x| x < slot);
                        fresh.insert(k, slot);
                    }
                }
            }
            for g in slice.gids {
                self.dict.release(g);
            }
        }
    }

    /// Merge the slices of the window starting at `start` and hand its rows on.
    fn emit_window(&mut self, start: i128, rows: Rows<'_>) -> ExecResult {
        let stride = self.stride;
        self.merged.clear();
        self.accs.clear();
        if self.running_ready(start) {
            return self.emit_running(start, rows);
        }
        if self.slot_of.len() < self.dict.keys.len() {
            self.slot_of.resize(self.dict.keys.len(), NONE);
        }
        if self.stacks.is_some() {
            self.merge_by_stacks(start);
        } else {
            self.merge_slices(start);
        }
        for m in &self.merged {
            self.slot_of[m.gid as usize] = NONE;
        }
        // Rows in the order the groups were first seen in the window: the
        // order they were merged in when events came in time order (checked
        // here), else sorted.
        let sorted = self.merged.windows(2).all(|p| p[0].seq < p[1].seq);
        self.order.clear();
        if !sorted {
            let keyed = self.merged.iter().enumerate();
            self.order.extend(keyed.map(|(i, m)| (m.seq, i as u32)));
            self.order.sort_unstable();
        }
        let w = (clamp(start), clamp(start + self.size));
        let mut flow = Flow::Continue;
        // The slice the last row's key values were in: most rows in a row
        // come from the same slice.
        let mut last: Option<(Millis, &Slice)> = None;
        for k in 0..self.merged.len() {
            let i = if sorted { k } else { self.order[k].1 as usize };
            let (s, slot) = self.merged[i].from;
            let slice = match last {
                Some((at, sl)) if at == s => Some(sl),
                _ => {
                    let sl = self.slices.get(&s);
                    last = sl.map(|sl| (s, sl));
                    sl
                }
            };
            let values = slice.map_or(&b"[]"[..], |x| x.values_json(slot));
            flow = rows(w, values, &self.accs[i * stride..(i + 1) * stride])?;
            if flow == Flow::Stop {
                break;
            }
        }
        Ok(flow)
    }

    /// Whether the window starting at `start` (every slice held is at or
    /// after it) can be read from [`Running`]: building it if need be.
    fn running_ready(&mut self, start: i128) -> bool {
        let Some(zero) = &self.zero else {
            return false;
        };
        if let Some(d) = self.disorder {
            if self.slices.keys().next().is_some_and(|&f| f <= d) {
                return false;
            }
            self.disorder = None;
        }
        if self.running.is_some() {
            return true;
        }
        // Arrival numbers must grow with (slice start, slot): checked, as
        // the slices may come from a checkpoint.
        let mut top: Option<u64> = None;
        for (&s, sl) in &self.slices {
            for &q in &sl.seqs {
                if top.is_some_and(|t| q <= t) {
                    self.disorder = Some(s);
                    return false;
                }
                top = Some(q);
            }
        }
        let n = self.dict.keys.len();
        let mut r = Running {
            accs: Vec::with_capacity(n * zero.len()),
            last: vec![NO_NEXT; n],
            meta: VecDeque::with_capacity(self.slices.len()),
            base: 0,
            end: start,
        };
        if let Some(&f) = self.slices.keys().next() {
            debug_assert!(f as i128 >= start);
            r.end = r.end.min(f as i128);
        }
        for _ in 0..n {
            r.accs.extend_from_slice(zero);
        }
        for (ord, (&start, sl)) in self.slices.iter_mut().enumerate() {
            let ord = ord as u64;
            sl.ord = ord;
            let mut m = Meta {
                start,
                next: vec![NO_NEXT; sl.gids.len()],
                fresh: Vec::new(),
            };
            for (i, &g) in sl.gids.iter().enumerate() {
                let (o, s) = r.last[g as usize];
                if o == u64::MAX {
                    m.fresh.push(i as u32);
                } else {
                    r.meta[o as usize].next[s as usize] = (ord, i as u32);
                }
                r.last[g as usize] = (ord, i as u32);
            }
            r.meta.push_back(m);
        }
        self.next_ord = self.slices.len() as u64;
        self.running = Some(r);
        true
    }

    /// The window starting at `start` from [`Running`]: the slices up to its
    /// end added in, its rows read from the slices' fresh slots.
    fn emit_running(&mut self, start: i128, rows: Rows<'_>) -> ExecResult {
        let stride = self.stride;
        let end = start + self.size;
        let Some(r) = &mut self.running else {
            return Ok(Flow::Continue);
        };
        if r.end < end {
            for (_, sl) in self.slices.range(clamp(r.end)..clamp(end)) {
                for (i, &g) in sl.gids.iter().enumerate() {
                    let g = g as usize;
                    let into = &mut r.accs[g * stride..(g + 1) * stride];
                    for (a, b) in into.iter_mut().zip(&sl.accs[i * stride..]) {
                        a.merge_invertible(b);
                    }
                }
            }
            r.end = end;
        }
        let w = (clamp(start), clamp(end));
        // The window's slices are the first held (all start at or after
        // `start`); only those with fresh slots are looked up.
        debug_assert_eq!(r.meta.len(), self.slices.len());
        for m in r.meta.iter().take_while(|m| m.start < w.1) {
            if m.fresh.is_empty() {
                continue;
            }
            let Some(sl) = self.slices.get(&m.start) else {
                continue;
            };
            for &slot in &m.fresh {
                let g = sl.gids[slot as usize] as usize;
                let flow = rows(
                    w,
                    sl.values_json(slot),
                    &r.accs[g * stride..(g + 1) * stride],
                )?;
                if flow == Flow::Stop {
                    return Ok(flow);
                }
            }
        }
        Ok(Flow::Continue)
    }

    /// The window starting at `start`, as the front's entry there and the
    /// back, into `merged` and `accs`.
    fn merge_by_stacks(&mut self, start: i128) {
        let stride = self.stride;
        let Some(st) = &mut self.stacks else {
            return;
        };
        let block = floor_to(start, self.size);
        let back_from = block + self.size;
        if st.block != Some(block) {
            st.block = Some(block);
            st.front_stale = true;
            st.back_stale = true;
        }
        if st.back_stale {
            st.back = Agg::default();
            st.back_end = back_from;
            st.back_stale = false;
        }
        let end = start + self.size;
        if st.back_end < end {
            for (&s, slice) in self.slices.range(clamp(st.back_end)..clamp(end)) {
                st.back.merge_slice(s, slice, stride);
            }
            st.back_end = end;
        }
        if st.front_stale {
            let old = std::mem::take(&mut st.front);
            st.recycle(old);
            st.front_stale = false;
            // F(s), for each slice s of the block from the last: s's groups
            // in their order, then those of F(s + 1) not in s. Each
            // accumulator is F(s + 1)'s merged with s's, as one fed the
            // slices from the last back would be. In time order, groups
            // come first-seen first.
            let pos = &mut self.slot_of;
            for (&s, slice) in self.slices.range(clamp(block)..clamp(back_from)).rev() {
                let mut a = st.spare.pop().unwrap_or_default();
                let n = slice.gids.len() + st.front.last().map_or(0, |(_, l)| l.groups.len());
                a.groups.reserve(n);
                a.accs.reserve(n * stride);
                for (i, &g) in slice.gids.iter().enumerate() {
                    pos[g as usize] = i as u32;
                    a.groups.push(Merged {
                        gid: g,
                        seq: slice.seqs[i],
                        from: (s, i as u32),
                    });
                }
                a.accs.extend_from_slice(&slice.accs);
                if let Some((_, later)) = st.front.last() {
                    for (j, m) in later.groups.iter().enumerate() {
                        let from = &later.accs[j * stride..(j + 1) * stride];
                        match pos[m.gid as usize] {
                            NONE => {
                                a.groups.push(*m);
                                a.accs.extend_from_slice(from);
                            }
                            k => {
                                let k = k as usize;
                                let into = &mut a.accs[k * stride..(k + 1) * stride];
                                for (x, y) in into.iter_mut().zip(from) {
                                    let mine = std::mem::replace(x, y.clone());
                                    x.merge_by_arrival(&mine);
                                }
                                let g = &mut a.groups[k];
                                if m.seq < g.seq {
                                    g.seq = m.seq;
                                    g.from = m.from;
                                }
                            }
                        }
                    }
                }
                for &g in &slice.gids {
                    pos[g as usize] = NONE;
                }
                st.front.push((s, a));
            }
            st.front.reverse();
        }
        let at = st.front.partition_point(|(s, _)| (*s as i128) < start);
        // The window's groups: the front's entry at its start (taken when
        // no later window starts at or before it, else copied), then the
        // back merged in.
        match st.front.get_mut(at) {
            Some((s, a)) if (*s as i128) < start + self.slide => {
                std::mem::swap(&mut self.merged, &mut a.groups);
                std::mem::swap(&mut self.accs, &mut a.accs);
            }
            Some((_, a)) => {
                self.merged.extend_from_slice(&a.groups);
                self.accs.extend_from_slice(&a.accs);
            }
            None => {}
        }
        // The back merged in, walking the front's entry in order (it was
        // built a block ago: out of the caches, so read it front to back)
        // and finding each group in the back by number; then the back's
        // groups the entry lacks, in order.
        let back = &st.back;
        for (j, m) in back.groups.iter().enumerate() {
            self.slot_of[m.gid as usize] = j as u32;
        }
        self.taken.clear();
        self.taken.resize(back.groups.len(), false);
        for (i, mine) in self.merged.iter_mut().enumerate() {
            let j = self.slot_of[mine.gid as usize];
            if j == NONE {
                continue;
            }
            let j = j as usize;
            self.taken[j] = true;
            let into = &mut self.accs[i * stride..(i + 1) * stride];
            for (a, b) in into
                .iter_mut()
                .zip(&back.accs[j * stride..(j + 1) * stride])
            {
                a.merge_by_arrival(b);
            }
            let m = &back.groups[j];
            if m.seq < mine.seq {
                mine.seq = m.seq;
                mine.from = m.from;
            }
        }
        for (j, m) in back.groups.iter().enumerate() {
            self.slot_of[m.gid as usize] = NONE;
            if !self.taken[j] {
                self.merged.push(*m);
                self.accs
                    .extend_from_slice(&back.accs[j * stride..(j + 1) * stride]);
            }
        }
        // Entries before this window's start are not asked for again.
        if at > 0 {
            let done: Vec<_> = st.front.drain(..at).collect();
            st.recycle(done);
        }
    }

    /// The window starting at `start`, merging each of its slices, into
    /// `merged` and `accs`.
    fn merge_slices(&mut self, start: i128) {
        let stride = self.stride;
        let range = clamp(start)..clamp(start + self.size);
        for (&s, slice) in self.slices.range(range) {
            for (i, &g) in slice.gids.iter().enumerate() {
                let seq = slice.seqs[i];
                let from = &slice.accs[i * stride..(i + 1) * stride];
                match self.slot_of[g as usize] {
                    NONE => {
                        self.slot_of[g as usize] = self.merged.len() as u32;
                        self.merged.push(Merged {
                            gid: g,
                            seq,
                            from: (s, i as u32),
                        });
                        self.accs.extend_from_slice(from);
                    }
                    m => {
                        let m = m as usize;
                        let into = &mut self.accs[m * stride..(m + 1) * stride];
                        for (a, b) in into.iter_mut().zip(from) {
                            a.merge_by_arrival(b);
                        }
                        let mg = &mut self.merged[m];
                        if seq < mg.seq {
                            mg.seq = seq;
                            mg.from = (s, i as u32);
                        }
                    }
                }
            }
        }
    }

    pub fn state_size(&self) -> StateSize {
        let mut s = StateSize {
            bytes: self.dict.heap_bytes(),
            ..StateSize::default()
        };
        for slice in self.slices.values() {
            s.groups += slice.gids.len() as u64;
            s.bytes += slice.heap_bytes();
        }
        if let Some(r) = &self.running {
            s.bytes += r.heap_bytes();
        }
        if let Some(st) = &self.stacks {
            s.bytes += st.back.heap_bytes();
            s.bytes += st.front.iter().map(|(_, a)| a.heap_bytes()).sum::<u64>();
        }
        // Open windows: those holding a slice, from the first to the last.
        if let (Some((&a, _)), Some((&b, _))) =
            (self.slices.first_key_value(), self.slices.last_key_value())
        {
            let first = ((a as i128 - self.size).div_euclid(self.slide) + 1) * self.slide;
            let first = self.next_start.map_or(first, |n| first.max(n));
            let last = (b as i128).div_euclid(self.slide) * self.slide;
            s.windows = ((last - first) / self.slide + 1).max(0) as u64;
        }
        s
    }

    /// The state a checkpoint keeps, written from the slices as they are:
    /// per slice (by start) each group's key, key values, first arrival
    /// number and accumulators.
    pub fn state(&self) -> impl Serialize + '_ {
        SlicedOut {
            width: clamp(self.width),
            next_start: self.next_start.map(clamp),
            seq: self.seq,
            slices: state::iter(self.slices.iter().map(move |(&start, sl)| SliceOut {
                start,
                groups: state::iter((0..sl.gids.len()).map(move |i| SliceGroupOut {
                    key: KeyOut(&self.dict.keys[sl.gids[i] as usize]),
                    values: RawJson(sl.values_json(i as u32)),
                    seq: sl.seqs[i],
                    accs: &sl.accs[i * self.stride..(i + 1) * self.stride],
                })),
            })),
        }
    }

    /// Restore what [`state`](Self::state) wrote, a group at a time.
    pub fn restore(&mut self, raw: &RawValue, specs: &[AggSpec]) -> Result<(), StateError> {
        let bad = |what: &str| StateError::invalid("aggregate", format!("slices {what}"));
        let st: SlicedIn = state::parse(raw)?;
        if st.width != clamp(self.width) {
            return Err(bad("of another width"));
        }
        let mut fresh = Sliced::new(clamp(self.size), clamp(self.slide), self.stride);
        // The stacks are rebuilt from the slices on the next window.
        fresh.stacks = self.stacks.as_ref().map(|_| Stacks::default());
        // So are the running counts, once the slices' order is checked.
        fresh.zero = self.zero.clone();
        fresh.next_start = st.next_start.map(i128::from);
        fresh.seq = st.seq;
        for s in st.slices {
            let mut slice = Slice::default();
            state::each(s.groups, |g: SliceGroupIn| {
                if !g.values.get().starts_with('[') {
                    return Err(bad("with a group without key values"));
                }
                if g.accs.len() != specs.len() {
                    return Err(StateError::Aggregates {
                        stage: "aggregate",
                        found: g.accs.len(),
                        want: specs.len(),
                    });
                }
                let mut accs = Vec::with_capacity(specs.len());
                for (spec, a) in specs.iter().zip(&g.accs) {
                    let mut acc = spec.new_acc();
                    acc.restore_raw(a).map_err(|e| {
                        StateError::invalid("aggregate", format!("`{}`: {e}", spec.name))
                    })?;
                    accs.push(acc);
                }
                let gid = fresh.dict.gid(&g.key.0);
                if slice.index.contains_key(&gid) {
                    return Err(bad("with a key twice in a slice"));
                }
                fresh.dict.refs[gid as usize] += 1;
                // Rows copy each key value's text out of the array: keep it
                // as serde_json writes it (no white space), whoever wrote it.
                let values: Vec<serde_json::Value> = serde_json::from_str(g.values.get())
                    .map_err(|_| bad("with key values that are not an array"))?;
                let values = serde_json::to_vec(&values).unwrap_or_default();
                slice.push(gid, g.seq, &values, accs);
                Ok(())
            })?;
            fresh.slices.insert(s.start, slice);
        }
        *self = fresh;
        Ok(())
    }
}

/// What a checkpoint keeps of the slices (format v2).
#[derive(Serialize)]
struct SlicedOut<S> {
    width: Millis,
    next_start: Option<Millis>,
    seq: u64,
    slices: S,
}

#[derive(Serialize)]
struct SliceOut<G> {
    start: Millis,
    groups: G,
}

#[derive(Serialize)]
struct SliceGroupOut<'a> {
    key: KeyOut<'a>,
    values: RawJson<'a>,
    seq: u64,
    accs: &'a [Accumulator],
}

#[derive(Deserialize)]
struct SlicedIn<'a> {
    width: Millis,
    next_start: Option<Millis>,
    seq: u64,
    #[serde(borrow)]
    slices: Vec<SliceIn<'a>>,
}

#[derive(Deserialize)]
struct SliceIn<'a> {
    start: Millis,
    #[serde(borrow)]
    groups: &'a RawValue,
}

#[derive(Deserialize)]
struct SliceGroupIn<'a> {
    key: KeyIn,
    #[serde(borrow)]
    values: &'a RawValue,
    seq: u64,
    #[serde(borrow)]
    accs: Vec<&'a RawValue>,
}

#[cfg(test)]
mod tests {
    //! The slices against the per-window reference (`Aggregate::per_window`)
    //! on random events: in and out of order, late, random sizes and
    //! slides, every order-sensitive aggregate; then snapshot → restore →
    //! continue at every cut, and a checkpoint of the reference (format v1)
    //! carried on by a sliced stage.
    use proptest::prelude::*;

    use crate::exec::aggregate::Aggregate;
    use crate::exec::testkit::{
        assert_snapshot_restore_equivalent, drive, run_script, Collect, Step,
    };
    use crate::exec::{Chain, Operator};
    use crate::lang::ast::StageKind;

    const AGGS: &str = "stats count, sum(v), avg(v), min(v), max(v), first(w), last(w), \
                        distinct(w), p50(v), p90(v), stddev(v)";

    const SMALL: &str = "stats count, sum(v), avg(v), min(v), max(v), first(w), last(w), stddev(v)";

    fn make(src: &str, sliced: bool) -> Box<dyn Operator> {
        let p = crate::lang::parse(src).expect("parses");
        let StageKind::Aggregate(a) = &p.stages[0].kind else {
            panic!("not an aggregation: {src}")
        };
        Box::new(if sliced {
            Aggregate::new(a).expect("plans")
        } else {
            Aggregate::per_window(a).expect("plans")
        })
    }

    /// Rows equal, field by field; `stddev` within 1e-12 relative (merged
    /// moments differ from one pass in the last bits).
    fn assert_same(got: &[String], want: &[String]) {
        assert_eq!(got.len(), want.len(), "{got:#?}\nvs\n{want:#?}");
        for (g, w) in got.iter().zip(want) {
            let (Some((gj, gt)), Some((wj, wt))) = (g.rsplit_once(" @"), w.rsplit_once(" @"))
            else {
                assert_eq!(g, w);
                continue;
            };
            assert_eq!(gt, wt, "{g} vs {w}");
            let gm: serde_json::Map<String, serde_json::Value> = serde_json::from_str(gj).unwrap();
            let wm: serde_json::Map<String, serde_json::Value> = serde_json::from_str(wj).unwrap();
            assert_eq!(
                gm.keys().collect::<Vec<_>>(),
                wm.keys().collect::<Vec<_>>(),
                "{g} vs {w}"
            );
            for (k, gv) in &gm {
                let wv = &wm[k];
                match (k.as_str(), gv.as_f64(), wv.as_f64()) {
                    ("stddev_v", Some(a), Some(b)) => assert!(
                        (a - b).abs() <= 1e-12 * b.abs().max(1e-300),
                        "{k}: {a} vs {b} in {g}"
                    ),
                    _ => assert_eq!(gv.to_string(), wv.to_string(), "{k} in {g} vs {w}"),
                }
            }
        }
    }

    fn event() -> impl Strategy<Value = (i64, String, String, String)> {
        let key = prop::sample::select(vec!["\"a\"", "\"b\"", "\"c\"", "1", "1.0", "null"]);
        // Numbers only (min/max compare them as an order), ties of equal
        // values written differently (2, 2.0), quarters (float sums exact).
        let v = prop_oneof![
            (-20i64..20).prop_map(|i| i.to_string()),
            (-80i64..80).prop_map(|q| format!("{}", q as f64 / 4.0)),
            Just("2.0".to_string()),
            Just("null".to_string()),
        ];
        // Any kind for first/last/distinct.
        let w = prop::sample::select(vec![
            "\"x\"",
            "\"y\"",
            "1",
            "1.0",
            "true",
            "null",
            "[1]",
            "{\"a\":1}",
            "\"1\"",
        ]);
        (-6i64..12, key, v, w).prop_map(|(dt, k, v, w)| (dt, k.to_string(), v, w.to_string()))
    }

    /// A script: events moving forward in time with jitter (some behind the
    /// watermark, some late), watermarks `lateness` behind the latest time,
    /// sometimes a jump, and (mostly) the end.
    fn script(
        events: &[(i64, String, String, String)],
        lateness: i64,
        jumps: &[usize],
        end: bool,
    ) -> Vec<Step> {
        let mut steps = Vec::new();
        let mut t = 1000i64;
        let mut max_t = i64::MIN;
        for (i, (dt, k, v, w)) in events.iter().enumerate() {
            t += dt;
            let text = format!("{{\"k\":{k},\"v\":{v},\"w\":{w},\"i\":{i}}}");
            steps.push(Step::Event(Box::leak(text.into_boxed_str()), Some(t)));
            max_t = max_t.max(t);
            steps.push(Step::Watermark(max_t - lateness));
            if jumps.contains(&i) {
                steps.push(Step::Watermark(max_t + 25));
            }
        }
        if end {
            steps.push(Step::End);
        }
        steps
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn two_stacks_give_the_rows_of_one_accumulator_a_window(
            slide in 1i64..8,
            extra in 0i64..30,
            events in prop::collection::vec(event(), 0..40),
            lateness in 0i64..12,
            jumps in prop::collection::vec(0usize..40, 0..3),
            end in prop::bool::weighted(0.8),
            keyed in any::<bool>(),
        ) {
            // No distinct or percentile: the windows are merged as two stacks.
            let size = slide + extra;
            let by = if keyed { " by k" } else { "" };
            let src = format!("{SMALL}{by} every {size}ms slide {slide}ms");
            let steps = script(&events, lateness, &jumps, end);
            let want = run_script(&|| make(&src, false), &steps);
            let got = run_script(&|| make(&src, true), &steps);
            assert_same(&got, &want);
            if events.len() < 14 {
                assert_snapshot_restore_equivalent(&|| make(&src, true), &steps);
            }
        }

        #[test]
        fn running_counts_give_the_rows_of_one_accumulator_a_window(
            slide in 1i64..8,
            extra in 0i64..30,
            events in prop::collection::vec(event(), 0..40),
            back in prop::collection::vec(prop::bool::weighted(0.1), 40),
            lateness in 0i64..12,
            jumps in prop::collection::vec(0usize..40, 0..3),
            end in prop::bool::weighted(0.8),
            keyed in any::<bool>(),
            aggs in prop::sample::select(vec!["count", "stats count, count as n"]),
        ) {
            // Counts only: kept running while groups come in slice order,
            // merged otherwise (events mostly forward, some back in time).
            let events: Vec<_> = events
                .into_iter()
                .zip(&back)
                .map(|((dt, k, v, w), &b)| (if b { dt.min(0) } else { dt.abs() / 2 }, k, v, w))
                .collect();
            let size = slide + extra;
            let by = if keyed { " by k" } else { "" };
            let src = format!("{aggs}{by} every {size}ms slide {slide}ms");
            let steps = script(&events, lateness, &jumps, end);
            let want = run_script(&|| make(&src, false), &steps);
            let got = run_script(&|| make(&src, true), &steps);
            prop_assert_eq!(&got, &want);
            if events.len() < 16 {
                assert_snapshot_restore_equivalent(&|| make(&src, true), &steps);
            }
            // Mixed with an aggregate that is not a count: merged.
            let src = format!("stats count, max(v){by} every {size}ms slide {slide}ms");
            let want = run_script(&|| make(&src, false), &steps);
            let got = run_script(&|| make(&src, true), &steps);
            prop_assert_eq!(&got, &want);
        }

        #[test]
        fn slices_give_the_rows_of_one_accumulator_a_window(
            slide in 1i64..8,
            extra in 0i64..30,
            events in prop::collection::vec(event(), 0..40),
            lateness in 0i64..12,
            jumps in prop::collection::vec(0usize..40, 0..3),
            end in prop::bool::weighted(0.8),
            keyed in any::<bool>(),
        ) {
            let size = slide + extra;
            let by = if keyed { " by k" } else { "" };
            let src = format!("{AGGS}{by} every {size}ms slide {slide}ms");
            let steps = script(&events, lateness, &jumps, end);
            let want = run_script(&|| make(&src, false), &steps);
            let got = run_script(&|| make(&src, true), &steps);
            assert_same(&got, &want);
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn slices_survive_snapshot_and_restore_and_read_v1_checkpoints(
            slide in 1i64..6,
            extra in 0i64..20,
            events in prop::collection::vec(event(), 0..16),
            lateness in 0i64..8,
            cut in 0usize..40,
        ) {
            let size = slide + extra;
            let src = format!("{AGGS} by k every {size}ms slide {slide}ms");
            let steps = script(&events, lateness, &[], true);
            assert_snapshot_restore_equivalent(&|| make(&src, true), &steps);
            // A checkpoint written before slices holds one table a window:
            // a sliced stage carries those windows on exactly.
            let cut = cut.min(steps.len());
            let want = run_script(&|| make(&src, false), &steps);
            let mut first = Chain::new(vec![make(&src, false)]);
            let mut out = Collect::default();
            drive(&mut first, &steps[..cut], &mut out);
            let text = first.snapshot_text();
            let mut states: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
            states[0].as_object_mut().unwrap().remove("slices");
            let mut second = Chain::new(vec![make(&src, true)]);
            second
                .restore_text(&serde_json::to_string(&states).unwrap())
                .expect("restores");
            drive(&mut second, &steps[cut..], &mut out);
            assert_same(&out.lines, &want);
        }
    }

    #[test]
    fn an_event_updates_one_slice_and_windows_merge_them() {
        let steps = [
            Step::Event(r#"{"k":"a","v":1}"#, Some(1000)),
            Step::Event(r#"{"k":"b","v":5}"#, Some(2500)),
            Step::Event(r#"{"k":"a","v":3}"#, Some(4000)),
            Step::Watermark(3999),
            Step::Event(r#"{"k":"b","v":2}"#, Some(1500)),
            Step::Watermark(6999),
            // Every window holding 1000 has closed: late.
            Step::Event(r#"{"k":"a","v":9}"#, Some(1000)),
            Step::End,
        ];
        let src = "stats count, first(v), max(v) by k every 3s slide 1s";
        let out = assert_snapshot_restore_equivalent(&|| make(src, true), &steps);
        assert_eq!(out, run_script(&|| make(src, false), &steps));
        let row = |s: i64, k: &str, n: u64, first: i64, max: i64| {
            format!(
                "{{\"window_start\":\"{}\",\"window_end\":\"{}\",\"k\":\"{k}\",\"count\":{n},\"first_v\":{first},\"max_v\":{max}}} @{}",
                crate::timefmt::format_rfc3339_ms(s),
                crate::timefmt::format_rfc3339_ms(s + 3000),
                s + 2999
            )
        };
        assert_eq!(
            out,
            [
                row(-1000, "a", 1, 1, 1),
                row(0, "a", 1, 1, 1),
                row(0, "b", 1, 5, 5),
                row(1000, "a", 1, 1, 1),
                row(1000, "b", 1, 5, 5),
                // Its last window [1000, 4000) closed at 3999: late.
                "late:{\"k\":\"b\",\"v\":2}".to_string(),
                row(2000, "b", 1, 5, 5),
                row(2000, "a", 1, 3, 3),
                row(3000, "a", 1, 3, 3),
                row(4000, "a", 1, 3, 3),
                "late:{\"k\":\"a\",\"v\":9}".to_string(),
            ]
        );
    }
}
