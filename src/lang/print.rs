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
//! `Float` NaN or infinity, an empty field name, an `Aggregation` with
//! `stats_form: false` and more than one aggregate (printed as `stats`), and
//! `count` with an argument (the argument is dropped).

use std::fmt::{self, Write};

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
