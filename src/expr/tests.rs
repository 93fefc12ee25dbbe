//! One-line tests of every operator and function, on AST built by hand
//! (the parser is written separately).
#![cfg_attr(rustfmt, rustfmt::skip)]

use super::*;
use crate::lang::ast::FieldPath;
use crate::lang::span::Span;
use serde_json::json;

fn sp() -> Span { Span::new(0, 0) }
fn ex(kind: ExprKind) -> Expr { Expr { kind, span: sp() } }
fn fld(path: &str) -> Expr { ex(ExprKind::Field(FieldPath { parts: path.split('.').map(String::from).collect(), span: sp() })) }
fn int(i: i64) -> Expr { ex(ExprKind::Literal(Literal::Int(i))) }
fn flt(f: f64) -> Expr { ex(ExprKind::Literal(Literal::Float(f))) }
fn s(t: &str) -> Expr { ex(ExprKind::Literal(Literal::Str(t.into()))) }
fn b(v: bool) -> Expr { ex(ExprKind::Literal(Literal::Bool(v))) }
fn null() -> Expr { ex(ExprKind::Literal(Literal::Null)) }
fn dur(ms: i64) -> Expr { ex(ExprKind::Literal(Literal::Duration(ms))) }
fn bin(op: BinaryOp, l: Expr, r: Expr) -> Expr { ex(ExprKind::Binary(op, Box::new(l), Box::new(r))) }
fn not(x: Expr) -> Expr { ex(ExprKind::Unary(UnaryOp::Not, Box::new(x))) }
fn neg(x: Expr) -> Expr { ex(ExprKind::Unary(UnaryOp::Neg, Box::new(x))) }
fn inn(x: Expr, items: Vec<Expr>) -> Expr { ex(ExprKind::In(Box::new(x), items)) }
fn call(name: &str, args: Vec<Expr>) -> Expr { ex(ExprKind::Call { name: name.into(), name_span: Span::new(3, 3 + name.len()), args }) }

/// The event every test reads.
fn event() -> Value {
    json!({"status": 503, "code": "500", "path": "/api/users", "ms": 12.5, "n": null, "ok": true,
           "tags": ["a", "b", 3], "req": {"path": "/x", "ua": "Curl/8"}, "big": 9007199254740993i64,
           "name": "  Ünïcode Name ", "ts": "2026-01-02T03:04:05Z", "re": "^/api", "bad": "(", "z": 0})
}

struct WithTime(Value);
impl Fields for WithTime {
    fn field(&self, path: &[String]) -> Option<Cow<'_, Value>> { self.0.field(path) }
    fn event_time(&self) -> Option<i64> { Some(1234) }
}

fn ev(e: Expr) -> Value { compile(&e).unwrap().eval(&event()) }
fn t(e: Expr) -> bool {
    let c = compile(&e).unwrap();
    let ev = event();
    // is_true must agree with truthy(eval).
    assert_eq!(c.is_true(&ev), value::truthy(&c.eval(&ev)));
    c.is_true(&ev)
}
fn err(e: Expr) -> LangError { compile(&e).unwrap_err() }

use BinaryOp::*;

// fields and literals
#[test] fn field_top() { assert_eq!(ev(fld("status")), json!(503)); }
#[test] fn field_nested() { assert_eq!(ev(fld("req.path")), json!("/x")); }
#[test] fn field_missing() { assert_eq!(ev(fld("nope")), json!(null)); }
#[test] fn field_through_scalar() { assert_eq!(ev(fld("status.x")), json!(null)); }
#[test] fn lit_int() { assert_eq!(ev(int(42)), json!(42)); }
#[test] fn lit_float() { assert_eq!(ev(flt(-1.5)), json!(-1.5)); }
#[test] fn lit_str() { assert_eq!(ev(s("x")), json!("x")); }
#[test] fn lit_bool() { assert_eq!(ev(b(true)), json!(true)); }
#[test] fn lit_null() { assert_eq!(ev(null()), json!(null)); }
#[test] fn lit_duration_ms() { assert_eq!(ev(dur(300_000)), json!(300_000)); }

