//! Runs the operators in order: the rest of the chain is the `Emit` each
//! operator pushes into, and the sink ends it.
//!
//! When the pipeline works in event time, the chain reads each event's time
//! just before the first stage that needs it (`EventTime::read`), rejects
//! the events without a readable time there, and gives the later stages
//! each new watermark right after the event that moved it.

use super::event_time::{Decided, EventTime, Verdict};
use super::{Emit, ExecResult, Flow, Operator, StateSize, Stats};
use crate::event::{Event, Held};
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
}

pub struct Chain {
    ops: Vec<Box<dyn Operator>>,
    clock: Option<Clock>,
}

/// Event time, read when an event reaches stage `at`.
struct Clock {
    at: usize,
    time: EventTime,
}

struct Downstream<'s> {
    ops: &'s mut [Box<dyn Operator>],
    sink: &'s mut dyn Sink,
    /// The event time reader, and how many stages are left where it reads.
    clock: Option<(&'s mut EventTime, usize)>,
}

impl Emit for Downstream<'_> {
    fn emit(&mut self, ev: Event<'_>) -> ExecResult {
        if let Some((time, left)) = &mut self.clock {
            if self.ops.len() == *left {
                return read_time(time, self.ops, self.sink, ev);
            }
        }
        match self.ops.split_first_mut() {
            None => self.sink.write(ev),
            Some((op, rest)) => op.on_event(
                ev,
                &mut Downstream {
                    ops: rest,
                    sink: self.sink,
                    clock: self.clock.as_mut().map(|(t, l)| (&mut **t, *l)),
                },
            ),
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
}

/// The stages from the one that needs time on (`ops`), without a clock.
fn timed<'s>(ops: &'s mut [Box<dyn Operator>], sink: &'s mut dyn Sink) -> Downstream<'s> {
    Downstream {
        ops,
        sink,
        clock: None,
    }
}

/// An event reached the first stage that needs time: set its time (or hold
/// or reject it), pass it on, and move the watermark.
fn read_time(
    time: &mut EventTime,
    ops: &mut [Box<dyn Operator>],
    sink: &mut dyn Sink,
    ev: Event<'_>,
) -> ExecResult {
    let verdict = time.read(ev);
    let mut flow = settle(time, ops, sink)?;
    match verdict {
        Verdict::Pass(ev) => flow = flow.and(timed(ops, sink).emit(ev)?),
        Verdict::Reject(ev, reason) => flow = flow.and(sink.reject(&ev, &reason)?),
        Verdict::Held => {}
    }
    if let Some(wm) = time.advance() {
        flow = flow.and(watermark_from(ops, sink, wm)?);
    }
    Ok(flow)
}

/// Held events whose fate was just decided: rejected, or passed on at the
/// time they arrived.
fn settle(time: &mut EventTime, ops: &mut [Box<dyn Operator>], sink: &mut dyn Sink) -> ExecResult {
    let mut flow = Flow::Continue;
    match time.take_decided() {
        None => {}
        Some(Decided::Reject(held, reason)) => {
            for h in &held {
                flow = flow.and(sink.reject(&h.event(), &reason)?);
            }
        }
        Some(Decided::Pass(held)) => {
            for h in &held {
                flow = flow.and(pass_held(h, ops, sink)?);
                if flow == Flow::Stop {
                    break;
                }
            }
        }
    }
    Ok(flow)
}

fn pass_held(h: &Held, ops: &mut [Box<dyn Operator>], sink: &mut dyn Sink) -> ExecResult {
    let mut ev = h.event();
    ev.time = Some(h.arrival);
    timed(ops, sink).emit(ev)
}

/// Give the watermark to each of `ops` in order (see `Chain::watermark`).
fn watermark_from(ops: &mut [Box<dyn Operator>], sink: &mut dyn Sink, wm: Millis) -> ExecResult {
    let mut flow = Flow::Continue;
    for i in 0..ops.len() {
        let (head, rest) = ops[i..].split_first_mut().expect("i < len");
        flow = flow.and(head.on_watermark(wm, &mut timed(rest, sink))?);
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
        Chain { ops, clock: None }
    }

    /// A chain that reads event time with `time` when an event reaches stage `at`.
    pub fn with_time(ops: Vec<Box<dyn Operator>>, at: usize, time: EventTime) -> Chain {
        Chain {
            ops,
            clock: Some(Clock { at, time }),
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
        let Some(Clock { at, time }) = &mut self.clock else {
            return Ok(Flow::Continue);
        };
        let wm = time.on_idle(now);
        let ops = &mut self.ops[*at..];
        let mut flow = settle(time, ops, sink)?;
        if let Some(wm) = wm {
            flow = flow.and(watermark_from(ops, sink, wm)?);
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
        Downstream {
            ops: &mut self.ops,
            sink,
            clock: self.clock.as_mut().map(|c| (&mut c.time, len - c.at)),
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
        if let Some(Clock { at, time }) = &mut self.clock {
            time.finish();
            let ops = &mut self.ops[*at..];
            flow = flow.and(settle(time, ops, sink)?);
            if let Some(wm) = time.advance() {
                flow = flow.and(watermark_from(ops, sink, wm)?);
            }
        }
        let len = self.ops.len();
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
            let mut down = Downstream {
                ops: rest,
                sink,
                clock: self.clock.as_mut().map(|c| (&mut c.time, len - c.at)),
            };
            if f(head.as_mut(), &mut down)? == Flow::Stop {
                flow = Flow::Stop;
            }
        }
        Ok(flow)
    }

    pub fn snapshot(&self) -> Vec<serde_json::Value> {
        self.ops.iter().map(|op| op.snapshot()).collect()
    }

    pub fn restore(&mut self, states: Vec<serde_json::Value>) -> Result<(), String> {
        if states.len() != self.ops.len() {
            return Err(format!(
                "checkpoint has state for {} stages, pipeline has {}",
                states.len(),
                self.ops.len()
            ));
        }
        for (i, (op, st)) in self.ops.iter_mut().zip(states).enumerate() {
            op.restore(st)
                .map_err(|e| format!("stage {}: {e}", i + 1))?;
        }
        Ok(())
    }
}
