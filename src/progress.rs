//! `--progress`: a bar on stderr while a regular file is read — bytes done
//! out of the total, events so far and per second, time left.
//!
//! It is drawn only when stderr is a terminal, so it never lands in a pipe or
//! a log file. By default it is on for regular-file input that is not
//! followed; `--progress` also shows a spinner for a pipe or `--follow`, and
//! `--no-progress` turns it off.
//!
//! Anything else written to stderr while the bar is up must go through
//! [`eprintln`] here, which lifts the bar, writes the line, and draws the bar
//! again below it. The bar is kept in a process-wide slot for that reason:
//! stderr itself is process-wide, and the messages come from deep inside the
//! run (bad-line reports, checkpoint notices).

use std::fs::File;
use std::io::{self, IsTerminal, Seek, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::input::Source;

/// The bar currently drawn, if any.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// How often the events figures are recomputed (the bar itself redraws at
/// most 20 times a second).
const MESSAGE_EVERY: Duration = Duration::from_millis(200);

/// What to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A bar with a known total of bytes, and an ETA.
    Bar(u64),
    /// Input of unknown size (a pipe, `--follow`): bytes and rates only.
    Spinner,
}

/// Decide whether to draw, from `--progress`/`--no-progress` (`setting`),
/// whether stderr is a terminal, `--follow`, and the bytes left to read when
/// every input is a regular file.
pub fn decide(
    setting: Option<bool>,
    stderr_is_terminal: bool,
    follow: bool,
    total: Option<u64>,
) -> Option<Mode> {
    if !stderr_is_terminal || setting == Some(false) {
        return None;
    }
    match (total, follow, setting) {
        (Some(n), false, _) => Some(Mode::Bar(n)),
        (_, _, Some(true)) => Some(Mode::Spinner),
        _ => None,
    }
}

/// The bytes left to read over all inputs, when every one is a regular file
/// (stdin redirected from a file counts). Reading starts at each file's
/// current position, so a resumed run counts only what is left.
pub fn remaining_bytes<'a>(files: impl IntoIterator<Item = &'a File>) -> Option<u64> {
    let mut total = 0u64;
    for f in files {
        total = total.saturating_add(file_left(f)?);
    }
    Some(total)
}

fn file_left(f: &File) -> Option<u64> {
    let meta = f.metadata().ok()?;
    // A compressed file's length is not what is read (decompressed bytes).
    if !meta.is_file() || crate::input::compressed::Codec::of_file(f).is_some() {
        return None;
    }
    let mut handle = f;
    let pos = handle.stream_position().unwrap_or(0);
    Some(meta.len().saturating_sub(pos))
}

/// The progress display of one run. Dropping it clears the bar.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    last_message: Option<Instant>,
}

impl Progress {
    /// No display.
    pub fn off() -> Progress {
        Progress {
            bar: None,
            started: Instant::now(),
            last_message: None,
        }
    }

    /// Start drawing on stderr if [`decide`] says so.
    pub fn start(setting: Option<bool>, follow: bool, inputs: &[Source]) -> Progress {
        let tty = io::stderr().is_terminal();
        // Only look at the inputs when a bar could be drawn at all.
        let total = if tty && setting != Some(false) {
            remaining_bytes(
                inputs
                    .iter()
                    .flat_map(|s| s.segments.iter().map(|g| &g.file)),
            )
        } else {
            None
        };
        match decide(setting, tty, follow, total) {
            Some(mode) => Progress::draw(mode, ProgressDrawTarget::stderr()),
            None => Progress::off(),
        }
    }

