//! `running AGG, … [by KEYS] [over D | last N]`: every event passes on, in
//! arrival order, with the aggregates of its key so far added as fields
//! (`avg_latency_ms`, `count`, or the `as` names), after its own fields.
//!
//! Scopes:
//! - cumulative (default): one accumulator per key and aggregate, fed in
//!   arrival order. This is the hot path: the argument is read off the raw
//!   JSON bytes and nothing is allocated per event beyond the added fields.
//! - `over D`: the key's events with event time in `(t − D, t]`, `t` the
//!   event's own time, among the events seen so far (an event that arrived
//!   earlier with a later time is not in the past of this one). The values
//!   are kept sorted by time; the aggregates of the newest range are kept up
//!   to date as values enter and leave it (`exec::slide`), so an event in
//!   time order costs O(1) or O(log n). An event out of time order gets its
//!   range recomputed (O(values in range)). Values older than
//!   `watermark − D` can never be in a range again and are dropped; an event
//!   behind the watermark is late (counted, dead-lettered, not passed on), as
//!   in Flink's OVER windows, which keeps results independent of that
//!   dropping.
//! - `last N`: the key's last N events in arrival order, this one included,
//!   slid the same way.
//!
//! In `over` and `last`, an aggregate starts afresh for each range, so
//! `ewma` starts at the range's first value. The results are those of the
//! one-pass accumulators fed the range in order (`recompute`, the reference
//! the property tests hold the sliding path to).

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::agg::{Accumulator, AggSpec};
use super::key::{KeyExtractor, KeyIn, KeyOut};
use super::slide::{Entry, Slide};
use super::state::{self, Version};
use super::{Emit, ExecResult, Flow, Operator, RawValue, StateError, StateSize};
use crate::event::Event;
use crate::lang::ast::RunningScope;
use crate::timefmt::Millis;
use crate::value::Value;

/// `RunningScope` with `last N` checked to be at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Cumulative,
    Over(Millis),
    Last(usize),
}

impl Scope {
    /// `None` for `last 0`, which keeps nothing.
    pub fn of(s: RunningScope) -> Option<Scope> {
        Some(match s {
            RunningScope::Cumulative => Scope::Cumulative,
            RunningScope::Over(d) if d > 0 => Scope::Over(d),
            RunningScope::Over(_) => return None,
            RunningScope::Last(n) if n > 0 => Scope::Last(usize::try_from(n).ok()?),
            RunningScope::Last(_) => return None,
        })
    }
}

enum Group {
    Cumulative(Vec<Accumulator>),
    /// `over`: sorted by time (ties in arrival order); `last`: arrival order.
    Kept(Box<Slide>),
}

pub struct Running {
    aggs: Vec<AggSpec>,
    keys: KeyExtractor,
    scope: Scope,
    /// Key → index in `groups`: one lookup per event, no allocation for a
    /// known key.
    index: FxHashMap<Box<[u8]>, usize>,
    groups: Vec<(Box<[u8]>, Group)>,
    watermark: Millis,
    /// Watermark of the last sweep over every key (`over`), see `on_watermark`.
    swept: Millis,
    buf: Vec<u8>,
    results: Vec<Value>,
}

impl Running {
    pub fn new(aggs: Vec<AggSpec>, keys: KeyExtractor, scope: Scope) -> Running {
        Running {
            aggs,
            keys,
            scope,
            index: FxHashMap::default(),
            groups: Vec::new(),
            watermark: Millis::MIN,
            swept: Millis::MIN,
            buf: Vec::new(),
            results: Vec::new(),
        }
    }

    fn reindex(&mut self) {
        self.index.clear();
        for (i, (k, _)) in self.groups.iter().enumerate() {
            self.index.insert(k.clone(), i);
        }
    }

    fn new_group(&self) -> Group {
        match self.scope {
            Scope::Cumulative => {
                Group::Cumulative(self.aggs.iter().map(AggSpec::new_acc).collect())
            }
            Scope::Over(_) | Scope::Last(_) => Group::Kept(Box::new(Slide::new(&self.aggs))),
        }
    }

    fn values(&self, ev: &Event<'_>) -> Box<[Value]> {
        self.aggs
            .iter()
            .map(|a| match a.arg_value(ev) {
                Some(v) => v.into_owned(),
                None => Value::Bool(true),
            })
            .collect()
    }

