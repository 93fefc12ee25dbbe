//! The expression functions of DESIGN §3: their names and arities (checked at
//! compile time, with a did-you-mean) and what each computes. Every function
//! is total: a wrong-typed argument gives `null`, never a panic.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;

use super::{build, literal_regex, text, Fields, Node, NULL};
use crate::lang::ast::{Expr, ExprKind};
use crate::lang::span::Span;
use crate::lang::LangError;
use crate::timefmt;
use crate::value::{num_of, number_from_f64, Num, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Func {
    Lower,
    Upper,
    Len,
    Trim,
    Substr,
    Split,
    Replace,
    Abs,
    Round,
    Floor,
    Ceil,
    Int,
    Float,
    Str,
    Coalesce,
    Concat,
    If,
    Now,
    Time,
    Bucket,
}

/// `exists` is compiled apart (its argument is a field, not a value).
const EXISTS: &str = "exists";

/// Name, function, fewest and most arguments.
const TABLE: &[(&str, Option<Func>, usize, usize)] = &[
    ("lower", Some(Func::Lower), 1, 1),
    ("upper", Some(Func::Upper), 1, 1),
    ("len", Some(Func::Len), 1, 1),
    ("trim", Some(Func::Trim), 1, 1),
    ("substr", Some(Func::Substr), 2, 3),
    ("split", Some(Func::Split), 2, 2),
    ("replace", Some(Func::Replace), 3, 3),
    ("abs", Some(Func::Abs), 1, 1),
    ("round", Some(Func::Round), 1, 2),
    ("floor", Some(Func::Floor), 1, 1),
    ("ceil", Some(Func::Ceil), 1, 1),
    ("int", Some(Func::Int), 1, 1),
    ("float", Some(Func::Float), 1, 1),
    ("str", Some(Func::Str), 1, 1),
    (EXISTS, None, 1, 1),
    ("coalesce", Some(Func::Coalesce), 1, usize::MAX),
    ("concat", Some(Func::Concat), 1, usize::MAX),
    ("if", Some(Func::If), 3, 3),
    ("now", Some(Func::Now), 0, 0),
    ("time", Some(Func::Time), 0, 1),
    ("bucket", Some(Func::Bucket), 2, 2),
];

/// The names users may call, for help texts.
pub fn names() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|t| t.0)
}

fn arity_text(min: usize, max: usize) -> String {
    let n = |k: usize| {
        if k == 1 {
            "1 argument".to_string()
        } else {
            format!("{k} arguments")
        }
    };
    match (min, max) {
        (a, b) if a == b => n(a),
        (a, usize::MAX) => format!("at least {}", n(a)),
        (a, b) => format!("{a} to {b} arguments"),
    }
}

/// Levenshtein distance over chars; names are short.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest known name, if close enough to be a typo.
fn suggest(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    names()
        .map(|n| (edit_distance(&lower, n), n))
        .filter(|&(d, n)| d <= 2 && d < n.len().max(2))
        .min_by_key(|&(d, _)| d)
        .map(|(_, n)| n)
}

pub(super) fn build_call(name: &str, name_span: Span, args: &[Expr]) -> Result<Node, LangError> {
    let Some(&(_, func, min, max)) = TABLE.iter().find(|t| t.0 == name) else {
        let err = LangError::new(format!("unknown function `{name}`"), name_span);
        return Err(match suggest(name) {
            Some(s) => err.with_help(format!("did you mean `{s}`?")),
            None => err,
        });
    };
    if args.len() < min || args.len() > max {
        return Err(LangError::new(
            format!(
                "`{name}` takes {}, got {}",
                arity_text(min, max),
                args.len()
            ),
            name_span,
        ));
    }
    let Some(func) = func else {
        // exists(field)
        return match &args[0].kind {
            ExprKind::Field(p) => Ok(Node::Exists(p.parts.clone().into_boxed_slice())),
            _ => Err(LangError::new(
                "`exists` takes a field name, e.g. `exists(user.id)`",
                args[0].span,
            )),
        };
    };
    if func == Func::Replace {
        if let Some(re) = literal_regex(&args[1])? {
            return Ok(Node::ReplaceLit(
                Box::new(build(&args[0])?),
                Box::new(re),
                Box::new(build(&args[2])?),
            ));
        }
    }
    Ok(Node::Call(
        func,
        args.iter().map(build).collect::<Result<_, _>>()?,
    ))
}

