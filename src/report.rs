//! Bad input is data: each rejected line is counted, the first ten are
//! reported as `FILE:LINE: reason`, all are copied byte for byte to the
//! dead-letter file, and a count is printed at exit.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use crate::cli::OnError;

/// How many rejections are shown one by one before only counting.
const SHOWN: u64 = 10;

pub struct Reporter {
    mode: OnError,
    rejected: u64,
    late: u64,
    dead_letter: Option<BufWriter<File>>,
    /// A write to the dead-letter file failed: the run stops (exit 1) at the
    /// next rejection or flush, rather than drop rejected lines silently.
    failed: Option<io::Error>,
}

/// `--on-error fail` met a bad line: the message to print, exit 1.
#[derive(Debug)]
pub struct FailFast(pub String);

impl Reporter {
    pub fn new(mode: OnError, dead_letter: Option<File>) -> Reporter {
        Reporter {
            mode,
            rejected: 0,
            late: 0,
            dead_letter: dead_letter.map(BufWriter::new),
            failed: None,
        }
    }

    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    pub fn late(&self) -> u64 {
        self.late
    }

    /// A malformed line. `bytes` is the whole line as read.
    pub fn reject(&mut self, location: &str, reason: &str, bytes: &[u8]) -> Result<(), FailFast> {
        self.rejected += 1;
        self.dead_letter_line(bytes);
        if let Some(e) = self.failed.take() {
            return Err(FailFast(DeadLetterFailed(e).to_string()));
        }
        match self.mode {
            OnError::Fail => Err(FailFast(format!(
                "{location}: {reason}\nstreamctl: stopped at the first malformed line (--on-error fail); \
use --on-error warn to skip such lines"
            ))),
            OnError::Warn if self.rejected <= SHOWN => {
                crate::progress::eprintln(&format!("{location}: {reason}"));
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A warning from an operator: always shown (warnings are rare and each
    /// says what to do), above the progress bar if one is drawn.
    pub fn warning(&mut self, message: &str) {
        crate::progress::eprintln(&format!("streamctl: warning: {message}"));
    }

    /// An over-long line streams to the dead-letter file in parts (it is
    /// never held whole); `reject_long_end` then counts it.
    pub fn dead_letter_part(&mut self, bytes: &[u8]) {
        if let Some(w) = self.dead_letter.as_mut() {
            if let Err(e) = w.write_all(bytes) {
                self.failed.get_or_insert(e);
            }
        }
    }

    pub fn reject_long_end(&mut self, location: &str, reason: &str) -> Result<(), FailFast> {
        self.dead_letter_part(b"\n");
        // The bytes went out already; count and report without copying again.
        let saved = self.dead_letter.take();
        let r = self.reject(location, reason, b"");
        self.dead_letter = saved;
        r
    }

    /// Damaged compressed input: `bytes` is the partial line the damage
    /// cut (copied to the dead-letter file unless empty: then no line was cut).
    pub fn reject_cut(
        &mut self,
        location: &str,
        reason: &str,
        bytes: &[u8],
    ) -> Result<(), FailFast> {
        if !bytes.is_empty() {
            return self.reject(location, reason, bytes);
        }
        let saved = self.dead_letter.take();
        let r = self.reject(location, reason, b"");
        self.dead_letter = saved;
        r
    }

    /// An event that came after its windows closed.
    pub fn late_event(&mut self, bytes: &[u8]) {
        self.late += 1;
        if !bytes.is_empty() {
            self.dead_letter_line(bytes);
        }
    }

    fn dead_letter_line(&mut self, bytes: &[u8]) {
        if let Some(w) = self.dead_letter.as_mut() {
            if let Err(e) = w.write_all(bytes).and_then(|_| w.write_all(b"\n")) {
                self.failed.get_or_insert(e);
            }
        }
    }

    /// Write out the dead-letter file; `Err` is the message for the user
    /// (exit 1) when it could not be written.
    pub fn flush(&mut self) -> Result<(), DeadLetterFailed> {
        if let Some(e) = self.failed.take() {
            return Err(DeadLetterFailed(e));
        }
        match self.dead_letter.as_mut() {
            Some(w) => w.flush().map_err(DeadLetterFailed),
            None => Ok(()),
        }
    }

    /// The line printed at exit, if anything was rejected or late.
    pub fn summary(&self) -> Option<String> {
        if self.mode == OnError::Skip {
            return None;
        }
        let mut parts = Vec::new();
        if self.rejected > 0 {
            let hidden = self.rejected.saturating_sub(SHOWN);
            let more = if hidden > 0 {
                format!(" ({hidden} not shown)")
            } else {
                String::new()
            };
            parts.push(format!("{} malformed line(s) skipped{more}", self.rejected));
        }
        if self.late > 0 {
            parts.push(format!(
                "{} late event(s) dropped (behind the watermark; see --lateness)",
                self.late
            ));
        }
        (!parts.is_empty()).then(|| format!("streamctl: {}", parts.join("; ")))
    }
}

/// The dead-letter file could not be written: the run stops (exit 1) rather
/// than lose rejected lines silently.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot write the dead-letter file: {0}; rejected lines would be lost, so the run \
     stopped (give --dead-letter a file that can be written)"
)]
pub struct DeadLetterFailed(io::Error);

/// Text from the data made safe for a terminal: control characters (C0,
/// DEL, C1: escapes that retitle or clear a terminal, tabs and newlines
/// that break a layout) are written as `\n`, `\t`, `\r` or `\u001b`.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(visible("plain é"), "plain é");
        assert_eq!(visible("a\x1b]0;owned\x07b"), "a\\u001b]0;owned\\u0007b");
        assert_eq!(
            visible("x\ny\tz\r\u{9b}\u{7f}"),
            "x\\ny\\tz\\r\\u009b\\u007f"
        );
    }
}
