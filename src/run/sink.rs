//! The end of the chain: result rows to the output, rejected and late
//! events to the reporter, and the counts `--stats` prints.

use super::*;

/// The end of the chain: writes events, counts, reports late ones.
pub(super) struct RunSink {
    pub(super) out: Output,
    /// `-q`: write nothing, stop at the first row.
    pub(super) quiet: bool,
    pub(super) reporter: Reporter,
    pub(super) stats: Stats,
    pub(super) progress: Progress,
    /// Each input's name, for `FILE:LINE` in messages.
    pub(super) names: Vec<String>,
    /// The stages' state when reading stopped, before the end flushed it
    /// (`--stats`); `None` when no stage keeps state.
    pub(super) state: Option<StateSize>,
    /// Fields never present were named after the first `NOTICE_AFTER` events.
    pub(super) absent_said: bool,
}

/// Say which fields the pipeline reads were never there (`exec::absent`).
pub(super) fn say_absent(chain: &mut Chain) {
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
        let line = ev.pos.line;
        let location = match name {
            Some(n) if line > 0 => format!("{n}:{line}"),
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
    fn json_out(&mut self) -> Option<&mut Vec<u8>> {
        if self.quiet {
            return None;
        }
        self.out.json_buf()
    }
    fn json_row_written(&mut self) -> Result<Flow, ExecError> {
        self.stats.events_out += 1;
        self.out.written_row().map_err(ExecError::Output)?;
        Ok(Flow::Continue)
    }
}

pub(super) fn print_stats(sink: &RunSink, started: Instant) {
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
pub(super) fn human_bytes(b: u64) -> String {
    match b {
        0..1024 => format!("{b} B"),
        1024..1_048_576 => format!("{:.1} KB", b as f64 / 1024.0),
        1_048_576..1_073_741_824 => format!("{:.1} MB", b as f64 / 1_048_576.0),
        _ => format!("{:.1} GB", b as f64 / 1_073_741_824.0),
    }
}

/// Whether the input may go on: not once a checkpoint falls due (`pause_at`
/// lines handled).
pub(super) fn go_on(sink: &RunSink, pause_at: Option<u64>) -> bool {
    pause_at.is_none_or(|at| sink.stats.events_in + sink.reporter.rejected() < at)
}
