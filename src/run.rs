//! The main loop: input → decode → event time → operators → output.
//!
//! It waits on the reader thread with a timeout, so timers (idle watermark,
//! `emit every`, processing-time windows, signals) run while the input is
//! quiet, and it flushes the output whenever no more input is ready (§7).

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cli::Config;
use crate::event::{Event, Pos};
use crate::exec::chain::Sink;
use crate::exec::event_time::EventTime;
use crate::exec::{Chain, ExecError, Flow, Stats};
use crate::input::decode::{Decoded, Decoder};
use crate::input::lines::{LineSplitter, Piece};
use crate::input::reader::{self, Input, Msg};
use crate::input::Format;
use crate::lang::ast::Millis;
use crate::output::Output;
use crate::plan::{self, Plan, PlanOptions};
use crate::progress::{self, Progress};
use crate::report::{FailFast, Reporter};
use crate::timefmt::TimeFormat;

/// How a run ends, mapped to an exit code by `main`.
#[derive(Debug)]
pub enum RunError {
    /// Bad flags or pipeline, missing input: exit 2.
    Usage(String),
    /// I/O failure or `--on-error fail`: exit 1.
    Runtime(String),
    /// Downstream closed the pipe: exit 0, say nothing.
    BrokenPipe,
}

impl RunError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Usage(_) => 2,
            RunError::Runtime(_) => 1,
            RunError::BrokenPipe => 0,
        }
    }
}

impl From<FailFast> for RunError {
    fn from(f: FailFast) -> RunError {
        RunError::Runtime(f.0)
    }
}

fn output_error(e: io::Error) -> RunError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        RunError::BrokenPipe
    } else {
        RunError::Runtime(format!("cannot write output: {e}"))
    }
}

impl From<ExecError> for RunError {
    fn from(e: ExecError) -> RunError {
        match e {
            ExecError::Output(e) => output_error(e),
            ExecError::Other(s) => RunError::Runtime(s),
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
    let ast =
        crate::lang::parse(&cfg.pipeline).map_err(|e| RunError::Usage(e.render(&cfg.pipeline)))?;
    let opts = PlanOptions {
        lateness_ms: cfg.lateness.as_millis() as i64,
    };
    plan::build(&ast, &opts).map_err(|e| RunError::Usage(e.render(&cfg.pipeline)))
}

/// The end of the chain: writes events, counts, reports late ones.
struct RunSink {
    out: Output,
    reporter: Reporter,
    stats: Stats,
    progress: Progress,
}

impl Sink for RunSink {
    fn write(&mut self, ev: Event<'_>) -> Result<Flow, ExecError> {
        self.stats.events_out += 1;
        self.out.write_event(&ev).map_err(ExecError::Output)?;
        Ok(Flow::Continue)
    }
    fn late(&mut self, ev: &Event<'_>) {
        self.stats.late += 1;
        self.reporter.late_event(ev.line());
    }
    fn stats(&mut self) -> &mut Stats {
        &mut self.stats
    }
}

/// One input's reading state.
struct SourceState {
    name: String,
    decoder: Decoder,
    splitter: LineSplitter,
    line_no: u64,
}

pub fn run(cfg: &Config) -> Result<(), RunError> {
    let started = Instant::now();
    let plan = plan_pipeline(cfg)?;
    let time_format = TimeFormat::parse_arg(&cfg.time_format).map_err(RunError::Usage)?;
    let mut event_time = EventTime::new(
        cfg.time_field.as_deref(),
        time_format,
        cfg.lateness.as_millis() as Millis,
        cfg.idle_timeout.as_millis() as Millis,
        now_ms(),
    );
    if cfg.explain {
        print_explain(cfg, &plan, &event_time);
        return Ok(());
    }
    if cfg.follow {
        return Err(RunError::Usage(
            "--follow is not supported yet in this build".into(),
        ));
    }
    if cfg.checkpoint.is_some() {
        return Err(RunError::Usage(
            "--checkpoint is not supported yet in this build".into(),
        ));
    }

    let (inputs, mut sources) = open_inputs(cfg)?;
    let out = open_output(cfg)?;
    let dead_letter = match &cfg.dead_letter {
        Some(p) => Some(open_append(p).map_err(|e| {
            RunError::Runtime(format!("cannot open dead-letter file {}: {e}", p.display()))
        })?),
        None => None,
    };
    let mut sink = RunSink {
        out,
        reporter: Reporter::new(cfg.on_error, dead_letter),
        stats: Stats::default(),
        progress: Progress::off(),
    };
    let needs_time = plan.needs_time;
    let mut chain = Chain::new(plan.ops);

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .map_err(|e| RunError::Runtime(format!("cannot install signal handler: {e}")))?;
    }

    sink.progress = Progress::start(cfg.progress, cfg.follow, &inputs);
    let reader = reader::spawn(inputs);
    let result = drive(
        &reader,
        &mut sources,
        &mut chain,
        &mut sink,
        &mut event_time,
        needs_time,
        &stop,
    );
    sink.progress.finish();
    if let Err(RunError::Runtime(_)) = &result {
        // Results made before the failure are still the user's: write them out.
        let _ = sink.out.flush();
        let _ = sink.reporter.flush();
    }
    result?;
    sink.out.flush().map_err(output_error)?;
    sink.reporter.flush().ok();
    if let Some(s) = sink.reporter.summary() {
        eprintln!("{s}");
    }
    if cfg.stats {
        print_stats(&sink, started);
    }
    Ok(())
}

fn print_stats(sink: &RunSink, started: Instant) {
    let st = &sink.stats;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "streamctl: events in {}, out {}, rejected {}, late {}, unparsed {}, bytes {}, elapsed {:.3}s, {:.0} events/s",
        st.events_in,
        st.events_out,
        sink.reporter.rejected(),
        st.late,
        st.unparsed,
        st.bytes_in,
        secs,
        st.events_in as f64 / secs.max(1e-9)
    );
}

