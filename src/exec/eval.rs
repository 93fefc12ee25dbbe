//! `eval name = EXPR, …`: add or replace fields. Assignments run left to
//! right, so a later one sees an earlier one (`eval a = 1, b = a + 1`).

use super::{Emit, ExecResult, Operator};
use crate::event::{set_path, Event};
use crate::expr::Compiled;

pub struct Eval {
    pub assignments: Vec<(Vec<String>, Compiled)>,
}

impl Operator for Eval {
    fn on_event(&mut self, mut ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        for (name, expr) in &self.assignments {
            let v = expr.eval(&ev);
            set_path(ev.fields_mut(), name, v);
        }
        out.emit(ev)
    }
}
