//! Compiled expressions: evaluated against anything that can look up fields.
//!
//! `compile` checks an AST expression once (function names and arity, literal
//! regexes) and turns it into a small tree that `eval`/`is_true` walk per event.
//! Evaluation borrows: fields come back as `Cow` from [`Fields`], literals are
//! stored once in the tree, and comparisons never build a new `Value`, so
//! `where status >= 500` allocates nothing. Evaluation never fails and never
//! panics: wrong types give `null` (or `false` in a condition), per DESIGN §3.
//! This module knows nothing about events, formats or stages.

mod functions;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::cmp::Ordering;

use regex::Regex;

use crate::lang::ast::{BinaryOp, Expr, ExprKind, Literal, UnaryOp};
use crate::lang::LangError;
use crate::value::{self, ArithOp, Num, Value};
use functions::Func;

/// Where an expression reads its inputs from: usually an event.
pub trait Fields {
    /// Value of a (possibly nested) field; missing -> None.
    fn field(&self, path: &[String]) -> Option<Cow<'_, Value>>;
    /// The event's time in epoch milliseconds, when known.
    fn event_time(&self) -> Option<i64>;
    /// The raw JSON text of a top-level field of an input line, when the
    /// event still has it: hot paths compare numbers straight off it.
    fn raw_json(&self, _name: &str) -> Option<&[u8]> {
        None
    }
}

/// A JSON value as fields: nested lookups through objects; no event time.
/// Handy for lookup rows, aggregation output and tests.
impl Fields for Value {
    fn field(&self, path: &[String]) -> Option<Cow<'_, Value>> {
        let nested = path.iter().try_fold(self, |v, p| v.as_object()?.get(p));
        match nested {
            Some(v) => Some(Cow::Borrowed(v)),
            // A top-level key written with the dots, as `Event::get_path`.
            None if path.len() > 1 => crate::event::with_dotted(path, |name| {
                self.as_object()?.get(name).map(Cow::Borrowed)
            }),
            None => None,
        }
    }

    fn event_time(&self) -> Option<i64> {
        None
    }
}

static NULL: Value = Value::Null;

