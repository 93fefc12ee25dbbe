//! Recursive descent over stages, precedence climbing over expressions.
//!
//! Keywords are contextual: a word is a stage name only at the start of a
//! stage and a clause word (`by`, `every`, `emit`, …) only where a clause may
//! start, so fields may be called `count` or `last`. Inside expressions only
//! `and or not in contains startswith endswith true false null` are reserved.
//! The first error stops the parse; it names what was expected and what was
//! found, and guesses what was meant where it can. Never panics.
//!
//! Error messages, each with an input that triggers it:
//! - `unknown stage `cout``: `where status >= 500 | cout by path`
//! - `empty stage between `|` and `|``: `where a || | head 1` … `head 1 | | head 2`
//! - `expected a stage after `|``: `head 1 |`
//! - `expected a stage before `|``: `| head 1`
//! - `expected a stage, found `5``: `5`
//! - `expected an expression after `where``: `where`
//! - `expected an expression, found `and``: `where and`
//! - `expected `)`, found `|``: `where (a | head 1`
//! - `comparison operators cannot be chained`: `where 1 < a < 3`
//! - `a list `[…]` is only allowed after `in``: `where [1]`
//! - `integer `…` is too large`: `where a == 9223372036854775808`
//! - `expected a duration like 30s or 5m, found `abc``: `count every abc`
//! - `a duration must be greater than zero`: `count every 0s`
//! - `unknown aggregate `cuont``: `stats cuont`
//! - `expected an aggregate like `count` or `avg(x)`, found `5``: `stats 5`
//! - ``count` takes no argument`: `count(x)`
//! - `expected `(` or a field after `avg`, found `by``: `avg by path`
//! - ``ewma` is only allowed in `running``: `ewma(x, 0.5)`
//! - `a percentile must be between 0 and 100`: `percentile(x, 101)`
//! - `alpha must be greater than 0 and at most 1`: `running ewma(x, 2)`
//! - `a computed key needs a name`: `count by len(path)`
//! - `a computed item needs a name`: `select a + 1`
//! - `duplicate `by``: `count by a by b`
//! - `expected `on close`, `on update` or `every D` after `emit`, found `x``: `count emit x`
//! - `expected `close` or `update` after `emit on`, found `clsoe``: `count emit on clsoe`
//! - `expected `by`, `every`, `session`, `emit`, `|` or end of pipeline, found `emti``: `count emti on close`
//! - ``over` and `last` cannot be combined`: `running count over 1m last 5`
//! - `expected `join` after `left``: `left x`
//! - `expected a file after `join``: `join`
//! - `expected `on` after the file, found `x``: `join u.csv x`
//! - `expected `regex`, `logfmt` or `json` after `parse``: `parse xml`
//! - `invalid regex: …`: `parse regex "(a"`
//! - `the regex has no named group`: `parse regex "a+"`
//! - `expected a field, found `5``: `drop 5`
//! - `expected a count like 10, found `x``: `head x`

use crate::lang::{
    ast::*,
    diag::{did_you_mean, LangError},
    lexer::{Lexer, Token, TokenKind},
    span::Span,
};

type Result<T> = std::result::Result<T, LangError>;

/// Words reserved inside expressions (everything else is a field there).
pub const RESERVED: [&str; 10] = [
    "and",
    "or",
    "not",
    "in",
    "contains",
    "startswith",
    "endswith",
    "true",
    "false",
    "null",
];

/// Words that start a stage (aggregates included), for did-you-mean.
pub const STAGES: [&str; 29] = [
    "where",
    "filter",
    "select",
    "eval",
    "drop",
    "rename",
    "parse",
    "stats",
    "running",
    "join",
    "left",
    "dedup",
    "head",
    "top",
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "distinct",
    "p50",
    "p90",
    "p95",
    "p99",
    "percentile",
    "stddev",
    "first",
    "last",
    "ewma",
];

/// Aggregate names, for did-you-mean.
pub const AGGREGATES: [&str; 15] = [
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "distinct",
    "p50",
    "p90",
    "p95",
    "p99",
    "percentile",
    "stddev",
    "first",
    "last",
    "ewma",
];

/// Words that start a clause somewhere; a bare field after an aggregate name
/// (`avg latency_ms`) may not be one of these (write it in backticks).
const CLAUSE_WORDS: [&str; 14] = [
    "by", "every", "slide", "session", "emit", "on", "as", "from", "prefix", "within", "over",
    "last", "close", "update",
];

/// Binary operators that are words, for did-you-mean after an expression.
const OPERATOR_WORDS: [&str; 6] = ["and", "or", "in", "contains", "startswith", "endswith"];

pub fn parse(source: &str) -> Result<Pipeline> {
    Parser::new(source)?.pipeline()
}

/// The default output name of an aggregate (DESIGN §3): `count`, `sum_F`,
/// `p99.9_F`, … where F is the field's display name or, for another
/// expression, its source text `arg_text` with every run of
/// non-alphanumeric characters turned into `_`, trimmed.
pub fn default_agg_name(func: AggFunc, arg: Option<&Expr>, arg_text: &str) -> String {
    let prefix = func.name_prefix();
    if func == AggFunc::Count {
        return prefix;
    }
    let suffix = match arg.map(|e| &e.kind) {
        Some(ExprKind::Field(p)) => p.display_name(),
        _ => sanitize(arg_text),
    };
    if suffix.is_empty() {
        prefix
    } else {
        format!("{prefix}_{suffix}")
    }
}

