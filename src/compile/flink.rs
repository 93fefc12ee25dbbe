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
use crate::compile::{time, CompileError, Options};
use crate::input::Format;
use crate::lang::ast::*;
use crate::lang::print::duration;
use crate::lang::LangError;
use crate::plan::LogicalPlan;

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
    if let (Some(i), None) = (needs_time, &source.time) {
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
            .map_err(|why| CompileError::Refused(refusal(i, stage, &why).render(src)))?;
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

/// Flink computes a HOP window by merging the slices it is made of, and its
/// FIRST_VALUE and LAST_VALUE cannot be merged (the job fails to start).
fn hop_mergeable<'a>(calls: impl IntoIterator<Item = &'a AggCall>) -> Result<(), String> {
    match calls
        .into_iter()
        .find(|c| matches!(c.func, AggFunc::First | AggFunc::Last))
    {
        Some(c) => Err(format!(
            "`{}` in a hopping window: Flink computes HOP windows by merging slices, and its FIRST_VALUE/LAST_VALUE cannot be merged; use a tumbling window, or run this pipeline with streamctl",
            c.name
        )),
        None => Ok(()),
    }
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

/// The source: its DDL, what it holds, and a line for `--explain`.
struct Source {
    ddl: String,
    rel: Rel,
    time: Option<String>,
    explain: String,
    /// A numeric value of each source column in the first sampled event:
    /// the shift for `stddev` (see [`agg_call`]).
    shifts: HashMap<String, f64>,
}

impl Source {
    fn build(opts: &Options, needs_time: bool) -> Result<Source, String> {
        if opts.files.is_empty() && opts.source_options.is_empty() {
            return Err(
                "compile needs the input FILE (its format and first events shape the source table), or --source-option connector=… with --schema F or --sample F".into(),
            );
        }
        if opts.files.len() > 1 && needs_time {
            return Err(format!(
                "{} input files with event-time stages: streamctl reads the files one after another, Flink would read them side by side with one watermark for all, so late events would differ; concatenate them into one file",
                opts.files.len()
            ));
        }
        let sample_path: Option<&PathBuf> = opts.sample.as_ref().or(opts.files.first());
        let format = match opts.input_format {
            Some(f) => f,
            None => detect_format(sample_path.map(PathBuf::as_path))?,
        };
        let (flink_format, cols, sample) = match format {
            Format::Json => {
                let sample = match sample_path {
                    Some(p) => schema::read_sample(p)?,
                    None => Vec::new(),
                };
                let cols = match &opts.schema {
                    Some(f) => schema::read_schema_file(f)?,
                    None => match sample_path {
                        Some(p) if sample.is_empty() => {
                            return Err(format!(
                                "{} has no events to infer the columns from: give --schema F (a `name type` line per column) or --sample F",
                                p.display()
                            ))
                        }
                        Some(p) => schema::infer(&sample, p)?,
                        None => {
                            return Err("give --schema F or --sample F: there is no input file to infer the columns from".into())
                        }
                    },
                };
                ("json", cols, sample)
            }
            Format::Lines => (
                "raw",
                vec![Column {
                    name: "line".into(),
                    ty: Ty::Str,
                }],
                Vec::new(),
            ),
            Format::Csv | Format::Tsv => {
                return Err(format!(
                    "{} input cannot be compiled: Flink's csv format has no header line, and streamctl names the columns from it and types each cell by its text; convert the input to JSON lines first (streamctl 'select …' -i {} FILE > FILE.jsonl)",
                    if format == Format::Csv { "CSV" } else { "TSV" },
                    if format == Format::Csv { "csv" } else { "tsv" },
                ))
            }
            Format::Logfmt => {
                return Err("logfmt input cannot be compiled: Flink has no logfmt format; convert the input to JSON lines first".into())
            }
        };
        if cols.iter().any(|c| c.name == ROWTIME) {
            return Err(format!(
                "the input has a field named `{ROWTIME}`, the name the compiled job gives its event-time column; rename it before compiling"
            ));
        }

        // Event time, only when a stage needs it: a job whose stages are all
        // stateless must not fail on an event without a readable time.
        let time = if needs_time {
            time_field(opts, &cols, &sample)?
        } else {
            None
        };
        let mut explain = String::new();
        let mut lines: Vec<String> = cols
            .iter()
            .map(|c| format!("  {} {}", q(&c.name), c.ty.sql()))
            .collect();
        let mut time_desc = None;
        if let Some(field) = &time {
            let col = cols.iter().find(|c| &c.name == field).ok_or_else(|| {
                format!("the time field `{field}` is not among the input's columns; declare it with --schema")
            })?;
            let (sql, desc) = time::rowtime_sql(field, &col.ty, &opts.time_format, &sample)?;
            lines.push(format!("  {} AS {sql}", q(ROWTIME)));
            lines.push(format!(
                "  WATERMARK FOR {} AS {} - {}",
                q(ROWTIME),
                q(ROWTIME),
                interval(opts.lateness_ms)
            ));
            time_desc = Some(format!(
                "event time from {desc}; watermark = max event time - {}",
                duration(opts.lateness_ms)
            ));
        }

        let inputs: Vec<Option<&PathBuf>> = if opts.files.is_empty() {
            vec![None]
        } else {
            opts.files.iter().map(Some).collect()
        };
        let mut ddl = String::new();
        let table_names: Vec<String> = if inputs.len() == 1 {
            vec!["events".into()]
        } else {
            (1..=inputs.len()).map(|i| format!("events_{i}")).collect()
        };
        for (input, name) in inputs.iter().zip(&table_names) {
            let options = source_options(opts, *input, flink_format)?;
            let _ = write!(
                ddl,
                "CREATE TEMPORARY TABLE {} (\n{}\n) WITH (\n{}\n);\n",
                q(name),
                lines.join(",\n"),
                with_options(&options)
            );
            let where_from = match input {
                Some(p) => format!("filesystem {flink_format} {}", absolute(p)),
                None => "connector from --source-option".into(),
            };
            if !explain.is_empty() {
                explain.push_str("; ");
            }
            let _ = write!(explain, "table `{name}`: {where_from}");
        }
        let rel_name = if table_names.len() == 1 {
            table_names[0].clone()
        } else {
            let union = table_names
                .iter()
                .map(|n| format!("SELECT * FROM {}", q(n)))
                .collect::<Vec<_>>()
                .join("\nUNION ALL\n");
            let _ = write!(
                ddl,
                "\n-- the inputs, one after another\nCREATE TEMPORARY VIEW {} AS\n{union};\n",
                q("events")
            );
            explain.push_str("; view `events`: UNION ALL of the inputs");
            "events".into()
        };
        explain.push_str(&format!(
            "; columns {}",
            cols.iter()
                .map(|c| format!("{} {}", c.name, c.ty.sql()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if let Some(d) = time_desc {
            explain.push_str("; ");
            explain.push_str(&d);
        }
        let shifts = sample
            .first()
            .map(|e| {
                e.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_f64().filter(|f| f.is_finite())?)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Source {
            ddl,
            rel: Rel {
                name: rel_name,
                cols,
                rowtime: time.is_some(),
            },
            time,
            explain,
            shifts,
        })
    }
}

fn absolute(p: &Path) -> String {
    std::path::absolute(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

fn detect_format(path: Option<&Path>) -> Result<Format, String> {
    let Some(path) = path else {
        return Ok(Format::Json);
    };
    if let Some(f) = Format::from_extension(path) {
        return Ok(f);
    }
    let text = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    Ok(if first == Some(&b'{') {
        Format::Json
    } else {
        Format::Lines
    })
}

/// The time field: `--time-field`, else the first of ts, timestamp, time,
/// @timestamp in the first event (or among the declared columns).
fn time_field(
    opts: &Options,
    cols: &[Column],
    sample: &[Map<String, Value>],
) -> Result<Option<String>, String> {
    if let Some(f) = &opts.time_field {
        if f.contains('.') {
            return Err(format!(
                "--time-field `{f}` is nested; the compiled job reads a top-level time field"
            ));
        }
        return Ok(Some(f.clone()));
    }
    let auto = crate::exec::event_time::AUTO_FIELDS;
    let found = match sample.first() {
        Some(first) => auto.iter().find(|f| first.contains_key(**f)),
        None => auto.iter().find(|f| cols.iter().any(|c| c.name == **f)),
    };
    Ok(found.map(|f| f.to_string()))
}

/// `--source-option`s, or the filesystem connector over the file.
fn source_options(
    opts: &Options,
    input: Option<&PathBuf>,
    format: &str,
) -> Result<Vec<(String, String)>, String> {
    if !opts.source_options.is_empty() {
        let mut o = opts.source_options.clone();
        add_format(&mut o, format);
        return Ok(o);
    }
    let Some(path) = input else {
        return Err("no input FILE and no --source-option".into());
    };
    Ok(vec![
        ("connector".into(), "filesystem".into()),
        ("path".into(), absolute(path)),
        ("format".into(), format.into()),
    ])
}

/// Add `'format'` unless the options name one (or the connector takes none).
fn add_format(o: &mut Vec<(String, String)>, format: &str) {
    let connector = o
        .iter()
        .find(|(k, _)| k == "connector")
        .map(|(_, v)| v.as_str());
    let wants = matches!(connector, Some("kafka") | Some("filesystem"));
    if wants && !o.iter().any(|(k, _)| k.contains("format")) {
        o.push(("format".into(), format.into()));
    }
}

fn with_options(o: &[(String, String)]) -> String {
    o.iter()
        .map(|(k, v)| format!("  {} = {}", sql_string(k), sql_string(v)))
        .collect::<Vec<_>>()
        .join(",\n")
}

/// The sink table's DDL and a line for `--explain`.
fn sink_table(opts: &Options, rel: &Rel) -> Result<(String, String), String> {
    let (options, explain) = if !opts.sink_options.is_empty() {
        let mut o = opts.sink_options.clone();
        add_format(&mut o, "json");
        (o, "connector from --sink-option".to_string())
    } else {
        let Some(path) = &opts.sink_path else {
            return Err("give --sink-path DIR for the default filesystem sink (JSON lines), or --sink-option connector=… for another".into());
        };
        (
            vec![
                ("connector".into(), "filesystem".into()),
                ("path".into(), path.clone()),
                ("format".into(), "json".into()),
                // streamctl leaves a missing field out of its row; a SQL
                // column is NULL instead, so write NULLs as absent.
                ("json.encode.ignore-null-fields".into(), "true".into()),
            ],
            format!("filesystem json {path}"),
        )
    };
    let cols = rel
        .cols
        .iter()
        .map(|c| format!("  {} {}", q(&c.name), c.ty.sql()))
        .collect::<Vec<_>>()
        .join(",\n");
    Ok((
        format!(
            "CREATE TEMPORARY TABLE {} (\n{cols}\n) WITH (\n{}\n);\n",
            q("sink"),
            with_options(&options)
        ),
        format!("`sink`: {explain}; INSERT INTO from the last view"),
    ))
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

fn flat_name(p: &FieldPath, what: &str) -> Result<String, String> {
    if p.parts.len() > 1 {
        return Err(format!(
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
    ) -> Result<(String, Rel, String), String> {
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
                        return Err(format!(
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
                ParseKind::Format(w) => format!("parse {w} is a hand-written scanner with no Flink SQL equivalent"),
                ParseKind::Pattern { .. } => "a parse pattern types each capture by its text (a number or a string, event by event), which one SQL column cannot".into(),
            }),
            StageKind::Head(_) => Err("head N ends the job after the first N events; a Flink job over a partitioned stream has no single \"first N\" and does not stop".into()),
            StageKind::Running { aggs, by, scope: rscope } => {
                self.arrival_order("running")?;
                let frame = match rscope {
                    RunningScope::Cumulative => {
                        "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW".to_string()
                    }
                    RunningScope::Last(n) if *n >= 1 => {
                        format!("ROWS BETWEEN {} PRECEDING AND CURRENT ROW", n - 1)
                    }
                    RunningScope::Last(_) => return Err("`last 0` keeps no event".into()),
                    RunningScope::Over(d) => {
                        return Err(format!(
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
                        return Err(format!(
                            "`{}`: Flink's OVER windows take no DISTINCT aggregate",
                            call.name
                        ));
                    }
                    let (sql, ty) = match call.func {
                        AggFunc::Ewma(_) => {
                            return Err(format!(
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
                    return Err(format!(
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
                    return Err(format!(
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
    fn arrival_order(&self, what: &str) -> Result<(), String> {
        if self.after_stateless {
            return Ok(());
        }
        Err(format!(
            "{what} works in arrival order, and the rows reaching it come from an earlier aggregate, top or join, which streamctl writes in first-seen order and Flink in no set order"
        ))
    }

    fn join(
        &mut self,
        j: &Join,
        rel: &Rel,
        scope: &Scope,
        name: &str,
    ) -> Result<(String, Rel, String), String> {
        let path = Path::new(&j.file);
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "json" | "jsonl" | "ndjson" => {}
            "csv" | "tsv" => {
                return Err(format!(
                    "the lookup file {} is {}: Flink's csv format has no header line, and streamctl names the columns from it and types each cell by its text; convert it to JSON lines",
                    j.file,
                    ext.to_uppercase()
                ))
            }
            _ => return Err(format!("cannot tell the format of lookup file {}", j.file)),
        }
        let rows = schema::read_rows(path, usize::MAX)?;
        let cols = schema::infer(&rows, path)?;
        let lookup_key = j.lookup_key.clone().unwrap_or_else(|| j.key.display_name());
        let Some(key_col) = cols.iter().find(|c| c.name == lookup_key) else {
            return Err(format!(
                "lookup file {} has no column `{lookup_key}`",
                j.file
            ));
        };
        let mut seen = std::collections::HashSet::new();
        for (i, row) in rows.iter().enumerate() {
            let text = row.get(&lookup_key).and_then(crate::value::key_text);
            let Some(text) = text else {
                return Err(format!(
                    "lookup file {}, row {}: no `{lookup_key}`; streamctl skips such a row, Flink's table needs its key: remove the row",
                    j.file,
                    i + 1
                ));
            };
            if !seen.insert(text.into_owned()) {
                return Err(format!(
                    "lookup file {}, row {}: a second row for one `{lookup_key}`; streamctl keeps the last, a SQL join would match both: keep one row per key",
                    j.file,
                    i + 1
                ));
            }
        }
        let event_key = scope.value(&Expr {
            kind: ExprKind::Field(j.key.clone()),
            span: j.key.span,
        })?;
        let ev_key_sql = format!(
            "{}.{}",
            q("e"),
            j.key
                .parts
                .iter()
                .map(|p| q(p))
                .collect::<Vec<_>>()
                .join(".")
        );
        let lk_sql = format!("{}.{}", q("l"), q(&lookup_key));
        let cond = match (&event_key.ty, &key_col.ty) {
            (Ty::Int, Ty::Int) | (Ty::Str, Ty::Str) => format!("{ev_key_sql} = {lk_sql}"),
            (Ty::Int, Ty::Str) => format!("CAST({ev_key_sql} AS STRING) = {lk_sql}"),
            (Ty::Str, Ty::Int) => format!("{ev_key_sql} = CAST({lk_sql} AS STRING)"),
            (a, b) => {
                return Err(format!(
                    "the join key is {} in the events and {} in {}; keys match by their text, translated for integers and strings",
                    a.describe(),
                    b.describe(),
                    j.file
                ))
            }
        };
        let prefix = j.prefix.clone().unwrap_or_default();
        let mut added: Vec<(Column, String)> = Vec::new();
        for c in cols.iter().filter(|c| c.name != lookup_key) {
            let out = format!("{prefix}{}", c.name);
            if rel.cols.iter().any(|e| e.name == out) || out == ROWTIME {
                return Err(format!(
                    "the lookup column `{}` has the name of an event field, whose value streamctl keeps when present, even null, which a SQL column cannot tell from absent; add `prefix P`",
                    out
                ));
            }
            added.push((
                Column {
                    name: out,
                    ty: c.ty.clone(),
                },
                format!("{}.{}", q("l"), q(&c.name)),
            ));
        }
        if !self.batch && rel.rowtime {
            // With event time in play, a temporal join would release rows
            // per key in event-time order (not arrival order) and wait for
            // the lookup source's watermark, so which events a later window
            // drops as late would depend on thread timing. The table is
            // known now: inline it as CASE expressions, a stateless Calc
            // that keeps arrival order and the watermark.
            let (body, ops) =
                inline_join(j, rel, &rows, &lookup_key, &event_key, &key_col.ty, &added)?;
            let mut cols_out = rel.cols.clone();
            cols_out.extend(added.into_iter().map(|(c, _)| c));
            return Ok((
                body,
                Rel {
                    name: name.to_string(),
                    cols: cols_out,
                    rowtime: rel.rowtime,
                },
                ops,
            ));
        }
        self.after_stateless = false;
        let temporal = false;
        if !self.batch && j.left {
            return Err("a left join without event time is a regular join in a streaming job, which retracts the rows it wrote before a match arrived; give the input a time field".into());
        }
        let table = format!("lookup_{}", self.lookups.len() + 1);
        let mut lines: Vec<String> = cols
            .iter()
            .map(|c| format!("  {} {}", q(&c.name), c.ty.sql()))
            .collect();
        if temporal {
            // Every row is valid from the epoch on: the table never changes
            // while the job runs (streamctl's reloads have no equivalent).
            lines.push(format!("  {} AS TO_TIMESTAMP_LTZ(0, 3)", q("lookup_time")));
            lines.push(format!(
                "  WATERMARK FOR {} AS {}",
                q("lookup_time"),
                q("lookup_time")
            ));
            lines.push(format!("  PRIMARY KEY ({}) NOT ENFORCED", q(&lookup_key)));
        }
        self.lookups.push(format!(
            "-- the lookup file of `{}join {}`\nCREATE TEMPORARY TABLE {} (\n{}\n) WITH (\n{}\n);\n",
            if j.left { "left " } else { "" },
            j.file,
            q(&table),
            lines.join(",\n"),
            with_options(&[
                ("connector".into(), "filesystem".into()),
                ("path".into(), absolute(path)),
                ("format".into(), "json".into()),
            ])
        ));
        let mut items: Vec<String> = rel
            .cols
            .iter()
            .map(|c| format!("{}.{}", q("e"), q(&c.name)))
            .collect();
        items.extend(
            added
                .iter()
                .map(|(c, sql)| format!("{sql} AS {}", q(&c.name))),
        );
        if rel.rowtime {
            items.push(format!("{}.{}", q("e"), q(ROWTIME)));
        }
        let join_kw = if j.left { "LEFT JOIN" } else { "JOIN" };
        let system_time = if temporal {
            format!(" FOR SYSTEM_TIME AS OF {}.{}", q("e"), q(ROWTIME))
        } else {
            String::new()
        };
        let body = format!(
            "SELECT {}\nFROM {} AS {}\n{join_kw} {}{system_time} AS {}\n  ON {cond}",
            items.join(", "),
            q(&rel.name),
            q("e"),
            q(&table),
            q("l")
        );
        let mut cols_out = rel.cols.clone();
        cols_out.extend(added.into_iter().map(|(c, _)| c));
        Ok((
            body,
            Rel {
                name: name.to_string(),
                cols: cols_out,
                rowtime: rel.rowtime,
            },
            format!(
                "{} ({}) with table `{table}` over {}",
                if temporal { "TemporalJoin" } else { "Join" },
                if temporal {
                    "event time: each event meets the table as of its time"
                } else if self.batch {
                    "regular, batch"
                } else {
                    "regular, inner"
                },
                j.file
            ),
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn top(
        &mut self,
        n: u64,
        keys: &[KeyItem],
        by: Option<&AggCall>,
        window: Option<&Window>,
        rel: &Rel,
        scope: &Scope,
        name: &str,
    ) -> Result<(String, Rel, String), String> {
        let (agg_sql, agg_ty, agg_name) = match by {
            Some(call) => {
                if window.is_none() {
                    arrival_order_agg(call)?;
                }
                let (sql, ty) = agg_call(scope, call, &self.shifts)?;
                (sql, ty, call.name.clone())
            }
            None => ("COUNT(*)".to_string(), Ty::Int, "count".to_string()),
        };
        if !matches!(agg_ty, Ty::Int | Ty::Float | Ty::Str | Ty::Null) {
            return Err(format!(
                "`{agg_name}` is {}; top orders numbers and strings",
                agg_ty.describe()
            ));
        }
        let mut key_items = Vec::new();
        let mut group = Vec::new();
        let mut cols = Vec::new();
        let mut outer = Vec::new();
        let (from, what, rowtime) = match window {
            Some(w) => {
                if !rel.rowtime {
                    return Err("the window needs event time, which the rows lost at an earlier aggregate without a window".into());
                }
                if rel.cols.iter().any(|c| {
                    matches!(
                        c.name.as_str(),
                        "window_start" | "window_end" | "window_time"
                    )
                }) {
                    return Err("its input already has `window_start`/`window_end` columns, which Flink's window functions add again; `drop` or `rename` them first".into());
                }
                let table = q(&rel.name);
                let time = format!("DESCRIPTOR({})", q(ROWTIME));
                let tvf = match w.kind {
                    WindowKind::Tumbling { size } => {
                        format!("TUMBLE(TABLE {table}, {time}, {})", interval(size))
                    }
                    WindowKind::Hopping { size, slide } => {
                        if size % slide != 0 {
                            return Err(format!(
                                "Flink's HOP needs the size ({}) to be a multiple of the slide ({})",
                                duration(size),
                                duration(slide)
                            ));
                        }
                        hop_mergeable(by.iter().copied())?;
                        format!(
                            "HOP(TABLE {table}, {time}, {}, {})",
                            interval(slide),
                            interval(size)
                        )
                    }
                    // streamctl's top sessions are those of the whole stream.
                    WindowKind::Session { gap } => {
                        format!("SESSION(TABLE {table}, {time}, {})", interval(gap))
                    }
                };
                for col in ["window_start", "window_end", "window_time"] {
                    key_items.push(q(col));
                    group.push(q(col));
                }
                for col in ["window_start", "window_end"] {
                    outer.push(format!(
                        "DATE_FORMAT({}, '{RFC3339_MS}') AS {}",
                        q(col),
                        q(col)
                    ));
                    cols.push(Column {
                        name: col.into(),
                        ty: Ty::Str,
                    });
                }
                (format!("TABLE({tvf})"), "window Top-N (WindowRank)", true)
            }
            None => (q(&rel.name), "Top-N (Rank over the GROUP BY result)", false),
        };
        for k in keys {
            let v = scope.value(&k.expr)?;
            if matches!(v.ty, Ty::Row(_) | Ty::Array(_) | Ty::Other(_)) {
                return Err(format!(
                    "the key `{}` is {}; keys are translated for plain values",
                    k.name,
                    v.ty.describe()
                ));
            }
            let sql = key_sql(&v);
            key_items.push(if sql == q(&k.name) {
                sql.clone()
            } else {
                format!("{sql} AS {}", q(&k.name))
            });
            group.push(sql);
            outer.push(q(&k.name));
            cols.push(Column {
                name: k.name.clone(),
                ty: v.ty,
            });
        }
        key_items.push(format!("{agg_sql} AS {}", q(&agg_name)));
        outer.push(q(&agg_name));
        cols.push(Column {
            name: agg_name.clone(),
            ty: agg_ty,
        });
        if rowtime {
            outer.push(format!("{} AS {}", q("window_time"), q(ROWTIME)));
        }
        let partition = if rowtime {
            format!("PARTITION BY {}, {} ", q("window_start"), q("window_end"))
        } else {
            String::new()
        };
        let group_by = if group.is_empty() {
            String::new()
        } else {
            format!("\n    GROUP BY {}", group.join(", "))
        };
        let body = format!(
            "SELECT {}\nFROM (\n  SELECT *, ROW_NUMBER() OVER ({partition}ORDER BY {} DESC NULLS LAST) AS {}\n  FROM (\n    SELECT {}\n    FROM {from}{group_by}\n  )\n)\nWHERE {} <= {n}",
            outer.join(", "),
            q(&agg_name),
            q("rn"),
            key_items.join(", "),
            q("rn"),
        );
        Ok((
            body,
            Rel {
                name: name.to_string(),
                cols,
                rowtime,
            },
            format!("{what}: ROW_NUMBER by `{agg_name}` descending, rank <= {n} (ties at rank {n} may pick other groups than streamctl's first-seen order)"),
        ))
    }

    fn aggregate(
        &mut self,
        a: &Aggregation,
        rel: &Rel,
        scope: &Scope,
        name: &str,
    ) -> Result<(String, Rel, String), String> {
        if a.fill {
            return Err("`fill` writes rows for windows without events; Flink's window aggregation only writes rows for windows that have events".into());
        }
        match a.emit {
            Emit::OnClose => {}
            Emit::Every(d) => {
                return Err(format!(
                    "`emit every {}` snapshots open groups on the wall clock; a Flink job's rows would depend on when it runs",
                    duration(d)
                ))
            }
            Emit::OnUpdate => {
                return Err("`emit on update` writes a row per change; Flink's update stream also retracts the previous row, which streamctl does not write".into())
            }
        }
        let mut keys: Vec<(Column, String)> = Vec::new();
        for k in &a.by {
            let v = scope.value(&k.expr)?;
            if matches!(v.ty, Ty::Row(_) | Ty::Array(_) | Ty::Other(_)) {
                return Err(format!(
                    "the key `{}` is {}; grouping is translated for plain values",
                    k.name,
                    v.ty.describe()
                ));
            }
            let sql = key_sql(&v);
            keys.push((
                Column {
                    name: k.name.clone(),
                    ty: v.ty,
                },
                sql,
            ));
        }
        let mut aggs: Vec<(Column, String)> = Vec::new();
        for call in &a.aggs {
            if a.window.is_none() {
                arrival_order_agg(call)?;
            }
            let (sql, ty) = agg_call(scope, call, &self.shifts)?;
            aggs.push((
                Column {
                    name: call.name.clone(),
                    ty,
                },
                sql,
            ));
        }
        let mut select: Vec<String> = Vec::new();
        let mut cols: Vec<Column> = Vec::new();
        let mut group: Vec<String> = Vec::new();
        let from;
        let ops;
        let rowtime;
        match &a.window {
            None => {
                from = q(&rel.name);
                ops = if keys.is_empty() {
                    "GroupAggregate (one row at end of input)".to_string()
                } else {
                    "GroupAggregate (GROUP BY keys; rows at end of input)".to_string()
                };
                rowtime = false;
            }
            Some(w) => {
                if !rel.rowtime {
                    return Err("the window needs event time, which the rows lost at an earlier aggregate without a window".into());
                }
                let is_window_col =
                    |n: &str| matches!(n, "window_start" | "window_end" | "window_time");
                let mut table = q(&rel.name);
                if rel.cols.iter().any(|c| is_window_col(&c.name)) {
                    // Flink's window functions add these columns again: a
                    // helper view leaves the earlier window's out, unless
                    // this stage reads them.
                    let mut read = Vec::new();
                    a.by.iter()
                        .for_each(|k| crate::expr::fields_read(&k.expr, &mut read));
                    a.aggs
                        .iter()
                        .filter_map(|c| c.arg.as_ref())
                        .for_each(|e| crate::expr::fields_read(e, &mut read));
                    if let Some(p) = read.iter().find(|p| is_window_col(&p[0])) {
                        return Err(format!(
                            "it reads `{}` of an earlier window, a name Flink's window functions take for their own; `rename` it first",
                            p.join(".")
                        ));
                    }
                    let keep = Rel {
                        name: String::new(),
                        cols: rel
                            .cols
                            .iter()
                            .filter(|c| !is_window_col(&c.name))
                            .cloned()
                            .collect(),
                        rowtime: true,
                    };
                    let helper = format!("{name}_in");
                    self.pre.push(format!(
                        "CREATE TEMPORARY VIEW {} AS\nSELECT {}\nFROM {};\n",
                        q(&helper),
                        keep.select_all(),
                        q(&rel.name)
                    ));
                    table = q(&helper);
                }
                let time = format!("DESCRIPTOR({})", q(ROWTIME));
                let (tvf, what) = match w.kind {
                    WindowKind::Tumbling { size } => (
                        format!("TUMBLE(TABLE {table}, {time}, {})", interval(size)),
                        "TUMBLE window TVF",
                    ),
                    WindowKind::Hopping { size, slide } => {
                        if size % slide != 0 {
                            return Err(format!(
                                "Flink's HOP needs the size ({}) to be a multiple of the slide ({})",
                                duration(size),
                                duration(slide)
                            ));
                        }
                        hop_mergeable(&a.aggs)?;
                        (
                            format!(
                                "HOP(TABLE {table}, {time}, {}, {})",
                                interval(slide),
                                interval(size)
                            ),
                            "HOP window TVF",
                        )
                    }
                    WindowKind::Session { gap } => {
                        let mut parts = Vec::new();
                        for (k, (c, sql)) in a.by.iter().zip(&keys) {
                            if !matches!(&k.expr.kind, ExprKind::Field(p) if p.parts.len() == 1 && p.parts[0] == c.name)
                            {
                                return Err(format!(
                                    "the session key `{}` is an expression; Flink's SESSION partitions by columns: `eval` it first",
                                    k.name
                                ));
                            }
                            if c.ty == Ty::Float {
                                return Err(format!(
                                    "the session key `{}` is a float; Flink's SESSION partitions -0.0 and 0 apart, streamctl keys them as one: `eval` it into a normalised key first",
                                    k.name
                                ));
                            }
                            parts.push(sql.clone());
                        }
                        let partition = if parts.is_empty() {
                            String::new()
                        } else {
                            format!(" PARTITION BY {}", parts.join(", "))
                        };
                        (
                            format!(
                                "SESSION(TABLE {table}{partition}, {time}, {})",
                                interval(gap)
                            ),
                            "SESSION window TVF",
                        )
                    }
                };
                from = format!("TABLE({tvf})");
                ops = format!(
                    "{what} + WindowAggregate (GROUP BY window_start, window_end{})",
                    if keys.is_empty() { "" } else { ", keys" }
                );
                for col in ["window_start", "window_end"] {
                    select.push(format!(
                        "DATE_FORMAT({}, '{RFC3339_MS}') AS {}",
                        q(col),
                        q(col)
                    ));
                    cols.push(Column {
                        name: col.into(),
                        ty: Ty::Str,
                    });
                }
                group.extend(["window_start", "window_end", "window_time"].map(q));
                rowtime = true;
            }
        }
        for (c, sql) in &keys {
            if *sql == q(&c.name) {
                select.push(sql.clone());
            } else {
                select.push(format!("{sql} AS {}", q(&c.name)));
            }
            group.push(sql.clone());
            cols.push(c.clone());
        }
        for (c, sql) in &aggs {
            select.push(format!("{sql} AS {}", q(&c.name)));
            cols.push(c.clone());
        }
        if rowtime {
            select.push(format!("{} AS {}", q("window_time"), q(ROWTIME)));
        }
        let mut body = format!("SELECT\n  {}\nFROM {from}", select.join(",\n  "));
        if !group.is_empty() {
            let _ = write!(body, "\nGROUP BY {}", group.join(", "));
        }
        Ok((
            body,
            Rel {
                name: name.to_string(),
                cols,
                rowtime,
            },
            ops,
        ))
    }
}

/// The most lookup rows a join with event time inlines into its view.
const INLINE_LOOKUP_ROWS: usize = 10_000;

/// A join with a lookup file as a Calc: each lookup column becomes
/// `CASE <event key text> WHEN '<key>' THEN <value> … END`, an inner join
/// keeps the events whose key is among the keys. Keys match by text, as
/// streamctl's join does (the number 12 matches the text "12").
#[allow(clippy::too_many_arguments)]
fn inline_join(
    j: &Join,
    rel: &Rel,
    rows: &[Map<String, Value>],
    lookup_key: &str,
    event_key: &Sx,
    lookup_key_ty: &Ty,
    added: &[(Column, String)],
) -> Result<(String, String), String> {
    if rows.len() > INLINE_LOOKUP_ROWS {
        return Err(format!(
            "the lookup file {} has {} rows; with event time the compiled job writes the table into the query (a temporal join would release rows in event-time order and wait for the table's watermark, so late events would depend on timing), up to {INLINE_LOOKUP_ROWS} rows",
            j.file,
            rows.len()
        ));
    }
    let ev_text = match (&event_key.ty, lookup_key_ty) {
        (Ty::Int, Ty::Int | Ty::Str) => format!("CAST({} AS STRING)", event_key.sql),
        (Ty::Str, Ty::Int | Ty::Str) => event_key.sql.clone(),
        (a, b) => {
            return Err(format!(
                "the join key is {} in the events and {} in {}; keys match by their text, translated for integers and strings",
                a.describe(),
                b.describe(),
                j.file
            ))
        }
    };
    let keys: Vec<String> = rows
        .iter()
        .map(|r| {
            r.get(lookup_key)
                .and_then(crate::value::key_text)
                .map(|t| sql_string(&t))
                .unwrap_or_default()
        })
        .collect();
    let mut items: Vec<String> = rel.cols.iter().map(|c| q(&c.name)).collect();
    let prefix = j.prefix.as_deref().unwrap_or("");
    for (col, _) in added {
        let source = &col.name[prefix.len()..];
        let mut case = format!("CASE {ev_text}");
        for (row, key) in rows.iter().zip(&keys) {
            let lit = literal(row.get(source).unwrap_or(&Value::Null), &col.ty).ok_or_else(|| {
                format!(
                    "the lookup column `{source}` of {} is {}; inlined lookup values are translated for strings, numbers and booleans",
                    j.file,
                    col.ty.describe()
                )
            })?;
            let _ = write!(case, " WHEN {key} THEN {lit}");
        }
        let _ = write!(case, " END AS {}", q(&col.name));
        items.push(case);
    }
    if rel.rowtime {
        items.push(q(ROWTIME));
    }
    let mut body = format!(
        "SELECT {}
FROM {}",
        items.join(
            ",
  "
        ),
        q(&rel.name)
    );
    if !j.left {
        let _ = write!(
            body,
            "
WHERE {ev_text} IN ({})",
            keys.join(", ")
        );
    }
    Ok((
        body,
        format!(
            "Calc ({}join with the {} rows of {} written into the query: arrival order and the watermark stay as they are)",
            if j.left { "left " } else { "" },
            rows.len(),
            j.file
        ),
    ))
}

/// A lookup value as a SQL literal of the column's type; `None` for nested values.
fn literal(v: &Value, ty: &Ty) -> Option<String> {
    let lit = match v {
        Value::Null => "NULL".to_string(),
        Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Value::Number(n) => match (ty, n.as_i64()) {
            (Ty::Int, Some(i)) => i.to_string(),
            _ => crate::compile::expr::sql_double(n.as_f64()?),
        },
        Value::String(s) => sql_string(s),
        _ => return None,
    };
    match ty {
        Ty::Int | Ty::Float | Ty::Str | Ty::Bool | Ty::Null => {
            Some(format!("CAST({lit} AS {})", ty.sql()))
        }
        _ => None,
    }
}

/// The input of an arrival-order stage: every column, the processing-time
/// attribute, and key expressions that are not plain columns (as `__k1`, …);
/// with the `PARTITION BY …` clause (empty without keys).
fn arrival_input(rel: &Rel, scope: &Scope, keys: &[KeyItem]) -> Result<(String, String), String> {
    if let Some(c) = rel
        .cols
        .iter()
        .find(|c| c.name == PROCTIME || c.name.starts_with("__k"))
    {
        return Err(format!(
            "the events have a field `{}`, a name the compiled job uses for arrival order; `rename` it first",
            c.name
        ));
    }
    let mut extra = vec![format!("PROCTIME() AS {}", q(PROCTIME))];
    let mut parts = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let v = scope.value(&k.expr)?;
        if matches!(v.ty, Ty::Row(_) | Ty::Array(_) | Ty::Other(_)) {
            return Err(format!(
                "the key `{}` is {}; keys are translated for plain values",
                k.name,
                v.ty.describe()
            ));
        }
        let sql = key_sql(&v);
        if rel.cols.iter().any(|c| q(&c.name) == sql) {
            parts.push(sql);
        } else {
            let alias = q(&format!("__k{}", i + 1));
            extra.push(format!("{sql} AS {alias}"));
            parts.push(alias);
        }
    }
    let partition = if parts.is_empty() {
        String::new()
    } else {
        format!("PARTITION BY {} ", parts.join(", "))
    };
    Ok((
        format!("SELECT *, {}\n  FROM {}", extra.join(", "), q(&rel.name)),
        partition,
    ))
}

/// `SELECT expr AS name, …[, rowtime] FROM prev`.
fn projection(out: &[(Column, String)], rel: &Rel, from: &str) -> String {
    let mut items: Vec<String> = out
        .iter()
        .map(|(c, sql)| {
            if *sql == q(&c.name) {
                sql.clone()
            } else {
                format!("{sql} AS {}", q(&c.name))
            }
        })
        .collect();
    if rel.rowtime {
        items.push(q(ROWTIME));
    }
    format!("SELECT {}\nFROM {from}", items.join(", "))
}

/// A value as a key (GROUP BY, PARTITION BY, COUNT DISTINCT): Flink tells
/// doubles apart by their bits, so `-0.0` and `0.0` would be two keys where
/// streamctl has one (`-0.0 == 0`); a float key is normalised first.
fn key_sql(v: &Sx) -> String {
    if v.ty == Ty::Float {
        format!(
            "CASE WHEN {0} = 0 THEN CAST(0 AS DOUBLE) ELSE {0} END",
            v.sql
        )
    } else {
        v.sql.clone()
    }
}

/// Refuse `first`/`last` where the job is a batch one (no window): a batch
/// job reads the input in no set order, so the first and last values
/// differ from streamctl's arrival order.
fn arrival_order_agg(call: &AggCall) -> Result<(), String> {
    if matches!(call.func, AggFunc::First | AggFunc::Last) {
        return Err(format!(
            "`{}` without a window compiles to a batch job, which keeps no arrival order, so its first and last values are not streamctl's; give the aggregate a window (`every D`)",
            call.name
        ));
    }
    Ok(())
}

/// One aggregate call in SQL, with its result type.
/// An aggregate call in SQL. `shifts`: a value near each source column's
/// (from the sample), which `stddev` subtracts first: the deviation does not
/// change under a shift, and Flink's STDDEV_POP in doubles loses digits when
/// the values lie far from 0 against their spread (1e9 ± 1), which
/// streamctl's exact update does not.
fn agg_call(
    scope: &Scope,
    call: &AggCall,
    shifts: &HashMap<String, f64>,
) -> Result<(String, Ty), String> {
    let arg = || -> Result<Sx, String> {
        match &call.arg {
            Some(e) => scope.value(e),
            None => Err(format!("`{}` has no argument", call.name)),
        }
    };
    let numeric = |v: &Sx| -> Result<(), String> {
        if v.ty.is_numeric() || v.ty == Ty::Null {
            Ok(())
        } else {
            Err(format!(
                "`{}` reads {}; streamctl reads numbers and numeric text, Flink's aggregate would cast or fail: declare the field a number with --schema",
                call.name,
                v.ty.describe()
            ))
        }
    };
    Ok(match call.func {
        AggFunc::Count => match &call.arg {
            None => ("COUNT(*)".into(), Ty::Int),
            Some(_) => (format!("COUNT({})", arg()?.sql), Ty::Int),
        },
        AggFunc::Sum => {
            let v = arg()?;
            numeric(&v)?;
            let ty = if v.ty == Ty::Float { Ty::Float } else { Ty::Int };
            (format!("SUM({})", v.sql), ty)
        }
        AggFunc::Avg => {
            let v = arg()?;
            numeric(&v)?;
            // AVG of a BIGINT is a BIGINT in Flink; streamctl's is a float.
            (format!("AVG(CAST({} AS DOUBLE))", v.sql), Ty::Float)
        }
        AggFunc::Min | AggFunc::Max => {
            let v = arg()?;
            if !matches!(v.ty, Ty::Int | Ty::Float | Ty::Str | Ty::Null) {
                return Err(format!(
                    "`{}` of {} has no translation (streamctl orders numbers and strings)",
                    call.name,
                    v.ty.describe()
                ));
            }
            let f = if call.func == AggFunc::Min { "MIN" } else { "MAX" };
            (format!("{f}({})", v.sql), v.ty)
        }
        AggFunc::Distinct => {
            let v = arg()?;
            if matches!(v.ty, Ty::Row(_) | Ty::Array(_) | Ty::Other(_)) {
                return Err(format!(
                    "`{}` of {} has no translation",
                    call.name,
                    v.ty.describe()
                ));
            }
            (format!("COUNT(DISTINCT {})", key_sql(&v)), Ty::Int)
        }
        AggFunc::Stddev => {
            let v = arg()?;
            numeric(&v)?;
            let shift = match &call.arg {
                Some(Expr {
                    kind: ExprKind::Field(p),
                    ..
                }) if p.parts.len() == 1 => shifts.get(&p.parts[0]).copied(),
                _ => None,
            };
            let sql = match shift {
                Some(k) if k != 0.0 => {
                    format!("STDDEV_POP(CAST({} AS DOUBLE) - CAST({k:e} AS DOUBLE))", v.sql)
                }
                _ => format!("STDDEV_POP(CAST({} AS DOUBLE))", v.sql),
            };
            (sql, Ty::Float)
        }
        AggFunc::First | AggFunc::Last => {
            let v = arg()?;
            // Both skip nulls, as streamctl's first and last do.
            let f = if call.func == AggFunc::First {
                "FIRST_VALUE"
            } else {
                "LAST_VALUE"
            };
            (format!("{f}({})", v.sql), v.ty)
        }
        AggFunc::Percentile(_) => {
            return Err(format!(
                "`{}`: streamctl's percentiles come from a sketch (within 1% of the nearest-rank value); Flink SQL has no nearest-rank percentile aggregate to match it",
                call.name
            ))
        }
        AggFunc::Ewma(_) => {
            return Err(format!(
                "`{}`: ewma is a running aggregate only",
                call.name
            ))
        }
    })
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