    /// The results over `entries`, each aggregate fed in order.
    fn recompute<'e>(
        aggs: &[AggSpec],
        entries: impl Iterator<Item = &'e Entry> + Clone,
        results: &mut Vec<Value>,
    ) {
        results.clear();
        for (i, spec) in aggs.iter().enumerate() {
            let mut acc = spec.new_acc();
            for e in entries.clone() {
                acc.update(&e.vals[i]);
            }
            results.push(acc.result());
        }
    }
}

impl Operator for Running {
    fn on_event(&mut self, ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        let time = match self.scope {
            Scope::Over(_) => {
                // The plan turns event time on for `over`.
                let t = ev.time().unwrap_or(self.watermark.max(0));
                if t < self.watermark {
                    out.late(&ev);
                    return Ok(Flow::Continue);
                }
                t
            }
            _ => 0,
        };
        self.keys.encode(&ev, &mut self.buf);
        // Without keys there is one group: skip the map.
        let known = match self.groups.first() {
            Some(_) if self.keys.is_empty() => Some(0),
            _ => self.index.get(self.buf.as_slice()).copied(),
        };
        let idx = match known {
            Some(i) => i,
            None => {
                let k: Box<[u8]> = self.buf.as_slice().into();
                let g = self.new_group();
                self.index.insert(k.clone(), self.groups.len());
                self.groups.push((k, g));
                self.groups.len() - 1
            }
        };
        let vals = match self.scope {
            Scope::Cumulative => None,
            _ => Some(self.values(&ev)),
        };
        let Some((_, group)) = self.groups.get_mut(idx) else {
            return Ok(Flow::Continue);
        };
        // The names are lent to the event (it lives no longer than this call).
        let mut ev: Event<'_> = ev;
        match (group, self.scope, vals) {
            (Group::Cumulative(accs), _, _) => {
                // Each result goes straight into the event, read before
                // anything is added (an aggregate may read a field another
                // one adds: `running avg(x) as x, …`).
                self.results.clear();
                for (spec, acc) in self.aggs.iter().zip(accs.iter_mut()) {
                    spec.update(acc, &ev);
                }
                for (spec, acc) in self.aggs.iter().zip(accs.iter()) {
                    ev.append_field(&spec.name, Cow::Owned(acc.result()));
                }
            }
            (Group::Kept(s), Scope::Over(d), Some(vals)) => {
                s.expire(self.watermark.saturating_sub(d));
                let e = s.entry(time, vals);
                if s.in_order(time) {
                    s.push(e);
                    s.slide_to(time.saturating_sub(d));
                    s.results(&self.aggs, &mut self.results);
                } else {
                    let at = s.insert(e);
                    let lo = s.q.partition_point(|e| e.time <= time.saturating_sub(d));
                    Self::recompute(&self.aggs, s.q.range(lo..=at), &mut self.results);
                }
            }
            (Group::Kept(s), Scope::Last(n), Some(vals)) => {
                let e = s.entry(time, vals);
                s.push(e);
                while s.q.len() > n {
                    s.pop_front();
                }
                s.results(&self.aggs, &mut self.results);
            }
            (Group::Kept(_), _, _) => {}
        }
        for (spec, v) in self.aggs.iter().zip(self.results.drain(..)) {
            ev.append_field(&spec.name, Cow::Owned(v));
        }
        out.emit(ev)
    }

    fn on_watermark(&mut self, wm: Millis, _out: &mut dyn Emit) -> ExecResult {
        self.watermark = self.watermark.max(wm);
        // Each key drops its old values when it sees an event; keys that went
        // quiet are swept once the watermark moved D since the last sweep, so
        // memory holds the keys of the last 2·D (plus lateness).
        if let Scope::Over(d) = self.scope {
            if self.watermark.saturating_sub(self.swept) >= d {
                let horizon = self.watermark.saturating_sub(d);
                self.groups.retain_mut(|(_, g)| match g {
                    Group::Kept(s) => {
                        s.expire(horizon);
                        !s.q.is_empty()
                    }
                    Group::Cumulative(_) => true,
                });
                self.reindex();
                self.swept = self.watermark;
            }
        }
        Ok(Flow::Continue)
    }