/// Every run of non-alphanumeric characters becomes one `_`; `_` at either
/// end is trimmed.
fn sanitize(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

enum Cmp {
    Bin(BinaryOp),
    In,
}

struct Parser<'a> {
    src: &'a str,
    lex: Lexer<'a>,
    /// The current, not yet consumed token.
    tok: Token,
    /// The span of the last consumed token.
    prev: Span,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Result<Parser<'a>> {
        let mut lex = Lexer::new(src);
        let tok = lex.next_token()?;
        Ok(Parser {
            src,
            lex,
            tok,
            prev: Span::new(0, 0),
        })
    }

    // ---- token helpers ----

    fn bump(&mut self) -> Result<Token> {
        let next = self.lex.next_token()?;
        let tok = std::mem::replace(&mut self.tok, next);
        self.prev = tok.span;
        Ok(tok)
    }

    /// The kind of the token after the current one (`None` if it does not lex;
    /// the error is reported when the parser gets there).
    fn peek2(&self) -> Option<TokenKind> {
        let mut lex = self.lex;
        lex.next_token().ok().map(|t| t.kind)
    }

    fn text(&self, span: Span) -> &'a str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    fn is(&self, kind: &TokenKind) -> bool {
        &self.tok.kind == kind
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(&self.tok.kind, TokenKind::Ident(w) if w == word)
    }

    fn word(&self) -> Option<&str> {
        match &self.tok.kind {
            TokenKind::Ident(w) => Some(w),
            _ => None,
        }
    }

    fn eat(&mut self, kind: &TokenKind) -> Result<bool> {
        if self.is(kind) {
            self.bump()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn eat_word(&mut self, word: &str) -> Result<bool> {
        if self.is_word(word) {
            self.bump()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// How the current token is named in a message.
    fn found(&self) -> String {
        if self.is(&TokenKind::Eof) {
            return "end of pipeline".into();
        }
        let text = self.text(self.tok.span);
        if text.chars().count() > 40 {
            let short: String = text.chars().take(40).collect();
            format!("`{short}…`")
        } else {
            format!("`{text}`")
        }
    }

    /// `expected WHAT, found `x`` — or, at the end of the pipeline,
    /// `expected WHAT after `the last token``.
    fn expected(&self, what: &str) -> LangError {
        let message = if self.is(&TokenKind::Eof) {
            format!("expected {what} after `{}`", self.text(self.prev))
        } else {
            format!("expected {what}, found {}", self.found())
        };
        LangError::new(message, self.tok.span)
    }

    /// `expected an expression after `where`[, found `|`]`: an expression
    /// is always wanted after something, and naming it helps.
    fn expected_expr(&self) -> LangError {
        let mut err = self.expected("an expression");
        if !self.is(&TokenKind::Eof) {
            err.message = format!(
                "expected an expression after `{}`, found {}",
                self.text(self.prev),
                self.found()
            );
        }
        err
    }

    fn expect(&mut self, kind: TokenKind, what: &str) -> Result<Token> {
        if self.is(&kind) {
            self.bump()
        } else {
            Err(self.expected(what))
        }
    }

    /// A stage is over: the next token must be `|` or the end. `expected`
    /// lists what else could have come (for the message), `words` the
    /// clause words a misspelt word may have meant.
    fn end_stage(&self, expected: &[&str], words: &[&str]) -> Result<()> {
        match &self.tok.kind {
            TokenKind::Pipe | TokenKind::Eof => Ok(()),
            TokenKind::OrOr => Err(LangError::new(
                "empty stage between `|` and `|`",
                self.tok.span,
            )),
            kind => {
                let mut list: Vec<&str> = expected.to_vec();
                list.push("`|`");
                let what = format!("{} or end of pipeline", list.join(", "));
                let mut err = self.expected(&what);
                if let TokenKind::Ident(w) = kind {
                    if let Some(help) = did_you_mean(w, words) {
                        err = err.with_help(help);
                    } else if STAGES.contains(&w.as_str()) {
                        err = err.with_help(format!("a new stage starts with `|`: `| {w} …`"));
                    }
                }
                Err(err)
            }
        }
    }

    // ---- pipeline and stages ----

    fn pipeline(&mut self) -> Result<Pipeline> {
        let mut stages = vec![];
        if self.is(&TokenKind::Eof) {
            return Ok(Pipeline { stages });
        }
        if self.is(&TokenKind::Pipe) || self.is(&TokenKind::OrOr) {
            return Err(LangError::new("expected a stage before `|`", self.tok.span));
        }
        loop {
            stages.push(self.stage()?);
            match self.tok.kind {
                TokenKind::Eof => return Ok(Pipeline { stages }),
                TokenKind::Pipe => {
                    let pipe = self.bump()?;
                    if self.is(&TokenKind::Pipe) {
                        return Err(LangError::new(
                            "empty stage between `|` and `|`",
                            pipe.span.to(self.tok.span),
                        ));
                    }
                    if self.is(&TokenKind::Eof) {
                        return Err(LangError::new("expected a stage after `|`", self.tok.span));
                    }
                }
                // Every stage checks its own end; this keeps a bug from looping.
                _ => return Err(self.expected("`|` or end of pipeline")),
            }
        }
    }

    fn stage(&mut self) -> Result<Stage> {
        let start = self.tok.span;
        let Some(word) = self.word().map(str::to_string) else {
            return Err(self.expected("a stage"));
        };
        let kind = match word.as_str() {
            "where" | "filter" => {
                self.bump()?;
                let e = self.expr()?;
                self.end_stage(&["an operator"], &OPERATOR_WORDS)?;
                StageKind::Where(e)
            }
            "select" => self.select()?,
            "eval" => self.eval()?,
            "drop" => {
                self.bump()?;
                let mut fields = vec![self.field_path("a field")?];
                while self.eat(&TokenKind::Comma)? {
                    fields.push(self.field_path("a field")?);
                }
                self.end_stage(&["`,`"], &[])?;
                StageKind::Drop(fields)
            }
            "rename" => {
                self.bump()?;
                let mut pairs = vec![];
                loop {
                    let from = self.field_path("a field")?;
                    if !self.eat_word("as")? {
                        return Err(self.expected("`as`"));
                    }
                    let to = self.field_path("a field name")?;
                    pairs.push((from, to));
                    if !self.eat(&TokenKind::Comma)? {
                        break;
                    }
                }
                self.end_stage(&["`,`"], &[])?;
                StageKind::Rename(pairs)
            }
            "parse" => self.parse_stage()?,
            "stats" => self.aggregate(true)?,
            "running" => self.running()?,
            "join" | "left" => self.join()?,
            "dedup" => {
                self.bump()?;
                let keys = self.keys()?;
                let within = if self.eat_word("within")? {
                    Some(self.duration()?)
                } else {
                    None
                };
                let exp: &[&str] = if within.is_none() {
                    &["`,`", "`within`"]
                } else {
                    &[]
                };
                self.end_stage(exp, &["within"])?;
                StageKind::Dedup { keys, within }
            }
            "head" => {
                self.bump()?;
                let n = self.count()?;
                self.end_stage(&[], &[])?;
                StageKind::Head(n)
            }
            "top" => self.top()?,
            w if AGGREGATES.contains(&w) => self.aggregate(false)?,
            _ => {
                let mut err = LangError::new(format!("unknown stage `{word}`"), self.tok.span);
                if let Some(help) = did_you_mean(&word, &STAGES) {
                    err = err.with_help(help);
                }
                return Err(err);
            }
        };
        Ok(Stage {
            kind,
            span: start.to(self.prev),
        })
    }

    fn select(&mut self) -> Result<StageKind> {
        self.bump()?;
        let mut items = vec![];
        loop {
            items.push(self.select_item()?);
            if !self.eat(&TokenKind::Comma)? {
                break;
            }
        }
        self.end_stage(&["`,`", "an operator"], &OPERATOR_WORDS)?;
        Ok(StageKind::Select(items))
    }

    fn select_item(&mut self) -> Result<SelectItem> {
        // `name = EXPR` needs a look past the name: try it, else rewind.
        if self.starts_field() {
            let saved = (self.lex, self.tok.clone(), self.prev);
            let path = self.field_path("a field")?;
            if self.eat(&TokenKind::Assign)? {
                let expr = self.expr()?;
                return Ok(SelectItem { expr, name: path });
            }
            (self.lex, self.tok, self.prev) = saved;
        }
        let expr = self.expr()?;
        if self.eat_word("as")? {
            let name = self.field_path("a name")?;
            return Ok(SelectItem { expr, name });
        }
        match &expr.kind {
            ExprKind::Field(p) => Ok(SelectItem {
                name: p.clone(),
                expr,
            }),
            _ => Err(LangError::new("a computed item needs a name", expr.span)
                .with_help("add `as name` after it, or write `name = …`")),
        }
    }

    fn eval(&mut self) -> Result<StageKind> {
        self.bump()?;
        let mut items = vec![];
        loop {
            let name = self.field_path("a field name")?;
            self.expect(TokenKind::Assign, "`=`")?;
            let expr = self.expr()?;
            items.push(Assignment { name, expr });
            if !self.eat(&TokenKind::Comma)? {
                break;
            }
        }
        self.end_stage(&["`,`", "an operator"], &OPERATOR_WORDS)?;
        Ok(StageKind::Eval(items))
    }

    fn parse_stage(&mut self) -> Result<StageKind> {
        self.bump()?;
        let kind = match self.word() {
            Some("regex") => {
                self.bump()?;
                let TokenKind::Str(pattern) = self.tok.kind.clone() else {
                    return Err(self.expected("a quoted regex like \"(?P<ms>\\d+)ms\""));
                };
                let span = self.tok.span;
                check_regex(&pattern, span)?;
                self.bump()?;
                ParseKind::Regex { pattern, span }
            }
            Some("logfmt") => {
                self.bump()?;
                ParseKind::Logfmt
            }
            Some("json") => {
                self.bump()?;
                ParseKind::Json
            }
            other => {
                let mut err = self.expected("`regex`, `logfmt` or `json`");
                if let Some(help) =
                    other.and_then(|w| did_you_mean(w, &["regex", "logfmt", "json"]))
                {
                    err = err.with_help(help);
                }
                return Err(err);
            }
        };
        let from = if self.eat_word("from")? {
            Some(self.field_path("a field")?)
        } else {
            None
        };
        let exp: &[&str] = if from.is_none() { &["`from`"] } else { &[] };
        self.end_stage(exp, &["from"])?;
        Ok(StageKind::Parse { kind, from })
    }

    fn aggregate(&mut self, stats: bool) -> Result<StageKind> {
        let mut aggs = vec![];
        if stats {
            self.bump()?;
            loop {
                aggs.push(self.agg_call(false)?);
                if !self.eat(&TokenKind::Comma)? {
                    break;
                }
            }
        } else {
            aggs.push(self.agg_call(false)?);
            if self.is(&TokenKind::Comma) {
                return Err(self
                    .expected("`by`, `every`, `session`, `emit`, `|` or end of pipeline")
                    .with_help("several aggregates are written `stats count, avg(x)`"));
            }
        }
        let mut by = None;
        let mut window = None;
        let mut emit = None;
        loop {
            let span = self.tok.span;
            if self.is_word("by") {
                if by.is_some() {
                    return Err(LangError::new("duplicate `by`", span));
                }
                self.bump()?;
                by = Some(self.keys()?);
            } else if self.is_word("every") || self.is_word("session") {
                if window.is_some() {
                    return Err(LangError::new("an aggregation has only one window", span));
                }
                window = Some(self.window()?);
            } else if self.is_word("emit") {
                if emit.is_some() {
                    return Err(LangError::new("duplicate `emit`", span));
                }
                emit = Some(self.emit()?);
            } else {
                break;
            }
        }
        let mut expected = vec![];
        if by.is_none() {
            expected.push("`by`");
        } else {
            expected.push("`,`");
        }
        if window.is_none() {
            expected.extend(["`every`", "`session`"]);
        }
        if emit.is_none() {
            expected.push("`emit`");
        }
        self.end_stage(&expected, &["by", "every", "session", "emit", "slide"])?;
        Ok(StageKind::Aggregate(Aggregation {
            aggs,
            by: by.unwrap_or_default(),
            window,
            emit: emit.unwrap_or_default(),
            stats_form: stats,
        }))
    }

    fn running(&mut self) -> Result<StageKind> {
        self.bump()?;
        let mut aggs = vec![];
        loop {
            aggs.push(self.agg_call(true)?);
            if !self.eat(&TokenKind::Comma)? {
                break;
            }
        }
        let mut by = None;
        let mut scope = None;
        loop {
            let span = self.tok.span;
            if self.is_word("by") {
                if by.is_some() {
                    return Err(LangError::new("duplicate `by`", span));
                }
                self.bump()?;
                by = Some(self.keys()?);
            } else if self.is_word("over") || self.is_word("last") {
                if scope.is_some() {
                    return Err(LangError::new("`over` and `last` cannot be combined", span)
                        .with_help("a running aggregate has one scope"));
                }
                scope = Some(if self.eat_word("over")? {
                    RunningScope::Over(self.duration()?.millis)
                } else {
                    self.bump()?;
                    RunningScope::Last(self.count()?)
                });
            } else {
                break;
            }
        }
        let mut expected = vec![if by.is_none() { "`by`" } else { "`,`" }];
        if scope.is_none() {
            expected.extend(["`over`", "`last`"]);
        }
        self.end_stage(&expected, &["by", "over", "last"])?;
        Ok(StageKind::Running {
            aggs,
            by: by.unwrap_or_default(),
            scope: scope.unwrap_or_default(),
        })
    }

    fn join(&mut self) -> Result<StageKind> {
        let left = self.is_word("left");
        if left {
            self.bump()?;
            if !self.is_word("join") {
                return Err(self.expected("`join`"));
            }
        }
        // The file is raw text (`./data/u.jsonl`), not tokens: read it from
        // the source right after `join`.
        let join = self.tok.span;
        self.lex.set_pos(join.end);
        self.prev = join;
        self.tok = match self.lex.raw_word() {
            Some(word) => word,
            None => self.lex.next_token()?,
        };
        let file = match &self.tok.kind {
            TokenKind::Word(f) | TokenKind::Str(f) => f.clone(),
            _ => return Err(self.expected("a file")),
        };
        let file_span = self.bump()?.span;
        if !self.eat_word("on")? {
            return Err(self.expected("`on`"));
        }
        let key = self.field_path("a field")?;
        let lookup_key = if self.eat(&TokenKind::Assign)? {
            Some(self.name("a column name")?)
        } else {
            None
        };
        let prefix = if self.eat_word("prefix")? {
            Some(self.name("a prefix")?)
        } else {
            None
        };
        let mut expected = vec![];
        if lookup_key.is_none() && prefix.is_none() {
            expected.push("`=`");
        }
        if prefix.is_none() {
            expected.push("`prefix`");
        }
        self.end_stage(&expected, &["prefix"])?;
        Ok(StageKind::Join(Join {
            left,
            file,
            file_span,
            key,
            lookup_key,
            prefix,
        }))
    }

    fn top(&mut self) -> Result<StageKind> {
        self.bump()?;
        let n = self.count()?;
        if self.is(&TokenKind::Eof) || self.is(&TokenKind::Pipe) || self.is_word("by") {
            return Err(self.expected("a key like `path`"));
        }
        let keys = self.keys()?;
        let mut by = None;
        let mut window = None;
        loop {
            let span = self.tok.span;
            if self.is_word("by") {
                if by.is_some() {
                    return Err(LangError::new("duplicate `by`", span));
                }
                self.bump()?;
                by = Some(self.agg_call(false)?);
            } else if self.is_word("every") || self.is_word("session") {
                if window.is_some() {
                    return Err(LangError::new("`top` has only one window", span));
                }
                window = Some(self.window()?);
            } else {
                break;
            }
        }
        let mut expected = vec![];
        if by.is_none() {
            expected.extend(["`,`", "`by`"]);
        }
        if window.is_none() {
            expected.extend(["`every`", "`session`"]);
        }
        self.end_stage(&expected, &["by", "every", "session", "slide"])?;
        Ok(StageKind::Top {
            n,
            keys,
            by,
            window,
        })
    }

    // ---- clauses ----

    fn keys(&mut self) -> Result<Vec<KeyItem>> {
        let mut keys = vec![];
        loop {
            let expr = self.expr()?;
            let name = if self.eat_word("as")? {
                self.name("a name")?
            } else if let ExprKind::Field(p) = &expr.kind {
                p.display_name()
            } else {
                return Err(
                    LangError::new("a key that is an expression needs a name", expr.span)
                        .with_help("add `as name` after it"),
                );
            };
            keys.push(KeyItem { expr, name });
            if !self.eat(&TokenKind::Comma)? {
                return Ok(keys);
            }
        }
    }

    /// An output name after `as` (or a join column / prefix): a word, a
    /// `` `quoted name` `` or a string.
    fn name(&mut self, what: &str) -> Result<String> {
        match &self.tok.kind {
            TokenKind::Ident(s) | TokenKind::Backtick(s) | TokenKind::Str(s) => {
                let s = s.clone();
                self.bump()?;
                Ok(s)
            }
            _ => Err(self.expected(what)),
        }
    }

    fn window(&mut self) -> Result<Window> {
        let kw = self.bump()?;
        let kind = if self.text(kw.span) == "every" {
            let size = self.duration()?.millis;
            if self.eat_word("slide")? {
                WindowKind::Hopping {
                    size,
                    slide: self.duration()?.millis,
                }
            } else {
                WindowKind::Tumbling { size }
            }
        } else {
            WindowKind::Session {
                gap: self.duration()?.millis,
            }
        };
        Ok(Window {
            kind,
            span: kw.span.to(self.prev),
        })
    }

    fn emit(&mut self) -> Result<Emit> {
        self.bump()?;
        if self.eat_word("on")? {
            if self.eat_word("close")? {
                return Ok(Emit::OnClose);
            }
            if self.eat_word("update")? {
                return Ok(Emit::OnUpdate);
            }
            return Err(
                self.with_suggestion(self.expected("`close` or `update`"), &["close", "update"])
            );
        }
        if self.eat_word("every")? {
            return Ok(Emit::Every(self.duration()?.millis));
        }
        Err(self.with_suggestion(
            self.expected("`on close`, `on update` or `every D`"),
            &["on", "every"],
        ))
    }

    fn with_suggestion(&self, err: LangError, words: &[&str]) -> LangError {
        match self.word().and_then(|w| did_you_mean(w, words)) {
            Some(help) => err.with_help(help),
            None => err,
        }
    }

    /// A positive duration (`30s`, `1m30s`).
    fn duration(&mut self) -> Result<Duration> {
        let what = "a duration like 30s or 5m";
        match self.tok.kind {
            TokenKind::Duration(0) => Err(LangError::new(
                "a duration must be greater than zero",
                self.tok.span,
            )),
            TokenKind::Duration(millis) => Ok(Duration {
                millis,
                span: self.bump()?.span,
            }),
            TokenKind::Int(_) | TokenKind::Float(_) => Err(self
                .expected(what)
                .with_help("add a unit: ms, s, m, h or d")),
            _ => Err(self.expected(what)),
        }
    }

    /// A count of events or rows (`head 10`).
    fn count(&mut self) -> Result<u64> {
        match self.tok.kind {
            TokenKind::Int(n) => {
                self.bump()?;
                Ok(n)
            }
            _ => Err(self.expected("a count like 10")),
        }
    }

    /// A plain number (a percentile or an alpha).
    fn number(&mut self, what: &str) -> Result<(f64, Span)> {
        let value = match self.tok.kind {
            TokenKind::Int(n) => n as f64,
            TokenKind::Float(f) => f,
            _ => return Err(self.expected(what)),
        };
        Ok((value, self.bump()?.span))
    }

    /// One aggregate, with its `as name`.
    fn agg_call(&mut self, in_running: bool) -> Result<AggCall> {
        let start = self.tok.span;
        let Some(word) = self.word().map(str::to_string) else {
            return Err(self.expected("an aggregate like `count` or `avg(x)`"));
        };
        let func = match word.as_str() {
            "count" => AggFunc::Count,
            "sum" => AggFunc::Sum,
            "avg" => AggFunc::Avg,
            "min" => AggFunc::Min,
            "max" => AggFunc::Max,
            "distinct" => AggFunc::Distinct,
            "p50" => AggFunc::Percentile(50.0),
            "p90" => AggFunc::Percentile(90.0),
            "p95" => AggFunc::Percentile(95.0),
            "p99" => AggFunc::Percentile(99.0),
            "percentile" => AggFunc::Percentile(0.0),
            "stddev" => AggFunc::Stddev,
            "first" => AggFunc::First,
            "last" => AggFunc::Last,
            "ewma" if in_running => AggFunc::Ewma(0.0),
            "ewma" => {
                return Err(LangError::new("`ewma` is only allowed in `running`", start)
                    .with_help("write `running ewma(x, 0.3)`"))
            }
            _ => {
                let mut err = LangError::new(format!("unknown aggregate `{word}`"), start);
                let help = did_you_mean(&word, &AGGREGATES).or_else(|| {
                    STAGES.contains(&word.as_str()).then(|| {
                        "aggregates are count, sum, avg, min, max, distinct, p50, p90, p95, p99, \
                         percentile, stddev, first, last"
                            .to_string()
                    })
                });
                if let Some(help) = help {
                    err = err.with_help(help);
                }
                return Err(err);
            }
        };
        self.bump()?;
        let (func, arg) = match func {
            AggFunc::Count => {
                if self.eat(&TokenKind::LParen)? && !self.eat(&TokenKind::RParen)? {
                    return Err(LangError::new("`count` takes no argument", self.tok.span)
                        .with_help("write `count` or `count()`"));
                }
                (func, None)
            }
            AggFunc::Percentile(_) if word == "percentile" => {
                self.expect(TokenKind::LParen, "`(`")?;
                let arg = self.expr()?;
                self.expect(TokenKind::Comma, "`,` and a percentile like 99.9")?;
                let (q, span) = self.number("a percentile like 99.9")?;
                if !(0.0..=100.0).contains(&q) {
                    return Err(LangError::new(
                        "a percentile must be between 0 and 100",
                        span,
                    ));
                }
                self.expect(TokenKind::RParen, "`)`")?;
                (AggFunc::Percentile(q), Some(arg))
            }
            AggFunc::Ewma(_) => {
                self.expect(TokenKind::LParen, "`(`")?;
                let arg = self.expr()?;
                self.expect(TokenKind::Comma, "`,` and an alpha like 0.3")?;
                let (alpha, span) = self.number("an alpha like 0.3")?;
                if !(alpha > 0.0 && alpha <= 1.0) {
                    return Err(LangError::new(
                        "alpha must be greater than 0 and at most 1",
                        span,
                    ));
                }
                self.expect(TokenKind::RParen, "`)`")?;
                (AggFunc::Ewma(alpha), Some(arg))
            }
            _ => {
                if self.eat(&TokenKind::LParen)? {
                    let arg = self.expr()?;
                    if self.is(&TokenKind::Comma) {
                        return Err(LangError::new(
                            format!("`{word}` takes one argument"),
                            self.tok.span,
                        ));
                    }
                    self.expect(TokenKind::RParen, "`)`")?;
                    (func, Some(arg))
                } else if self.starts_field()
                    && !self.word().is_some_and(|w| CLAUSE_WORDS.contains(&w))
                {
                    // `avg latency_ms`: a bare field after the name.
                    let path = self.field_path("a field")?;
                    (
                        func,
                        Some(Expr {
                            span: path.span,
                            kind: ExprKind::Field(path),
                        }),
                    )
                } else {
                    return Err(self.expected(&format!("`(` or a field after `{word}`")));
                }
            }
        };
        let arg_text = arg.as_ref().map_or("", |a| self.text(a.span));
        let mut name = default_agg_name(func, arg.as_ref(), arg_text);
        if self.eat_word("as")? {
            name = self.name("a name")?;
        }
        Ok(AggCall {
            func,
            arg,
            name,
            span: start.to(self.prev),
        })
    }

    // ---- expressions ----

    /// True when the current token can start a field path.
    fn starts_field(&self) -> bool {
        match &self.tok.kind {
            TokenKind::Ident(w) => !RESERVED.contains(&w.as_str()),
            TokenKind::Backtick(_) => true,
            _ => false,
        }
    }

    fn field_path(&mut self, what: &str) -> Result<FieldPath> {
        let first = match &self.tok.kind {
            TokenKind::Ident(w) if RESERVED.contains(&w.as_str()) => {
                return Err(self
                    .expected(what)
                    .with_help(format!("write `` `{w}` `` to use it as a field name")))
            }
            TokenKind::Ident(w) | TokenKind::Backtick(w) => w.clone(),
            _ => return Err(self.expected(what)),
        };
        let start = self.bump()?.span;
        let mut parts = vec![first];
        while self.eat(&TokenKind::Dot)? {
            match &self.tok.kind {
                TokenKind::Ident(w) | TokenKind::Backtick(w) => {
                    parts.push(w.clone());
                    self.bump()?;
                }
                _ => return Err(self.expected("a field name")),
            }
        }
        Ok(FieldPath {
            parts,
            span: start.to(self.prev),
        })
    }

    fn expr(&mut self) -> Result<Expr> {
        self.or_expr()
    }

    fn or_expr(&mut self) -> Result<Expr> {
        let mut left = self.and_expr()?;
        while self.is(&TokenKind::OrOr) || self.is_word("or") {
            self.bump()?;
            let right = self.and_expr()?;
            left = binary(BinaryOp::Or, left, right);
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr> {
        let mut left = self.not_expr()?;
        while self.is(&TokenKind::AndAnd) || self.is_word("and") {
            self.bump()?;
            let right = self.not_expr()?;
            left = binary(BinaryOp::And, left, right);
        }
        Ok(left)
    }

    fn not_expr(&mut self) -> Result<Expr> {
        if self.is(&TokenKind::Bang) || self.is_word("not") {
            let op = self.bump()?;
            let e = self.not_expr()?;
            return Ok(Expr {
                span: op.span.to(e.span),
                kind: ExprKind::Unary(UnaryOp::Not, Box::new(e)),
            });
        }
        self.cmp_expr()
    }

    fn cmp_op(&self) -> Option<Cmp> {
        Some(Cmp::Bin(match &self.tok.kind {
            TokenKind::EqEq => BinaryOp::Eq,
            TokenKind::Ne => BinaryOp::Ne,
            TokenKind::Lt => BinaryOp::Lt,
            TokenKind::Le => BinaryOp::Le,
            TokenKind::Gt => BinaryOp::Gt,
            TokenKind::Ge => BinaryOp::Ge,
            TokenKind::Match => BinaryOp::Match,
            TokenKind::NotMatch => BinaryOp::NotMatch,
            TokenKind::Ident(w) => match w.as_str() {
                "contains" => BinaryOp::Contains,
                "startswith" => BinaryOp::StartsWith,
                "endswith" => BinaryOp::EndsWith,
                "in" => return Some(Cmp::In),
                _ => return None,
            },
            _ => return None,
        }))
    }

    fn cmp_expr(&mut self) -> Result<Expr> {
        let left = self.add_expr()?;
        let Some(op) = self.cmp_op() else {
            return Ok(left);
        };
        self.bump()?;
        let e = match op {
            Cmp::Bin(op) => {
                let right = self.add_expr()?;
                binary(op, left, right)
            }
            Cmp::In => {
                self.expect(TokenKind::LBracket, "`[` and a list of values")?;
                let mut items = vec![];
                if !self.is(&TokenKind::RBracket) {
                    loop {
                        items.push(self.expr()?);
                        if !self.eat(&TokenKind::Comma)? {
                            break;
                        }
                    }
                }
                self.expect(TokenKind::RBracket, "`,` or `]`")?;
                Expr {
                    span: left.span.to(self.prev),
                    kind: ExprKind::In(Box::new(left), items),
                }
            }
        };
        if self.cmp_op().is_some() {
            return Err(
                LangError::new("comparison operators cannot be chained", self.tok.span)
                    .with_help("combine comparisons with `and`, or add parentheses"),
            );
        }
        Ok(e)
    }

    fn add_expr(&mut self) -> Result<Expr> {
        let mut left = self.mul_expr()?;
        loop {
            let op = match self.tok.kind {
                TokenKind::Plus => BinaryOp::Add,
                TokenKind::Minus => BinaryOp::Sub,
                _ => return Ok(left),
            };
            self.bump()?;
            let right = self.mul_expr()?;
            left = binary(op, left, right);
        }
    }

    fn mul_expr(&mut self) -> Result<Expr> {
        let mut left = self.unary_expr()?;
        loop {
            let op = match self.tok.kind {
                TokenKind::Star => BinaryOp::Mul,
                TokenKind::Slash => BinaryOp::Div,
                TokenKind::Percent => BinaryOp::Rem,
                _ => return Ok(left),
            };
            self.bump()?;
            let right = self.unary_expr()?;
            left = binary(op, left, right);
        }
    }

    fn unary_expr(&mut self) -> Result<Expr> {
        if !self.is(&TokenKind::Minus) {
            return self.atom();
        }
        let minus = self.bump()?.span;
        // `-1.5` is a literal, not a negation (so `-9223372036854775808` fits).
        let lit = match self.tok.kind {
            TokenKind::Int(n) => Some(Literal::Int((n as i128).wrapping_neg() as i64)),
            TokenKind::Float(f) => Some(Literal::Float(-f)),
            TokenKind::Duration(ms) => Some(Literal::Duration(-ms)),
            _ => None,
        };
        if let Some(lit) = lit {
            let span = minus.to(self.bump()?.span);
            return Ok(Expr {
                kind: ExprKind::Literal(lit),
                span,
            });
        }
        let e = self.unary_expr()?;
        Ok(Expr {
            span: minus.to(e.span),
            kind: ExprKind::Unary(UnaryOp::Neg, Box::new(e)),
        })
    }

    fn atom(&mut self) -> Result<Expr> {
        let span = self.tok.span;
        let lit = |kind| {
            Ok(Expr {
                kind: ExprKind::Literal(kind),
                span,
            })
        };
        match self.tok.kind.clone() {
            TokenKind::Int(n) => {
                let Ok(n) = i64::try_from(n) else {
                    return Err(LangError::new(
                        format!("integer `{}` is too large", self.text(span)),
                        span,
                    ));
                };
                self.bump()?;
                lit(Literal::Int(n))
            }
            TokenKind::Float(f) => {
                self.bump()?;
                lit(Literal::Float(f))
            }
            TokenKind::Duration(ms) => {
                self.bump()?;
                lit(Literal::Duration(ms))
            }
            TokenKind::Str(s) => {
                self.bump()?;
                lit(Literal::Str(s))
            }
            TokenKind::Ident(w) => match w.as_str() {
                "true" | "false" | "null" => {
                    self.bump()?;
                    lit(match w.as_str() {
                        "true" => Literal::Bool(true),
                        "false" => Literal::Bool(false),
                        _ => Literal::Null,
                    })
                }
                "not" => Err(self.expected_expr().with_help("add parentheses: `(not …)`")),
                _ if RESERVED.contains(&w.as_str()) => Err(self.expected_expr()),
                _ if self.peek2() == Some(TokenKind::LParen) => self.call(w),
                _ => {
                    let path = self.field_path("a field")?;
                    Ok(Expr {
                        span: path.span,
                        kind: ExprKind::Field(path),
                    })
                }
            },
            TokenKind::Backtick(_) => {
                let path = self.field_path("a field")?;
                Ok(Expr {
                    span: path.span,
                    kind: ExprKind::Field(path),
                })
            }
            TokenKind::LParen => {
                self.bump()?;
                let mut e = self.expr()?;
                self.expect(TokenKind::RParen, "`)`")?;
                // The span covers the parentheses (default names use the text).
                e.span = span.to(self.prev);
                Ok(e)
            }
            TokenKind::LBracket => Err(LangError::new(
                "a list `[…]` is only allowed after `in`",
                span,
            )),
            _ => Err(self.expected_expr()),
        }
    }

    fn call(&mut self, name: String) -> Result<Expr> {
        let name_span = self.bump()?.span;
        self.bump()?; // `(`
        let mut args = vec![];
        if !self.is(&TokenKind::RParen) {
            loop {
                args.push(self.expr()?);
                if !self.eat(&TokenKind::Comma)? {
                    break;
                }
            }
        }
        self.expect(TokenKind::RParen, "`,` or `)`")?;
        Ok(Expr {
            span: name_span.to(self.prev),
            kind: ExprKind::Call {
                name,
                name_span,
                args,
            },
        })
    }
}

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr {
        span: left.span.to(right.span),
        kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
    }
}

/// A `parse regex` pattern must compile and name at least one group (its
/// named groups become the fields).
fn check_regex(pattern: &str, span: Span) -> Result<()> {
    match regex::Regex::new(pattern) {
        Ok(re) if re.capture_names().flatten().next().is_some() => Ok(()),
        Ok(_) => Err(LangError::new("the regex has no named group", span)
            .with_help("name the groups that become fields, like (?P<ms>\\d+)")),
        Err(e) => {
            // The regex crate's message is a small drawing; keep its last line.
            let text = e.to_string();
            let last = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            let reason = last.trim().trim_start_matches("error: ");
            Err(LangError::new(format!("invalid regex: {reason}"), span))
        }
    }
}

/// Zero every span, so trees from different texts compare equal (tests).
#[cfg(test)]
pub(crate) mod strip {
    use crate::lang::{ast::*, span::Span};

    pub fn pipeline(mut p: Pipeline) -> Pipeline {
        for s in &mut p.stages {
            stage(s);
        }
        p
    }

    fn stage(s: &mut Stage) {
        s.span = Span::default();
        match &mut s.kind {
            StageKind::Where(e) => expr(e),
            StageKind::Select(items) => {
                for i in items {
                    expr(&mut i.expr);
                    path(&mut i.name);
                }
            }
            StageKind::Eval(items) => {
                for a in items {
                    expr(&mut a.expr);
                    path(&mut a.name);
                }
            }
            StageKind::Drop(ps) => ps.iter_mut().for_each(path),
            StageKind::Rename(pairs) => {
                for (a, b) in pairs {
                    path(a);
                    path(b);
                }
            }
            StageKind::Parse { kind, from } => {
                if let ParseKind::Regex { span, .. } = kind {
                    *span = Span::default();
                }
                from.iter_mut().for_each(path);
            }
            StageKind::Aggregate(a) => {
                a.aggs.iter_mut().for_each(agg);
                a.by.iter_mut().for_each(|k| expr(&mut k.expr));
                a.window.iter_mut().for_each(|w| w.span = Span::default());
            }
            StageKind::Running { aggs, by, .. } => {
                aggs.iter_mut().for_each(agg);
                by.iter_mut().for_each(|k| expr(&mut k.expr));
            }
            StageKind::Join(j) => {
                j.file_span = Span::default();
                path(&mut j.key);
            }
            StageKind::Dedup { keys, within } => {
                keys.iter_mut().for_each(|k| expr(&mut k.expr));
                within.iter_mut().for_each(|d| d.span = Span::default());
            }
            StageKind::Head(_) => {}
            StageKind::Top {
                keys, by, window, ..
            } => {
                keys.iter_mut().for_each(|k| expr(&mut k.expr));
                by.iter_mut().for_each(agg);
                window.iter_mut().for_each(|w| w.span = Span::default());
            }
        }
    }

    fn agg(a: &mut AggCall) {
        a.span = Span::default();
        a.arg.iter_mut().for_each(expr);
    }

    fn path(p: &mut FieldPath) {
        p.span = Span::default();
    }

    pub fn expr(e: &mut Expr) {
        e.span = Span::default();
        match &mut e.kind {
            ExprKind::Field(p) => path(p),
            ExprKind::Literal(_) => {}
            ExprKind::Unary(_, a) => expr(a),
            ExprKind::Binary(_, a, b) => {
                expr(a);
                expr(b);
            }
            ExprKind::In(a, items) => {
                expr(a);
                items.iter_mut().for_each(expr);
            }
            ExprKind::Call {
                name_span, args, ..
            } => {
                *name_span = Span::default();
                args.iter_mut().for_each(expr);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::print::print;

    // ---- helpers: build trees without spans ----

    fn fp(s: &str) -> FieldPath {
        FieldPath {
            parts: s.split('.').map(String::from).collect(),
            span: Span::default(),
        }
    }
    fn e(kind: ExprKind) -> Expr {
        Expr {
            kind,
            span: Span::default(),
        }
    }
    fn f(s: &str) -> Expr {
        e(ExprKind::Field(fp(s)))
    }
    fn int(n: i64) -> Expr {
        e(ExprKind::Literal(Literal::Int(n)))
    }
    fn s(v: &str) -> Expr {
        e(ExprKind::Literal(Literal::Str(v.into())))
    }
    fn bin(op: BinaryOp, l: Expr, r: Expr) -> Expr {
        e(ExprKind::Binary(op, Box::new(l), Box::new(r)))
    }
    fn call(name: &str, args: Vec<Expr>) -> Expr {
        e(ExprKind::Call {
            name: name.into(),
            name_span: Span::default(),
            args,
        })
    }
    fn key(s: &str) -> KeyItem {
        KeyItem {
            expr: f(s),
            name: s.into(),
        }
    }
    fn agg(func: AggFunc, arg: Option<Expr>, name: &str) -> AggCall {
        AggCall {
            func,
            arg,
            name: name.into(),
            span: Span::default(),
        }
    }
    fn aggregation(aggs: Vec<AggCall>, by: Vec<KeyItem>) -> Aggregation {
        Aggregation {
            aggs,
            by,
            window: None,
            emit: Emit::OnClose,
            stats_form: false,
        }
    }
    fn win(kind: WindowKind) -> Option<Window> {
        Some(Window {
            kind,
            span: Span::default(),
        })
    }

    /// The stages of `src`, spans zeroed.
    fn stages(src: &str) -> Vec<StageKind> {
        match parse(src) {
            Ok(p) => strip::pipeline(p)
                .stages
                .into_iter()
                .map(|s| s.kind)
                .collect(),
            Err(err) => panic!("{}", err.render(src)),
        }
    }

    fn one(src: &str) -> StageKind {
        let mut v = stages(src);
        assert_eq!(v.len(), 1, "{src}");
        v.remove(0)
    }

    fn where_expr(src: &str) -> Expr {
        match one(&format!("where {src}")) {
            StageKind::Where(e) => e,
            other => panic!("{other:?}"),
        }
    }

    /// An expression as an s-expression, to check precedence at a glance.
    fn sx(src: &str) -> String {
        fn go(e: &Expr) -> String {
            match &e.kind {
                ExprKind::Field(p) => p.parts.join("."),
                ExprKind::Literal(Literal::Str(v)) => format!("{v:?}"),
                ExprKind::Literal(Literal::Float(v)) => format!("{v:?}"),
                ExprKind::Literal(Literal::Int(v)) => v.to_string(),
                ExprKind::Literal(Literal::Duration(v)) => format!("{v}ms"),
                ExprKind::Literal(Literal::Bool(v)) => v.to_string(),
                ExprKind::Literal(Literal::Null) => "null".into(),
                ExprKind::Unary(UnaryOp::Not, a) => format!("(not {})", go(a)),
                ExprKind::Unary(UnaryOp::Neg, a) => format!("(neg {})", go(a)),
                ExprKind::Binary(op, a, b) => format!("({} {} {})", op.symbol(), go(a), go(b)),
                ExprKind::In(a, items) => format!(
                    "(in {} [{}])",
                    go(a),
                    items.iter().map(go).collect::<Vec<_>>().join(" ")
                ),
                ExprKind::Call { name, args, .. } => format!(
                    "({name}{})",
                    args.iter()
                        .map(|a| format!(" {}", go(a)))
                        .collect::<String>()
                ),
            }
        }
        go(&where_expr(src))
    }

    fn check_err(src: &str, lines: &[&str]) {
        match parse(src) {
            Ok(p) => panic!("{src:?} parsed: {p:?}"),
            Err(err) => assert_eq!(err.render(src), lines.join("\n") + "\n", "{src:?}"),
        }
    }

    // ---- stages ----

    #[test]
    fn where_and_filter() {
        let want = StageKind::Where(bin(BinaryOp::Ge, f("status"), int(500)));
        assert_eq!(one("where status >= 500"), want);
        assert_eq!(one("filter status >= 500"), want);
    }

    #[test]
    fn select_items() {
        assert_eq!(
            one("select a, req.path, a + 1 as x, y = lower(z), b as c.d"),
            StageKind::Select(vec![
                SelectItem {
                    expr: f("a"),
                    name: fp("a")
                },
                SelectItem {
                    expr: f("req.path"),
                    name: fp("req.path")
                },
                SelectItem {
                    expr: bin(BinaryOp::Add, f("a"), int(1)),
                    name: fp("x")
                },
                SelectItem {
                    expr: call("lower", vec![f("z")]),
                    name: fp("y")
                },
                SelectItem {
                    expr: f("b"),
                    name: fp("c.d")
                },
            ])
        );
    }

    #[test]
    fn eval_drop_rename() {
        assert_eq!(
            one("eval x = 1, y.z = \"a\""),
            StageKind::Eval(vec![
                Assignment {
                    name: fp("x"),
                    expr: int(1)
                },
                Assignment {
                    name: fp("y.z"),
                    expr: s("a")
                },
            ])
        );
        assert_eq!(
            one("drop a, b.c"),
            StageKind::Drop(vec![fp("a"), fp("b.c")])
        );
        assert_eq!(
            one("rename a as b, c.d as e"),
            StageKind::Rename(vec![(fp("a"), fp("b")), (fp("c.d"), fp("e"))])
        );
    }

    #[test]
    fn parse_stages() {
        let src = r#"parse regex "(?P<ms>\d+)ms" from msg"#;
        assert_eq!(
            parse(src).unwrap().stages[0].kind,
            StageKind::Parse {
                kind: ParseKind::Regex {
                    pattern: r"(?P<ms>\d+)ms".into(),
                    span: Span::new(12, 27)
                },
                from: Some(FieldPath {
                    parts: vec!["msg".into()],
                    span: Span::new(33, 36)
                }),
            }
        );
        assert_eq!(
            one("parse logfmt"),
            StageKind::Parse {
                kind: ParseKind::Logfmt,
                from: None
            }
        );
        assert_eq!(
            one("parse json from payload"),
            StageKind::Parse {
                kind: ParseKind::Json,
                from: Some(fp("payload"))
            }
        );
    }

    #[test]
    fn count_with_and_without_parentheses() {
        let want = StageKind::Aggregate(aggregation(
            vec![agg(AggFunc::Count, None, "count")],
            vec![],
        ));
        assert_eq!(one("count"), want);
        assert_eq!(one("count()"), want);
        assert_eq!(one("count ( )"), want);
    }

    #[test]
    fn aggregation_clauses() {
        let count = || vec![agg(AggFunc::Count, None, "count")];
        assert_eq!(
            one("count by path every 1m"),
            StageKind::Aggregate(Aggregation {
                window: win(WindowKind::Tumbling { size: 60_000 }),
                ..aggregation(count(), vec![key("path")])
            })
        );
        assert_eq!(
            one("count by a, b.c every 1m slide 10s emit every 10s"),
            StageKind::Aggregate(Aggregation {
                window: win(WindowKind::Hopping {
                    size: 60_000,
                    slide: 10_000
                }),
                emit: Emit::Every(10_000),
                ..aggregation(count(), vec![key("a"), key("b.c")])
            })
        );
        assert_eq!(
            one("count session 30s emit on update"),
            StageKind::Aggregate(Aggregation {
                window: win(WindowKind::Session { gap: 30_000 }),
                emit: Emit::OnUpdate,
                ..aggregation(count(), vec![])
            })
        );
        assert_eq!(one("count emit on close"), one("count"));
        // Clauses may come in any order.
        assert_eq!(one("count every 1m by path"), one("count by path every 1m"));
        assert_eq!(
            one("count emit on update by path"),
            one("count by path emit on update")
        );
    }

    #[test]
    fn stats_and_names() {
        assert_eq!(
            one("stats count, avg(x) as a, p95(lat), sum(bytes * 8) by path"),
            StageKind::Aggregate(Aggregation {
                stats_form: true,
                ..aggregation(
                    vec![
                        agg(AggFunc::Count, None, "count"),
                        agg(AggFunc::Avg, Some(f("x")), "a"),
                        agg(AggFunc::Percentile(95.0), Some(f("lat")), "p95_lat"),
                        agg(
                            AggFunc::Sum,
                            Some(bin(BinaryOp::Mul, f("bytes"), int(8))),
                            "sum_bytes_8"
                        ),
                    ],
                    vec![key("path")],
                )
            })
        );
    }

    #[test]
    fn default_names() {
        let name = |src: &str| match one(src) {
            StageKind::Aggregate(a) => a.aggs[0].name.clone(),
            StageKind::Running { aggs, .. } => aggs[0].name.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(name("count"), "count");
        assert_eq!(name("sum(latency)"), "sum_latency");
        assert_eq!(name("avg(req.path)"), "avg_req.path");
        assert_eq!(name("avg(`user-agent`)"), "avg_user-agent");
        assert_eq!(name("min(x)"), "min_x");
        assert_eq!(name("max(x)"), "max_x");
        assert_eq!(name("distinct(user)"), "distinct_user");
        assert_eq!(name("p50(x)"), "p50_x");
        assert_eq!(name("p90(x)"), "p90_x");
        assert_eq!(name("p99(x)"), "p99_x");
        assert_eq!(name("percentile(x, 99.9)"), "p99.9_x");
        assert_eq!(name("percentile(x, 50)"), "p50_x");
        assert_eq!(name("stddev(x)"), "stddev_x");
        assert_eq!(name("first(x)"), "first_x");
        assert_eq!(name("last(x)"), "last_x");
        assert_eq!(name("running ewma(x, 0.3)"), "ewma_x");
        assert_eq!(name("sum(a+b)"), "sum_a_b");
        assert_eq!(name("sum((a + b) * 2)"), "sum_a_b_2");
        assert_eq!(name("avg(len(req.path))"), "avg_len_req_path");
        assert_eq!(name("sum(-x)"), "sum_x");
        assert_eq!(name("sum(\"\")"), "sum");
        assert_eq!(name("sum(x) as total"), "total");
        assert_eq!(name("sum(x) as `total bytes`"), "total bytes");
    }

    #[test]
    fn aggregate_functions() {
        let func = |src: &str| match one(src) {
            StageKind::Aggregate(a) => a.aggs[0].func,
            StageKind::Running { aggs, .. } => aggs[0].func,
            other => panic!("{other:?}"),
        };
        assert_eq!(func("p50(x)"), AggFunc::Percentile(50.0));
        assert_eq!(func("percentile(x, 99.9)"), AggFunc::Percentile(99.9));
        assert_eq!(func("percentile(x, 0)"), AggFunc::Percentile(0.0));
        assert_eq!(func("percentile(x, 100)"), AggFunc::Percentile(100.0));
        assert_eq!(func("running ewma(x, 0.3)"), AggFunc::Ewma(0.3));
        assert_eq!(func("running ewma(x, 1)"), AggFunc::Ewma(1.0));
    }

    #[test]
    fn bare_field_after_an_aggregate_name() {
        assert_eq!(
            one("avg latency_ms by path"),
            StageKind::Aggregate(aggregation(
                vec![agg(AggFunc::Avg, Some(f("latency_ms")), "avg_latency_ms")],
                vec![key("path")]
            ))
        );
        assert_eq!(one("sum req.bytes"), one("sum(req.bytes)"));
        assert_eq!(one("p99 `t-ms`"), one("p99(`t-ms`)"));
    }

    #[test]
    fn keys_with_expressions() {
        assert_eq!(
            one("count by len(path) as plen, host"),
            StageKind::Aggregate(aggregation(
                vec![agg(AggFunc::Count, None, "count")],
                vec![
                    KeyItem {
                        expr: call("len", vec![f("path")]),
                        name: "plen".into()
                    },
                    key("host"),
                ]
            ))
        );
        assert_eq!(
            one("count by path as p"),
            StageKind::Aggregate(aggregation(
                vec![agg(AggFunc::Count, None, "count")],
                vec![KeyItem {
                    expr: f("path"),
                    name: "p".into()
                }]
            ))
        );
    }

    #[test]
    fn running() {
        assert_eq!(
            one("running count, ewma(x, 0.3) by k over 5m"),
            StageKind::Running {
                aggs: vec![
                    agg(AggFunc::Count, None, "count"),
                    agg(AggFunc::Ewma(0.3), Some(f("x")), "ewma_x"),
                ],
                by: vec![key("k")],
                scope: RunningScope::Over(300_000),
            }
        );
        assert_eq!(
            one("running sum x last 100"),
            StageKind::Running {
                aggs: vec![agg(AggFunc::Sum, Some(f("x")), "sum_x")],
                by: vec![],
                scope: RunningScope::Last(100),
            }
        );
        assert_eq!(
            one("running avg(x)"),
            StageKind::Running {
                aggs: vec![agg(AggFunc::Avg, Some(f("x")), "avg_x")],
                by: vec![],
                scope: RunningScope::Cumulative,
            }
        );
    }

    #[test]
    fn joins() {
        let src = "left join ./data/u.jsonl on uid = id prefix u_";
        assert_eq!(
            parse(src).unwrap().stages[0].kind,
            StageKind::Join(Join {
                left: true,
                file: "./data/u.jsonl".into(),
                file_span: Span::new(10, 24),
                key: FieldPath {
                    parts: vec!["uid".into()],
                    span: Span::new(28, 31)
                },
                lookup_key: Some("id".into()),
                prefix: Some("u_".into()),
            })
        );
        assert_eq!(
            one("join users.csv on user_id"),
            StageKind::Join(Join {
                left: false,
                file: "users.csv".into(),
                file_span: Span::default(),
                key: fp("user_id"),
                lookup_key: None,
                prefix: None,
            })
        );
        assert_eq!(
            one(r#"join "my users.csv" on `user-id` prefix "u.""#),
            StageKind::Join(Join {
                left: false,
                file: "my users.csv".into(),
                file_span: Span::default(),
                key: FieldPath {
                    parts: vec!["user-id".into()],
                    span: Span::default()
                },
                lookup_key: None,
                prefix: Some("u.".into()),
            })
        );
        // A file name may look like anything, `|` ends it.
        assert_eq!(stages("join 5x.csv on id|head 1").len(), 2);
    }

    #[test]
    fn dedup_head_top() {
        assert_eq!(
            one("dedup a, b within 10m"),
            StageKind::Dedup {
                keys: vec![key("a"), key("b")],
                within: Some(Duration {
                    millis: 600_000,
                    span: Span::default()
                }),
            }
        );
        assert_eq!(
            one("dedup id"),
            StageKind::Dedup {
                keys: vec![key("id")],
                within: None
            }
        );
        assert_eq!(one("head 10"), StageKind::Head(10));
        assert_eq!(
            one("top 5 path by avg(latency) every 1m"),
            StageKind::Top {
                n: 5,
                keys: vec![key("path")],
                by: Some(agg(AggFunc::Avg, Some(f("latency")), "avg_latency")),
                window: win(WindowKind::Tumbling { size: 60_000 }),
            }
        );
        assert_eq!(
            one("top 3 a, b"),
            StageKind::Top {
                n: 3,
                keys: vec![key("a"), key("b")],
                by: None,
                window: None
            }
        );
    }

    #[test]
    fn stage_spans_and_many_stages() {
        let p = parse("where a | head 1\n| count").unwrap();
        let spans: Vec<Span> = p.stages.iter().map(|s| s.span).collect();
        assert_eq!(
            spans,
            vec![Span::new(0, 7), Span::new(10, 16), Span::new(19, 24)]
        );
    }

    #[test]
    fn empty_pipeline_passes_everything() {
        assert_eq!(parse("").unwrap(), Pipeline { stages: vec![] });
        assert_eq!(
            parse("  \n # just a comment\n").unwrap(),
            Pipeline { stages: vec![] }
        );
    }

    #[test]
    fn keywords_are_contextual() {
        assert_eq!(
            sx("count > 10 and last < 3"),
            "(and (> count 10) (< last 3))"
        );
        assert_eq!(sx("by == every"), "(== by every)");
        assert_eq!(
            one("count by last"),
            StageKind::Aggregate(aggregation(
                vec![agg(AggFunc::Count, None, "count")],
                vec![key("last")]
            ))
        );
        assert_eq!(
            one("running count by last last 5"),
            StageKind::Running {
                aggs: vec![agg(AggFunc::Count, None, "count")],
                by: vec![key("last")],
                scope: RunningScope::Last(5),
            }
        );
        assert_eq!(
            one("select count, where"),
            StageKind::Select(vec![
                SelectItem {
                    expr: f("count"),
                    name: fp("count")
                },
                SelectItem {
                    expr: f("where"),
                    name: fp("where")
                },
            ])
        );
        assert_eq!(sx("`and` == `not`"), "(== and not)");
        assert_eq!(sx("a.and"), "a.and");
    }

    // ---- expressions ----

    #[test]
    fn fields() {
        assert_eq!(sx("status"), "status");
        assert_eq!(sx("req.path.full"), "req.path.full");
        assert_eq!(
            where_expr("`user-agent`"),
            e(ExprKind::Field(FieldPath {
                parts: vec!["user-agent".into()],
                span: Span::default()
            }))
        );
        assert_eq!(sx("@timestamp"), "@timestamp");
        assert_eq!(sx("a.`b c`.d"), "a.b c.d");
    }

    #[test]
    fn literals() {
        assert_eq!(sx("42"), "42");
        assert_eq!(sx("-1.5"), "-1.5");
        assert_eq!(sx("2.0"), "2.0");
        assert_eq!(sx("1e3"), "1000.0");
        assert_eq!(sx("\"text\""), "\"text\"");
        assert_eq!(sx("'text'"), "\"text\"");
        assert_eq!(sx("true"), "true");
        assert_eq!(sx("false"), "false");
        assert_eq!(sx("null"), "null");
        assert_eq!(sx("-9223372036854775808"), "-9223372036854775808");
    }

    #[test]
    fn durations() {
        assert_eq!(sx("250ms"), "250ms");
        assert_eq!(sx("30s"), "30000ms");
        assert_eq!(sx("5m"), "300000ms");
        assert_eq!(sx("1h"), "3600000ms");
        assert_eq!(sx("1d"), "86400000ms");
        assert_eq!(sx("1m30s"), "90000ms");
        assert_eq!(sx("-5m"), "-300000ms");
        assert_eq!(
            where_expr("1m30s"),
            e(ExprKind::Literal(Literal::Duration(90_000)))
        );
    }

    #[test]
    fn string_escapes() {
        assert_eq!(where_expr(r#""a\"b""#), s("a\"b"));
        assert_eq!(where_expr(r#""a\\b""#), s(r"a\b"));
        assert_eq!(where_expr(r#""\d+\s""#), s(r"\d+\s"));
        assert_eq!(where_expr(r"'it\'s'"), s("it's"));
        assert_eq!(where_expr(r#"'\"'"#), s(r#"\""#));
        assert_eq!(where_expr(r#""\'""#), s(r"\'"));
        assert_eq!(where_expr(r"'a\\'"), s(r"a\"));
    }

    #[test]
    fn precedence() {
        assert_eq!(sx("a or b and c"), "(or a (and b c))");
        assert_eq!(sx("a || b && c"), "(or a (and b c))");
        assert_eq!(sx("a and b or c"), "(or (and a b) c)");
        assert_eq!(sx("a or b or c"), "(or (or a b) c)");
        assert_eq!(sx("not a and b"), "(and (not a) b)");
        assert_eq!(sx("!a || b"), "(or (not a) b)");
        assert_eq!(sx("not a == b"), "(not (== a b))");
        assert_eq!(sx("not not a"), "(not (not a))");
        assert_eq!(sx("a == 1 + 2 * 3"), "(== a (+ 1 (* 2 3)))");
        assert_eq!(sx("a + b < c * d"), "(< (+ a b) (* c d))");
        assert_eq!(sx("a - b - c"), "(- (- a b) c)");
        assert_eq!(sx("a / b % c * d"), "(* (% (/ a b) c) d)");
        assert_eq!(sx("-a * b"), "(* (neg a) b)");
        assert_eq!(sx("-(a * b)"), "(neg (* a b))");
        assert_eq!(sx("-(5)"), "(neg 5)");
        assert_eq!(sx("--a"), "(neg (neg a))");
        assert_eq!(sx("a - -5"), "(- a -5)");
        assert_eq!(sx("a-1"), "(- a 1)");
        assert_eq!(sx("(a or b) and c"), "(and (or a b) c)");
        assert_eq!(sx("a and (b == c) == d"), "(and a (== (== b c) d))");
    }

    #[test]
    fn comparisons() {
        assert_eq!(sx("a == b"), "(== a b)");
        assert_eq!(sx("a != b"), "(!= a b)");
        assert_eq!(sx("a < b"), "(< a b)");
        assert_eq!(sx("a <= b"), "(<= a b)");
        assert_eq!(sx("a > b"), "(> a b)");
        assert_eq!(sx("a >= b"), "(>= a b)");
        assert_eq!(sx("a =~ \"^x\""), "(=~ a \"^x\")");
        assert_eq!(sx("a !~ \"^x\""), "(!~ a \"^x\")");
        assert_eq!(sx("a contains \"x\""), "(contains a \"x\")");
        assert_eq!(sx("a startswith \"x\""), "(startswith a \"x\")");
        assert_eq!(sx("a endswith \"x\""), "(endswith a \"x\")");
        assert_eq!(sx("a in [1, \"two\", null]"), "(in a [1 \"two\" null])");
        assert_eq!(sx("a + 1 in []"), "(in (+ a 1) [])");
        assert_eq!(sx("a in [1] and b"), "(and (in a [1]) b)");
    }

    #[test]
    fn calls() {
        assert_eq!(sx("now()"), "(now)");
        assert_eq!(sx("substr(s, 0, 3)"), "(substr s 0 3)");
        assert_eq!(
            sx("if(a > 1, lower(b), \"x\")"),
            "(if (> a 1) (lower b) \"x\")"
        );
        assert_eq!(sx("bucket(time(ts), 5m)"), "(bucket (time ts) 300000ms)");
        // Any word may name a function; the planner checks it.
        assert_eq!(sx("count(x)"), "(count x)");
    }

    #[test]
    fn prints_back_what_it_parsed() {
        for (src, want) in [
            ("filter a", "where a"),
            ("count()", "count"),
            ("count emit on close", "count"),
            ("avg latency_ms by path", "avg(latency_ms) by path"),
            ("select y = lower(z)", "select lower(z) as y"),
            ("where a || b && !c", "where a or b and not c"),
            ("where x !~ 'z\\'q'", "where x !~ \"z'q\""),
            ("where a == 90s", "where a == 1m30s"),
            ("percentile(x, 50)", "p50(x)"),
        ] {
            assert_eq!(print(&parse(src).unwrap()), want, "{src}");
        }
    }

    // ---- errors ----

    #[test]
    fn errors() {
        check_err(
            "where status >= 500 | cout by path",
            &[
                "error: unknown stage `cout`",
                "  |",
                "1 | where status >= 500 | cout by path",
                "  |                       ^^^^ did you mean `count`?",
            ],
        );
        check_err(
            "where a || | head 1",
            &[
                "error: expected an expression after `||`, found `|`",
                "  |",
                "1 | where a || | head 1",
                "  |            ^",
            ],
        );
        check_err(
            "head 1 | | head 2",
            &[
                "error: empty stage between `|` and `|`",
                "  |",
                "1 | head 1 | | head 2",
                "  |        ^^^",
            ],
        );
        check_err(
            "head 1 || head 2",
            &[
                "error: empty stage between `|` and `|`",
                "  |",
                "1 | head 1 || head 2",
                "  |        ^^",
            ],
        );
        check_err(
            "head 1 |",
            &[
                "error: expected a stage after `|`",
                "  |",
                "1 | head 1 |",
                "  |         ^",
            ],
        );
        check_err(
            "| head 1",
            &[
                "error: expected a stage before `|`",
                "  |",
                "1 | | head 1",
                "  | ^",
            ],
        );
        check_err(
            "5",
            &[
                "error: expected a stage, found `5`",
                "  |",
                "1 | 5",
                "  | ^",
            ],
        );
        check_err(
            "where",
            &[
                "error: expected an expression after `where`",
                "  |",
                "1 | where",
                "  |      ^",
            ],
        );
        check_err(
            "where |",
            &[
                "error: expected an expression after `where`, found `|`",
                "  |",
                "1 | where |",
                "  |       ^",
            ],
        );
        check_err(
            "where and",
            &[
                "error: expected an expression after `where`, found `and`",
                "  |",
                "1 | where and",
                "  |       ^^^",
            ],
        );
        check_err(
            "where (a | head 1",
            &[
                "error: expected `)`, found `|`",
                "  |",
                "1 | where (a | head 1",
                "  |          ^",
            ],
        );
        check_err(
            "where 1 < a < 3",
            &[
                "error: comparison operators cannot be chained",
                "  |",
                "1 | where 1 < a < 3",
                "  |             ^ combine comparisons with `and`, or add parentheses",
            ],
        );
        check_err(
            "where [1]",
            &[
                "error: a list `[…]` is only allowed after `in`",
                "  |",
                "1 | where [1]",
                "  |       ^",
            ],
        );
        check_err(
            "where a == 9223372036854775808",
            &[
                "error: integer `9223372036854775808` is too large",
                "  |",
                "1 | where a == 9223372036854775808",
                "  |            ^^^^^^^^^^^^^^^^^^^",
            ],
        );
        check_err(
            "count every abc",
            &[
                "error: expected a duration like 30s or 5m, found `abc`",
                "  |",
                "1 | count every abc",
                "  |             ^^^",
            ],
        );
        check_err(
            "count every 5",
            &[
                "error: expected a duration like 30s or 5m, found `5`",
                "  |",
                "1 | count every 5",
                "  |             ^ add a unit: ms, s, m, h or d",
            ],
        );
        check_err(
            "count every 0s",
            &[
                "error: a duration must be greater than zero",
                "  |",
                "1 | count every 0s",
                "  |             ^^",
            ],
        );
        check_err(
            "stats cuont",
            &[
                "error: unknown aggregate `cuont`",
                "  |",
                "1 | stats cuont",
                "  |       ^^^^^ did you mean `count`?",
            ],
        );
        check_err(
            "stats 5",
            &[
                "error: expected an aggregate like `count` or `avg(x)`, found `5`",
                "  |",
                "1 | stats 5",
                "  |       ^",
            ],
        );
        check_err(
            "count(x)",
            &[
                "error: `count` takes no argument",
                "  |",
                "1 | count(x)",
                "  |       ^ write `count` or `count()`",
            ],
        );
        check_err(
            "avg by path",
            &[
                "error: expected `(` or a field after `avg`, found `by`",
                "  |",
                "1 | avg by path",
                "  |     ^^",
            ],
        );
        check_err(
            "ewma(x, 0.5)",
            &[
                "error: `ewma` is only allowed in `running`",
                "  |",
                "1 | ewma(x, 0.5)",
                "  | ^^^^ write `running ewma(x, 0.3)`",
            ],
        );
        check_err(
            "percentile(x, 101)",
            &[
                "error: a percentile must be between 0 and 100",
                "  |",
                "1 | percentile(x, 101)",
                "  |               ^^^",
            ],
        );
        check_err(
            "running ewma(x, 2)",
            &[
                "error: alpha must be greater than 0 and at most 1",
                "  |",
                "1 | running ewma(x, 2)",
                "  |                 ^",
            ],
        );
        check_err(
            "count by len(path)",
            &[
                "error: a key that is an expression needs a name",
                "  |",
                "1 | count by len(path)",
                "  |          ^^^^^^^^^ add `as name` after it",
            ],
        );
        check_err(
            "select a + 1",
            &[
                "error: a computed item needs a name",
                "  |",
                "1 | select a + 1",
                "  |        ^^^^^ add `as name` after it, or write `name = …`",
            ],
        );
        check_err(
            "count by a by b",
            &[
                "error: duplicate `by`",
                "  |",
                "1 | count by a by b",
                "  |            ^^",
            ],
        );
        check_err(
            "count emit x",
            &[
                "error: expected `on close`, `on update` or `every D`, found `x`",
                "  |",
                "1 | count emit x",
                "  |            ^",
            ],
        );
        check_err(
            "count emit on clsoe",
            &[
                "error: expected `close` or `update`, found `clsoe`",
                "  |",
                "1 | count emit on clsoe",
                "  |               ^^^^^ did you mean `close`?",
            ],
        );
        check_err(
            "count emti on close",
            &[
                "error: expected `by`, `every`, `session`, `emit`, `|` or end of pipeline, found `emti`",
                "  |",
                "1 | count emti on close",
                "  |       ^^^^ did you mean `emit`?",
            ],
        );
        check_err(
            "count evry 1m",
            &[
                "error: expected `by`, `every`, `session`, `emit`, `|` or end of pipeline, found `evry`",
                "  |",
                "1 | count evry 1m",
                "  |       ^^^^ did you mean `every`?",
            ],
        );
        check_err(
            "count by path sesion 5m",
            &[
                "error: expected `,`, `every`, `session`, `emit`, `|` or end of pipeline, found `sesion`",
                "  |",
                "1 | count by path sesion 5m",
                "  |               ^^^^^^ did you mean `session`?",
            ],
        );
        check_err(
            "running count over 1m last 5",
            &[
                "error: `over` and `last` cannot be combined",
                "  |",
                "1 | running count over 1m last 5",
                "  |                       ^^^^ a running aggregate has one scope",
            ],
        );
        check_err(
            "left x",
            &[
                "error: expected `join`, found `x`",
                "  |",
                "1 | left x",
                "  |      ^",
            ],
        );
        check_err(
            "join",
            &[
                "error: expected a file after `join`",
                "  |",
                "1 | join",
                "  |     ^",
            ],
        );
        check_err(
            "join u.csv x",
            &[
                "error: expected `on`, found `x`",
                "  |",
                "1 | join u.csv x",
                "  |            ^",
            ],
        );
        check_err(
            "parse xml",
            &[
                "error: expected `regex`, `logfmt` or `json`, found `xml`",
                "  |",
                "1 | parse xml",
                "  |       ^^^",
            ],
        );
        check_err(
            "parse regex \"(a\"",
            &[
                "error: invalid regex: unclosed group",
                "  |",
                "1 | parse regex \"(a\"",
                "  |             ^^^^",
            ],
        );
        check_err(
            "parse regex \"a+\"",
            &[
                "error: the regex has no named group",
                "  |",
                "1 | parse regex \"a+\"",
                "  |             ^^^^ name the groups that become fields, like (?P<ms>\\d+)",
            ],
        );
        check_err(
            "drop 5",
            &[
                "error: expected a field, found `5`",
                "  |",
                "1 | drop 5",
                "  |      ^",
            ],
        );
        check_err(
            "head x",
            &[
                "error: expected a count like 10, found `x`",
                "  |",
                "1 | head x",
                "  |      ^",
            ],
        );
        check_err(
            "where x == \"abc",
            &[
                "error: unterminated string",
                "  |",
                "1 | where x == \"abc",
                "  |            ^ add the closing \"",
            ],
        );
        check_err(
            "WHERE a",
            &[
                "error: unknown stage `WHERE`",
                "  |",
                "1 | WHERE a",
                "  | ^^^^^ did you mean `where`?",
            ],
        );
        check_err(
            "where a adn b",
            &[
                "error: expected an operator, `|` or end of pipeline, found `adn`",
                "  |",
                "1 | where a adn b",
                "  |         ^^^ did you mean `and`?",
            ],
        );
        check_err(
            "where a > 1 head 5",
            &[
                "error: expected an operator, `|` or end of pipeline, found `head`",
                "  |",
                "1 | where a > 1 head 5",
                "  |             ^^^^ a new stage starts with `|`: `| head …`",
            ],
        );
        check_err(
            "count, sum(x)",
            &[
                "error: expected `by`, `every`, `session`, `emit`, `|` or end of pipeline, found `,`",
                "  |",
                "1 | count, sum(x)",
                "  |      ^ several aggregates are written `stats count, avg(x)`",
            ],
        );
        check_err(
            "sum(a, b)",
            &[
                "error: `sum` takes one argument",
                "  |",
                "1 | sum(a, b)",
                "  |      ^",
            ],
        );
        check_err(
            "where a.5",
            &[
                "error: expected a field name, found `5`",
                "  |",
                "1 | where a.5",
                "  |         ^",
            ],
        );
        check_err(
            "where a $ b",
            &[
                "error: unexpected character `$`",
                "  |",
                "1 | where a $ b",
                "  |         ^",
            ],
        );
        check_err(
            "eval x == 1",
            &[
                "error: expected `=`, found `==`",
                "  |",
                "1 | eval x == 1",
                "  |        ^^",
            ],
        );
        check_err(
            "where x in 1",
            &[
                "error: expected `[` and a list of values, found `1`",
                "  |",
                "1 | where x in 1",
                "  |            ^",
            ],
        );
        check_err(
            "where f(a, b",
            &[
                "error: expected `,` or `)` after `b`",
                "  |",
                "1 | where f(a, b",
                "  |             ^",
            ],
        );
        check_err(
            "rename a b",
            &[
                "error: expected `as`, found `b`",
                "  |",
                "1 | rename a b",
                "  |          ^",
            ],
        );
        check_err(
            "where not",
            &[
                "error: expected an expression after `not`",
                "  |",
                "1 | where not",
                "  |          ^",
            ],
        );
        check_err(
            "percentile(x 99)",
            &[
                "error: expected `,` and a percentile like 99.9, found `99`",
                "  |",
                "1 | percentile(x 99)",
                "  |              ^^",
            ],
        );
        check_err(
            "top 5",
            &[
                "error: expected a key like `path` after `5`",
                "  |",
                "1 | top 5",
                "  |      ^",
            ],
        );
        check_err(
            "where\n  a ==\n  | head 1",
            &[
                "error: expected an expression after `==`, found `|`",
                "  |",
                "3 |   | head 1",
                "  |   ^",
            ],
        );
        check_err(
            "where a\n| where b\n| where c\n| where d\n| where e\n| where f\n| where g\n| where h\n| where i\n| cuont",
            &[
                "error: unknown stage `cuont`",
                "   |",
                "10 | | cuont",
                "   |   ^^^^^ did you mean `count`?",
            ],
        );
        check_err(
            "where and and and and and and and and and and and and and and and and and",
            &[
                "error: expected an expression after `where`, found `and`",
                "  |",
                "1 | where and and and and and and and and and and and and and and and and and",
                "  |       ^^^",
            ],
        );
    }
}
