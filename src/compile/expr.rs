//! Expressions in Flink SQL with streamctl's value rules (DESIGN §3) kept.
//!
//! SQL's three-valued logic differs from streamctl's in one place that
//! matters: a comparison with `null` is `false` in streamctl but `NULL` in
//! SQL, and `NOT NULL` is still `NULL`. So conditions are translated in one
//! of two modes: in a `WHERE` (where NULL already drops the row) plain SQL is
//! exact; anywhere a boolean becomes a value or sits under `NOT`, it is made
//! two-valued with `IS TRUE`. Types come from the schema: a comparison or
//! function whose operand types would make Flink cast, fail or compute
//! something else is refused with the reason.

use crate::compile::{no, Untranslatable};
use std::collections::HashMap;

use crate::compile::schema::{quote_ident, Column, Ty};
use crate::lang::ast::{BinaryOp, Expr, ExprKind, FieldPath, Literal, UnaryOp};
use crate::lang::print::print_expr;

/// A translated value: its SQL text (parenthesized unless atomic) and type.
#[derive(Debug, Clone, PartialEq)]
pub struct Sx {
    pub sql: String,
    pub ty: Ty,
    /// Known not to be NULL (literals, `IS …` tests, two-valued conditions).
    pub non_null: bool,
}

impl Sx {
    fn new(sql: impl Into<String>, ty: Ty) -> Sx {
        Sx {
            sql: sql.into(),
            ty,
            non_null: false,
        }
    }
    fn non_null(sql: impl Into<String>, ty: Ty) -> Sx {
        Sx {
            sql: sql.into(),
            ty,
            non_null: true,
        }
    }
}

/// A SQL string literal.
pub fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A double literal that Flink types as DOUBLE (a plain `1.5` is DECIMAL).
pub fn sql_double(f: f64) -> String {
    let t = format!("{f:?}");
    if t.contains('e') {
        t.replace('e', "E")
    } else {
        format!("{t}E0")
    }
}

/// What expressions can see: the columns of the relation, and values set by
/// earlier assignments of the same `eval`.
pub struct Scope<'a> {
    pub cols: &'a [Column],
    pub assigned: HashMap<String, Sx>,
}

impl<'a> Scope<'a> {
    pub fn new(cols: &'a [Column]) -> Scope<'a> {
        Scope {
            cols,
            assigned: HashMap::new(),
        }
    }

    fn field(&self, p: &FieldPath) -> Result<Sx, Untranslatable> {
        let head = &p.parts[0];
        // `a.b` reads a top-level key spelled `a.b` when there is no field
        // `a` (a row of `count by a.b`, a dotted CSV header), as streamctl
        // does; with both, streamctl would choose event by event.
        if p.parts.len() > 1 {
            let dotted = p.parts.join(".");
            let flat = self
                .assigned
                .get(&dotted)
                .map(|sx| sx.ty.clone())
                .or_else(|| {
                    self.cols
                        .iter()
                        .find(|c| c.name == dotted)
                        .map(|c| c.ty.clone())
                });
            if let Some(ty) = flat {
                let nested =
                    self.assigned.contains_key(head) || self.cols.iter().any(|c| &c.name == head);
                if nested {
                    return no(format!(
                        "`{dotted}` names both the field `{dotted}` and `{}` inside `{head}`; streamctl reads the nested one where an event has it, which a SQL column cannot do: `rename` one of them first",
                        p.parts[1..].join(".")
                    ));
                }
                let sql = match self.assigned.get(&dotted) {
                    Some(sx) => sx.sql.clone(),
                    None => quote_ident(&dotted),
                };
                return Ok(Sx::new(sql, ty));
            }
        }
        let (mut sql, mut ty) = if let Some(sx) = self.assigned.get(head) {
            (sx.sql.clone(), sx.ty.clone())
        } else if let Some(c) = self.cols.iter().find(|c| &c.name == head) {
            (quote_ident(head), c.ty.clone())
        } else {
            return no(format!(
                "field `{}` is not among the columns here ({}); if the input has it, declare it with --schema",
                p.display_name(),
                self.column_list()
            ));
        };
        for part in &p.parts[1..] {
            let Ty::Row(fields) = &ty else {
                return no(format!(
                    "field `{}`: `{}` is {}, not an object",
                    p.display_name(),
                    head,
                    ty.describe()
                ));
            };
            let Some((_, t)) = fields.iter().find(|(n, _)| n == part) else {
                return no(format!(
                    "field `{}` is not in the schema; declare it with --schema",
                    p.display_name()
                ));
            };
            sql = format!("{sql}.{}", quote_ident(part));
            ty = t.clone();
        }
        Ok(Sx::new(sql, ty))
    }

    fn column_list(&self) -> String {
        let names: Vec<&str> = self.cols.iter().map(|c| c.name.as_str()).collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        }
    }

