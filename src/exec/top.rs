//! `top N KEYS [by AGG] [WINDOW] [emit every D]`: the N groups with the largest AGG
//! (default `count`), largest first, ties in the order the groups were first
//! seen.
//!
//! Without a window the rows come at end of input. With `emit every D`, the
//! current top N also comes each D of wall-clock time (a live top-N on
//! `tail -F`; of each open window when windowed), then the final rows as
//! without it. With `every D [slide S]`
//! each window's rows come when it closes (watermark ≥ end − 1), windows in
//! order of end, each row `window_start`, `window_end`, the keys, then the
//! aggregate, with event time `end − 1`, as for aggregations (DESIGN §3, §5).
//!
//! With `session D` the sessions are those of the whole stream, not of each
//! key: a session is a burst of events (of any key) with no gap of D, and
//! its rows are the top groups of that burst. Per-key sessions would put one
//! group in each window, making `top` pointless. (In Flink SQL terms: the
//! SESSION table function without PARTITION BY, then ROW_NUMBER per window.)
//!
//! An event whose windows have all closed is late: counted and
//! dead-lettered, not aggregated. Memory holds the groups of open windows.
//!
//! Results order: AGG values compare numerically for numbers, bytewise for
//! strings; across kinds null < bool < number < string < array < object, so
//! a group whose aggregate is null (no value seen) comes last.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_json::Map;

use super::agg::{Accumulator, AggSpec};
use super::key::{KeyExtractor, KeyIn, KeyOut};
use super::state::{self, Version};
use super::window::{self, Windows};
use super::{Emit, ExecResult, Flow, Operator, RawValue, StateError, StateSize};
use crate::event::Event;
use crate::lang::ast::{self, WindowKind};
use crate::timefmt::format_rfc3339_ms;
use crate::timefmt::Millis;
use crate::value::{self, Num, Value};

#[derive(Debug, Clone)]
struct Group {
    /// The key values of the group's first event, for the output row.
    values: Vec<Value>,
    /// When the group was first seen (a counter over the whole run), for ties.
    seq: u64,
    acc: Accumulator,
}

/// The groups of one window (or of the whole input).
#[derive(Debug, Clone, Default)]
struct Groups {
    map: FxHashMap<Box<[u8]>, Group>,
}

impl Groups {
    /// Fold a later window's groups into this one (merging sessions).
    fn absorb(&mut self, other: Groups) {
        for (k, g) in other.map {
            match self.map.get_mut(&k) {
                Some(mine) => {
                    mine.acc.merge(&g.acc);
                    if g.seq < mine.seq {
                        mine.seq = g.seq;
                        mine.values = g.values;
                    }
                }
                None => {
                    self.map.insert(k, g);
                }
            }
        }
    }
}

pub struct Top {
    n: usize,
    keys: KeyExtractor,
    agg: AggSpec,
    windows: Option<Windows>,
    /// Unwindowed: every group of the input.
    all: Groups,
    /// Windowed: open windows by (end, start).
    open: BTreeMap<(Millis, Millis), Groups>,
    watermark: Millis,
    /// The latest event time seen: the time of unwindowed rows (as for
    /// aggregations).
    max_time: Option<Millis>,
    seq: u64,
    buf: Vec<u8>,
    /// `emit every D`: D.
    every: Option<Millis>,
    /// `emit every`: the next wall-clock time to emit the current top N
    /// ([`UNSCHEDULED`] before the first tick).
    next_tick: Option<Millis>,
}

/// `next_tick` before the first tick: asks for one at once, to start the clock.
const UNSCHEDULED: Millis = Millis::MIN;

impl Top {
    pub fn new(
        n: u64,
        keys: KeyExtractor,
        agg: AggSpec,
        windows: Option<Windows>,
        emit: ast::Emit,
    ) -> Top {
        let every = match emit {
            ast::Emit::Every(d) => Some(d),
            _ => None,
        };
        Top {
            n: usize::try_from(n).unwrap_or(usize::MAX),
            keys,
            agg,
            windows,
            all: Groups::default(),
            open: BTreeMap::new(),
            watermark: Millis::MIN,
            max_time: None,
            seq: 0,
            buf: Vec::new(),
            every,
            next_tick: every.map(|_| UNSCHEDULED),
        }
    }

