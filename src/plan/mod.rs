//! Pipeline → plan. [`logical`] checks the parsed pipeline once and says
//! what each stage reads, writes and needs (event time, window, emission);
//! both backends start from it. This module lowers it for the executor: one
//! operator per stage, and the `--explain` text.

pub mod logical;

pub use logical::{validate, LogicalPlan, LogicalStage, Watched, Writes};

use crate::exec::{self, Operator};
use crate::expr::{self, Compiled};
use crate::lang::ast::{Expr, ParseKind, Pipeline, Stage, StageKind};
use crate::lang::LangError;
use crate::logformat::Want;

/// Options that change what stages do (not how input is read).
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    pub lateness_ms: i64,
    /// `--time-field` (`None`: auto-detected), which decides where event
    /// time can be read ([`LogicalPlan::time_at`]).
    pub time_field: Option<String>,
    /// `--time-format` is `auto`: a time a parser read can be handed to the
    /// event-time reader as is ([`Plan::time_hint`]).
    pub auto_time_format: bool,
}

pub struct Plan {
    pub ops: Vec<Box<dyn Operator>>,
    /// One line per stage for `--explain`.
    pub explain: Vec<String>,
    /// Some stage works in event time (windows, `over D`, `within D`).
    pub needs_time: bool,
    /// Where event time is read (DESIGN §5; see [`LogicalPlan::time_at`]).
    pub time_at: Option<usize>,
    /// The first stage that needs event time: events reaching it without
    /// one are rejected there.
    pub time_needed_at: Option<usize>,
    /// That stage's text, for messages.
    pub time_stage: Option<String>,
    /// Per stage, the fields whose absence from every event there is worth
    /// a word (`exec::absent`): what it reads, but not what `drop` and
    /// `rename` name (nothing to do is fine there) nor what an `eval`
    /// reads after setting it itself.
    pub watch: Vec<Vec<Vec<String>>>,
    /// Per stage, the fields a `parse` before it makes on a matching line
    /// but leaves out because no stage up to the next row reads them
    /// ([`Want`]): named with the fields seen, so that what is said of a
    /// field never present does not depend on that saving.
    pub unmade: Vec<Vec<String>>,
    /// The pipeline is watched (`emit every`, `emit on update`): how its
    /// rows replace each other, so a live table can show the newest.
    pub watched: Option<Watched>,
    /// The first stage parses `line` as an access log (`parse nginx`): the
    /// reader thread can find each text line's parts ahead of it.
    pub scans_access: bool,
    /// The stage before the one where time is read is `parse nginx`, and
    /// the time field is its `ts`: the parse sets the event's time from the
    /// instant it read, and the time reader takes it (no text written and
    /// read back). Then `ts` is made only if a later stage reads it.
    pub time_hint: bool,
}

/// Check the pipeline ([`validate`]) and build its operators.
pub fn build(p: &Pipeline, opts: &PlanOptions) -> Result<Plan, LangError> {
    lower(validate(p, opts.time_field.as_deref())?, opts)
}

/// The executor's operators for a checked pipeline. The checks were made
/// in [`validate`]; the constructors below find nothing new.
pub fn lower(plan: LogicalPlan, opts: &PlanOptions) -> Result<Plan, LangError> {
    let LogicalPlan {
        stages,
        time_at,
        time_needed_at,
        watched,
    } = plan;
    let mut ops: Vec<Box<dyn Operator>> = Vec::with_capacity(stages.len());
    let mut explain = Vec::new();
    let mut watch = Vec::with_capacity(stages.len());
    let time_stage = time_needed_at.map(|i| stages[i].stage.to_string());
    let scans_access = stages
        .first()
        .is_some_and(|s| parses_access_from_line(&s.stage));
    let time_hint = time_hint_at(&stages, time_at, opts);
    let wants: Vec<Want> = (0..stages.len())
        .map(|i| wanted_after(&stages, i, opts.time_field.as_deref(), time_hint == Some(i)))
        .collect();
    let unmade = (0..stages.len())
        .map(|i| unmade_before(&stages, &wants, i))
        .collect();
    for (i, mut s) in stages.into_iter().enumerate() {
        watch.push(watched_reads(&s));
        let (op, what) = build_stage(&s.stage, s.lookup.take(), &wants[i], time_hint == Some(i))?;
        let reads: Vec<String> = s.reads.iter().map(|p| p.join(".")).collect();
        let reads = if reads.is_empty() {
            "-".to_string()
        } else {
            reads.join(", ")
        };
        let mut line = format!("{}. {what}\n     reads: {reads}", i + 1);
        if time_at == Some(i) {
            line.push_str(
                "\n     event time is read here, from the event as it arrives at this stage",
            );
        }
        if time_needed_at == Some(i) && time_at != Some(i) {
            line.push_str("\n     event time is needed here: an event without one is rejected");
        }
        explain.push(line);
        ops.push(op);
    }
    Ok(Plan {
        ops,
        explain,
        needs_time: time_at.is_some(),
        time_at,
        time_needed_at,
        time_stage,
        watch,
        unmade,
        watched,
        scans_access,
        time_hint: time_hint.is_some(),
    })
}

