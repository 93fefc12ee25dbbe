//! Multi-line events (`--multiline-start REGEX`): a line that matches REGEX
//! starts an event, any other line is appended to the current one with
//! `\n`, so a Java stack trace or a Python traceback is one event.
//!
//! The joiner sits between the line splitter and the decoder. It keeps
//! what a checkpoint needs: where the event it holds began (offset and line
//! number), so that a checkpoint never ends inside an event and a resumed
//! run reads the held event again from its first line.
//!
//! An event is bounded by `--max-line-bytes`: past it, what was held and
//! every further line of the event stream out in parts (for the dead-letter
//! file) and the event is rejected when the next one starts. A line too
//! long by itself (the splitter streams it out in parts) is told apart by
//! its first `max` bytes: if they match REGEX it starts an event of its own
//! (the event before it is whole and handed on), else it belongs to the
//! event it is in, which is rejected with it.

use std::time::{Duration, Instant};

use regex::bytes::Regex;

/// What the joiner hands on.
pub enum Joined<'a> {
    /// A whole event; `line` is the number of its first line.
    Event { bytes: &'a [u8], line: u64 },
    /// Part of an event over the limit (in order; may repeat).
    LongPart(&'a [u8]),
    /// The over-long event that started at line `line` ended; `len` bytes.
    LongEnd { line: u64, len: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// No event is held.
    Nothing,
    /// The event in `buf`.
    Event,
    /// An event over the limit, `len` bytes so far (streamed out, not held).
    Long { len: u64 },
}

pub struct Joiner {
    start: Regex,
    max: usize,
    buf: Vec<u8>,
    held: Held,
    /// The held event's first line number and the stream offset it starts at.
    first_line: u64,
    first_offset: u64,
    /// Stream offset just after the last line seen.
    last_end: u64,
    /// Inside a line that is over the limit by itself (the splitter streams it).
    in_long_line: bool,
    /// The first bytes of such a line, while an event is held, until there
    /// are enough to tell whether it starts an event; and its line number.
    probe: Option<(Vec<u8>, u64)>,
    /// When the last line of the held event came.
    last_at: Instant,
}

impl Joiner {
    pub fn new(start: Regex, max: usize, offset: u64) -> Joiner {
        Joiner {
            start,
            max,
            buf: Vec::new(),
            held: Held::Nothing,
            first_line: 0,
            first_offset: offset,
            last_end: offset,
            in_long_line: false,
            probe: None,
            last_at: Instant::now(),
        }
    }

    /// A new file (or the same from a checkpoint's offset): nothing is held.
    pub fn reset(&mut self, offset: u64) {
        self.buf.clear();
        self.held = Held::Nothing;
        self.first_offset = offset;
        self.last_end = offset;
        self.in_long_line = false;
        self.probe = None;
    }

    /// While an event is held: its first line number and start offset (a
    /// checkpoint stops before it).
    pub fn held_from(&self) -> Option<(u64, u64)> {
        (self.held != Held::Nothing).then_some((self.first_line, self.first_offset))
    }

    /// An event is held and no line came for `idle`.
    pub fn stale(&self, idle: Duration) -> bool {
        self.held != Held::Nothing && self.last_at.elapsed() >= idle
    }

    /// A whole line, number `line_no`, ending at stream offset `end`.
    pub fn line<E>(
        &mut self,
        bytes: &[u8],
        line_no: u64,
        end: u64,
        emit: &mut impl FnMut(Joined<'_>) -> Result<bool, E>,
    ) -> Result<bool, E> {
        let begin = self.held == Held::Nothing || self.start.is_match(bytes);
        let go = if begin {
            // The held event is whole: hand it on, then hold this line
            // (taken even if the handler says stop: the splitter is past it).
            let go = self.finish(emit)?;
            self.begin(line_no);
            self.buf.extend_from_slice(bytes);
            go
        } else {
            self.append(bytes, true, emit)?
        };
        self.last_end = end;
        self.last_at = Instant::now();
        Ok(go)
    }

    /// Part of a line over the limit by itself (number `line_no`).
    pub fn long_part<E>(
        &mut self,
        bytes: &[u8],
        line_no: u64,
        emit: &mut impl FnMut(Joined<'_>) -> Result<bool, E>,
    ) -> Result<bool, E> {
        self.last_at = Instant::now();
        if let Some((probe, _)) = self.probe.as_mut() {
            probe.extend_from_slice(bytes);
            if probe.len() >= self.max {
                return self.decide(emit);
            }
            return Ok(true);
        }
        if self.in_long_line {
            return self.stream(&[bytes], emit);
        }
        self.in_long_line = true;
        match self.held {
            Held::Nothing => {
                self.begin(line_no);
                self.held = Held::Long { len: 0 };
                self.stream(&[bytes], emit)
            }
            _ => {
                // Does it start an event? Wait for its first `max` bytes.
                self.probe = Some((bytes.to_vec(), line_no));
                if bytes.len() >= self.max {
                    return self.decide(emit);
                }
                Ok(true)
            }
        }
    }

    /// The first bytes of a line over the limit by itself are in `probe`:
    /// it starts an event of its own (the held one is whole and goes out)
    /// or is part of the held event, which it takes over the limit.
    fn decide<E>(
        &mut self,
        emit: &mut impl FnMut(Joined<'_>) -> Result<bool, E>,
    ) -> Result<bool, E> {
        let Some((probe, line_no)) = self.probe.take() else {
            return Ok(true);
        };
        let head = &probe[..probe.len().min(self.max)];
        if self.start.is_match(head) {
            let go = self.finish(emit)?;
            self.begin(line_no);
            self.held = Held::Long { len: 0 };
            Ok(self.stream(&[&probe], emit)? && go)
        } else {
            self.append(&probe, false, emit)
        }
    }

    /// The line over the limit by itself ended at `end`; its event goes on.
    pub fn long_end<E>(
        &mut self,
        end: u64,
        emit: &mut impl FnMut(Joined<'_>) -> Result<bool, E>,
    ) -> Result<bool, E> {
        let go = self.decide(emit)?;
        self.in_long_line = false;
        self.last_end = end;
        Ok(go)
    }

    /// End of the file, or of the wait for more: hand on the held event.
    pub fn finish<E>(
        &mut self,
        emit: &mut impl FnMut(Joined<'_>) -> Result<bool, E>,
    ) -> Result<bool, E> {
        let mut go = true;
        if self.probe.is_some() {
            go = self.decide(emit)?;
        }
        let held = std::mem::replace(&mut self.held, Held::Nothing);
        self.first_offset = self.last_end;
        let handed = match held {
            Held::Nothing => true,
            Held::Event => emit(Joined::Event {
                bytes: &self.buf,
                line: self.first_line,
            })?,
            Held::Long { len } => emit(Joined::LongEnd {
                line: self.first_line,
                len,
            })?,
        };
        let go = go && handed;
        self.buf.clear();
        Ok(go)
    }

    fn begin(&mut self, line_no: u64) {
        self.held = Held::Event;
        self.first_line = line_no;
        self.first_offset = self.last_end;
        self.buf.clear();
    }

    /// Append a line (`whole`), or the first part of one over the limit by
    /// itself, to the held event.
    fn append<E>(
        &mut self,
        bytes: &[u8],
        whole: bool,
        emit: &mut impl FnMut(Joined<'_>) -> Result<bool, E>,
    ) -> Result<bool, E> {
        match self.held {
            Held::Event if whole && self.buf.len() + 1 + bytes.len() <= self.max => {
                self.buf.push(b'\n');
                self.buf.extend_from_slice(bytes);
                Ok(true)
            }
            Held::Event => {
                // Over the limit: what was held goes out, and all after it.
                let held = std::mem::take(&mut self.buf);
                self.held = Held::Long { len: 0 };
                let go = self.stream(&[&held, b"\n", bytes], emit);
                self.buf = held;
                self.buf.clear();
                go
            }
            _ => self.stream(&[b"\n", bytes], emit),
        }
    }

    /// Parts of an over-long event, handed on as they come.
    fn stream<E>(
        &mut self,
        parts: &[&[u8]],
        emit: &mut impl FnMut(Joined<'_>) -> Result<bool, E>,
    ) -> Result<bool, E> {
        let mut go = true;
        for part in parts {
            if let Held::Long { len } = &mut self.held {
                *len += part.len() as u64;
            }
            go &= emit(Joined::LongPart(part))?;
        }
        Ok(go)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feed lines (`None`: a line over the limit by itself, in two parts)
    /// and end; what came out, with the held start after each line.
    fn join(max: usize, lines: &[Option<&str>]) -> (Vec<String>, Vec<Option<(u64, u64)>>) {
        let mut j = Joiner::new(Regex::new("^[A-Z]").unwrap(), max, 100);
        let mut out = Vec::new();
        let mut held = Vec::new();
        let mut emit = |p: Joined<'_>| -> Result<bool, ()> {
            out.push(match p {
                Joined::Event { bytes, line } => {
                    format!("{line}:{}", String::from_utf8_lossy(bytes))
                }
                Joined::LongPart(b) => format!("part {}", String::from_utf8_lossy(b)),
                Joined::LongEnd { line, len } => format!("long {line}:{len}"),
            });
            Ok(true)
        };
        let mut end = 100;
        for (i, l) in lines.iter().enumerate() {
            let n = i as u64 + 1;
            match l {
                Some(l) => {
                    end += l.len() as u64 + 1;
                    j.line(l.as_bytes(), n, end, &mut emit).unwrap();
                }
                None => {
                    j.long_part(b"xxx", n, &mut emit).unwrap();
                    j.long_part(b"yyy", n, &mut emit).unwrap();
                    end += 7;
                    j.long_end(end, &mut emit).unwrap();
                }
            }
            held.push(j.held_from());
        }
        j.finish(&mut emit).unwrap();
        assert_eq!(j.held_from(), None);
        (out, held)
    }

    #[test]
    fn continuation_lines_join_the_event_they_follow() {
        let (out, held) = join(
            100,
            &[
                Some("at first"),
                Some("Error x"),
                Some("  at a"),
                Some("  at b"),
                Some("Info"),
            ],
        );
        assert_eq!(out, ["1:at first", "2:Error x\n  at a\n  at b", "5:Info"]);
        // A checkpoint stops where the held event starts.
        assert_eq!(
            held,
            [
                Some((1, 100)),
                Some((2, 109)),
                Some((2, 109)),
                Some((2, 109)),
                Some((5, 131))
            ]
        );
    }

    #[test]
    fn an_event_over_the_limit_is_streamed_out_and_rejected_alone() {
        let (out, _) = join(
            10,
            &[Some("Err 123"), Some(" at a"), Some(" b"), Some("Ok")],
        );
        assert_eq!(
            out,
            [
                "part Err 123",
                "part \n",
                "part  at a",
                "part \n",
                "part  b",
                "long 1:16",
                "4:Ok"
            ]
        );
        let (out, _) = join(10, &[Some("Err"), None, Some(" c"), Some("Ok"), None]);
        assert_eq!(
            out,
            [
                "part Err",
                "part \n",
                // Its first bytes, held to tell whether it starts an event.
                "part xxxyyy",
                "part \n",
                "part  c",
                "long 1:13",
                // A line over the limit by itself that does not start an
                // event takes its event with it.
                "part Ok",
                "part \n",
                "part xxxyyy",
                "long 4:9",
            ]
        );
        let (out, _) = join(10, &[None, Some(" c"), Some("Ok")]);
        assert_eq!(
            out,
            ["part xxx", "part yyy", "part \n", "part  c", "long 1:9", "3:Ok"]
        );
    }
}
