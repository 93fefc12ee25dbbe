//! The validated logical plan: what each stage reads and writes, which
//! stages work in event time and where event time is read, each window and
//! emission. Both backends start from it — the executor ([`super::build`])
//! and the Flink SQL compiler (`compile::flink`) — so every language error
//! (a bad expression, window, aggregate argument, regex or lookup file) is
//! found here, once, and a pipeline gets the same message from `streamctl`
//! and `streamctl compile`. A backend may still decline a valid pipeline
//! (the compiler refuses what Flink cannot do alike), never re-check it.

use crate::exec::agg::AggSpec;
use crate::exec::join::Lookup;
use crate::exec::key::KeyExtractor;
use crate::exec::window::Windows;
use crate::expr;
use crate::lang::ast::{
    Emit, Expr, ExprKind, ParseKind, Pipeline, RunningScope, Stage, StageKind, Window,
};
use crate::lang::LangError;

/// A pipeline that passed every language check.
pub struct LogicalPlan {
    pub stages: Vec<LogicalStage>,
    /// Where event time is read, from the event as it arrives there: the
    /// first stage that works in event time, or earlier — see [`time_point`].
    pub time_at: Option<usize>,
    /// The first stage that works in event time: an event reaching it
    /// without a readable time is rejected there.
    pub time_needed_at: Option<usize>,
    /// The pipeline is watched (`emit every`, `emit on update`): how the
    /// rows of its last such stage replace each other.
    pub watched: Option<Watched>,
}

/// How the rows of a watched stage replace each other on a live table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watched {
    /// A row replaces the row with the same values in these columns
    /// (window and keys): an aggregate's groups.
    Rows(Vec<String>),
    /// Each snapshot replaces the whole table: `top … emit every`, where a
    /// group that left the top N must leave the screen too.
    Snapshots,
}

pub struct LogicalStage {
    /// The stage as written.
    pub stage: Stage,
    /// Every field path it reads, in order of appearance, each once.
    pub reads: Vec<Vec<String>>,
    /// What it writes.
    pub writes: Writes,
    /// It works in event time (windows, `over D`, `within D`).
    pub event_time: bool,
    /// Its window, checked (size, slide and gap in range).
    pub window: Option<Window>,
    /// When it emits rows (`on close` for stages that emit as events come).
    pub emit: Emit,
    /// A join's lookup file, read and parsed; taken by the executor.
    pub lookup: Option<Lookup>,
}

/// The fields a stage writes.
#[derive(Debug, Clone, PartialEq)]
pub enum Writes {
    /// These fields get a value the stage makes (a field copied under its
    /// own name by `select` is not written).
    Fields(Vec<Vec<String>>),
    /// Fields known only at run time (`parse json`, `parse logfmt`, a
    /// format scanner, a lookup row's columns).
    Unknown,
    /// Each event becomes a new row of these columns (an aggregate, `top`).
    Rows(Vec<String>),
}

impl LogicalPlan {
    /// The fields the stages before `at` make (top-level names): for the
    /// compiler, which reads event time from a source column.
    pub fn made_before(&self, at: usize) -> impl Iterator<Item = (usize, &str)> {
        self.stages[..at]
            .iter()
            .enumerate()
            .flat_map(|(i, s)| match &s.writes {
                Writes::Fields(f) => f.iter().map(move |p| (i, p[0].as_str())).collect(),
                _ => Vec::new(),
            })
    }
}

