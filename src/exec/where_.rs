//! `where EXPR` / `filter EXPR`: keep the events for which EXPR is true.

use super::{Emit, ExecResult, Flow, Operator};
use crate::event::Event;
use crate::expr::Compiled;

pub struct Where {
    pub cond: Compiled,
}

impl Operator for Where {
    fn on_event(&mut self, ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        if self.cond.is_true(&ev) {
            out.emit(ev)
        } else {
            Ok(Flow::Continue)
        }
    }
}