/// Read every input to its end (or until a stage stops the run or a signal
/// arrives), then end the chain.
fn drive(
    reader: &reader::Reader,
    sources: &mut [SourceState],
    chain: &mut Chain,
    sink: &mut RunSink,
    event_time: &mut EventTime,
    needs_time: bool,
    stop: &AtomicBool,
) -> Result<(), RunError> {
    // How often the loop wakes on a quiet input to run timers and see signals.
    const TICK: Duration = Duration::from_millis(50);
    let mut finished = vec![false; sources.len()];
    let mut flow = Flow::Continue;
    'read: while flow == Flow::Continue {
        let msg = match reader.rx.try_recv() {
            Ok(m) => Some(m),
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                // Nothing more is ready: everything pending goes out now (§7).
                sink.out.flush().map_err(output_error)?;
                sink.reporter.flush().ok();
                match reader.rx.recv_timeout(TICK) {
                    Ok(m) => Some(m),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        };
        if stop.load(Ordering::Relaxed) {
            // SIGINT/SIGTERM without a checkpoint is the end of input (§2).
            break;
        }
        let now = now_ms();
        match msg {
            None => {
                if needs_time {
                    if let Some(wm) = event_time.on_idle(now) {
                        flow = chain.watermark(wm, sink)?;
                    }
                }
            }
            Some(Msg::Data { source, data }) => {
                sink.stats.bytes_in += data.len() as u64;
                event_time.saw_input(now);
                let src = &mut sources[source];
                let mut engine = Engine {
                    chain,
                    sink,
                    event_time,
                    needs_time,
                    now,
                    source: source as u32,
                };
                let go = src.splitter.feed(&data, |piece| {
                    engine.piece(&src.name, &mut src.decoder, &mut src.line_no, piece)
                })?;
                let _ = reader.recycle.try_send(data);
                sink.progress
                    .update(sink.stats.bytes_in, sink.stats.events_in);
                if !go {
                    flow = Flow::Stop;
                }
            }
            Some(Msg::End { source }) => {
                let src = &mut sources[source];
                let mut engine = Engine {
                    chain,
                    sink,
                    event_time,
                    needs_time,
                    now,
                    source: source as u32,
                };
                let go = src.splitter.finish(|piece| {
                    engine.piece(&src.name, &mut src.decoder, &mut src.line_no, piece)
                })?;
                if !go {
                    flow = Flow::Stop;
                }
                finished[source] = true;
                if finished.iter().all(|f| *f) {
                    break 'read;
                }
            }
            Some(Msg::Failed { source, error }) => {
                return Err(RunError::Runtime(format!(
                    "cannot read {}: {error}",
                    sources[source].name
                )));
            }
        }
        if flow == Flow::Continue && chain.next_tick().is_some_and(|t| t <= now) {
            flow = chain.tick(now, sink)?;
        }
    }
    chain.end(sink)?;
    Ok(())
}

/// Borrowed pieces of the loop that handle one line.
struct Engine<'e> {
    chain: &'e mut Chain,
    sink: &'e mut RunSink,
    event_time: &'e mut EventTime,
    needs_time: bool,
    now: Millis,
    source: u32,
}