/// Check a parsed pipeline, stage by stage (the first error wins).
/// `time_field` is `--time-field` (`None`: the auto-detected names).
pub fn validate(p: &Pipeline, time_field: Option<&str>) -> Result<LogicalPlan, LangError> {
    let mut stages = Vec::with_capacity(p.stages.len());
    let mut watched = None;
    for stage in &p.stages {
        let lookup = check(stage)?;
        watched = watched_columns(&stage.kind).or(watched);
        let mut reads = Vec::new();
        fields_read(&stage.kind, &mut reads);
        let (window, emit) = match &stage.kind {
            StageKind::Aggregate(a) => (a.window.clone(), a.emit),
            StageKind::Top { window, emit, .. } => (window.clone(), *emit),
            _ => (None, Emit::OnClose),
        };
        stages.push(LogicalStage {
            stage: stage.clone(),
            reads: dedup_keep_order(reads),
            writes: match (&stage.kind, &lookup) {
                // A lookup file's columns are known once it is read.
                (StageKind::Join(_), Some(l)) => match l.added_names() {
                    Some(names) => Writes::Fields(names.iter().map(|n| vec![n.clone()]).collect()),
                    None => Writes::Unknown,
                },
                (kind, _) => writes(kind),
            },
            event_time: needs_time(&stage.kind),
            window,
            emit,
            lookup,
        });
    }
    let time_needed_at = stages.iter().position(|s| s.event_time);
    let time_at = time_needed_at.map(|first| time_point(&stages, first, time_field));
    Ok(LogicalPlan {
        stages,
        time_at,
        time_needed_at,
        watched,
    })
}

/// Where event time is read, given that stage `first` is the first to work
/// in event time. As early as the time field can be read as it will be at
/// `first`: the reading moves upstream past every stage that cannot make or
/// change that field (`where`, `dedup`, `head`, `drop`, a `select` or `eval`
/// of other fields, a `join` whose lookup has no such column), and stops
/// after one that can (`parse`, an `eval`/`rename`/`select` naming it, a
/// lookup with varied columns, an aggregate). So a filter before a
/// window does not change which events are late: every event read moves
/// time on, as at the source of the compiled Flink job, whose watermark
/// is defined on the source table.
fn time_point(stages: &[LogicalStage], first: usize, time_field: Option<&str>) -> usize {
    use crate::exec::event_time::{ARRIVAL, AUTO_FIELDS};
    let names: Vec<&str> = match time_field {
        Some(ARRIVAL) => Vec::new(),
        Some(f) => vec![f.split('.').next().unwrap_or(f)],
        None => AUTO_FIELDS.to_vec(),
    };
    let may_make_time = |s: &LogicalStage| match &s.writes {
        Writes::Fields(f) => f.iter().any(|p| names.contains(&p[0].as_str())),
        Writes::Unknown | Writes::Rows(_) => true,
    };
    stages[..first]
        .iter()
        .rposition(may_make_time)
        .map_or(0, |i| i + 1)
}

/// Every language check of one stage, in the order the executor's
/// constructors make them; a join's lookup file is loaded here.
fn check(stage: &Stage) -> Result<Option<Lookup>, LangError> {
    let expr = |e: &Expr| expr::compile(e).map(|_| ());
    let window = |w: &Window| {
        Windows::new(w.kind)
            .map(|_| ())
            .map_err(|m| LangError::new(m, w.span))
    };
    match &stage.kind {
        StageKind::Where(cond) => expr(cond)?,
        StageKind::Select(items) => items.iter().try_for_each(|i| expr(&i.expr))?,
        StageKind::Eval(a) => a.iter().try_for_each(|a| expr(&a.expr))?,
        StageKind::Drop(_) | StageKind::Rename(_) | StageKind::Head(_) => {}
        StageKind::Parse { kind, .. } => match kind {
            ParseKind::Regex { pattern, span } => {
                regex::Regex::new(pattern)
                    .map_err(|e| LangError::new(format!("invalid regex: {e}"), *span))?;
            }
            ParseKind::Format(w) => {
                if crate::logformat::LogFormat::from_word(w).is_none() {
                    return Err(LangError::new(format!("unknown format `{w}`"), stage.span));
                }
            }
            ParseKind::Pattern {
                pattern,
                names,
                span,
            } => {
                crate::logformat::pattern::Pattern::new(pattern, names)
                    .map_err(|e| LangError::new(e, *span))?;
            }
            ParseKind::Logfmt | ParseKind::Json => {}
        },
        StageKind::Dedup { keys, .. } => {
            KeyExtractor::new(keys)?;
        }
        StageKind::Join(j) => return Lookup::load(j).map(Some),
        StageKind::Running { aggs, by, scope } => {
            aggs.iter()
                .try_for_each(|c| AggSpec::compile(c).map(|_| ()))?;
            KeyExtractor::new(by)?;
            if matches!(scope, RunningScope::Last(0)) {
                return Err(LangError::new(
                    "`last 0` keeps no events; write `last 1` or more",
                    stage.span,
                ));
            }
        }
        StageKind::Top {
            keys,
            by,
            window: w,
            emit,
            ..
        } => {
            if let Some(call) = by {
                AggSpec::compile(call)?;
            }
            KeyExtractor::new(keys)?;
            if let Some(w) = w {
                window(w)?;
            }
            if let Emit::Every(d) = emit {
                if *d <= 0 {
                    return Err(LangError::new(
                        "`emit every` needs a duration longer than 0ms; write e.g. `emit every 10s`",
                        stage.span,
                    ));
                }
            }
        }
        StageKind::Aggregate(a) => {
            a.aggs
                .iter()
                .try_for_each(|c| AggSpec::compile(c).map(|_| ()))?;
            if let Some(w) = &a.window {
                window(w)?;
            }
            if let Emit::Every(d) = a.emit {
                if d <= 0 {
                    let span = match (&a.window, a.aggs.first()) {
                        (Some(w), _) => w.span,
                        (None, Some(c)) => c.span,
                        (None, None) => crate::lang::span::Span::default(),
                    };
                    return Err(LangError::new(
                        "`emit every` needs a duration longer than 0ms; write e.g. `emit every 10s`",
                        span,
                    ));
                }
            }
            KeyExtractor::new(&a.by)?;
        }
    }
    Ok(None)
}

