//! Operators: one per stage, all with the same shape (DESIGN §8).
//!
//! Events are pushed: an operator hands each output event to `Emit`, which
//! runs the rest of the chain on it at once. Nothing is queued between stages,
//! so an event read from the input is finished before the next line is looked
//! at, and an event can borrow the reader's buffer (no copy per line).
//!
//! Lifecycle, as in Flink: `restore` (if resuming) before the first event;
//! then any mix of `on_event`, `on_watermark`, `on_tick`; then `on_end` once.
//! Never two calls at once.

pub mod absent;
pub mod agg;
pub mod aggregate;
pub mod chain;
pub mod dedup;
pub mod drop;
pub mod eval;
pub mod event_time;
pub mod fill;
pub mod head;
pub mod join;
pub mod key;
pub mod lookup;
pub mod parse;
pub mod rawjson;
pub mod rename;
pub mod running;
pub mod select;
pub mod slices;
pub mod slide;
pub mod state;
pub mod stats;
#[cfg(test)]
pub mod testkit;
pub mod top;
pub mod where_;
pub mod window;

use crate::event::Event;
use crate::timefmt::Millis;

pub use chain::Chain;
pub use state::{RawValue, StateError};
pub use stats::Stats;

/// Whether the run should go on after this call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Nothing more is wanted (e.g. `head` has its N events): end the run cleanly.
    Stop,
}

/// A runtime failure inside an operator (I/O on a lookup file, a write error
/// downstream). Bad events are not errors: they are counted and skipped.
#[derive(Debug)]
pub enum ExecError {
    /// Writing the output failed (broken pipe is reported separately by the sink).
    Output(std::io::Error),
    Other(String),
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExecError::Output(e) => write!(f, "cannot write output: {e}"),
            ExecError::Other(s) => f.write_str(s),
        }
    }
}

pub type ExecResult<T = Flow> = Result<T, ExecError>;

/// The state a stage holds (`--stats`): open groups (keys of `running`,
/// `dedup`, `top` too), open windows (sessions included) and an estimate of
/// the bytes they take on the heap.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StateSize {
    pub groups: u64,
    pub windows: u64,
    pub bytes: u64,
}

impl std::ops::AddAssign for StateSize {
    fn add_assign(&mut self, o: StateSize) {
        self.groups += o.groups;
        self.windows += o.windows;
        self.bytes += o.bytes;
    }
}

/// What an operator hands its results to: the rest of the chain, and the
/// run's counters and dead-letter file.
pub trait Emit {
    /// Pass an event downstream.
    fn emit(&mut self, ev: Event<'_>) -> ExecResult;
    /// An event arrived after all its windows closed: count it and copy its
    /// line to the dead-letter file.
    fn late(&mut self, ev: &Event<'_>);
    /// Counters for `--stats`.
    fn stats(&mut self) -> &mut Stats;
    /// Something the user should know that is not a result (a lookup file
    /// that cannot be reloaded): the run reports it on stderr, operators
    /// never write to the terminal themselves.
    fn warn(&mut self, message: &str);
    /// Where a stage may write result rows itself, as JSON lines (`{…}\n`,
    /// the bytes the JSON output writes for an untouched `Event::row_from_json`),
    /// when they would go straight to a JSON output: no later stage, nothing
    /// that needs them as events. `None` (the default): emit events. Each
    /// row written is then told with [`json_row_written`](Self::json_row_written).
    fn json_out(&mut self) -> Option<&mut Vec<u8>> {
        None
    }
    /// A row was written into [`json_out`](Self::json_out).
    fn json_row_written(&mut self) -> ExecResult {
        Ok(Flow::Continue)
    }
}

pub trait Operator: Send {
    fn on_event(&mut self, ev: Event<'_>, out: &mut dyn Emit) -> ExecResult;

    /// The event-time watermark moved to `wm` (only ever forward).
    fn on_watermark(&mut self, _wm: Millis, _out: &mut dyn Emit) -> ExecResult {
        Ok(Flow::Continue)
    }

    /// The wall clock reached `now` (epoch ms): for `emit every`, processing-time
    /// windows, lookup reloads. Called at least as often as `next_tick` asks.
    fn on_tick(&mut self, _now: Millis, _out: &mut dyn Emit) -> ExecResult {
        Ok(Flow::Continue)
    }

    /// The next wall-clock time this operator needs `on_tick`, if any.
    fn next_tick(&self) -> Option<Millis> {
        None
    }

    /// End of input: emit what is still open.
    fn on_end(&mut self, _out: &mut dyn Emit) -> ExecResult {
        Ok(Flow::Continue)
    }

    /// How much state the operator holds now, for `--stats`; `None` for a
    /// stage that keeps none.
    fn state_size(&self) -> Option<StateSize> {
        None
    }

    /// Write the operator's whole state into a checkpoint, as JSON, straight
    /// from its own structures (`state.rs`): `null` for a stage that keeps none.
    fn save(&self, out: &mut dyn std::io::Write) -> serde_json::Result<()> {
        out.write_all(b"null").map_err(serde_json::Error::io)
    }

    /// Restore a state `save` wrote (or an earlier streamctl's); called
    /// before the first event.
    fn restore(&mut self, _state: &RawValue) -> Result<(), StateError> {
        Ok(())
    }
}
