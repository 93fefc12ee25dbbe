//! Canonical pipeline text from an AST, for `--explain` and for round-trip
//! tests: `parse(&print(p))` gives `p` back (spans aside).
//!
//! Canonical means: one space around operators and after commas, the fewest
//! parentheses that keep the tree, aggregate arguments always in
//! parentheses (never the `avg x` sugar), `as name` only when the name is
//! not the default, `emit on close` and other defaults left out, durations
//! in compound form (`1m30s`), strings in double quotes.
//!
//! A few trees cannot come out of the parser and so do not survive the trip:
//! `Float` NaN or infinity; an `Aggregation` with `stats_form: false` and
//! more than one aggregate (printed as `stats`); `count` with an argument
//! (the argument is dropped); values the parser refuses (a percentile
//! outside 0..=100, an alpha outside (0, 1], a zero window, emit, `over` or
//! `within` duration, a `regex` without a named group); trees nested deeper
//! than the parser allows.

use std::fmt::{self, Write};

use crate::timefmt::Millis;

use crate::lang::{ast::*, lexer::is_plain_ident, parser::default_agg_name, parser::RESERVED};

/// The canonical text of a pipeline.
pub fn print(p: &Pipeline) -> String {
    p.to_string()
}

/// The canonical text of one expression.
pub fn print_expr(e: &Expr) -> String {
    let mut out = String::new();
    expr(&mut out, e, 0);
    out
}

impl fmt::Display for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.stages.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        stage(&mut out, &self.kind);
        f.write_str(&out)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&print_expr(self))
    }
}

/// A duration in compound form: `1m30s`, `250ms`, `0ms`, `-5m`.
pub fn duration(ms: Millis) -> String {
    let mut out = String::new();
    if ms < 0 {
        out.push('-');
    }
    let mut rest = ms.unsigned_abs();
    if rest == 0 {
        return "0ms".into();
    }
    for (unit, size) in [
        ("d", 86_400_000u64),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if rest >= size {
            let _ = write!(out, "{}{unit}", rest / size);
            rest %= size;
        }
    }
    out
}

/// A double-quoted string. A backslash is doubled only where it would
/// otherwise be read as an escape, so regexes print as written: `"\d+"`.
pub fn quoted(s: &str, quote: char) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == quote {
            out.push('\\');
            out.push(c);
        } else if c == '\\' {
            let next = chars.peek();
            if next.is_none() || next == Some(&quote) || next == Some(&'\\') {
                out.push_str("\\\\");
            } else {
                out.push('\\');
            }
        } else {
            out.push(c);
        }
    }
    out.push(quote);
    out
}

/// A name as written after `as`: bare when it lexes as one word, else in backticks.
pub fn name(s: &str) -> String {
    if is_plain_ident(s) && !RESERVED.contains(&s) {
        s.to_string()
    } else {
        quoted(s, '`')
    }
}

/// A field path: `req.path`, `` `user-agent` ``, `@timestamp`.
pub fn field(p: &FieldPath) -> String {
    p.parts
        .iter()
        .map(|part| name(part))
        .collect::<Vec<_>>()
        .join(".")
}

fn list<T>(out: &mut String, items: &[T], mut each: impl FnMut(&mut String, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        each(out, item);
    }
}

