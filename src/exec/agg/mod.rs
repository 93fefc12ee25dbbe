//! Accumulators: the state of one aggregate for one group (DESIGN §3).
//!
//! Shared by every stage that aggregates (`AGG … by …`, `running`, `top`).
//! A stage compiles each `ast::AggCall` once into an [`AggSpec`], makes one
//! [`Accumulator`] per group with [`AggSpec::new_acc`], and feeds it events
//! with [`AggSpec::update`]:
//!
//! ```ignore
//! let spec = AggSpec::compile(&call)?;       // plan time
//! let mut acc = spec.new_acc();              // a new group
//! spec.update(&mut acc, &ev);                // each event of the group
//! row.insert(spec.name.clone(), acc.result());
//! let state = acc.snapshot();                // checkpoint
//! let mut again = spec.new_acc();
//! again.restore(&state)?;                    // resume
//! ```
//!
//! Rules, the same everywhere: `null` (and a missing field) is ignored by
//! every aggregate; `count` counts events, `count(e)` the events where `e` is
//! not null; numeric aggregates read numbers and strings that are exactly a
//! JSON number (`"500"`, as comparisons do) and ignore anything else. An
//! aggregate that saw no value gives `null` (`count` and `distinct` give 0).
//! Memory per accumulator is bounded: percentiles and `distinct` switch to
//! sketches past a size limit. Nothing here can panic on any input.
//!
//! The accumulator does not support removing a value: sliding scopes
//! (`running … over D`) recompute from the values they keep.

mod count;
pub(crate) mod distinct;
mod ewma;
mod firstlast;
mod minmax;
pub(crate) mod percentile;
mod stddev;
mod sum;

use std::borrow::Cow;

use crate::event::Event;
use crate::exec::state::{bad, StateError};
use crate::expr::{self, Compiled, Fields};
use crate::lang::ast::{AggCall, AggFunc, ExprKind};
use crate::lang::LangError;
use crate::value::{self, Num, Value};

pub use count::Count;
pub use distinct::Distinct;
pub use ewma::Ewma;
pub use firstlast::{First, Last};
pub use minmax::{Max, Min};
pub use percentile::Percentile;
pub use stddev::Stddev;
pub use sum::{Avg, Sum};

/// The state of one aggregate over one group. An enum, not a trait object,
/// so the per-event call is a jump, not an allocation or a virtual call.
#[derive(Debug, Clone)]
pub enum Accumulator {
    Count(Count),
    Sum(Sum),
    Avg(Avg),
    Min(Min),
    Max(Max),
    Distinct(Box<Distinct>),
    Percentile(Box<Percentile>),
    Stddev(Stddev),
    First(First),
    Last(Last),
    Ewma(Ewma),
}

impl Accumulator {
    /// An empty accumulator for `func`.
    pub fn new(func: AggFunc) -> Accumulator {
        match func {
            AggFunc::Count => Accumulator::Count(Count::default()),
            AggFunc::Sum => Accumulator::Sum(Sum::default()),
            AggFunc::Avg => Accumulator::Avg(Avg::default()),
            AggFunc::Min => Accumulator::Min(Min::default()),
            AggFunc::Max => Accumulator::Max(Max::default()),
            AggFunc::Distinct => Accumulator::Distinct(Box::default()),
            AggFunc::Percentile(q) => Accumulator::Percentile(Box::new(Percentile::new(q))),
            AggFunc::Stddev => Accumulator::Stddev(Stddev::default()),
            AggFunc::First => Accumulator::First(First::default()),
            AggFunc::Last => Accumulator::Last(Last::default()),
            AggFunc::Ewma(alpha) => Accumulator::Ewma(Ewma::new(alpha)),
        }
    }

    /// Add one value (the argument's value for one event). `null` is ignored.
    pub fn update(&mut self, v: &Value) {
        self.update_at(v, 0)
    }

    /// [`update`](Self::update) with the event's arrival number, which
    /// `first`, `last`, `min` and `max` keep for [`merge_by_arrival`](Self::merge_by_arrival).
    pub fn update_at(&mut self, v: &Value, seq: u64) {
        if v.is_null() {
            return;
        }
        match self {
            Accumulator::Count(a) => a.add(),
            Accumulator::Sum(a) => a.add_value(v),
            Accumulator::Avg(a) => a.add_value(v),
            Accumulator::Min(a) => a.add_at(v, seq),
            Accumulator::Max(a) => a.add_at(v, seq),
            Accumulator::Distinct(a) => a.add_value(v),
            Accumulator::Percentile(a) => {
                if let Some(n) = numeric(v) {
                    a.add(n.as_f64())
                }
            }
            Accumulator::Stddev(a) => {
                if let Some(n) = numeric(v) {
                    a.add(n.as_f64())
                }
            }
            Accumulator::First(a) => a.add_at(v, seq),
            Accumulator::Last(a) => a.add_at(v, seq),
            Accumulator::Ewma(a) => {
                if let Some(n) = numeric(v) {
                    a.add(n.as_f64())
                }
            }
        }
    }

