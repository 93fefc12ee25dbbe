//! `ewma(e, alpha)` (running only): starts at the first value, then
//! `s = alpha·x + (1−alpha)·s`.

use crate::exec::state::StateError;
use serde::{Deserialize, Serialize};

use super::F64;
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

    pub fn state(&self) -> EwmaState {
        EwmaState { s: self.s.map(F64) }
    }

    pub fn restore_state(&mut self, st: EwmaState) -> Result<(), StateError> {
        self.s = st.s.map(|f| f.0);
        Ok(())
    }

    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(self.state()).unwrap_or_default()
    }

    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), StateError> {
        self.restore_state(EwmaState::deserialize(s).map_err(|e| format!("ewma: {e}"))?)
    }
}

/// What a checkpoint keeps of `ewma`: the average so far (null: no value yet).
#[derive(Serialize, Deserialize)]
pub struct EwmaState {
    s: Option<F64>,
}
