//! Sliding aggregates for `running … over D` and `last N` (issue 19): the
//! aggregates of a key's range are kept up to date as values enter and leave
//! it, so an event costs (amortised) O(1) or O(log n), not O(values in range).
//!
//! The range is the back of a deque of kept values: `over D` keeps them
//! sorted by time and the window is `(low, newest]` with `low = newest − D`;
//! `last N` keeps arrival order and the window is all of it. Values enter at
//! the back (or, out of order, in the middle) and leave at the front.
//!
//! Per aggregate:
//! - `count`, integer `sum`/`avg`: exact counts and an `i128` total;
//!   float parts of `sum`/`avg` and `stddev`'s moments (about a shift, so a
//!   large mean does not cancel) are Neumaier-compensated sums, rebuilt from
//!   the window's values every 2·len + 64 updates so rounding never builds up
//!   over a long run;
//! - `min`/`max`: a monotonic deque of candidates (the earliest of equal
//!   values wins, as in the one-pass accumulator);
//! - `first`/`last`: read off the window's ends;
//! - `distinct`: a counted multiset of value hashes;
//! - percentiles: a counted multiset of values in order plus bucket counts
//!   (the sketch's buckets), so the exact nearest-rank value (≤ 4096 values)
//!   or the sketch's answer (more) is found in O(log n + buckets / 64);
//! - `ewma`: computed over the range's last values, as many as still weigh
//!   above 2⁻⁶⁴ (the older ones do not change the result's bits).
//!
//! Results equal the one-pass accumulators (`agg::Accumulator`) fed the range
//! in order — exactly for integers and every non-float aggregate, to within a
//! few ulps for float sums (the compensated sum is the more accurate of the
//! two). Where keeping that promise in O(1) is not possible, the aggregate is
//! recomputed over the range: `min`/`max` while the range holds a value that
//! is not a number (their comparison is then order-dependent), `distinct`
//! past its exact limit, a percentile whose range spans more than the
//! sketch's bucket limit, and an event that arrives out of time order.

use crate::exec::state::{bad, StateError};
use std::cmp::Ordering;
use std::collections::{BTreeMap, VecDeque};

use rustc_hash::FxHashMap;
use serde_json::json;

use super::agg::percentile::{self, bucket_index, bucket_value, MAX_BINS, MIN_MAGNITUDE};
use super::agg::{distinct, f64_from_json, f64_to_json, numeric, Accumulator, AggSpec};
use crate::lang::ast::AggFunc;
use crate::timefmt::Millis;
use crate::value::{self, number_from_f64, Num, Value};

/// One kept event: its time (0 for `last N`), its place in arrival order
/// within the key, and each aggregate's argument (`true` for `count`).
#[derive(Debug, Clone)]
pub struct Entry {
    pub time: Millis,
    pub seq: u64,
    pub vals: Box<[Value]>,
}

impl Entry {
    /// Kept order: by time, ties in arrival order.
    fn order(&self) -> (Millis, u64) {
        (self.time, self.seq)
    }
}

/// One key's kept values and the aggregates of its window.
#[derive(Debug, Clone)]
pub struct Slide {
    pub q: VecDeque<Entry>,
    /// `q[start..]` is the window the accumulators hold.
    start: usize,
    /// The window holds times above this (`Millis::MIN` for `last N`).
    low: Millis,
    accs: Vec<SlideAcc>,
    /// Adds and removes since the drifting sums were last rebuilt.
    updates: u64,
    next_seq: u64,
}

impl Slide {
    pub fn new(aggs: &[AggSpec]) -> Slide {
        Slide {
            q: VecDeque::new(),
            start: 0,
            low: Millis::MIN,
            accs: aggs.iter().map(|a| SlideAcc::new(a.func)).collect(),
            updates: 0,
            next_seq: 0,
        }
    }

    /// An entry for the next value of this key.
    pub fn entry(&mut self, time: Millis, vals: Box<[Value]>) -> Entry {
        self.next_seq += 1;
        Entry {
            time,
            seq: self.next_seq,
            vals,
        }
    }

