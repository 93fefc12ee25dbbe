//! Recursive descent over stages; over expressions, one function per
//! precedence level of DESIGN §3 (loosest first), comparisons non-associative.
//!
//! Keywords are contextual: a word is a stage name only at the start of a
//! stage and a clause word (`by`, `every`, `emit`, …) only where a clause may
//! start, so fields may be called `count` or `last`. Inside expressions only
//! `and or not in contains startswith endswith true false null` are reserved.
//! The first error stops the parse; it names what was expected and what was
//! found, and guesses what was meant where it can. Never panics.
//!
//! Error messages, each with an input that triggers it (the lexer's are
//! among them):
//! - unknown stage `cout`: `where status >= 500 | cout by path`
//! - empty stage between `|` and `|`: `head 1 | | head 2`
//! - expected a stage after `|`: `head 1 |`
//! - expected a stage before `|`: `| head 1`
//! - expected a stage, found `5`: `5`
//! - expected an expression after `where`: `where`
//! - expected an expression after `where`, found `|`: `where |`
//! - expected `)`, found `|`: `where (a | head 1`
//! - comparison operators cannot be chained: `where 1 < a < 3`
//! - expression nested too deeply: `where ((((…a…))))` 33 deep, or `a + a + …` 257 long
//! - a list `[…]` is only allowed after `in`: `where [1]`
//! - integer `9223372036854775808` is too large: `where a == 9223372036854775808`
//! - expected a duration like 30s or 5m, found `abc`: `count every abc`
//! - a duration must be greater than zero: `count every 0s`
//! - unknown aggregate `cuont`: `stats cuont`
//! - expected an aggregate like `count` or `avg(x)`, found `5`: `stats 5`
//! - `count` takes no argument: `count(x)`
//! - `sum` takes one argument: `sum(a, b)`
//! - expected `(` or a field after `avg`, found `by`: `avg by path`
//! - `ewma` is only allowed in `running`: `ewma(x, 0.5)`
//! - a percentile must be between 0 and 100: `percentile(x, 101)`
//! - alpha must be greater than 0 and at most 1: `running ewma(x, 2)`
//! - a key that is an expression needs a name: `count by len(path)`
//! - a computed item needs a name: `select a + 1`
//! - duplicate `by`: `count by a by b`
//! - an aggregation has only one window: `count every 1m session 5m`
//! - duplicate `emit`: `count emit on update emit on close`
//! - `fill` needs `every D` windows: `count session 1m fill`
//! - `fill` goes right after the window: `count by path fill`
//! - expected `on close`, `on update` or `every D`, found `x`: `count emit x`
//! - expected `close` or `update`, found `clsoe`: `count emit on clsoe`
//! - expected `by`, `every`, `session`, `emit`, `|` or end of pipeline, found `emti`: `count emti on close`
//! - `over` and `last` cannot be combined: `running count over 1m last 5`
//! - expected a key like `path`, found `by`: `top 5 by count`
//! - `top` ranks all groups at once; it has no `emit on update`: `top 5 path emit on update`
//! - expected `join`, found `x`: `left x`
//! - expected a file after `join`: `join`
//! - expected `on`, found `x`: `join u.csv x`
//! - expected `regex`, `logfmt`, `json`, `nginx`, `apache`, `apache_error`, `syslog` or a quoted pattern, found `xml`: `parse xml`
//! - invalid regex: unclosed group: `parse regex "(a"`
//! - the regex has no named group: `parse regex "a+"`
//! - expected a quoted regex like "(?P<ms>\d+)ms", found `x`: `parse regex x`
//! - expected a field, found `5`: `drop 5`
//! - expected `=`, found `==`: `eval x == 1`
//! - expected `as`, found `b`: `rename a b`
//! - expected a count like 10, found `x`: `head x`
//! - unterminated string: `where x == "abc`
//! - unterminated quoted name: `where `abc`
//! - unexpected character `$`: `where a $ b`
//! - invalid duration `5x`: `where 5x`
//! - invalid number `1.5s`: `where 1.5s`
//! - expected a field name, found `5`: `where a.5`
//! - expected `,` or `)` after `b`: `where f(a, b`
//! - expected `[` and a list of values, found `1`: `where x in 1`

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

