//! `stddev(e)`: population standard deviation, by Welford's online
//! algorithm with compensation, exact to about 1e-15 relative even when the
//! values are large and close together (1e9 ± 0.5), where plain Welford
//! loses eight digits: its running mean is rounded to the 1e-7 grid of a
//! number near 1e9, and every deviation `x − mean` carries that error.
//!
//! Here the mean is a double-double (`mean + mean_lo`), so `x − mean` is
//! computed exactly and rounded once. The terms of `m2` are all positive, so
//! plain summation loses only about n·ε (the struct stays 32 bytes, so an
//! accumulator stays within 40).

use crate::exec::state::StateError;
use serde::{Deserialize, Serialize};

use super::F64;
use crate::value::{number_from_f64, Value};

#[derive(Debug, Clone, Default)]
pub struct Stddev {
    n: u64,
    mean: f64,
    mean_lo: f64,
    m2: f64,
}

/// `a + b` as the rounded sum and its exact error (Knuth's TwoSum).
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

impl Stddev {
    /// `x − (mean + mean_lo)`, rounded once.
    fn deviation(&self, x: f64) -> f64 {
        let (s, e) = two_sum(x, -self.mean);
        s + (e - self.mean_lo)
    }

    /// `mean += step`, kept as a double-double.
    fn move_mean(&mut self, step: f64) {
        let (s, e) = two_sum(self.mean, step);
        let (hi, lo) = two_sum(s, e + self.mean_lo);
        self.mean = hi;
        self.mean_lo = lo;
    }

    pub fn add(&mut self, x: f64) {
        self.n += 1;
        let d = self.deviation(x);
        self.move_mean(d / self.n as f64);
        let d2 = self.deviation(x);
        self.m2 += d * d2;
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
        let (s, e) = two_sum(other.mean, -self.mean);
        let d = s + (e + (other.mean_lo - self.mean_lo));
        let (na, nb) = (self.n as f64, other.n as f64);
        self.move_mean(d * nb / n as f64);
        self.m2 += other.m2 + d * d * na * nb / n as f64;
        self.n = n;
    }

    pub fn result(&self) -> Value {
        if self.n == 0 {
            return Value::Null;
        }
        number_from_f64((self.m2 / self.n as f64).max(0.0).sqrt())
    }

    pub fn state(&self) -> StddevState {
        StddevState {
            n: self.n,
            mean: F64(self.mean),
            mean_lo: F64(self.mean_lo),
            m2: F64(self.m2),
        }
    }

    pub fn restore_state(&mut self, st: StddevState) -> Result<(), StateError> {
        self.n = st.n;
        self.mean = st.mean.0;
        self.mean_lo = st.mean_lo.0;
        self.m2 = st.m2.0;
        Ok(())
    }

    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(self.state()).unwrap_or_default()
    }

    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), StateError> {
        self.restore_state(StddevState::deserialize(s).map_err(|e| format!("stddev: {e}"))?)
    }
}

/// What a checkpoint keeps of `stddev` (Welford's moments).
#[derive(Serialize, Deserialize)]
pub struct StddevState {
    n: u64,
    mean: F64,
    /// Checkpoints written before the compensation have no low part.
    #[serde(default)]
    mean_lo: F64,
    m2: F64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stddev_of(xs: &[f64]) -> f64 {
        let mut s = Stddev::default();
        xs.iter().for_each(|x| s.add(*x));
        s.result().as_f64().unwrap()
    }

    fn assert_close(got: f64, exact: f64) {
        let rel = ((got - exact) / exact).abs();
        assert!(
            rel < 1e-12,
            "{got} vs exact {exact}: relative error {rel:e}"
        );
    }

    // The exact values come from Python: each f64 read as the exact rational
    // it is (`fractions.Fraction(x)`), the population variance computed in
    // rationals, its square root in 50-digit `decimal`, rounded to f64.
    // The data are formulas Python evaluates with the same IEEE operations.

    #[test]
    fn exact_at_large_magnitudes() {
        assert_close(
            stddev_of(&[1000000000.103, 1000000000.738, 1000000000.025]),
            0.31931838568291193,
        );
        let xs: Vec<f64> = (0..7).map(|i| 123456789012.5 + i as f64 * 0.001).collect();
        assert_close(stddev_of(&xs), 0.001998904932877355);
        assert_close(
            stddev_of(&[
                -500000000000.25,
                -499999999999.5,
                -500000000000.125,
                -500000000000.0,
            ]),
            0.28470104934825935,
        );
        // 500 values in 1e10 ± 0.5.
        let xs: Vec<f64> = (0..500)
            .map(|i| 1e10 + ((i * 7919) % 1000) as f64 / 1000.0 - 0.5)
            .collect();
        assert_close(stddev_of(&xs), 0.2891076805384943);
        let xs: Vec<f64> = (0..300)
            .map(|i| -3e12 + ((i * 104729) % 997) as f64 / 4096.0)
            .collect();
        assert_close(stddev_of(&xs), 0.07082735103701669);
    }

    #[test]
    fn merged_halves_equal_one_pass() {
        let xs: Vec<f64> = (0..500)
            .map(|i| 1e10 + ((i * 7919) % 1000) as f64 / 1000.0 - 0.5)
            .collect();
        for cut in [1, 137, 250, 499] {
            let (mut a, mut b) = (Stddev::default(), Stddev::default());
            xs[..cut].iter().for_each(|x| a.add(*x));
            xs[cut..].iter().for_each(|x| b.add(*x));
            a.merge(&b);
            assert_close(a.result().as_f64().unwrap(), 0.2891076805384943);
        }
    }

    #[test]
    fn snapshot_round_trips_and_reads_old_checkpoints() {
        let mut s = Stddev::default();
        [1e9 + 0.1, 1e9 + 0.7, 1e9].iter().for_each(|x| s.add(*x));
        let mut r = Stddev::default();
        r.restore(&s.snapshot()).unwrap();
        assert_eq!(r.result(), s.result());
        let old = json!({"n": 2, "mean": 1.5, "m2": 0.5});
        let mut r = Stddev::default();
        r.restore(&old).unwrap();
        assert_eq!(r.result(), json!(0.5));
    }
}