    /// Add one value given as the raw JSON text of an untouched event's field
    /// (see `Event::get_raw_json`). Same result as decoding and calling
    /// [`update`](Self::update), without building a `Value` for the common
    /// cases (numbers for numeric aggregates, plain strings for `distinct`).
    pub fn update_raw_json(&mut self, raw: &[u8]) {
        self.update_raw_json_at(raw, 0)
    }

    /// [`update_raw_json`](Self::update_raw_json) with the event's arrival number.
    pub fn update_raw_json_at(&mut self, raw: &[u8], seq: u64) {
        match self {
            Accumulator::Count(a) => {
                if raw != b"null" {
                    a.add()
                }
            }
            Accumulator::Sum(a) if is_number_start(raw) => {
                if let Some(n) = raw_number(raw) {
                    a.add(n)
                }
            }
            Accumulator::Avg(a) if is_number_start(raw) => {
                if let Some(n) = raw_number(raw) {
                    a.add(n)
                }
            }
            Accumulator::Percentile(a) if is_number_start(raw) => {
                if let Some(n) = raw_number(raw) {
                    a.add(n.as_f64())
                }
            }
            Accumulator::Stddev(a) if is_number_start(raw) => {
                if let Some(n) = raw_number(raw) {
                    a.add(n.as_f64())
                }
            }
            Accumulator::Distinct(a) => a.add_raw_json(raw),
            _ => self.update_at(&crate::event::decode_json_value(raw), seq),
        }
    }

    /// `count` without an argument: one more event.
    pub fn update_event(&mut self) {
        self.update_event_at(0)
    }

    /// [`update_event`](Self::update_event) with the event's arrival number.
    pub fn update_event_at(&mut self, seq: u64) {
        match self {
            Accumulator::Count(a) => a.add(),
            other => other.update_at(&Value::Bool(true), seq),
        }
    }

    /// The aggregate's value now (the accumulator stays usable).
    pub fn result(&self) -> Value {
        match self {
            Accumulator::Count(a) => a.result(),
            Accumulator::Sum(a) => a.result(),
            Accumulator::Avg(a) => a.result(),
            Accumulator::Min(a) => a.result(),
            Accumulator::Max(a) => a.result(),
            Accumulator::Distinct(a) => a.result(),
            Accumulator::Percentile(a) => a.result(),
            Accumulator::Stddev(a) => a.result(),
            Accumulator::First(a) => a.result(),
            Accumulator::Last(a) => a.result(),
            Accumulator::Ewma(a) => a.result(),
        }
    }

    /// The text serde_json writes for [`result`](Self::result), appended to
    /// `out`: counts and integer sums as digits (rows of hopping windows,
    /// millions of them), the rest through the value.
    #[inline]
    pub fn write_result_json(&self, out: &mut Vec<u8>) {
        match self {
            Accumulator::Count(a) => {
                out.extend_from_slice(itoa::Buffer::new().format(a.get()).as_bytes())
            }
            other => other.write_result_json_slow(out),
        }
    }

