//! The value rules of DESIGN §3: comparison, null, arithmetic, CSV cell typing.
//! Values are `serde_json::Value` (with `preserve_order`, so objects keep key order).
//!
//! Everything here is total: no input panics, wrong types give `null` or `false`.
//! Numbers are compared and combined without building new `Value`s and without
//! going through `f64` when both sides are integers, so big ids never lose
//! precision. This module must not know about fields, events or the language.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Number;
pub use serde_json::Value;

/// A JSON number seen as one of three exact shapes. Integers widen to `i128`
/// so that `i64` and `u64` mix without overflow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    pub fn of(n: &Number) -> Num {
        if let Some(i) = n.as_i64() {
            Num::Int(i as i128)
        } else if let Some(u) = n.as_u64() {
            Num::Int(u as i128)
        } else {
            Num::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    }

    pub fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    /// Back into a value: integers that fit `i64`/`u64` stay integers,
    /// bigger ones become floats; NaN and infinities become `null`.
    pub fn into_value(self) -> Value {
        match self {
            Num::Int(i) => int_value(i),
            Num::Float(f) => number_from_f64(f),
        }
    }
}

/// The number inside a value (strings are not numbers here).
pub fn num_of(v: &Value) -> Option<Num> {
    match v {
        Value::Number(n) => Some(Num::of(n)),
        _ => None,
    }
}

/// The number a value stands for when compared with a number: a number, or a
/// string whose text is exactly a JSON number (surrounding whitespace allowed).
fn num_for_compare(v: &Value) -> Option<Num> {
    match v {
        Value::Number(n) => Some(Num::of(n)),
        Value::String(s) => parse_json_number(s.trim()),
        _ => None,
    }
}

fn int_value(i: i128) -> Value {
    if let Ok(i) = i64::try_from(i) {
        Value::from(i)
    } else if let Ok(u) = u64::try_from(i) {
        Value::from(u)
    } else {
        number_from_f64(i as f64)
    }
}

/// A float as a value; NaN and infinities (which JSON cannot hold) become `null`.
pub fn number_from_f64(f: f64) -> Value {
    match Number::from_f64(f) {
        Some(n) => Value::Number(n),
        None => Value::Null,
    }
}

/// Exact numeric ordering, including integer against float.
pub fn cmp_num(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(x), Num::Float(y)) => cmp_int_float(x, y),
        (Num::Float(x), Num::Int(y)) => cmp_int_float(y, x).map(Ordering::reverse),
    }
}

/// `i` against `f` without rounding `i` to a float (which would make
/// 2^53 + 1 equal to 2^53).
fn cmp_int_float(i: i128, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // Every i128 we hold comes from i64/u64, so |i| < 2^64.
    if f >= 1.9e19 {
        return Some(Ordering::Less);
    }
    if f <= -1.9e19 {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    // |t| < 2^65, exactly representable as i128.
    match i.cmp(&(t as i128)) {
        Ordering::Equal => 0.0f64.partial_cmp(&(f - t)),
        o => Some(o),
    }
}

/// Ordering for `<` `<=` `>` `>=`: numbers numerically, strings bytewise, a number
/// against a numeric string numerically, bools with `false < true`. `None` when
/// either side is null or the pair is incomparable (arrays and objects included).
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::Number(x), Value::Number(y)) => cmp_num(Num::of(x), Num::of(y)),
        (Value::String(x), Value::String(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Number(x), Value::String(_)) => cmp_num(Num::of(x), num_for_compare(b)?),
        (Value::String(_), Value::Number(y)) => cmp_num(num_for_compare(a)?, Num::of(y)),
        _ => None,
    }
}

/// The `==` rule: `null == null` is true, null against anything else false;
/// scalars as in [`compare`]; arrays and objects by structure (numbers inside
/// compare numerically, but strings are not read as numbers there).
pub fn equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| structural_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| structural_eq(p, q)))
        }
        _ => compare(a, b) == Some(Ordering::Equal),
    }
}

fn structural_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            cmp_num(Num::of(x), Num::of(y)) == Some(Ordering::Equal)
        }
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => equals(a, b),
        _ => a == b,
    }
}

/// jq's rule: `null` and `false` are false, everything else (0, "", [] too) is true.
pub fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false))
}