    /// Feed the event to a window's (or the input's) groups; the key must
    /// already be in `self.buf`.
    fn add(
        groups: &mut Groups,
        buf: &[u8],
        seq: &mut u64,
        agg: &AggSpec,
        keys: &KeyExtractor,
        ev: &Event<'_>,
    ) {
        match groups.map.get_mut(buf) {
            Some(g) => agg.update(&mut g.acc, ev),
            None => {
                let mut g = Group {
                    values: keys.values(ev),
                    seq: *seq,
                    acc: agg.new_acc(),
                };
                *seq += 1;
                agg.update(&mut g.acc, ev);
                groups.map.insert(buf.into(), g);
            }
        }
    }

    /// The top N rows of `groups`, largest first, ties by first sighting.
    fn rows(
        &self,
        groups: &Groups,
        window: Option<(Millis, Millis)>,
        out: &mut dyn Emit,
    ) -> ExecResult {
        let mut ranked: Vec<(Value, &Group)> =
            groups.map.values().map(|g| (g.acc.result(), g)).collect();
        ranked.sort_by(|a, b| rank_cmp(&b.0, &a.0).then(a.1.seq.cmp(&b.1.seq)));
        let mut flow = Flow::Continue;
        for (result, g) in ranked.into_iter().take(self.n) {
            let mut row = Map::new();
            if let Some((start, end)) = window {
                row.insert("window_start".into(), format_rfc3339_ms(start).into());
                row.insert("window_end".into(), format_rfc3339_ms(end).into());
            }
            for (name, v) in self.keys.names().iter().zip(&g.values) {
                row.insert(name.clone(), v.clone());
            }
            row.insert(self.agg.name.clone(), result);
            let time = match window {
                Some((_, end)) => Some(window::row_time(end)),
                None => self.max_time,
            };
            if out.emit(Event::new_row(row, time))? == Flow::Stop {
                flow = Flow::Stop;
                break;
            }
        }
        Ok(flow)
    }

