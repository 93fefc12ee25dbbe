//! `head N`: pass the first N events, then end the run cleanly.

use super::{Emit, ExecResult, Flow, Operator};
use crate::event::Event;

pub struct Head {
    pub limit: u64,
    pub seen: u64,
}

impl Operator for Head {
    fn on_event(&mut self, ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        if self.seen >= self.limit {
            return Ok(Flow::Stop);
        }
        self.seen += 1;
        let flow = out.emit(ev)?;
        if self.seen >= self.limit {
            return Ok(Flow::Stop);
        }
        Ok(flow)
    }

    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({ "seen": self.seen })
    }

    fn restore(&mut self, state: serde_json::Value) -> Result<(), String> {
        self.seen = state
            .get("seen")
            .and_then(|v| v.as_u64())
            .ok_or("head: state without a `seen` count")?;
        Ok(())
    }
}