pub(super) fn call<'a>(func: Func, args: &'a [Node], f: &'a dyn Fields) -> Cow<'a, Value> {
    match func {
        // Lazy: only the chosen branches are evaluated.
        Func::Coalesce => {
            for a in args {
                let v = a.ev(f);
                if !v.is_null() {
                    return v;
                }
            }
            Cow::Borrowed(&NULL)
        }
        // Null-safe: null or a missing field adds nothing (unlike SQL's
        // `||`); numbers and booleans in JSON form, as `str` writes them.
        Func::Concat => {
            let mut out = String::new();
            for a in args {
                match a.ev(f).as_ref() {
                    Value::Null => {}
                    Value::String(s) => out.push_str(s),
                    v => out.push_str(&v.to_string()),
                }
            }
            Cow::Owned(Value::String(out))
        }
        Func::If => {
            if args[0].test(f) {
                args[1].ev(f)
            } else {
                args[2].ev(f)
            }
        }
        Func::Now => Cow::Owned(Value::from(now_ms())),
        Func::Time if args.is_empty() => {
            Cow::Owned(f.event_time().map_or(Value::Null, Value::from))
        }
        _ => {
            // At most three arguments: evaluate into an array, no allocation.
            let v: [Cow<'a, Value>; 3] =
                std::array::from_fn(|i| args.get(i).map_or(Cow::Borrowed(&NULL), |n| n.ev(f)));
            Cow::Owned(apply(func, &v[..args.len().min(3)]))
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn string(s: String) -> Value {
    Value::String(s)
}

/// An integer argument (floats are truncated); `None` for non-numbers.
fn int_arg(v: &Value) -> Option<i64> {
    match num_of(v)? {
        Num::Int(i) => i64::try_from(i).ok(),
        Num::Float(f) if f.is_finite() => {
            Some(f.trunc().clamp(i64::MIN as f64, i64::MAX as f64) as i64)
        }
        Num::Float(_) => None,
    }
}

/// A float rounded to an integer by `op`: an `i64` when it fits, else the float.
fn to_int_value(f: f64, op: fn(f64) -> f64) -> Value {
    let r = op(f);
    if r.abs() < 9.2e18 {
        Value::from(r as i64)
    } else {
        number_from_f64(r)
    }
}

fn apply(func: Func, a: &[Cow<'_, Value>]) -> Value {
    let arg = |i: usize| -> &Value { a.get(i).map_or(&NULL, |c| &**c) };
    let x = arg(0);
    match func {
        Func::Lower => text(x).map_or(Value::Null, |s| string(s.to_lowercase())),
        Func::Upper => text(x).map_or(Value::Null, |s| string(s.to_uppercase())),
        Func::Trim => text(x).map_or(Value::Null, |s| string(s.trim().to_owned())),
        Func::Len => match x {
            Value::String(s) => Value::from(s.chars().count()),
            Value::Array(v) => Value::from(v.len()),
            Value::Object(m) => Value::from(m.len()),
            _ => Value::Null,
        },
        Func::Substr => substr(x, arg(1), a.get(2).map(|c| &**c)),
        Func::Split => match (text(x), text(arg(1))) {
            (Some(s), Some(sep)) if sep.is_empty() => {
                s.chars().map(|c| Value::String(c.to_string())).collect()
            }
            (Some(s), Some(sep)) => s
                .split(&*sep)
                .map(|p| Value::String(p.to_owned()))
                .collect(),
            _ => Value::Null,
        },
        Func::Replace => match text(arg(1)) {
            Some(p) => with_regex(&p, |re| replace(x, re, arg(2))).unwrap_or(Value::Null),
            None => Value::Null,
        },
        Func::Abs => match num_of(x) {
            Some(Num::Int(i)) => Num::Int(i.abs()).into_value(),
            Some(Num::Float(f)) => number_from_f64(f.abs()),
            None => Value::Null,
        },
        Func::Round if a.len() == 2 => round_digits(x, arg(1)),
        Func::Round => round_with(x, f64::round),
        Func::Floor => round_with(x, f64::floor),
        Func::Ceil => round_with(x, f64::ceil),
        Func::Int => match x {
            Value::Number(_) => int_of_num(num_of(x)),
            Value::String(s) => {
                let s = s.trim();
                match s.parse::<i64>() {
                    Ok(i) => Value::from(i),
                    Err(_) => int_of_num(s.parse::<f64>().ok().map(Num::Float)),
                }
            }
            _ => Value::Null,
        },
        Func::Float => match x {
            Value::Number(_) => num_of(x).map_or(Value::Null, |n| number_from_f64(n.as_f64())),
            Value::String(s) => s.trim().parse::<f64>().map_or(Value::Null, number_from_f64),
            _ => Value::Null,
        },
        Func::Str => match x {
            Value::Null => Value::Null,
            Value::String(s) => Value::String(s.clone()),
            other => Value::String(other.to_string()),
        },
        Func::Time => timefmt::parse_auto(x).map_or(Value::Null, Value::from),
        Func::Bucket => bucket(x, arg(1)),
        // Handled lazily in `call`.
        Func::Coalesce | Func::Concat | Func::If | Func::Now => Value::Null,
    }
}

fn int_of_num(n: Option<Num>) -> Value {
    match n {
        Some(Num::Int(i)) => i64::try_from(i).map_or(Value::Null, Value::from),
        Some(Num::Float(f)) if f.is_finite() && f.trunc().abs() < 9.2e18 => {
            Value::from(f.trunc() as i64)
        }
        _ => Value::Null,
    }
}

fn round_with(x: &Value, op: fn(f64) -> f64) -> Value {
    match num_of(x) {
        Some(Num::Int(_)) => x.clone(),
        Some(Num::Float(f)) => to_int_value(f, op),
        None => Value::Null,
    }
}

/// `round(x, n)`: a float with n digits after the point (n < 0 rounds to tens, hundreds…).
fn round_digits(x: &Value, n: &Value) -> Value {
    let (Some(v), Some(n)) = (num_of(x), int_arg(n)) else {
        return Value::Null;
    };
    let f = v.as_f64();
    if n > 17 {
        return number_from_f64(f);
    }
    if n < -20 {
        return number_from_f64(0.0 * f.signum());
    }
    let p = 10f64.powi(n as i32);
    let r = (f * p).round() / p;
    number_from_f64(if r.is_finite() { r } else { f })
}

/// `substr(s, start[, len])` in characters; a negative start counts as 0,
/// a negative length as 0.
fn substr(s: &Value, start: &Value, len: Option<&Value>) -> Value {
    let (Some(s), Some(start)) = (text(s), int_arg(start)) else {
        return Value::Null;
    };
    let len = match len {
        Some(l) => match int_arg(l) {
            Some(l) => l.max(0) as usize,
            None => return Value::Null,
        },
        None => usize::MAX,
    };
    Value::String(s.chars().skip(start.max(0) as usize).take(len).collect())
}

/// Every match of `re` in the text of `s` replaced by `with` (`$1`, `${name}`).
pub(super) fn replace(s: &Value, re: &Regex, with: &Value) -> Value {
    match (text(s), text(with)) {
        (Some(s), Some(w)) => Value::String(re.replace_all(&s, &*w).into_owned()),
        _ => Value::Null,
    }
}

/// `bucket(t, d)`: t (epoch ms, or a timestamp string read as `auto`) floored
/// to a multiple of d ms; d must be a positive number.
fn bucket(t: &Value, d: &Value) -> Value {
    let t = match t {
        Value::String(s) => timefmt::parse_auto_str(s),
        Value::Number(_) => match num_of(t) {
            Some(Num::Int(i)) => i64::try_from(i).ok(),
            Some(Num::Float(f)) if f.is_finite() && f.abs() < 9.2e18 => Some(f.floor() as i64),
            _ => None,
        },
        _ => None,
    };
    match (t, int_arg(d)) {
        (Some(t), Some(d)) if d > 0 => t
            .div_euclid(d)
            .checked_mul(d)
            .map_or(Value::Null, Value::from),
        _ => Value::Null,
    }
}

thread_local! {
    /// Patterns computed per event (`x =~ y`, `replace(s, y, …)`), compiled
    /// once per thread; `None` remembers an invalid pattern.
    static REGEX_CACHE: RefCell<HashMap<String, Option<Regex>>> = RefCell::new(HashMap::new());
}

/// Most distinct runtime patterns kept; the cache starts over when full.
const REGEX_CACHE_SIZE: usize = 64;

/// Run `use_re` on the compiled `pattern`; `None` when the pattern is invalid.
pub(super) fn with_regex<T>(pattern: &str, use_re: impl FnOnce(&Regex) -> T) -> Option<T> {
    REGEX_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if !c.contains_key(pattern) {
            if c.len() >= REGEX_CACHE_SIZE {
                c.clear();
            }
            c.insert(pattern.to_owned(), Regex::new(pattern).ok());
        }
        c.get(pattern).and_then(|r| r.as_ref()).map(use_re)
    })
}

#[cfg(test)]
#[rustfmt::skip]
mod tests {
    use super::*;

    #[test] fn distance_same() { assert_eq!(edit_distance("lower", "lower"), 0); }
    #[test] fn distance_one() { assert_eq!(edit_distance("lowr", "lower"), 1); }
    #[test] fn suggest_typo() { assert_eq!(suggest("uper"), Some("upper")); }
    #[test] fn suggest_case() { assert_eq!(suggest("LOWER"), Some("lower")); }
    #[test] fn suggest_none() { assert_eq!(suggest("frobnicate"), None); }
}
