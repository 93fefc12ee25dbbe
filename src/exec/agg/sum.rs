//! `sum(e)` and `avg(e)`. A sum stays an exact integer while every input is
//! an integer (widened to i128, so u64 and i64 inputs mix), and becomes a
//! float at the first float input or on overflow. `avg` is always a float.

use serde_json::json;

use super::{f64_from_json, f64_to_json, field, numeric};
use crate::value::{Num, Value};

/// An `i128` aligned to 8 bytes, not 16: a `Total` takes 24 bytes instead
/// of 32, and an accumulator 40 instead of 48 (a group is mostly its
/// accumulators, and there can be millions of groups).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C, packed(8))]
struct Wide(i128);

impl Wide {
    fn get(self) -> i128 {
        self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Total {
    Int(Wide),
    Float(f64),
}

impl Default for Total {
    fn default() -> Total {
        Total::Int(Wide(0))
    }
}

impl Total {
    fn add(&mut self, n: Num) {
        *self = match (*self, n) {
            (Total::Int(a), Num::Int(b)) => match a.get().checked_add(b) {
                Some(s) => Total::Int(Wide(s)),
                None => Total::Float(a.get() as f64 + b as f64),
            },
            (Total::Int(a), Num::Float(b)) => Total::Float(a.get() as f64 + b),
            (Total::Float(a), n) => Total::Float(a + n.as_f64()),
        }
    }

    fn merge(&mut self, other: Total) {
        match other {
            Total::Int(i) => self.add(Num::Int(i.get())),
            Total::Float(f) => self.add(Num::Float(f)),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Total::Int(i) => i.get() as f64,
            Total::Float(f) => f,
        }
    }

    fn value(self) -> Value {
        match self {
            Total::Int(i) => Num::Int(i.get()).into_value(),
            Total::Float(f) => Num::Float(f).into_value(),
        }
    }

    fn snapshot(self) -> serde_json::Value {
        match self {
            // As text: an i128 does not fit a JSON number.
            Total::Int(i) => json!({ "int": i.get().to_string() }),
            Total::Float(f) => json!({ "float": f64_to_json(f) }),
        }
    }

    fn restore(s: &serde_json::Value, what: &str) -> Result<Total, String> {
        if let Some(i) = s.get("int") {
            i.as_str()
                .and_then(|t| t.parse::<i128>().ok())
                .map(|i| Total::Int(Wide(i)))
                .ok_or_else(|| format!("{what}: bad integer total {i}"))
        } else {
            Ok(Total::Float(f64_from_json(field(s, what, "float")?)?))
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Sum {
    total: Total,
    seen: bool,
}

impl Sum {
    pub fn add_value(&mut self, v: &Value) {
        if let Some(n) = numeric(v) {
            self.add(n)
        }
    }

    pub fn add(&mut self, n: Num) {
        self.total.add(n);
        self.seen = true;
    }

    pub fn merge(&mut self, other: &Sum) {
        if other.seen {
            self.total.merge(other.total);
            self.seen = true;
        }
    }

    /// `null` until a number was added.
    pub fn result(&self) -> Value {
        if self.seen {
            self.total.value()
        } else {
            Value::Null
        }
    }

    pub fn snapshot(&self) -> serde_json::Value {
        json!({ "total": self.total.snapshot(), "seen": self.seen })
    }

    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        self.total = Total::restore(field(s, "sum", "total")?, "sum")?;
        self.seen = field(s, "sum", "seen")?
            .as_bool()
            .ok_or("sum: `seen` is not a bool")?;
        Ok(())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Avg {
    total: Total,
    n: u64,
}

impl Avg {
    pub fn add_value(&mut self, v: &Value) {
        if let Some(n) = numeric(v) {
            self.add(n)
        }
    }

    pub fn add(&mut self, n: Num) {
        self.total.add(n);
        self.n += 1;
    }

    pub fn merge(&mut self, other: &Avg) {
        self.total.merge(other.total);
        self.n += other.n;
    }

    pub fn result(&self) -> Value {
        if self.n == 0 {
            return Value::Null;
        }
        Num::Float(self.total.as_f64() / self.n as f64).into_value()
    }

    pub fn snapshot(&self) -> serde_json::Value {
        json!({ "total": self.total.snapshot(), "n": self.n })
    }

    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        self.total = Total::restore(field(s, "avg", "total")?, "avg")?;
        self.n = super::u64_field(s, "avg", "n")?;
        Ok(())
    }
}