impl Engine<'_> {
    /// Handle one piece from the splitter; `Ok(false)` ends the run (head).
    fn piece(
        &mut self,
        name: &str,
        dec: &mut Decoder,
        line_no: &mut u64,
        piece: Piece<'_>,
    ) -> Result<bool, RunError> {
        match piece {
            Piece::Line { bytes, .. } => {
                *line_no += 1;
                self.line(name, dec, *line_no, bytes)
            }
            Piece::LongPart(bytes) => {
                self.sink.reporter.dead_letter_part(bytes);
                Ok(true)
            }
            Piece::LongEnd { len, .. } => {
                *line_no += 1;
                let reason = format!(
                    "line of {len} bytes is longer than --max-line-bytes; it was skipped (raise the limit with --max-line-bytes)"
                );
                self.sink
                    .reporter
                    .reject_long_end(&format!("{name}:{line_no}"), &reason)?;
                Ok(true)
            }
        }
    }

    fn line(
        &mut self,
        name: &str,
        dec: &mut Decoder,
        line_no: u64,
        bytes: &[u8],
    ) -> Result<bool, RunError> {
        let pos = Pos {
            source: self.source,
            line: line_no,
        };
        let mut ev = match dec.decode(bytes, pos) {
            Decoded::Event(ev) => ev,
            Decoded::Nothing => return Ok(true),
            Decoded::Reject(reason) => {
                self.sink
                    .reporter
                    .reject(&format!("{name}:{line_no}"), &reason, bytes)?;
                return Ok(true);
            }
        };
        if self.needs_time {
            if let Err(reason) = self.event_time.assign(&mut ev, self.now) {
                self.sink
                    .reporter
                    .reject(&format!("{name}:{line_no}"), &reason, bytes)?;
                return Ok(true);
            }
        }
        self.sink.stats.events_in += 1;
        let mut flow = self.chain.push(ev, self.sink)?;
        if self.needs_time && flow == Flow::Continue {
            if let Some(wm) = self.event_time.advance() {
                flow = self.chain.watermark(wm, self.sink)?;
            }
        }
        Ok(flow == Flow::Continue)
    }
}

fn open_inputs(cfg: &Config) -> Result<(Vec<Input>, Vec<SourceState>), RunError> {
    let mut inputs = Vec::new();
    let mut sources = Vec::new();
    for path in &cfg.inputs {
        let (input, name, format) = match path {
            None => (Input::Stdin, "<stdin>".to_string(), cfg.input_format),
            Some(p) => {
                let f = File::open(p).map_err(|e| open_error(p, e))?;
                if f.metadata().is_ok_and(|m| m.is_dir()) {
                    return Err(RunError::Usage(format!(
                        "{} is a directory, not an input file",
                        p.display()
                    )));
                }
                let format = cfg.input_format.or_else(|| Format::from_extension(p));
                (Input::File(f), p.display().to_string(), format)
            }
        };
        inputs.push(input);
        sources.push(SourceState {
            name,
            decoder: Decoder::new(format),
            splitter: LineSplitter::new(cfg.max_line_bytes, 0),
            line_no: 0,
        });
    }
    Ok((inputs, sources))
}

fn open_error(p: &std::path::Path, e: io::Error) -> RunError {
    let msg = format!("cannot open input {}: {}", p.display(), e);
    if e.kind() == io::ErrorKind::NotFound {
        RunError::Usage(format!("{msg} (check the path; use - for stdin)"))
    } else {
        RunError::Runtime(msg)
    }
}

fn open_append(p: &std::path::Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(p)
}

fn open_output(cfg: &Config) -> Result<Output, RunError> {
    let (w, color): (Box<dyn Write + Send>, bool) = match &cfg.output {
        Some(p) => (
            Box::new(open_append(p).map_err(|e| {
                RunError::Runtime(format!("cannot open output {}: {e}", p.display()))
            })?),
            false,
        ),
        None => {
            let color = crate::output::table::color_wanted(
                io::stdout().is_terminal(),
                std::env::var_os("NO_COLOR").as_deref(),
            );
            // Results on the terminal go above the progress bar, not through it.
            (Box::new(progress::AboveBar(io::stdout())), color)
        }
    };
    Ok(Output::new(w, cfg.output_format, cfg.line_buffered, color))
}

fn print_explain(cfg: &Config, plan: &Plan, et: &EventTime) {
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
    if plan.needs_time {
        s.push_str(&format!(
            "event time: {}; lateness {}ms, idle timeout {}ms\n",
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
    print!("{s}");
}