    /// The value of an expression.
    pub fn value(&self, e: &Expr) -> Result<Sx, Untranslatable> {
        match &e.kind {
            ExprKind::Field(p) => self.field(p),
            ExprKind::Literal(l) => Ok(literal(l)),
            ExprKind::Unary(UnaryOp::Neg, x) => {
                let v = self.value(x)?;
                match v.ty {
                    Ty::Int | Ty::Float => Ok(Sx {
                        sql: format!("(-{})", v.sql),
                        ..v
                    }),
                    Ty::Null => Ok(v),
                    _ => no(not_numeric(x, &v)),
                }
            }
            ExprKind::Binary(op, l, r) if is_arith(*op) => self.arith(*op, l, r, e),
            ExprKind::Call { name, args, .. } => self.call(name, args, e),
            // Conditions used as values are two-valued, as streamctl's booleans are.
            _ => Ok(Sx::non_null(format!("({})", self.cond(e, true)?), Ty::Bool)),
        }
    }

    fn arith(&self, op: BinaryOp, l: &Expr, r: &Expr, whole: &Expr) -> Result<Sx, Untranslatable> {
        let a = self.value(l)?;
        let b = self.value(r)?;
        for (x, v) in [(l, &a), (r, &b)] {
            if !matches!(v.ty, Ty::Int | Ty::Float | Ty::Null) {
                return no(format!(
                    "`{}`: {}; streamctl's arithmetic on it gives null, Flink's would fail or cast",
                    print_expr(whole),
                    not_numeric(x, v)
                ));
            }
        }
        if a.ty == Ty::Null || b.ty == Ty::Null {
            return Ok(Sx::new("CAST(NULL AS DOUBLE)", Ty::Null));
        }
        let float = a.ty == Ty::Float || b.ty == Ty::Float;
        Ok(match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => Sx::new(
                format!("({} {} {})", a.sql, op.symbol(), b.sql),
                if float { Ty::Float } else { Ty::Int },
            ),
            // streamctl divides in floating point and gives null for `/ 0`.
            BinaryOp::Div => Sx::new(
                format!(
                    "(CAST({} AS DOUBLE) / NULLIF(CAST({} AS DOUBLE), 0))",
                    a.sql, b.sql
                ),
                Ty::Float,
            ),
            BinaryOp::Rem if !float => {
                Sx::new(format!("MOD({}, NULLIF({}, 0))", a.sql, b.sql), Ty::Int)
            }
            _ => {
                return no(format!(
                    "`{}`: `%` of floats has no exact Flink SQL form (MOD takes integers)",
                    print_expr(whole)
                ))
            }
        })
    }

    /// A condition. `strict`: the result must never be NULL (a value, or
    /// under `NOT`); otherwise NULL may stand for false (a WHERE clause).
    pub fn cond(&self, e: &Expr, strict: bool) -> Result<String, Untranslatable> {
        let wrap = |sql: String, non_null: bool| {
            if strict && !non_null {
                format!("({sql}) IS TRUE")
            } else {
                sql
            }
        };
        match &e.kind {
            ExprKind::Binary(BinaryOp::And, l, r) => Ok(format!(
                "({} AND {})",
                self.cond(l, strict)?,
                self.cond(r, strict)?
            )),
            ExprKind::Binary(BinaryOp::Or, l, r) => Ok(format!(
                "({} OR {})",
                self.cond(l, strict)?,
                self.cond(r, strict)?
            )),
            ExprKind::Unary(UnaryOp::Not, x) => Ok(format!("(NOT ({}))", self.cond(x, true)?)),
            ExprKind::Binary(op, l, r) if is_cmp(*op) => {
                let (sql, non_null) = self.compare(*op, l, r, e)?;
                Ok(wrap(sql, non_null))
            }
            ExprKind::Binary(op @ (BinaryOp::Match | BinaryOp::NotMatch), l, r) => {
                let a = self.text_operand(l, e)?;
                let ExprKind::Literal(Literal::Str(pattern)) = &r.kind else {
                    return no(format!(
                        "`{}`: only a literal regex has a checked Flink form",
                        print_expr(e)
                    ));
                };
                let java = java_regex(pattern)?;
                let test = format!("REGEXP({}, {})", a.sql, sql_string(&java));
                let sql = if *op == BinaryOp::NotMatch {
                    format!("(NOT {test})")
                } else {
                    test
                };
                Ok(wrap(sql, a.non_null))
            }
            ExprKind::Binary(
                op @ (BinaryOp::Contains | BinaryOp::StartsWith | BinaryOp::EndsWith),
                l,
                r,
            ) => {
                let a = self.text_operand(l, e)?;
                let ExprKind::Literal(Literal::Str(lit)) = &r.kind else {
                    return no(format!(
                        "`{}`: `{}` is translated only with a literal string on the right",
                        print_expr(e),
                        op.symbol()
                    ));
                };
                let escaped: String = lit
                    .chars()
                    .flat_map(|c| match c {
                        '%' | '_' | '!' => vec!['!', c],
                        c => vec![c],
                    })
                    .collect();
                let like = match op {
                    BinaryOp::Contains => format!("%{escaped}%"),
                    BinaryOp::StartsWith => format!("{escaped}%"),
                    _ => format!("%{escaped}"),
                };
                Ok(wrap(
                    format!("{} LIKE {} ESCAPE '!'", a.sql, sql_string(&like)),
                    a.non_null,
                ))
            }
            ExprKind::In(x, items) => {
                let a = self.value(x)?;
                let mut list = Vec::new();
                for item in items {
                    if matches!(item.kind, ExprKind::Literal(Literal::Null)) {
                        return no(format!(
                            "`{}`: `null` in a list matches a missing field in streamctl but nothing in SQL",
                            print_expr(e)
                        ));
                    }
                    let b = self.value(item)?;
                    list.push(self.comparable(&a, b, x, item, e)?.1.sql);
                }
                Ok(wrap(
                    format!("{} IN ({})", a.sql, list.join(", ")),
                    a.non_null,
                ))
            }
            _ => {
                let v = self.value(e)?;
                Ok(match v.ty {
                    Ty::Bool => wrap(v.sql, v.non_null),
                    // Truthiness: only null and false are false.
                    Ty::Null => "FALSE".into(),
                    _ if v.non_null => "TRUE".into(),
                    _ => format!("{} IS NOT NULL", v.sql),
                })
            }
        }
    }

    /// A string operand of a text operator; numbers would be read as their
    /// JSON text by streamctl, which Flink's casts do not promise.
    fn text_operand(&self, x: &Expr, whole: &Expr) -> Result<Sx, Untranslatable> {
        let v = self.value(x)?;
        match v.ty {
            Ty::Str | Ty::Null => Ok(v),
            _ => no(format!(
                "`{}`: `{}` is {}; text operators are translated for strings only",
                print_expr(whole),
                print_expr(x),
                v.ty.describe()
            )),
        }
    }

    /// Make two operands comparable the way streamctl compares them: numbers
    /// numerically, strings bytewise, a number against a literal numeric string
    /// numerically.
    fn comparable(
        &self,
        a: &Sx,
        b: Sx,
        l: &Expr,
        r: &Expr,
        whole: &Expr,
    ) -> Result<(Sx, Sx), Untranslatable> {
        let lit_num = |e: &Expr| match &e.kind {
            ExprKind::Literal(Literal::Str(s)) => crate::value::parse_json_number(s.trim()),
            _ => None,
        };
        let num_sx = |n: crate::value::Num| match n {
            crate::value::Num::Int(i) => Sx::non_null(i.to_string(), Ty::Int),
            crate::value::Num::Float(f) => Sx::non_null(sql_double(f), Ty::Float),
        };
        match (&a.ty, &b.ty) {
            (x, y) if x.is_numeric() && y.is_numeric() => Ok((a.clone(), b)),
            (Ty::Str, Ty::Str) | (Ty::Bool, Ty::Bool) => Ok((a.clone(), b)),
            (Ty::Null, _) | (_, Ty::Null) => Ok((a.clone(), b)),
            (x, Ty::Str) if x.is_numeric() && lit_num(r).is_some() => {
                Ok((a.clone(), num_sx(lit_num(r).unwrap_or(crate::value::Num::Int(0)))))
            }
            (Ty::Str, y) if y.is_numeric() && lit_num(l).is_some() => Ok((
                num_sx(lit_num(l).unwrap_or(crate::value::Num::Int(0))),
                b,
            )),
            _ => no(format!(
                "`{}` compares {} (`{}`) with {} (`{}`): streamctl reads a string as a number when it is one, Flink SQL would cast or fail; declare both sides one type with --schema",
                print_expr(whole),
                a.ty.describe(),
                print_expr(l),
                b.ty.describe(),
                print_expr(r)
            )),
        }
    }

    /// A comparison; returns the SQL and whether it is never NULL.
    fn compare(
        &self,
        op: BinaryOp,
        l: &Expr,
        r: &Expr,
        whole: &Expr,
    ) -> Result<(String, bool), Untranslatable> {
        let is_null = |e: &Expr| matches!(e.kind, ExprKind::Literal(Literal::Null));
        if is_null(l) || is_null(r) {
            let other = if is_null(r) { l } else { r };
            return Ok(match op {
                BinaryOp::Eq if is_null(other) => ("TRUE".into(), true),
                BinaryOp::Ne if is_null(other) => ("FALSE".into(), true),
                BinaryOp::Eq => (format!("{} IS NULL", self.value(other)?.sql), true),
                BinaryOp::Ne => (format!("{} IS NOT NULL", self.value(other)?.sql), true),
                _ => ("FALSE".into(), true),
            });
        }
        let a = self.value(l)?;
        let b = self.value(r)?;
        let (a, b) = self.comparable(&a, b, l, r, whole)?;
        if matches!(a.ty, Ty::Row(_) | Ty::Array(_) | Ty::Other(_))
            || matches!(b.ty, Ty::Row(_) | Ty::Array(_) | Ty::Other(_))
        {
            return no(format!(
                "`{}` compares objects or arrays, which streamctl compares by structure",
                print_expr(whole)
            ));
        }
        let sym = match op {
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            _ => ">=",
        };
        let ordering = !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
        if ordering && a.ty == Ty::Str && b.ty == Ty::Str && !(bmp_low(l) || bmp_low(r)) {
            // Flink's `<` on strings compares UTF-16 units, streamctl code
            // points: "🚀" (a surrogate pair, D83D…) sorts before "Ｆ" (FF26)
            // there and after it here. Their UTF-8 bytes, compared unsigned,
            // are in code point order.
            return Ok((
                format!(
                    "ENCODE({}, 'UTF-8') {sym} ENCODE({}, 'UTF-8')",
                    a.sql, b.sql
                ),
                a.non_null && b.non_null,
            ));
        }
        Ok((
            format!("{} {sym} {}", a.sql, b.sql),
            a.non_null && b.non_null,
        ))
    }

    fn call(&self, name: &str, args: &[Expr], whole: &Expr) -> Result<Sx, Untranslatable> {
        let text = print_expr(whole);
        let arg = |i: usize| -> Result<Sx, Untranslatable> {
            args.get(i)
                .ok_or_else(|| Untranslatable(format!("`{text}` lacks argument {}", i + 1)))
                .and_then(|a| self.value(a))
        };
        let need = |v: &Sx, ok: &[Ty], what: &str| -> Result<(), Untranslatable> {
            if ok.contains(&v.ty) || v.ty == Ty::Null {
                Ok(())
            } else {
                no(format!(
                    "`{text}`: the argument is {}; `{name}` is translated for {what} only",
                    v.ty.describe()
                ))
            }
        };
        let refuse = |why: &str| no(format!("`{text}`: {why}"));
        match name {
            "lower" | "upper" => {
                let v = arg(0)?;
                need(&v, &[Ty::Str], "strings")?;
                Ok(Sx::new(
                    format!("{}({})", name.to_uppercase(), v.sql),
                    Ty::Str,
                ))
            }
            "len" => {
                let v = arg(0)?;
                need(&v, &[Ty::Str], "strings")?;
                Ok(Sx::new(format!("CHAR_LENGTH({})", v.sql), Ty::Int))
            }
            "abs" => {
                let v = arg(0)?;
                need(&v, &[Ty::Int, Ty::Float], "numbers")?;
                Ok(Sx::new(format!("ABS({})", v.sql), v.ty))
            }
            "round" | "floor" | "ceil" if args.len() == 1 => {
                let v = arg(0)?;
                need(&v, &[Ty::Int, Ty::Float], "numbers")?;
                if v.ty == Ty::Int {
                    return Ok(v);
                }
                // f64::round rounds half away from zero, as Flink's ROUND does.
                let inner = match name {
                    "round" => format!("ROUND({}, 0)", v.sql),
                    "floor" => format!("FLOOR({})", v.sql),
                    _ => format!("CEIL({})", v.sql),
                };
                Ok(Sx::new(format!("CAST({inner} AS BIGINT)"), Ty::Int))
            }
            "round" => refuse(
                "round to digits rounds the binary float in streamctl and the decimal text in Flink; they differ on halves like 2.675",
            ),
            "int" => {
                let v = arg(0)?;
                need(&v, &[Ty::Int, Ty::Float], "numbers (text is parsed by other rules in Flink)")?;
                Ok(match v.ty {
                    Ty::Float => Sx::new(format!("CAST({} AS BIGINT)", v.sql), Ty::Int),
                    _ => v,
                })
            }
            "float" => {
                let v = arg(0)?;
                need(&v, &[Ty::Int, Ty::Float], "numbers (text is parsed by other rules in Flink)")?;
                Ok(Sx::new(format!("CAST({} AS DOUBLE)", v.sql), Ty::Float))
            }
            "str" => {
                let v = arg(0)?;
                need(&v, &[Ty::Int, Ty::Str], "strings and integers (Flink writes floats and booleans differently)")?;
                Ok(match v.ty {
                    Ty::Int => Sx::new(format!("CAST({} AS STRING)", v.sql), Ty::Str),
                    _ => v,
                })
            }
            "coalesce" => {
                let vals = args
                    .iter()
                    .map(|a| self.value(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let ty = common_type(&vals).ok_or_else(|| {
                    format!("`{text}`: the arguments have different types, which one SQL column cannot hold")
                })?;
                let non_null = vals.iter().any(|v| v.non_null);
                let sql = format!(
                    "COALESCE({})",
                    vals.iter().map(|v| v.sql.as_str()).collect::<Vec<_>>().join(", ")
                );
                Ok(Sx { sql, ty, non_null })
            }
            "if" => {
                let Some(first) = args.first() else {
                    return refuse("if takes a condition and two values");
                };
                let c = self.cond(first, true)?;
                let (a, b) = (arg(1)?, arg(2)?);
                let ty = common_type(&[a.clone(), b.clone()]).ok_or_else(|| {
                    format!("`{text}`: the two branches have different types, which one SQL column cannot hold")
                })?;
                Ok(Sx {
                    sql: format!("CASE WHEN {c} THEN {} ELSE {} END", a.sql, b.sql),
                    ty,
                    non_null: a.non_null && b.non_null,
                })
            }
            "substr" => {
                let v = arg(0)?;
                need(&v, &[Ty::Str], "strings")?;
                let int_lit = |i: usize| match args.get(i).map(|a| &a.kind) {
                    Some(ExprKind::Literal(Literal::Int(n))) => Some(*n),
                    _ => None,
                };
                let Some(start) = int_lit(1) else {
                    return refuse("substr is translated with literal integer positions only");
                };
                let from = start.max(0) + 1;
                Ok(match args.len() {
                    2 => Sx::new(format!("SUBSTRING({} FROM {from})", v.sql), Ty::Str),
                    _ => {
                        let Some(len) = int_lit(2) else {
                            return refuse("substr is translated with literal integer positions only");
                        };
                        Sx::new(
                            format!("SUBSTRING({} FROM {from} FOR {})", v.sql, len.max(0)),
                            Ty::Str,
                        )
                    }
                })
            }
            "trim" => refuse(
                "streamctl's trim removes every Unicode white space, Flink's TRIM only spaces",
            ),
            "exists" => refuse(
                "exists tells a field set to null from a missing one; a SQL column cannot; test `field != null` instead",
            ),
            "now" => refuse("now() reads the wall clock, so the job's rows would depend on when it runs"),
            "time" => refuse("time() has no Flink SQL form that keeps streamctl's millisecond numbers"),
            "bucket" => refuse("bucket() has no translation yet; use a window (`every D`) instead"),
            "split" => refuse("split() makes arrays, which Flink SQL has no splitting function for"),
            "replace" => refuse(
                "replace() uses Rust regex replacement syntax (`$1`, `${name}`), which Flink's REGEXP_REPLACE reads differently",
            ),
            other => refuse(&format!("the function `{other}` has no Flink SQL translation")),
        }
    }
}

fn common_type(vals: &[Sx]) -> Option<Ty> {
    let mut ty = Ty::Null;
    for v in vals {
        ty = match (&ty, &v.ty) {
            (Ty::Null, t) => t.clone(),
            (_, Ty::Null) => ty,
            (Ty::Int, Ty::Float) | (Ty::Float, Ty::Int) => Ty::Float,
            (a, b) if a == b => ty,
            _ => return None,
        };
    }
    Some(ty)
}

fn is_arith(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem
    )
}

