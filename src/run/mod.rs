//! A run, from options to exit: plan the pipeline, lock and load the
//! checkpoint, open the input and the outputs, restore the stages, then hand
//! over to [`session`], the loop: input → decode → event time → operators →
//! output.
//!
//! It waits on the reader thread with a timeout, so timers (idle watermark,
//! `emit every`, processing-time windows, signals) run while the input is
//! quiet, and it flushes the output whenever no more input is ready (§7).
//!
//! With `--checkpoint` it also commits checkpoints (`checkpoint.rs` holds the
//! format and the commit itself); *when* it commits, relative to writing
//! results, is what makes each delivery guarantee (§6): see `Session::checkpoint`.

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::checkpoint::{self, Checkpoint, Saved};
use crate::cli::{Config, Guarantee};
use crate::event::Event;
use crate::exec::absent;
use crate::exec::chain::Sink;
use crate::exec::event_time::EventTime;
use crate::exec::{Chain, ExecError, Flow, StateSize, Stats};
use crate::input::identity::FileId;
use crate::input::{self, Input, Item, OpenError, Opened, Step};
use crate::output::{self, Output};
use crate::plan::{self, Plan, PlanOptions};
use crate::progress::{self, Progress};
use crate::report::Reporter;
use crate::timefmt::Millis;
use crate::timefmt::TimeFormat;

use crate::error::output_error;

mod explain;
mod files;
mod session;
mod sink;
mod watch;

pub use crate::error::RunError;
pub use explain::print_stdout;
use explain::*;
use files::*;
use session::*;
use sink::*;
use watch::*;

impl From<OpenError> for RunError {
    fn from(e: OpenError) -> RunError {
        match e {
            OpenError::Usage(s) => RunError::Usage(s),
            OpenError::Io(s) => RunError::Runtime(s),
        }
    }
}

pub fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// Parse and plan the pipeline; a language error is rendered with carets.
pub fn plan_pipeline(cfg: &Config) -> Result<Plan, RunError> {
    plan_with_text(cfg).map(|(plan, _)| plan)
}

/// The plan and the pipeline's canonical text (what a checkpoint is tied to).
fn plan_with_text(cfg: &Config) -> Result<(Plan, String), RunError> {
    let ast = crate::lang::parse(&cfg.pipeline)
        .map_err(|e| RunError::Pipeline(e.render(&cfg.pipeline)))?;
    let opts = PlanOptions {
        lateness_ms: cfg.lateness.as_millis() as i64,
        time_field: cfg.time_field.clone(),
        auto_time_format: TimeFormat::parse_arg(&cfg.time_format) == Ok(TimeFormat::Auto),
    };
    let plan = plan::build(&ast, &opts).map_err(|e| RunError::Pipeline(e.render(&cfg.pipeline)))?;
    Ok((plan, crate::lang::print::print(&ast)))
}

pub fn run(cfg: &Config) -> Result<(), RunError> {
    let result = run_pipeline(cfg);
    if !cfg.quiet {
        return result.map(|_| ());
    }
    match result {
        Ok(0) => Err(RunError::NoResult),
        Ok(_) => Ok(()),
        Err(RunError::Runtime(msg)) => Err(RunError::QuietFailure(msg)),
        Err(e) => Err(e),
    }
}

