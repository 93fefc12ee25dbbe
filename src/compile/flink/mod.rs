//! The Flink SQL script for a pipeline (DESIGN §9): `SET` lines, the source
//! table(s) with the event-time column and watermark, one temporary view per
//! stage, the sink table and `INSERT INTO`.
//!
//! Each view carries the stage's output columns, in streamctl's order, plus
//! the hidden `rowtime` column while event time is still known (it becomes
//! `window_time`, i.e. `window_end − 1 ms`, after a window, as in §3). The
//! final `INSERT` selects the user columns only.

use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::compile::expr::{sql_string, Scope, Sx};
use crate::compile::schema::{self, quote_ident as q, Column, Ty};
use crate::compile::{no, time, CompileError, Options, Untranslatable};
use crate::input::Format;
use crate::lang::ast::*;
use crate::lang::print::duration;
use crate::lang::LangError;
use crate::plan::LogicalPlan;

mod aggregate;
mod join;
mod source;

use aggregate::*;
use source::*;

/// The name of the hidden event-time column in every table and view.
const ROWTIME: &str = "rowtime";
/// The processing-time column stages that work in arrival order add.
const PROCTIME: &str = "proctime";
/// RFC 3339 UTC with milliseconds, as streamctl writes `window_start`.
const RFC3339_MS: &str = "yyyy-MM-dd''T''HH:mm:ss.SSS''Z''";

/// A table or view and what it holds.
#[derive(Debug, Clone)]
struct Rel {
    name: String,
    cols: Vec<Column>,
    rowtime: bool,
}

impl Rel {
    /// Every column, the hidden time column last.
    fn select_all(&self) -> String {
        let mut names: Vec<String> = self.cols.iter().map(|c| q(&c.name)).collect();
        if self.rowtime {
            names.push(q(ROWTIME));
        }
        names.join(", ")
    }
}

/// Compile a pipeline; the script, or the `--explain` text. Errors are
/// complete messages for stderr (exit 2).
pub fn compile(opts: &Options) -> Result<String, CompileError> {
    let src = opts.pipeline.as_str();
    let pipeline = crate::lang::parse(src).map_err(|e| CompileError::Refused(e.render(src)))?;
    // The same checks as `streamctl` makes, so both refuse a pipeline alike.
    let plan = crate::plan::validate(&pipeline, opts.time_field.as_deref())
        .map_err(|e| CompileError::Refused(e.render(src)))?;

    let needs_time = plan.time_at;
    if let Some(at) = needs_time {
        check_time_from_source(&plan, at, opts).map_err(|e| e.render(src))?;
    }
    let source = Source::build(opts, needs_time.is_some())?;
    // Named at the stage that needs time (it may be read earlier, see
    // `LogicalPlan::time_at`).
    if let (Some(i), None) = (plan.time_needed_at, &source.time) {
        let stage = &pipeline.stages[i];
        return Err(CompileError::Refused(
            refusal(
                i,
                stage,
                "it needs event time and the input has no time field, so it would run on processing time, whose windows depend on when the job runs; give --time-field",
            )
            .render(src),
        ));
    }
    let batch = batch_mode(&pipeline, opts).map_err(|(i, why)| {
        CompileError::Refused(refusal(i, &pipeline.stages[i], &why).render(src))
    })?;

    let mut c = Compiler {
        shifts: source.shifts.clone(),
        after_stateless: true,
        batch,
        lookups: Vec::new(),
        views: Vec::new(),
        pre: Vec::new(),
        explain: Vec::new(),
    };
    let mut rel = source.rel.clone();
    for (i, stage) in plan.stages.iter().map(|s| &s.stage).enumerate() {
        let name = format!("v{}", i + 1);
        let (body, next, ops) = c
            .stage(stage, &rel, &name)
            .map_err(|why| CompileError::Refused(refusal(i, stage, &why.0).render(src)))?;
        let mut text = single_line(&stage.to_string());
        if text.len() > 200 {
            text = format!("{}…", text.chars().take(200).collect::<String>());
        }
        let pre: String = c.pre.drain(..).collect();
        c.views.push(format!(
            "-- {}. {text}\n{pre}CREATE TEMPORARY VIEW {} AS\n{body};\n",
            i + 1,
            q(&name)
        ));
        c.explain.push(format!("{}. {text}\n     -> {ops}", i + 1));
        rel = next;
    }

    let sink = sink_table(opts, &rel)?;
    if opts.explain {
        let mut out = String::new();
        let _ = writeln!(out, "source: {}", source.explain);
        for line in &c.explain {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "sink: {}", sink.1);
        let _ = writeln!(
            out,
            "mode: {}",
            if batch {
                "batch (the unwindowed aggregate gives its rows at end of input)"
            } else {
                "streaming"
            }
        );
        return Ok(out);
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "-- Flink SQL compiled by streamctl {} from:\n--   {}",
        env!("CARGO_PKG_VERSION"),
        single_line(src)
    );
    out.push_str("SET 'table.local-time-zone' = 'UTC';\n");
    out.push_str("SET 'pipeline.auto-watermark-interval' = '0 ms';\n");
    if batch {
        out.push_str("SET 'execution.runtime-mode' = 'batch';\n");
    }
    out.push('\n');
    out.push_str(&source.ddl);
    for t in &c.lookups {
        out.push('\n');
        out.push_str(t);
    }
    for v in &c.views {
        out.push('\n');
        out.push_str(v);
    }
    out.push('\n');
    out.push_str(&sink.0);
    let _ = write!(
        out,
        "\nINSERT INTO {}\nSELECT {}\nFROM {};\n",
        q("sink"),
        rel.cols
            .iter()
            .map(|c| q(&c.name))
            .collect::<Vec<_>>()
            .join(", "),
        q(&rel.name)
    );
    Ok(out)
}