fn is_cmp(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
    )
}

fn not_numeric(x: &Expr, v: &Sx) -> String {
    format!("`{}` is {}, not a number", print_expr(x), v.ty.describe())
}

fn literal(l: &Literal) -> Sx {
    match l {
        Literal::Null => Sx::new("NULL", Ty::Null),
        Literal::Bool(b) => Sx::non_null(if *b { "TRUE" } else { "FALSE" }, Ty::Bool),
        Literal::Int(i) if *i < 0 => Sx::non_null(format!("({i})"), Ty::Int),
        Literal::Int(i) => Sx::non_null(i.to_string(), Ty::Int),
        Literal::Float(f) if *f < 0.0 => Sx::non_null(format!("({})", sql_double(*f)), Ty::Float),
        Literal::Float(f) => Sx::non_null(sql_double(*f), Ty::Float),
        Literal::Str(s) => Sx::non_null(sql_string(s), Ty::Str),
        Literal::Duration(ms) => Sx::non_null(ms.to_string(), Ty::Int),
    }
}

/// A Rust regex as a Java regex that matches exactly the same texts, or the
/// construct that has no such form.
///
/// Java is given `(?U)` (Unicode classes: `\d`, `\w`, `\s`, `\b` and case
/// folding as in Rust) and `(?d)` (only `\n` ends a line, so `.` is Rust's
/// `.`); `$` becomes `\z` (Java's `$` also matches before a final newline);
/// `(?P<name>` becomes `(?<name>`. Character classes may hold literals,
/// ranges and the escapes above, nothing nested. Anything else is refused.
pub fn java_regex(re: &str) -> Result<String, Untranslatable> {
    if let Err(e) = regex::Regex::new(re) {
        return no(format!("invalid regex: {e}"));
    }
    let refuse = |what: &str| {
        no(format!(
            "the regex `{re}` uses {what}, which Java's regex (Flink) reads differently"
        ))
    };
    let mut out = String::from("(?dU)");
    let chars: Vec<char> = re.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&n) = chars.get(i + 1) else {
                    return refuse("a trailing backslash");
                };
                match n {
                    'd' | 'D' | 'w' | 'W' | 's' | 'S' | 't' | 'n' | 'r' => {}
                    'b' | 'B' | 'A' | 'z' if !in_class => {}
                    n if n.is_ascii_punctuation() => {}
                    _ => return refuse(&format!("`\\{n}`")),
                }
                out.push(c);
                out.push(n);
                i += 2;
                continue;
            }
            '[' if in_class => return refuse("a nested character class or class set operation"),
            '[' => {
                in_class = true;
                out.push(c);
                // A leading `^` and a literal `]` right after `[` or `[^`.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                if chars.get(i + 1) == Some(&'[') {
                    return refuse("a nested character class");
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '&' | '-' | '~' if in_class && chars.get(i + 1) == Some(&c) => {
                return refuse("a class set operation (`&&`, `--`, `~~`)")
            }
            '$' if !in_class => out.push_str("\\z"),
            '(' if !in_class && chars.get(i + 1) == Some(&'?') => {
                let rest: String = chars[i + 2..].iter().collect();
                if rest.starts_with("P<") {
                    out.push_str("(?<");
                    i += 4;
                    continue;
                } else if rest.starts_with(':') || rest.starts_with('<') {
                    out.push_str("(?");
                    i += 2;
                    continue;
                } else if let Some(flags) = rest.strip_prefix('i').filter(|r| r.starts_with(')')) {
                    let _ = flags;
                    out.push_str("(?i)");
                    i += 4;
                    continue;
                } else {
                    return refuse("a flag group other than `(?i)`");
                }
            }
            '#' | ' ' if in_class => out.push(c),
            _ => out.push(c),
        }
        i += 1;
    }
    Ok(out)
}