/// Words that start a stage, besides the aggregates.
pub const STAGES: [&str; 14] = [
    "where", "filter", "select", "eval", "drop", "rename", "parse", "stats", "running", "join",
    "left", "dedup", "head", "top",
];

/// Every word that may start a stage, for did-you-mean.
fn stage_words() -> Vec<&'static str> {
    STAGES.iter().chain(&AGGREGATES).copied().collect()
}

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
    /// How deep the tree of the expression being read is (see [`MAX_DEPTH`]).
    depth: usize,
    /// How many parentheses, calls and lists are open (see [`MAX_NESTING`]).
    nesting: usize,
}

/// Deeper expression trees are refused: every later pass over the tree
/// (drop, print, compile) recurses, and a stack overflow would abort the
/// process instead of reporting an error.
/// Most stages in one pipeline: an event goes down the chain one call per
/// stage, so a pipeline of 10 000 stages overflowed the stack.
pub const MAX_STAGES: usize = 1000;
const MAX_DEPTH: usize = 256;

/// Parentheses, calls and lists cost the parser itself a few kilobytes of
/// stack per level in a debug build, so they are limited more tightly.
const MAX_NESTING: usize = 32;

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Result<Parser<'a>> {
        let mut lex = Lexer::new(src);
        let tok = lex.next_token()?;
        Ok(Parser {
            src,
            lex,
            tok,
            prev: Span::new(0, 0),
            depth: 0,
            nesting: 0,
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
        quote(self.text(self.tok.span))
    }

    /// `expected WHAT, found `x`` — or, at the end of the pipeline,
    /// `expected WHAT after `the last token``.
    fn expected(&self, what: &str) -> LangError {
        let message = if self.is(&TokenKind::Eof) {
            format!("expected {what} after {}", quote(self.text(self.prev)))
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
                "expected an expression after {}, found {}",
                quote(self.text(self.prev)),
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
                let err = self.expected(&what);
                let help = match kind {
                    TokenKind::Ident(w) if w == "not" && self.peek2() == Some(ident("in")) => {
                        Some("write `not (x in […])`".to_string())
                    }
                    TokenKind::Ident(w) => did_you_mean(w, words).or_else(|| {
                        stage_words()
                            .contains(&w.as_str())
                            .then(|| format!("a new stage starts with `|`: `| {w} …`"))
                    }),
                    TokenKind::Assign if words == OPERATOR_WORDS => {
                        Some("compare with `==`".to_string())
                    }
                    _ => None,
                };
                Err(match help {
                    Some(help) => err.with_help(help),
                    None => err,
                })
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
                TokenKind::Pipe if stages.len() >= MAX_STAGES => {
                    return Err(LangError::new(
                        format!("a pipeline may have at most {MAX_STAGES} stages"),
                        self.tok.span,
                    )
                    .with_help(
                        "each stage runs inside the one before it; join the work of several \
                         `where` or `eval` stages into one",
                    ));
                }
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
                let hint = match word.as_str() {
                    "sort" | "order" => Some(
                        "to keep the largest groups, use `top N KEYS [by AGG]`; streamctl does not sort a stream".to_string(),
                    ),
                    "limit" | "take" | "first" => Some("did you mean `head N`?".to_string()),
                    _ => did_you_mean(&word, &stage_words()),
                };
                if let Some(help) = hint {
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
            Some(w) if crate::logformat::LogFormat::from_word(w).is_some() => {
                let w = w.to_string();
                self.bump()?;
                ParseKind::Format(w)
            }
            None if matches!(self.tok.kind, TokenKind::Str(_)) => {
                let TokenKind::Str(pattern) = self.tok.kind.clone() else {
                    unreachable!("matched just above")
                };
                let span = self.tok.span;
                self.bump()?;
                if !self.eat_word("as")? {
                    return Err(self.expected("`as` and a name for each `*` of the pattern"));
                }
                let mut names = Vec::new();
                loop {
                    let name = self.field_path("a field name")?;
                    names.push(name.parts.join("."));
                    if !self.eat(&TokenKind::Comma)? {
                        break;
                    }
                }
                crate::logformat::pattern::Pattern::new(&pattern, &names)
                    .map_err(|e| LangError::new(e, span))?;
                ParseKind::Pattern {
                    pattern,
                    names,
                    span,
                }
            }
            other => {
                let mut err = self.expected(
                    "`regex`, `logfmt`, `json`, `nginx`, `apache`, `apache_error`, `syslog` or a quoted pattern",
                );
                let words = [
                    "regex",
                    "logfmt",
                    "json",
                    "nginx",
                    "apache",
                    "apache_error",
                    "syslog",
                ];
                if let Some(help) = other.and_then(|w| did_you_mean(w, &words)) {
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
        let mut fill = false;
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
                let w = self.window()?;
                if self.is_word("fill") {
                    if matches!(w.kind, WindowKind::Session { .. }) {
                        return Err(LangError::new(
                            "`fill` needs `every D` windows: a session window only exists while its key has events",
                            self.tok.span,
                        ));
                    }
                    self.bump()?;
                    fill = true;
                }
                window = Some(w);
            } else if self.is_word("fill") {
                return Err(LangError::new(
                    "`fill` goes right after the window, as in `count every 1m fill`",
                    span,
                ));
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
        self.end_stage(
            &expected,
            &["by", "every", "session", "emit", "slide", "fill"],
        )?;
        Ok(StageKind::Aggregate(Aggregation {
            aggs,
            by: by.unwrap_or_default(),
            window,
            fill,
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
        // `top 5 by count` forgot the keys (a field called `by` is still fine).
        let by_agg = self.is_word("by")
            && matches!(self.peek2(), Some(TokenKind::Ident(w)) if AGGREGATES.contains(&w.as_str()));
        if self.is(&TokenKind::Eof) || self.is(&TokenKind::Pipe) || by_agg {
            return Err(self.expected("a key like `path`"));
        }
        let keys = self.keys()?;
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
                by = Some(self.agg_call(false)?);
            } else if self.is_word("every") || self.is_word("session") {
                if window.is_some() {
                    return Err(LangError::new("`top` has only one window", span));
                }
                window = Some(self.window()?);
            } else if self.is_word("emit") {
                if emit.is_some() {
                    return Err(LangError::new("duplicate `emit`", span));
                }
                let e = self.emit()?;
                if e == Emit::OnUpdate {
                    return Err(LangError::new(
                        "`top` ranks all groups at once; it has no `emit on update`, use `emit every D` to watch it",
                        span.to(self.prev),
                    ));
                }
                emit = Some(e);
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
        if emit.is_none() {
            expected.push("`emit`");
        }
        self.end_stage(&expected, &["by", "every", "session", "slide", "emit"])?;
        Ok(StageKind::Top {
            n,
            keys,
            by,
            window,
            emit: emit.unwrap_or_default(),
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
            TokenKind::Duration(millis) if millis > crate::timefmt::MAX_DURATION => {
                Err(LangError::new(
                    format!(
                        "a duration may be at most {} (the span of event time, years 0000 to 9999)",
                        crate::lang::print::duration(crate::timefmt::MAX_DURATION)
                    ),
                    self.tok.span,
                ))
            }
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
                    let err = self.expected(&format!("`(` or a field after `{word}`"));
                    return Err(if self.is(&TokenKind::Dot) && word.starts_with('p') {
                        err.with_help("other percentiles are written `percentile(x, 99.9)`")
                    } else {
                        err
                    });
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
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(
                LangError::new("expression nested too deeply", self.tok.span).with_help(format!(
                    "at most {MAX_NESTING} levels of parentheses, calls and lists"
                )),
            );
        }
        self.nest()?;
        let e = self.or_expr()?;
        self.depth -= 1;
        self.nesting -= 1;
        Ok(e)
    }

    /// One level deeper: parentheses, `not`, `-`, and each operator of a
    /// chain (`a + b + c` is a tree two deep).
    fn nest(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(
                LangError::new("expression nested too deeply", self.tok.span)
                    .with_help(format!("at most {MAX_DEPTH} levels of operators")),
            );
        }
        Ok(())
    }

    fn or_expr(&mut self) -> Result<Expr> {
        let depth = self.depth;
        let mut left = self.and_expr()?;
        while self.is(&TokenKind::OrOr) || self.is_word("or") {
            self.nest()?;
            self.bump()?;
            let right = self.and_expr()?;
            left = binary(BinaryOp::Or, left, right);
        }
        self.depth = depth;
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr> {
        let depth = self.depth;
        let mut left = self.not_expr()?;
        while self.is(&TokenKind::AndAnd) || self.is_word("and") {
            self.nest()?;
            self.bump()?;
            let right = self.not_expr()?;
            left = binary(BinaryOp::And, left, right);
        }
        self.depth = depth;
        Ok(left)
    }

    fn not_expr(&mut self) -> Result<Expr> {
        if self.is(&TokenKind::Bang) || self.is_word("not") {
            let op = self.bump()?;
            self.nest()?;
            let e = self.not_expr()?;
            self.depth -= 1;
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
        self.left_assoc(Self::mul_expr, |k| match k {
            TokenKind::Plus => Some(BinaryOp::Add),
            TokenKind::Minus => Some(BinaryOp::Sub),
            _ => None,
        })
    }

    fn mul_expr(&mut self) -> Result<Expr> {
        self.left_assoc(Self::unary_expr, |k| match k {
            TokenKind::Star => Some(BinaryOp::Mul),
            TokenKind::Slash => Some(BinaryOp::Div),
            TokenKind::Percent => Some(BinaryOp::Rem),
            _ => None,
        })
    }

    /// One left-associative precedence level: `operand (op operand)*`, where
    /// `op_of` says which tokens are this level's operators.
    fn left_assoc(
        &mut self,
        operand: fn(&mut Self) -> Result<Expr>,
        op_of: fn(&TokenKind) -> Option<BinaryOp>,
    ) -> Result<Expr> {
        let depth = self.depth;
        let mut left = operand(self)?;
        while let Some(op) = op_of(&self.tok.kind) {
            self.nest()?;
            self.bump()?;
            let right = operand(self)?;
            left = binary(op, left, right);
        }
        self.depth = depth;
        Ok(left)
    }

    fn unary_expr(&mut self) -> Result<Expr> {
        if !self.is(&TokenKind::Minus) {
            return self.atom();
        }
        let minus = self.bump()?.span;
        // `-1.5` is a literal, not a negation (so `-9223372036854775808` fits).
        let lit = match self.tok.kind {
            TokenKind::Int(n) if n > 1 << 63 => {
                let span = self.tok.span;
                return Err(LangError::new(
                    format!("integer `-{}` is too large", self.text(span)),
                    minus.to(span),
                ));
            }
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
        self.nest()?;
        let e = self.unary_expr()?;
        self.depth -= 1;
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
            TokenKind::Dot if matches!(self.peek2(), Some(TokenKind::Int(_))) => Err(self
                .expected_expr()
                .with_help("write a leading zero: `0.5`")),
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

/// Source text for a message: in backticks, long text cut short.
fn quote(text: &str) -> String {
    if text.chars().count() > 40 {
        let short: String = text.chars().take(40).collect();
        format!("`{short}…`")
    } else {
        format!("`{text}`")
    }
}

fn ident(word: &str) -> TokenKind {
    TokenKind::Ident(word.to_string())
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
mod tests;
