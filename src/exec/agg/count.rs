//! `count` and `count(e)`: the number of events (with `e` not null).

use crate::exec::state::StateError;
use serde::{Deserialize, Serialize};

use crate::value::Value;

/// What a checkpoint keeps of `count`.
#[derive(Serialize, Deserialize)]
pub struct CountState {
    n: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Count {
    n: u64,
}

impl Count {
    pub fn add(&mut self) {
        self.n += 1;
    }

    #[inline]
    pub fn merge(&mut self, other: &Count) {
        self.n += other.n;
    }

    /// Take back a [`merge`](Self::merge)d count (`other` was merged in).
    pub fn unmerge(&mut self, other: &Count) {
        self.n -= other.n;
    }

    pub fn get(&self) -> u64 {
        self.n
    }

    pub fn result(&self) -> Value {
        Value::from(self.n)
    }

    pub fn state(&self) -> CountState {
        CountState { n: self.n }
    }

    pub fn restore_state(&mut self, st: CountState) -> Result<(), StateError> {
        self.n = st.n;
        Ok(())
    }

    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(self.state()).unwrap_or_default()
    }

    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), StateError> {
        self.restore_state(CountState::deserialize(s).map_err(|e| format!("count: {e}"))?)
    }
}
