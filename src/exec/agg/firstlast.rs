//! `first(e)` and `last(e)`: the first and the last non-null value, of any type.

use serde_json::json;

use super::{field, Held};
use crate::value::Value;

fn restore(s: &serde_json::Value, what: &str) -> Result<Option<Held>, String> {
    let has = field(s, what, "has")?
        .as_bool()
        .ok_or_else(|| format!("{what}: `has` is not a bool"))?;
    Ok(has.then(|| Held::of(s.get("v").unwrap_or(&Value::Null))))
}

#[derive(Debug, Clone, Default)]
pub struct First {
    v: Option<Held>,
}

impl First {
    pub fn heap_bytes(&self) -> u64 {
        Held::heap_bytes(&self.v)
    }

    pub fn add(&mut self, v: &Value) {
        if self.v.is_none() {
            self.v = Some(Held::of(v));
        }
    }
    /// `other` holds later values: the first stays unless there was none.
    pub fn merge(&mut self, other: &First) {
        if let Some(v) = &other.v {
            self.add(&v.get())
        }
    }
    pub fn result(&self) -> Value {
        self.v.as_ref().map_or(Value::Null, Held::value)
    }
    pub fn snapshot(&self) -> serde_json::Value {
        json!({ "has": self.v.is_some(), "v": self.v.as_ref().map(Held::value) })
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        self.v = restore(s, "first")?;
        Ok(())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Last {
    v: Option<Held>,
}

impl Last {
    pub fn heap_bytes(&self) -> u64 {
        Held::heap_bytes(&self.v)
    }

    pub fn add(&mut self, v: &Value) {
        match &mut self.v {
            Some(cur) => cur.set(v),
            None => self.v = Some(Held::of(v)),
        }
    }
    /// `other` holds later values: its last wins.
    pub fn merge(&mut self, other: &Last) {
        if let Some(v) = &other.v {
            self.add(&v.get())
        }
    }
    pub fn result(&self) -> Value {
        self.v.as_ref().map_or(Value::Null, Held::value)
    }
    pub fn snapshot(&self) -> serde_json::Value {
        json!({ "has": self.v.is_some(), "v": self.v.as_ref().map(Held::value) })
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        self.v = restore(s, "last")?;
        Ok(())
    }
}
