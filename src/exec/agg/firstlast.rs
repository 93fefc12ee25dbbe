//! `first(e)` and `last(e)`: the first and the last non-null value, of any type.

use serde_json::json;

use super::field;
use crate::value::Value;

fn restore(s: &serde_json::Value, what: &str) -> Result<Option<Value>, String> {
    let has = field(s, what, "has")?
        .as_bool()
        .ok_or_else(|| format!("{what}: `has` is not a bool"))?;
    Ok(has.then(|| s.get("v").cloned().unwrap_or(Value::Null)))
}

#[derive(Debug, Clone, Default)]
pub struct First {
    v: Option<Value>,
}

impl First {
    pub fn add(&mut self, v: &Value) {
        if self.v.is_none() {
            self.v = Some(v.clone());
        }
    }
    /// `other` holds later values: the first stays unless there was none.
    pub fn merge(&mut self, other: &First) {
        if let Some(v) = &other.v {
            self.add(v)
        }
    }
    pub fn result(&self) -> Value {
        self.v.clone().unwrap_or(Value::Null)
    }
    pub fn snapshot(&self) -> serde_json::Value {
        json!({ "has": self.v.is_some(), "v": self.v })
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        self.v = restore(s, "first")?;
        Ok(())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Last {
    v: Option<Value>,
}

impl Last {
    pub fn add(&mut self, v: &Value) {
        match &mut self.v {
            Some(cur) => cur.clone_from(v),
            None => self.v = Some(v.clone()),
        }
    }
    /// `other` holds later values: its last wins.
    pub fn merge(&mut self, other: &Last) {
        if let Some(v) = &other.v {
            self.add(v)
        }
    }
    pub fn result(&self) -> Value {
        self.v.clone().unwrap_or(Value::Null)
    }
    pub fn snapshot(&self) -> serde_json::Value {
        json!({ "has": self.v.is_some(), "v": self.v })
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        self.v = restore(s, "last")?;
        Ok(())
    }
}
