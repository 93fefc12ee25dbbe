//! `sum(e)` and `avg(e)`. A sum stays an exact integer while every input is
//! an integer (widened to i128, so u64 and i64 inputs mix), and becomes a
//! float at the first float input or on overflow. `avg` is always a float.

use crate::exec::state::StateError;
use serde::{Deserialize, Serialize};

use super::{numeric, F64};
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

    fn state(self) -> TotalState {
        match self {
            // As text: an i128 does not fit a JSON number.
            Total::Int(i) => TotalState::Int(i.get().to_string()),
            Total::Float(f) => TotalState::Float(F64(f)),
        }
    }

    fn of_state(st: TotalState, what: &str) -> Result<Total, StateError> {
        match st {
            TotalState::Int(t) => t
                .parse::<i128>()
                .map(|i| Total::Int(Wide(i)))
                .map_err(|_| format!("{what}: bad integer total {t:?}").into()),
            TotalState::Float(f) => Ok(Total::Float(f.0)),
        }
    }
}

/// A total in a state: `{"int": "<digits>"}` or `{"float": x}`.
#[derive(Serialize, Deserialize)]
enum TotalState {
    #[serde(rename = "int")]
    Int(String),
    #[serde(rename = "float")]
    Float(F64),
}

/// What a checkpoint keeps of `sum`.
#[derive(Serialize, Deserialize)]
pub struct SumState {
    total: TotalState,
    seen: bool,
}

/// What a checkpoint keeps of `avg`.
#[derive(Serialize, Deserialize)]
pub struct AvgState {
    total: TotalState,
    n: u64,
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

    /// The result when it is an integer JSON writes as such (in the range
    /// of i64 or u64: [`result`](Self::result) gives a float beyond it).
    pub fn int_result(&self) -> Option<i128> {
        match self.total {
            Total::Int(i)
                if self.seen && (i64::MIN as i128..=u64::MAX as i128).contains(&i.get()) =>
            {
                Some(i.get())
            }
            _ => None,
        }
    }

    pub fn state(&self) -> SumState {
        SumState {
            total: self.total.state(),
            seen: self.seen,
        }
    }

    pub fn restore_state(&mut self, st: SumState) -> Result<(), StateError> {
        self.total = Total::of_state(st.total, "sum")?;
        self.seen = st.seen;
        Ok(())
    }

    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(self.state()).unwrap_or_default()
    }

    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), StateError> {
        self.restore_state(SumState::deserialize(s).map_err(|e| format!("sum: {e}"))?)
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

    pub fn state(&self) -> AvgState {
        AvgState {
            total: self.total.state(),
            n: self.n,
        }
    }

    pub fn restore_state(&mut self, st: AvgState) -> Result<(), StateError> {
        self.total = Total::of_state(st.total, "avg")?;
        self.n = st.n;
        Ok(())
    }

    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(self.state()).unwrap_or_default()
    }

    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), StateError> {
        self.restore_state(AvgState::deserialize(s).map_err(|e| format!("avg: {e}"))?)
    }
}
