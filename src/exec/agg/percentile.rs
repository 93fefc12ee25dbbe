//! `p50 p90 p95 p99` and `percentile(e, q)`: the nearest-rank percentile
//! (the value at rank ⌈q/100 · n⌉ of the sorted values, rank at least 1).
//!
//! Exact (every value kept) while a group has at most `EXACT_LIMIT` values;
//! past that a DDSketch-style sketch: values fall into logarithmic buckets
//! `(γ^(k−1), γ^k]` with γ = (1+α)/(1−α), α = 0.5%, and a bucket answers with
//! a value within α of anything in it. The bucket holding the nearest-rank
//! value is found exactly, so the answer is within 0.5% of the exact one.
//! At most `MAX_BINS` buckets per sign are kept (a range of 1 to 10^17 at
//! full accuracy); beyond that the smallest magnitudes are merged, which
//! only blurs the lowest percentiles. Exact min and max clamp the answer.
//!
//! When every input was an integer, the answer is an integer (rounded).

use crate::exec::state::{bad, StateError};
use serde_json::json;

use super::{f64_from_json, f64_to_json, field, u64_field};
use crate::value::{number_from_f64, Value};

pub const EXACT_LIMIT: usize = 4096;
const ALPHA: f64 = 0.005;
pub(crate) const MAX_BINS: usize = 4096;
/// Magnitudes below this count as zero.
pub(crate) const MIN_MAGNITUDE: f64 = 1e-9;

/// The sketch's γ = (1+α)/(1−α), with α the relative accuracy.
fn gamma() -> f64 {
    (1.0 + ALPHA) / (1.0 - ALPHA)
}

/// The bucket of a positive magnitude: `(γ^(k−1), γ^k]`. Shared with the
/// sliding percentile (`exec::slide`), which must bucket exactly as this does.
pub(crate) fn bucket_index(m: f64) -> i32 {
    (m.ln() / gamma().ln()).ceil() as i32
}

/// The value bucket `k` answers with: within α of all it holds.
pub(crate) fn bucket_value(k: i32) -> f64 {
    let g = gamma();
    2.0 * g.powi(k) / (g + 1.0)
}

#[derive(Debug, Clone)]
pub struct Percentile {
    q: f64,
    all_int: bool,
    state: State,
}

#[derive(Debug, Clone)]
enum State {
    Exact(Vec<f64>),
    Sketch(Sketch),
}

impl Percentile {
    pub fn new(q: f64) -> Percentile {
        Percentile {
            q,
            all_int: true,
            state: State::Exact(Vec::new()),
        }
    }

    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        if x.fract() != 0.0 {
            self.all_int = false;
        }
        match &mut self.state {
            State::Exact(v) => {
                v.push(x);
                if v.len() > EXACT_LIMIT {
                    let mut s = Sketch::new();
                    for x in v.iter() {
                        s.add(*x);
                    }
                    self.state = State::Sketch(s);
                }
            }
            State::Sketch(s) => s.add(x),
        }
    }

    /// Fold another group's values in (session windows that merge).
    pub fn merge(&mut self, other: &Percentile) {
        self.all_int &= other.all_int;
        match (&mut self.state, &other.state) {
            (State::Exact(_), State::Exact(b)) => {
                // `add` switches to the sketch when the limit is passed.
                let b = b.clone();
                let keep = self.all_int;
                for x in b {
                    self.add(x);
                }
                self.all_int = keep;
            }
            (State::Sketch(a), State::Exact(b)) => b.iter().for_each(|x| a.add(*x)),
            (State::Exact(a), State::Sketch(b)) => {
                let mut s = b.clone();
                a.iter().for_each(|x| s.add(*x));
                self.state = State::Sketch(s);
            }
            (State::Sketch(a), State::Sketch(b)) => a.merge(b),
        }
    }

    /// Heap bytes (an estimate, for `--stats`).
    pub fn heap_bytes(&self) -> u64 {
        std::mem::size_of::<Percentile>() as u64
            + match &self.state {
                State::Exact(v) => v.capacity() as u64 * 8,
                State::Sketch(s) => (s.pos.bins.capacity() + s.neg.bins.capacity()) as u64 * 8,
            }
    }

    fn value(&self) -> Option<f64> {
        match &self.state {
            State::Exact(v) => {
                if v.is_empty() {
                    return None;
                }
                let r = rank(self.q, v.len() as u64) as usize - 1;
                let mut tmp = v.clone();
                let (_, x, _) = tmp.select_nth_unstable_by(r, |a, b| a.total_cmp(b));
                Some(*x)
            }
            State::Sketch(s) => s.quantile(self.q),
        }
    }

    pub fn result(&self) -> Value {
        match self.value() {
            None => Value::Null,
            Some(x) if self.all_int && x.abs() < 9.0e15 => Value::from(x.round() as i64),
            Some(x) => number_from_f64(x),
        }
    }

    pub fn snapshot(&self) -> serde_json::Value {
        match &self.state {
            State::Exact(v) => {
                let v: Vec<serde_json::Value> = v.iter().map(|x| f64_to_json(*x)).collect();
                json!({ "int": self.all_int, "exact": v })
            }
            State::Sketch(s) => json!({ "int": self.all_int, "sketch": s.snapshot() }),
        }
    }

    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), StateError> {
        self.all_int = field(s, "percentile", "int")?
            .as_bool()
            .ok_or("percentile: `int` is not a bool")?;
        if let Some(list) = s.get("exact").and_then(|v| v.as_array()) {
            let v = list
                .iter()
                .map(f64_from_json)
                .collect::<Result<Vec<f64>, StateError>>()?;
            if v.len() > EXACT_LIMIT {
                return bad("percentile: too many exact values in state");
            }
            self.state = State::Exact(v);
            return Ok(());
        }
        self.state = State::Sketch(Sketch::restore(field(s, "percentile", "sketch")?)?);
        Ok(())
    }
}

