//! Writing results: an encoder per format over one buffered writer, and the
//! flush policy of DESIGN §7 — the caller flushes whenever the input has
//! nothing more ready, so a slow stream sees every result at once while a big
//! file still goes out in large writes.

mod encode;
pub mod file;
pub mod table;

use std::io::{self, Write};

use crate::event::Event;

pub use encode::Encoder;

/// Output formats (`-O`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutFormat {
    Json,
    Csv,
    Tsv,
    Logfmt,
    Table,
}

/// Write the buffer out once it holds this much, flush or not.
const HIGH_WATER: usize = 128 * 1024;
/// The same for results held back until a checkpoint covers them (at-most-once).
const HOLD_HIGH_WATER: usize = 4 * 1024 * 1024;

pub struct Output {
    w: Box<dyn Write + Send>,
    buf: Vec<u8>,
    enc: Encoder,
    line_buffered: bool,
    /// Bytes handed to the writer so far (the committed length for `-o`).
    written: u64,
    /// Keep everything in the buffer until `flush` (at-most-once: the
    /// checkpoint is committed before results are written).
    hold: bool,
    /// The output file, to fsync it (`-o`).
    sync: Option<std::fs::File>,
    /// The CSV/TSV columns of the block the written bytes end in (results
    /// still in `buf` may have started another).
    written_header: Option<Vec<String>>,
}

impl Output {
    pub fn new(
        w: Box<dyn Write + Send>,
        format: OutFormat,
        line_buffered: bool,
        color: bool,
    ) -> Output {
        Output {
            w,
            buf: Vec::with_capacity(HIGH_WATER + 4096),
            enc: Encoder::new(format, color),
            line_buffered,
            written: 0,
            hold: false,
            sync: None,
            written_header: None,
        }
    }

    pub fn write_event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        self.enc.encode(ev, &mut self.buf);
        self.written_row()
    }

    /// With `-O json`, the buffer a producer may append JSON lines to
    /// itself (what `write_event` would append); `written_row` after each.
    pub fn json_buf(&mut self) -> Option<&mut Vec<u8>> {
        match self.enc {
            Encoder::Json => Some(&mut self.buf),
            _ => None,
        }
    }

    /// A row is in the buffer: write out what is due.
    pub fn written_row(&mut self) -> io::Result<()> {
        if self.hold {
            Ok(())
        } else if self.line_buffered {
            self.flush()
        } else if self.buf.len() >= HIGH_WATER {
            self.drain()
        } else {
            Ok(())
        }
    }

    fn drain(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.w.write_all(&self.buf)?;
            self.written += self.buf.len() as u64;
            self.buf.clear();
            if self.enc.header() != self.written_header.as_deref() {
                self.written_header = self.enc.header().map(<[String]>::to_vec);
            }
        }
        Ok(())
    }

    /// Everything pending goes out now (a table closes its block).
    pub fn flush(&mut self) -> io::Result<()> {
        self.enc.end_block(&mut self.buf);
        self.drain()?;
        self.w.flush()
    }

    /// Close a table's block, so `pending` counts every byte the next
    /// `flush` writes (at-most-once records them before writing).
    pub fn close_block(&mut self) {
        self.enc.end_block(&mut self.buf);
    }

    /// The CSV/TSV columns of the block the written bytes end in, for a
    /// checkpoint: a resumed run carries on in that block without a second
    /// header.
    pub fn header(&self) -> Option<&[String]> {
        self.written_header.as_deref()
    }

    /// Carry on in a block whose header is already written (see `header`).
    pub fn resume_header(&mut self, columns: Vec<String>) {
        self.written_header = Some(columns.clone());
        self.enc.resume_header(columns);
    }

    /// Bytes written so far, after `flush`.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Set the count of bytes already in an appended output file.
    pub fn set_written(&mut self, n: u64) {
        self.written = n;
    }

    /// How `-O table` shows a watched pipeline (no effect on other formats).
    pub fn set_live(&mut self, live: table::Live) {
        if let Encoder::Table(t) = &mut self.enc {
            t.set_live(live);
        }
    }

    /// Hold results in memory until `flush` (see `hold`).
    pub fn set_hold(&mut self, hold: bool) {
        self.hold = hold;
    }

    /// Bytes of results not handed to the writer yet.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Held results are big enough to be written out (after a commit):
    /// larger than the usual high water, since each write out costs a
    /// checkpoint commit (fsyncs), yet bounded.
    pub fn over_high_water(&self) -> bool {
        self.buf.len() >= HOLD_HIGH_WATER
    }

    /// The file behind the writer, so `sync` can fsync it.
    pub fn set_sync_file(&mut self, f: std::fs::File) {
        self.sync = Some(f);
    }

    /// fsync the output file, if there is one (call after `flush`).
    pub fn sync(&mut self) -> io::Result<()> {
        match &self.sync {
            Some(f) => f.sync_data(),
            None => Ok(()),
        }
    }
}
