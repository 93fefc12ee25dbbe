//! `drop field, …`: remove fields; a missing one is not an error.

use super::{Emit, ExecResult, Operator};
use crate::event::{remove_path, Event};

pub struct Drop {
    pub fields: Vec<Vec<String>>,
}

impl Operator for Drop {
    fn on_event(&mut self, mut ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        // Only decode (and lose the byte-for-byte echo) when something goes.
        if self.fields.iter().any(|f| ev.get_path(f).is_some()) {
            let map = ev.fields_mut();
            for f in &self.fields {
                remove_path(map, f);
            }
        }
        out.emit(ev)
    }
}
