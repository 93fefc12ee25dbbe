//! The main loop: input → decode → event time → operators → output.
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
pub use crate::error::RunError;

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
    };
    let plan = plan::build(&ast, &opts).map_err(|e| RunError::Pipeline(e.render(&cfg.pipeline)))?;
    Ok((plan, crate::lang::print::print(&ast)))
}

/// The end of the chain: writes events, counts, reports late ones.
struct RunSink {
    out: Output,
    /// `-q`: write nothing, stop at the first row.
    quiet: bool,
    reporter: Reporter,
    stats: Stats,
    progress: Progress,
    /// Each input's name, for `FILE:LINE` in messages.
    names: Vec<String>,
    /// The stages' state when reading stopped, before the end flushed it
    /// (`--stats`); `None` when no stage keeps state.
    state: Option<StateSize>,
    /// Fields never present were named after the first `NOTICE_AFTER` events.
    absent_said: bool,
}

/// Say which fields the pipeline reads were never there (`exec::absent`).
fn say_absent(chain: &mut Chain) {
    for m in chain.absent_notices() {
        progress::eprintln(&format!("streamctl: {m}"));
    }
}

impl Sink for RunSink {
    fn write(&mut self, ev: Event<'_>) -> Result<Flow, ExecError> {
        self.stats.events_out += 1;
        if self.quiet {
            // `-q`: the first result row answers the question; stop reading.
            return Ok(Flow::Stop);
        }
        self.out.write_event(&ev).map_err(ExecError::Output)?;
        Ok(Flow::Continue)
    }
    fn late(&mut self, ev: &Event<'_>) {
        self.stats.late += 1;
        self.reporter.late_event(ev.line());
    }
    fn reject(&mut self, ev: &Event<'_>, reason: &str) -> Result<Flow, ExecError> {
        // It was counted in when read; it is a rejected line instead.
        self.stats.events_in = self.stats.events_in.saturating_sub(1);
        let name = self.names.get(ev.pos.source as usize);
        let location = match name {
            Some(n) if ev.pos.line > 0 => format!("{n}:{}", ev.pos.line),
            _ => "streamctl".to_string(),
        };
        self.reporter
            .reject(&location, reason, ev.line())
            .map_err(|f| ExecError::Other(f.0))?;
        Ok(Flow::Continue)
    }
    fn stats(&mut self) -> &mut Stats {
        &mut self.stats
    }
    fn warn(&mut self, message: &str) {
        self.reporter.warning(message);
    }
}

/// Checkpointing state of a run with `--checkpoint`.
struct Ckpt {
    store: checkpoint::Store,
    guarantee: Guarantee,
    schedule: checkpoint::Schedule,
    job: String,
    pipeline: String,
    /// Something happened since the last commit.
    dirty: bool,
    /// The checkpoint resumed from was taken after the input ended.
    resumed_ended: bool,
}

/// Why reading stopped.
enum Ending {
    /// End of every input, a stage stopped the run (head), or a signal without `--checkpoint`.
    Input,
    /// SIGINT/SIGTERM with `--checkpoint`: keep the open state for the next run.
    Signal,
}

/// Everything one run works on.
struct Session {
    input: Input,
    chain: Chain,
    sink: RunSink,
    /// `-o`, for messages and to record its committed length.
    output_name: Option<String>,
    ckpt: Option<Ckpt>,
    /// A stage ended the run (`head`, `-q`) before the input did.
    stopped: bool,
    watch: StateWatch,
}

/// Above this much state in one stage the user is told, once: memory and
/// every checkpoint (which writes the state whole) grow with it.
const STATE_WARN_BYTES: u64 = 1 << 30;

/// Looks at the stages' state now and then and warns once, naming the
/// stage, when one passes [`STATE_WARN_BYTES`].
struct StateWatch {
    limit: u64,
    next: Instant,
    /// The stages' `--explain` lines, to name one.
    stages: Vec<String>,
    warned: bool,
}

impl StateWatch {
    /// How often to look: measuring walks a stage's keys.
    const EVERY: Duration = Duration::from_secs(2);