// comparison
#[test] fn eq_num() { assert!(t(bin(Eq, fld("status"), int(503)))); }
#[test] fn eq_num_string() { assert!(t(bin(Eq, fld("code"), int(500)))); }
#[test] fn eq_float_int() { assert!(t(bin(Eq, flt(503.0), fld("status")))); }
#[test] fn eq_null_field_null() { assert!(t(bin(Eq, fld("n"), null()))); }
#[test] fn eq_missing_null() { assert!(t(bin(Eq, fld("nope"), null()))); }
#[test] fn eq_present_null() { assert!(!t(bin(Eq, fld("status"), null()))); }
#[test] fn eq_null_left() { assert!(t(bin(Eq, null(), fld("n")))); }
#[test] fn eq_two_nulls_runtime() { assert!(t(bin(Eq, fld("n"), fld("nope")))); }
#[test] fn eq_arrays() { assert!(t(bin(Eq, fld("tags"), fld("tags")))); }
#[test] fn eq_str_num_word() { assert!(!t(bin(Eq, fld("path"), int(5)))); }
#[test] fn ne_num() { assert!(t(bin(Ne, fld("status"), int(500)))); }
#[test] fn ne_null_is_false() { assert!(!t(bin(Ne, fld("n"), int(5)))); }
#[test] fn ne_missing_is_false() { assert!(!t(bin(Ne, fld("nope"), int(5)))); }
#[test] fn ne_present_null() { assert!(t(bin(Ne, fld("status"), null()))); }
#[test] fn ne_missing_null() { assert!(!t(bin(Ne, fld("nope"), null()))); }
#[test] fn ne_two_nulls_runtime() { assert!(!t(bin(Ne, fld("n"), fld("nope")))); }
#[test] fn ne_str_vs_num() { assert!(t(bin(Ne, fld("path"), int(5)))); }
#[test] fn ne_equal_strings() { assert!(!t(bin(Ne, fld("code"), s("500")))); }
#[test] fn lt() { assert!(t(bin(Lt, fld("ms"), int(13)))); }
#[test] fn lt_false() { assert!(!t(bin(Lt, fld("status"), int(503)))); }
#[test] fn le() { assert!(t(bin(Le, fld("status"), int(503)))); }
#[test] fn gt_string_num() { assert!(t(bin(Gt, fld("code"), int(499)))); }
#[test] fn ge() { assert!(t(bin(Ge, fld("status"), int(500)))); }
#[test] fn ge_big_int_exact() { assert!(!t(bin(Ge, flt(9007199254740992.0), fld("big")))); }
#[test] fn lt_strings() { assert!(t(bin(Lt, s("abc"), s("abd")))); }
#[test] fn lt_null_false() { assert!(!t(bin(Lt, fld("n"), int(5)))); }
#[test] fn ge_null_false() { assert!(!t(bin(Ge, fld("nope"), int(5)))); }
#[test] fn lt_null_literal_false() { assert!(!t(bin(Lt, fld("status"), null()))); }
#[test] fn lt_incomparable_false() { assert!(!t(bin(Lt, fld("path"), int(5)))); }
#[test] fn gt_incomparable_false() { assert!(!t(bin(Gt, fld("path"), int(5)))); }
#[test] fn lt_arrays_false() { assert!(!t(bin(Le, fld("tags"), fld("tags")))); }
#[test] fn lit_left_flipped() { assert!(t(bin(Lt, int(500), fld("status")))); }
#[test] fn lit_left_flipped_false() { assert!(!t(bin(Ge, int(500), fld("status")))); }
#[test] fn neg_lit_cmp() { assert!(t(bin(Gt, fld("z"), neg(int(1))))); }
#[test] fn duration_cmp() { assert!(t(bin(Lt, fld("status"), dur(1000)))); }
#[test] fn cmp_num_null_ne_false() { assert!(!t(bin(Ne, fld("n"), flt(1.5)))); }
#[test] fn cmp_num_array_ne_true() { assert!(t(bin(Ne, fld("tags"), int(1)))); }
#[test] fn cmp_result_is_bool() { assert_eq!(ev(bin(Gt, fld("status"), int(1))), json!(true)); }