/// Nearest rank: ⌈q/100 · n⌉, at least 1 and at most n. `q·n` is computed
/// before dividing so `p95` of 20 values is rank 19, not 20 by rounding.
pub fn rank(q: f64, n: u64) -> u64 {
    let x = q * n as f64 / 100.0;
    let r = (x - x.abs() * 1e-12).ceil();
    (r.max(1.0) as u64).min(n.max(1))
}

/// One sign's buckets: `bins[i]` counts bucket `offset + i`.
#[derive(Debug, Clone, Default)]
struct Store {
    offset: i32,
    bins: Vec<u64>,
}

impl Store {
    fn add(&mut self, k: i32, c: u64) {
        if self.bins.is_empty() {
            self.offset = k;
            self.bins.push(0);
        }
        if k < self.offset {
            if self.offset - k + self.bins.len() as i32 > MAX_BINS as i32 {
                // Too wide: the smallest magnitudes share the lowest bucket kept.
                let low = (self.offset + self.bins.len() as i32 - MAX_BINS as i32).min(self.offset);
                self.grow_front(self.offset - low);
                self.bins[0] += c;
                return;
            }
            self.grow_front(self.offset - k);
        } else if k >= self.offset + self.bins.len() as i32 {
            let need = (k - self.offset + 1) as usize;
            if need > MAX_BINS {
                // Shift the window up, merging the lowest buckets into one.
                let drop = need - MAX_BINS;
                let merged: u64 = self.bins[..drop.min(self.bins.len())].iter().sum();
                self.bins.drain(..drop.min(self.bins.len()));
                self.offset += drop as i32;
                if self.bins.is_empty() {
                    self.bins.push(0);
                }
                self.bins[0] += merged;
            }
            let need = (k - self.offset + 1) as usize;
            self.bins.resize(need, 0);
        }
        let i = (k - self.offset) as usize;
        self.bins[i] += c;
    }

    fn merge(&mut self, other: &Store) {
        for (i, c) in other.bins.iter().enumerate() {
            if *c > 0 {
                self.add(other.offset + i as i32, *c);
            }
        }
    }

    fn grow_front(&mut self, by: i32) {
        if by > 0 {
            let mut v = vec![0u64; by as usize];
            v.extend_from_slice(&self.bins);
            self.bins = v;
            self.offset -= by;
        }
    }

    fn total(&self) -> u64 {
        self.bins.iter().sum()
    }

    fn snapshot(&self) -> serde_json::Value {
        json!({ "offset": self.offset, "bins": self.bins })
    }

    fn restore(s: &serde_json::Value) -> Result<Store, StateError> {
        let offset = field(s, "percentile", "offset")?
            .as_i64()
            .and_then(|o| i32::try_from(o).ok())
            // Real offsets stay within ±80 000 (|ln x| ≤ 745 for any f64).
            .filter(|o| o.abs() <= 1_000_000)
            .ok_or("percentile: bad bucket offset")?;
        let bins = field(s, "percentile", "bins")?
            .as_array()
            .ok_or("percentile: bad buckets")?
            .iter()
            .map(|b| b.as_u64().ok_or("percentile: bad bucket count"))
            .collect::<Result<Vec<u64>, _>>()?;
        if bins.len() > MAX_BINS {
            return bad("percentile: too many buckets in state");
        }
        Ok(Store { offset, bins })
    }
}

#[derive(Debug, Clone)]
struct Sketch {
    pos: Store,
    neg: Store,
    zero: u64,
    min: f64,
    max: f64,
}

