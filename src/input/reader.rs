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
use std::sync::Arc;
use std::thread;

use super::preindex::{Balance, Block, Gone, LineKind, Outbox};

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
    /// The next bytes of input `source` (maybe with their JSON index).
    Data { source: usize, block: Block },
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
    /// What the reader may prepare for its lines (see preindex.rs).
    pub kind: LineKind,
}

pub struct Reader {
    pub rx: Receiver<Msg>,
    /// Send used buffers back so the reader can reuse them.
    pub recycle: SyncSender<Block>,
    /// Tell the reader when the main loop waits for input (see preindex.rs).
    pub balance: Arc<Balance>,
}

/// Start reading: every input in order to its end, or, with `follow`, all
/// inputs at once, forever (see `follow.rs`).
pub fn spawn(sources: Vec<Source>, follow: bool) -> Reader {
    let (tx, rx) = sync_channel::<Msg>(4);
    let (recycle, recycled) = sync_channel::<Block>(8);
    let balance = Arc::new(Balance::default());
    let kinds: Arc<[LineKind]> = sources.iter().map(|s| s.kind).collect();
    let outbox = Outbox::new(tx, recycled, balance.clone(), kinds);
    if follow {
        super::follow::spawn(sources, outbox);
    } else {
        thread::Builder::new()
            .name("reader".into())
            .spawn(move || {
                let mut outbox = outbox;
                for (source, input) in sources.into_iter().enumerate() {
                    if read_source(source, input.segments, &mut outbox).is_err() {
                        return;
                    }
                }
            })
            .expect("spawning the reader thread");
    }
    Reader {
        rx,
        recycle,
        balance,
    }
}

/// Read one input's files in order, then send `End` (or `Failed`).
pub(super) fn read_source(
    source: usize,
    segments: Vec<Segment>,
    outbox: &mut Outbox,
) -> Result<(), Gone> {
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
        outbox.send(open)?;
        if let Err(error) = pump(source, seg.file, outbox)? {
            return outbox.send(Msg::Failed { source, error });
        }
    }
    outbox.send(Msg::End { source })
}

/// Read `r` to its end (the inner result is a read error).
fn pump(source: usize, mut r: impl Read, outbox: &mut Outbox) -> Result<io::Result<()>, Gone> {
    loop {
        let mut block = outbox.block();
        match read_block(&mut r, &mut block.data) {
            Ok(0) => return Ok(Ok(())),
            Ok(_) => outbox.send(Msg::Data { source, block })?,
            Err(e) => return Ok(Err(e)),
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