/// The `parse nginx` whose `ts` is the time field, read right after it
/// ([`Plan::time_hint`]).
fn time_hint_at(
    stages: &[LogicalStage],
    time_at: Option<usize>,
    opts: &PlanOptions,
) -> Option<usize> {
    let i = time_at?.checked_sub(1)?;
    let is_access = access_parse_from_line(&stages[i].stage).is_some();
    let ts = crate::exec::event_time::AUTO_FIELDS[0];
    let field_is_ts = opts.time_field.as_deref().is_none_or(|f| f == ts);
    (is_access && field_is_ts && opts.auto_time_format).then_some(i)
}

/// `parse nginx` / `parse apache` from `line` (the default).
fn parses_access_from_line(stage: &Stage) -> bool {
    access_parse_from_line(stage) == Some(true)
}

/// For a `parse nginx` / `parse apache` stage, whether it reads `line`
/// (the default); `None` for any other stage.
fn access_parse_from_line(stage: &Stage) -> Option<bool> {
    match &stage.kind {
        StageKind::Parse {
            kind: ParseKind::Format(word),
            from,
        } if crate::logformat::LogFormat::from_word(word)
            == Some(crate::logformat::LogFormat::Access) =>
        {
            Some(from.as_ref().is_none_or(|f| f.parts == ["line"]))
        }
        _ => None,
    }
}