/// Parse text that is exactly a JSON number (`12`, `-3.5e2`; not `007`, `+1`,
/// `1.`, `.5`). Integral text (no `.`/`e`) stays an integer when it fits `u64`
/// or `i64`; floats that overflow to infinity are rejected.
pub fn parse_json_number(s: &str) -> Option<Num> {
    let b = s.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_len = i - int_start;
    if int_len == 0 || (int_len > 1 && b[int_start] == b'0') {
        return None;
    }
    let mut integral = true;
    if i < b.len() && b[i] == b'.' {
        integral = false;
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == f {
            return None;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        integral = false;
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    if integral {
        if let Ok(v) = s.parse::<i64>() {
            return Some(Num::Int(v as i128));
        }
        if let Ok(v) = s.parse::<u64>() {
            return Some(Num::Int(v as i128));
        }
    }
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(Num::Float(f))
}

/// Typing of CSV/TSV cells, logfmt values and regex captures: exactly a JSON
/// number becomes a number, empty becomes null, anything else stays a string.
pub fn typed_cell(text: &str) -> Value {
    if text.is_empty() {
        return Value::Null;
    }
    // Cheap reject before the full grammar: most cells are words.
    let first = text.as_bytes()[0];
    if first == b'-' || first.is_ascii_digit() {
        if let Some(n) = small_int(text.as_bytes()) {
            return Value::from(n);
        }
        if let Some(n) = parse_json_number(text) {
            return n.into_value();
        }
    }
    Value::String(text.to_owned())
}

/// A raw JSON value that is an integer `decode_json_value` reads as one
/// (at most 18 digits, not `-0`), as that integer.
pub fn raw_small_int(raw: &[u8]) -> Option<i64> {
    if raw == b"-0" {
        return None;
    }
    small_int(raw)
}

/// The commonest number cell, read in one pass: an integer of at most 18
/// digits (it fits i64), no leading zero, maybe a `-`. `None` for anything
/// else, which goes through the full grammar.
pub fn small_int(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 || (digits[0] == b'0' && digits.len() > 1) {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(d - b'0');
    }
    Some(if neg { -n } else { n })
}

/// The text used to match join keys and name groups: strings as they are,
/// numbers and bools in JSON form (`12`, `1.5`, `true`), arrays and objects as
/// compact JSON; `null` has no key.
///
/// Numbers equal under `==` are one key: an integral float is written as the
/// integer (`5.0` and `5` are `5`, `-0.0` and `0` are `0`), the same rule
/// `distinct` hashes by. So the string `"5"` is that key too (keys match by
/// text, as joins always did), while `"5.0"` stays a text of its own.
pub fn key_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Bool(true) => Some(Cow::Borrowed("true")),
        Value::Bool(false) => Some(Cow::Borrowed("false")),
        Value::Number(n) => Some(Cow::Owned(number_key_text(n))),
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// A number's key text: integers as written, integral floats below 1.8e19 as
/// the integer they equal, other floats in shortest round-trip form.
fn number_key_text(n: &Number) -> String {
    match Num::of(n) {
        Num::Float(f) if f.fract() == 0.0 && f.abs() < 1.8e19 => (f as i128).to_string(),
        _ => n.to_string(),
    }
}

/// The five arithmetic operators, for [`arith`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// Arithmetic: null or any non-number (numeric strings too) gives null. Integer
/// op integer stays an integer, becoming a float only on overflow; `/` always
/// gives a float (`6 / 3` is `2.0`, as in jq); dividing by zero gives null.
pub fn arith(op: ArithOp, a: &Value, b: &Value) -> Value {
    match (num_of(a), num_of(b)) {
        (Some(x), Some(y)) => arith_num(op, x, y),
        _ => Value::Null,
    }
}

/// [`arith`] on numbers already taken out of their values.
pub fn arith_num(op: ArithOp, x: Num, y: Num) -> Value {
    if let (Num::Int(p), Num::Int(q)) = (x, y) {
        // |p|, |q| < 2^64, so + and - cannot overflow i128; * can (u64 × u64).
        return match op {
            ArithOp::Add => int_value(p + q),
            ArithOp::Sub => int_value(p - q),
            ArithOp::Mul => match p.checked_mul(q) {
                Some(r) => int_value(r),
                None => number_from_f64(p as f64 * q as f64),
            },
            ArithOp::Div if q == 0 => Value::Null,
            ArithOp::Div => number_from_f64(p as f64 / q as f64),
            ArithOp::Rem if q == 0 => Value::Null,
            ArithOp::Rem => int_value(p % q),
        };
    }
    let (p, q) = (x.as_f64(), y.as_f64());
    match op {
        ArithOp::Add => number_from_f64(p + q),
        ArithOp::Sub => number_from_f64(p - q),
        ArithOp::Mul => number_from_f64(p * q),
        ArithOp::Div | ArithOp::Rem if q == 0.0 => Value::Null,
        ArithOp::Div => number_from_f64(p / q),
        ArithOp::Rem => number_from_f64(p % q),
    }
}

pub fn arith_add(a: &Value, b: &Value) -> Value {
    arith(ArithOp::Add, a, b)
}
pub fn arith_sub(a: &Value, b: &Value) -> Value {
    arith(ArithOp::Sub, a, b)
}
pub fn arith_mul(a: &Value, b: &Value) -> Value {
    arith(ArithOp::Mul, a, b)
}
pub fn arith_div(a: &Value, b: &Value) -> Value {
    arith(ArithOp::Div, a, b)
}
pub fn arith_rem(a: &Value, b: &Value) -> Value {
    arith(ArithOp::Rem, a, b)
}

/// Unary minus: integers stay integers (`-i64::MIN` becomes a float), non-numbers give null.
pub fn negate(v: &Value) -> Value {
    match num_of(v) {
        Some(Num::Int(i)) => int_value(-i),
        Some(Num::Float(f)) => number_from_f64(-f),
        None => Value::Null,
    }
}

/// The text of a value in a CSV/TSV cell or a table: strings bare, null
/// empty, nested values as compact JSON.
pub fn cell_text(v: &Value) -> std::borrow::Cow<'_, str> {
    match v {
        Value::String(s) => s.as_str().into(),
        Value::Null => "".into(),
        other => other.to_string().into(),
    }
}

#[cfg(test)]
#[rustfmt::skip]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use Ordering::*;

    fn c(a: Value, b: Value) -> Option<Ordering> {
        compare(&a, &b)
    }

    #[test] fn cmp_ints() { assert_eq!(c(json!(1), json!(2)), Some(Less)); }
    #[test] fn cmp_int_float() { assert_eq!(c(json!(2), json!(1.5)), Some(Greater)); }
    #[test] fn cmp_int_float_equal() { assert_eq!(c(json!(2), json!(2.0)), Some(Equal)); }
    #[test] fn cmp_big_int_vs_float_exact() { assert_eq!(c(json!(9007199254740993i64), json!(9007199254740992.0)), Some(Greater)); }
    #[test] fn cmp_big_ints_exact() { assert_eq!(c(json!(9007199254740993i64), json!(9007199254740992i64)), Some(Greater)); }
    #[test] fn cmp_u64_vs_i64() { assert_eq!(c(json!(u64::MAX), json!(-1)), Some(Greater)); }
    #[test] fn cmp_u64_vs_float() { assert_eq!(c(json!(u64::MAX), json!(1e30)), Some(Less)); }
    #[test] fn cmp_neg_fraction() { assert_eq!(c(json!(-2), json!(-1.5)), Some(Less)); }
    #[test] fn cmp_strings_bytewise() { assert_eq!(c(json!("B"), json!("a")), Some(Less)); }
    #[test] fn cmp_num_vs_numeric_string() { assert_eq!(c(json!(500), json!("500")), Some(Equal)); }
    #[test] fn cmp_numeric_string_vs_num() { assert_eq!(c(json!("600"), json!(500)), Some(Greater)); }
    #[test] fn cmp_numeric_string_float() { assert_eq!(c(json!("1e3"), json!(999)), Some(Greater)); }
    #[test] fn cmp_num_vs_word() { assert_eq!(c(json!(5), json!("abc")), None); }
    #[test] fn cmp_num_vs_padded_string() { assert_eq!(c(json!(5), json!(" 5 ")), Some(Equal)); }
    #[test] fn cmp_string_strings_not_numeric() { assert_eq!(c(json!("10"), json!("9")), Some(Less)); }
    #[test] fn cmp_bools() { assert_eq!(c(json!(false), json!(true)), Some(Less)); }
    #[test] fn cmp_bool_vs_num() { assert_eq!(c(json!(true), json!(1)), None); }
    #[test] fn cmp_null() { assert_eq!(c(json!(null), json!(null)), None); }
    #[test] fn cmp_null_vs_num() { assert_eq!(c(json!(null), json!(0)), None); }
    #[test] fn cmp_arrays() { assert_eq!(c(json!([1]), json!([1])), None); }

    #[test] fn eq_null_null() { assert!(equals(&json!(null), &json!(null))); }
    #[test] fn eq_null_zero() { assert!(!equals(&json!(null), &json!(0))); }
    #[test] fn eq_num_string() { assert!(equals(&json!(500), &json!("500"))); }
    #[test] fn eq_int_float() { assert!(equals(&json!(1), &json!(1.0))); }
    #[test] fn eq_strings() { assert!(!equals(&json!("a"), &json!("A"))); }
    #[test] fn eq_bool_num() { assert!(!equals(&json!(true), &json!(1))); }
    #[test] fn eq_arrays() { assert!(equals(&json!([1, "a", [2.0]]), &json!([1.0, "a", [2]]))); }
    #[test] fn eq_arrays_no_string_coercion() { assert!(!equals(&json!(["1"]), &json!([1]))); }
    #[test] fn eq_objects_any_order() { assert!(equals(&json!({"a":1,"b":2}), &json!({"b":2,"a":1}))); }
    #[test] fn eq_objects_differ() { assert!(!equals(&json!({"a":1}), &json!({"a":1,"b":2}))); }
    #[test] fn eq_array_vs_object() { assert!(!equals(&json!([]), &json!({}))); }

    #[test] fn truthy_null() { assert!(!truthy(&json!(null))); }
    #[test] fn truthy_false() { assert!(!truthy(&json!(false))); }
    #[test] fn truthy_zero() { assert!(truthy(&json!(0))); }
    #[test] fn truthy_empty_string() { assert!(truthy(&json!(""))); }
    #[test] fn truthy_empty_array() { assert!(truthy(&json!([]))); }

    #[test] fn cell_int() { assert_eq!(typed_cell("12"), json!(12)); }
    #[test] fn cell_neg_exp() { assert_eq!(typed_cell("-3.5e2"), json!(-350.0)); }
    #[test] fn cell_float() { assert_eq!(typed_cell("1.5"), json!(1.5)); }
    #[test] fn cell_zero() { assert_eq!(typed_cell("0"), json!(0)); }
    #[test] fn cell_leading_zero() { assert_eq!(typed_cell("007"), json!("007")); }
    #[test] fn cell_plus() { assert_eq!(typed_cell("+1"), json!("+1")); }
    #[test] fn cell_trailing_dot() { assert_eq!(typed_cell("1."), json!("1.")); }
    #[test] fn cell_leading_dot() { assert_eq!(typed_cell(".5"), json!(".5")); }
    #[test] fn cell_minus_only() { assert_eq!(typed_cell("-"), json!("-")); }
    #[test] fn cell_bad_exp() { assert_eq!(typed_cell("1e"), json!("1e")); }
    #[test] fn cell_space() { assert_eq!(typed_cell(" 1"), json!(" 1")); }
    #[test] fn cell_minus_zero() { assert_eq!(typed_cell("-0"), json!(0)); }
    #[test] fn cell_18_digits() { assert_eq!(typed_cell("-999999999999999999"), json!(-999_999_999_999_999_999_i64)); }
    #[test] fn cell_19_digits() { assert_eq!(typed_cell("9223372036854775807"), json!(i64::MAX)); }
    #[test] fn cell_minus_leading_zero() { assert_eq!(typed_cell("-01"), json!("-01")); }
    #[test] fn cell_empty() { assert_eq!(typed_cell(""), json!(null)); }
    #[test] fn cell_word() { assert_eq!(typed_cell("abc"), json!("abc")); }
    #[test] fn cell_true_is_string() { assert_eq!(typed_cell("true"), json!("true")); }
    #[test] fn cell_u64() { assert_eq!(typed_cell("18446744073709551615"), json!(u64::MAX)); }
    #[test] fn cell_huge_int_float() { assert_eq!(typed_cell("100000000000000000000"), json!(1e20)); }
    #[test] fn cell_overflow_float() { assert_eq!(typed_cell("1e999"), json!("1e999")); }
    #[test] fn cell_int_with_exp_is_float() { assert_eq!(typed_cell("1e2"), json!(100.0)); }

    #[test] fn key_int() { assert_eq!(key_text(&json!(12)).as_deref(), Some("12")); }
    #[test] fn key_of_equal_numbers_is_one() {
        for (v, want) in [
            (json!(5.0), "5"),
            (json!(-0.0), "0"),
            (json!(5), "5"),
            (json!("5"), "5"),
            (json!(1e18), "1000000000000000000"),
            (json!(2.5), "2.5"),
            (json!(1e300), "1e+300"),
            (json!("5.0"), "5.0"),
        ] {
            assert_eq!(key_text(&v).as_deref(), Some(want), "{v}");
        }
    }
    #[test] fn key_str() { assert_eq!(key_text(&json!("a")).as_deref(), Some("a")); }
    #[test] fn key_float() { assert_eq!(key_text(&json!(1.5)).as_deref(), Some("1.5")); }
    #[test] fn key_bool() { assert_eq!(key_text(&json!(true)).as_deref(), Some("true")); }
    #[test] fn key_null() { assert_eq!(key_text(&json!(null)), None); }
    #[test] fn key_array() { assert_eq!(key_text(&json!([1, "a"])).as_deref(), Some("[1,\"a\"]")); }

    fn ar(op: ArithOp, a: Value, b: Value) -> Value {
        arith(op, &a, &b)
    }
    #[test] fn add_ints() { assert_eq!(ar(ArithOp::Add, json!(2), json!(3)), json!(5)); }
    #[test] fn add_float() { assert_eq!(ar(ArithOp::Add, json!(2), json!(0.5)), json!(2.5)); }
    #[test] fn add_into_u64_range() { assert_eq!(ar(ArithOp::Add, json!(i64::MAX), json!(i64::MAX)), json!(18446744073709551614u64)); }
    #[test] fn add_overflow_float() { assert_eq!(ar(ArithOp::Add, json!(u64::MAX), json!(1)), json!(1.8446744073709552e19)); }
    #[test] fn add_into_u64() { assert_eq!(ar(ArithOp::Add, json!(i64::MAX), json!(1)), json!(9223372036854775808u64)); }
    #[test] fn add_null() { assert_eq!(ar(ArithOp::Add, json!(null), json!(1)), json!(null)); }
    #[test] fn add_string() { assert_eq!(ar(ArithOp::Add, json!("1"), json!(1)), json!(null)); }
    #[test] fn add_bool() { assert_eq!(ar(ArithOp::Add, json!(true), json!(1)), json!(null)); }
    #[test] fn sub_ints() { assert_eq!(ar(ArithOp::Sub, json!(2), json!(3)), json!(-1)); }
    #[test] fn sub_underflow() { assert_eq!(ar(ArithOp::Sub, json!(i64::MIN), json!(i64::MAX)), json!(-1.8446744073709552e19)); }
    #[test] fn mul_ints() { assert_eq!(ar(ArithOp::Mul, json!(4), json!(-3)), json!(-12)); }
    #[test] fn mul_overflow() { assert_eq!(ar(ArithOp::Mul, json!(i64::MAX), json!(4)), json!(3.6893488147419103e19)); }
    #[test] fn mul_u64_overflow() { assert_eq!(ar(ArithOp::Mul, json!(u64::MAX), json!(u64::MAX)), json!(3.402823669209385e38)); }
    #[test] fn mul_floats() { assert_eq!(ar(ArithOp::Mul, json!(1.5), json!(2)), json!(3.0)); }
    #[test] fn div_ints_float() { assert_eq!(ar(ArithOp::Div, json!(6), json!(3)), json!(2.0)); }
    #[test] fn div_fraction() { assert_eq!(ar(ArithOp::Div, json!(1), json!(4)), json!(0.25)); }
    #[test] fn div_zero() { assert_eq!(ar(ArithOp::Div, json!(1), json!(0)), json!(null)); }
    #[test] fn div_zero_float() { assert_eq!(ar(ArithOp::Div, json!(1.0), json!(0.0)), json!(null)); }
    #[test] fn rem_ints() { assert_eq!(ar(ArithOp::Rem, json!(7), json!(3)), json!(1)); }
    #[test] fn rem_negative() { assert_eq!(ar(ArithOp::Rem, json!(-7), json!(3)), json!(-1)); }
    #[test] fn rem_min_neg_one() { assert_eq!(ar(ArithOp::Rem, json!(i64::MIN), json!(-1)), json!(0)); }
    #[test] fn rem_zero() { assert_eq!(ar(ArithOp::Rem, json!(7), json!(0)), json!(null)); }
    #[test] fn rem_float() { assert_eq!(ar(ArithOp::Rem, json!(7.5), json!(2)), json!(1.5)); }
    #[test] fn rem_float_zero() { assert_eq!(ar(ArithOp::Rem, json!(7.5), json!(0.0)), json!(null)); }
    #[test] fn wrappers() { assert_eq!(arith_add(&json!(1), &json!(2)), json!(3)); }
    #[test] fn neg_int() { assert_eq!(negate(&json!(5)), json!(-5)); }
    #[test] fn neg_min() { assert_eq!(negate(&json!(i64::MIN)), json!(9223372036854775808u64)); }
    #[test] fn neg_float() { assert_eq!(negate(&json!(1.5)), json!(-1.5)); }
    #[test] fn neg_string() { assert_eq!(negate(&json!("1")), json!(null)); }
    #[test] fn f64_nan() { assert_eq!(number_from_f64(f64::NAN), json!(null)); }
    #[test] fn f64_inf() { assert_eq!(number_from_f64(f64::INFINITY), json!(null)); }
    #[test] fn f64_keeps_float() { assert_eq!(number_from_f64(2.0).to_string(), "2.0"); }
    #[test] fn f64_shortest() { assert_eq!(number_from_f64(0.1 + 0.2).to_string(), "0.30000000000000004"); }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(number_from_f64),
            (-1e20f64..1e20).prop_map(number_from_f64),
            any::<i64>().prop_map(|i| Value::from(i.to_string())),
            "[a-z0-9.]{0,4}".prop_map(Value::from),
        ]
    }

    proptest! {
        #[test]
        fn small_int_cells_agree_with_the_grammar(s in "-?[0-9]{0,20}[.e]?[0-9]?") {
            let full = if s.is_empty() {
                Value::Null
            } else {
                parse_json_number(&s).map_or_else(|| Value::String(s.clone()), Num::into_value)
            };
            prop_assert_eq!(typed_cell(&s), full);
        }

        #[test]
        fn compare_is_antisymmetric(a in scalar(), b in scalar()) {
            prop_assert_eq!(compare(&a, &b), compare(&b, &a).map(Ordering::reverse));
        }

        #[test]
        fn arith_is_total(a in scalar(), b in scalar()) {
            for op in [ArithOp::Add, ArithOp::Sub, ArithOp::Mul, ArithOp::Div, ArithOp::Rem] {
                let _ = arith(op, &a, &b);
            }
            let _ = negate(&a);
        }

        #[test]
        fn equals_is_symmetric(a in scalar(), b in scalar()) {
            prop_assert_eq!(equals(&a, &b), equals(&b, &a));
        }

        #[test]
        fn equal_numbers_have_one_key(a in scalar(), b in scalar()) {
            // Numbers (not numeric strings, which key by their text) that are
            // equal under `==` must group together.
            if matches!((&a, &b), (Value::Number(_), Value::Number(_))) && equals(&a, &b) {
                let (x, y) = (num_of(&a).unwrap().as_f64(), num_of(&b).unwrap().as_f64());
                if x.abs() < 9e15 && y.abs() < 9e15 {
                    prop_assert_eq!(key_text(&a), key_text(&b));
                }
            }
        }

        #[test]
        fn an_integer_and_its_float_are_one_key(i in -(1i64 << 53)..(1i64 << 53)) {
            let (int, float) = (Value::from(i), number_from_f64(i as f64));
            prop_assert!(equals(&int, &float));
            prop_assert_eq!(key_text(&int), key_text(&float));
        }

        #[test]
        fn typed_cell_round_trips_ints(i in any::<i64>()) {
            prop_assert_eq!(typed_cell(&i.to_string()), Value::from(i));
        }

        #[test]
        fn typed_cell_round_trips_floats(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
            let v = number_from_f64(f);
            prop_assert_eq!(typed_cell(&v.to_string()), v);
        }

        #[test]
        fn int_float_order_matches_exact(i in any::<i64>(), f in -1e19f64..1e19) {
            // Cross-check against i128 arithmetic on the truncated float.
            let o = compare(&Value::from(i), &number_from_f64(f)).unwrap();
            let t = f.trunc() as i128;
            let expected = (i as i128).cmp(&t).then(if f > f.trunc() { Less } else if f < f.trunc() { Greater } else { Equal });
            prop_assert_eq!(o, expected);
        }
    }
}
