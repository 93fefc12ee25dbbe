//! `rename a as b, …`: a top-level field keeps its position under the new
//! name (as mlr does); a nested one moves to its new path.

use super::{Emit, ExecResult, Operator};
use crate::event::{remove_path, set_path, Event};

pub struct Rename {
    pub pairs: Vec<(Vec<String>, Vec<String>)>,
}

impl Operator for Rename {
    fn on_event(&mut self, mut ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        for (from, to) in &self.pairs {
            if ev.get_path(from).is_none() || from == to {
                continue;
            }
            let map = ev.fields_mut();
            if let ([f], [t]) = (from.as_slice(), to.as_slice()) {
                // serde_json's Map has no positional insert: rebuild it in order.
                let old = std::mem::take(map);
                for (k, v) in old {
                    if k == *f {
                        map.insert(t.clone(), v);
                    } else if k != *t {
                        map.insert(k, v);
                    }
                }
            } else if let Some(v) = remove_path(map, from) {
                set_path(map, to, v);
            }
        }
        out.emit(ev)
    }
}