    fn write_result_json_slow(&self, out: &mut Vec<u8>) {
        match self {
            Accumulator::Sum(a) => match a.int_result() {
                Some(i) => out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes()),
                None => {
                    let _ = serde_json::to_writer(out, &a.result());
                }
            },
            other => {
                let _ = serde_json::to_writer(out, &other.result());
            }
        }
    }

    /// Fold in another accumulator of the same function, whose values come
    /// after this one's (session windows that merge). Accumulators of
    /// different functions are left as they are.
    pub fn merge(&mut self, other: &Accumulator) {
        match (self, other) {
            (Accumulator::Count(a), Accumulator::Count(b)) => a.merge(b),
            (Accumulator::Sum(a), Accumulator::Sum(b)) => a.merge(b),
            (Accumulator::Avg(a), Accumulator::Avg(b)) => a.merge(b),
            (Accumulator::Min(a), Accumulator::Min(b)) => a.merge(b),
            (Accumulator::Max(a), Accumulator::Max(b)) => a.merge(b),
            (Accumulator::Distinct(a), Accumulator::Distinct(b)) => a.merge(b),
            (Accumulator::Percentile(a), Accumulator::Percentile(b)) => a.merge(b),
            (Accumulator::Stddev(a), Accumulator::Stddev(b)) => a.merge(b),
            (Accumulator::First(a), Accumulator::First(b)) => a.merge(b),
            (Accumulator::Last(a), Accumulator::Last(b)) => a.merge(b),
            (Accumulator::Ewma(a), Accumulator::Ewma(b)) => a.merge(b),
            _ => {}
        }
    }

    /// Whether [`unmerge`](Self::unmerge) takes back a merge exactly
    /// (`count` and `count(e)`: integers).
    pub fn invertible(func: &AggFunc) -> bool {
        matches!(func, AggFunc::Count)
    }

    /// [`merge`](Self::merge), with counts added inline.
    #[inline]
    pub fn merge_invertible(&mut self, other: &Accumulator) {
        match (self, other) {
            (Accumulator::Count(a), Accumulator::Count(b)) => a.merge(b),
            (a, b) => a.merge(b),
        }
    }

    /// Take back `other`, which was [`merge`](Self::merge)d in: exact for
    /// the [`invertible`](Self::invertible) functions, nothing for others.
    #[inline]
    pub fn unmerge(&mut self, other: &Accumulator) {
        if let (Accumulator::Count(a), Accumulator::Count(b)) = (self, other) {
            a.unmerge(b)
        }
    }

    /// Fold in the accumulator of other events of the same group that may
    /// have arrived before, after or between this one's (the slices of a
    /// hopping window, issue 19). Order-free aggregates merge as
    /// [`merge`](Self::merge); `first`, `last`, `min` and `max` keep the
    /// value one pass in arrival order would, from the arrival numbers they
    /// were fed with (`update_*_at`). Sums of floats may differ from one
    /// pass in the last bits: float addition is not associative.
    #[inline]
    pub fn merge_by_arrival(&mut self, other: &Accumulator) {
        match (self, other) {
            (Accumulator::Count(a), Accumulator::Count(b)) => a.merge(b),
            (Accumulator::Min(a), Accumulator::Min(b)) => a.merge_by_arrival(b),
            (Accumulator::Max(a), Accumulator::Max(b)) => a.merge_by_arrival(b),
            (Accumulator::First(a), Accumulator::First(b)) => a.merge_by_arrival(b),
            (Accumulator::Last(a), Accumulator::Last(b)) => a.merge_by_arrival(b),
            (a, b) => a.merge(b),
        }
    }

    /// Bytes the accumulator holds beyond its own 40 (an estimate, for
    /// `--stats`).
    pub fn heap_bytes(&self) -> u64 {
        match self {
            Accumulator::Min(a) => a.heap_bytes(),
            Accumulator::Max(a) => a.heap_bytes(),
            Accumulator::First(a) => a.heap_bytes(),
            Accumulator::Last(a) => a.heap_bytes(),
            Accumulator::Distinct(a) => a.heap_bytes(),
            Accumulator::Percentile(a) => a.heap_bytes(),
            _ => 0,
        }
    }

    /// The whole state as JSON, for checkpoints. Floats keep every bit.
    pub fn snapshot(&self) -> serde_json::Value {
        match self {
            Accumulator::Count(a) => a.snapshot(),
            Accumulator::Sum(a) => a.snapshot(),
            Accumulator::Avg(a) => a.snapshot(),
            Accumulator::Min(a) => a.snapshot(),
            Accumulator::Max(a) => a.snapshot(),
            Accumulator::Distinct(a) => a.snapshot(),
            Accumulator::Percentile(a) => a.snapshot(),
            Accumulator::Stddev(a) => a.snapshot(),
            Accumulator::First(a) => a.snapshot(),
            Accumulator::Last(a) => a.snapshot(),
            Accumulator::Ewma(a) => a.snapshot(),
        }
    }

    /// Replace the state with one `snapshot` made by an accumulator of the
    /// same function. A state that does not fit is an error, never a panic.
    pub fn restore(&mut self, s: &serde_json::Value) -> Result<(), StateError> {
        match self {
            Accumulator::Count(a) => a.restore(s),
            Accumulator::Sum(a) => a.restore(s),
            Accumulator::Avg(a) => a.restore(s),
            Accumulator::Min(a) => a.restore(s),
            Accumulator::Max(a) => a.restore(s),
            Accumulator::Distinct(a) => a.restore(s),
            Accumulator::Percentile(a) => a.restore(s),
            Accumulator::Stddev(a) => a.restore(s),
            Accumulator::First(a) => a.restore(s),
            Accumulator::Last(a) => a.restore(s),
            Accumulator::Ewma(a) => a.restore(s),
        }
    }
}

