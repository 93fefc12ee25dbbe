//! The reader thread: reads every input in order in large blocks and sends
//! them to the main loop over a bounded channel.
//!
//! Why a thread: the main loop must keep its clocks running (idle timeouts,
//! `emit every`, processing-time windows) while stdin has nothing to say, and
//! a blocking `read` cannot be given a timeout portably. The channel is
//! bounded and buffers are recycled, so memory stays at a few blocks.
//!
//! An input may be made of several files in turn (a rotated file's tail, then
//! the new file): each file starts with `Msg::Open`, so the main loop knows
//! which file, and which byte offset, the following `Data` belongs to. That is
//! what checkpoints record. With `--follow`, `follow.rs` produces the same
//! messages from files it polls.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

/// Block size: large enough that a big file streams at memory speed, small
/// enough that a trickle of lines is handed over at once (a `read` returns
/// whatever is there, it does not wait to fill the block).
pub const BLOCK: usize = 256 * 1024;

/// A file's identity on this machine (it survives renames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
}

impl FileId {
    pub fn of(f: &File) -> io::Result<FileId> {
        let m = f.metadata()?;
        Ok(FileId::from_meta(&m))
    }

    pub fn from_meta(m: &std::fs::Metadata) -> FileId {
        FileId {
            dev: m.dev(),
            ino: m.ino(),
        }
    }
}

/// Why an input moved to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// The input's first file.
    First,
    /// The previous file is finished (rotated away); this is its successor.
    Rotated,
    /// The same file shrank below what was read (copytruncate): read again from its start.
    Truncated,
}

pub enum Msg {
    /// Input `source` now reads file `id` from byte `start`; whatever the
    /// input read before (an older file) is finished.
    Open {
        source: usize,
        id: FileId,
        start: u64,
        why: Opened,
    },
    /// The next bytes of input `source`.
    Data { source: usize, data: Vec<u8> },
    /// Input `source` is at its end.
    End { source: usize },
    /// Reading input `source` failed.
    Failed { source: usize, error: io::Error },
}

/// One file of an input, opened and positioned at `start`.
pub struct Segment {
    pub file: File,
    pub id: FileId,
    pub start: u64,
}

impl Segment {
    /// Stdin as a file (a duplicate of fd 0, so it can be checked and seeked
    /// when it is a regular file).
    pub fn stdin() -> io::Result<Segment> {
        let file = File::from(io::stdin().as_fd().try_clone_to_owned()?);
        let id = FileId::of(&file)?;
        Ok(Segment { file, id, start: 0 })
    }
}

/// An input: its path (`None` is stdin) and the files to read, in order.
pub struct Source {
    pub path: Option<PathBuf>,
    pub segments: Vec<Segment>,
}

pub struct Reader {
    pub rx: Receiver<Msg>,
    /// Send used buffers back so the reader can reuse them.
    pub recycle: SyncSender<Vec<u8>>,
}

/// Start reading: every input in order to its end, or, with `follow`, all
/// inputs at once, forever (see `follow.rs`).
pub fn spawn(sources: Vec<Source>, follow: bool) -> Reader {
    let (tx, rx) = sync_channel::<Msg>(4);
    let (recycle, recycled) = sync_channel::<Vec<u8>>(8);
    if follow {
        super::follow::spawn(sources, tx, recycled);
    } else {
        thread::Builder::new()
            .name("reader".into())
            .spawn(move || {
                for (source, input) in sources.into_iter().enumerate() {
                    if !read_source(source, input.segments, &tx, &recycled) {
                        return;
                    }
                }
            })
            .expect("spawning the reader thread");
    }
    Reader { rx, recycle }
}

/// Read one input's files in order, then send `End` (or `Failed`).
/// Returns false when the main loop hung up.
pub(super) fn read_source(
    source: usize,
    segments: Vec<Segment>,
    tx: &SyncSender<Msg>,
    recycled: &Receiver<Vec<u8>>,
) -> bool {
    for (i, seg) in segments.into_iter().enumerate() {
        let why = if i == 0 {
            Opened::First
        } else {
            Opened::Rotated
        };
        let open = Msg::Open {
            source,
            id: seg.id,
            start: seg.start,
            why,
        };
        if tx.send(open).is_err() {
            return false;
        }
        match pump(source, seg.file, tx, recycled) {
            Ok(true) => {}
            Ok(false) => return false,
            Err(error) => return tx.send(Msg::Failed { source, error }).is_ok(),
        }
    }
    tx.send(Msg::End { source }).is_ok()
}

/// Read `r` to its end. Returns Ok(false) when the receiver is gone.
fn pump(
    source: usize,
    mut r: impl Read,
    tx: &SyncSender<Msg>,
    recycled: &Receiver<Vec<u8>>,
) -> io::Result<bool> {
    loop {
        let mut buf = recycled.try_recv().unwrap_or_default();
        let n = read_block(&mut r, &mut buf)?;
        if n == 0 {
            return Ok(true);
        }
        if tx.send(Msg::Data { source, data: buf }).is_err() {
            return Ok(false);
        }
    }
}

/// One `read` of up to a block into `buf` (resized to what was read).
pub(super) fn read_block(r: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<usize> {
    buf.resize(BLOCK, 0);
    let n = loop {
        match r.read(buf) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    buf.truncate(n);
    Ok(n)
}