/// A string literal whose characters are all below U+E000: compared with
/// it, UTF-16 order and code point order agree (they differ only between a
/// character above U+FFFF and one in U+E000..=U+FFFF).
fn bmp_low(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Literal(Literal::Str(s)) if s.chars().all(|c| (c as u32) < 0xE000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::ast::StageKind;

    fn cols() -> Vec<Column> {
        vec![
            Column {
                name: "status".into(),
                ty: Ty::Int,
            },
            Column {
                name: "path".into(),
                ty: Ty::Str,
            },
            Column {
                name: "ms".into(),
                ty: Ty::Float,
            },
            Column {
                name: "ok".into(),
                ty: Ty::Bool,
            },
        ]
    }

    fn where_expr(src: &str) -> Expr {
        let p = crate::lang::parse(&format!("where {src}")).unwrap();
        match p.stages.into_iter().next().unwrap().kind {
            StageKind::Where(e) => e,
            _ => unreachable!(),
        }
    }

    fn cond(src: &str, strict: bool) -> Result<String, Untranslatable> {
        let c = cols();
        Scope::new(&c).cond(&where_expr(src), strict)
    }

    #[test]
    fn where_clauses_stay_plain() {
        assert_eq!(cond("status >= 500", false).unwrap(), "`status` >= 500");
        assert_eq!(
            cond("status >= 500 and path == \"/a\"", false).unwrap(),
            "(`status` >= 500 AND `path` = '/a')"
        );
    }

    #[test]
    fn not_makes_comparisons_two_valued() {
        assert_eq!(
            cond("not status > 5", false).unwrap(),
            "(NOT ((`status` > 5) IS TRUE))"
        );
    }

    #[test]
    fn numeric_strings_compare_as_numbers() {
        assert_eq!(cond("status == \"500\"", false).unwrap(), "`status` = 500");
        let e = cond("path == 5", false).unwrap_err();
        assert!(
            e.contains("compares a string (`path`) with an integer"),
            "{e}"
        );
    }

    #[test]
    fn null_tests() {
        assert_eq!(cond("path == null", false).unwrap(), "`path` IS NULL");
        assert_eq!(cond("path != null", true).unwrap(), "`path` IS NOT NULL");
        assert_eq!(cond("status > null", false).unwrap(), "FALSE");
    }

    #[test]
    fn truthiness_of_values() {
        assert_eq!(cond("ok", false).unwrap(), "`ok`");
        assert_eq!(cond("ok", true).unwrap(), "(`ok`) IS TRUE");
        assert_eq!(cond("path", false).unwrap(), "`path` IS NOT NULL");
    }

    #[test]
    fn text_operators_escape_like_patterns() {
        assert_eq!(
            cond("path contains \"50%_!\"", false).unwrap(),
            "`path` LIKE '%50!%!_!!%' ESCAPE '!'"
        );
        assert_eq!(
            cond("path startswith \"/api\"", false).unwrap(),
            "`path` LIKE '/api%' ESCAPE '!'"
        );
    }

    #[test]
    fn arithmetic_keeps_streamctl_division() {
        let c = cols();
        let e = where_expr("status / 2 > 1");
        let ExprKind::Binary(_, l, _) = &e.kind else {
            unreachable!()
        };
        let v = Scope::new(&c).value(l).unwrap();
        assert_eq!(
            v.sql,
            "(CAST(`status` AS DOUBLE) / NULLIF(CAST(2 AS DOUBLE), 0))"
        );
        assert_eq!(v.ty, Ty::Float);
        assert!(cond("path + 1 > 0", false)
            .unwrap_err()
            .contains("not a number"));
    }

    #[test]
    fn regexes_are_checked() {
        assert_eq!(
            java_regex(r"^/api/(?P<id>\d+)$").unwrap(),
            r"(?dU)^/api/(?<id>\d+)\z"
        );
        assert_eq!(java_regex(r"[a-z\]]+").unwrap(), r"(?dU)[a-z\]]+");
        assert!(java_regex(r"\p{Greek}").unwrap_err().contains("`\\p`"));
        assert!(java_regex(r"(?m)^a").unwrap_err().contains("flag group"));
        assert!(java_regex(r"[a-z&&[^aeiou]]").is_err());
    }

    #[test]
    fn unknown_fields_point_at_schema() {
        let e = cond("nope > 1", false).unwrap_err();
        assert!(e.contains("field `nope` is not among the columns"), "{e}");
    }
}