/// A float in an accumulator's state: a JSON number, or `"nan"`, `"inf"`,
/// `"-inf"` (JSON has none of them). Every bit is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct F64(pub f64);

impl serde::Serialize for F64 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        if f.is_finite() {
            s.serialize_f64(f)
        } else if f.is_nan() {
            s.serialize_str("nan")
        } else if f > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

impl<'de> serde::Deserialize<'de> for F64 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        f64_from_json(&v).map(F64).map_err(serde::de::Error::custom)
    }
}

/// `seq` is left out of a state while 0 (as before arrival numbers).
pub(crate) fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Parse an accumulator's typed state, naming the aggregate in the error.
fn typed<'a, T: serde::Deserialize<'a>>(raw: &'a str, what: &str) -> Result<T, StateError> {
    serde_json::from_str(raw).map_err(|e| format!("{what}: {e}").into())
}

/// An accumulator's state in a checkpoint: a serde-typed struct per
/// function (`distinct` and the percentiles, a bounded sample or sketch,
/// still as the JSON value `snapshot` builds).
impl serde::Serialize for Accumulator {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Accumulator::Count(a) => a.state().serialize(s),
            Accumulator::Sum(a) => a.state().serialize(s),
            Accumulator::Avg(a) => a.state().serialize(s),
            Accumulator::Min(a) => a.state().serialize(s),
            Accumulator::Max(a) => a.state().serialize(s),
            Accumulator::Stddev(a) => a.state().serialize(s),
            Accumulator::First(a) => a.state().serialize(s),
            Accumulator::Last(a) => a.state().serialize(s),
            Accumulator::Ewma(a) => a.state().serialize(s),
            Accumulator::Distinct(a) => a.snapshot().serialize(s),
            Accumulator::Percentile(a) => a.snapshot().serialize(s),
        }
    }
}

impl Accumulator {
    /// Restore from a state's JSON text, as [`restore`](Self::restore) does.
    pub fn restore_raw(&mut self, raw: &serde_json::value::RawValue) -> Result<(), StateError> {
        let raw = raw.get();
        match self {
            Accumulator::Count(a) => a.restore_state(typed(raw, "count")?),
            Accumulator::Sum(a) => a.restore_state(typed(raw, "sum")?),
            Accumulator::Avg(a) => a.restore_state(typed(raw, "avg")?),
            Accumulator::Min(a) => a.restore_state(typed(raw, "min")?),
            Accumulator::Max(a) => a.restore_state(typed(raw, "max")?),
            Accumulator::Stddev(a) => a.restore_state(typed(raw, "stddev")?),
            Accumulator::First(a) => a.restore_state(typed(raw, "first")?),
            Accumulator::Last(a) => a.restore_state(typed(raw, "last")?),
            Accumulator::Ewma(a) => a.restore_state(typed(raw, "ewma")?),
            other => {
                let v: Value = serde_json::from_str(raw).map_err(|e| e.to_string())?;
                other.restore(&v)
            }
        }
    }
}

/// How an aggregate reads its argument from an event.
#[derive(Debug, Clone)]
enum Arg {
    /// `count`: every event counts.
    None,
    /// A top-level field: read as raw JSON bytes when the event is untouched.
    Field(String, Box<[String]>),
    /// Anything else: a compiled expression.
    Expr(Compiled),
}

/// One aggregate of a stage, compiled once at plan time.
#[derive(Debug, Clone)]
pub struct AggSpec {
    pub func: AggFunc,
    /// Output column name (`count`, `avg_latency_ms`, or the `as` alias).
    pub name: String,
    arg: Arg,
}