/// A checked, ready-to-run expression. Cheap to clone; shareable across threads.
#[derive(Debug, Clone)]
pub struct Compiled {
    root: Node,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    /// The same test with the operands swapped (`5 < x` is `x > 5`).
    fn flip(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            c => c,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StrOp {
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone)]
enum Node {
    Field(Box<[String]>),
    Lit(Value),
    Not(Box<Node>),
    Neg(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cmp(Cmp, Box<Node>, Box<Node>),
    /// A comparison with a number literal (`status >= 500`), the hot case:
    /// the literal is decoded once.
    CmpNum(Cmp, Box<Node>, Num),
    /// `e == null` (false) / `e != null` (true) written with a literal null.
    IsNull(Box<Node>, bool),
    /// `=~` / `!~` (true) with a pattern known at compile time.
    Match(Box<Node>, Box<Regex>, bool),
    /// `=~` / `!~` (true) with a pattern computed per event.
    MatchDyn(Box<Node>, Box<Node>, bool),
    Str(StrOp, Box<Node>, Box<Node>),
    Arith(ArithOp, Box<Node>, Box<Node>),
    In(Box<Node>, Vec<Node>),
    Exists(Box<[String]>),
    /// `replace(s, "literal regex", with)`.
    ReplaceLit(Box<Node>, Box<Regex>, Box<Node>),
    Call(Func, Vec<Node>),
}

/// Check an expression and prepare it for evaluation. Errors: unknown function
/// (with a did-you-mean), wrong number of arguments, `exists` of a non-field,
/// invalid literal regex — each at the span that is wrong.
pub fn compile(e: &Expr) -> Result<Compiled, LangError> {
    Ok(Compiled { root: build(e)? })
}

fn build(e: &Expr) -> Result<Node, LangError> {
    Ok(match &e.kind {
        ExprKind::Field(p) => Node::Field(p.parts.clone().into_boxed_slice()),
        ExprKind::Literal(l) => Node::Lit(literal(l)),
        ExprKind::Unary(UnaryOp::Not, x) => Node::Not(Box::new(build(x)?)),
        ExprKind::Unary(UnaryOp::Neg, x) => match &x.kind {
            // Fold `-5` so literal numbers cost nothing per event.
            ExprKind::Literal(Literal::Int(i)) => Node::Lit(value::negate(&Value::from(*i))),
            ExprKind::Literal(Literal::Float(f)) => Node::Lit(value::number_from_f64(-f)),
            _ => Node::Neg(Box::new(build(x)?)),
        },
        ExprKind::Binary(op, l, r) => binary(*op, l, r)?,
        ExprKind::In(x, items) => Node::In(
            Box::new(build(x)?),
            items.iter().map(build).collect::<Result<_, _>>()?,
        ),
        ExprKind::Call {
            name,
            name_span,
            args,
        } => functions::build_call(name, *name_span, args)?,
    })
}

fn literal(l: &Literal) -> Value {
    match l {
        Literal::Null => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Int(i) => Value::from(*i),
        Literal::Float(f) => value::number_from_f64(*f),
        Literal::Str(s) => Value::String(s.clone()),
        Literal::Duration(ms) => Value::from(*ms),
    }
}

/// The number of a number or duration literal (after folding `-`).
fn num_lit(e: &Expr) -> Option<Num> {
    match &e.kind {
        ExprKind::Literal(Literal::Int(i)) | ExprKind::Literal(Literal::Duration(i)) => {
            Some(Num::Int(*i as i128))
        }
        ExprKind::Literal(Literal::Float(f)) if f.is_finite() => Some(Num::Float(*f)),
        ExprKind::Unary(UnaryOp::Neg, x) => match num_lit(x)? {
            Num::Int(i) => Some(Num::Int(-i)),
            Num::Float(f) => Some(Num::Float(-f)),
        },
        _ => None,
    }
}

fn is_null_lit(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Literal(Literal::Null))
}

/// A regex from a string literal, or the error at the literal's span.
fn literal_regex(e: &Expr) -> Result<Option<Regex>, LangError> {
    let ExprKind::Literal(Literal::Str(s)) = &e.kind else {
        return Ok(None);
    };
    match Regex::new(s) {
        Ok(re) => Ok(Some(re)),
        Err(err) => {
            // The crate's message repeats the pattern with its own caret; keep the reason.
            let text = err.to_string();
            let reason = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            let reason = reason.trim().trim_start_matches("error: ");
            Err(LangError::new(format!("invalid regex: {reason}"), e.span))
        }
    }
}

fn binary(op: BinaryOp, l: &Expr, r: &Expr) -> Result<Node, LangError> {
    let bx = |e: &Expr| build(e).map(Box::new);
    let cmp = |c: Cmp| -> Result<Node, LangError> {
        // `x == null` / `x != null` test presence; a null at run time makes
        // every other comparison false (see `Cmp` evaluation).
        if matches!(c, Cmp::Eq | Cmp::Ne) {
            if is_null_lit(r) {
                return Ok(Node::IsNull(bx(l)?, c == Cmp::Ne));
            }
            if is_null_lit(l) {
                return Ok(Node::IsNull(bx(r)?, c == Cmp::Ne));
            }
        }
        if let Some(n) = num_lit(r) {
            return Ok(Node::CmpNum(c, bx(l)?, n));
        }
        if let Some(n) = num_lit(l) {
            return Ok(Node::CmpNum(c.flip(), bx(r)?, n));
        }
        Ok(Node::Cmp(c, bx(l)?, bx(r)?))
    };
    let arith = |a: ArithOp| -> Result<Node, LangError> { Ok(Node::Arith(a, bx(l)?, bx(r)?)) };
    Ok(match op {
        BinaryOp::Or => Node::Or(bx(l)?, bx(r)?),
        BinaryOp::And => Node::And(bx(l)?, bx(r)?),
        BinaryOp::Eq => cmp(Cmp::Eq)?,
        BinaryOp::Ne => cmp(Cmp::Ne)?,
        BinaryOp::Lt => cmp(Cmp::Lt)?,
        BinaryOp::Le => cmp(Cmp::Le)?,
        BinaryOp::Gt => cmp(Cmp::Gt)?,
        BinaryOp::Ge => cmp(Cmp::Ge)?,
        BinaryOp::Match | BinaryOp::NotMatch => {
            let neg = op == BinaryOp::NotMatch;
            match literal_regex(r)? {
                Some(re) => Node::Match(bx(l)?, Box::new(re), neg),
                None => Node::MatchDyn(bx(l)?, bx(r)?, neg),
            }
        }
        BinaryOp::Contains => Node::Str(StrOp::Contains, bx(l)?, bx(r)?),
        BinaryOp::StartsWith => Node::Str(StrOp::StartsWith, bx(l)?, bx(r)?),
        BinaryOp::EndsWith => Node::Str(StrOp::EndsWith, bx(l)?, bx(r)?),
        BinaryOp::Add => arith(ArithOp::Add)?,
        BinaryOp::Sub => arith(ArithOp::Sub)?,
        BinaryOp::Mul => arith(ArithOp::Mul)?,
        BinaryOp::Div => arith(ArithOp::Div)?,
        BinaryOp::Rem => arith(ArithOp::Rem)?,
    })
}

/// The text of a value for string operators and functions: strings as they
/// are, numbers in JSON form; anything else has no text.
pub(crate) fn text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

fn bool_val<'a>(b: bool) -> Cow<'a, Value> {
    Cow::Owned(Value::Bool(b))
}

impl Compiled {
    /// The expression's value for one event.
    pub fn eval(&self, f: &dyn Fields) -> Value {
        self.root.ev(f).into_owned()
    }