    /// Heap bytes (an estimate, for `--stats`): the kept values and what
    /// the sliding aggregates index.
    pub fn heap_bytes(&self) -> u64 {
        let value = std::mem::size_of::<Value>() as u64;
        let kept: u64 = self
            .q
            .iter()
            .map(|e| 40 + value * e.vals.len() as u64)
            .sum();
        let accs: u64 = self
            .accs
            .iter()
            .map(|a| match a {
                SlideAcc::Min(x) | SlideAcc::Max(x) => x.cands.len() as u64 * (16 + value),
                SlideAcc::Distinct(set) => set.capacity() as u64 * 13,
                SlideAcc::Percentile(p) => {
                    p.values.len() as u64 * 40
                        + (p.neg.counts.capacity() + p.pos.counts.capacity()) as u64 * 9
                }
                _ => 0,
            })
            .sum();
        kept + accs
    }

    /// True when an event at `time` comes at the back (no kept value is later).
    pub fn in_order(&self, time: Millis) -> bool {
        self.q.back().is_none_or(|b| b.time <= time)
    }

    /// Append at the back, into the window.
    pub fn push(&mut self, e: Entry) {
        for (i, acc) in self.accs.iter_mut().enumerate() {
            acc.add(&e, i, true);
        }
        self.updates += 1;
        self.q.push_back(e);
    }

    /// Insert out of time order; returns its index. It joins the window when
    /// its time is inside it.
    pub fn insert(&mut self, e: Entry) -> usize {
        let at = self.q.partition_point(|k| k.time <= e.time);
        if e.time > self.low {
            for (i, acc) in self.accs.iter_mut().enumerate() {
                acc.add(&e, i, false);
            }
            self.updates += 1;
        } else {
            self.start += 1;
        }
        self.q.insert(at, e);
        at
    }

    /// Drop the oldest kept value.
    pub fn pop_front(&mut self) {
        if let Some(e) = self.q.pop_front() {
            if self.start > 0 {
                self.start -= 1;
            } else {
                self.leave(&e);
            }
        }
    }

    fn leave(&mut self, e: &Entry) {
        for (i, acc) in self.accs.iter_mut().enumerate() {
            acc.remove(e, i);
        }
        self.updates += 1;
    }

    /// Drop the values at or before `horizon` (sorted deques only).
    pub fn expire(&mut self, horizon: Millis) {
        while self.q.front().is_some_and(|e| e.time <= horizon) {
            self.pop_front();
        }
    }

    /// Move the window's lower end up to `low`: values at or before it leave.
    pub fn slide_to(&mut self, low: Millis) {
        self.low = self.low.max(low);
        while let Some(e) = self.q.get(self.start) {
            if e.time > self.low {
                break;
            }
            for (i, acc) in self.accs.iter_mut().enumerate() {
                acc.remove(e, i);
            }
            self.updates += 1;
            self.start += 1;
        }
    }

    /// The aggregates over the window, in `aggs` order.
    pub fn results(&mut self, aggs: &[AggSpec], out: &mut Vec<Value>) {
        let len = (self.q.len() - self.start) as u64;
        if self.updates > 2 * len + 64 {
            self.rebuild_sums();
        }
        out.clear();
        let win = Window {
            q: &self.q,
            lo: self.start,
            end: self.q.len(),
        };
        for (i, (acc, spec)) in self.accs.iter().zip(aggs).enumerate() {
            out.push(acc.result(&win, i, spec.func));
        }
    }

    /// Recompute the compensated sums from the window's values, so their
    /// rounding errors never outgrow one window's worth.
    fn rebuild_sums(&mut self) {
        self.updates = 0;
        let (q, lo) = (&self.q, self.start);
        for (i, acc) in self.accs.iter_mut().enumerate() {
            if acc.drifts() {
                acc.reset();
                if let SlideAcc::Stddev(m) = acc {
                    // Shift by the newest value: the moments are then small.
                    m.shift = q.back().and_then(|e| as_f64(&e.vals[i]));
                }
                for e in q.range(lo..) {
                    acc.add(e, i, true);
                }
            }
        }
    }

    /// Rebuild from kept entries (a checkpoint): `low` is `newest − D` for
    /// `over D`, as it was when the newest value arrived. `sums` is what
    /// [`sums_snapshot`](Self::sums_snapshot) wrote, when present, so the
    /// float sums carry on bit for bit.
    pub fn restore(
        aggs: &[AggSpec],
        entries: Vec<(Millis, Box<[Value]>)>,
        over: Option<Millis>,
        sums: Option<&serde_json::Value>,
    ) -> Result<Slide, StateError> {
        let mut s = Slide::new(aggs);
        for (time, vals) in entries {
            let e = s.entry(time, vals);
            s.q.push_back(e);
        }
        if let (Some(d), Some(b)) = (over, s.q.back()) {
            s.low = b.time.saturating_sub(d);
            s.start = s.q.partition_point(|e| e.time <= s.low);
        }
        let (q, lo) = (&s.q, s.start);
        for (i, acc) in s.accs.iter_mut().enumerate() {
            for e in q.range(lo..) {
                acc.add(e, i, true);
            }
        }
        if let Some(sums) = sums {
            s.restore_sums(sums)?;
        }
        Ok(s)
    }