impl AggSpec {
    /// Check and compile an aggregate call. Errors point at the call: a
    /// percentile outside 0..=100, an `ewma` alpha outside (0, 1], a bad
    /// argument expression.
    pub fn compile(call: &AggCall) -> Result<AggSpec, LangError> {
        match call.func {
            AggFunc::Percentile(q) if !(0.0..=100.0).contains(&q) => {
                return Err(LangError::new(
                    format!(
                    "percentile {q} is outside 0..=100; write e.g. percentile(latency_ms, 99.9)"
                ),
                    call.span,
                ))
            }
            AggFunc::Ewma(a) if !(a > 0.0 && a <= 1.0) => {
                return Err(LangError::new(
                    format!("ewma alpha {a} must be in (0, 1]; e.g. ewma(latency_ms, 0.1)"),
                    call.span,
                ))
            }
            _ => {}
        }
        let arg = match &call.arg {
            None => Arg::None,
            Some(e) => match &e.kind {
                ExprKind::Field(p) if p.parts.len() == 1 => {
                    Arg::Field(p.parts[0].clone(), p.parts.clone().into_boxed_slice())
                }
                _ => Arg::Expr(expr::compile(e)?),
            },
        };
        Ok(AggSpec {
            func: call.func,
            name: call.name.clone(),
            arg,
        })
    }

    pub fn new_acc(&self) -> Accumulator {
        Accumulator::new(self.func)
    }

    /// Feed one event to `acc`.
    pub fn update(&self, acc: &mut Accumulator, ev: &Event<'_>) {
        self.update_at(acc, ev, 0)
    }

    /// Feed one event, the `seq`-th to arrive, to `acc` (see
    /// [`Accumulator::merge_by_arrival`]).
    pub fn update_at(&self, acc: &mut Accumulator, ev: &Event<'_>, seq: u64) {
        match &self.arg {
            Arg::None => acc.update_event_at(seq),
            Arg::Field(name, path) => match ev.get_raw_json(name) {
                Some(raw) => acc.update_raw_json_at(raw, seq),
                None => {
                    if let Some(v) = ev.field(path) {
                        acc.update_at(&v, seq)
                    }
                }
            },
            Arg::Expr(c) => acc.update_at(&c.eval_cow(ev), seq),
        }
    }

    /// Feed one event given as any `Fields` (rows, lookup values, tests).
    pub fn update_fields(&self, acc: &mut Accumulator, f: &dyn Fields) {
        match &self.arg {
            Arg::None => acc.update_event(),
            Arg::Field(_, path) => {
                if let Some(v) = f.field(path) {
                    acc.update(&v)
                }
            }
            Arg::Expr(c) => acc.update(&c.eval_cow(f)),
        }
    }

    /// The argument's value for an event (`None` for `count`), for stages that
    /// keep values to recompute (sliding scopes).
    pub fn arg_value<'a>(&'a self, f: &'a dyn Fields) -> Option<Cow<'a, Value>> {
        match &self.arg {
            Arg::None => None,
            Arg::Field(_, path) => Some(f.field(path).unwrap_or(Cow::Owned(Value::Null))),
            Arg::Expr(c) => Some(c.eval_cow(f)),
        }
    }
}

/// A value an accumulator keeps (`min`, `max`, `first`, `last`), small: a
/// number inline, anything else boxed, so an accumulator stays 40 bytes
/// instead of 80 (a group is mostly its accumulators; issue 19).
#[derive(Debug, Clone, PartialEq)]
pub enum Held {
    Number(serde_json::Number),
    Other(Box<Value>),
}

impl Held {
    pub fn of(v: &Value) -> Held {
        match v {
            Value::Number(n) => Held::Number(n.clone()),
            other => Held::Other(Box::new(other.clone())),
        }
    }

    /// Replace with `v`, reusing the box (and a string's buffer) if there is one.
    pub fn set(&mut self, v: &Value) {
        match (self, v) {
            (Held::Other(b), v) if !matches!(v, Value::Number(_)) => (**b).clone_from(v),
            (h, v) => *h = Held::of(v),
        }
    }

    pub fn get(&self) -> Cow<'_, Value> {
        match self {
            Held::Number(n) => Cow::Owned(Value::Number(n.clone())),
            Held::Other(b) => Cow::Borrowed(b),
        }
    }

    pub fn value(&self) -> Value {
        self.get().into_owned()
    }

    /// Heap bytes (an estimate): none for a number.
    pub fn heap_bytes(held: &Option<Held>) -> u64 {
        match held {
            Some(Held::Other(v)) => {
                88 + match &**v {
                    Value::String(s) => s.capacity() as u64,
                    Value::Array(_) | Value::Object(_) => 64,
                    _ => 0,
                }
            }
            _ => 0,
        }
    }
}

/// The number a value stands for in a numeric aggregate: a number, or a
/// string that is exactly a JSON number.
pub fn numeric(v: &Value) -> Option<Num> {
    match v {
        Value::Number(n) => Some(Num::of(n)),
        Value::String(s) => value::parse_json_number(s.trim()),
        _ => None,
    }
}