fn stage(out: &mut String, kind: &StageKind) {
    match kind {
        StageKind::Where(e) => {
            out.push_str("where ");
            expr(out, e, 0);
        }
        StageKind::Select(items) => {
            out.push_str("select ");
            list(out, items, |out, item| match &item.expr.kind {
                ExprKind::Field(p) if p.parts == item.name.parts => out.push_str(&field(p)),
                _ => {
                    expr(out, &item.expr, 0);
                    out.push_str(" as ");
                    out.push_str(&field(&item.name));
                }
            });
        }
        StageKind::Eval(items) => {
            out.push_str("eval ");
            list(out, items, |out, a| {
                out.push_str(&field(&a.name));
                out.push_str(" = ");
                expr(out, &a.expr, 0);
            });
        }
        StageKind::Drop(fields) => {
            out.push_str("drop ");
            list(out, fields, |out, p| out.push_str(&field(p)));
        }
        StageKind::Rename(pairs) => {
            out.push_str("rename ");
            list(out, pairs, |out, (a, b)| {
                let _ = write!(out, "{} as {}", field(a), field(b));
            });
        }
        StageKind::Parse { kind, from } => {
            out.push_str("parse ");
            match kind {
                ParseKind::Regex { pattern, .. } => {
                    out.push_str("regex ");
                    out.push_str(&quoted(pattern, '"'));
                }
                ParseKind::Logfmt => out.push_str("logfmt"),
                ParseKind::Json => out.push_str("json"),
                ParseKind::Format(w) => out.push_str(w),
                ParseKind::Pattern { pattern, names, .. } => {
                    out.push_str(&quoted(pattern, '"'));
                    out.push_str(" as ");
                    out.push_str(&names.iter().map(|n| name(n)).collect::<Vec<_>>().join(", "));
                }
            }
            if let Some(p) = from {
                let _ = write!(out, " from {}", field(p));
            }
        }
        StageKind::Aggregate(a) => {
            if a.stats_form || a.aggs.len() != 1 {
                out.push_str("stats ");
            }
            list(out, &a.aggs, agg);
            keys(out, " by ", &a.by);
            if let Some(w) = &a.window {
                window(out, w);
            }
            if a.fill {
                out.push_str(" fill");
            }
            match a.emit {
                Emit::OnClose => {}
                Emit::Every(d) => {
                    let _ = write!(out, " emit every {}", duration(d));
                }
                Emit::OnUpdate => out.push_str(" emit on update"),
            }
        }
        StageKind::Running { aggs, by, scope } => {
            out.push_str("running ");
            list(out, aggs, agg);
            keys(out, " by ", by);
            match scope {
                RunningScope::Cumulative => {}
                RunningScope::Over(d) => {
                    let _ = write!(out, " over {}", duration(*d));
                }
                RunningScope::Last(n) => {
                    let _ = write!(out, " last {n}");
                }
            }
        }
        StageKind::Join(j) => {
            if j.left {
                out.push_str("left ");
            }
            out.push_str("join ");
            out.push_str(&join_file(&j.file));
            out.push_str(" on ");
            out.push_str(&field(&j.key));
            if let Some(k) = &j.lookup_key {
                let _ = write!(out, " = {}", name(k));
            }
            if let Some(p) = &j.prefix {
                let _ = write!(out, " prefix {}", name(p));
            }
        }
        StageKind::Dedup { keys: k, within } => {
            out.push_str("dedup");
            keys(out, " ", k);
            if let Some(d) = within {
                let _ = write!(out, " within {}", duration(d.millis));
            }
        }
        StageKind::Head(n) => {
            let _ = write!(out, "head {n}");
        }
        StageKind::Top {
            n,
            keys: k,
            by,
            window: w,
            emit,
        } => {
            let _ = write!(out, "top {n}");
            keys(out, " ", k);
            if let Some(a) = by {
                out.push_str(" by ");
                agg(out, a);
            }
            if let Some(w) = w {
                window(out, w);
            }
            if let Emit::Every(d) = emit {
                let _ = write!(out, " emit every {}", duration(*d));
            }
        }
    }
}

/// A join file: bare when it reads back as one raw word, else quoted.
fn join_file(file: &str) -> String {
    let bare = !file.is_empty()
        && !file.starts_with(['"', '\'', '#'])
        && !file.chars().any(|c| c.is_whitespace() || c == '|');
    if bare {
        file.to_string()
    } else {
        quoted(file, '"')
    }
}

fn keys(out: &mut String, lead: &str, keys: &[KeyItem]) {
    if keys.is_empty() {
        return;
    }
    out.push_str(lead);
    list(out, keys, |out, k| match &k.expr.kind {
        ExprKind::Field(p) if p.display_name() == k.name => out.push_str(&field(p)),
        _ => {
            expr(out, &k.expr, 0);
            out.push_str(" as ");
            out.push_str(&name(&k.name));
        }
    });
}

