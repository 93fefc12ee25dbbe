//! `select ITEM, …`: keep only these fields, in this order. A selected field
//! that is missing comes out as `null` (as a SQL projection does), so every
//! row has the same columns.

use serde_json::Map;

use super::{Emit, ExecResult, Operator};
use crate::event::{set_path, Event};
use crate::expr::Compiled;

pub struct SelectItem {
    pub name: Vec<String>,
    pub value: Compiled,
}

pub struct Select {
    pub items: Vec<SelectItem>,
}

impl Operator for Select {
    fn on_event(&mut self, mut ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        let mut map = Map::with_capacity(self.items.len());
        for item in &self.items {
            let v = item.value.eval(&ev);
            set_path(&mut map, &item.name, v);
        }
        ev.set_map(map);
        out.emit(ev)
    }
}