fn single_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// The refusal of stage `i`, with carets under it.
fn refusal(i: usize, stage: &Stage, why: &str) -> LangError {
    LangError::new(
        format!(
            "cannot compile stage {} (`{}`) to Flink SQL: {why}",
            i + 1,
            stage.kind.keyword()
        ),
        stage.span,
    )
}

/// streamctl reads event time at stage `at`, from the event as it is there;
/// the compiled job reads it from a source column (`WATERMARK FOR rowtime`).
/// A stage before `at` that makes the time field would make the two differ:
/// refused, at that stage.
fn check_time_from_source(plan: &LogicalPlan, at: usize, opts: &Options) -> Result<(), LangError> {
    let names: Vec<String> = match &opts.time_field {
        Some(f) => vec![f.split('.').next().unwrap_or(f).to_string()],
        None => crate::exec::event_time::AUTO_FIELDS
            .iter()
            .map(|f| f.to_string())
            .collect(),
    };
    if let Some((i, f)) = plan
        .made_before(at)
        .find(|(_, m)| names.iter().any(|n| n == m))
    {
        return Err(refusal(
            i,
            &plan.stages[i].stage,
            &format!(
                "it makes `{f}`, which event time is read from at stage {} (`{}`); the compiled job reads event time from a column of the source table, so it cannot come from a stage — give the input a time field (--time-field), or run this pipeline with streamctl",
                at + 1,
                plan.stages[at].stage.kind.keyword()
            ),
        ));
    }
    Ok(())
}

/// Whether the job runs in batch mode: an aggregate without a window gives
/// its rows at end of input, which a bounded batch job does and a streaming
/// job (an update stream) does not. Event-time stages need streaming, so a
/// pipeline with both is refused at the unwindowed aggregate.
fn batch_mode(p: &Pipeline, opts: &Options) -> Result<bool, (usize, String)> {
    let unwindowed = p.stages.iter().position(|s| match &s.kind {
        StageKind::Aggregate(a) => a.window.is_none(),
        StageKind::Top { window, .. } => window.is_none(),
        _ => false,
    });
    let timed = p
        .stages
        .iter()
        .any(|s| crate::plan::logical::needs_time(&s.kind));
    // A left join without event time: a streaming regular join would retract
    // its unmatched rows; a batch job over the bounded input gives each once.
    let left_join = p
        .stages
        .iter()
        .position(|s| matches!(&s.kind, StageKind::Join(j) if j.left));
    let Some(i) = unwindowed.or(if timed { None } else { left_join }) else {
        return Ok(false);
    };
    if timed {
        return Err((
            i,
            "an aggregate without a window gives its rows at end of input, which needs a batch job, and the pipeline's event-time stages need a streaming one; give this aggregate a window (`every D`)".into(),
        ));
    }
    if !opts.source_options.is_empty() {
        return Err((
            i,
            "this needs a batch job over a bounded input (an aggregate without a window gives its rows at end of input; a left join without event time gives each row once), and with --source-option the input may be unbounded: give the aggregate a window (`every D`) or the input a time field".into(),
        ));
    }
    if let Some(j) = p
        .stages
        .iter()
        .position(|s| matches!(s.kind, StageKind::Running { .. } | StageKind::Dedup { .. }))
    {
        return Err((
            j,
            "it works in arrival order, which a batch job (needed here for an aggregate without a window, or a left join without event time) does not keep".into(),
        ));
    }
    Ok(true)
}

