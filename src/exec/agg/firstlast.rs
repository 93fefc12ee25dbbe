//! `first(e)` and `last(e)`: the first and the last non-null value, of any type.
//!
//! Each keeps the arrival number (`seq`) of its value when fed with one
//! (`add_at`), so the slices of a hopping window merge into the value that
//! arrived first (last) whatever the order of the slices (issue 19).

use serde_json::json;

use super::{field, Held};
use crate::value::Value;

fn restore(s: &serde_json::Value, what: &str) -> Result<(Option<Held>, u64), String> {
    let has = field(s, what, "has")?
        .as_bool()
        .ok_or_else(|| format!("{what}: `has` is not a bool"))?;
    // Absent from checkpoints written before slices (format v1).
    let seq = match s.get("seq") {
        None => 0,
        Some(n) => n
            .as_u64()
            .ok_or_else(|| format!("{what}: `seq` is not a count"))?,
    };
    Ok((
        has.then(|| Held::of(s.get("v").unwrap_or(&Value::Null))),
        seq,
    ))
}

fn snapshot(v: &Option<Held>, seq: u64) -> serde_json::Value {
    if seq == 0 {
        json!({ "has": v.is_some(), "v": v.as_ref().map(Held::value) })
    } else {
        json!({ "has": v.is_some(), "v": v.as_ref().map(Held::value), "seq": seq })
    }
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
    pub fn snapshot(&self) -> serde_json::Value {
        snapshot(&self.v, self.seq)
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        (self.v, self.seq) = restore(s, "first")?;
        Ok(())
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
    pub fn snapshot(&self) -> serde_json::Value {
        snapshot(&self.v, self.seq)
    }
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        (self.v, self.seq) = restore(s, "last")?;
        Ok(())
    }
}