    /// Emit every open window that closed at the watermark (all at the end).
    fn close(&mut self, all: bool, out: &mut dyn Emit) -> ExecResult {
        while let Some(entry) = self.open.first_entry() {
            let (end, start) = *entry.key();
            if !all && !window::is_closed(end, self.watermark) {
                break;
            }
            let groups = entry.remove();
            if self.rows(&groups, Some((start, end)), out)? == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }

    /// `emit every`: the current top N (of each open window, in order of end).
    fn emit_snapshot(&self, out: &mut dyn Emit) -> ExecResult {
        if self.windows.is_none() {
            return self.rows(&self.all, None, out);
        }
        for (&(end, start), groups) in &self.open {
            if self.rows(groups, Some((start, end)), out)? == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }

    fn on_session_event(&mut self, gap: Millis, t: Millis, ev: &Event<'_>, out: &mut dyn Emit) {
        let (mut start, mut end) = window::session_of(t, gap);
        let meeting: Vec<(Millis, Millis)> = self
            .open
            .keys()
            .filter(|&&(e, s)| window::sessions_meet((s, e), (start, end)))
            .copied()
            .collect();
        if meeting.is_empty() && window::is_closed(end, self.watermark) {
            out.late(ev);
            return;
        }
        // Merge into the earliest session, so `first`/`last` see time order.
        let mut merged: Option<(Millis, Groups)> = None;
        for (e, s) in meeting {
            let Some(g) = self.open.remove(&(e, s)) else {
                continue;
            };
            start = start.min(s);
            end = end.max(e);
            merged = Some(match merged {
                None => (s, g),
                Some((ms, mut mg)) if ms <= s => {
                    mg.absorb(g);
                    (ms, mg)
                }
                Some((_, mg)) => {
                    let mut g = g;
                    g.absorb(mg);
                    (s, g)
                }
            });
        }
        let mut groups = merged.map(|(_, g)| g).unwrap_or_default();
        Self::add(
            &mut groups,
            &self.buf,
            &mut self.seq,
            &self.agg,
            &self.keys,
            ev,
        );
        self.open.insert((end, start), groups);
    }
}

/// Build the operator and its `--explain` line from the stage's parts.
pub fn plan(
    n: u64,
    keys: &[crate::lang::ast::KeyItem],
    by: Option<&crate::lang::ast::AggCall>,
    window: Option<&crate::lang::ast::Window>,
    emit: ast::Emit,
    span: crate::lang::span::Span,
) -> Result<(Top, String), crate::lang::LangError> {
    use crate::lang::ast::{AggCall, AggFunc};
    let call = by.cloned().unwrap_or(AggCall {
        func: AggFunc::Count,
        arg: None,
        name: "count".into(),
        span,
    });
    let agg = AggSpec::compile(&call)?;
    let keys = KeyExtractor::new(keys)?;
    let windows = match window {
        None => None,
        Some(w) => Some(Windows::new(w.kind).map_err(|e| crate::lang::LangError::new(e, w.span))?),
    };
    let when = match &windows {
        None => "at end of input".to_string(),
        Some(w) => match w.kind {
            WindowKind::Session { gap } => format!(
                "per session of the whole stream (closed after {} of silence)",
                window::fmt_ms(gap)
            ),
            _ => format!("per window: {}", w.describe()),
        },
    };
    let every = match emit {
        ast::Emit::Every(d) => format!(
            "; and the current top {n}{} every {} of wall-clock time",
            if windows.is_some() {
                " of each open window"
            } else {
                ""
            },
            window::fmt_ms(d)
        ),
        _ => String::new(),
    };
    let what = format!(
        "top {n} of {} by {}, largest first, {when}{every}",
        keys.names().join(", "),
        agg.name
    );
    Ok((Top::new(n, keys, agg, windows, emit), what))
}

/// A total order on aggregate results for ranking (see the module doc).
fn rank_cmp(a: &Value, b: &Value) -> Ordering {
    fn kind(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::Array(_) => 4,
            Value::Object(_) => 5,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            value::cmp_num(Num::of(x), Num::of(y)).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => {
            a.to_string().cmp(&b.to_string())
        }
        _ => kind(a).cmp(&kind(b)),
    }
}

impl Operator for Top {
    fn state_size(&self) -> Option<StateSize> {
        let mut s = StateSize {
            windows: self.open.len() as u64,
            ..StateSize::default()
        };
        for g in std::iter::once(&self.all).chain(self.open.values()) {
            s.groups += g.map.len() as u64;
            for (k, grp) in &g.map {
                s.bytes += k.len() as u64
                    + 16
                    + std::mem::size_of::<Group>() as u64
                    + 80 * grp.values.len() as u64
                    + grp.acc.heap_bytes();
            }
        }
        Some(s)
    }

    fn on_event(&mut self, ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        if let Some(t) = ev.time() {
            self.max_time = Some(self.max_time.map_or(t, |m| m.max(t)));
        }
        self.keys.encode(&ev, &mut self.buf);
        let Some(windows) = self.windows else {
            Self::add(
                &mut self.all,
                &self.buf,
                &mut self.seq,
                &self.agg,
                &self.keys,
                &ev,
            );
            return Ok(Flow::Continue);
        };
        // The plan turns event time on for windows.
        let t = ev.time().unwrap_or(self.watermark.max(0));
        if let WindowKind::Session { gap } = windows.kind {
            self.on_session_event(gap, t, &ev, out);
            return Ok(Flow::Continue);
        }
        let mut counted = false;
        let wm = self.watermark;
        let (open, buf, seq, agg, keys) = (
            &mut self.open,
            &self.buf,
            &mut self.seq,
            &self.agg,
            &self.keys,
        );
        windows.each_window(t, |start, end| {
            if window::is_closed(end, wm) {
                return;
            }
            counted = true;
            let groups = open.entry((end, start)).or_default();
            Self::add(groups, buf, seq, agg, keys, &ev);
        });
        if !counted {
            out.late(&ev);
        }
        Ok(Flow::Continue)
    }

    fn on_watermark(&mut self, wm: Millis, out: &mut dyn Emit) -> ExecResult {
        self.watermark = self.watermark.max(wm);
        self.close(false, out)
    }

    fn on_tick(&mut self, now: Millis, out: &mut dyn Emit) -> ExecResult {
        let (Some(d), Some(next)) = (self.every, self.next_tick) else {
            return Ok(Flow::Continue);
        };
        if next != UNSCHEDULED && now < next {
            return Ok(Flow::Continue);
        }
        self.next_tick = Some(now.saturating_add(d));
        if next == UNSCHEDULED {
            return Ok(Flow::Continue);
        }
        self.emit_snapshot(out)
    }

    fn next_tick(&self) -> Option<Millis> {
        self.next_tick
    }

    fn on_end(&mut self, out: &mut dyn Emit) -> ExecResult {
        if self.windows.is_some() {
            return self.close(true, out);
        }
        let all = std::mem::take(&mut self.all);
        self.rows(&all, None, out)
    }

    fn save(&self, out: &mut dyn std::io::Write) -> serde_json::Result<()> {
        serde_json::to_writer(
            out,
            &TopOut {
                version: Version,
                watermark: self.watermark,
                max_time: self.max_time,
                next_tick: self.next_tick,
                seq: self.seq,
                groups: groups_out(&self.all),
                windows: state::iter(
                    self.open
                        .iter()
                        .map(|(&(end, start), g)| (start, end, groups_out(g))),
                ),
            },
        )
    }

    fn restore(&mut self, state: &RawValue) -> Result<(), StateError> {
        let st: TopIn = state::parse(state)?;
        let all = self.groups_in(st.groups)?;
        let mut open = BTreeMap::new();
        for (start, end, groups) in st.windows {
            open.insert((end, start), self.groups_in(groups)?);
        }
        self.watermark = st.watermark;
        self.max_time = st.max_time;
        // Checkpoints from before `emit every` have no `next_tick`.
        self.next_tick = self.every.map(|_| st.next_tick.unwrap_or(UNSCHEDULED));
        self.seq = st.seq;
        self.all = all;
        self.open = open;
        Ok(())
    }
}

/// What a checkpoint keeps of `top`: per window (and for the whole input)
/// each group as `[key, key values, first-seen number, aggregate state]`,
/// in first-seen order.
#[derive(Serialize)]
struct TopOut<G, W> {
    version: Version<1>,
    watermark: Millis,
    max_time: Option<Millis>,
    next_tick: Option<Millis>,
    seq: u64,
    groups: G,
    windows: W,
}

#[derive(Deserialize)]
struct TopIn<'a> {
    #[serde(default)]
    #[allow(dead_code)]
    version: Version<1>,
    watermark: Millis,
    max_time: Option<Millis>,
    #[serde(default)]
    next_tick: Option<Millis>,
    seq: u64,
    #[serde(borrow)]
    groups: &'a RawValue,
    #[serde(borrow)]
    windows: Vec<(Millis, Millis, &'a RawValue)>,
}

fn groups_out(g: &Groups) -> impl Serialize + '_ {
    let mut items: Vec<(&Box<[u8]>, &Group)> = g.map.iter().collect();
    items.sort_by_key(|(_, g)| g.seq);
    state::iter(
        items
            .into_iter()
            .map(|(k, g)| (KeyOut(k), &g.values, g.seq, &g.acc)),
    )
}

impl Top {
    fn groups_in(&self, list: &RawValue) -> Result<Groups, StateError> {
        let mut out = Groups::default();
        let width = self.keys.names().len();
        state::each(
            list,
            |(KeyIn(k), values, seq, acc): (KeyIn, Vec<Value>, u64, &RawValue)| {
                if values.len() != width {
                    return Err(StateError::invalid("top", "state has bad key values"));
                }
                let mut a = self.agg.new_acc();
                a.restore_raw(acc)
                    .map_err(|why| StateError::invalid("top", why.to_string()))?;
                let group = Group {
                    values,
                    seq,
                    acc: a,
                };
                if out.map.insert(k.into(), group).is_some() {
                    return Err(StateError::KeyTwice { stage: "top" });
                }
                Ok(())
            },
        )?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::testkit::{assert_snapshot_restore_equivalent, Step};
    use crate::lang::ast::{AggCall, AggFunc, StageKind};
    use serde_json::json;

    fn make(src: &str) -> Box<dyn Operator> {
        let p = crate::lang::parse(src).expect("parses");
        match &p.stages[0].kind {
            StageKind::Top {
                n,
                keys,
                by,
                window,
                emit,
            } => {
                let call = by.clone().unwrap_or(AggCall {
                    func: AggFunc::Count,
                    arg: None,
                    name: "count".into(),
                    span: p.stages[0].span,
                });
                Box::new(Top::new(
                    *n,
                    KeyExtractor::new(keys).unwrap(),
                    AggSpec::compile(&call).unwrap(),
                    window.as_ref().map(|w| Windows::new(w.kind).unwrap()),
                    *emit,
                ))
            }
            other => panic!("not top: {other:?}"),
        }
    }

    #[test]
    fn unwindowed_count_with_ties_in_first_seen_order() {
        let steps = [
            Step::Event(r#"{"p":"a"}"#, None),
            Step::Event(r#"{"p":"b"}"#, None),
            Step::Event(r#"{"p":"c"}"#, None),
            Step::Event(r#"{"p":"c"}"#, None),
            Step::Event(r#"{"p":"b"}"#, None),
            Step::Event(r#"{"p":"d"}"#, None),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(&|| make("top 3 p"), &steps);
        assert_eq!(
            out,
            [
                r#"{"p":"b","count":2}"#,
                r#"{"p":"c","count":2}"#,
                r#"{"p":"a","count":1}"#
            ]
        );
    }

    #[test]
    fn unwindowed_rows_carry_the_latest_event_time() {
        let steps = [
            Step::Event(r#"{"p":"a"}"#, Some(5000)),
            Step::Event(r#"{"p":"b"}"#, Some(7000)),
            Step::Event(r#"{"p":"b"}"#, Some(6000)),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(&|| make("top 5 p"), &steps);
        assert_eq!(
            out,
            [
                r#"{"p":"b","count":2} @7000"#,
                r#"{"p":"a","count":1} @7000"#
            ]
        );
    }

    #[test]
    fn by_avg_null_last() {
        let steps = [
            Step::Event(r#"{"h":"x","ms":1}"#, None),
            Step::Event(r#"{"h":"y"}"#, None),
            Step::Event(r#"{"h":"z","ms":5}"#, None),
            Step::Event(r#"{"h":"x","ms":"10"}"#, None),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(&|| make("top 5 h by avg(ms)"), &steps);
        assert_eq!(
            out,
            [
                r#"{"h":"x","avg_ms":5.5}"#,
                r#"{"h":"z","avg_ms":5.0}"#,
                r#"{"h":"y","avg_ms":null}"#
            ]
        );
    }

    #[test]
    fn tumbling_windows_close_on_the_watermark_and_late_events_are_counted() {
        let steps = [
            Step::Event(r#"{"p":"a"}"#, Some(1000)),
            Step::Event(r#"{"p":"b"}"#, Some(2000)),
            Step::Event(r#"{"p":"b"}"#, Some(9000)),
            Step::Watermark(9000),
            Step::Event(r#"{"p":"a"}"#, Some(10_500)),
            Step::Watermark(9999),
            Step::Event(r#"{"p":"c"}"#, Some(9999)),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(&|| make("top 1 p every 10s"), &steps);
        assert_eq!(
            out,
            [
                r#"{"window_start":"1970-01-01T00:00:00.000Z","window_end":"1970-01-01T00:00:10.000Z","p":"b","count":2} @9999"#,
                r#"late:{"p":"c"}"#,
                r#"{"window_start":"1970-01-01T00:00:10.000Z","window_end":"1970-01-01T00:00:20.000Z","p":"a","count":1} @19999"#,
            ]
        );
    }

    #[test]
    fn hopping_windows_count_an_event_in_each() {
        let steps = [
            Step::Event(r#"{"p":"a"}"#, Some(4000)),
            Step::Event(r#"{"p":"b"}"#, Some(6000)),
            Step::Event(r#"{"p":"b"}"#, Some(7000)),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(
            &|| make("top 1 p by count every 10s slide 5s"),
            &steps,
        );
        assert_eq!(
            out,
            [
                r#"{"window_start":"1969-12-31T23:59:55.000Z","window_end":"1970-01-01T00:00:05.000Z","p":"a","count":1} @4999"#,
                r#"{"window_start":"1970-01-01T00:00:00.000Z","window_end":"1970-01-01T00:00:10.000Z","p":"b","count":2} @9999"#,
                r#"{"window_start":"1970-01-01T00:00:05.000Z","window_end":"1970-01-01T00:00:15.000Z","p":"b","count":2} @14999"#,
            ]
        );
    }

    #[test]
    fn sessions_are_bursts_of_the_whole_stream_and_merge() {
        let steps = [
            Step::Event(r#"{"p":"a","v":1}"#, Some(1000)),
            Step::Event(r#"{"p":"b","v":5}"#, Some(5000)),
            // Bridges [1000, 3000) and [5000, 7000): one session [1000, 7000).
            Step::Event(r#"{"p":"a","v":2}"#, Some(3000)),
            Step::Event(r#"{"p":"c","v":9}"#, Some(20_000)),
            Step::Watermark(8000),
            Step::Event(r#"{"p":"a","v":100}"#, Some(4000)),
            Step::End,
        ];
        let out =
            assert_snapshot_restore_equivalent(&|| make("top 2 p by last(v) session 2s"), &steps);
        assert_eq!(
            out,
            [
                r#"{"window_start":"1970-01-01T00:00:01.000Z","window_end":"1970-01-01T00:00:07.000Z","p":"b","last_v":5} @6999"#,
                r#"{"window_start":"1970-01-01T00:00:01.000Z","window_end":"1970-01-01T00:00:07.000Z","p":"a","last_v":2} @6999"#,
                r#"late:{"p":"a","v":100}"#,
                r#"{"window_start":"1970-01-01T00:00:20.000Z","window_end":"1970-01-01T00:00:22.000Z","p":"c","last_v":9} @21999"#,
            ]
        );
    }

    #[test]
    fn emit_every_writes_the_current_top_on_the_wall_clock() {
        let steps = [
            Step::Event(r#"{"p":"a"}"#, Some(10)),
            Step::Event(r#"{"p":"b"}"#, Some(20)),
            Step::Event(r#"{"p":"b"}"#, Some(30)),
            // The first tick starts the clock; the next is due 1s later.
            Step::Tick(1000),
            Step::Tick(1999),
            Step::Tick(2000),
            Step::Event(r#"{"p":"c"}"#, Some(40)),
            Step::Event(r#"{"p":"c"}"#, Some(50)),
            Step::Event(r#"{"p":"c"}"#, Some(60)),
            Step::Tick(2500),
            Step::Tick(3000),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(&|| make("top 2 p emit every 1s"), &steps);
        assert_eq!(
            out,
            [
                r#"{"p":"b","count":2} @30"#,
                r#"{"p":"a","count":1} @30"#,
                // a left the top 2.
                r#"{"p":"c","count":3} @60"#,
                r#"{"p":"b","count":2} @60"#,
                r#"{"p":"c","count":3} @60"#,
                r#"{"p":"b","count":2} @60"#,
            ]
        );
    }

    #[test]
    fn emit_every_with_windows_shows_each_open_window() {
        let steps = [
            Step::Event(r#"{"p":"a"}"#, Some(1000)),
            Step::Event(r#"{"p":"b"}"#, Some(11_000)),
            Step::Tick(0),
            Step::Tick(500),
            Step::Watermark(9999),
            Step::Tick(1000),
            Step::End,
        ];
        let out = assert_snapshot_restore_equivalent(
            &|| make("top 1 p every 10s emit every 500ms"),
            &steps,
        );
        assert_eq!(
            out,
            [
                // The tick at 500: both open windows.
                r#"{"window_start":"1970-01-01T00:00:00.000Z","window_end":"1970-01-01T00:00:10.000Z","p":"a","count":1} @9999"#,
                r#"{"window_start":"1970-01-01T00:00:10.000Z","window_end":"1970-01-01T00:00:20.000Z","p":"b","count":1} @19999"#,
                // The first window closes: its final row.
                r#"{"window_start":"1970-01-01T00:00:00.000Z","window_end":"1970-01-01T00:00:10.000Z","p":"a","count":1} @9999"#,
                // The tick at 1000: the one still open; then the end.
                r#"{"window_start":"1970-01-01T00:00:10.000Z","window_end":"1970-01-01T00:00:20.000Z","p":"b","count":1} @19999"#,
                r#"{"window_start":"1970-01-01T00:00:10.000Z","window_end":"1970-01-01T00:00:20.000Z","p":"b","count":1} @19999"#,
            ]
        );
    }

    #[test]
    fn a_checkpoint_from_before_emit_every_restores() {
        let mut op = make("top 2 p emit every 1s");
        let mut old = crate::exec::testkit::state_of(make("top 2 p").as_ref());
        old.as_object_mut().unwrap().remove("next_tick");
        let old = old.to_string();
        op.restore(crate::exec::testkit::raw(&old))
            .expect("restores");
        assert_eq!(op.next_tick(), Some(UNSCHEDULED));
    }

    #[test]
    fn rank_order_is_total() {
        let mut v = vec![
            json!("b"),
            json!(null),
            json!(2),
            json!(1.5),
            json!(true),
            json!("a"),
            json!([1]),
        ];
        v.sort_by(rank_cmp);
        assert_eq!(
            Value::Array(v).to_string(),
            r#"[null,true,1.5,2,"a","b",[1]]"#
        );
    }
}