// logic
#[test] fn and_true() { assert!(t(bin(And, fld("ok"), fld("status")))); }
#[test] fn and_null() { assert_eq!(ev(bin(And, fld("ok"), fld("n"))), json!(false)); }
#[test] fn and_zero_is_truthy() { assert_eq!(ev(bin(And, fld("z"), s(""))), json!(true)); }
#[test] fn and_short_circuit() { assert!(!t(bin(And, b(false), call("if", vec![b(true), b(true), b(true)])))); }
#[test] fn or_true() { assert_eq!(ev(bin(Or, fld("n"), fld("status"))), json!(true)); }
#[test] fn or_false() { assert_eq!(ev(bin(Or, fld("n"), b(false))), json!(false)); }
#[test] fn not_null() { assert_eq!(ev(not(fld("n"))), json!(true)); }
#[test] fn not_value() { assert_eq!(ev(not(fld("status"))), json!(false)); }

// membership and string operators
#[test] fn in_hit() { assert!(t(inn(fld("status"), vec![int(500), int(503)]))); }
#[test] fn in_miss() { assert!(!t(inn(fld("status"), vec![int(500), int(502)]))); }
#[test] fn in_numeric_string() { assert!(t(inn(fld("code"), vec![int(500)]))); }
#[test] fn in_null() { assert!(t(inn(fld("n"), vec![int(1), null()]))); }
#[test] fn in_empty() { assert!(!t(inn(fld("status"), vec![]))); }
#[test] fn contains_substring() { assert!(t(bin(Contains, fld("path"), s("users")))); }
#[test] fn contains_miss() { assert!(!t(bin(Contains, fld("path"), s("orders")))); }
#[test] fn contains_array_elem() { assert!(t(bin(Contains, fld("tags"), s("b")))); }
#[test] fn contains_array_number() { assert!(t(bin(Contains, fld("tags"), int(3)))); }
#[test] fn contains_array_miss() { assert!(!t(bin(Contains, fld("tags"), s("c")))); }
#[test] fn contains_number_text() { assert!(t(bin(Contains, fld("status"), int(50)))); }
#[test] fn contains_null() { assert!(!t(bin(Contains, fld("n"), s("")))); }
#[test] fn contains_object_false() { assert!(!t(bin(Contains, fld("req"), s("path")))); }
#[test] fn startswith() { assert!(t(bin(StartsWith, fld("path"), s("/api")))); }
#[test] fn startswith_miss() { assert!(!t(bin(StartsWith, fld("path"), s("api")))); }
#[test] fn startswith_null() { assert!(!t(bin(StartsWith, fld("nope"), s("")))); }
#[test] fn endswith() { assert!(t(bin(EndsWith, fld("path"), s("users")))); }
#[test] fn endswith_number() { assert!(t(bin(EndsWith, fld("status"), s("03")))); }

// regex
#[test] fn match_anywhere() { assert!(t(bin(Match, fld("path"), s("us.rs")))); }
#[test] fn match_anchored_miss() { assert!(!t(bin(Match, fld("path"), s("^users")))); }
#[test] fn match_number_text() { assert!(t(bin(Match, fld("status"), s("^5\\d\\d$")))); }
#[test] fn match_null_false() { assert!(!t(bin(Match, fld("n"), s("")))); }
#[test] fn notmatch() { assert!(t(bin(NotMatch, fld("path"), s("^/admin")))); }
#[test] fn notmatch_hit() { assert!(!t(bin(NotMatch, fld("path"), s("api")))); }
#[test] fn notmatch_null_false() { assert!(!t(bin(NotMatch, fld("nope"), s("x")))); }
#[test] fn notmatch_bool_false() { assert!(!t(bin(NotMatch, fld("ok"), s("x")))); }
#[test] fn match_dynamic() { assert!(t(bin(Match, fld("path"), fld("re")))); }
#[test] fn match_dynamic_invalid_false() { assert!(!t(bin(Match, fld("path"), fld("bad")))); }
#[test] fn notmatch_dynamic_invalid_false() { assert!(!t(bin(NotMatch, fld("path"), fld("bad")))); }
#[test] fn match_dynamic_null_pattern() { assert!(!t(bin(Match, fld("path"), fld("n")))); }
#[test] fn match_invalid_literal_error() { let mut e = bin(Match, fld("path"), s("(")); e.kind = match e.kind { ExprKind::Binary(o, l, mut r) => { r.span = Span::new(10, 13); ExprKind::Binary(o, l, r) } k => k }; let er = err(e); assert_eq!((er.span, er.message.starts_with("invalid regex")), (Span::new(10, 13), true)); }

