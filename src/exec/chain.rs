//! Runs the operators in order: the rest of the chain is the `Emit` each
//! operator pushes into, and the sink ends it.

use super::{Emit, ExecResult, Flow, Operator, Stats};
use crate::event::Event;
use crate::timefmt::Millis;

/// Where the last operator's events go, and where late events are reported.
pub trait Sink {
    fn write(&mut self, ev: Event<'_>) -> ExecResult;
    fn late(&mut self, ev: &Event<'_>);
    fn stats(&mut self) -> &mut Stats;
}

pub struct Chain {
    ops: Vec<Box<dyn Operator>>,
}

struct Downstream<'s> {
    ops: &'s mut [Box<dyn Operator>],
    sink: &'s mut dyn Sink,
}

impl Emit for Downstream<'_> {
    fn emit(&mut self, ev: Event<'_>) -> ExecResult {
        match self.ops.split_first_mut() {
            None => self.sink.write(ev),
            Some((op, rest)) => op.on_event(
                ev,
                &mut Downstream {
                    ops: rest,
                    sink: self.sink,
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
}

impl Chain {
    pub fn new(ops: Vec<Box<dyn Operator>>) -> Chain {
        Chain { ops }
    }

    pub fn ops(&self) -> &[Box<dyn Operator>] {
        &self.ops
    }

    pub fn ops_mut(&mut self) -> &mut [Box<dyn Operator>] {
        &mut self.ops
    }

    pub fn push(&mut self, ev: Event<'_>, sink: &mut dyn Sink) -> ExecResult {
        Downstream {
            ops: &mut self.ops,
            sink,
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

    pub fn end(&mut self, sink: &mut dyn Sink) -> ExecResult {
        self.each(sink, |op, out| op.on_end(out))
    }

    pub fn next_tick(&self) -> Option<Millis> {
        self.ops.iter().filter_map(|op| op.next_tick()).min()
    }

    fn each(
        &mut self,
        sink: &mut dyn Sink,
        mut f: impl FnMut(&mut dyn Operator, &mut dyn Emit) -> ExecResult,
    ) -> ExecResult {
        let mut flow = Flow::Continue;
        for i in 0..self.ops.len() {
            let (head, rest) = self.ops[i..].split_first_mut().expect("i < len");
            if f(head.as_mut(), &mut Downstream { ops: rest, sink })? == Flow::Stop {
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
