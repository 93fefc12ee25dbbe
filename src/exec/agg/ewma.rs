//! `ewma(e, alpha)` (running only): starts at the first value, then
//! `s = alpha·x + (1−alpha)·s`.

use serde_json::json;

use super::{f64_from_json, f64_to_json, field};
use crate::value::{number_from_f64, Value};

#[derive(Debug, Clone)]
pub struct Ewma {
    alpha: f64,
    s: Option<f64>,
}

impl Ewma {
    pub fn new(alpha: f64) -> Ewma {
        Ewma { alpha, s: None }
    }

    pub fn add(&mut self, x: f64) {
        self.s = Some(match self.s {
            None => x,
            Some(s) => self.alpha * x + (1.0 - self.alpha) * s,
        });
    }

    /// Two running averages do not combine; the later one (`other`) wins.
    pub fn merge(&mut self, other: &Ewma) {
        if other.s.is_some() {
            self.s = other.s;
        }
    }

    pub fn result(&self) -> Value {
        self.s.map_or(Value::Null, number_from_f64)
    }

    pub fn snapshot(&self) -> serde_json::Value {
        json!({ "s": self.s.map(f64_to_json) })
    }

    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        self.s = match field(s, "ewma", "s")? {
            serde_json::Value::Null => None,
            v => Some(f64_from_json(v)?),
        };
        Ok(())
    }
}