    /// The state a restore cannot recompute bit for bit from the kept values:
    /// the compensated float sums and when they are next rebuilt.
    pub fn sums_snapshot(&self) -> serde_json::Value {
        let accs: Vec<serde_json::Value> = self.accs.iter().map(SlideAcc::sums).collect();
        json!({ "updates": self.updates, "accs": accs })
    }

    fn restore_sums(&mut self, s: &serde_json::Value) -> Result<(), StateError> {
        let bad = || "running: bad sliding sums in state".to_string();
        self.updates = s.get("updates").and_then(|u| u.as_u64()).ok_or_else(bad)?;
        let accs = s.get("accs").and_then(|a| a.as_array()).ok_or_else(bad)?;
        if accs.len() != self.accs.len() {
            return Err(bad().into());
        }
        for (acc, s) in self.accs.iter_mut().zip(accs) {
            acc.restore_sums(s)?;
        }
        Ok(())
    }
}

/// The window as a range of the kept deque.
struct Window<'a> {
    q: &'a VecDeque<Entry>,
    lo: usize,
    end: usize,
}

impl Window<'_> {
    fn iter(&self) -> std::collections::vec_deque::Iter<'_, Entry> {
        self.q.range(self.lo..self.end)
    }

    /// What the one-pass accumulator gives over the window: the reference,
    /// and the answer where no faster one keeps the promise.
    fn recompute(&self, i: usize, func: AggFunc) -> Value {
        let mut acc = Accumulator::new(func);
        for e in self.iter() {
            acc.update(&e.vals[i]);
        }
        acc.result()
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    numeric(v).map(Num::as_f64)
}

/// A sliding accumulator: one aggregate over one key's window.
#[derive(Debug, Clone)]
enum SlideAcc {
    Count(u64),
    Sum(Total),
    Avg(Total),
    Stddev(Moments),
    Min(Extreme),
    Max(Extreme),
    /// Read off the window's ends.
    First,
    Last,
    Distinct(Box<FxHashMap<u64, u32>>),
    Percentile(Box<Quantiles>),
    /// Recomputed over the range's tail.
    Ewma,
}

impl SlideAcc {
    fn new(func: AggFunc) -> SlideAcc {
        match func {
            AggFunc::Count => SlideAcc::Count(0),
            AggFunc::Sum => SlideAcc::Sum(Total::default()),
            AggFunc::Avg => SlideAcc::Avg(Total::default()),
            AggFunc::Stddev => SlideAcc::Stddev(Moments::default()),
            AggFunc::Min => SlideAcc::Min(Extreme::new(Ordering::Less)),
            AggFunc::Max => SlideAcc::Max(Extreme::new(Ordering::Greater)),
            AggFunc::First => SlideAcc::First,
            AggFunc::Last => SlideAcc::Last,
            AggFunc::Distinct => SlideAcc::Distinct(Box::default()),
            AggFunc::Percentile(_) => SlideAcc::Percentile(Box::default()),
            AggFunc::Ewma(_) => SlideAcc::Ewma,
        }
    }

    /// `e.vals[i]` enters the window; `in_order`: at its back.
    fn add(&mut self, e: &Entry, i: usize, in_order: bool) {
        let v = &e.vals[i];
        if v.is_null() {
            return;
        }
        match self {
            SlideAcc::Count(n) => *n += 1,
            SlideAcc::Sum(t) | SlideAcc::Avg(t) => t.add(v, 1),
            SlideAcc::Stddev(m) => {
                if let Some(x) = as_f64(v) {
                    m.add(x)
                }
            }
            SlideAcc::Min(x) | SlideAcc::Max(x) => x.add(e, v, in_order),
            SlideAcc::Distinct(set) => {
                if let Some(h) = distinct::hash_value(v) {
                    *set.entry(h).or_insert(0) += 1;
                }
            }
            SlideAcc::Percentile(p) => p.change(v, 1),
            SlideAcc::First | SlideAcc::Last | SlideAcc::Ewma => {}
        }
    }

