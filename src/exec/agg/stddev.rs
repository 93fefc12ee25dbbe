//! `stddev(e)`: population standard deviation, by Welford's online
//! algorithm (numerically stable in one pass, constant memory).

use serde_json::json;

use super::{f64_from_json, f64_to_json, field, u64_field};
use crate::value::{number_from_f64, Value};

#[derive(Debug, Clone, Default)]
pub struct Stddev {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Stddev {
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Chan et al.'s pairwise combination of two groups' moments.
    pub fn merge(&mut self, other: &Stddev) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = other.clone();
            return;
        }
        let n = self.n + other.n;
        let d = other.mean - self.mean;
        let (na, nb) = (self.n as f64, other.n as f64);
        self.mean += d * nb / n as f64;
        self.m2 += other.m2 + d * d * na * nb / n as f64;
        self.n = n;
    }

    pub fn result(&self) -> Value {
        if self.n == 0 {
            return Value::Null;
        }
        number_from_f64((self.m2 / self.n as f64).max(0.0).sqrt())
    }

    pub fn snapshot(&self) -> serde_json::Value {
        json!({ "n": self.n, "mean": f64_to_json(self.mean), "m2": f64_to_json(self.m2) })
    }

    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), String> {
        self.n = u64_field(s, "stddev", "n")?;
        self.mean = f64_from_json(field(s, "stddev", "mean")?)?;
        self.m2 = f64_from_json(field(s, "stddev", "m2")?)?;
        Ok(())
    }
}