fn is_number_start(raw: &[u8]) -> bool {
    matches!(raw.first(), Some(b'-' | b'0'..=b'9'))
}

/// A raw JSON number (already validated by the indexer), parsed without
/// building a `Value`. The common forms in one pass over the digits: an
/// integer of up to 18 digits (it fits an i64), and `I.F` of at most 15
/// digits in all (most measured values: `33.676`), read as the double it
/// is without the text parser: the digits as an integer are exact in a
/// double (under 2^53), so is 10^len(F), and one IEEE division of two exact
/// doubles is correctly rounded: the same double `str::parse` gives (its
/// own first fast path). Anything else goes to the text parser.
fn raw_number(raw: &[u8]) -> Option<Num> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (neg, digits) = match raw.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, raw),
    };
    if !digits.is_empty() && digits.len() <= 18 {
        let mut m: u64 = 0;
        let mut dot = None;
        let mut plain = true;
        for (i, &d) in digits.iter().enumerate() {
            match d {
                b'0'..=b'9' => m = m * 10 + u64::from(d - b'0'),
                b'.' if dot.is_none() => dot = Some(i),
                _ => {
                    plain = false;
                    break;
                }
            }
        }
        match dot {
            _ if !plain => {}
            None => {
                let n = m as i128;
                return Some(Num::Int(if neg { -n } else { n }));
            }
            // `I.F` with both parts, and no leading zero (`01.5` is not
            // JSON: the parser refuses it).
            Some(dot)
                if digits.len() <= 16
                    && dot > 0
                    && dot + 1 < digits.len()
                    && !(dot > 1 && digits[0] == b'0') =>
            {
                let f = m as f64 / POW10[digits.len() - dot - 1];
                return Some(Num::Float(if neg { -f } else { f }));
            }
            Some(_) => {}
        }
    }
    value::parse_json_number(std::str::from_utf8(raw).ok()?)
}

/// A float as JSON that keeps every bit: a number when finite, else a string.
pub(crate) fn f64_to_json(f: f64) -> serde_json::Value {
    match serde_json::Number::from_f64(f) {
        Some(n) => serde_json::Value::Number(n),
        None if f.is_nan() => "nan".into(),
        None if f > 0.0 => "inf".into(),
        None => "-inf".into(),
    }
}

pub(crate) fn f64_from_json(v: &serde_json::Value) -> Result<f64, StateError> {
    match v {
        serde_json::Value::Number(n) => n.as_f64().ok_or_else(|| format!("bad float {n}").into()),
        serde_json::Value::String(s) if s == "nan" => Ok(f64::NAN),
        serde_json::Value::String(s) if s == "inf" => Ok(f64::INFINITY),
        serde_json::Value::String(s) if s == "-inf" => Ok(f64::NEG_INFINITY),
        other => bad(format!("expected a float, found {other}")),
    }
}

pub(crate) fn field<'v>(
    s: &'v serde_json::Value,
    what: &str,
    key: &str,
) -> Result<&'v serde_json::Value, StateError> {
    s.get(key)
        .ok_or_else(|| format!("{what}: state without `{key}`").into())
}