/// Whether a stage works in event time: windows, `running … over D`,
/// `dedup … within D`. (Processing time is event time = arrival time.)
pub fn needs_time(kind: &StageKind) -> bool {
    match kind {
        StageKind::Aggregate(a) => a.window.is_some(),
        StageKind::Running { scope, .. } => matches!(scope, RunningScope::Over(_)),
        StageKind::Dedup { within, .. } => within.is_some(),
        StageKind::Top { window, .. } => window.is_some(),
        _ => false,
    }
}

/// For a stage that emits snapshots or updates: how its rows replace each other.
fn watched_columns(kind: &StageKind) -> Option<Watched> {
    let (window, keys) = match kind {
        StageKind::Aggregate(a) if a.emit != Emit::OnClose => (&a.window, &a.by),
        StageKind::Top { emit, .. } if *emit != Emit::OnClose => return Some(Watched::Snapshots),
        _ => return None,
    };
    let mut cols: Vec<String> = Vec::new();
    if window.is_some() {
        cols.extend(["window_start".to_string(), "window_end".to_string()]);
    }
    cols.extend(keys.iter().map(|k| k.name.clone()));
    Some(Watched::Rows(cols))
}

/// What a stage writes (see [`Writes`]).
fn writes(kind: &StageKind) -> Writes {
    let window_cols = |w: &Option<Window>| -> Vec<String> {
        if w.is_some() {
            vec!["window_start".into(), "window_end".into()]
        } else {
            Vec::new()
        }
    };
    match kind {
        StageKind::Where(_) | StageKind::Drop(_) | StageKind::Head(_) | StageKind::Dedup { .. } => {
            Writes::Fields(Vec::new())
        }
        StageKind::Select(items) => Writes::Fields(
            items
                .iter()
                .filter(
                    |it| !matches!(&it.expr.kind, ExprKind::Field(f) if f.parts == it.name.parts),
                )
                .map(|it| it.name.parts.clone())
                .collect(),
        ),
        StageKind::Eval(a) => Writes::Fields(a.iter().map(|a| a.name.parts.clone()).collect()),
        StageKind::Rename(pairs) => {
            Writes::Fields(pairs.iter().map(|(_, b)| b.parts.clone()).collect())
        }
        StageKind::Parse { kind, .. } => match kind {
            ParseKind::Regex { pattern, .. } => Writes::Fields(
                regex::Regex::new(pattern)
                    .map(|re| {
                        re.capture_names()
                            .flatten()
                            .map(|n| vec![n.to_owned()])
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            ParseKind::Pattern { pattern, names, .. } => Writes::Fields(
                crate::logformat::pattern::Pattern::new(pattern, names)
                    .map(|p| p.field_names().map(|n| vec![n.to_owned()]).collect())
                    .unwrap_or_default(),
            ),
            ParseKind::Logfmt | ParseKind::Json | ParseKind::Format(_) => Writes::Unknown,
        },
        // Known from the lookup file (see `validate`), when it is read.
        StageKind::Join(_) => Writes::Unknown,
        StageKind::Running { aggs, .. } => {
            Writes::Fields(aggs.iter().map(|c| vec![c.name.clone()]).collect())
        }
        StageKind::Aggregate(a) => {
            let mut cols = window_cols(&a.window);
            cols.extend(a.by.iter().map(|k| k.name.clone()));
            cols.extend(a.aggs.iter().map(|c| c.name.clone()));
            Writes::Rows(cols)
        }
        StageKind::Top {
            keys, by, window, ..
        } => {
            let mut cols = window_cols(window);
            cols.extend(keys.iter().map(|k| k.name.clone()));
            cols.push(by.as_ref().map_or("count".into(), |c| c.name.clone()));
            Writes::Rows(cols)
        }
    }
}

fn dedup_keep_order(v: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let mut seen: Vec<Vec<String>> = Vec::new();
    for s in v {
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    seen
}

/// Each expression of a stage, in order (keys, conditions, items,
/// aggregate arguments).
pub fn exprs_of<'a>(kind: &'a StageKind, f: &mut impl FnMut(&'a Expr)) {
    let aggs = |aggs: &'a [crate::lang::ast::AggCall], f: &mut dyn FnMut(&'a Expr)| {
        aggs.iter().filter_map(|c| c.arg.as_ref()).for_each(f)
    };
    match kind {
        StageKind::Where(e) => f(e),
        StageKind::Select(items) => items.iter().for_each(|i| f(&i.expr)),
        StageKind::Eval(a) => a.iter().for_each(|a| f(&a.expr)),
        StageKind::Aggregate(a) => {
            a.by.iter().for_each(|k| f(&k.expr));
            aggs(&a.aggs, f);
        }
        StageKind::Running {
            aggs: calls, by, ..
        } => {
            by.iter().for_each(|k| f(&k.expr));
            aggs(calls, f);
        }
        StageKind::Dedup { keys, .. } => keys.iter().for_each(|k| f(&k.expr)),
        StageKind::Top { keys, by, .. } => {
            keys.iter().for_each(|k| f(&k.expr));
            aggs(by.as_slice(), f);
        }
        StageKind::Drop(_)
        | StageKind::Rename(_)
        | StageKind::Parse { .. }
        | StageKind::Join(_)
        | StageKind::Head(_) => {}
    }
}

/// Every field path a stage reads.
pub fn fields_read(kind: &StageKind, out: &mut Vec<Vec<String>>) {
    match kind {
        StageKind::Where(e) => expr::fields_read(e, out),
        StageKind::Select(items) => items.iter().for_each(|i| expr::fields_read(&i.expr, out)),
        StageKind::Eval(a) => a.iter().for_each(|a| expr::fields_read(&a.expr, out)),
        StageKind::Drop(f) => out.extend(f.iter().map(|f| f.parts.clone())),
        StageKind::Rename(p) => out.extend(p.iter().map(|(a, _)| a.parts.clone())),
        StageKind::Parse { from, .. } => out.push(
            from.as_ref()
                .map(|f| f.parts.clone())
                .unwrap_or_else(|| vec!["line".into()]),
        ),
        StageKind::Aggregate(a) => {
            a.by.iter().for_each(|k| expr::fields_read(&k.expr, out));
            a.aggs
                .iter()
                .filter_map(|c| c.arg.as_ref())
                .for_each(|e| expr::fields_read(e, out));
        }
        StageKind::Running { aggs, by, .. } => {
            by.iter().for_each(|k| expr::fields_read(&k.expr, out));
            aggs.iter()
                .filter_map(|c| c.arg.as_ref())
                .for_each(|e| expr::fields_read(e, out));
        }
        StageKind::Join(j) => out.push(j.key.parts.clone()),
        StageKind::Dedup { keys, .. } => keys.iter().for_each(|k| expr::fields_read(&k.expr, out)),
        StageKind::Head(_) => {}
        StageKind::Top { keys, by, .. } => {
            keys.iter().for_each(|k| expr::fields_read(&k.expr, out));
            if let Some(e) = by.as_ref().and_then(|c| c.arg.as_ref()) {
                expr::fields_read(e, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(src: &str) -> LogicalPlan {
        validate(&crate::lang::parse(src).unwrap(), None).unwrap()
    }

    #[test]
    fn event_time_is_read_after_the_last_stage_that_may_make_the_time_field() {
        let p = plan("where a > 1 | eval ts = t | count by k every 1m | dedup k within 1m");
        assert_eq!(p.time_at, Some(2));
        let flags: Vec<bool> = p.stages.iter().map(|s| s.event_time).collect();
        assert_eq!(flags, [false, false, true, true]);
        assert!(plan("where a > 1 | dedup k").time_at.is_none());
        // Filters and other fields' edits do not hide events from the clock.
        let at = |src: &str| plan(src).time_at;
        assert_eq!(at("where a > 1 | eval ts2 = ts | count every 1m"), Some(0));
        assert_eq!(at("dedup k | select k, ts | count by k every 1m"), Some(0));
        assert_eq!(
            at("parse nginx | where status > 1 | count every 1m"),
            Some(1)
        );
        assert_eq!(
            at("count by k every 1m | where count > 1 | count every 1h"),
            Some(0)
        );
        assert_eq!(at("rename t as time | where a | count every 1m"), Some(1));
        let with = |src: &str, f| {
            validate(&crate::lang::parse(src).unwrap(), Some(f))
                .unwrap()
                .time_at
        };
        assert_eq!(
            with("rename t as time | where a | count every 1m", "when"),
            Some(0)
        );
        assert_eq!(
            with("eval when = t | where a | count every 1m", "when"),
            Some(1)
        );
        assert_eq!(with("eval when.x = t | count every 1m", "when.x"), Some(1));
    }

    #[test]
    fn reads_and_writes_per_stage() {
        let p = plan(
            "select a, b + 1 as c, d.e as d.e | rename c as x | parse regex \"(?P<y>\\\\d+)\" from a | stats sum(c) as s by k every 1m",
        );
        let reads: Vec<&Vec<Vec<String>>> = p.stages.iter().map(|s| &s.reads).collect();
        assert_eq!(
            reads[0],
            &vec![
                vec!["a".to_string()],
                vec!["b".into()],
                vec!["d".into(), "e".into()]
            ]
        );
        assert_eq!(p.stages[0].writes, Writes::Fields(vec![vec!["c".into()]]));
        assert_eq!(p.stages[1].writes, Writes::Fields(vec![vec!["x".into()]]));
        assert_eq!(p.stages[2].writes, Writes::Fields(vec![vec!["y".into()]]));
        assert_eq!(
            p.stages[3].writes,
            Writes::Rows(vec![
                "window_start".into(),
                "window_end".into(),
                "k".into(),
                "s".into()
            ])
        );
        let made: Vec<(usize, &str)> = p.made_before(3).collect();
        assert_eq!(made, [(0, "c"), (1, "x"), (2, "y")]);
    }

    #[test]
    fn windows_and_emission_are_checked_here() {
        let err = |src: &str| match validate(&crate::lang::parse(src).unwrap(), None) {
            Err(e) => e.message.clone(),
            Ok(_) => panic!("{src} passed"),
        };
        assert!(err("count every 1s slide 1m").starts_with("slide 1m is longer than the window 1s"));
        assert!(err("running count last 0").starts_with("`last 0` keeps no events"));
        assert!(err("count every 10m slide 1ms").starts_with("every event would fall into"));
        let p = plan("count by k every 1m emit on update");
        assert_eq!(p.stages[0].emit, Emit::OnUpdate);
        assert_eq!(
            p.watched,
            Some(Watched::Rows(vec![
                "window_start".into(),
                "window_end".into(),
                "k".into()
            ]))
        );
        let p = plan("top 3 k emit every 1s");
        assert_eq!(p.stages[0].emit, Emit::Every(1000));
        assert_eq!(p.watched, Some(Watched::Snapshots));
    }
}
