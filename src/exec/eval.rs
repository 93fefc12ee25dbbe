//! `eval name = EXPR, …`: add or replace fields. Assignments run left to
//! right, so a later one sees an earlier one (`eval a = 1, b = a + 1`).
//! The event is edited, not decoded: the fields set are kept beside its
//! bytes (see `Event::set_field`).

use super::{Emit, ExecResult, Operator};
use crate::event::Event;
use crate::expr::Compiled;

pub struct Eval {
    pub assignments: Vec<(Vec<String>, Compiled)>,
}

impl Operator for Eval {
    fn on_event(&mut self, ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        // The names are lent to the event (it lives no longer than this call).
        let mut ev: Event<'_> = ev;
        for (name, expr) in &self.assignments {
            let v = expr.eval(&ev);
            match name.as_slice() {
                [top] => ev.set_named(top, v),
                path => ev.set_field(path, v),
            }
        }
        out.emit(ev)
    }
}