    fn new(stages: Vec<String>) -> StateWatch {
        StateWatch {
            // Tests set a small limit; nothing else should.
            limit: std::env::var("STREAMCTL_STATE_WARN_BYTES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(STATE_WARN_BYTES),
            next: Instant::now() + Self::EVERY,
            stages,
            warned: false,
        }
    }

    /// Look if it is time (or `now_anyway`, at the end of reading).
    fn check(&mut self, chain: &Chain, reporter: &mut Reporter, now_anyway: bool) {
        if self.warned || !(now_anyway || Instant::now() >= self.next) {
            return;
        }
        self.next = Instant::now() + Self::EVERY;
        let Some((i, s)) = chain.stage_states().find(|(_, s)| s.bytes >= self.limit) else {
            return;
        };
        self.warned = true;
        let line = self
            .stages
            .get(i)
            .map_or("", |l| l.lines().next().unwrap_or(""));
        let name = line.split_once(". ").map_or(line, |(_, rest)| rest);
        reporter.warning(&format!(
            "stage {} ({}) holds about {} of state ({} groups, {} windows open); \
             memory, and the time and disk each checkpoint takes, grow with it",
            i + 1,
            name.trim(),
            human_bytes(s.bytes),
            s.groups,
            s.windows
        ));
    }
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

    let input = input::open(cfg, saved.as_ref().map(|c| &c.meta.inputs[..]))?;
    let names = input.names();
    if let Some(stage) = &plan.time_stage {
        event_time.set_stage(stage.clone());
    }
    let watched = plan.watched.clone();
    let watch = StateWatch::new(plan.explain.clone());
    let mut chain = match plan.time_at {
        Some(at) => Chain::with_time(plan.ops, at, plan.time_needed_at.unwrap_or(at), event_time),
        None => Chain::new(plan.ops),
    };
    chain.watch_fields(plan.watch);
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

fn print_stats(sink: &RunSink, started: Instant) {
    let st = &sink.stats;
    let secs = started.elapsed().as_secs_f64();
    progress::eprintln(&format!(
        "streamctl: events in {}, out {}, rejected {}, late {}, unparsed {}, bytes {}, elapsed {:.3}s, {:.0} events/s",
        st.events_in,
        st.events_out,
        sink.reporter.rejected(),
        st.late,
        st.unparsed,
        st.bytes_in,
        secs,
        st.events_in as f64 / secs.max(1e-9)
    ));
    if let Some(s) = sink.state {
        progress::eprintln(&format!(
            "streamctl: state when input ended: {} groups, {} windows open, about {}",
            s.groups,
            s.windows,
            human_bytes(s.bytes)
        ));
    }
    for l in &st.lookups {
        progress::eprintln(&format!("streamctl: {}", l.describe()));
    }
}

/// `812 B`, `3.4 KB`, `96.1 MB` (powers of 1024).
fn human_bytes(b: u64) -> String {
    match b {
        0..1024 => format!("{b} B"),
        1024..1_048_576 => format!("{:.1} KB", b as f64 / 1024.0),
        1_048_576..1_073_741_824 => format!("{:.1} MB", b as f64 / 1_048_576.0),
        _ => format!("{:.1} GB", b as f64 / 1_073_741_824.0),
    }
}

impl Session {
    /// Read the inputs (until their end, a stage stopping the run, or a
    /// signal), committing checkpoints as they fall due.
    fn drive(&mut self, stop: &AtomicBool) -> Result<Ending, RunError> {
        // How often the loop wakes on a quiet input to run timers and see signals.
        const TICK: Duration = Duration::from_millis(50);
        let mut flow = Flow::Continue;
        while flow == Flow::Continue {
            let mut arrived = None;
            let mut step = self.pump(Duration::ZERO, &mut flow, &mut arrived)?;
            if step == Step::Idle {
                // Nothing more is ready: everything pending goes out now (§7).
                self.flush_idle()?;
                step = self.pump(TICK, &mut flow, &mut arrived)?;
            }
            if stop.load(Ordering::Relaxed) {
                // SIGINT/SIGTERM: without a checkpoint it is the end of input
                // (§2); with one, the open state is kept for the next run.
                return Ok(match self.ckpt {
                    Some(_) => Ending::Signal,
                    None => Ending::Input,
                });
            }
            let now = arrived.unwrap_or_else(now_ms);
            let mut changed = step != Step::Idle;
            match step {
                Step::Idle => {
                    let before = self.chain.event_time().map(|t| t.watermark());
                    flow = self.chain.idle(now, &mut self.sink)?;
                    changed |= self.chain.event_time().map(|t| t.watermark()) != before;
                }
                Step::Read { bytes } | Step::Stopped { bytes } => {
                    self.sink.stats.bytes_in += bytes;
                    if let Some(t) = self.chain.event_time_mut() {
                        t.saw_input(now);
                    }
                    let st = &self.sink.stats;
                    self.sink.progress.update(st.bytes_in, st.events_in);
                }
                Step::Moved { why, .. } => {
                    if why != Opened::First && self.ckpt.is_some() {
                        // Commit as soon as the input is in another file, so
                        // that a checkpoint names it before the next rotation
                        // (a later run finds every file rotated since).
                        self.checkpoint(false)?;
                    }
                }
                Step::SourceEnded => {}
                Step::End => break,
                Step::Failed(message) => return Err(RunError::Runtime(message)),
            }
            if flow == Flow::Continue && self.chain.next_tick().is_some_and(|t| t <= now) {
                flow = self.chain.tick(now, &mut self.sink)?;
                // A snapshot is one table block, even while input keeps
                // coming (no flush between two ticks): a live table shows
                // one snapshot at a time.
                self.sink.out.close_block();
                changed = true;
            }
            self.maybe_checkpoint(changed)?;
            self.watch
                .check(&self.chain, &mut self.sink.reporter, false);
        }
        self.stopped = flow == Flow::Stop;
        Ok(Ending::Input)
    }

    /// Take what the input has (waiting up to `timeout`) through the chain. A stage stopping the run sets `flow`; `arrived` is the
    /// arrival time of what came. With a checkpoint interval in events, the
    /// input stops where a checkpoint falls due (it carries on at the next call).
    fn pump(
        &mut self,
        timeout: Duration,
        flow: &mut Flow,
        arrived: &mut Option<Millis>,
    ) -> Result<Step, RunError> {
        let lines = self.sink.stats.events_in + self.sink.reporter.rejected();
        let pause_at = self
            .ckpt
            .as_ref()
            .and_then(|c| c.schedule.lines_until_due(lines))
            .map(|n| lines + n);
        let Session {
            input, chain, sink, ..
        } = self;
        input.next(timeout, |item| {
            if *flow != Flow::Continue {
                // A stage ended the run; what the input still hands on is not read.
                return Ok(false);
            }
            arrived.get_or_insert_with(now_ms);
            match item {
                Item::Event { ev, .. } => {
                    sink.stats.events_in += 1;
                    let f = chain.push(ev, sink)?;
                    if !sink.absent_said && sink.stats.events_in >= absent::NOTICE_AFTER {
                        sink.absent_said = true;
                        say_absent(chain);
                    }
                    *flow = f;
                    if f != Flow::Continue {
                        return Ok(false);
                    }
                }
                Item::Rejected {
                    name,
                    line,
                    reason,
                    bytes,
                } => sink
                    .reporter
                    .reject(&format!("{name}:{line}"), &reason, bytes)?,
                Item::LongPart(bytes) => {
                    sink.reporter.dead_letter_part(bytes);
                    return Ok(true);
                }
                Item::LongRejected { name, line, reason } => sink
                    .reporter
                    .reject_long_end(&format!("{name}:{line}"), &reason)?,
                Item::Damaged {
                    name,
                    line,
                    reason,
                    bytes,
                } => sink
                    .reporter
                    .reject_cut(&format!("{name}:{line}"), &reason, bytes)?,
            }
            Ok(go_on(sink, pause_at))
        })
    }

    /// After reading: end the stages at a real end, and commit the last checkpoint.
    fn finish(&mut self, ending: Ending) -> Result<(), RunError> {
        self.watch.check(&self.chain, &mut self.sink.reporter, true);
        self.sink.state = self.chain.state_size();
        match ending {
            Ending::Input => {
                // A run resumed after its input had ended, with nothing new to
                // read, must not end (and emit) a second time.
                let nothing_new = self.ckpt.as_ref().is_some_and(|c| c.resumed_ended)
                    && self.sink.stats.events_in == 0;
                if !nothing_new {
                    self.chain.end(&mut self.sink)?;
                }
                self.last_checkpoint(true)?;
                // After the rows are out, so it reads below them; not when
                // a stage ended the run early (the rest of the input may
                // well have had them).
                if !self.stopped {
                    say_absent(&mut self.chain);
                }
                Ok(())
            }
            Ending::Signal => self.last_checkpoint(false),
        }
    }

    /// The run stops: commit, with a mark that nothing will be written after
    /// this commit (so bytes of `-o` past it are another writer's).
    fn last_checkpoint(&mut self, ended: bool) -> Result<(), RunError> {
        self.checkpoint_as(ended, true)
    }

    /// at-most-once keeps results in memory until a checkpoint covers them.
    fn holds_output(&self) -> bool {
        self.ckpt
            .as_ref()
            .is_some_and(|c| c.guarantee == Guarantee::AtMostOnce)
    }

    fn flush(&mut self) -> Result<(), RunError> {
        self.sink.out.flush().map_err(output_error)?;
        self.sink
            .reporter
            .flush()
            .map_err(|e| RunError::Runtime(e.to_string()))?;
        Ok(())
    }

    /// The input has nothing ready: results go out now.
    fn flush_idle(&mut self) -> Result<(), RunError> {
        if self.holds_output() && self.sink.out.pending() > 0 {
            return self.checkpoint(false);
        }
        self.flush()
    }

    fn maybe_checkpoint(&mut self, changed: bool) -> Result<(), RunError> {
        let lines = self.sink.stats.events_in + self.sink.reporter.rejected();
        let Some(ck) = self.ckpt.as_mut() else {
            return Ok(());
        };
        ck.dirty |= changed;
        let due = (ck.dirty && ck.schedule.due(lines))
            || (ck.guarantee == Guarantee::AtMostOnce && self.sink.out.over_high_water());
        if due {
            self.checkpoint(false)?;
        }
        Ok(())
    }

    /// Write out pending results and, with `--checkpoint`, commit a
    /// checkpoint, in the order the guarantee needs (§6):
    /// - at-most-once: commit first, then write. A crash between the two
    ///   loses those results; it can never repeat them.
    /// - at-least-once: write, flush (and fsync `-o`), then commit. A crash
    ///   before the commit repeats the results since the previous one; it can
    ///   never lose them.
    /// - exactly-once: as at-least-once, and the commit records the output
    ///   file's length; a restart cuts the file back to that length and
    ///   carries on from the offsets and state committed with it, so the
    ///   file ends byte for byte as if the run had never stopped.
    fn checkpoint(&mut self, ended: bool) -> Result<(), RunError> {
        self.checkpoint_as(ended, false)
    }

    /// `checkpoint`; `stopped`: the run writes nothing after this one.
    fn checkpoint_as(&mut self, ended: bool, stopped: bool) -> Result<(), RunError> {
        let Some(guarantee) = self.ckpt.as_ref().map(|c| c.guarantee) else {
            return self.flush();
        };
        if guarantee == Guarantee::AtMostOnce {
            // Committed first; the output length it records is the one
            // before its results are written (a torn line past it is this run's).
            self.sink.out.close_block();
            self.commit_as(ended, self.output_len(), false)?;
            self.flush()?;
            if stopped {
                // Its last results are out: the final mark covers them.
                self.commit_as(ended, self.output_len(), true)?;
            }
            return Ok(());
        }
        self.flush()?;
        if let Some(name) = &self.output_name {
            self.sink.out.sync().map_err(|e| {
                RunError::Runtime(format!(
                    "cannot fsync output {name}: {e}; the last good checkpoint stands"
                ))
            })?;
        }
        self.commit_as(ended, self.output_len(), stopped)
    }

    /// Bytes of `-o` written (none without `-o`).
    fn output_len(&self) -> Option<u64> {
        self.output_name.is_some().then(|| self.sink.out.written())
    }

    fn commit_as(
        &mut self,
        ended: bool,
        output_len: Option<u64>,
        stopped: bool,
    ) -> Result<(), RunError> {
        let lines = self.sink.stats.events_in + self.sink.reporter.rejected();
        let inputs = self.input.positions();
        let event_time = self
            .chain
            .event_time()
            .map_or(serde_json::Value::Null, |t| t.snapshot());
        let Some(ck) = self.ckpt.as_mut() else {
            return Ok(());
        };
        let chain = &self.chain;
        let began = Instant::now();
        ck.store.commit(
            &Checkpoint {
                job: ck.job.clone(),
                pipeline: ck.pipeline.clone(),
                inputs,
                event_time,
                output_len,
                output_header: output_len.and(self.sink.out.header().map(<[String]>::to_vec)),
                stopped,
                ended,
            },
            &|out| chain.save(out),
        )?;
        ck.schedule.committed(lines, began);
        ck.dirty = false;
        Ok(())
    }
}

/// Whether the input may go on: not once a checkpoint falls due (`pause_at`
/// lines handled).
fn go_on(sink: &RunSink, pause_at: Option<u64>) -> bool {
    pause_at.is_none_or(|at| sink.stats.events_in + sink.reporter.rejected() < at)
}

/// Open `--dead-letter` for appending; it must not be one of the inputs.
fn open_dead_letter(p: &Path, inputs: &[FileId]) -> Result<File, RunError> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .map_err(|e| {
            RunError::Runtime(format!("cannot open dead-letter file {}: {e}", p.display()))
        })?;
    if FileId::of(&file).is_ok_and(|id| inputs.contains(&id)) {
        return Err(RunError::Usage(format!(
            "dead-letter file {} is also an input: rejected lines would be read again. \
             Give --dead-letter another file",
            p.display()
        )));
    }
    Ok(file)
}

/// Open the output; with `-o`, where the checkpoint left it (see output::file).
fn open_output(
    cfg: &Config,
    saved: Option<&Checkpoint>,
    inputs: &[FileId],
) -> Result<Output, RunError> {
    let Some(p) = &cfg.output else {
        let color = crate::output::table::color_wanted(
            io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        );
        // Results on the terminal go above the progress bar, not through it.
        return Ok(Output::new(
            Box::new(progress::AboveBar(io::stdout())),
            cfg.output_format,
            cfg.line_buffered,
            color,
        ));
    };
    let committed = saved.and_then(|c| {
        c.output_len.map(|len| output::file::Committed {
            len,
            stopped: c.stopped,
        })
    });
    let guarantee = cfg.checkpoint.is_some().then_some(cfg.guarantee);
    let opened = output::file::open(p, guarantee, committed, inputs)?;
    if let Some(n) = opened.notice {
        progress::eprintln(&format!("streamctl: {n}"));
    }
    let sync =
        match opened.regular {
            true => Some(opened.file.try_clone().map_err(|e| {
                RunError::Runtime(format!("cannot open output {}: {e}", p.display()))
            })?),
            false => None,
        };
    let mut out = Output::new(
        Box::new(opened.file),
        cfg.output_format,
        cfg.line_buffered,
        false,
    );
    out.set_written(opened.len);
    if let Some(f) = sync {
        out.set_sync_file(f);
    }
    // The file ends where the commit left it: carry on in its CSV/TSV block.
    // (Bytes past it — results an at-least-once run repeats, another
    // writer's — start a new block, with its header.)
    let header = saved.and_then(|s| s.output_header.clone());
    if let (Some(header), true) = (header, committed.is_some_and(|c| c.len == opened.len)) {
        out.resume_header(header);
    }
    Ok(out)
}

/// Write text to stdout; a closed pipe (`| head`) is not an error, a full
/// disk is (exit 1). Never panics, as `print!` does.
pub fn print_stdout(text: &str) -> Result<(), RunError> {
    use std::io::Write;
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe => RunError::BrokenPipe,
            _ => RunError::Runtime(format!("cannot write to stdout: {e}")),
        })
}