    fn draw(mode: Mode, target: ProgressDrawTarget) -> Progress {
        let (bar, template) = match mode {
            Mode::Bar(total) => (
                ProgressBar::with_draw_target(Some(total), target),
                // The bar takes what the terminal width leaves, so the line never wraps.
                "[{wide_bar}] {bytes}/{total_bytes} {msg} ETA {eta}",
            ),
            Mode::Spinner => (
                ProgressBar::with_draw_target(None, target),
                "{spinner} {bytes} read {msg}",
            ),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message("0 events");
        bar.tick();
        if let Ok(mut slot) = ACTIVE.lock() {
            *slot = Some(bar.clone());
        }
        Progress {
            bar: Some(bar),
            started: Instant::now(),
            last_message: None,
        }
    }

    pub fn is_drawn(&self) -> bool {
        self.bar.is_some()
    }

    /// Bytes read and events decoded so far, over the whole run.
    pub fn update(&mut self, bytes: u64, events: u64) {
        let Some(bar) = &self.bar else { return };
        bar.set_position(bytes);
        let now = Instant::now();
        if self
            .last_message
            .is_some_and(|t| now.duration_since(t) < MESSAGE_EVERY)
        {
            return;
        }
        self.last_message = Some(now);
        let secs = now.duration_since(self.started).as_secs_f64().max(1e-3);
        bar.set_message(format!("{events} events ({:.0}/s)", events as f64 / secs));
    }

    /// Clear the bar; later stderr lines are written plainly.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            if let Ok(mut slot) = ACTIVE.lock() {
                *slot = None;
            }
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Write one line to stderr above the progress bar (plainly when no bar is
/// drawn), so reports and the bar never share a line.
///
/// Never panics: stderr that is full or closed (`2>/dev/full`, `2>&1 | head
/// -1`) loses the line, and the run goes on to its own exit status.
pub fn eprintln(line: &str) {
    let write = || {
        let mut err = std::io::stderr().lock();
        let _ = err
            .write_all(line.as_bytes())
            .and_then(|_| err.write_all(b"\n"));
    };
    match active() {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// Write text to stderr as it is (no newline added); never panics (see `eprintln`).
pub fn eprint(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A writer whose writes lift the progress bar first and draw it again after
/// (for results written to the same terminal as the bar).
pub struct AboveBar<W>(pub W);

impl<W: io::Write> io::Write for AboveBar<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match active() {
            Some(bar) => bar.suspend(|| self.0.write_all(buf).map(|()| buf.len())),
            None => self.0.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match active() {
            Some(bar) => bar.suspend(|| self.0.flush()),
            None => self.0.flush(),
        }
    }
}

fn active() -> Option<ProgressBar> {
    ACTIVE.lock().ok().and_then(|slot| slot.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_drawn_when_stderr_is_not_a_terminal() {
        assert_eq!(decide(None, false, false, Some(10)), None);
        assert_eq!(decide(Some(true), false, false, Some(10)), None);
        assert_eq!(decide(Some(true), false, true, None), None);
    }

    #[test]
    fn default_is_a_bar_for_regular_files_not_followed() {
        assert_eq!(decide(None, true, false, Some(10)), Some(Mode::Bar(10)));
        assert_eq!(decide(None, true, true, Some(10)), None);
        assert_eq!(decide(None, true, false, None), None);
    }

    #[test]
    fn forced_on_shows_a_spinner_when_the_size_is_unknown() {
        assert_eq!(decide(Some(true), true, false, None), Some(Mode::Spinner));
        assert_eq!(
            decide(Some(true), true, true, Some(10)),
            Some(Mode::Spinner)
        );
        assert_eq!(
            decide(Some(true), true, false, Some(10)),
            Some(Mode::Bar(10))
        );
    }

    #[test]
    fn no_progress_wins() {
        assert_eq!(decide(Some(false), true, false, Some(10)), None);
    }

    #[test]
    fn remaining_bytes_counts_from_the_current_position() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.jsonl");
        std::fs::write(&p, "0123456789").unwrap();
        let mut f = File::open(&p).unwrap();
        assert_eq!(remaining_bytes([&f]), Some(10));
        f.seek(io::SeekFrom::Start(4)).unwrap();
        let g = File::open(&p).unwrap();
        assert_eq!(remaining_bytes([&f, &g]), Some(16));
    }

    #[test]
    fn a_directory_or_pipe_has_no_known_size() {
        let dir = tempfile::tempdir().unwrap();
        let d = File::open(dir.path()).unwrap();
        assert_eq!(remaining_bytes([&d]), None);
    }

    #[test]
    fn hidden_bar_updates_and_clears() {
        let mut p = Progress::draw(Mode::Bar(100), ProgressDrawTarget::hidden());
        assert!(p.is_drawn());
        p.update(50, 5);
        assert_eq!(p.bar.as_ref().unwrap().position(), 50);
        assert!(p.bar.as_ref().unwrap().message().starts_with("5 events ("));
        p.finish();
        assert!(!p.is_drawn());
        assert!(ACTIVE.lock().unwrap().is_none());
    }
}