fn window(out: &mut String, w: &Window) {
    let _ = match w.kind {
        WindowKind::Tumbling { size } => write!(out, " every {}", duration(size)),
        WindowKind::Hopping { size, slide } => {
            write!(out, " every {} slide {}", duration(size), duration(slide))
        }
        WindowKind::Session { gap } => write!(out, " session {}", duration(gap)),
    };
}

fn agg(out: &mut String, a: &AggCall) {
    let arg = a.arg.as_ref().map(print_expr).unwrap_or_default();
    let _ = match a.func {
        AggFunc::Count => write!(out, "count"),
        AggFunc::Percentile(q) if [50.0, 90.0, 95.0, 99.0].contains(&q) => {
            write!(out, "p{q}({arg})")
        }
        AggFunc::Percentile(q) => write!(out, "percentile({arg}, {q})"),
        AggFunc::Ewma(alpha) => write!(out, "ewma({arg}, {alpha})"),
        f => write!(out, "{}({arg})", f.name_prefix()),
    };
    // The parser derives the default name from the argument's text, which
    // here is the printed text: say `as` only when that would differ.
    if a.name != default_agg_name(a.func, a.arg.as_ref(), &arg) {
        out.push_str(" as ");
        out.push_str(&name(&a.name));
    }
}

// Binding strength, loosest first (DESIGN §3).
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const CMP: u8 = 4;
const ADD: u8 = 5;
const MUL: u8 = 6;
const NEG: u8 = 7;
const ATOM: u8 = 8;

fn level(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, ..) => binary_level(*op),
        ExprKind::In(..) => CMP,
        ExprKind::Unary(UnaryOp::Not, _) => NOT,
        ExprKind::Unary(UnaryOp::Neg, _) => NEG,
        // A negative number reads as `-5`, which binds like a negation.
        ExprKind::Literal(Literal::Int(n)) if *n < 0 => NEG,
        ExprKind::Literal(Literal::Float(f)) if f.is_sign_negative() => NEG,
        ExprKind::Literal(Literal::Duration(d)) if *d < 0 => NEG,
        _ => ATOM,
    }
}

fn binary_level(op: BinaryOp) -> u8 {
    use BinaryOp::*;
    match op {
        Or => OR,
        And => AND,
        Eq | Ne | Lt | Le | Gt | Ge | Match | NotMatch | Contains | StartsWith | EndsWith => CMP,
        Add | Sub => ADD,
        Mul | Div | Rem => MUL,
    }
}

fn is_number(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Literal(Literal::Int(_) | Literal::Float(_) | Literal::Duration(_))
    )
}

/// Print `e`, in parentheses when it binds looser than `min`.
fn expr(out: &mut String, e: &Expr, min: u8) {
    let parens = level(e) < min;
    if parens {
        out.push('(');
    }
    match &e.kind {
        ExprKind::Field(p) => out.push_str(&field(p)),
        ExprKind::Literal(l) => literal(out, l),
        ExprKind::Unary(UnaryOp::Not, inner) => {
            out.push_str("not ");
            expr(out, inner, NOT);
        }
        ExprKind::Unary(UnaryOp::Neg, inner) => {
            out.push('-');
            // `-(5)` stays a negation; `-5` would read back as a literal.
            let min = if is_number(inner) { ATOM + 1 } else { NEG };
            expr(out, inner, min);
        }
        ExprKind::Binary(op, l, r) => {
            let lv = binary_level(*op);
            // Left-associative; comparisons do not chain.
            let (lmin, rmin) = if lv == CMP { (ADD, ADD) } else { (lv, lv + 1) };
            expr(out, l, lmin);
            let _ = write!(out, " {} ", op.symbol());
            expr(out, r, rmin);
        }
        ExprKind::In(l, items) => {
            expr(out, l, ADD);
            out.push_str(" in [");
            list(out, items, |out, i| expr(out, i, 0));
            out.push(']');
        }
        ExprKind::Call { name: n, args, .. } => {
            out.push_str(n);
            out.push('(');
            list(out, args, |out, a| expr(out, a, 0));
            out.push(')');
        }
    }
    if parens {
        out.push(')');
    }
}