    fn state_size(&self) -> Option<StateSize> {
        let acc = std::mem::size_of::<Accumulator>() as u64;
        let bytes = self
            .groups
            .iter()
            .map(|(k, g)| {
                // The key twice (index and list), then the group's state.
                2 * (k.len() as u64 + 24)
                    + match g {
                        Group::Cumulative(accs) => {
                            accs.iter().map(|a| acc + a.heap_bytes()).sum::<u64>()
                        }
                        Group::Kept(s) => s.heap_bytes(),
                    }
            })
            .sum();
        Some(StateSize {
            groups: self.groups.len() as u64,
            windows: 0,
            bytes,
        })
    }

    fn save(&self, out: &mut dyn std::io::Write) -> serde_json::Result<()> {
        // In the order the groups are kept (no sort: see dedup).
        let groups = self.groups.iter().map(|(k, g)| match g {
            Group::Cumulative(accs) => GroupOut::Cumulative((KeyOut(k), &accs[..])),
            // The sliding sums' rounding state goes with the kept values, so
            // a restored run carries on bit for bit (older checkpoints lack it).
            Group::Kept(s) => GroupOut::Kept((
                KeyOut(k),
                state::iter(s.q.iter().map(|e| (e.time, &e.vals[..]))),
                s.sums_snapshot(),
            )),
        });
        serde_json::to_writer(
            out,
            &RunningOut {
                version: Version,
                watermark: self.watermark,
                swept: self.swept,
                groups: state::iter(groups),
            },
        )
    }

    fn restore(&mut self, state: &RawValue) -> Result<(), StateError> {
        let bad = |what: &str| StateError::invalid("running", format!("state {what}"));
        let st: RunningIn = state::parse(state)?;
        let mut groups = Vec::new();
        state::each(st.groups, |g: Vec<&RawValue>| {
            let (k, items, sums) = match g.as_slice() {
                [k, s] => (k, s, None),
                [k, s, sums] => (k, s, Some(state::parse::<Value>(sums)?)),
                _ => return Err(bad("has a bad group")),
            };
            let KeyIn(k) = state::parse(k)?;
            let group = match self.new_group() {
                Group::Cumulative(mut accs) => {
                    let items: Vec<&RawValue> = state::parse(items)?;
                    if items.len() != accs.len() {
                        return Err(StateError::Aggregates {
                            stage: "running",
                            found: items.len(),
                            want: accs.len(),
                        });
                    }
                    for (acc, s) in accs.iter_mut().zip(items) {
                        acc.restore_raw(s)
                            .map_err(|why| StateError::invalid("running", why.to_string()))?;
                    }
                    Group::Cumulative(accs)
                }
                Group::Kept(_) => {
                    let mut entries = Vec::new();
                    state::each(items, |(time, vals): (Millis, Vec<Value>)| {
                        if vals.len() != self.aggs.len() {
                            return Err(bad("has a bad kept event"));
                        }
                        entries.push((time, vals.into_boxed_slice()));
                        Ok(())
                    })?;
                    let over = match self.scope {
                        Scope::Over(d) => Some(d),
                        _ => None,
                    };
                    let slide = Slide::restore(&self.aggs, entries, over, sums.as_ref())
                        .map_err(|why| StateError::invalid("running", why.to_string()))?;
                    Group::Kept(Box::new(slide))
                }
            };
            groups.push((k.into_boxed_slice(), group));
            Ok(())
        })?;
        self.watermark = st.watermark;
        self.swept = st.swept;
        self.groups = groups;
        self.reindex();
        if self.index.len() != self.groups.len() {
            return Err(StateError::KeyTwice { stage: "running" });
        }
        Ok(())
    }
}

/// What a checkpoint keeps of `running`: per key (in the order kept) its
/// aggregates' states, or the values it keeps (`over D`, `last N`) with the
/// sliding sums' rounding state.
#[derive(Serialize)]
struct RunningOut<G> {
    version: Version<1>,
    watermark: Millis,
    swept: Millis,
    groups: G,
}