// arithmetic
#[test] fn add() { assert_eq!(ev(bin(Add, fld("status"), int(1))), json!(504)); }
#[test] fn add_float() { assert_eq!(ev(bin(Add, fld("ms"), int(1))), json!(13.5)); }
#[test] fn add_null() { assert_eq!(ev(bin(Add, fld("n"), int(1))), json!(null)); }
#[test] fn add_string_null() { assert_eq!(ev(bin(Add, fld("code"), int(1))), json!(null)); }
#[test] fn sub() { assert_eq!(ev(bin(Sub, int(1), int(3))), json!(-2)); }
#[test] fn mul() { assert_eq!(ev(bin(Mul, fld("ms"), int(2))), json!(25.0)); }
#[test] fn div_float() { assert_eq!(ev(bin(Div, int(6), int(3))), json!(2.0)); }
#[test] fn div_zero() { assert_eq!(ev(bin(Div, int(6), fld("z"))), json!(null)); }
#[test] fn rem() { assert_eq!(ev(bin(Rem, fld("status"), int(100))), json!(3)); }
#[test] fn rem_zero() { assert_eq!(ev(bin(Rem, int(6), int(0))), json!(null)); }
#[test] fn neg_field() { assert_eq!(ev(neg(fld("ms"))), json!(-12.5)); }
#[test] fn neg_literal() { assert_eq!(ev(neg(int(5))), json!(-5)); }
#[test] fn neg_float_literal() { assert_eq!(ev(neg(flt(2.5))), json!(-2.5)); }
#[test] fn neg_string() { assert_eq!(ev(neg(fld("path"))), json!(null)); }
#[test] fn arith_truthy() { assert!(t(bin(Add, int(0), int(0)))); }
#[test] fn arith_null_falsy() { assert!(!t(bin(Add, fld("n"), int(0)))); }
#[test] fn duration_arith() { assert_eq!(ev(bin(Add, int(1000), dur(250))), json!(1250)); }

// string functions
#[test] fn lower() { assert_eq!(ev(call("lower", vec![fld("req.ua")])), json!("curl/8")); }
#[test] fn upper() { assert_eq!(ev(call("upper", vec![fld("req.ua")])), json!("CURL/8")); }
#[test] fn upper_unicode() { assert_eq!(ev(call("upper", vec![s("ü")])), json!("Ü")); }
#[test] fn lower_null() { assert_eq!(ev(call("lower", vec![fld("n")])), json!(null)); }
#[test] fn lower_number_text() { assert_eq!(ev(call("lower", vec![int(5)])), json!("5")); }
#[test] fn len_string_chars() { assert_eq!(ev(call("len", vec![s("Ünï")])), json!(3)); }
#[test] fn len_array() { assert_eq!(ev(call("len", vec![fld("tags")])), json!(3)); }
#[test] fn len_object() { assert_eq!(ev(call("len", vec![fld("req")])), json!(2)); }
#[test] fn len_number_null() { assert_eq!(ev(call("len", vec![int(5)])), json!(null)); }
#[test] fn len_null() { assert_eq!(ev(call("len", vec![fld("n")])), json!(null)); }
#[test] fn trim() { assert_eq!(ev(call("trim", vec![fld("name")])), json!("Ünïcode Name")); }
#[test] fn trim_array_null() { assert_eq!(ev(call("trim", vec![fld("tags")])), json!(null)); }
#[test] fn substr() { assert_eq!(ev(call("substr", vec![fld("name"), int(2), int(3)])), json!("Ünï")); }
#[test] fn substr_past_end() { assert_eq!(ev(call("substr", vec![s("abc"), int(1), int(10)])), json!("bc")); }
#[test] fn substr_start_past_end() { assert_eq!(ev(call("substr", vec![s("abc"), int(5), int(1)])), json!("")); }
#[test] fn substr_negative_start() { assert_eq!(ev(call("substr", vec![s("abc"), int(-1), int(2)])), json!("ab")); }
#[test] fn substr_negative_len() { assert_eq!(ev(call("substr", vec![s("abc"), int(0), int(-2)])), json!("")); }
#[test] fn substr_no_len() { assert_eq!(ev(call("substr", vec![s("abcdef"), int(4)])), json!("ef")); }
#[test] fn substr_number() { assert_eq!(ev(call("substr", vec![int(94105), int(0), int(3)])), json!("941")); }
#[test] fn substr_bad_start() { assert_eq!(ev(call("substr", vec![s("abc"), s("x"), int(1)])), json!(null)); }
#[test] fn substr_null() { assert_eq!(ev(call("substr", vec![fld("n"), int(0), int(1)])), json!(null)); }
#[test] fn split() { assert_eq!(ev(call("split", vec![fld("path"), s("/")])), json!(["", "api", "users"])); }
#[test] fn split_empty_sep() { assert_eq!(ev(call("split", vec![s("ab"), s("")])), json!(["a", "b"])); }
#[test] fn split_null() { assert_eq!(ev(call("split", vec![fld("n"), s("/")])), json!(null)); }
#[test] fn replace_all() { assert_eq!(ev(call("replace", vec![s("a1b22"), s("\\d+"), s("#")])), json!("a#b#")); }
#[test] fn replace_group() { assert_eq!(ev(call("replace", vec![s("k=v"), s("(\\w)=(\\w)"), s("$2=$1")])), json!("v=k")); }
#[test] fn replace_named() { assert_eq!(ev(call("replace", vec![s("id 42"), s("(?P<n>\\d+)"), s("<${n}>")])), json!("id <42>")); }
#[test] fn replace_dynamic() { assert_eq!(ev(call("replace", vec![fld("path"), fld("re"), s("")])), json!("/users")); }
#[test] fn replace_dynamic_invalid() { assert_eq!(ev(call("replace", vec![fld("path"), fld("bad"), s("")])), json!(null)); }
#[test] fn replace_null() { assert_eq!(ev(call("replace", vec![fld("n"), s("a"), s("b")])), json!(null)); }
#[test] fn replace_invalid_literal() { assert!(err(call("replace", vec![s("a"), s("["), s("b")])).message.starts_with("invalid regex")); }

