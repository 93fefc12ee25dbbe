//! `min(e)` and `max(e)` by the comparison rules of `value::compare`
//! (numbers numerically, strings bytewise, a number against a numeric string
//! numerically). A value that does not compare with the current one (an
//! object, an array, a word against a number) is ignored.

use std::cmp::Ordering;

use serde_json::json;

use super::field;
use crate::value::{self, Value};

fn keep(cur: &mut Option<Value>, v: &Value, want: Ordering) {
    match cur {
        None => {
            if matches!(v, Value::Number(_) | Value::String(_) | Value::Bool(_)) {
                *cur = Some(v.clone());
            }
        }
        Some(c) => {
            if value::compare(v, c) == Some(want) {
                *c = v.clone();
            }
        }
    }
}

fn restore(s: &serde_json::Value, what: &str) -> Result<Option<Value>, String> {
    Ok(match field(s, what, "v")? {
        Value::Null => None,
        v => Some(v.clone()),
    })
}

#[derive(Debug, Clone, Default)]
pub struct Min {
    cur: Option<Value>,
}

impl Min {
    pub fn add(&mut self, v: &Value) {
        keep(&mut self.cur, v, Ordering::Less)
    }
    pub fn merge(&mut self, other: &Min) {
        if let Some(v) = &other.cur {
            self.add(v)
        }
    }
    pub fn result(&self) -> Value {
        self.cur.clone().unwrap_or(Value::Null)
    }
    pub fn snapshot(&self) -> serde_json::Value {
        json!({ "v": self.cur })
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        self.cur = restore(s, "min")?;
        Ok(())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Max {
    cur: Option<Value>,
}

impl Max {
    pub fn add(&mut self, v: &Value) {
        keep(&mut self.cur, v, Ordering::Greater)
    }
    pub fn merge(&mut self, other: &Max) {
        if let Some(v) = &other.cur {
            self.add(v)
        }
    }
    pub fn result(&self) -> Value {
        self.cur.clone().unwrap_or(Value::Null)
    }
    pub fn snapshot(&self) -> serde_json::Value {
        json!({ "v": self.cur })
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        self.cur = restore(s, "max")?;
        Ok(())
    }
}