/// Run the pipeline; the number of result rows.
fn run_pipeline(cfg: &Config) -> Result<u64, RunError> {
    let started = Instant::now();
    let (plan, canonical) = plan_with_text(cfg)?;
    let time_format = TimeFormat::parse_arg(&cfg.time_format).map_err(RunError::Usage)?;
    let mut event_time = EventTime::new(
        cfg.time_field.as_deref(),
        time_format,
        cfg.lateness.as_millis() as Millis,
        cfg.idle_timeout.as_millis() as Millis,
        now_ms(),
    );
    if cfg.explain {
        print_stdout(&explain_text(cfg, &plan, &event_time))?;
        return Ok(0);
    }

    // Signals are caught from here on: one that arrives while starting up
    // still ends the run cleanly (with a checkpoint, committed) at the first look.
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .map_err(|e| RunError::Runtime(format!("cannot install signal handler: {e}")))?;
    }

    // Checkpoint: lock it, load it, and check it is this job's, before
    // anything is opened for writing.
    let store = cfg
        .checkpoint
        .as_deref()
        .map(checkpoint::Store::lock)
        .transpose()?;
    let job = checkpoint::job_hash(&checkpoint::job_descriptor(cfg, &canonical));
    let saved = match &store {
        Some(s) if !cfg.reset => s.load()?,
        _ => None,
    };
    if let (Some(Saved { meta: ck, .. }), Some(s)) = (&saved, &store) {
        if ck.job != job {
            return Err(RunError::Usage(format!(
                "checkpoint {} belongs to another pipeline or other options (it was made for \
                 `{}`); carrying on from it would mix two jobs. Run the same pipeline with the \
                 same inputs and options, or pass --reset to start over",
                s.path().display(),
                ck.pipeline.trim()
            )));
        }
    }

    let input = input::open(
        cfg,
        saved.as_ref().map(|c| &c.meta.inputs[..]),
        plan.scans_access,
    )?;
    let names = input.names();
    if let Some(stage) = &plan.time_stage {
        event_time.set_stage(stage.clone());
    }
    if plan.time_hint {
        event_time.take_parsed_ts();
    }
    let watched = plan.watched.clone();
    let watch = StateWatch::new(plan.explain.clone());
    let mut chain = match plan.time_at {
        Some(at) => Chain::with_time(plan.ops, at, plan.time_needed_at.unwrap_or(at), event_time),
        None => Chain::new(plan.ops),
    };
    chain.watch_fields(plan.watch, plan.unmade);
    if let (Some(ck), Some(s)) = (&saved, &store) {
        let bad = |e: &dyn std::fmt::Display| {
            RunError::Usage(format!(
                "checkpoint {} cannot be restored: {e}; pass --reset to start over",
                s.path().display()
            ))
        };
        let states = ck.stages().map_err(|e| bad(&e))?;
        chain.restore(&states).map_err(|e| bad(&e))?;
        if let Some(et) = chain.event_time_mut() {
            et.restore(&ck.meta.event_time).map_err(|e| bad(&e))?;
        }
    }
    // The states are restored: the file's bytes are let go.
    let saved = saved.map(Saved::into_meta);
    // Last, once every check passed: exactly-once may cut the output back.
    let input_ids: Vec<FileId> = input
        .files()
        .iter()
        .flat_map(|s| s.segments.iter().map(|seg| seg.id))
        .collect();
    let mut out = open_output(cfg, saved.as_ref(), &input_ids)?;
    let terminal = cfg.output.is_none() && io::stdout().is_terminal();
    out.set_live(match watched {
        Some(plan::Watched::Snapshots) if terminal => crate::output::table::Live::Replace,
        Some(plan::Watched::Snapshots) => crate::output::table::Live::Blocks,
        Some(plan::Watched::Rows(cols)) => crate::output::table::Live::of(Some(cols), terminal),
        None => crate::output::table::Live::Off,
    });
    let dead_letter = match &cfg.dead_letter {
        Some(p) => Some(open_dead_letter(p, &input_ids)?),
        None => None,
    };
    let ckpt = store.map(|store| Ckpt {
        store,
        guarantee: cfg.guarantee,
        schedule: checkpoint::Schedule::new(cfg.checkpoint_interval),
        job,
        pipeline: cfg.pipeline.clone(),
        dirty: false,
        resumed_ended: saved.as_ref().is_some_and(|c| c.ended),
    });
    let mut session = Session {
        input,
        chain,
        sink: RunSink {
            out,
            quiet: cfg.quiet,
            reporter: Reporter::new(cfg.on_error, dead_letter),
            stats: Stats::default(),
            progress: Progress::off(),
            names,
            state: None,
            absent_said: false,
        },
        output_name: cfg.output.as_ref().map(|p| p.display().to_string()),
        ckpt,
        stopped: false,
        watch,
    };
    if session.holds_output() {
        session.sink.out.set_hold(true);
    }
    let fresh = saved.as_ref().is_none_or(|c| c.stopped);
    if fresh && session.ckpt.is_some() && cfg.output.is_some() {
        // A first commit before anything is written, which says the run is
        // under way: a run killed before its next commit resumes from here,
        // and what it wrote to `-o` past this length is known to be its own
        // (exactly-once cuts it, the others cut a torn last line), not
        // another writer's (see output::file).
        let ended = saved.as_ref().is_some_and(|c| c.ended);
        session.checkpoint(ended)?;
    }

    session.sink.progress = Progress::start(cfg.progress, cfg.follow, session.input.files());
    session.input.start();
    let result = session
        .drive(&stop)
        .and_then(|ending| session.finish(ending));
    session.sink.progress.finish();
    if let Err(RunError::Runtime(_)) = &result {
        // Results made before the failure are still the user's: write them
        // out — unless at-most-once holds them back because no checkpoint
        // covers them (a restart makes them again).
        if !session.holds_output() {
            let _ = session.sink.out.flush();
        }
        let _ = session.sink.reporter.flush();
    }
    result?;
    session
        .sink
        .reporter
        .flush()
        .map_err(|e| RunError::Runtime(e.to_string()))?;
    if let Some(s) = session.sink.reporter.summary() {
        progress::eprintln(&s);
    }
    if cfg.stats {
        print_stats(&session.sink, started);
    }
    Ok(session.sink.stats.events_out)
}