/// The fields the `parse` stages before stage `at` (back to the last stage
/// that makes rows of its own) would make but leave out as unread.
fn unmade_before(stages: &[LogicalStage], wants: &[Want], at: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for j in (0..at).rev() {
        let s = &stages[j];
        match &s.stage.kind {
            StageKind::Aggregate(_) | StageKind::Top { .. } | StageKind::Select(_) => break,
            StageKind::Parse { kind, .. } => {
                let names: Vec<String> = match kind {
                    ParseKind::Format(word) => crate::logformat::LogFormat::from_word(word)
                        .map(|f| f.field_names().iter().map(|n| n.to_string()).collect())
                        .unwrap_or_default(),
                    ParseKind::Regex { .. } | ParseKind::Pattern { .. } => match &s.writes {
                        Writes::Fields(f) => f.iter().map(|p| p.join(".")).collect(),
                        _ => Vec::new(),
                    },
                    ParseKind::Logfmt | ParseKind::Json => Vec::new(),
                };
                for n in names {
                    if !wants[j].has(&n) && !out.contains(&n) {
                        out.push(n);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The fields of a stage to watch for never being there (`Plan::watch`):
/// what it reads, but not what `drop` and `rename` name (nothing to do is
/// fine there), what an `eval` reads after setting it itself, nor a field
/// the pipeline expects may be missing (`exists(f)`, `coalesce(f, …)`,
/// `f == null`, `f != null`).
fn watched_reads(s: &LogicalStage) -> Vec<Vec<String>> {
    let mut tested = Vec::new();
    logical::exprs_of(&s.stage.kind, &mut |e| absence_tested(e, &mut tested));
    let written: &[Vec<String>] = match (&s.stage.kind, &s.writes) {
        (StageKind::Drop(_) | StageKind::Rename(_), _) => return Vec::new(),
        (StageKind::Eval(_), Writes::Fields(set)) => set,
        _ => &[],
    };
    s.reads
        .iter()
        .filter(|r| !written.iter().any(|w| r.starts_with(w) || w.starts_with(r)))
        .filter(|r| !tested.contains(r))
        .cloned()
        .collect()
}

/// Fields `e` tests for absence: `exists(f)`, `coalesce(f, …)`, `f == null`, `f != null`.
fn absence_tested(e: &Expr, out: &mut Vec<Vec<String>>) {
    use crate::lang::ast::{BinaryOp, ExprKind, Literal};
    let is_null = |e: &Expr| matches!(e.kind, ExprKind::Literal(Literal::Null));
    match &e.kind {
        ExprKind::Field(_) | ExprKind::Literal(_) => {}
        ExprKind::Unary(_, x) => absence_tested(x, out),
        ExprKind::Binary(op, l, r) => {
            if matches!(op, BinaryOp::Eq | BinaryOp::Ne) {
                for (a, b) in [(l, r), (r, l)] {
                    if let (ExprKind::Field(p), true) = (&a.kind, is_null(b)) {
                        out.push(p.parts.clone());
                    }
                }
            }
            absence_tested(l, out);
            absence_tested(r, out);
        }
        ExprKind::In(x, items) => {
            absence_tested(x, out);
            items.iter().for_each(|i| absence_tested(i, out));
        }
        ExprKind::Call { name, args, .. } => {
            if name == "exists" || name == "coalesce" {
                args.iter().for_each(|a| expr::fields_read(a, out));
            }
            args.iter().for_each(|a| absence_tested(a, out));
        }
    }
}

fn compile(e: &Expr) -> Result<Compiled, LangError> {
    expr::compile(e)
}

/// The fields a `parse` at stage `at` needs to make: all of them, unless a
/// later stage makes rows of its own (an aggregate, `top`, `select`) — then
/// those the stages up to it read, and, when the pipeline reads event time,
/// the time field (named, or any of the names detection tries).
/// `time_hint`: stage `at` hands its time over without the time field (it
/// is made only if a later stage reads it).
fn wanted_after(
    stages: &[LogicalStage],
    at: usize,
    time_field: Option<&str>,
    time_hint: bool,
) -> Want {
    let mut names: Vec<String> = Vec::new();
    if stages.iter().any(|s| s.event_time) {
        names.extend(
            crate::exec::event_time::AUTO_FIELDS
                .iter()
                .skip(usize::from(time_hint))
                .map(|f| f.to_string()),
        );
        if let Some(f) = time_field.filter(|_| !time_hint) {
            names.push(f.split('.').next().unwrap_or(f).to_string());
            names.push(f.to_string());
        }
    }
    for s in &stages[at + 1..] {
        for r in &s.reads {
            // The top-level field, or a key written with the dots.
            names.push(r[0].clone());
            names.push(r.join("."));
        }
        if matches!(
            s.stage.kind,
            StageKind::Aggregate(_) | StageKind::Top { .. } | StageKind::Select(_)
        ) {
            return Want::only(names);
        }
    }
    Want::all()
}

/// `time_hint`: the stage is a `parse` that sets the event's time ([`Plan::time_hint`]).
fn build_stage(
    stage: &Stage,
    lookup: Option<exec::join::Lookup>,
    want: &Want,
    time_hint: bool,
) -> Result<(Box<dyn Operator>, String), LangError> {
    Ok(match &stage.kind {
        StageKind::Where(cond) => (
            Box::new(exec::where_::Where {
                cond: compile(cond)?,
            }),
            "where: keep events matching a condition".into(),
        ),
        StageKind::Select(items) => {
            let items = items
                .iter()
                .map(|it| {
                    Ok(exec::select::SelectItem {
                        name: it.name.parts.clone(),
                        value: compile(&it.expr)?,
                    })
                })
                .collect::<Result<Vec<_>, LangError>>()?;
            let names: Vec<String> = items.iter().map(|i| i.name.join(".")).collect();
            (
                Box::new(exec::select::Select::new(items)),
                format!("select: keep {}", names.join(", ")),
            )
        }
        StageKind::Eval(assignments) => {
            let asg = assignments
                .iter()
                .map(|a| Ok((a.name.parts.clone(), compile(&a.expr)?)))
                .collect::<Result<Vec<_>, LangError>>()?;
            let names: Vec<String> = asg.iter().map(|(n, _)| n.join(".")).collect();
            (
                Box::new(exec::eval::Eval { assignments: asg }),
                format!("eval: set {}", names.join(", ")),
            )
        }
        StageKind::Drop(fields) => {
            let fields: Vec<Vec<String>> = fields.iter().map(|f| f.parts.clone()).collect();
            let names: Vec<String> = fields.iter().map(|f| f.join(".")).collect();
            (
                Box::new(exec::drop::Drop { fields }),
                format!("drop: remove {}", names.join(", ")),
            )
        }
        StageKind::Rename(pairs) => {
            let pairs: Vec<(Vec<String>, Vec<String>)> = pairs
                .iter()
                .map(|(a, b)| (a.parts.clone(), b.parts.clone()))
                .collect();
            let names: Vec<String> = pairs
                .iter()
                .map(|(a, b)| format!("{} -> {}", a.join("."), b.join(".")))
                .collect();
            (
                Box::new(exec::rename::Rename { pairs }),
                format!("rename: {}", names.join(", ")),
            )
        }
        StageKind::Parse { kind, from } => {
            let from_parts = from
                .as_ref()
                .map(|f| f.parts.clone())
                .unwrap_or_else(|| vec!["line".to_string()]);
            let (parser, what) = match kind {
                ParseKind::Regex { pattern, span } => {
                    let re = regex::Regex::new(pattern)
                        .map_err(|e| LangError::new(format!("invalid regex: {e}"), *span))?;
                    (
                        exec::parse::Parser::Regex(exec::parse::RegexParser::new(re, want)),
                        "regex".into(),
                    )
                }
                ParseKind::Logfmt => (exec::parse::Parser::Logfmt, "logfmt".into()),
                ParseKind::Json => (exec::parse::Parser::Json, "json".into()),
                ParseKind::Format(w) => {
                    let f = crate::logformat::LogFormat::from_word(w).ok_or_else(|| {
                        LangError::new(format!("unknown format `{w}`"), stage.span)
                    })?;
                    (exec::parse::Parser::Format(f, want.clone()), w.clone())
                }
                ParseKind::Pattern {
                    pattern,
                    names,
                    span,
                } => {
                    let p = crate::logformat::pattern::Pattern::new(pattern, names)
                        .map_err(|e| LangError::new(e, *span))?;
                    let fields = p.field_names().collect::<Vec<_>>().join(", ");
                    (
                        exec::parse::Parser::pattern(p, want),
                        format!("pattern into {fields}"),
                    )
                }
            };
            let desc = format!("parse {what} from {}", from_parts.join("."));
            let mut parse = exec::parse::Parse::new(parser, from_parts);
            parse.set_time_hint(time_hint);
            (Box::new(parse), desc)
        }
        StageKind::Head(n) => (
            Box::new(exec::head::Head { limit: *n, seen: 0 }),
            format!("head: first {n} events, then stop"),
        ),
        StageKind::Dedup { keys, within } => {
            let extractor = exec::key::KeyExtractor::new(keys)?;
            let names = extractor.names().join(", ");
            let what = match within {
                Some(d) => format!(
                    "dedup on {names}: drop repeats seen within {} of event time",
                    fmt_ms(d.millis)
                ),
                None => format!("dedup on {names}: drop repeats (remembers every key)"),
            };
            (
                Box::new(exec::dedup::Dedup::new(
                    extractor,
                    within.as_ref().map(|d| d.millis),
                )),
                what,
            )
        }
        StageKind::Join(j) => {
            let op = match lookup {
                Some(l) => exec::join::Join::with(j, l),
                None => exec::join::Join::open(j)?,
            };
            let what = op.describe();
            (Box::new(op), what)
        }
        StageKind::Running { aggs, by, scope } => {
            let specs = aggs
                .iter()
                .map(exec::agg::AggSpec::compile)
                .collect::<Result<Vec<_>, LangError>>()?;
            let keys = exec::key::KeyExtractor::new(by)?;
            let Some(sc) = exec::running::Scope::of(*scope) else {
                return Err(LangError::new(
                    "`last 0` keeps no events; write `last 1` or more",
                    stage.span,
                ));
            };
            let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
            let by = if keys.is_empty() {
                String::new()
            } else {
                format!(" by {}", keys.names().join(", "))
            };
            let over = match sc {
                exec::running::Scope::Cumulative => "everything so far".to_string(),
                exec::running::Scope::Over(d) => {
                    format!("the last {} of event time", fmt_ms(d))
                }
                exec::running::Scope::Last(1) => "the event itself".to_string(),
                exec::running::Scope::Last(n) => format!("the last {n} events"),
            };
            (
                Box::new(exec::running::Running::new(specs, keys, sc)),
                format!("running{by}: add {} over {over}", names.join(", ")),
            )
        }
        StageKind::Top {
            n,
            keys,
            by,
            window,
            emit,
        } => {
            let (op, what) =
                exec::top::plan(*n, keys, by.as_ref(), window.as_ref(), *emit, stage.span)?;
            (Box::new(op), what)
        }
        StageKind::Aggregate(a) => {
            let op = exec::aggregate::Aggregate::new(a)?;
            let what = op.describe();
            (Box::new(op), what)
        }
    })
}

/// A duration for `--explain`, in the largest unit that divides it (`90s`, `5m`).
pub fn fmt_ms(ms: i64) -> String {
    for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1000)] {
        if ms != 0 && ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wants(src: &str, time_field: Option<&str>) -> Vec<Want> {
        let p = validate(&crate::lang::parse(src).unwrap(), time_field).unwrap();
        (0..p.stages.len())
            .map(|i| wanted_after(&p.stages, i, time_field, false))
            .collect()
    }

    fn hinted(src: &str, time_field: Option<&str>, auto_time_format: bool) -> Plan {
        let opts = PlanOptions {
            time_field: time_field.map(str::to_owned),
            auto_time_format,
            ..PlanOptions::default()
        };
        build(&crate::lang::parse(src).unwrap(), &opts).unwrap()
    }

    #[test]
    fn a_parse_read_for_time_hands_its_time_over_and_makes_ts_only_if_read() {
        let p = hinted("parse nginx | count by status every 1m", None, true);
        assert!(p.time_hint);
        assert!(hinted("parse nginx | count by status every 1m", Some("ts"), true).time_hint);
        // Another time field, a time format to apply, a stage that can
        // change `ts` after the parse, a parse whose `ts` comes later: no hint.
        assert!(!hinted("parse nginx | count by status every 1m", Some("when"), true).time_hint);
        assert!(!hinted("parse nginx | count by status every 1m", None, false).time_hint);
        assert!(!hinted("parse nginx | eval ts = now() | count every 1m", None, true).time_hint);
        assert!(!hinted("parse syslog | count every 1m", None, true).time_hint);
        assert!(!hinted("parse nginx | count by status", None, true).time_hint);
        // `ts` is made when a later stage reads it, else not.
        let p = validate(
            &crate::lang::parse("parse nginx | count by status every 1m").unwrap(),
            None,
        )
        .unwrap();
        assert!(!wanted_after(&p.stages, 0, None, true).has("ts"));
        let p = validate(
            &crate::lang::parse("parse nginx | where ts > \"2026\" | count every 1m").unwrap(),
            None,
        )
        .unwrap();
        assert!(wanted_after(&p.stages, 0, None, true).has("ts"));
    }

    #[test]
    fn a_parse_makes_what_is_read_up_to_the_first_stage_that_makes_rows() {
        let w = &wants(
            "parse nginx | where method == \"GET\" | count by req.status every 1m | where count > status",
            Some("when.at"),
        )[0];
        for name in [
            "method",
            "req",
            "req.status",
            "ts",
            "@timestamp",
            "when",
            "when.at",
        ] {
            assert!(w.has(name), "{name}");
        }
        // Read only after the rows are made: not a field of the parse.
        assert!(!w.has("status"));
        assert!(!w.has("user_agent"));
    }

    #[test]
    fn without_event_time_no_time_field_is_made() {
        let w = &wants("parse nginx | count by status", None)[0];
        assert!(w.has("status"));
        assert!(!w.has("ts"));
    }

    #[test]
    fn without_such_a_stage_a_parse_makes_every_field() {
        assert_eq!(
            wants("parse nginx | dedup ip | where status > 1", None)[0],
            Want::all()
        );
        assert_eq!(wants("parse nginx | head 1", None)[0], Want::all());
    }
}
