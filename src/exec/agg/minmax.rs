//! `min(e)` and `max(e)` by the comparison rules of `value::compare`
//! (numbers numerically, strings bytewise, a number against a numeric string
//! numerically). A value that does not compare with the current one (an
//! object, an array, a word against a number) is ignored. Of equal values
//! (`1` and `1.0`, `10` and `"10"`) the one that came first is kept: each
//! keeps the arrival number (`seq`) of its value when fed with one, so the
//! slices of a hopping window merge as one pass would (issue 19).

use crate::exec::state::StateError;
use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::{is_zero, Held};
use crate::value::{self, Value};

/// Keep `v` (which arrived `seq`-th) if it beats the current value.
fn keep(cur: &mut Option<Held>, cur_seq: &mut u64, v: &Value, seq: u64, want: Ordering) {
    match cur {
        None => {
            if matches!(v, Value::Number(_) | Value::String(_) | Value::Bool(_)) {
                *cur = Some(Held::of(v));
                *cur_seq = seq;
            }
        }
        Some(c) => {
            if value::compare(v, &c.get()) == Some(want) {
                c.set(v);
                *cur_seq = seq;
            }
        }
    }
}

/// Keep `other`'s value if it beats the current one, or equals it and came first.
fn keep_by_arrival(
    cur: &mut Option<Held>,
    cur_seq: &mut u64,
    other: &Option<Held>,
    other_seq: u64,
    want: Ordering,
) {
    let Some(o) = other else {
        return;
    };
    let take = match cur {
        None => true,
        Some(c) => match value::compare(&o.get(), &c.get()) {
            Some(Ordering::Equal) => other_seq < *cur_seq,
            ord => ord == Some(want),
        },
    };
    if take {
        *cur = Some(o.clone());
        *cur_seq = other_seq;
    }
}

/// What a checkpoint keeps of `min` and `max`: the value (null: none yet)
/// and its arrival number (absent while 0, and in format v1).
#[derive(Serialize, Deserialize)]
pub struct MinMaxState {
    v: Option<Value>,
    #[serde(default, skip_serializing_if = "is_zero")]
    seq: u64,
}

fn state(v: &Option<Held>, seq: u64) -> MinMaxState {
    MinMaxState {
        v: v.as_ref().map(Held::value),
        seq,
    }
}

fn of_state(st: MinMaxState) -> (Option<Held>, u64) {
    (st.v.filter(|v| !v.is_null()).map(|v| Held::of(&v)), st.seq)
}

#[derive(Debug, Clone, Default)]
pub struct Min {
    cur: Option<Held>,
    /// The arrival number of `cur` (0 when not fed with one).
    seq: u64,
}

impl Min {
    pub fn heap_bytes(&self) -> u64 {
        Held::heap_bytes(&self.cur)
    }

    pub fn add(&mut self, v: &Value) {
        self.add_at(v, 0)
    }
    /// Add the value of the event that arrived `seq`-th.
    pub fn add_at(&mut self, v: &Value, seq: u64) {
        keep(&mut self.cur, &mut self.seq, v, seq, Ordering::Less)
    }
    pub fn merge(&mut self, other: &Min) {
        if let Some(v) = &other.cur {
            self.add_at(&v.get(), other.seq)
        }
    }
    /// Either may hold earlier values: of equal values, the first to arrive wins.
    pub fn merge_by_arrival(&mut self, other: &Min) {
        keep_by_arrival(
            &mut self.cur,
            &mut self.seq,
            &other.cur,
            other.seq,
            Ordering::Less,
        )
    }
    pub fn result(&self) -> Value {
        self.cur.as_ref().map_or(Value::Null, Held::value)
    }
    pub fn state(&self) -> MinMaxState {
        state(&self.cur, self.seq)
    }
    pub fn restore_state(&mut self, st: MinMaxState) -> Result<(), StateError> {
        (self.cur, self.seq) = of_state(st);
        Ok(())
    }
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(self.state()).unwrap_or_default()
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), StateError> {
        self.restore_state(MinMaxState::deserialize(s).map_err(|e| format!("min: {e}"))?)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Max {
    cur: Option<Held>,
    /// The arrival number of `cur` (0 when not fed with one).
    seq: u64,
}

impl Max {
    pub fn heap_bytes(&self) -> u64 {
        Held::heap_bytes(&self.cur)
    }

    pub fn add(&mut self, v: &Value) {
        self.add_at(v, 0)
    }
    /// Add the value of the event that arrived `seq`-th.
    pub fn add_at(&mut self, v: &Value, seq: u64) {
        keep(&mut self.cur, &mut self.seq, v, seq, Ordering::Greater)
    }
    pub fn merge(&mut self, other: &Max) {
        if let Some(v) = &other.cur {
            self.add_at(&v.get(), other.seq)
        }
    }
    /// Either may hold earlier values: of equal values, the first to arrive wins.
    pub fn merge_by_arrival(&mut self, other: &Max) {
        keep_by_arrival(
            &mut self.cur,
            &mut self.seq,
            &other.cur,
            other.seq,
            Ordering::Greater,
        )
    }
    pub fn result(&self) -> Value {
        self.cur.as_ref().map_or(Value::Null, Held::value)
    }
    pub fn state(&self) -> MinMaxState {
        state(&self.cur, self.seq)
    }
    pub fn restore_state(&mut self, st: MinMaxState) -> Result<(), StateError> {
        (self.cur, self.seq) = of_state(st);
        Ok(())
    }
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(self.state()).unwrap_or_default()
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), StateError> {
        self.restore_state(MinMaxState::deserialize(s).map_err(|e| format!("max: {e}"))?)
    }
}