// number functions
#[test] fn abs_int() { assert_eq!(ev(call("abs", vec![int(-3)])), json!(3)); }
#[test] fn abs_float() { assert_eq!(ev(call("abs", vec![flt(-2.5)])), json!(2.5)); }
#[test] fn abs_min() { assert_eq!(ev(call("abs", vec![int(i64::MIN)])), json!(9223372036854775808u64)); }
#[test] fn abs_string() { assert_eq!(ev(call("abs", vec![s("-3")])), json!(null)); }
#[test] fn round_half_up() { assert_eq!(ev(call("round", vec![flt(2.5)])), json!(3)); }
#[test] fn round_negative() { assert_eq!(ev(call("round", vec![flt(-2.5)])), json!(-3)); }
#[test] fn round_int() { assert_eq!(ev(call("round", vec![int(7)])), json!(7)); }
#[test] fn round_digits() { assert_eq!(ev(call("round", vec![flt(1.23456), int(2)])), json!(1.23)); }
#[test] fn round_digits_int() { assert_eq!(ev(call("round", vec![int(7), int(1)])), json!(7.0)); }
#[test] fn round_digits_negative() { assert_eq!(ev(call("round", vec![int(1234), int(-2)])), json!(1200.0)); }
#[test] fn round_huge() { assert_eq!(ev(call("round", vec![flt(1e30)])), json!(1e30)); }
#[test] fn round_null() { assert_eq!(ev(call("round", vec![fld("n")])), json!(null)); }
#[test] fn round_bad_digits() { assert_eq!(ev(call("round", vec![flt(1.5), s("x")])), json!(null)); }
#[test] fn floor() { assert_eq!(ev(call("floor", vec![flt(-1.5)])), json!(-2)); }
#[test] fn ceil() { assert_eq!(ev(call("ceil", vec![flt(1.2)])), json!(2)); }
#[test] fn ceil_int() { assert_eq!(ev(call("ceil", vec![int(4)])), json!(4)); }
#[test] fn floor_string() { assert_eq!(ev(call("floor", vec![s("1.5")])), json!(null)); }
#[test] fn int_string() { assert_eq!(ev(call("int", vec![s("42")])), json!(42)); }
#[test] fn int_float() { assert_eq!(ev(call("int", vec![flt(3.9)])), json!(3)); }
#[test] fn int_neg_float() { assert_eq!(ev(call("int", vec![flt(-3.9)])), json!(-3)); }
#[test] fn int_float_string() { assert_eq!(ev(call("int", vec![s(" 3.9 ")])), json!(3)); }
#[test] fn int_word() { assert_eq!(ev(call("int", vec![s("abc")])), json!(null)); }
#[test] fn int_nan_string() { assert_eq!(ev(call("int", vec![s("NaN")])), json!(null)); }
#[test] fn int_huge() { assert_eq!(ev(call("int", vec![flt(1e30)])), json!(null)); }
#[test] fn int_bool() { assert_eq!(ev(call("int", vec![b(true)])), json!(null)); }
#[test] fn float_int() { assert_eq!(ev(call("float", vec![int(2)])), json!(2.0)); }
#[test] fn float_string() { assert_eq!(ev(call("float", vec![fld("code")])), json!(500.0)); }
#[test] fn float_inf_string() { assert_eq!(ev(call("float", vec![s("inf")])), json!(null)); }
#[test] fn float_word() { assert_eq!(ev(call("float", vec![s("x")])), json!(null)); }
#[test] fn str_string() { assert_eq!(ev(call("str", vec![fld("path")])), json!("/api/users")); }
#[test] fn str_int() { assert_eq!(ev(call("str", vec![fld("status")])), json!("503")); }
#[test] fn str_float() { assert_eq!(ev(call("str", vec![flt(2.0)])), json!("2.0")); }
#[test] fn str_bool() { assert_eq!(ev(call("str", vec![fld("ok")])), json!("true")); }
#[test] fn str_array() { assert_eq!(ev(call("str", vec![fld("tags")])), json!("[\"a\",\"b\",3]")); }
#[test] fn str_object() { assert_eq!(ev(call("str", vec![fld("req")])), json!("{\"path\":\"/x\",\"ua\":\"Curl/8\"}")); }
#[test] fn str_null() { assert_eq!(ev(call("str", vec![fld("n")])), json!(null)); }