    /// `truthy(eval(f))`, without building values for conditions.
    pub fn is_true(&self, f: &dyn Fields) -> bool {
        self.root.test(f)
    }

    /// The field path when the expression is just a field (`select a`).
    pub fn as_field(&self) -> Option<&[String]> {
        match &self.root {
            Node::Field(p) => Some(p),
            _ => None,
        }
    }

    /// The value, borrowed from the event or the expression when possible.
    pub fn eval_cow<'a>(&'a self, f: &'a dyn Fields) -> Cow<'a, Value> {
        self.root.ev(f)
    }
}

impl Node {
    fn ev<'a>(&'a self, f: &'a dyn Fields) -> Cow<'a, Value> {
        match self {
            Node::Field(p) => f.field(p).unwrap_or(Cow::Borrowed(&NULL)),
            Node::Lit(v) => Cow::Borrowed(v),
            Node::Neg(x) => Cow::Owned(value::negate(&x.ev(f))),
            Node::Arith(op, l, r) => Cow::Owned(value::arith(*op, &l.ev(f), &r.ev(f))),
            Node::Exists(p) => bool_val(f.field(p).is_some()),
            Node::ReplaceLit(s, re, with) => {
                Cow::Owned(functions::replace(&s.ev(f), re, &with.ev(f)))
            }
            Node::Call(func, args) => functions::call(*func, args, f),
            Node::Not(_)
            | Node::And(..)
            | Node::Or(..)
            | Node::Cmp(..)
            | Node::CmpNum(..)
            | Node::IsNull(..)
            | Node::Match(..)
            | Node::MatchDyn(..)
            | Node::Str(..)
            | Node::In(..) => bool_val(self.test(f)),
        }
    }

