//! `dedup KEYS [within D]`: drop an event whose KEYS were seen before.
//!
//! Without `within`, every key ever seen is remembered (memory grows with the
//! number of distinct keys, like `sort -u`). With `within D`, an event is a
//! duplicate when its key was seen — by any earlier event, kept or dropped —
//! less than D of event time away from it, so a key repeating every D/2
//! stays suppressed (a debounce). A key is forgotten once the watermark is D
//! past the latest time it was seen, so memory is bounded by the keys seen in
//! the last D + lateness. Forgetting never changes a result: an event behind
//! the watermark (the only kind that could have matched a forgotten key) is
//! late, and is counted as late and dropped, as in windows (DESIGN §5).
//!
//! Must not allocate for a key it already knows (the hot path on duplicates).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::key::{KeyExtractor, KeyIn, KeyOut};
use super::state::{self, Version};
use super::{Emit, ExecResult, Flow, Operator, RawValue, StateError, StateSize};
use crate::event::Event;
use crate::timefmt::Millis;

pub struct Dedup {
    keys: KeyExtractor,
    within: Option<Millis>,
    /// Key → latest event time it was seen at (0 without `within`).
    seen: FxHashMap<Box<[u8]>, Millis>,
    /// With `within`: one entry per remembered key, ordered by a time at or
    /// before its latest sighting; popped when the watermark passes it.
    expiry: BinaryHeap<Reverse<(Millis, Box<[u8]>)>>,
    watermark: Millis,
    buf: Vec<u8>,
}

impl Dedup {
    pub fn new(keys: KeyExtractor, within: Option<Millis>) -> Dedup {
        Dedup {
            keys,
            within,
            seen: FxHashMap::default(),
            expiry: BinaryHeap::new(),
            watermark: Millis::MIN,
            buf: Vec::new(),
        }
    }

    /// Keys currently remembered (for tests of bounded memory).
    pub fn remembered(&self) -> usize {
        self.seen.len()
    }
}

impl Operator for Dedup {
    fn state_size(&self) -> Option<StateSize> {
        let keys: u64 = self.seen.keys().map(|k| k.len() as u64).sum();
        Some(StateSize {
            groups: self.seen.len() as u64,
            windows: 0,
            // Map slots, key bytes, the expiry heap (its own copy of each key).
            bytes: self.seen.capacity() as u64 * 25
                + keys
                + self.expiry.capacity() as u64 * 24
                + if self.within.is_some() { keys } else { 0 },
        })
    }

    fn on_event(&mut self, ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        self.keys.encode(&ev, &mut self.buf);
        let Some(within) = self.within else {
            if self.seen.contains_key(self.buf.as_slice()) {
                return Ok(Flow::Continue);
            }
            self.seen.insert(self.buf.as_slice().into(), 0);
            return out.emit(ev);
        };
        // The plan turns event time on for `within`; an event without a
        // time (none reaches here) counts as seen now.
        let t = ev.time().unwrap_or(self.watermark.max(0));
        if t < self.watermark {
            out.late(&ev);
            return Ok(Flow::Continue);
        }
        if let Some(last) = self.seen.get_mut(self.buf.as_slice()) {
            let dup = t.abs_diff(*last) < within.unsigned_abs();
            *last = (*last).max(t);
            if dup {
                return Ok(Flow::Continue);
            }
        } else {
            let k: Box<[u8]> = self.buf.as_slice().into();
            self.expiry.push(Reverse((t, k.clone())));
            self.seen.insert(k, t);
        }
        out.emit(ev)
    }

    fn on_watermark(&mut self, wm: Millis, _out: &mut dyn Emit) -> ExecResult {
        self.watermark = self.watermark.max(wm);
        let Some(within) = self.within else {
            return Ok(Flow::Continue);
        };
        // A key seen last at `last` can still match an event at t ≥ wm only
        // when t − last < D, i.e. last > wm − D.
        let horizon = self.watermark.saturating_sub(within);
        while let Some(Reverse((t, _))) = self.expiry.peek() {
            if *t > horizon {
                break;
            }
            let Some(Reverse((_, k))) = self.expiry.pop() else {
                break;
            };
            match self.seen.get(&k) {
                Some(&last) if last > horizon => self.expiry.push(Reverse((last, k))),
                _ => {
                    self.seen.remove(&k);
                }
            }
        }
        Ok(Flow::Continue)
    }