// presence and choice
#[test] fn exists_present() { assert!(t(call("exists", vec![fld("status")]))); }
#[test] fn exists_null_present() { assert!(t(call("exists", vec![fld("n")]))); }
#[test] fn exists_nested() { assert!(t(call("exists", vec![fld("req.ua")]))); }
#[test] fn exists_missing() { assert_eq!(ev(call("exists", vec![fld("nope")])), json!(false)); }
#[test] fn exists_not_field() { assert!(err(call("exists", vec![int(1)])).message.contains("field")); }
#[test] fn coalesce_first() { assert_eq!(ev(call("coalesce", vec![fld("n"), fld("nope"), fld("status"), int(1)])), json!(503)); }
#[test] fn concat_skips_null() { assert_eq!(ev(call("concat", vec![fld("req.ua"), fld("nope"), s("-"), fld("status")])), json!("Curl/8-503")); }
#[test] fn coalesce_all_null() { assert_eq!(ev(call("coalesce", vec![fld("n")])), json!(null)); }
#[test] fn coalesce_false_kept() { assert_eq!(ev(call("coalesce", vec![b(false), int(1)])), json!(false)); }
#[test] fn if_true() { assert_eq!(ev(call("if", vec![fld("ok"), s("y"), s("n")])), json!("y")); }
#[test] fn if_null() { assert_eq!(ev(call("if", vec![fld("n"), s("y"), s("n")])), json!("n")); }
#[test] fn if_zero_truthy() { assert_eq!(ev(call("if", vec![fld("z"), s("y"), s("n")])), json!("y")); }

// time
#[test] fn now_is_recent() { assert!(ev(call("now", vec![])).as_i64().unwrap() > 1_700_000_000_000); }
#[test] fn time_iso() { assert_eq!(ev(call("time", vec![fld("ts")])), json!(1_767_323_045_000i64)); }
#[test] fn time_seconds() { assert_eq!(ev(call("time", vec![int(1_767_323_045)])), json!(1_767_323_045_000i64)); }
#[test] fn time_bad() { assert_eq!(ev(call("time", vec![fld("path")])), json!(null)); }
#[test] fn time_null() { assert_eq!(ev(call("time", vec![fld("n")])), json!(null)); }
#[test] fn time_event() { assert_eq!(compile(&call("time", vec![])).unwrap().eval(&WithTime(event())), json!(1234)); }
#[test] fn time_event_unknown() { assert_eq!(ev(call("time", vec![])), json!(null)); }
#[test] fn bucket_minute() { assert_eq!(ev(call("bucket", vec![int(1_767_323_045_123), dur(60_000)])), json!(1_767_323_040_000i64)); }
#[test] fn bucket_negative_time() { assert_eq!(ev(call("bucket", vec![int(-1), dur(1000)])), json!(-1000)); }
#[test] fn bucket_string_time() { assert_eq!(ev(call("bucket", vec![fld("ts"), dur(3_600_000)])), json!(1_767_322_800_000i64)); }
#[test] fn bucket_of_time() { assert_eq!(ev(call("bucket", vec![call("time", vec![fld("ts")]), dur(60_000)])), json!(1_767_323_040_000i64)); }
#[test] fn bucket_overflow_null() { assert_eq!(ev(call("bucket", vec![int(i64::MIN + 1), int(3)])), json!(null)); }
#[test] fn bucket_zero() { assert_eq!(ev(call("bucket", vec![int(5), int(0)])), json!(null)); }
#[test] fn bucket_null() { assert_eq!(ev(call("bucket", vec![fld("n"), dur(1000)])), json!(null)); }

