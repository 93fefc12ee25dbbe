//! Test support shared by every operator: drive an operator with a script of
//! inputs and prove that snapshot → restore → continue gives the same output
//! as an uninterrupted run, at every point of the script.

use serde_json::Map;

use super::chain::Sink;
use super::{Chain, ExecError, Flow, Operator, RawValue, Stats};
use crate::event::Event;
use crate::timefmt::Millis;
use crate::value::Value;

/// One thing that happens to an operator.
#[derive(Debug, Clone)]
pub enum Step {
    /// An event (a JSON object text) with its event time.
    Event(&'static str, Option<Millis>),
    Watermark(Millis),
    Tick(Millis),
    End,
}

/// Collects what reaches the end of the chain, as JSON lines; late events
/// are recorded as `late:<line>`.
#[derive(Default)]
pub struct Collect {
    pub lines: Vec<String>,
    pub stats: Stats,
}

impl Sink for Collect {
    fn write(&mut self, ev: Event<'_>) -> Result<Flow, ExecError> {
        let time = ev.time();
        let map = ev.into_map();
        let mut line = serde_json::to_string(&map).expect("serialise");
        if let Some(t) = time {
            line.push_str(&format!(" @{t}"));
        }
        self.lines.push(line);
        Ok(Flow::Continue)
    }
    fn late(&mut self, ev: &Event<'_>) {
        self.stats.late += 1;
        let map = ev.to_map();
        self.lines.push(format!(
            "late:{}",
            serde_json::to_string(map.as_ref()).expect("serialise")
        ));
    }
    fn reject(&mut self, ev: &Event<'_>, reason: &str) -> Result<Flow, ExecError> {
        let map = ev.to_map();
        self.lines.push(format!(
            "reject:{} {reason}",
            serde_json::to_string(map.as_ref()).expect("serialise")
        ));
        Ok(Flow::Continue)
    }
    fn stats(&mut self) -> &mut Stats {
        &mut self.stats
    }
    fn warn(&mut self, message: &str) {
        self.lines.push(format!("warning:{message}"));
    }
}

/// Run `steps` through `chain`, appending output to `out`.
pub fn drive(chain: &mut Chain, steps: &[Step], out: &mut Collect) {
    for step in steps {
        match step {
            Step::Event(text, time) => {
                let map: Map<String, Value> =
                    serde_json::from_str(text).expect("test event is a JSON object");
                let mut ev = Event::new_row(map, *time);
                ev.set_time(*time);
                chain.push(ev, out).expect("push");
            }
            Step::Watermark(wm) => {
                chain.watermark(*wm, out).expect("watermark");
            }
            Step::Tick(now) => {
                chain.tick(*now, out).expect("tick");
            }
            Step::End => {
                chain.end(out).expect("end");
            }
        }
    }
}

/// Output of an uninterrupted run.
pub fn run_script(make: &dyn Fn() -> Box<dyn Operator>, steps: &[Step]) -> Vec<String> {
    let mut chain = Chain::new(vec![make()]);
    let mut out = Collect::default();
    drive(&mut chain, steps, &mut out);
    out.lines
}

/// For every cut point, run the first part, snapshot (through JSON text, as
/// a checkpoint file would), restore into a fresh operator, run the rest, and
/// check the combined output equals the uninterrupted run. Returns that output.
pub fn assert_snapshot_restore_equivalent(
    make: &dyn Fn() -> Box<dyn Operator>,
    steps: &[Step],
) -> Vec<String> {
    let expected = run_script(make, steps);
    for cut in 0..=steps.len() {
        let mut first = Chain::new(vec![make()]);
        let mut out = Collect::default();
        drive(&mut first, &steps[..cut], &mut out);
        let text = first.snapshot_text();
        let mut second = Chain::new(vec![make()]);
        second.restore_text(&text).expect("restore");
        drive(&mut second, &steps[cut..], &mut out);
        assert_eq!(
            out.lines, expected,
            "output differs after a snapshot/restore before step {cut}"
        );
    }
    expected
}

/// A JSON text as the borrowed state a restore reads.
pub fn raw(text: &str) -> &RawValue {
    serde_json::from_str(text).expect("a JSON state")
}

/// One operator's state as a checkpoint holds it, parsed (to look into).
pub fn state_of(op: &dyn Operator) -> Value {
    let mut out = Vec::new();
    op.save(&mut out).expect("a state serialises");
    serde_json::from_slice(&out).expect("a state is JSON")
}

/// A fixed sequence of pseudo-random numbers (xorshift64) for tests that
/// compare an operator with a model over many random inputs.
pub struct Rng(u64);

impl Rng {
    /// `seed` must not be zero.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next number, below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::head::Head;

    #[test]
    fn head_survives_snapshot_and_restore() {
        let steps = [
            Step::Event(r#"{"a":1}"#, None),
            Step::Event(r#"{"a":2}"#, None),
            Step::Event(r#"{"a":3}"#, None),
        ];
        let out =
            assert_snapshot_restore_equivalent(&|| Box::new(Head { limit: 2, seen: 0 }), &steps);
        assert_eq!(out, vec![r#"{"a":1}"#, r#"{"a":2}"#]);
    }
}
