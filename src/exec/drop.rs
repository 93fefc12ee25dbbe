//! `drop field, …`: remove fields; a missing one is not an error. The
//! event is edited, not decoded (see `Event::remove_field`).

use super::{Emit, ExecResult, Operator};
use crate::event::Event;

pub struct Drop {
    pub fields: Vec<Vec<String>>,
}

impl Operator for Drop {
    fn on_event(&mut self, mut ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        for f in &self.fields {
            ev.remove_field(f);
        }
        out.emit(ev)
    }
}