// compile errors
#[test] fn unknown_function() { let e = err(call("lowr", vec![s("a")])); assert_eq!((e.message.as_str(), e.help.as_deref(), e.span), ("unknown function `lowr`", Some("did you mean `lower`?"), Span::new(3, 7))); }
#[test] fn unknown_function_no_help() { assert_eq!(err(call("frobnicate", vec![])).help, None); }
#[test] fn arity_too_few() { let e = err(call("substr", vec![s("a")])); assert_eq!((e.message.as_str(), e.span), ("`substr` takes 2 to 3 arguments, got 1", Span::new(3, 9))); }
#[test] fn arity_too_many() { assert_eq!(err(call("lower", vec![s("a"), s("b")])).message, "`lower` takes 1 argument, got 2"); }
#[test] fn arity_now() { assert_eq!(err(call("now", vec![int(1)])).message, "`now` takes 0 arguments, got 1"); }
#[test] fn arity_coalesce() { assert_eq!(err(call("coalesce", vec![])).message, "`coalesce` takes at least 1 argument, got 0"); }
#[test] fn error_in_nested_arg() { assert!(err(call("lower", vec![call("nope", vec![])])).message.contains("nope")); }

// fields_read
#[test] fn fields_read_all() { let mut v = vec![]; fields_read(&bin(And, bin(Gt, fld("status"), int(1)), inn(fld("req.path"), vec![fld("status"), call("exists", vec![fld("n")])])), &mut v); assert_eq!(v, vec![vec!["status".to_string()], vec!["req".into(), "path".into()], vec!["n".into()]]); }

#[test] fn function_names_listed() { assert_eq!(function_names().count(), 21); }
#[test] fn compiled_is_send_sync_clone() { fn f<T: Send + Sync + Clone>() {} f::<Compiled>(); }
#[test] fn eval_cow_borrows() { let c = compile(&fld("path")).unwrap(); let e = event(); assert!(matches!(c.eval_cow(&e), Cow::Borrowed(_))); }

mod props {
    use super::*;
    use proptest::prelude::*;

    fn leaf() -> impl Strategy<Value = Expr> {
        prop_oneof![
            prop::sample::select(vec!["status", "code", "path", "ms", "n", "ok", "tags", "req", "nope", "big", "z"]).prop_map(fld),
            any::<i64>().prop_map(int),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(flt),
            "[a-z0-9/(]{0,3}".prop_map(|x| s(&x)),
            Just(null()),
            any::<bool>().prop_map(b),
        ]
    }

