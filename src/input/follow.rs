//! `--follow`: keep reading files as they grow, like `tail -F`, and hand the
//! main loop the same messages as the plain reader (`reader::Msg`).
//!
//! One thread polls every followed file: it reads whatever is there, and when
//! a file has nothing new for a whole pass it sleeps `POLL`. While data flows
//! there is no sleep at all, so a line is handed over as soon as it is read.
//!
//! At the end of what a file holds, the path is looked at again:
//! - another file is at the path (rename + create): the old file, whose fd
//!   is still open, is read to its end first, then the new one from its start;
//! - the path is gone: keep reading the old file (it may still be written to)
//!   until a new file appears;
//! - the file is shorter than what was read, or its first bytes changed
//!   (copytruncate, even if the writer has refilled it since): read it again
//!   from its start;
//! - a path that does not exist yet is waited for.
//!
//! It must never decide where lines end (the splitter does), and it never
//! sends `End` for a followed file: a partial last line waits for its newline.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use super::identity::{FileId, Head};
use super::outbox::Outbox;
use super::protocol::{Gone, Msg, Opened, Segment, Source};
use super::reader::{read_block, read_source, BLOCK};

/// How long to sleep when no followed file had anything new.
pub const POLL: Duration = Duration::from_millis(20);
/// Blocks one file may read in a row before the others get a turn.
const TURN: usize = 16;

pub fn spawn(sources: Vec<Source>, outbox: Outbox) {
    let mut followed = Vec::new();
    for (source, s) in sources.into_iter().enumerate() {
        match s.path {
            // Stdin cannot be followed past its end: read it as usual, beside the files.
            None => {
                let mut stdin_outbox = outbox.sibling();
                thread::Builder::new()
                    .name("stdin".into())
                    .spawn(move || {
                        let _ = read_source(source, s.segments, &mut stdin_outbox);
                    })
                    .expect("spawning the stdin reader thread");
            }
            Some(path) => followed.push(Followed {
                source,
                path,
                queue: s.segments.into(),
                cur: None,
                opened_any: false,
            }),
        }
    }
    if followed.is_empty() {
        return;
    }
    thread::Builder::new()
        .name("follow".into())
        .spawn(move || follow_all(followed, outbox))
        .expect("spawning the follow thread");
}

/// Poll every followed file until the main loop hangs up (or an input
/// failed: the main loop ends the run on that).
fn follow_all(mut files: Vec<Followed>, mut io: Outbox) {
    loop {
        let mut busy = false;
        for f in files.iter_mut() {
            match f.poll(&mut io) {
                Ok(b) => busy |= b,
                // The main loop ends the run on a failure; nothing more to read.
                Err(Gone) => return,
            }
        }
        if !busy {
            thread::sleep(POLL);
        }
    }
}

struct Followed {
    source: usize,
    path: PathBuf,
    /// Files to read after the current one (a resumed input: the rest of the
    /// rotated file first, then the file now at the path).
    queue: VecDeque<Segment>,
    cur: Option<Current>,
    opened_any: bool,
}

struct Current {
    file: File,
    id: FileId,
    /// Bytes of the file read so far.
    pos: u64,
    /// The file's first bytes as read, to notice a truncation.
    head: Head,
    /// The last read found the end of the file.
    at_end: bool,
}

impl Followed {
    /// Read what is new; true if anything happened.
    fn poll(&mut self, io: &mut Outbox) -> Result<bool, Gone> {
        if self.cur.is_none() && !self.open_next(io)? {
            return Ok(false);
        }
        if self.read_available(io)? {
            return Ok(true);
        }
        // At the end of what the file holds.
        if !self.queue.is_empty() {
            self.cur = None;
            return Ok(true);
        }
        let cur = self.cur.as_ref().expect("a file is open");
        match std::fs::metadata(&self.path) {
            Ok(m) if FileId::from_meta(&m) != cur.id => {
                // Rotated by rename + create. A writer may have added to the
                // old file since the last read: finish it, then move on.
                while self.read_available(io)? {}
                self.cur = None;
                self.open_next(io)?;
                Ok(true)
            }
            // Same file, nothing new; or the path is gone (rotated away, not
            // created again yet): keep reading the old file meanwhile.
            _ => Ok(false),
        }
    }