#[derive(Serialize)]
#[serde(untagged)]
enum GroupOut<'a, Q> {
    Cumulative((KeyOut<'a>, &'a [Accumulator])),
    Kept((KeyOut<'a>, Q, serde_json::Value)),
}

#[derive(Deserialize)]
struct RunningIn<'a> {
    #[serde(default)]
    #[allow(dead_code)]
    version: Version<1>,
    watermark: Millis,
    swept: Millis,
    #[serde(borrow)]
    groups: &'a RawValue,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::testkit::{assert_snapshot_restore_equivalent, Step};
    use crate::lang::ast::StageKind;

    fn make(src: &str) -> Box<dyn Operator> {
        let p = crate::lang::parse(src).expect("parses");
        match &p.stages[0].kind {
            StageKind::Running { aggs, by, scope } => Box::new(Running::new(
                aggs.iter().map(|a| AggSpec::compile(a).unwrap()).collect(),
                KeyExtractor::new(by).unwrap(),
                Scope::of(*scope).unwrap(),
            )),
            other => panic!("not running: {other:?}"),
        }
    }

    #[test]
    fn cumulative_by_key() {
        let steps = [
            Step::Event(r#"{"p":"a","ms":10}"#, None),
            Step::Event(r#"{"p":"b","ms":20}"#, None),
            Step::Event(r#"{"p":"a","ms":30}"#, None),
            Step::Event(r#"{"p":"a","ms":null}"#, None),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(
            &|| make("running avg(ms), count, ewma(ms, 0.5) as e by p"),
            &steps,
        );
        assert_eq!(
            out,
            [
                r#"{"p":"a","ms":10,"avg_ms":10.0,"count":1,"e":10.0}"#,
                r#"{"p":"b","ms":20,"avg_ms":20.0,"count":1,"e":20.0}"#,
                r#"{"p":"a","ms":30,"avg_ms":20.0,"count":2,"e":20.0}"#,
                r#"{"p":"a","ms":null,"avg_ms":20.0,"count":3,"e":20.0}"#,
            ]
        );
    }

    #[test]
    fn over_d_is_the_half_open_range_before_each_event() {
        let steps = [
            Step::Event(r#"{"v":1}"#, Some(1000)),
            Step::Event(r#"{"v":2}"#, Some(1500)),
            Step::Event(r#"{"v":4}"#, Some(2000)),
            // Out of order, within lateness.
            Step::Event(r#"{"v":8}"#, Some(1800)),
            Step::Watermark(1800),
            Step::Event(r#"{"v":16}"#, Some(2500)),
            // Behind the watermark: late.
            Step::Event(r#"{"v":32}"#, Some(1700)),
            Step::Watermark(5000),
            Step::Event(r#"{"v":64}"#, Some(5000)),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(
            &|| make("running sum(v), count, first(v), last(v) over 1s"),
            &steps,
        );
        assert_eq!(
            out,
            [
                r#"{"v":1,"sum_v":1,"count":1,"first_v":1,"last_v":1} @1000"#,
                r#"{"v":2,"sum_v":3,"count":2,"first_v":1,"last_v":2} @1500"#,
                // (1000, 2000]: 1000 is out.
                r#"{"v":4,"sum_v":6,"count":2,"first_v":2,"last_v":4} @2000"#,
                // (800, 1800]: 1000, 1500, 1800 — in time order.
                r#"{"v":8,"sum_v":11,"count":3,"first_v":1,"last_v":8} @1800"#,
                // (1500, 2500]: 1800, 2000, 2500.
                r#"{"v":16,"sum_v":28,"count":3,"first_v":8,"last_v":16} @2500"#,
                r#"late:{"v":32}"#,
                r#"{"v":64,"sum_v":64,"count":1,"first_v":64,"last_v":64} @5000"#,
            ]
        );
    }

    #[test]
    fn last_n_by_key_in_arrival_order() {
        let steps = [
            Step::Event(r#"{"k":"x","v":1}"#, None),
            Step::Event(r#"{"k":"y","v":100}"#, None),
            Step::Event(r#"{"k":"x","v":2}"#, None),
            Step::Event(r#"{"k":"x","v":3}"#, None),
            Step::Event(r#"{"k":"x","v":4}"#, None),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(
            &|| make("running max(v), avg(v), ewma(v, 0.5) by k last 2"),
            &steps,
        );
        assert_eq!(
            out,
            [
                r#"{"k":"x","v":1,"max_v":1,"avg_v":1.0,"ewma_v":1.0}"#,
                r#"{"k":"y","v":100,"max_v":100,"avg_v":100.0,"ewma_v":100.0}"#,
                r#"{"k":"x","v":2,"max_v":2,"avg_v":1.5,"ewma_v":1.5}"#,
                r#"{"k":"x","v":3,"max_v":3,"avg_v":2.5,"ewma_v":2.5}"#,
                r#"{"k":"x","v":4,"max_v":4,"avg_v":3.5,"ewma_v":3.5}"#,
            ]
        );
    }

    /// Random keys, times out of order and watermarks: `over D` equals a
    /// brute-force model that keeps everything (late = behind the watermark).
    #[test]
    fn over_d_equals_a_model_that_forgets_nothing() {
        let mut rng = crate::exec::testkit::Rng::new(0x2545_f491_4f6c_dd1d);
        let mut next = |n: u64| rng.below(n);
        for round in 0..20 {
            let d = 1 + next(3000) as i64;
            let lateness = next(2000) as i64;
            let mut op = Running::new(
                vec![
                    AggSpec::compile(&agg_call("sum(v)")).unwrap(),
                    AggSpec::compile(&agg_call("count")).unwrap(),
                ],
                KeyExtractor::new(&by_k()).unwrap(),
                Scope::Over(d),
            );
            let mut out = crate::exec::testkit::Collect::default();
            let mut seen: Vec<(u64, i64, u64)> = Vec::new();
            let mut expected = Vec::new();
            let (mut max_t, mut wm) = (0i64, Millis::MIN);
            for i in 0..400i64 {
                let k = next(6);
                let v = next(100);
                let t = i * 40 + next(2500) as i64;
                if t < wm {
                    expected.push(format!(r#"late:{{"k":{k},"v":{v}}}"#));
                } else {
                    seen.push((k, t, v));
                    let range = seen
                        .iter()
                        .filter(|(kk, tt, _)| *kk == k && *tt > t - d && *tt <= t);
                    let (sum, n) = range.fold((0, 0), |(s, n), e| (s + e.2, n + 1));
                    expected.push(format!(
                        r#"{{"k":{k},"v":{v},"sum_v":{sum},"count":{n}}} @{t}"#
                    ));
                }
                let mut m = serde_json::Map::new();
                m.insert("k".into(), Value::from(k));
                m.insert("v".into(), Value::from(v));
                op.on_event(Event::new_row(m, Some(t)), &mut Direct(&mut out))
                    .unwrap();
                max_t = max_t.max(t);
                wm = wm.max(max_t - lateness);
                op.on_watermark(wm, &mut Direct(&mut out)).unwrap();
            }
            assert_eq!(
                out.lines, expected,
                "round {round}, D {d}, lateness {lateness}"
            );
        }
    }

    /// The sliding path's state (kept values, candidates, compensated
    /// float sums) survives a checkpoint at every cut point, bit for bit.
    #[test]
    fn sliding_floats_survive_snapshot_and_restore() {
        let lines: Vec<&'static str> = (0..36)
            .map(|i| {
                let v = match i % 6 {
                    0 => "null".to_string(),
                    1 => format!("{}", i * 7 % 10),
                    _ => format!("{}", (i * 37 % 23) as f64 * 0.1 + 1e6),
                };
                &*Box::leak(format!(r#"{{"k":{},"v":{v}}}"#, i % 2).into_boxed_str())
            })
            .collect();
        for src in [
            "running avg(v), sum(v), stddev(v), min(v), p95(v), first(v), ewma(v, 0.5) by k over 2s",
            "running avg(v), stddev(v), max(v), p50(v), last(v), distinct(v) by k last 5",
        ] {
            let mut steps = Vec::new();
            for (i, l) in lines.iter().enumerate() {
                // Every fifth event is 700 ms out of order.
                let t = i as i64 * 300 - if i % 5 == 4 { 700 } else { 0 };
                steps.push(Step::Event(l, Some(t)));
                if i % 3 == 2 {
                    steps.push(Step::Watermark(t - 1000));
                }
            }
            steps.push(Step::End);
            let out = assert_snapshot_restore_equivalent(&|| make(src), &steps);
            assert_eq!(out.len(), lines.len(), "{src}");
        }
    }

    /// Every aggregate, as a `running` stage lists them.
    const ALL_AGGS: &str = "count, sum(v), avg(v), min(v), max(v), distinct(v), \
        p50(v), p95(v), percentile(v, 99.9), stddev(v), first(v), last(v), ewma(v, 0.3)";

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

    /// The reference: each aggregate of `range` recomputed by a one-pass
    /// accumulator, as `running` did before it slid (issue 19).
    fn reference(aggs: &[AggSpec], range: &[&Value]) -> Vec<Value> {
        aggs.iter()
            .map(|spec| {
                let mut acc = spec.new_acc();
                for v in range {
                    match spec.func {
                        crate::lang::ast::AggFunc::Count if spec.name == "count" => {
                            acc.update_event()
                        }
                        _ => acc.update(v),
                    }
                }
                acc.result()
            })
            .collect()
    }

    /// Equal, or (where `exact` is off or the aggregate rounds differently
    /// by design) both floats within 1e-9 of the larger magnitude involved.
    fn same(name: &str, got: &Value, want: &Value, exact: bool, scale: f64) -> bool {
        if got == want {
            return true;
        }
        let loose = !exact || name.starts_with("stddev") || name.starts_with("ewma");
        match (got, want) {
            (Value::Number(a), Value::Number(b)) if loose && a.is_f64() == b.is_f64() => {
                let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
                (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(scale)
            }
            _ => false,
        }
    }

    /// A random value for `v`: mostly numbers (integers, or floats that
    /// add exactly when `exact`), some nulls, missing fields and strings.
    fn random_value(
        rng: &mut crate::exec::testkit::Rng,
        exact: bool,
        odd: bool,
        narrow: bool,
    ) -> Option<Value> {
        Some(match rng.below(20) {
            0 => Value::Null,
            1 => return None,
            2 if odd => Value::from(format!("{}", rng.below(50))),
            3 if odd => Value::from("x"),
            // Few distinct values: ties, and `3` against `3.0`.
            4..=9 if narrow => serde_json::json!(rng.below(12) as f64 / 2.0),
            10..=19 if narrow => Value::from(rng.below(6)),
            4..=9 if exact => serde_json::json!((rng.below(4000) as f64 - 2000.0) / 8.0),
            4..=9 => serde_json::json!((rng.below(1 << 40) as f64 - 5e11) / 1e7),
            _ => Value::from(rng.below(1000) as i64 - 300),
        })
    }

    /// Random keys, values, times, watermarks and ranges: the sliding path
    /// gives what the reference gives, for every aggregate and event.
    #[test]
    fn sliding_equals_recomputation_over_random_ranges() {
        let mut rng = crate::exec::testkit::Rng::new(0x9e37_79b9_7f4a_7c15);
        let aggs = specs(ALL_AGGS);
        for round in 0..60u64 {
            let exact = round % 2 == 0;
            let odd = round % 3 == 0;
            let narrow = round % 5 < 2;
            let keys = 1 + rng.below(4);
            let over = round % 4 != 3;
            let scope = if over {
                Scope::Over(1 + rng.below(4000) as i64)
            } else {
                Scope::Last(1 + rng.below(300) as usize)
            };
            let lateness = rng.below(1500) as i64;
            let mut op = Running::new(aggs.clone(), KeyExtractor::new(&by_k()).unwrap(), scope);
            let mut out = crate::exec::testkit::Collect::default();
            // (key, time, value) of every event passed on, in arrival order.
            let mut seen: Vec<(u64, i64, Value)> = Vec::new();
            let mut expected: Vec<Option<Vec<Value>>> = Vec::new();
            let (mut max_t, mut wm) = (0i64, Millis::MIN);
            for i in 0..500i64 {
                let k = rng.below(keys);
                let v = random_value(&mut rng, exact, odd, narrow);
                // Mostly in order, some out of order within and past lateness.
                let t = i * 25
                    + if rng.below(5) == 0 {
                        rng.below(2000) as i64
                    } else {
                        0
                    };
                let mut m = serde_json::Map::new();
                m.insert("k".into(), Value::from(k));
                if let Some(v) = &v {
                    m.insert("v".into(), v.clone());
                }
                let v = v.unwrap_or(Value::Null);
                if over && t < wm {
                    expected.push(None);
                } else {
                    seen.push((k, t, v));
                    let mut range: Vec<(i64, usize)> = match scope {
                        Scope::Over(d) => seen
                            .iter()
                            .enumerate()
                            .filter(|(_, e)| e.0 == k && e.1 > t - d && e.1 <= t)
                            .map(|(j, e)| (e.1, j))
                            .collect(),
                        _ => seen
                            .iter()
                            .enumerate()
                            .filter(|(_, e)| e.0 == k)
                            .map(|(j, _)| (0, j))
                            .collect(),
                    };
                    range.sort();
                    if let Scope::Last(n) = scope {
                        range.drain(..range.len().saturating_sub(n));
                    }
                    let vals: Vec<&Value> = range.iter().map(|(_, j)| &seen[*j].2).collect();
                    expected.push(Some(reference(&aggs, &vals)));
                }
                let time = if over { Some(t) } else { None };
                op.on_event(Event::new_row(m, time), &mut Direct(&mut out))
                    .unwrap();
                if over {
                    max_t = max_t.max(t);
                    wm = wm.max(max_t - lateness);
                    op.on_watermark(wm, &mut Direct(&mut out)).unwrap();
                }
            }
            assert_eq!(out.lines.len(), expected.len());
            for (i, (line, want)) in out.lines.iter().zip(&expected).enumerate() {
                let Some(want) = want else {
                    assert!(line.starts_with("late:"), "round {round} event {i}: {line}");
                    continue;
                };
                let text = line.split(" @").next().unwrap();
                let got: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap();
                for (spec, w) in aggs.iter().zip(want) {
                    let g = &got[&spec.name];
                    assert!(
                        same(&spec.name, g, w, exact, 1e3),
                        "round {round} ({scope:?}) event {i}: {} = {g}, reference {w}",
                        spec.name
                    );
                }
            }
        }
    }

    fn agg_call(src: &str) -> crate::lang::ast::AggCall {
        match &crate::lang::parse(&format!("running {src}"))
            .unwrap()
            .stages[0]
            .kind
        {
            StageKind::Running { aggs, .. } => aggs[0].clone(),
            _ => unreachable!(),
        }
    }

    fn by_k() -> Vec<crate::lang::ast::KeyItem> {
        match &crate::lang::parse("running count by k").unwrap().stages[0].kind {
            StageKind::Running { by, .. } => by.clone(),
            _ => unreachable!(),
        }
    }

    /// An `Emit` straight into a test collector.
    struct Direct<'a>(&'a mut crate::exec::testkit::Collect);
    impl Emit for Direct<'_> {
        fn emit(&mut self, ev: Event<'_>) -> ExecResult {
            use crate::exec::chain::Sink;
            self.0.write(ev)
        }
        fn late(&mut self, ev: &Event<'_>) {
            use crate::exec::chain::Sink;
            self.0.late(ev)
        }
        fn stats(&mut self) -> &mut crate::exec::Stats {
            &mut self.0.stats
        }
        fn warn(&mut self, message: &str) {
            use crate::exec::chain::Sink;
            self.0.warn(message)
        }
    }

    #[test]
    fn over_d_forgets_quiet_keys() {
        let mut steps = Vec::new();
        let lines: Vec<&'static str> = (0..50)
            .map(|i| &*Box::leak(format!(r#"{{"k":{i}}}"#).into_boxed_str()))
            .collect();
        for (i, l) in lines.iter().enumerate() {
            steps.push(Step::Event(l, Some(i as i64 * 1000)));
            steps.push(Step::Watermark(i as i64 * 1000));
        }
        let mut chain = crate::exec::Chain::new(vec![make("running count by k over 5s")]);
        let mut out = crate::exec::testkit::Collect::default();
        crate::exec::testkit::drive(&mut chain, &steps, &mut out);
        assert_eq!(out.lines.len(), 50);
        // Only keys with values in the last 2·D are remembered.
        let snap: Value = serde_json::from_str(&chain.snapshot_text()).unwrap();
        let groups = snap[0]["groups"].as_array().unwrap().len();
        assert!(groups <= 10, "{groups} keys remembered");
    }
}