/// A Flink interval literal, in the largest unit that divides it.
pub fn interval(ms: i64) -> String {
    let lit = |n: i64, unit: &str| {
        let digits = n.to_string().len();
        if digits > 2 {
            format!("INTERVAL '{n}' {unit}({digits})")
        } else {
            format!("INTERVAL '{n}' {unit}")
        }
    };
    for (size, unit) in [
        (86_400_000, "DAY"),
        (3_600_000, "HOUR"),
        (60_000, "MINUTE"),
        (1_000, "SECOND"),
    ] {
        if ms % size == 0 {
            return lit(ms / size, unit);
        }
    }
    let secs = ms / 1000;
    let digits = secs.to_string().len().max(1);
    if digits > 2 {
        format!("INTERVAL '{secs}.{:03}' SECOND({digits}, 3)", ms % 1000)
    } else {
        format!("INTERVAL '{secs}.{:03}' SECOND", ms % 1000)
    }
}

struct Compiler {
    /// See [`Source::shifts`].
    shifts: HashMap<String, f64>,
    /// Every stage so far passed events on in arrival order (stateless
    /// stages, running and dedup emit each event as it comes).
    after_stateless: bool,
    /// The job runs in batch mode.
    batch: bool,
    /// `CREATE TABLE`s for lookup files, before the views.
    lookups: Vec<String>,
    views: Vec<String>,
    /// Helper views the current stage needs before its own.
    pre: Vec<String>,
    explain: Vec<String>,
}

fn flat_name(p: &FieldPath, what: &str) -> Result<String, Untranslatable> {
    if p.parts.len() > 1 {
        return no(format!(
            "it {what} the nested field `{}`; Flink SQL rows are flat here: name it with a plain name (e.g. `as {}`)",
            p.display_name(),
            p.parts.last().map(String::as_str).unwrap_or("x")
        ));
    }
    Ok(p.parts[0].clone())
}