    /// Open the next file (a queued segment, else whatever is at the path).
    fn open_next(&mut self, io: &mut Outbox) -> Result<bool, Gone> {
        let (file, id, start) = match self.queue.pop_front() {
            Some(seg) => (seg.file, seg.id, seg.start),
            None => {
                let file = match File::open(&self.path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
                    Err(e) => return Err(self.fail(io, e)),
                };
                let meta = file.metadata().map_err(|e| self.fail(io, e))?;
                if meta.is_dir() {
                    let e = io::Error::other("it is a directory, not a file");
                    return Err(self.fail(io, e));
                }
                (file, FileId::from_meta(&meta), 0)
            }
        };
        let why = if self.opened_any {
            Opened::Rotated
        } else {
            Opened::First
        };
        self.opened_any = true;
        // A file resumed past its start: its first bytes are what was read.
        let head = Head::read(&file, start);
        io.send(Msg::Open {
            source: self.source,
            id,
            start,
            why,
        })?;
        self.cur = Some(Current {
            file,
            id,
            pos: start,
            head,
            at_end: false,
        });
        Ok(true)
    }

    /// Read up to `TURN` blocks; true if anything was read.
    fn read_available(&mut self, io: &mut Outbox) -> Result<bool, Gone> {
        let mut any = false;
        for _ in 0..TURN {
            let cur = self.cur.as_mut().expect("a file is open");
            // Reading on from where the end was: the file may have been
            // truncated since, and even refilled past that point.
            let watch = cur.at_end && cur.pos > 0;
            if watch && cur.truncated() {
                self.restart(io)?;
                any = true;
                continue;
            }
            let mut block = io.block();
            let n = match read_block(&mut cur.file, &mut block.data) {
                Ok(n) => n,
                Err(e) => return Err(self.fail(io, e)),
            };
            if n == 0 {
                cur.at_end = true;
                break;
            }
            if watch && cur.truncated() {
                // Truncated between the look and the read: those bytes are
                // the new content at the old offset, not a continuation.
                self.restart(io)?;
                any = true;
                continue;
            }
            cur.head.saw(cur.pos, &block.data);
            cur.pos += n as u64;
            // A short read is the end of what the file holds for now.
            cur.at_end = n < BLOCK;
            any = true;
            io.send(Msg::Data {
                source: self.source,
                block,
            })?;
            if cur.at_end {
                break;
            }
        }
        Ok(any)
    }

    /// The file was truncated (copytruncate): read it again from its start.
    fn restart(&mut self, io: &mut Outbox) -> Result<(), Gone> {
        let cur = self.cur.as_mut().expect("a file is open");
        if let Err(e) = cur.file.seek(SeekFrom::Start(0)) {
            return Err(self.fail(io, e));
        }
        cur.pos = 0;
        cur.head = Head::default();
        cur.at_end = false;
        io.send(Msg::Open {
            source: self.source,
            id: cur.id,
            start: 0,
            why: Opened::Truncated,
        })
    }

    /// Report a read failure; the main loop stops the run on it.
    fn fail(&self, io: &mut Outbox, error: io::Error) -> Gone {
        let _ = io.send(Msg::Failed {
            source: self.source,
            error,
        });
        Gone
    }
}

impl Current {
    /// The file is shorter than what was read, or no longer starts with the
    /// bytes read from it (copytruncate).
    fn truncated(&self) -> bool {
        if self.file.metadata().is_ok_and(|m| m.len() < self.pos) {
            return true;
        }
        self.head.changed_in(&self.file)
    }
}