impl Sketch {
    fn new() -> Sketch {
        Sketch {
            pos: Store::default(),
            neg: Store::default(),
            zero: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    fn index(&self, m: f64) -> i32 {
        bucket_index(m)
    }

    fn bucket_value(&self, k: i32) -> f64 {
        bucket_value(k)
    }

    fn add(&mut self, x: f64) {
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        if x > MIN_MAGNITUDE {
            let k = self.index(x);
            self.pos.add(k, 1);
        } else if x < -MIN_MAGNITUDE {
            let k = self.index(-x);
            self.neg.add(k, 1);
        } else {
            self.zero += 1;
        }
    }

    fn merge(&mut self, other: &Sketch) {
        self.pos.merge(&other.pos);
        self.neg.merge(&other.neg);
        self.zero += other.zero;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    fn quantile(&self, q: f64) -> Option<f64> {
        let (nn, np) = (self.neg.total(), self.pos.total());
        let n = nn + self.zero + np;
        if n == 0 {
            return None;
        }
        let r = rank(q, n);
        let mut seen = 0u64;
        let x = 'find: {
            // Negative values, most negative (highest magnitude bucket) first.
            for (i, c) in self.neg.bins.iter().enumerate().rev() {
                seen += c;
                if seen >= r {
                    break 'find -self.bucket_value(self.neg.offset + i as i32);
                }
            }
            seen += self.zero;
            if seen >= r {
                break 'find 0.0;
            }
            for (i, c) in self.pos.bins.iter().enumerate() {
                seen += c;
                if seen >= r {
                    break 'find self.bucket_value(self.pos.offset + i as i32);
                }
            }
            self.max
        };
        Some(x.clamp(self.min, self.max))
    }

    fn snapshot(&self) -> serde_json::Value {
        json!({
            "pos": self.pos.snapshot(),
            "neg": self.neg.snapshot(),
            "zero": self.zero,
            "min": f64_to_json(self.min),
            "max": f64_to_json(self.max),
        })
    }

    fn restore(s: &serde_json::Value) -> Result<Sketch, StateError> {
        let mut k = Sketch::new();
        k.pos = Store::restore(field(s, "percentile", "pos")?)?;
        k.neg = Store::restore(field(s, "percentile", "neg")?)?;
        k.zero = u64_field(s, "percentile", "zero")?;
        k.min = f64_from_json(field(s, "percentile", "min")?)?;
        k.max = f64_from_json(field(s, "percentile", "max")?)?;
        Ok(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    type Gen = fn(&mut Rng) -> f64;

    fn exact(values: &[f64], q: f64) -> f64 {
        let mut v = values.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        v[rank(q, v.len() as u64) as usize - 1]
    }

    #[test]
    fn nearest_rank_edges() {
        assert_eq!(rank(95.0, 20), 19);
        assert_eq!(rank(50.0, 1), 1);
        assert_eq!(rank(0.0, 7), 1);
        assert_eq!(rank(100.0, 7), 7);
        assert_eq!(rank(99.9, 1000), 999);
        assert_eq!(rank(50.0, 3), 2);
    }

    #[test]
    fn sketch_within_one_percent_of_exact() {
        let dists: [(&str, Gen); 4] = [
            ("uniform", |r| 1.0 + r.unit() * 1000.0),
            ("lognormal-ish", |r| (r.unit() * 12.0).exp()),
            ("mixed sign", |r| (r.unit() - 0.3) * 5000.0),
            ("latency ms", |r| (5.0 + r.unit().powi(4) * 3000.0).round()),
        ];
        for (name, gen) in dists {
            let mut rng = Rng(0x1234_5678_9abc_def1);
            let values: Vec<f64> = (0..200_000).map(|_| gen(&mut rng)).collect();
            for q in [1.0, 10.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0] {
                let mut p = Percentile::new(q);
                values.iter().for_each(|x| p.add(*x));
                assert!(matches!(p.state, State::Sketch(_)));
                let got = p.value().unwrap();
                let want = exact(&values, q);
                let err = if want == 0.0 {
                    got.abs()
                } else {
                    ((got - want) / want).abs()
                };
                assert!(err <= 0.01, "{name} p{q}: {got} vs exact {want}");
                let mut back = Percentile::new(q);
                back.restore(&serde_json::from_str(&p.snapshot().to_string()).unwrap())
                    .unwrap();
                assert_eq!(back.result(), p.result());
            }
        }
    }

    #[test]
    fn sketch_memory_is_bounded_for_wild_ranges() {
        let mut p = Percentile::new(50.0);
        let mut rng = Rng(42);
        for _ in 0..100_000 {
            let e = (rng.unit() * 600.0) - 300.0;
            p.add(10f64.powf(e));
        }
        let State::Sketch(s) = &p.state else {
            panic!("sketch expected")
        };
        assert!(s.pos.bins.len() <= MAX_BINS);
        assert!(p.value().unwrap() > 0.0);
    }

    #[test]
    fn exact_answers_keep_the_input_value() {
        let mut p = Percentile::new(99.0);
        for x in [3.25, 1.0, 2.0] {
            p.add(x);
        }
        assert_eq!(p.result(), serde_json::json!(3.25));
    }
}