fn literal(out: &mut String, l: &Literal) {
    let _ = match l {
        Literal::Null => write!(out, "null"),
        Literal::Bool(b) => write!(out, "{b}"),
        Literal::Int(n) => write!(out, "{n}"),
        // `{:?}` keeps a `.0` or an exponent, so it reads back as a float.
        Literal::Float(f) => write!(out, "{f:?}"),
        Literal::Str(s) => write!(out, "{}", quoted(s, '"')),
        Literal::Duration(d) => write!(out, "{}", duration(*d)),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::{parse, parser::strip, span::Span};
    use proptest::prelude::*;

    // ---- generated trees (all spans default, names as the parser would make them) ----

    fn part() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::sample::select(vec![
                "a", "b", "status", "path", "count", "last", "by", "every", "as", "user_id",
                "@timestamp", "é", "lower",
            ])
            .prop_map(String::from),
            2 => "[a-z_][a-z0-9_]{0,6}",
            1 => prop::sample::select(vec![
                "user-agent", "a b", "and", "not", "in", "true", "null", "x.y", "1st", "`tick",
                "back\\slash", "",
            ])
            .prop_map(String::from),
        ]
    }

    fn path() -> impl Strategy<Value = FieldPath> {
        prop::collection::vec(part(), 1..4).prop_map(|parts| FieldPath {
            parts,
            span: Span::default(),
        })
    }

    fn any_name() -> impl Strategy<Value = String> {
        prop_oneof![part(), "\\PC{0,6}"]
    }

    fn ex(kind: ExprKind) -> Expr {
        Expr {
            kind,
            span: Span::default(),
        }
    }

    fn literal() -> impl Strategy<Value = Literal> {
        prop_oneof![
            Just(Literal::Null),
            any::<bool>().prop_map(Literal::Bool),
            any::<i64>().prop_map(Literal::Int),
            (-5i64..5).prop_map(Literal::Int),
            (prop::num::f64::NORMAL | prop::num::f64::ZERO | prop::num::f64::SUBNORMAL)
                .prop_map(Literal::Float),
            "[a-z\"'\\\\ #|\\n]{0,6}".prop_map(Literal::Str),
            (-(1i64 << 60)..(1i64 << 60)).prop_map(Literal::Duration),
            prop::sample::select(vec![0i64, 250, 90_000, -300_000]).prop_map(Literal::Duration),
        ]
    }

    fn expr() -> impl Strategy<Value = Expr> {
        let leaf = prop_oneof![
            path().prop_map(|p| ex(ExprKind::Field(p))),
            literal().prop_map(|l| ex(ExprKind::Literal(l))),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            let op = prop::sample::select(vec![
                BinaryOp::Or,
                BinaryOp::And,
                BinaryOp::Eq,
                BinaryOp::Ne,
                BinaryOp::Lt,
                BinaryOp::Le,
                BinaryOp::Gt,
                BinaryOp::Ge,
                BinaryOp::Match,
                BinaryOp::NotMatch,
                BinaryOp::Contains,
                BinaryOp::StartsWith,
                BinaryOp::EndsWith,
                BinaryOp::Add,
                BinaryOp::Sub,
                BinaryOp::Mul,
                BinaryOp::Div,
                BinaryOp::Rem,
            ]);
            prop_oneof![
                (
                    prop::sample::select(vec![UnaryOp::Not, UnaryOp::Neg]),
                    inner.clone()
                )
                    .prop_map(|(op, e)| ex(ExprKind::Unary(op, Box::new(e)))),
                (op, inner.clone(), inner.clone()).prop_map(|(op, l, r)| ex(ExprKind::Binary(
                    op,
                    Box::new(l),
                    Box::new(r)
                ))),
                (inner.clone(), prop::collection::vec(inner.clone(), 0..3))
                    .prop_map(|(l, items)| ex(ExprKind::In(Box::new(l), items))),
                (
                    prop::sample::select(vec!["lower", "if", "count", "now", "f_2"]),
                    prop::collection::vec(inner, 0..3)
                )
                    .prop_map(|(name, args)| ex(ExprKind::Call {
                        name: name.into(),
                        name_span: Span::default(),
                        args
                    })),
            ]
        })
    }

    fn positive() -> impl Strategy<Value = Millis> {
        prop_oneof![
            1i64..100_000_000_000,
            prop::sample::select(vec![1i64, 1000, 60_000, 90_000])
        ]
    }

    fn within() -> impl Strategy<Value = Duration> {
        positive().prop_map(|millis| Duration {
            millis,
            span: Span::default(),
        })
    }

    fn window() -> impl Strategy<Value = Window> {
        prop_oneof![
            positive().prop_map(|size| WindowKind::Tumbling { size }),
            (positive(), positive()).prop_map(|(size, slide)| WindowKind::Hopping { size, slide }),
            positive().prop_map(|gap| WindowKind::Session { gap }),
        ]
        .prop_map(|kind| Window {
            kind,
            span: Span::default(),
        })
    }

    fn agg_call(running: bool) -> impl Strategy<Value = AggCall> {
        let mut funcs = vec![
            Just(AggFunc::Sum).boxed(),
            Just(AggFunc::Avg).boxed(),
            Just(AggFunc::Min).boxed(),
            Just(AggFunc::Max).boxed(),
            Just(AggFunc::Distinct).boxed(),
            Just(AggFunc::Stddev).boxed(),
            Just(AggFunc::First).boxed(),
            Just(AggFunc::Last).boxed(),
            prop::sample::select(vec![50.0, 90.0, 95.0, 99.0])
                .prop_map(AggFunc::Percentile)
                .boxed(),
            (0u32..=1000)
                .prop_map(|q| AggFunc::Percentile(f64::from(q) / 10.0))
                .boxed(),
            (0.0..=100.0f64).prop_map(AggFunc::Percentile).boxed(),
        ];
        if running {
            funcs.push(
                (1u32..=100)
                    .prop_map(|a| AggFunc::Ewma(f64::from(a) / 100.0))
                    .boxed(),
            );
        }
        prop_oneof![
            1 => (Just(AggFunc::Count), Just(None)),
            4 => (prop::strategy::Union::new(funcs), expr().prop_map(Some)),
        ]
        .prop_flat_map(|(func, arg)| {
            let default = default_agg_name(
                func,
                arg.as_ref(),
                &arg.as_ref().map(print_expr).unwrap_or_default(),
            );
            (
                Just(func),
                Just(arg),
                prop_oneof![Just(default), any_name()],
            )
        })
        .prop_map(|(func, arg, name)| AggCall {
            func,
            arg,
            name,
            span: Span::default(),
        })
    }

    fn key() -> impl Strategy<Value = KeyItem> {
        prop_oneof![
            path().prop_map(|p| KeyItem {
                name: p.display_name(),
                expr: ex(ExprKind::Field(p))
            }),
            (expr(), any_name()).prop_map(|(expr, name)| KeyItem { expr, name }),
        ]
    }

    fn keys(min: usize) -> impl Strategy<Value = Vec<KeyItem>> {
        prop::collection::vec(key(), min..3)
    }

    fn stage_kind() -> impl Strategy<Value = StageKind> {
        prop_oneof![
            expr().prop_map(StageKind::Where),
            prop::collection::vec(
                prop_oneof![
                    path().prop_map(|p| SelectItem {
                        expr: ex(ExprKind::Field(p.clone())),
                        name: p
                    }),
                    (expr(), path()).prop_map(|(expr, name)| SelectItem { expr, name }),
                ],
                1..3
            )
            .prop_map(StageKind::Select),
            prop::collection::vec(
                (path(), expr()).prop_map(|(name, expr)| Assignment { name, expr }),
                1..3
            )
            .prop_map(StageKind::Eval),
            prop::collection::vec(path(), 1..3).prop_map(StageKind::Drop),
            prop::collection::vec((path(), path()), 1..3).prop_map(StageKind::Rename),
            (
                prop_oneof![
                    prop::sample::select(vec![
                        r"(?P<ms>\d+)ms",
                        r#"^(?P<ip>\S+) "(?P<req>[^"]*)""#,
                        r"(?P<a>\\)",
                        r"(?P<q>')\\",
                    ])
                    .prop_map(|p| ParseKind::Regex {
                        pattern: p.into(),
                        span: Span::default()
                    }),
                    Just(ParseKind::Logfmt),
                    Just(ParseKind::Json),
                ],
                prop::option::of(path())
            )
                .prop_map(|(kind, from)| StageKind::Parse { kind, from }),
            (
                prop::collection::vec(agg_call(false), 1..4),
                any::<bool>(),
                keys(0),
                prop::option::of(window()),
                prop_oneof![
                    Just(Emit::OnClose),
                    Just(Emit::OnUpdate),
                    positive().prop_map(Emit::Every)
                ],
                any::<bool>(),
            )
                .prop_map(|(aggs, stats, by, window, emit, fill)| {
                    let stats_form = stats || aggs.len() > 1;
                    // `fill` is only written after an `every` window.
                    let fill = fill
                        && window
                            .as_ref()
                            .is_some_and(|w| !matches!(w.kind, WindowKind::Session { .. }));
                    StageKind::Aggregate(Aggregation {
                        aggs,
                        by,
                        window,
                        fill,
                        emit,
                        stats_form,
                    })
                }),
            (
                prop::collection::vec(agg_call(true), 1..3),
                keys(0),
                prop_oneof![
                    Just(RunningScope::Cumulative),
                    positive().prop_map(RunningScope::Over),
                    any::<u64>().prop_map(RunningScope::Last),
                ]
            )
                .prop_map(|(aggs, by, scope)| StageKind::Running { aggs, by, scope }),
            (
                any::<bool>(),
                prop_oneof![
                    prop::sample::select(vec![
                        "users.csv",
                        "./data/u.jsonl",
                        "a b.csv",
                        "#x",
                        "'q'",
                        "a|b",
                        "x\"y",
                        ""
                    ])
                    .prop_map(String::from),
                    "\\PC{1,8}",
                ],
                path(),
                prop::option::of(any_name()),
                prop::option::of(any_name()),
            )
                .prop_map(|(left, file, key, lookup_key, prefix)| {
                    StageKind::Join(Join {
                        left,
                        file,
                        file_span: Span::default(),
                        key,
                        lookup_key,
                        prefix,
                    })
                }),
            (keys(1), prop::option::of(within()))
                .prop_map(|(keys, within)| StageKind::Dedup { keys, within }),
            any::<u64>().prop_map(StageKind::Head),
            (
                any::<u64>(),
                keys(1),
                prop::option::of(agg_call(false)),
                prop::option::of(window()),
                prop_oneof![Just(Emit::OnClose), positive().prop_map(Emit::Every)],
            )
                .prop_map(|(n, keys, by, window, emit)| StageKind::Top {
                    n,
                    keys,
                    by,
                    window,
                    emit
                }),
        ]
    }

    fn pipeline() -> impl Strategy<Value = Pipeline> {
        prop::collection::vec(stage_kind(), 0..4).prop_map(|kinds| Pipeline {
            stages: kinds
                .into_iter()
                .map(|kind| Stage {
                    kind,
                    span: Span::default(),
                })
                .collect(),
        })
    }

    fn reparse(text: &str) -> Pipeline {
        match parse(text) {
            Ok(p) => strip::pipeline(p),
            Err(e) => panic!("{}", e.render(text)),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Printing then parsing gives the same tree, and printing again the same text.
        #[test]
        fn generated_trees_survive_the_round_trip(p in pipeline()) {
            let text = print(&p);
            let back = reparse(&text);
            prop_assert_eq!(print(&back), text.clone());
            prop_assert_eq!(back, p, "{}", text);
        }
    }

    #[test]
    fn hand_written_pipelines_survive_the_round_trip() {
        for src in [
            "where status >= 500 | count by path every 1m",
            "join users.csv on user_id | avg latency_ms by country",
            "where level == \"error\" | count by service every 5m | where count > 10",
            "filter a and not b or c",
            "select a, b.c, a + 1 as x, y = lower(z)",
            "eval x = 1, y.z = \"a\", w = -(5), v = - -5, u = --x",
            "drop a, `b-c` | rename a as b, c.d as e",
            "parse regex \"(?P<ms>\\d+)ms\" from msg | parse logfmt | parse json from p",
            "count() emit on close | count by a, b every 1m slide 10s emit every 10s",
            "count session 30s emit on update",
            "stats count, avg(x) as a, p95(lat), percentile(lat, 99.9) by path",
            "sum(bytes * 8) by len(path) as plen",
            "sum(x * 1.50) | avg((a + b)) as `avg a+b`",
            "running count, ewma(x, 0.3) by k over 5m | running sum x last 100",
            "left join ./data/u.jsonl on uid = id prefix u_ | join \"a b.csv\" on `user-id`",
            "dedup a, b within 10m | head 10 | top 5 path by avg(latency) every 1m",
            "top 3 a, b | where x in [1, 'two', null, true] && y !~ 'z\\'q'",
            "where @timestamp > 1m30s and `user-agent` contains \"curl\" || d < -250ms",
            "where -9223372036854775808 < a and 1e300 > b and 2.5e-8 != c and 7.0 == d",
            "where (a - (b - c)) * -(d % e) / f",
            "where \"a\\\\\" == 'b\\\\' and \"\\d\\\"\" == x",
        ] {
            let once = reparse(src);
            let text = print(&once);
            assert_eq!(reparse(&text), once, "{src}\n{text}");
            assert_eq!(print(&reparse(&text)), text);
        }
    }

    #[test]
    fn canonical_text() {
        let cases = [
            ("where a==1&&b", "where a == 1 and b"),
            ("sum(x * 1.50)", "sum(x * 1.5) as sum_x_1_50"),
            ("eval w = -(5), v = - -5", "eval w = -(5), v = -(-5)"),
            ("where (a - (b - c)) * 2", "where (a - (b - c)) * 2"),
            ("where (not a) == b", "where (not a) == b"),
            ("where (a == b) == c", "where (a == b) == c"),
            ("where a in [b == c]", "where a in [b == c]"),
            ("where x =~ \"\\d+\\\\\"", "where x =~ \"\\d+\\\\\""),
            ("count by `by`, `every`", "count by by, every"),
            ("count every 90000ms", "count every 1m30s"),
            ("count every 1d1ms", "count every 1d1ms"),
            ("select `a.b`, `true`", "select `a.b`, `true`"),
            ("join \"#x.csv\" on id", "join \"#x.csv\" on id"),
            ("stats count", "stats count"),
            ("running count last 5", "running count last 5"),
        ];
        for (src, want) in cases {
            assert_eq!(print(&reparse(src)), want, "{src}");
        }
    }

    #[test]
    fn durations_print_in_compound_form() {
        assert_eq!(duration(0), "0ms");
        assert_eq!(duration(250), "250ms");
        assert_eq!(duration(90_000), "1m30s");
        assert_eq!(duration(3_723_004), "1h2m3s4ms");
        assert_eq!(duration(86_400_000), "1d");
        assert_eq!(duration(-300_000), "-5m");
    }

    #[test]
    fn strings_escape_only_what_would_be_misread() {
        assert_eq!(quoted(r"\d+", '"'), r#""\d+""#);
        assert_eq!(quoted(r"a\", '"'), r#""a\\""#);
        assert_eq!(quoted("a\"b", '"'), r#""a\"b""#);
        assert_eq!(quoted(r"\\", '"'), r#""\\\\""#);
        assert_eq!(quoted(r#"\""#, '"'), r#""\\\"""#);
        assert_eq!(name("user-agent"), "`user-agent`");
        assert_eq!(name("and"), "`and`");
        assert_eq!(name("count"), "count");
        assert_eq!(name("@timestamp"), "@timestamp");
    }
}