    fn save(&self, out: &mut dyn std::io::Write) -> serde_json::Result<()> {
        // In the map's order (FxHash has no random seed, so a run that saw
        // the same keys writes the same checkpoint). Sorting cost more than
        // writing: millions of key comparisons, each two cache misses.
        serde_json::to_writer(
            out,
            &DedupOut {
                version: Version,
                watermark: self.watermark,
                seen: state::iter(self.seen.iter().map(|(k, t)| (KeyOut(k), t))),
            },
        )
    }

    fn restore(&mut self, state: &RawValue) -> Result<(), StateError> {
        let st: DedupIn = state::parse(state)?;
        self.watermark = st.watermark;
        self.seen.clear();
        self.expiry.clear();
        let within = self.within.is_some();
        let (seen, expiry) = (&mut self.seen, &mut self.expiry);
        state::each(st.seen, |(KeyIn(k), t): (KeyIn, Millis)| {
            let k: Box<[u8]> = k.into();
            if within {
                expiry.push(Reverse((t, k.clone())));
            }
            if seen.insert(k, t).is_some() {
                return Err(StateError::KeyTwice { stage: "dedup" });
            }
            Ok(())
        })
    }
}

/// What a checkpoint keeps of `dedup`: each remembered key with the latest
/// time it was seen (0 without `within`).
#[derive(Serialize)]
struct DedupOut<I> {
    version: Version<1>,
    watermark: Millis,
    seen: I,
}