pub(crate) fn u64_field(s: &serde_json::Value, what: &str, key: &str) -> Result<u64, StateError> {
    field(s, what, key)?
        .as_u64()
        .ok_or_else(|| format!("{what}: `{key}` is not a count").into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(func: AggFunc, values: &[Value]) -> Value {
        let mut a = Accumulator::new(func);
        for v in values {
            a.update(v);
        }
        // The raw-bytes path gives the same answer.
        let mut b = Accumulator::new(func);
        for v in values {
            b.update_raw_json(v.to_string().as_bytes());
        }
        assert_eq!(a.result(), b.result(), "raw path for {func:?}");
        // And so does a snapshot round trip.
        let mut c = Accumulator::new(func);
        let text = serde_json::to_string(&a.snapshot()).unwrap();
        c.restore(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(a.result(), c.result(), "restore for {func:?}");
        a.result()
    }

    fn vals(v: serde_json::Value) -> Vec<Value> {
        v.as_array().unwrap().clone()
    }

    #[test]
    fn count_counts_non_null() {
        assert_eq!(
            run(AggFunc::Count, &vals(json!([1, null, "x", false]))),
            json!(3)
        );
        assert_eq!(run(AggFunc::Count, &[]), json!(0));
    }

    #[test]
    fn sum_stays_integer_until_a_float() {
        assert_eq!(run(AggFunc::Sum, &vals(json!([1, 2, 3]))), json!(6));
        assert_eq!(run(AggFunc::Sum, &vals(json!([1, 2.5, 3]))), json!(6.5));
        assert_eq!(
            run(AggFunc::Sum, &vals(json!([1, "2", "x", null]))),
            json!(3)
        );
        assert_eq!(run(AggFunc::Sum, &vals(json!(["x"]))), Value::Null);
        assert_eq!(
            run(AggFunc::Sum, &vals(json!([u64::MAX, u64::MAX]))),
            json!(3.6893488147419103e19)
        );
        assert_eq!(
            run(AggFunc::Sum, &vals(json!([i64::MAX, 1, -2]))),
            json!(i64::MAX - 1)
        );
    }

    #[test]
    fn avg_is_a_float() {
        assert_eq!(run(AggFunc::Avg, &vals(json!([1, 2]))), json!(1.5));
        assert_eq!(run(AggFunc::Avg, &vals(json!([2, 2]))), json!(2.0));
        assert_eq!(run(AggFunc::Avg, &vals(json!([true]))), Value::Null);
    }

    #[test]
    fn min_max_by_comparison_rules() {
        let v = vals(json!([5, 3.5, "10", null, 7]));
        assert_eq!(run(AggFunc::Min, &v), json!(3.5));
        assert_eq!(run(AggFunc::Max, &v), json!("10"));
        let s = vals(json!(["b", "a", "c"]));
        assert_eq!(run(AggFunc::Min, &s), json!("a"));
        assert_eq!(run(AggFunc::Max, &s), json!("c"));
        assert_eq!(run(AggFunc::Max, &[]), Value::Null);
    }

    #[test]
    fn distinct_counts_values() {
        let v = vals(json!(["a", "b", "a", 1, 1.0, "1", null, true, [1], {"a": 1}, [1]]));
        // "a" "b" 1 "1" true [1] {"a":1}
        assert_eq!(run(AggFunc::Distinct, &v), json!(7));
        assert_eq!(run(AggFunc::Distinct, &[]), json!(0));
    }

    #[test]
    fn percentiles_nearest_rank() {
        let v: Vec<Value> = (1..=10).rev().map(|i| json!(i)).collect();
        assert_eq!(run(AggFunc::Percentile(50.0), &v), json!(5));
        assert_eq!(run(AggFunc::Percentile(90.0), &v), json!(9));
        assert_eq!(run(AggFunc::Percentile(95.0), &v), json!(10));
        assert_eq!(run(AggFunc::Percentile(0.0), &v), json!(1));
        assert_eq!(run(AggFunc::Percentile(100.0), &v), json!(10));
        assert_eq!(
            run(AggFunc::Percentile(50.0), &vals(json!([1.5, 2.5]))),
            json!(1.5)
        );
        assert_eq!(run(AggFunc::Percentile(50.0), &[]), Value::Null);
    }

    #[test]
    fn stddev_population() {
        let v = vals(json!([2, 4, 4, 4, 5, 5, 7, 9]));
        assert_eq!(run(AggFunc::Stddev, &v), json!(2.0));
        assert_eq!(run(AggFunc::Stddev, &vals(json!([3]))), json!(0.0));
        assert_eq!(run(AggFunc::Stddev, &[]), Value::Null);
    }

    #[test]
    fn first_last_any_value() {
        let v = vals(json!([null, {"a": 1}, "x", 3, null]));
        assert_eq!(run(AggFunc::First, &v), json!({"a": 1}));
        assert_eq!(run(AggFunc::Last, &v), json!(3));
    }

    #[test]
    fn ewma_starts_at_first_value() {
        let v = vals(json!([10, 20, "x", 30]));
        // 10 → 0.5·20+0.5·10 = 15 → 0.5·30+0.5·15 = 22.5
        assert_eq!(run(AggFunc::Ewma(0.5), &v), json!(22.5));
    }

    #[test]
    fn merge_equals_one_pass() {
        let funcs = [
            AggFunc::Count,
            AggFunc::Sum,
            AggFunc::Avg,
            AggFunc::Min,
            AggFunc::Max,
            AggFunc::Distinct,
            AggFunc::Percentile(90.0),
            AggFunc::Stddev,
            AggFunc::First,
            AggFunc::Last,
        ];
        let mut vals: Vec<Value> = (0..6000).map(|i| json!((i * 7919) % 1000)).collect();
        vals.push(json!(2.5));
        for func in funcs {
            for cut in [0, 3, 100, 5000, vals.len()] {
                let mut whole = Accumulator::new(func);
                vals.iter().for_each(|v| whole.update(v));
                let mut a = Accumulator::new(func);
                let mut b = Accumulator::new(func);
                vals[..cut].iter().for_each(|v| a.update(v));
                vals[cut..].iter().for_each(|v| b.update(v));
                a.merge(&b);
                let (x, y) = (a.result(), whole.result());
                if let (Some(x), Some(y)) = (x.as_f64(), y.as_f64()) {
                    assert!(
                        (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                        "{func:?} at {cut}: {x} vs {y}"
                    );
                } else {
                    assert_eq!(x, y, "{func:?} at {cut}");
                }
            }
        }
    }

    /// Typed states keep every float bit, and the non-numbers JSON lacks.
    #[test]
    fn typed_states_keep_floats_and_read_old_shapes() {
        for f in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.1 + 0.2,
            1e300,
        ] {
            let text = serde_json::to_string(&F64(f)).unwrap();
            let back: F64 = serde_json::from_str(&text).unwrap();
            assert_eq!(back.0.to_bits(), f.to_bits(), "{text}");
        }
        fn raw(t: &str) -> &serde_json::value::RawValue {
            serde_json::from_str(t).unwrap()
        }
        let mut sum = Accumulator::new(AggFunc::Sum);
        sum.restore_raw(raw(r#"{"total":{"float":"inf"},"seen":true}"#))
            .unwrap();
        assert_eq!(
            serde_json::to_string(&sum).unwrap(),
            r#"{"total":{"float":"inf"},"seen":true}"#
        );
        let mut sum = Accumulator::new(AggFunc::Sum);
        sum.restore_raw(raw(
            r#"{"total":{"int":"170141183460469231731687303715884105727"},"seen":true}"#,
        ))
        .unwrap();
        assert_eq!(
            serde_json::to_string(&sum).unwrap(),
            r#"{"total":{"int":"170141183460469231731687303715884105727"},"seen":true}"#
        );
        let mut min = Accumulator::new(AggFunc::Min);
        min.restore_raw(raw(r#"{"v":"b"}"#)).unwrap();
        assert_eq!(min.result(), json!("b"));
        assert_eq!(serde_json::to_string(&min).unwrap(), r#"{"v":"b"}"#);
        assert!(Accumulator::new(AggFunc::Count)
            .restore_raw(raw(r#"{"v":1}"#))
            .unwrap_err()
            .to_string()
            .starts_with("count: missing field `n`"));
    }

    #[test]
    fn restore_rejects_foreign_state() {
        let mut a = Accumulator::new(AggFunc::Sum);
        assert!(a.restore(&json!({"nope": 1})).is_err());
        let mut p = Accumulator::new(AggFunc::Percentile(50.0));
        assert!(p.restore(&json!("garbage")).is_err());
    }
}

#[cfg(test)]
mod raw_number_props {
    use super::*;
    use proptest::prelude::*;

    fn by_text(raw: &str) -> Option<Num> {
        value::parse_json_number(raw)
    }

    #[test]
    fn short_decimals_read_as_the_text_parser_reads_them() {
        for raw in [
            "33.676",
            "-0.0",
            "0.1",
            "-2.5",
            "0.3",
            "999999999999.999",
            "12345678901234.5",
            "1.000000000000001",
            "123456789012345.6",
            "01.5",
            "1.",
            "1.5e3",
            "7",
            "-0",
            "0",
            "0.05",
            "123456789012345678",
            "-123456789012345678",
            "1234567890123456789",
            "1234567890.1234567",
        ] {
            assert_eq!(raw_number(raw.as_bytes()), by_text(raw), "{raw}");
        }
        // -0.0 keeps its sign.
        assert!(matches!(raw_number(b"-0.0"), Some(Num::Float(f)) if f.is_sign_negative()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]
        #[test]
        fn decimals_read_as_the_text_parser_reads_them(
            neg in any::<bool>(),
            int in 0u64..10_000_000_000_000_000,
            frac in "[0-9]{1,17}",
        ) {
            let raw = format!("{}{int}.{frac}", if neg { "-" } else { "" });
            prop_assert_eq!(raw_number(raw.as_bytes()), by_text(&raw), "{}", raw);
        }
    }
}

#[cfg(test)]
mod size_tests {
    /// A group is mostly its accumulators (issue 19: bytes per group).
    #[test]
    fn an_accumulator_is_40_bytes() {
        assert!(std::mem::size_of::<super::Accumulator>() <= 40);
    }
}