/// What `--explain` prints.
fn explain_text(cfg: &Config, plan: &Plan, et: &EventTime) -> String {
    let mut s = String::new();
    s.push_str(&format!("pipeline: {}\n", cfg.pipeline.trim()));
    let inputs: Vec<String> = cfg
        .inputs
        .iter()
        .map(|p| {
            p.as_ref()
                .map_or("<stdin>".to_string(), |p| p.display().to_string())
        })
        .collect();
    let format = match cfg.input_format {
        Some(f) => format!("{f:?}").to_lowercase(),
        None => "auto (by extension, else by the first line)".into(),
    };
    s.push_str(&format!("input: {} as {format}\n", inputs.join(", ")));
    if let Some(at) = plan.time_at {
        s.push_str(&format!(
            "event time: read at stage {} from {}; lateness {}ms, idle timeout {}ms\n",
            at + 1,
            et.describe(),
            cfg.lateness.as_millis(),
            cfg.idle_timeout.as_millis()
        ));
    } else {
        s.push_str("event time: not used\n");
    }
    s.push_str("stages:\n");
    for line in &plan.explain {
        s.push_str(&format!("  {line}\n"));
    }
    s.push_str(&format!(
        "output: {} as {}\n",
        cfg.output
            .as_ref()
            .map_or("stdout".into(), |p| p.display().to_string()),
        format!("{:?}", cfg.output_format).to_lowercase()
    ));
    s
}
