//! What the reading threads (`reader.rs`, `follow.rs`) send the main loop,
//! and what they are given to read.
//!
//! An input may be made of several files in turn (a rotated file's tail, then
//! the new file): each file starts with `Msg::Open`, so the main loop knows
//! which file, and which byte offset, the following `Data` belongs to. That is
//! what checkpoints record.

use std::io;
use std::path::PathBuf;

use super::compressed::Compressed;
use super::identity::FileId;
pub use super::identity::Segment;
use super::preindex::{BlockIndex, LineKind};

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
        /// The file is compressed: `start` and the offsets after it count
        /// bytes of decompressed text.
        compressed: Option<Compressed>,
    },
    /// The next bytes of input `source` (maybe with their JSON index).
    Data { source: usize, block: Block },
    /// The compressed data of input `source`'s file is damaged (`reason`)
    /// past the bytes sent: its partial last line is bad input, and nothing
    /// more of that file comes.
    Damaged { source: usize, reason: String },
    /// Input `source` is at its end.
    End { source: usize },
    /// Reading input `source` failed.
    Failed { source: usize, error: io::Error },
}

/// A block of input as the reader sends it, with what it indexed.
#[derive(Default)]
pub struct Block {
    pub data: Vec<u8>,
    pub index: BlockIndex,
}

/// Stop reading: the main loop hung up (or this input failed, and that was sent).
pub struct Gone;

/// Where a reading thread sends its messages (the channel to the main loop,
/// or what a test collects).
pub trait Outlet {
    /// A buffer to read into.
    fn block(&self) -> Block;
    fn send(&mut self, msg: Msg) -> Result<(), Gone>;
}

/// An input: its path (`None` is stdin) and the files to read, in order.
pub struct Source {
    pub path: Option<PathBuf>,
    pub segments: Vec<Segment>,
    /// What the reader may prepare for its lines (see preindex.rs).
    pub kind: LineKind,
    /// A FIFO: opened by its reading thread (the open waits for a writer,
    /// and the main loop must keep seeing signals meanwhile), read as a
    /// stream to its end.
    pub fifo: bool,
}
