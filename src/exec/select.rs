//! `select ITEM, …`: keep only these fields, in this order. A selected field
//! that is missing comes out as `null` (as a SQL projection does), so every
//! row has the same columns.

use serde_json::Map;

use super::rawjson::Rebuilt;
use super::{Emit, ExecResult, Operator};
use crate::event::{raw_scalar_is_canonical, set_path, Event};
use crate::expr::Compiled;

pub struct SelectItem {
    pub name: Vec<String>,
    pub value: Compiled,
}

pub struct Select {
    items: Vec<SelectItem>,
    /// Every item is a plain top-level field under its own name (`select a, b`).
    plain: bool,
    rebuilt: Rebuilt,
}

impl Select {
    pub fn new(items: Vec<SelectItem>) -> Select {
        let plain = items.iter().enumerate().all(|(i, it)| {
            matches!(it.name.as_slice(), [_])
                && it.value.as_field() == Some(it.name.as_slice())
                && items[..i].iter().all(|p| p.name != it.name)
        });
        Select {
            items,
            plain,
            rebuilt: Rebuilt::default(),
        }
    }
}

/// The hot path for `select a, b` on an untouched JSON event: the new line is
/// put together from the raw values when each is written as serde_json would
/// write it, so the bytes equal what building the map and encoding it gives.
fn project(items: &[SelectItem], ev: &Event<'_>, rebuilt: &mut Rebuilt) -> bool {
    ev.raw_json_index().is_some()
        && items.iter().all(|it| {
            ev.get_raw_json(&it.name[0])
                .is_none_or(raw_scalar_is_canonical)
        })
        && rebuilt.project(
            items
                .iter()
                .map(|it| (it.name[0].as_str(), ev.get_raw_json(&it.name[0]))),
        )
}

impl Operator for Select {
    fn on_event(&mut self, mut ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        if self.plain && project(&self.items, &ev, &mut self.rebuilt) {
            return out.emit(ev.derived(&self.rebuilt.buf, &self.rebuilt.members));
        }
        let mut map = Map::with_capacity(self.items.len());
        for item in &self.items {
            let v = item.value.eval(&ev);
            set_path(&mut map, &item.name, v);
        }
        ev.set_map(map);
        out.emit(ev)
    }
}
