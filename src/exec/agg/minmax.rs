//! `min(e)` and `max(e)` by the comparison rules of `value::compare`
//! (numbers numerically, strings bytewise, a number against a numeric string
//! numerically). A value that does not compare with the current one (an
//! object, an array, a word against a number) is ignored.

use std::cmp::Ordering;

use serde_json::json;

use super::{field, Held};
use crate::value::{self, Value};

fn keep(cur: &mut Option<Held>, v: &Value, want: Ordering) {
    match cur {
        None => {
            if matches!(v, Value::Number(_) | Value::String(_) | Value::Bool(_)) {
                *cur = Some(Held::of(v));
            }
        }
        Some(c) => {
            if value::compare(v, &c.get()) == Some(want) {
                c.set(v);
            }
        }
    }
}

fn restore(s: &serde_json::Value, what: &str) -> Result<Option<Held>, String> {
    Ok(match field(s, what, "v")? {
        Value::Null => None,
        v => Some(Held::of(v)),
    })
}

#[derive(Debug, Clone, Default)]
pub struct Min {
    cur: Option<Held>,
}

impl Min {
    pub fn heap_bytes(&self) -> u64 {
        Held::heap_bytes(&self.cur)
    }

    pub fn add(&mut self, v: &Value) {
        keep(&mut self.cur, v, Ordering::Less)
    }
    pub fn merge(&mut self, other: &Min) {
        if let Some(v) = &other.cur {
            self.add(&v.get())
        }
    }
    pub fn result(&self) -> Value {
        self.cur.as_ref().map_or(Value::Null, Held::value)
    }
    pub fn snapshot(&self) -> serde_json::Value {
        json!({ "v": self.cur.as_ref().map(Held::value) })
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        self.cur = restore(s, "min")?;
        Ok(())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Max {
    cur: Option<Held>,
}

impl Max {
    pub fn heap_bytes(&self) -> u64 {
        Held::heap_bytes(&self.cur)
    }

    pub fn add(&mut self, v: &Value) {
        keep(&mut self.cur, v, Ordering::Greater)
    }
    pub fn merge(&mut self, other: &Max) {
        if let Some(v) = &other.cur {
            self.add(&v.get())
        }
    }
    pub fn result(&self) -> Value {
        self.cur.as_ref().map_or(Value::Null, Held::value)
    }
    pub fn snapshot(&self) -> serde_json::Value {
        json!({ "v": self.cur.as_ref().map(Held::value) })
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        self.cur = restore(s, "max")?;
        Ok(())
    }
}
