//! `count` and `count(e)`: the number of events (with `e` not null).

use serde_json::json;

use crate::value::Value;

#[derive(Debug, Clone, Default)]
pub struct Count {
    n: u64,
}

impl Count {
    /// A count of `n` (a restored state).
    pub fn of(n: u64) -> Count {
        Count { n }
    }

    pub fn add(&mut self) {
        self.n += 1;
    }

    pub fn merge(&mut self, other: &Count) {
        self.n += other.n;
    }

    pub fn get(&self) -> u64 {
        self.n
    }

    pub fn result(&self) -> Value {
        Value::from(self.n)
    }

    pub fn snapshot(&self) -> serde_json::Value {
        json!({ "n": self.n })
    }

    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        self.n = super::u64_field(s, "count", "n")?;
        Ok(())
    }
}
