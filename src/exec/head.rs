//! `head N`: pass the first N events, then end the run cleanly.

use serde::{Deserialize, Serialize};

use super::state::{self, Version};
use super::{Emit, ExecResult, Flow, Operator, RawValue, StateError};
use crate::event::Event;

pub struct Head {
    pub limit: u64,
    pub seen: u64,
}

/// What a checkpoint keeps of `head`.
#[derive(Serialize, Deserialize)]
struct HeadState {
    #[serde(default)]
    version: Version<1>,
    seen: u64,
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

    fn save(&self, out: &mut dyn std::io::Write) -> serde_json::Result<()> {
        serde_json::to_writer(
            out,
            &HeadState {
                version: Version,
                seen: self.seen,
            },
        )
    }

    fn restore(&mut self, state: &RawValue) -> Result<(), StateError> {
        self.seen = state::parse::<HeadState>(state)?.seen;
        Ok(())
    }
}