    fn expr() -> impl Strategy<Value = Expr> {
        let ops = vec![Or, And, Eq, Ne, Lt, Le, Gt, Ge, Contains, StartsWith, EndsWith, Add, Sub, Mul, Div, Rem];
        let fns = vec!["lower", "upper", "len", "trim", "abs", "round", "floor", "ceil", "int", "float", "str", "time", "coalesce"];
        leaf().prop_recursive(4, 32, 3, move |inner| {
            prop_oneof![
                (prop::sample::select(ops.clone()), inner.clone(), inner.clone()).prop_map(|(o, l, r)| bin(o, l, r)),
                inner.clone().prop_map(not),
                inner.clone().prop_map(neg),
                (prop::sample::select(fns.clone()), inner.clone()).prop_map(|(f, a)| call(f, vec![a])),
                (inner.clone(), inner.clone(), inner.clone()).prop_map(|(a, b2, c)| call("substr", vec![a, b2, c])),
                (inner.clone(), inner.clone()).prop_map(|(a, b2)| call("bucket", vec![a, b2])),
                (inner.clone(), inner.clone()).prop_map(|(a, b2)| call("round", vec![a, b2])),
                (inner.clone(), inner.clone()).prop_map(|(a, b2)| call("split", vec![a, b2])),
                (inner.clone(), inner.clone(), inner.clone()).prop_map(|(a, b2, c)| call("replace", vec![a, b2, c])),
                (inner.clone(), inner.clone(), inner.clone()).prop_map(|(a, b2, c)| call("if", vec![a, b2, c])),
                (inner.clone(), inner.clone(), any::<bool>()).prop_map(|(a, b2, m)| bin(if m { Match } else { NotMatch }, a, b2)),
                (inner.clone(), prop::collection::vec(inner, 0..3)).prop_map(|(a, items)| inn(a, items)),
            ]
        })
    }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e20f64..1e20).prop_map(value::number_from_f64),
            any::<i32>().prop_map(|i| Value::from(i.to_string())),
            "[a-z0-9.]{0,3}".prop_map(Value::from),
            Just(json!([1])),
        ]
    }

    fn num() -> impl Strategy<Value = Num> {
        prop_oneof![
            any::<i64>().prop_map(|i| Num::Int(i as i128)),
            any::<u64>().prop_map(|i| Num::Int(i as i128)),
            (-1e20f64..1e20).prop_map(Num::Float),
            (-3i32..3).prop_map(|i| Num::Int(i as i128)),
        ]
    }

    proptest! {
        /// The number-literal fast path gives what the general rule gives.
        #[test]
        fn cmp_num_fast_path_agrees(a in scalar(), n in num()) {
            for c in [Cmp::Eq, Cmp::Ne, Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge] {
                prop_assert_eq!(cmp_with_num(c, &a, n), cmp(c, &a, &n.into_value()), "{:?} {:?} {:?}", c, a, n);
                prop_assert_eq!(cmp_with_num(c.flip(), &a, n), cmp(c, &n.into_value(), &a), "flip {:?} {:?} {:?}", c, a, n);
            }
        }

        /// Any well-formed expression evaluates without panicking, and
        /// `is_true` agrees with `truthy(eval)`.
        #[test]
        fn eval_is_total(e in expr()) {
            // Only a literal invalid regex (`"("`) fails to compile.
            let c = match compile(&e) {
                Ok(c) => c,
                Err(err) => { prop_assert!(err.message.starts_with("invalid regex")); return Ok(()); }
            };
            let ev = event();
            prop_assert_eq!(c.is_true(&ev), value::truthy(&c.eval(&ev)));
        }
    }
}

/// `field <cmp> number` on an input line reads integers off the raw bytes:
/// it must agree with the decoded comparison for every kind of raw value.
#[test]
fn raw_number_comparisons_agree_with_decoded_ones() {
    use crate::event::{Event, Pos};
    use crate::input::json_index::index_object;
    let raws = ["500", "499", "-3", "0", "-0", "0.0", "500.0", "5e2", "1e400x", "\"500\"", "\" 501 \"",
                "null", "true", "[500]", "{\"a\":1}", "999999999999999999", "-999999999999999999",
                "1000000000000000000", "9223372036854775808", "123456789012345678901234567890"];
    let ops = [BinaryOp::Eq, BinaryOp::Ne, BinaryOp::Lt, BinaryOp::Le, BinaryOp::Gt, BinaryOp::Ge];
    for raw in raws {
        let line = format!("{{\"x\":1,\"status\":{raw},\"y\":2}}");
        let mut idx = Vec::new();
        if index_object(line.as_bytes(), &mut idx).is_err() {
            continue;
        }
        let event = Event::from_json_line(line.as_bytes(), &idx, Pos::default());
        let decoded: Value = serde_json::from_str(&line).unwrap();
        for op in ops {
            for n in [int(500), int(-3), int(0), flt(499.5), int(999_999_999_999_999_999)] {
                let c = compile(&bin(op, fld("status"), n.clone())).unwrap();
                assert_eq!(c.is_true(&event), c.is_true(&decoded), "{raw} {op:?} {n:?}");
            }
        }
    }
}
