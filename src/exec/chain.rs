//! Runs the operators in order: the rest of the chain is the `Emit` each
//! operator pushes into, and the sink ends it.
//!
//! When the pipeline works in event time, the chain reads each event's time
//! where the plan says (`EventTime::read`; at the first stage that needs it,
//! or earlier when the stages between cannot change the time field), and
//! gives the later stages each new watermark right after the event that
//! moved it. An event without a readable time is rejected when it reaches
//! the first stage that needs one: read earlier, it goes on without a time,
//! so a filter between may still drop it silently.

use super::absent::{self, Watch};
use super::event_time::{Decided, EventTime, Verdict};
use super::{Emit, ExecResult, Flow, Operator, RawValue, StateError, StateSize, Stats};
use crate::event::Event;
use crate::timefmt::Millis;

/// Where the last operator's events go, and where late events are reported.
pub trait Sink {
    fn write(&mut self, ev: Event<'_>) -> ExecResult;
    fn late(&mut self, ev: &Event<'_>);
    /// An event without a readable time where the pipeline needs one:
    /// count it and report it as `FILE:LINE: reason`.
    fn reject(&mut self, ev: &Event<'_>, reason: &str) -> ExecResult;
    fn stats(&mut self) -> &mut Stats;
    /// An operator's warning (see `Emit::warn`).
    fn warn(&mut self, message: &str);
    /// See `Emit::json_out`.
    fn json_out(&mut self) -> Option<&mut Vec<u8>> {
        None
    }
    /// See `Emit::json_row_written`.
    fn json_row_written(&mut self) -> ExecResult {
        Ok(Flow::Continue)
    }
}

pub struct Chain {
    ops: Vec<Box<dyn Operator>>,
    /// One per stage: the fields it reads that were never there yet.
    watch: Vec<Watch>,
    /// Field names already said to be never present.
    said: Vec<String>,
    clock: Option<Clock>,
}

/// Event time, read when an event reaches stage `at`, needed from stage
/// `needed_at` (`>= at`) on.
struct Clock {
    at: usize,
    time: EventTime,
    gate: Gate,
}

/// Between the stage where time is read and the first that needs it: why
/// the event on its way had no readable time (events go one at a time
/// through those stages, none of which holds events back).
struct Gate {
    needed_at: usize,
    reason: Option<String>,
}

struct Downstream<'s> {
    ops: &'s mut [Box<dyn Operator>],
    /// The watches of `ops`, one each.
    watch: &'s mut [Watch],
    sink: &'s mut dyn Sink,
    /// The event time reader, and how many stages are left where it reads.
    clock: Option<(&'s mut EventTime, usize)>,
    /// How many stages are left where time is needed, and the reason an
    /// event without one has none.
    gate: Option<(usize, &'s mut Option<String>)>,
}

impl Emit for Downstream<'_> {
    fn emit(&mut self, ev: Event<'_>) -> ExecResult {
        if let Some((time, left)) = &mut self.clock {
            if self.ops.len() == *left {
                let gate = self.gate.as_mut().map(|(l, r)| (*l, &mut **r));
                return read_time(time, self.ops, self.watch, self.sink, gate, ev);
            }
        }
        if let Some((left, reason)) = &mut self.gate {
            if self.ops.len() == *left && ev.time().is_none() {
                let why = reason.take().unwrap_or_else(|| "no readable time".into());
                return self.sink.reject(&ev, &why);
            }
        }
        match (self.ops.split_first_mut(), self.watch.split_first_mut()) {
            (Some((op, rest)), Some((watch, watch_rest))) => {
                watch.look(&ev);
                op.on_event(
                    ev,
                    &mut Downstream {
                        ops: rest,
                        watch: watch_rest,
                        sink: self.sink,
                        clock: self.clock.as_mut().map(|(t, l)| (&mut **t, *l)),
                        gate: self.gate.as_mut().map(|(l, r)| (*l, &mut **r)),
                    },
                )
            }
            _ => self.sink.write(ev),
        }
    }
    fn late(&mut self, ev: &Event<'_>) {
        self.sink.late(ev)
    }
    fn stats(&mut self) -> &mut Stats {
        self.sink.stats()
    }
    fn warn(&mut self, message: &str) {
        self.sink.warn(message)
    }
    fn json_out(&mut self) -> Option<&mut Vec<u8>> {
        // Only past the last stage, where no time is read or checked.
        let reads_time = self.clock.as_ref().is_some_and(|(_, left)| *left == 0)
            || self.gate.as_ref().is_some_and(|(left, _)| *left == 0);
        if self.ops.is_empty() && !reads_time {
            self.sink.json_out()
        } else {
            None
        }
    }
    fn json_row_written(&mut self) -> ExecResult {
        self.sink.json_row_written()
    }
}

/// The stages from the one where time is read on (`ops`): no clock, and
/// the gate where time is needed, if that is further down.
fn timed<'s>(
    ops: &'s mut [Box<dyn Operator>],
    watch: &'s mut [Watch],
    sink: &'s mut dyn Sink,
    gate: Option<(usize, &'s mut Option<String>)>,
) -> Downstream<'s> {
    Downstream {
        ops,
        watch,
        sink,
        clock: None,
        gate,
    }
}

/// An event reached the stage where time is read: set its time (or hold
/// or reject it), pass it on, and move the watermark.
fn read_time(
    time: &mut EventTime,
    ops: &mut [Box<dyn Operator>],
    watch: &mut [Watch],
    sink: &mut dyn Sink,
    mut gate: Option<(usize, &mut Option<String>)>,
    ev: Event<'_>,
) -> ExecResult {
    let verdict = time.read(ev);
    let g = gate.as_mut().map(|(l, r)| (*l, &mut **r));
    let mut flow = settle(time, ops, watch, sink, g)?;
    match verdict {
        Verdict::Pass(ev) => flow = flow.and(timed(ops, watch, sink, gate).emit(ev)?),
        Verdict::Reject(ev, reason) => flow = flow.and(reject(ops, watch, sink, gate, ev, reason)?),
        Verdict::Held => {}
    }
    if let Some(wm) = time.advance() {
        flow = flow.and(watermark_from(ops, watch, sink, wm)?);
    }
    Ok(flow)
}

/// An event without a readable time: rejected here if this stage needs
/// time, else passed on without one to be rejected where time is needed.
fn reject(
    ops: &mut [Box<dyn Operator>],
    watch: &mut [Watch],
    sink: &mut dyn Sink,
    gate: Option<(usize, &mut Option<String>)>,
    ev: Event<'_>,
    reason: String,
) -> ExecResult {
    match gate {
        Some((left, why)) if left < ops.len() => {
            *why = Some(reason);
            let flow = timed(ops, watch, sink, Some((left, &mut *why))).emit(ev);
            *why = None;
            flow
        }
        _ => sink.reject(&ev, &reason),
    }
}

/// Held events whose fate was just decided: rejected, or passed on at the
/// time they arrived.
fn settle(
    time: &mut EventTime,
    ops: &mut [Box<dyn Operator>],
    watch: &mut [Watch],
    sink: &mut dyn Sink,
    mut gate: Option<(usize, &mut Option<String>)>,
) -> ExecResult {
    let mut flow = Flow::Continue;
    match time.take_decided() {
        None => {}
        Some(Decided::Reject(held, reason)) => {
            for h in &held {
                let g = gate.as_mut().map(|(l, r)| (*l, &mut **r));
                flow = flow.and(reject(ops, watch, sink, g, h.event(), reason.clone())?);
            }
        }
        Some(Decided::Pass(held)) => {
            for h in &held {
                let mut ev = h.event();
                ev.set_time(Some(h.arrival));
                let g = gate.as_mut().map(|(l, r)| (*l, &mut **r));
                flow = flow.and(timed(ops, watch, sink, g).emit(ev)?);
                if flow == Flow::Stop {
                    break;
                }
            }
        }
    }
    Ok(flow)
}

/// Give the watermark to each of `ops` in order (see `Chain::watermark`).
fn watermark_from(
    ops: &mut [Box<dyn Operator>],
    watch: &mut [Watch],
    sink: &mut dyn Sink,
    wm: Millis,
) -> ExecResult {
    let mut flow = Flow::Continue;
    for i in 0..ops.len() {
        let (head, rest) = ops[i..].split_first_mut().expect("i < len");
        let later = &mut watch[i + 1..];
        flow = flow.and(head.on_watermark(wm, &mut timed(rest, later, sink, None))?);
    }
    Ok(flow)
}

impl Flow {
    /// `Stop` if either is.
    fn and(self, other: Flow) -> Flow {
        if self == Flow::Stop {
            Flow::Stop
        } else {
            other
        }
    }
}

impl Chain {
    pub fn new(ops: Vec<Box<dyn Operator>>) -> Chain {
        Chain {
            watch: ops.iter().map(|_| Watch::default()).collect(),
            said: Vec::new(),
            ops,
            clock: None,
        }
    }

    /// Watch, for each stage, the fields it reads (`reads[i]` for stage
    /// `i`), to say which were never there (`absent_notices`); `unmade[i]`
    /// are the fields a `parse` before it leaves out as unread.
    pub fn watch_fields(&mut self, reads: Vec<Vec<Vec<String>>>, unmade: Vec<Vec<String>>) {
        let mut unmade = unmade.into_iter();
        for (w, r) in self.watch.iter_mut().zip(reads) {
            *w = Watch::new(r).with_unmade(unmade.next().unwrap_or_default());
        }
    }

    /// Fields some stage reads that no event reaching it had (each said
    /// once in a run; see `exec::absent`).
    pub fn absent_notices(&mut self) -> Vec<String> {
        absent::take_notices(&mut self.watch, &mut self.said)
    }

    /// A chain that reads event time with `time` when an event reaches stage
    /// `at`, and rejects events without one at stage `needed_at` (`>= at`).
    pub fn with_time(
        ops: Vec<Box<dyn Operator>>,
        at: usize,
        needed_at: usize,
        time: EventTime,
    ) -> Chain {
        Chain {
            clock: Some(Clock {
                at,
                time,
                gate: Gate {
                    needed_at: needed_at.max(at),
                    reason: None,
                },
            }),
            ..Chain::new(ops)
        }
    }

    /// The event time reader, if the pipeline uses event time.
    pub fn event_time(&self) -> Option<&EventTime> {
        self.clock.as_ref().map(|c| &c.time)
    }

    pub fn event_time_mut(&mut self) -> Option<&mut EventTime> {
        self.clock.as_mut().map(|c| &mut c.time)
    }

    /// A quiet input at wall-clock `now`: the watermark may move on (and
    /// events held while detecting the time field go on at arrival time).
    pub fn idle(&mut self, now: Millis, sink: &mut dyn Sink) -> ExecResult {
        let len = self.ops.len();
        let Some(Clock { at, time, gate }) = &mut self.clock else {
            return Ok(Flow::Continue);
        };
        let wm = time.on_idle(now);
        let ops = &mut self.ops[*at..];
        let watch = &mut self.watch[*at..];
        let gate = Some((len - gate.needed_at, &mut gate.reason));
        let mut flow = settle(time, ops, watch, sink, gate)?;
        if let Some(wm) = wm {
            flow = flow.and(watermark_from(ops, watch, sink, wm)?);
        }
        Ok(flow)
    }

    pub fn ops(&self) -> &[Box<dyn Operator>] {
        &self.ops
    }

    pub fn ops_mut(&mut self) -> &mut [Box<dyn Operator>] {
        &mut self.ops
    }

    pub fn push(&mut self, ev: Event<'_>, sink: &mut dyn Sink) -> ExecResult {
        let len = self.ops.len();
        let (clock, gate) = match &mut self.clock {
            Some(c) => (
                Some((&mut c.time, len - c.at)),
                Some((len - c.gate.needed_at, &mut c.gate.reason)),
            ),
            None => (None, None),
        };
        Downstream {
            ops: &mut self.ops,
            watch: &mut self.watch,
            sink,
            clock,
            gate,
        }
        .emit(ev)
    }

    /// Give every operator, in order, the new watermark. An operator's output
    /// runs through the later operators before they see the watermark, so a
    /// closed window's rows are never late for the next window stage.
    pub fn watermark(&mut self, wm: Millis, sink: &mut dyn Sink) -> ExecResult {
        self.each(sink, |op, out| op.on_watermark(wm, out))
    }

    pub fn tick(&mut self, now: Millis, sink: &mut dyn Sink) -> ExecResult {
        self.each(sink, |op, out| op.on_tick(now, out))
    }

    /// End of input: the stages before the one that needs time end first
    /// (their last rows have their time read), then events still held for
    /// the time field go on at arrival time, then the other stages end.
    pub fn end(&mut self, sink: &mut dyn Sink) -> ExecResult {
        let at = self.clock.as_ref().map_or(0, |c| c.at);
        let mut flow = self.each_in(0..at, sink, |op, out| op.on_end(out))?;
        let len = self.ops.len();
        if let Some(Clock { at, time, gate }) = &mut self.clock {
            time.finish();
            let ops = &mut self.ops[*at..];
            let watch = &mut self.watch[*at..];
            let gate = Some((len - gate.needed_at, &mut gate.reason));
            flow = flow.and(settle(time, ops, watch, sink, gate)?);
            if let Some(wm) = time.advance() {
                flow = flow.and(watermark_from(ops, watch, sink, wm)?);
            }
        }
        Ok(flow.and(self.each_in(at..len, sink, |op, out| op.on_end(out))?))
    }

    /// The state of every stage that keeps some, summed; `None` if none does.
    pub fn state_size(&self) -> Option<StateSize> {
        self.ops
            .iter()
            .filter_map(|op| op.state_size())
            .reduce(|mut a, b| {
                a += b;
                a
            })
    }

    /// Each stage that keeps state, by its index, with its size now.
    pub fn stage_states(&self) -> impl Iterator<Item = (usize, StateSize)> + '_ {
        self.ops
            .iter()
            .enumerate()
            .filter_map(|(i, op)| op.state_size().map(|s| (i, s)))
    }

    pub fn next_tick(&self) -> Option<Millis> {
        self.ops.iter().filter_map(|op| op.next_tick()).min()
    }

    fn each(
        &mut self,
        sink: &mut dyn Sink,
        f: impl FnMut(&mut dyn Operator, &mut dyn Emit) -> ExecResult,
    ) -> ExecResult {
        let len = self.ops.len();
        self.each_in(0..len, sink, f)
    }

    /// `f` on each stage of `range` in order, its output going down the chain.
    fn each_in(
        &mut self,
        range: std::ops::Range<usize>,
        sink: &mut dyn Sink,
        mut f: impl FnMut(&mut dyn Operator, &mut dyn Emit) -> ExecResult,
    ) -> ExecResult {
        let mut flow = Flow::Continue;
        let len = self.ops.len();
        for i in range {
            let (head, rest) = self.ops[i..].split_first_mut().expect("i < len");
            // What a stage before the one that needs time emits (an
            // aggregate's rows at the end) has its time read there too.
            let (clock, gate) = match &mut self.clock {
                Some(c) => (
                    Some((&mut c.time, len - c.at)),
                    Some((len - c.gate.needed_at, &mut c.gate.reason)),
                ),
                None => (None, None),
            };
            let mut down = Downstream {
                ops: rest,
                watch: &mut self.watch[i + 1..],
                sink,
                clock,
                gate,
            };
            if f(head.as_mut(), &mut down)? == Flow::Stop {
                flow = Flow::Stop;
            }
        }
        Ok(flow)
    }

    /// Every stage's state, in order, as a JSON list written straight to
    /// `out` (a checkpoint file): no copy of the states is made first.
    pub fn save(&self, out: &mut dyn std::io::Write) -> serde_json::Result<()> {
        out.write_all(b"[").map_err(serde_json::Error::io)?;
        for (i, op) in self.ops.iter().enumerate() {
            if i > 0 {
                out.write_all(b",").map_err(serde_json::Error::io)?;
            }
            op.save(out)?;
        }
        out.write_all(b"]").map_err(serde_json::Error::io)
    }

    /// Restore the states `save` wrote, one per stage, before the first event.
    pub fn restore(&mut self, states: &[&RawValue]) -> Result<(), StateError> {
        if states.len() != self.ops.len() {
            return Err(StateError::Stages {
                found: states.len(),
                want: self.ops.len(),
            });
        }
        for (i, (op, st)) in self.ops.iter_mut().zip(states).enumerate() {
            op.restore(st).map_err(|e| StateError::Stage {
                stage: i + 1,
                error: Box::new(e),
            })?;
        }
        Ok(())
    }

    /// The states as JSON text, as a checkpoint holds them (tests).
    #[cfg(test)]
    pub fn snapshot_text(&self) -> String {
        let mut out = Vec::new();
        self.save(&mut out).expect("a state serialises");
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// Restore from `snapshot_text` (tests).
    #[cfg(test)]
    pub fn restore_text(&mut self, text: &str) -> Result<(), StateError> {
        let states: Vec<&RawValue> = serde_json::from_str(text)?;
        self.restore(&states)
    }
}
