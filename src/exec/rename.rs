//! `rename a as b, …`: a top-level field keeps its position under the new
//! name (as mlr does); a nested one moves to its new path. The event is
//! edited, not decoded (see `Event::rename_field`).

use super::{Emit, ExecResult, Operator};
use crate::event::Event;

pub struct Rename {
    pub pairs: Vec<(Vec<String>, Vec<String>)>,
}

impl Operator for Rename {
    fn on_event(&mut self, mut ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        for (from, to) in &self.pairs {
            ev.rename_field(from, to);
        }
        out.emit(ev)
    }
}
