//! `min(e)` and `max(e)` by the comparison rules of `value::compare`
//! (numbers numerically, strings bytewise, a number against a numeric string
//! numerically). A value that does not compare with the current one (an
//! object, an array, a word against a number) is ignored. Of equal values
//! (`1` and `1.0`, `10` and `"10"`) the one that came first is kept: each
//! keeps the arrival number (`seq`) of its value when fed with one, so the
//! slices of a hopping window merge as one pass would (issue 19).

use std::cmp::Ordering;

use serde_json::json;

use super::{field, Held};
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

fn restore(s: &serde_json::Value, what: &str) -> Result<(Option<Held>, u64), String> {
    let v = match field(s, what, "v")? {
        Value::Null => None,
        v => Some(Held::of(v)),
    };
    // Absent from checkpoints written before slices (format v1).
    let seq = match s.get("seq") {
        None => 0,
        Some(n) => n
            .as_u64()
            .ok_or_else(|| format!("{what}: `seq` is not a count"))?,
    };
    Ok((v, seq))
}

fn snapshot(v: &Option<Held>, seq: u64) -> serde_json::Value {
    if seq == 0 {
        json!({ "v": v.as_ref().map(Held::value) })
    } else {
        json!({ "v": v.as_ref().map(Held::value), "seq": seq })
    }
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
    pub fn snapshot(&self) -> serde_json::Value {
        snapshot(&self.cur, self.seq)
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        (self.cur, self.seq) = restore(s, "min")?;
        Ok(())
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
    pub fn snapshot(&self) -> serde_json::Value {
        snapshot(&self.cur, self.seq)
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        (self.cur, self.seq) = restore(s, "max")?;
        Ok(())
    }
}
