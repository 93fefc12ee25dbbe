//! `first(e)` and `last(e)`: the first and the last non-null value, of any type.
//!
//! Each keeps the arrival number (`seq`) of its value when fed with one
//! (`add_at`), so the slices of a hopping window merge into the value that
//! arrived first (last) whatever the order of the slices (issue 19).

use crate::exec::state::StateError;
use serde::{Deserialize, Serialize};

use super::{is_zero, Held};
use crate::value::Value;

/// What a checkpoint keeps of `first` and `last`: whether there is a value,
/// the value, and its arrival number (absent while 0, and in format v1).
#[derive(Serialize, Deserialize)]
pub struct FirstLastState {
    has: bool,
    v: Option<Value>,
    #[serde(default, skip_serializing_if = "is_zero")]
    seq: u64,
}

fn state(v: &Option<Held>, seq: u64) -> FirstLastState {
    FirstLastState {
        has: v.is_some(),
        v: v.as_ref().map(Held::value),
        seq,
    }
}

fn of_state(st: FirstLastState) -> (Option<Held>, u64) {
    let v = st.v.unwrap_or(Value::Null);
    (st.has.then(|| Held::of(&v)), st.seq)
}

#[derive(Debug, Clone, Default)]
pub struct First {
    v: Option<Held>,
    /// The arrival number of `v` (0 when not fed with one).
    seq: u64,
}

impl First {
    pub fn heap_bytes(&self) -> u64 {
        Held::heap_bytes(&self.v)
    }

    pub fn add(&mut self, v: &Value) {
        self.add_at(v, 0)
    }
    /// Add the value of the event that arrived `seq`-th.
    pub fn add_at(&mut self, v: &Value, seq: u64) {
        if self.v.is_none() {
            self.v = Some(Held::of(v));
            self.seq = seq;
        }
    }
    /// `other` holds later values: the first stays unless there was none.
    pub fn merge(&mut self, other: &First) {
        if let Some(v) = &other.v {
            self.add_at(&v.get(), other.seq)
        }
    }
    /// Either may hold earlier values: the one that arrived first wins.
    pub fn merge_by_arrival(&mut self, other: &First) {
        if other.v.is_some() && (self.v.is_none() || other.seq < self.seq) {
            self.clone_from(other);
        }
    }
    pub fn result(&self) -> Value {
        self.v.as_ref().map_or(Value::Null, Held::value)
    }
    pub fn state(&self) -> FirstLastState {
        state(&self.v, self.seq)
    }
    pub fn restore_state(&mut self, st: FirstLastState) -> Result<(), StateError> {
        (self.v, self.seq) = of_state(st);
        Ok(())
    }
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(self.state()).unwrap_or_default()
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), StateError> {
        self.restore_state(FirstLastState::deserialize(s).map_err(|e| format!("first: {e}"))?)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Last {
    v: Option<Held>,
    /// The arrival number of `v` (0 when not fed with one).
    seq: u64,
}

impl Last {
    pub fn heap_bytes(&self) -> u64 {
        Held::heap_bytes(&self.v)
    }

    pub fn add(&mut self, v: &Value) {
        self.add_at(v, 0)
    }
    /// Add the value of the event that arrived `seq`-th.
    pub fn add_at(&mut self, v: &Value, seq: u64) {
        match &mut self.v {
            Some(cur) => cur.set(v),
            None => self.v = Some(Held::of(v)),
        }
        self.seq = seq;
    }
    /// `other` holds later values: its last wins.
    pub fn merge(&mut self, other: &Last) {
        if let Some(v) = &other.v {
            self.add_at(&v.get(), other.seq)
        }
    }
    /// Either may hold later values: the one that arrived last wins.
    pub fn merge_by_arrival(&mut self, other: &Last) {
        if other.v.is_some() && (self.v.is_none() || other.seq > self.seq) {
            self.clone_from(other);
        }
    }
    pub fn result(&self) -> Value {
        self.v.as_ref().map_or(Value::Null, Held::value)
    }
    pub fn state(&self) -> FirstLastState {
        state(&self.v, self.seq)
    }
    pub fn restore_state(&mut self, st: FirstLastState) -> Result<(), StateError> {
        (self.v, self.seq) = of_state(st);
        Ok(())
    }
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(self.state()).unwrap_or_default()
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), StateError> {
        self.restore_state(FirstLastState::deserialize(s).map_err(|e| format!("last: {e}"))?)
    }
}