    fn test(&self, f: &dyn Fields) -> bool {
        match self {
            Node::Not(x) => !x.test(f),
            Node::And(l, r) => l.test(f) && r.test(f),
            Node::Or(l, r) => l.test(f) || r.test(f),
            Node::Cmp(c, l, r) => {
                let (a, b) = (l.ev(f), r.ev(f));
                cmp(*c, &a, &b)
            }
            Node::CmpNum(c, l, n) => {
                // `status >= 500` on an input line: an integer read off the raw
                // bytes compares as its decoded value would.
                if let Node::Field(p) = l.as_ref() {
                    if let [name] = &p[..] {
                        let raw = f.raw_json(name);
                        if let Some(i) = raw.and_then(crate::value::raw_small_int) {
                            return ordering_holds(*c, value::cmp_num(Num::Int(i.into()), *n));
                        }
                    }
                }
                cmp_with_num(*c, &l.ev(f), *n)
            }
            Node::IsNull(x, negate) => x.ev(f).is_null() != *negate,
            Node::Match(x, re, negate) => match text(&x.ev(f)) {
                Some(t) => re.is_match(&t) != *negate,
                None => false,
            },
            Node::MatchDyn(x, pat, negate) => {
                let v = x.ev(f);
                let p = pat.ev(f);
                match (text(&v), text(&p)) {
                    (Some(t), Some(p)) => {
                        functions::with_regex(&p, |re| re.is_match(&t) != *negate).unwrap_or(false)
                    }
                    _ => false,
                }
            }
            Node::Str(op, l, r) => str_op(*op, &l.ev(f), &r.ev(f)),
            Node::In(x, items) => {
                let v = x.ev(f);
                items.iter().any(|i| value::equals(&v, &i.ev(f)))
            }
            Node::Exists(p) => f.field(p).is_some(),
            _ => value::truthy(&self.ev(f)),
        }
    }
}

/// The comparison rules of DESIGN §3 on two values at run time.
fn cmp(c: Cmp, a: &Value, b: &Value) -> bool {
    match c {
        Cmp::Eq => value::equals(a, b),
        // As in SQL: a null on either side makes `!=` false.
        Cmp::Ne => !a.is_null() && !b.is_null() && !value::equals(a, b),
        Cmp::Lt => value::compare(a, b) == Some(Ordering::Less),
        Cmp::Le => matches!(value::compare(a, b), Some(Ordering::Less | Ordering::Equal)),
        Cmp::Gt => value::compare(a, b) == Some(Ordering::Greater),
        Cmp::Ge => matches!(
            value::compare(a, b),
            Some(Ordering::Greater | Ordering::Equal)
        ),
    }
}

/// [`cmp`] with a number on the right, without building a value for it.
fn cmp_with_num(c: Cmp, a: &Value, n: Num) -> bool {
    let ord = match a {
        Value::Number(x) => value::cmp_num(Num::of(x), n),
        Value::String(s) => value::parse_json_number(s.trim()).and_then(|m| value::cmp_num(m, n)),
        // Null: every comparison false, `!=` included (as in `cmp`).
        Value::Null => return false,
        _ => None,
    };
    ordering_holds(c, ord)
}

/// Whether `c` holds for an ordering (`None`: not comparable).
fn ordering_holds(c: Cmp, ord: Option<Ordering>) -> bool {
    match c {
        Cmp::Eq => ord == Some(Ordering::Equal),
        Cmp::Ne => ord != Some(Ordering::Equal),
        Cmp::Lt => ord == Some(Ordering::Less),
        Cmp::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        Cmp::Gt => ord == Some(Ordering::Greater),
        Cmp::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
    }
}

fn str_op(op: StrOp, a: &Value, b: &Value) -> bool {
    if let (StrOp::Contains, Value::Array(items)) = (op, a) {
        return items.iter().any(|i| value::equals(i, b));
    }
    let (Some(a), Some(b)) = (text(a), text(b)) else {
        return false;
    };
    match op {
        StrOp::Contains => a.contains(&*b),
        StrOp::StartsWith => a.starts_with(&*b),
        StrOp::EndsWith => a.ends_with(&*b),
    }
}

/// The names of every expression function, for help texts and did-you-mean.
pub fn function_names() -> impl Iterator<Item = &'static str> {
    functions::names()
}

/// Every field path an expression reads (for --explain and lazy decoding),
/// each once, in order of first appearance.
pub fn fields_read(e: &Expr, out: &mut Vec<Vec<String>>) {
    match &e.kind {
        ExprKind::Field(p) => {
            if !out.contains(&p.parts) {
                out.push(p.parts.clone());
            }
        }
        ExprKind::Literal(_) => {}
        ExprKind::Unary(_, x) => fields_read(x, out),
        ExprKind::Binary(_, l, r) => {
            fields_read(l, out);
            fields_read(r, out);
        }
        ExprKind::In(x, items) => {
            fields_read(x, out);
            for i in items {
                fields_read(i, out);
            }
        }
        ExprKind::Call { args, .. } => {
            for a in args {
                fields_read(a, out);
            }
        }
    }
}