    /// `e.vals[i]` leaves the window (always its oldest value).
    fn remove(&mut self, e: &Entry, i: usize) {
        let v = &e.vals[i];
        if v.is_null() {
            return;
        }
        match self {
            SlideAcc::Count(n) => *n -= 1,
            SlideAcc::Sum(t) | SlideAcc::Avg(t) => t.add(v, -1),
            SlideAcc::Stddev(m) => {
                if let Some(x) = as_f64(v) {
                    m.remove(x)
                }
            }
            SlideAcc::Min(x) | SlideAcc::Max(x) => x.remove(e, v),
            SlideAcc::Distinct(set) => {
                if let Some(h) = distinct::hash_value(v) {
                    if let Some(c) = set.get_mut(&h) {
                        *c -= 1;
                        if *c == 0 {
                            set.remove(&h);
                        }
                    }
                }
            }
            SlideAcc::Percentile(p) => p.change(v, -1),
            SlideAcc::First | SlideAcc::Last | SlideAcc::Ewma => {}
        }
    }

    fn result(&self, w: &Window<'_>, i: usize, func: AggFunc) -> Value {
        match self {
            SlideAcc::Count(n) => Value::from(*n),
            SlideAcc::Sum(t) => match t.total() {
                Some(n) if n.as_f64().is_finite() => n.into_value(),
                Some(_) => w.recompute(i, func),
                None => Value::Null,
            },
            SlideAcc::Avg(t) => match t.total() {
                Some(n) if n.as_f64().is_finite() => {
                    Num::Float(n.as_f64() / t.n as f64).into_value()
                }
                Some(_) => w.recompute(i, func),
                None => Value::Null,
            },
            SlideAcc::Stddev(m) => match m.stddev() {
                Some(s) if s.is_finite() => number_from_f64(s),
                Some(_) => w.recompute(i, func),
                None => Value::Null,
            },
            SlideAcc::Min(x) | SlideAcc::Max(x) => match x.result() {
                Some(v) => v,
                None => w.recompute(i, func),
            },
            SlideAcc::First => w
                .iter()
                .map(|e| &e.vals[i])
                .find(|v| !v.is_null())
                .cloned()
                .unwrap_or(Value::Null),
            SlideAcc::Last => w
                .iter()
                .rev()
                .map(|e| &e.vals[i])
                .find(|v| !v.is_null())
                .cloned()
                .unwrap_or(Value::Null),
            SlideAcc::Distinct(set) if set.len() <= distinct::EXACT_LIMIT => {
                Value::from(set.len() as u64)
            }
            SlideAcc::Distinct(_) => w.recompute(i, func),
            SlideAcc::Percentile(p) => match func {
                AggFunc::Percentile(q) => p.result(q).unwrap_or_else(|| w.recompute(i, func)),
                _ => Value::Null,
            },
            SlideAcc::Ewma => match func {
                AggFunc::Ewma(alpha) => ewma_tail(w, i, alpha),
                _ => Value::Null,
            },
        }
    }

    /// Holds a compensated float sum that rounding can move.
    fn drifts(&self) -> bool {
        matches!(
            self,
            SlideAcc::Sum(_) | SlideAcc::Avg(_) | SlideAcc::Stddev(_)
        )
    }

    fn reset(&mut self) {
        match self {
            SlideAcc::Sum(t) | SlideAcc::Avg(t) => *t = Total::default(),
            SlideAcc::Stddev(m) => *m = Moments::default(),
            _ => {}
        }
    }

    fn sums(&self) -> serde_json::Value {
        match self {
            SlideAcc::Sum(t) | SlideAcc::Avg(t) => t.float.snapshot(),
            SlideAcc::Stddev(m) => json!({
                "shift": m.shift.map(f64_to_json),
                "s1": m.s1.snapshot(),
                "s2": m.s2.snapshot(),
            }),
            _ => serde_json::Value::Null,
        }
    }