#[derive(Deserialize)]
struct DedupIn<'a> {
    #[serde(default)]
    #[allow(dead_code)]
    version: Version<1>,
    watermark: Millis,
    #[serde(borrow)]
    seen: &'a RawValue,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::testkit::{assert_snapshot_restore_equivalent, run_script, Step};
    use crate::lang::ast::StageKind;
    use crate::value::Value;

    fn make(src: &str) -> Box<dyn Operator> {
        let p = crate::lang::parse(src).expect("parses");
        match &p.stages[0].kind {
            StageKind::Dedup { keys, within } => Box::new(Dedup::new(
                KeyExtractor::new(keys).unwrap(),
                within.as_ref().map(|d| d.millis),
            )),
            other => panic!("not dedup: {other:?}"),
        }
    }

    #[test]
    fn drops_repeated_keys_forever_without_within() {
        let steps = [
            Step::Event(r#"{"id":1,"n":"a"}"#, None),
            Step::Event(r#"{"id":2,"n":"b"}"#, None),
            Step::Event(r#"{"id":"1","n":"c"}"#, None),
            Step::Event(r#"{"n":"d"}"#, None),
            Step::Event(r#"{"id":null,"n":"e"}"#, None),
            Step::Event(r#"{"id":2,"n":"f"}"#, None),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(&|| make("dedup id"), &steps);
        assert_eq!(
            out,
            [r#"{"id":1,"n":"a"}"#, r#"{"id":2,"n":"b"}"#, r#"{"n":"d"}"#]
        );
    }

    #[test]
    fn within_compares_with_the_latest_sighting_and_forgets() {
        let steps = [
            Step::Event(r#"{"k":"a","n":1}"#, Some(1000)),
            Step::Event(r#"{"k":"a","n":2}"#, Some(1500)),
            Step::Watermark(1000),
            // 1500 + 1000 > 2400: still a duplicate, and refreshes to 2400.
            Step::Event(r#"{"k":"a","n":3}"#, Some(2400)),
            Step::Event(r#"{"k":"b","n":4}"#, Some(2400)),
            Step::Watermark(2400),
            // Exactly D after the latest sighting: new again.
            Step::Event(r#"{"k":"a","n":5}"#, Some(3400)),
            // Behind the watermark: late.
            Step::Event(r#"{"k":"c","n":6}"#, Some(2000)),
            Step::Watermark(10_000),
            Step::Event(r#"{"k":"a","n":7}"#, Some(10_000)),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(&|| make("dedup k within 1s"), &steps);
        assert_eq!(
            out,
            [
                r#"{"k":"a","n":1} @1000"#,
                r#"{"k":"b","n":4} @2400"#,
                r#"{"k":"a","n":5} @3400"#,
                r#"late:{"k":"c","n":6}"#,
                r#"{"k":"a","n":7} @10000"#,
            ]
        );
    }

    #[test]
    fn out_of_order_events_within_lateness_are_judged_by_distance() {
        let steps = [
            Step::Event(r#"{"k":"a","n":1}"#, Some(5000)),
            Step::Event(r#"{"k":"a","n":2}"#, Some(4500)),
            Step::Event(r#"{"k":"a","n":3}"#, Some(3000)),
            Step::End,
        ];
        let out = run_script(&|| make("dedup k within 1s"), &steps);
        assert_eq!(
            out,
            [r#"{"k":"a","n":1} @5000"#, r#"{"k":"a","n":3} @3000"#]
        );
    }

    #[test]
    fn memory_is_bounded_by_the_keys_of_the_last_d() {
        let mut op = Dedup::new(
            KeyExtractor::new(
                match &crate::lang::parse("dedup k").unwrap().stages[0].kind {
                    StageKind::Dedup { keys, .. } => keys,
                    _ => unreachable!(),
                },
            )
            .unwrap(),
            Some(1000),
        );
        let mut out = crate::exec::testkit::Collect::default();
        for i in 0..10_000i64 {
            let mut m = serde_json::Map::new();
            m.insert("k".into(), Value::from(i));
            let ev = Event::new_row(m, Some(i * 10));
            op.on_event(ev, &mut SinkEmit(&mut out)).unwrap();
            op.on_watermark(i * 10, &mut SinkEmit(&mut out)).unwrap();
        }
        assert_eq!(out.lines.len(), 10_000);
        // Keys seen in (wm − 1s, wm]: 100 of them.
        assert_eq!(op.remembered(), 100);
        assert!(op.expiry.len() <= 101);
    }

    /// Random keys, times out of order and watermarks: the output equals a
    /// model that forgets nothing (late = behind the watermark, dropped).
    #[test]
    fn forgetting_never_changes_the_output() {
        let mut rng = crate::exec::testkit::Rng::new(0x9e37_79b9_7f4a_7c15);
        let mut next = |n: u64| rng.below(n);
        for round in 0..20 {
            let d = 1 + next(3000) as i64;
            let lateness = next(2000) as i64;
            let mut op: Box<dyn Operator> = Box::new(Dedup::new(
                match &crate::lang::parse("dedup k").unwrap().stages[0].kind {
                    StageKind::Dedup { keys, .. } => KeyExtractor::new(keys).unwrap(),
                    _ => unreachable!(),
                },
                Some(d),
            ));
            let mut out = crate::exec::testkit::Collect::default();
            let mut model: std::collections::HashMap<u64, i64> = Default::default();
            let mut expected = Vec::new();
            let (mut max_t, mut wm) = (0i64, Millis::MIN);
            for i in 0..400i64 {
                let k = next(12);
                let t = i * 50 + next(2500) as i64;
                let line = format!(r#"{{"k":{k},"i":{i}}}"#);
                if t < wm {
                    expected.push(format!("late:{line}"));
                } else {
                    let dup = model.get(&k).is_some_and(|&last| (t - last).abs() < d);
                    let last = model.entry(k).or_insert(t);
                    *last = (*last).max(t);
                    if !dup {
                        expected.push(format!("{line} @{t}"));
                    }
                }
                let mut m = serde_json::Map::new();
                m.insert("k".into(), Value::from(k));
                m.insert("i".into(), Value::from(i));
                op.on_event(Event::new_row(m, Some(t)), &mut SinkEmit(&mut out))
                    .unwrap();
                max_t = max_t.max(t);
                wm = wm.max(max_t - lateness);
                op.on_watermark(wm, &mut SinkEmit(&mut out)).unwrap();
            }
            assert_eq!(
                out.lines, expected,
                "round {round}, D {d}, lateness {lateness}"
            );
        }
    }

    /// An `Emit` straight into a test collector.
    struct SinkEmit<'a>(&'a mut crate::exec::testkit::Collect);
    impl Emit for SinkEmit<'_> {
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
}
