//! The syntax tree of a pipeline: what the parser produces and what the planner,
//! `--explain` and the Flink SQL compiler consume. Every node carries a `Span`
//! (byte range in the pipeline text) so later stages can point at the column.
//! Nothing here evaluates anything.

use crate::lang::span::Span;
use crate::timefmt::Millis;

/// A whole pipeline: stages separated by `|`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub kind: StageKind,
    pub span: Span,
}

/// A field reference: `status`, `req.path`, `` `user-agent` ``.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldPath {
    pub parts: Vec<String>,
    pub span: Span,
}

impl FieldPath {
    /// The name used for output columns: parts joined with `.`.
    pub fn display_name(&self) -> String {
        self.parts.join(".")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Duration {
    pub millis: Millis,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StageKind {
    /// `where EXPR` / `filter EXPR`
    Where(Expr),
    /// `select ITEM, …` — ITEM is `field`, `EXPR as name` or `name = EXPR`
    Select(Vec<SelectItem>),
    /// `eval name = EXPR, …`
    Eval(Vec<Assignment>),
    /// `drop field, …`
    Drop(Vec<FieldPath>),
    /// `rename a as b, …`
    Rename(Vec<(FieldPath, FieldPath)>),
    /// `parse regex "RE" [from f]`, `parse logfmt [from f]`, `parse json [from f]`
    Parse {
        kind: ParseKind,
        from: Option<FieldPath>,
    },
    /// `AGG [by KEYS] [WINDOW] [EMIT]`, including `stats a, b as x by …`
    Aggregate(Aggregation),
    /// `running AGG, … [by KEYS] [over D | last N]`
    Running {
        aggs: Vec<AggCall>,
        by: Vec<KeyItem>,
        scope: RunningScope,
    },
    /// `[left] join FILE on KEY [= LOOKUP_KEY] [prefix P]`
    Join(Join),
    /// `dedup KEYS [within D]`
    Dedup {
        keys: Vec<KeyItem>,
        within: Option<Duration>,
    },
    /// `head N`
    Head(u64),
    /// `top N KEYS [by AGG] [WINDOW] [emit every D]`
    Top {
        n: u64,
        keys: Vec<KeyItem>,
        /// Defaults to `count` when absent.
        by: Option<AggCall>,
        window: Option<Window>,
        /// `emit every D`: the current top N each D of wall-clock time, as
        /// well as the final rows; `on update` is refused by the parser.
        emit: Emit,
    },
}

impl StageKind {
    /// The keyword users type, for messages and `--explain`.
    pub fn keyword(&self) -> &'static str {
        match self {
            StageKind::Where(_) => "where",
            StageKind::Select(_) => "select",
            StageKind::Eval(_) => "eval",
            StageKind::Drop(_) => "drop",
            StageKind::Rename(_) => "rename",
            StageKind::Parse { .. } => "parse",
            StageKind::Aggregate(_) => "aggregate",
            StageKind::Running { .. } => "running",
            StageKind::Join(_) => "join",
            StageKind::Dedup { .. } => "dedup",
            StageKind::Head(_) => "head",
            StageKind::Top { .. } => "top",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SelectItem {
    pub expr: Expr,
    /// Output field name. For a bare field item this is the field's own path
    /// (so `select req.path` keeps the nesting).
    pub name: FieldPath,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub name: FieldPath,
    pub expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParseKind {
    Regex {
        pattern: String,
        span: Span,
    },
    Logfmt,
    Json,
    /// `parse nginx|apache|apache_error|syslog`: the word as written.
    Format(String),
    /// `parse "* - [*]" as a, b`: a pattern with `*` wildcards.
    Pattern {
        pattern: String,
        names: Vec<String>,
        span: Span,
    },
}

/// A grouping or dedup key: `path`, or `EXPR as name`.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyItem {
    pub expr: Expr,
    /// Output column name: the field path text for a bare field, else the alias.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Aggregation {
    pub aggs: Vec<AggCall>,
    pub by: Vec<KeyItem>,
    pub window: Option<Window>,
    /// `fill` after an `every` window: a row for each window without events
    /// (zero counts), so silence can be alerted on.
    pub fill: bool,
    pub emit: Emit,
    /// True when written as `stats …` (only affects `--explain`).
    pub stats_form: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AggCall {
    pub func: AggFunc,
    /// The argument expression (`None` only for `count`).
    pub arg: Option<Expr>,
    /// Output column name: the alias given with `as`, else the default
    /// (`count`, `sum_F`, `avg_F`, `p95_F`, `p99.9_F`, `ewma_F`, …).
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AggFunc {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    Distinct,
    /// `p50 p90 p95 p99` and `percentile(e, q)`; q in 0..=100.
    Percentile(f64),
    Stddev,
    First,
    Last,
    /// `ewma(e, alpha)` — running only.
    Ewma(f64),
}

impl AggFunc {
    /// The prefix of the default output name (`sum` in `sum_latency`).
    pub fn name_prefix(&self) -> String {
        match self {
            AggFunc::Count => "count".into(),
            AggFunc::Sum => "sum".into(),
            AggFunc::Avg => "avg".into(),
            AggFunc::Min => "min".into(),
            AggFunc::Max => "max".into(),
            AggFunc::Distinct => "distinct".into(),
            AggFunc::Percentile(q) => format!("p{q}"),
            AggFunc::Stddev => "stddev".into(),
            AggFunc::First => "first".into(),
            AggFunc::Last => "last".into(),
            AggFunc::Ewma(_) => "ewma".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub kind: WindowKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowKind {
    /// `every D`
    Tumbling { size: Millis },
    /// `every D slide S`
    Hopping { size: Millis, slide: Millis },
    /// `session D`
    Session { gap: Millis },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Emit {
    /// `emit on close` (default)
    #[default]
    OnClose,
    /// `emit every D` — processing-time snapshots of open groups
    Every(Millis),
    /// `emit on update`
    OnUpdate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunningScope {
    #[default]
    Cumulative,
    /// `over D` — the last D of event time
    Over(Millis),
    /// `last N` — the last N events
    Last(u64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    pub left: bool,
    pub file: String,
    pub file_span: Span,
    /// Event field.
    pub key: FieldPath,
    /// Lookup column; defaults to the event field's display name.
    pub lookup_key: Option<String>,
    pub prefix: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Field(FieldPath),
    Literal(Literal),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `e in [a, b, …]`
    In(Box<Expr>, Vec<Expr>),
    /// `name(args…)` — function names are checked by the planner, not the parser.
    Call {
        name: String,
        name_span: Span,
        args: Vec<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// `250ms`, `30s`, `5m`, `1h` — evaluates to a number of milliseconds.
    Duration(Millis),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Match,
    NotMatch,
    Contains,
    StartsWith,
    EndsWith,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(&self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Match => "=~",
            BinaryOp::NotMatch => "!~",
            BinaryOp::Contains => "contains",
            BinaryOp::StartsWith => "startswith",
            BinaryOp::EndsWith => "endswith",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}