impl Compiler {
    /// One stage: the view's body, what it holds, and the Flink operators.
    fn stage(
        &mut self,
        stage: &Stage,
        rel: &Rel,
        name: &str,
    ) -> Result<(String, Rel, String), Untranslatable> {
        let scope = Scope::new(&rel.cols);
        let from = q(&rel.name);
        let next = |cols: Vec<Column>, rowtime: bool| Rel {
            name: name.to_string(),
            cols,
            rowtime,
        };
        match &stage.kind {
            StageKind::Where(e) => {
                let c = scope.cond(e, false)?;
                Ok((
                    format!("SELECT {}\nFROM {from}\nWHERE {c}", rel.select_all()),
                    next(rel.cols.clone(), rel.rowtime),
                    "Calc (filter)".into(),
                ))
            }
            StageKind::Select(items) => {
                let mut out: Vec<(Column, String)> = Vec::new();
                for item in items {
                    let n = flat_name(&item.name, "writes")?;
                    let v = scope.value(&item.expr)?;
                    let entry = (Column { name: n.clone(), ty: v.ty }, v.sql);
                    match out.iter_mut().find(|(c, _)| c.name == n) {
                        Some(slot) => *slot = entry,
                        None => out.push(entry),
                    }
                }
                let body = projection(&out, rel, &from);
                Ok((
                    body,
                    next(out.into_iter().map(|(c, _)| c).collect(), rel.rowtime),
                    "Calc (projection)".into(),
                ))
            }
            StageKind::Eval(assignments) => {
                let mut scope = Scope::new(&rel.cols);
                let mut out: Vec<(Column, String)> = rel
                    .cols
                    .iter()
                    .map(|c| (c.clone(), q(&c.name)))
                    .collect();
                for a in assignments {
                    let n = flat_name(&a.name, "sets")?;
                    let v = scope.value(&a.expr)?;
                    let entry = (
                        Column {
                            name: n.clone(),
                            ty: v.ty.clone(),
                        },
                        v.sql.clone(),
                    );
                    match out.iter_mut().find(|(c, _)| c.name == n) {
                        Some(slot) => *slot = entry,
                        None => out.push(entry),
                    }
                    scope.assigned.insert(n, v);
                }
                let body = projection(&out, rel, &from);
                Ok((
                    body,
                    next(out.into_iter().map(|(c, _)| c).collect(), rel.rowtime),
                    "Calc (projection)".into(),
                ))
            }
            StageKind::Drop(fields) => {
                let names = fields
                    .iter()
                    .map(|f| flat_name(f, "drops"))
                    .collect::<Result<Vec<_>, _>>()?;
                let out: Vec<(Column, String)> = rel
                    .cols
                    .iter()
                    .filter(|c| !names.contains(&c.name))
                    .map(|c| (c.clone(), q(&c.name)))
                    .collect();
                Ok((
                    projection(&out, rel, &from),
                    next(out.into_iter().map(|(c, _)| c).collect(), rel.rowtime),
                    "Calc (projection)".into(),
                ))
            }
            StageKind::Rename(pairs) => {
                let mut out: Vec<(Column, String)> = rel
                    .cols
                    .iter()
                    .map(|c| (c.clone(), q(&c.name)))
                    .collect();
                for (a, b) in pairs {
                    let (a, b) = (flat_name(a, "renames")?, flat_name(b, "renames to")?);
                    if a == b || !out.iter().any(|(c, _)| c.name == a) {
                        continue;
                    }
                    if out.iter().any(|(c, _)| c.name == b) {
                        return no(format!(
                            "`{b}` is a field already: streamctl keeps it when `{a}` is missing and replaces it when `{a}` is there, even as null, and a SQL column cannot tell null from missing; `drop {b}` first"
                        ));
                    }
                    out.retain(|(c, _)| c.name != b);
                    if let Some((c, _)) = out.iter_mut().find(|(c, _)| c.name == a) {
                        c.name = b;
                    }
                }
                Ok((
                    projection(&out, rel, &from),
                    next(out.into_iter().map(|(c, _)| c).collect(), rel.rowtime),
                    "Calc (projection)".into(),
                ))
            }
            StageKind::Aggregate(a) => {
                self.after_stateless = false;
                self.aggregate(a, rel, &scope, name)
            }
            StageKind::Parse { kind, .. } => Err(match kind {
                ParseKind::Regex { .. } => "parse regex types each capture by its text (a number or a string, event by event), which one SQL column cannot".into(),
                ParseKind::Logfmt => "parse logfmt makes whatever fields each line has, known only at run time; a SQL view has fixed columns".into(),
                ParseKind::Json => "parse json makes whatever fields each text has, known only at run time; a SQL view has fixed columns".into(),
                ParseKind::Format(w) => format!("parse {w} is a hand-written scanner with no Flink SQL equivalent").into(),
                ParseKind::Pattern { .. } => "a parse pattern types each capture by its text (a number or a string, event by event), which one SQL column cannot".into(),
            }),
            StageKind::Head(_) => no("head N ends the job after the first N events; a Flink job over a partitioned stream has no single \"first N\" and does not stop"),
            StageKind::Running { aggs, by, scope: rscope } => {
                self.arrival_order("running")?;
                let frame = match rscope {
                    RunningScope::Cumulative => {
                        "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW".to_string()
                    }
                    RunningScope::Last(n) if *n >= 1 => {
                        format!("ROWS BETWEEN {} PRECEDING AND CURRENT ROW", n - 1)
                    }
                    RunningScope::Last(_) => return no("`last 0` keeps no event"),
                    RunningScope::Over(d) => {
                        return no(format!(
                            "`over {}`: streamctl's range holds the events seen so far with time in (t - {0}, t]; Flink's event-time OVER RANGE holds every event in [t - {0}, t], also those that arrive later, so the values differ",
                            duration(*d)
                        ))
                    }
                };
                let (inner, partition) = arrival_input(rel, &scope, by)?;
                let over = format!("OVER ({partition}ORDER BY {} {frame})", q(PROCTIME));
                let mut out: Vec<(Column, String)> = rel
                    .cols
                    .iter()
                    .map(|c| (c.clone(), q(&c.name)))
                    .collect();
                for call in aggs {
                    if matches!(call.func, AggFunc::Distinct) {
                        return no(format!(
                            "`{}`: Flink's OVER windows take no DISTINCT aggregate",
                            call.name
                        ));
                    }
                    let (sql, ty) = match call.func {
                        AggFunc::Ewma(_) => {
                            return no(format!(
                                "`{}`: ewma has no Flink SQL aggregate",
                                call.name
                            ))
                        }
                        _ => agg_call(&scope, call, &self.shifts)?,
                    };
                    let entry = (
                        Column {
                            name: call.name.clone(),
                            ty,
                        },
                        format!("{sql} {over}"),
                    );
                    match out.iter_mut().find(|(c, _)| c.name == call.name) {
                        Some(slot) => *slot = entry,
                        None => out.push(entry),
                    }
                }
                Ok((
                    projection(&out, rel, &format!("(\n  {inner}\n)")),
                    next(out.into_iter().map(|(c, _)| c).collect(), rel.rowtime),
                    format!(
                        "OverAggregate (proctime-ordered ROWS {}, i.e. arrival order)",
                        if matches!(rscope, RunningScope::Cumulative) {
                            "UNBOUNDED PRECEDING".to_string()
                        } else {
                            frame.trim_start_matches("ROWS BETWEEN ").replace(" AND CURRENT ROW", "")
                        }
                    ),
                ))
            }
            StageKind::Dedup { keys, within } => {
                if let Some(d) = within {
                    return no(format!(
                        "`within {}` suppresses a key for {0} of event time after its latest sighting (a debounce); Flink SQL's deduplication keeps the first row per key for good",
                        duration(d.millis)
                    ));
                }
                self.arrival_order("dedup")?;
                let (inner, partition) = arrival_input(rel, &scope, keys)?;
                let body = format!(
                    "SELECT {}\nFROM (\n  SELECT *, ROW_NUMBER() OVER ({partition}ORDER BY {} ASC) AS {}\n  FROM (\n    {inner}\n  )\n)\nWHERE {} = 1",
                    rel.select_all(),
                    q(PROCTIME),
                    q("rn"),
                    q("rn")
                );
                Ok((
                    body,
                    next(rel.cols.clone(), rel.rowtime),
                    "Deduplicate (ROW_NUMBER over arrival order, keep first)".into(),
                ))
            }
            StageKind::Join(j) => self.join(j, rel, &scope, name),
            StageKind::Top {
                n,
                keys,
                by,
                window,
                emit,
            } => {
                if let Emit::Every(d) = emit {
                    return no(format!(
                        "`emit every {}` snapshots the top groups on the wall clock; a Flink job's rows would depend on when it runs",
                        duration(*d)
                    ));
                }
                self.after_stateless = false;
                self.top(*n, keys, by.as_ref(), window.as_ref(), rel, &scope, name)
            }
        }
    }

    /// Refuse an arrival-order stage after one whose rows come out of Flink
    /// in another order than streamctl's.
    fn arrival_order(&self, what: &str) -> Result<(), Untranslatable> {
        if self.after_stateless {
            return Ok(());
        }
        no(format!(
            "{what} works in arrival order, and the rows reaching it come from an earlier aggregate, top or join, which streamctl writes in first-seen order and Flink in no set order"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_in_the_largest_unit() {
        assert_eq!(interval(60_000), "INTERVAL '1' MINUTE");
        assert_eq!(interval(5_000), "INTERVAL '5' SECOND");
        assert_eq!(interval(250), "INTERVAL '0.250' SECOND");
        assert_eq!(interval(120 * 60_000), "INTERVAL '2' HOUR");
        assert_eq!(interval(90 * 60_000), "INTERVAL '90' MINUTE");
        assert_eq!(interval(150 * 60_000), "INTERVAL '150' MINUTE(3)");
        assert_eq!(interval(90_500), "INTERVAL '90.500' SECOND");
        assert_eq!(interval(100_500), "INTERVAL '100.500' SECOND(3, 3)");
    }
}