    fn restore_sums(&mut self, s: &serde_json::Value) -> Result<(), StateError> {
        fn pair(v: Option<&serde_json::Value>) -> Result<Neumaier, StateError> {
            match v.and_then(|v| v.as_array()).map(Vec::as_slice) {
                Some([s, c]) => Ok(Neumaier {
                    s: f64_from_json(s)?,
                    c: f64_from_json(c)?,
                }),
                _ => bad("running: bad compensated sum in state"),
            }
        }
        match self {
            SlideAcc::Sum(t) | SlideAcc::Avg(t) => t.float = pair(Some(s))?,
            SlideAcc::Stddev(m) => {
                m.shift = match s.get("shift") {
                    None | Some(serde_json::Value::Null) => None,
                    Some(v) => Some(f64_from_json(v)?),
                };
                m.s1 = pair(s.get("s1"))?;
                m.s2 = pair(s.get("s2"))?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// A Neumaier-compensated sum: the rounding error of every addition is
/// carried in `c`, so adding and later subtracting the same values leaves
/// the total where it was to within an ulp or two.
#[derive(Debug, Clone, Copy, Default)]
struct Neumaier {
    s: f64,
    c: f64,
}

impl Neumaier {
    fn add(&mut self, x: f64) {
        let t = self.s + x;
        if self.s.abs() >= x.abs() {
            self.c += (self.s - t) + x;
        } else {
            self.c += (x - t) + self.s;
        }
        self.s = t;
    }

    fn value(&self) -> f64 {
        self.s + self.c
    }

    fn snapshot(&self) -> serde_json::Value {
        json!([f64_to_json(self.s), f64_to_json(self.c)])
    }
}

/// `sum`/`avg`: integers exactly, floats compensated. The one-pass sum turns
/// float at the first float value; so does this while a float is in range.
#[derive(Debug, Clone, Default)]
struct Total {
    n: u64,
    floats: u64,
    int: i128,
    float: Neumaier,
}

impl Total {
    fn add(&mut self, v: &Value, sign: i8) {
        let Some(x) = numeric(v) else { return };
        match x {
            Num::Int(i) => self.int = self.int.wrapping_add(i * sign as i128),
            Num::Float(f) => {
                self.float.add(f * sign as f64);
                self.floats = self.floats.wrapping_add_signed(sign as i64);
                if self.floats == 0 {
                    // No float left: nothing to round.
                    self.float = Neumaier::default();
                }
            }
        }
        self.n = self.n.wrapping_add_signed(sign as i64);
    }

    fn total(&self) -> Option<Num> {
        match (self.n, self.floats) {
            (0, _) => None,
            (_, 0) => Some(Num::Int(self.int)),
            _ => Some(Num::Float(self.int as f64 + self.float.value())),
        }
    }
}

/// `stddev`: count and the first two moments about `shift` (the first value,
/// or the newest at a rebuild), so values far from zero do not cancel.
#[derive(Debug, Clone, Default)]
struct Moments {
    n: u64,
    shift: Option<f64>,
    s1: Neumaier,
    s2: Neumaier,
}

impl Moments {
    fn add(&mut self, x: f64) {
        let k = *self.shift.get_or_insert(x);
        let d = x - k;
        self.n += 1;
        self.s1.add(d);
        self.s2.add(d * d);
    }

    fn remove(&mut self, x: f64) {
        let k = self.shift.unwrap_or(x);
        let d = x - k;
        self.n -= 1;
        if self.n == 0 {
            *self = Moments::default();
            return;
        }
        self.s1.add(-d);
        self.s2.add(-(d * d));
    }

    fn stddev(&self) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        let n = self.n as f64;
        let (s1, s2) = (self.s1.value(), self.s2.value());
        Some(((s2 - s1 * s1 / n) / n).max(0.0).sqrt())
    }
}

/// `min`/`max` over numbers: the candidates, in kept order, each better than
/// or equal to every later value of the window (so the front is the answer,
/// and of equal values the earliest). A value that is not a number makes
/// the one-pass comparison order-dependent: while one is in the window,
/// `result` gives `None` and the window is recomputed.
#[derive(Debug, Clone)]
struct Extreme {
    want: Ordering,
    cands: VecDeque<((Millis, u64), Value)>,
    odd: u64,
}

impl Extreme {
    fn new(want: Ordering) -> Extreme {
        Extreme {
            want,
            cands: VecDeque::new(),
            odd: 0,
        }
    }

    /// `a` wins against `b` (strictly).
    fn beats(&self, a: &Value, b: &Value) -> bool {
        value::compare(a, b) == Some(self.want)
    }

    fn add(&mut self, e: &Entry, v: &Value, in_order: bool) {
        if !matches!(v, Value::Number(_)) {
            self.odd += 1;
            return;
        }
        let key = e.order();
        if in_order {
            while self.cands.back().is_some_and(|(_, c)| self.beats(v, c)) {
                self.cands.pop_back();
            }
            self.cands.push_back((key, v.clone()));
            return;
        }
        let p = self.cands.partition_point(|(k, _)| *k < key);
        if self.cands.get(p).is_some_and(|(_, c)| self.beats(c, v)) {
            // A later value beats it: it can never be the answer.
            return;
        }
        let mut from = p;
        while from > 0 && self.beats(v, &self.cands[from - 1].1) {
            from -= 1;
        }
        self.cands.drain(from..p);
        self.cands.insert(from, (key, v.clone()));
    }

    fn remove(&mut self, e: &Entry, v: &Value) {
        if !matches!(v, Value::Number(_)) {
            self.odd -= 1;
        } else if self.cands.front().is_some_and(|(k, _)| *k == e.order()) {
            self.cands.pop_front();
        }
    }

    fn result(&self) -> Option<Value> {
        if self.odd > 0 {
            return None;
        }
        Some(self.cands.front().map_or(Value::Null, |(_, v)| v.clone()))
    }
}

/// Percentiles: the window's numbers as a counted multiset in value order,
/// keyed so that a sketch bucket is one contiguous run of keys, plus the
/// count of every bucket for finding a rank.
#[derive(Debug, Clone, Default)]
struct Quantiles {
    values: BTreeMap<QKey, u32>,
    n: u64,
    /// Values with a fraction: while there is none the answer is an integer.
    non_int: u64,
    neg: Bins,
    zero: u64,
    pos: Bins,
}

/// Sorts as the value does: negative buckets (most negative first), zero,
/// positive buckets; in a bucket by the value's bits in total order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct QKey {
    class: i8,
    bucket: i32,
    bits: u64,
}

const SIGN: u64 = 1 << 63;

impl QKey {
    fn of(x: f64) -> QKey {
        let b = x.to_bits();
        let bits = if b & SIGN != 0 { !b } else { b | SIGN };
        let (class, bucket) = if x > MIN_MAGNITUDE {
            (2, bucket_index(x))
        } else if x < -MIN_MAGNITUDE {
            (0, -bucket_index(-x))
        } else {
            (1, 0)
        };
        QKey {
            class,
            bucket,
            bits,
        }
    }

    fn value(self) -> f64 {
        f64::from_bits(if self.bits & SIGN != 0 {
            self.bits & !SIGN
        } else {
            !self.bits
        })
    }
}

impl Quantiles {
    fn change(&mut self, v: &Value, by: i64) {
        let Some(x) = as_f64(v).filter(|x| x.is_finite()) else {
            return;
        };
        let k = QKey::of(x);
        if by > 0 {
            *self.values.entry(k).or_insert(0) += 1;
        } else if let Some(c) = self.values.get_mut(&k) {
            *c -= 1;
            if *c == 0 {
                self.values.remove(&k);
            }
        }
        self.n = self.n.wrapping_add_signed(by);
        if x.fract() != 0.0 {
            self.non_int = self.non_int.wrapping_add_signed(by);
        }
        match k.class {
            0 => self.neg.add(k.bucket, by),
            1 => self.zero = self.zero.wrapping_add_signed(by),
            _ => self.pos.add(k.bucket, by),
        }
        if self.n == 0 {
            // Give back the buckets' memory.
            *self = Quantiles::default();
        }
    }

    /// The bucket holding rank `r` (1-based), and the rank inside it.
    fn locate(&self, r: u64) -> Option<(i8, i32, u64)> {
        if r <= self.neg.total {
            let (b, rest) = self.neg.find(r)?;
            return Some((0, b, rest));
        }
        let r = r - self.neg.total;
        if r <= self.zero {
            return Some((1, 0, r));
        }
        let (b, rest) = self.pos.find(r - self.zero)?;
        Some((2, b, rest))
    }

    /// `None` when only a recomputation can answer as the one-pass sketch
    /// does (a range wider than its bucket limit, where it merges buckets).
    fn result(&self, q: f64) -> Option<Value> {
        if self.n == 0 {
            return Some(Value::Null);
        }
        let r = percentile::rank(q, self.n);
        let x = if self.n as usize <= percentile::EXACT_LIMIT {
            let (class, bucket, mut rest) = self.locate(r)?;
            let from = QKey {
                class,
                bucket,
                bits: 0,
            };
            let to = QKey {
                bits: u64::MAX,
                ..from
            };
            let mut found = None;
            for (k, c) in self.values.range(from..=to) {
                if rest <= *c as u64 {
                    found = Some(k.value());
                    break;
                }
                rest -= *c as u64;
            }
            found?
        } else {
            if self.span(0) > MAX_BINS || self.span(2) > MAX_BINS {
                return None;
            }
            let min = self.values.keys().next()?.value();
            let max = self.values.keys().next_back()?.value();
            let x = match self.locate(r) {
                Some((0, b, _)) => -bucket_value(-b),
                Some((1, _, _)) => 0.0,
                Some((_, b, _)) => bucket_value(b),
                None => max,
            };
            x.clamp(min, max)
        };
        Some(if self.non_int == 0 && x.abs() < 9.0e15 {
            Value::from(x.round() as i64)
        } else {
            number_from_f64(x)
        })
    }

    /// How many buckets the values of a class span.
    fn span(&self, class: i8) -> usize {
        let from = QKey {
            class,
            bucket: i32::MIN,
            bits: 0,
        };
        let to = QKey {
            class,
            bucket: i32::MAX,
            bits: u64::MAX,
        };
        let mut r = self.values.range(from..=to);
        match (r.next(), r.next_back()) {
            (Some(a), Some(b)) => (b.0.bucket - a.0.bucket) as usize + 1,
            _ => 1,
        }
    }
}

const BLOCK: usize = 64;

/// Bucket counts, dense from `offset`, with a sum per 64 buckets so a rank
/// is found in buckets / 64 + 64 steps.
#[derive(Debug, Clone, Default)]
struct Bins {
    offset: i32,
    counts: Vec<u64>,
    blocks: Vec<u64>,
    total: u64,
}

impl Bins {
    fn add(&mut self, k: i32, by: i64) {
        if self.counts.is_empty() {
            self.offset = k - k.rem_euclid(BLOCK as i32);
        }
        if k < self.offset {
            let grow = (self.offset - k) as usize;
            let grow = grow.div_ceil(BLOCK) * BLOCK;
            let mut counts = vec![0; grow];
            counts.extend_from_slice(&self.counts);
            self.counts = counts;
            let mut blocks = vec![0; grow / BLOCK];
            blocks.extend_from_slice(&self.blocks);
            self.blocks = blocks;
            self.offset -= grow as i32;
        }
        let i = (k - self.offset) as usize;
        if i >= self.counts.len() {
            let len = (i + 1).div_ceil(BLOCK) * BLOCK;
            self.counts.resize(len, 0);
            self.blocks.resize(len / BLOCK, 0);
        }
        self.counts[i] = self.counts[i].wrapping_add_signed(by);
        self.blocks[i / BLOCK] = self.blocks[i / BLOCK].wrapping_add_signed(by);
        self.total = self.total.wrapping_add_signed(by);
    }

    /// The bucket where the running count from the lowest reaches `r`, and
    /// the rank inside that bucket.
    fn find(&self, r: u64) -> Option<(i32, u64)> {
        let mut seen = 0u64;
        for (b, c) in self.blocks.iter().enumerate() {
            if seen + c < r {
                seen += c;
                continue;
            }
            for (j, c) in self.counts[b * BLOCK..(b + 1) * BLOCK].iter().enumerate() {
                if seen + c >= r && *c > 0 {
                    return Some((self.offset + (b * BLOCK + j) as i32, r - seen));
                }
                seen += c;
            }
        }
        None
    }
}

/// `ewma` over the window, from the first of its last numeric values that
/// still weigh: the one-pass value starts at the range's first value, and a
/// value k steps back weighs (1 − alpha)^k, below 2⁻⁶⁴ past the tail taken.
fn ewma_tail(w: &Window<'_>, i: usize, alpha: f64) -> Value {
    let keep = if alpha >= 1.0 {
        1
    } else {
        let k = (-64.0 * std::f64::consts::LN_2 / (1.0 - alpha).ln()).ceil();
        if k.is_finite() && k < 1e7 {
            k as usize + 1
        } else {
            usize::MAX
        }
    };
    let mut from = w.end;
    let mut seen = 0usize;
    while from > w.lo && seen < keep {
        from -= 1;
        if as_f64(&w.q[from].vals[i]).is_some() {
            seen += 1;
        }
    }
    let mut acc = Accumulator::new(AggFunc::Ewma(alpha));
    for e in w.q.range(from..w.end) {
        acc.update(&e.vals[i]);
    }
    acc.result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::testkit::Rng;
    use crate::lang::ast::StageKind;

    fn specs(src: &str) -> Vec<AggSpec> {
        match &crate::lang::parse(&format!("running {src}"))
            .unwrap()
            .stages[0]
            .kind
        {
            StageKind::Running { aggs, .. } => {
                aggs.iter().map(|a| AggSpec::compile(a).unwrap()).collect()
            }
            _ => unreachable!(),
        }
    }

    /// `last n` over `values`, checking every `every`-th result with `check`.
    fn slide_last(
        aggs: &[AggSpec],
        values: impl Iterator<Item = Value>,
        n: usize,
        every: usize,
        mut check: impl FnMut(usize, &VecDeque<Entry>, &[Value]),
    ) {
        let mut s = Slide::new(aggs);
        let mut out = Vec::new();
        for (i, v) in values.enumerate() {
            let e = s.entry(0, vec![v; aggs.len()].into_boxed_slice());
            s.push(e);
            while s.q.len() > n {
                s.pop_front();
            }
            if i % every == 0 {
                s.results(aggs, &mut out);
                check(i, &s.q, &out);
            }
        }
    }

    /// Past 4096 values the percentiles answer as the one-pass sketch does,
    /// bucket for bucket; min, max and distinct stay exact.
    #[test]
    fn large_ranges_equal_the_one_pass_sketch() {
        let aggs =
            specs("p50(v), p95(v), percentile(v, 99.9), p99(v), min(v), max(v), distinct(v)");
        let mut rng = Rng::new(77);
        let values: Vec<Value> = (0..14_000)
            .map(|i| match i % 7 {
                0 => serde_json::json!(rng.below(100_000) as f64 / 7.0 - 3000.0),
                1 => Value::Null,
                _ => Value::from(5 + rng.below(3000).pow(2) / 1000),
            })
            .collect();
        for n in [4000, 5000, 9000] {
            slide_last(&aggs, values.iter().cloned(), n, 331, |i, q, got| {
                for (j, spec) in aggs.iter().enumerate() {
                    let mut acc = spec.new_acc();
                    q.iter().for_each(|e| acc.update(&e.vals[j]));
                    assert_eq!(got[j], acc.result(), "n {n} event {i}: {}", spec.name);
                }
            });
        }
    }

    /// A million values of wide magnitude through `last 1000`: sum, avg and
    /// stddev stay within a few ulps of the exact values (computed in
    /// integers: every value is a multiple of 2⁻²⁰), at the end as at the start.
    #[test]
    fn sums_do_not_drift_over_a_million_events() {
        let aggs = specs("sum(v), avg(v), stddev(v)");
        let mut rng = Rng::new(4242);
        let n = 1000;
        let ms: Vec<i64> = (0..1_000_000)
            .map(|i| {
                let base = if (i / 50_000) % 2 == 0 {
                    1i64 << 45
                } else {
                    -(1 << 38)
                };
                base + rng.below(1 << 40) as i64 - (1 << 39)
            })
            .collect();
        let scale = (1u64 << 20) as f64;
        let values = ms.iter().map(|m| serde_json::json!(*m as f64 / scale));
        let mut worst = [0f64; 3];
        slide_last(&aggs, values, n, 997, |i, _, got| {
            let w = &ms[(i + 1).saturating_sub(n)..=i];
            if w.len() < 2 {
                return;
            }
            let k = w.len() as i128;
            let s1: i128 = w.iter().map(|m| *m as i128).sum();
            let s2: i128 = w.iter().map(|m| (*m as i128) * (*m as i128)).sum();
            let sum = s1 as f64 / scale;
            let avg = sum / k as f64;
            let var = (k * s2 - s1 * s1) as f64 / (k * k) as f64 / (scale * scale);
            for (j, want) in [sum, avg, var.sqrt()].into_iter().enumerate() {
                let g = got[j].as_f64().unwrap();
                let err = (g - want).abs() / want.abs().max(1e-300);
                worst[j] = worst[j].max(err);
                assert!(
                    err < 1e-12,
                    "event {i}: {} = {g}, exact {want}",
                    aggs[j].name
                );
            }
        });
        // Sums are as good as correctly rounded; stddev within 1e-12.
        assert!(worst[0] < 1e-15 && worst[1] < 1e-15, "{worst:?}");
    }
}
