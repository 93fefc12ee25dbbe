//! The input as one component: `open` finds every input (where a
//! checkpoint left it, when resuming), `start` sets the reading threads
//! going, and `next` hands the main loop what came: events with their
//! position, rejected lines, file changes and the end. `positions` is what a
//! checkpoint stores.
//!
//! Inside, per input: the reading thread (`reader.rs`, or `follow.rs` with
//! `--follow`) sends blocks (`protocol.rs`), some pre-indexed on that thread
//! (`preindex.rs`, `outbox.rs`); here they are split into lines (`lines.rs`)
//! and decoded (`decode.rs`). The main loop never sees a block or a file.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::Arc;
use std::time::Duration;

use clap::ValueEnum;

use super::compressed::{Codec, Compressed};
use super::decode::{Decoded, Decoder};
use super::format::Format;
use super::identity::{self, FileId, FileState, Head};
use super::lines::{Cut, LineSplitter, Piece};
use super::multiline::{Joined, Joiner};
use super::outbox::{Balance, Outbox};
use super::position::InputState;
use super::preindex::{Cursor, LineKind, Pre};
use super::protocol::{Block, Msg, Opened, Segment, Source};
use super::{follow, reader};
use crate::cli::Config;
use crate::event::{Event, Pos};

/// What the input hands the main loop, one at a time. (An event is large;
/// it is handed over by value, once, and boxing it would cost an allocation
/// per line.)
#[allow(clippy::large_enum_variant)]
pub enum Item<'a> {
    /// A decoded event; `name` names its input in messages (`name:line`).
    Event { ev: Event<'a>, name: &'a str },
    /// A line that is not an event of its format.
    Rejected {
        name: &'a str,
        line: u64,
        reason: String,
        bytes: &'a [u8],
    },
    /// Compressed input is damaged: its file ends here. `bytes` is the
    /// partial line cut by the damage (maybe empty), which is not an event.
    Damaged {
        name: &'a str,
        line: u64,
        reason: String,
        bytes: &'a [u8],
    },
    /// Part of a line over `--max-line-bytes` (for the dead-letter file; in order).
    LongPart(&'a [u8]),
    /// The over-long line ended; it is rejected with this reason.
    LongRejected {
        name: &'a str,
        line: u64,
        reason: String,
    },
}

/// What one call of `Input::next` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing came in time.
    Idle,
    /// Lines were handed over; `bytes` new bytes were read.
    Read { bytes: u64 },
    /// The handler said stop; what it was not handed is kept for the next call.
    Stopped { bytes: u64 },
    /// An input moved to another file (rotation, truncation), or to its first.
    Moved { source: usize, why: Opened },
    /// An input ended; others are still read.
    SourceEnded,
    /// Every input ended.
    End,
    /// Reading failed; the message says which input and why.
    Failed(String),
}

/// Opening an input failed.
#[derive(Debug)]
pub enum OpenError {
    /// The user named something that cannot be read: exit 2.
    Usage(String),
    /// I/O failed: exit 1.
    Io(String),
}

/// All inputs of a run.
pub struct Input {
    sources: Vec<SourceState>,
    max_line_bytes: usize,
    follow: bool,
    /// The files to read, until `start` hands them to the reading threads.
    unstarted: Vec<Source>,
    channel: Option<Channel>,
    finished: Vec<bool>,
    /// What a stopped handler was not handed yet.
    pending: Pending,
    /// With `--multiline-start`: how long a pipe or followed file may leave
    /// an event held before it is handed on (`--idle-timeout`).
    multiline_idle: Option<std::time::Duration>,
}

/// The main loop's end of the reading threads' channel.
struct Channel {
    rx: Receiver<Msg>,
    /// Send used buffers back so the reader can reuse them.
    recycle: SyncSender<Block>,
    /// Tell the reader when the main loop waits for input (see preindex.rs).
    balance: Arc<Balance>,
}

enum Pending {
    Nothing,
    /// The rest of a block from byte `done`; `line` is the index cursor's place.
    Block {
        source: usize,
        block: Block,
        base: u64,
        done: usize,
        line: usize,
    },
    /// A move to another file, after the previous file's last line.
    Open {
        source: usize,
        id: FileId,
        start: u64,
        why: Opened,
        compressed: Option<Compressed>,
    },
}

/// Find every input; when resuming, find each where `resume` left it.
pub fn open(
    cfg: &Config,
    resume: Option<&[InputState]>,
    scans_access: bool,
) -> Result<Input, OpenError> {
    let mut unstarted = Vec::new();
    let mut sources = Vec::new();
    for (i, path) in cfg.inputs.iter().enumerate() {
        let mut fifo = false;
        // More may come later (a pipe, a followed file): a held
        // multi-line event is let go after the idle timeout.
        let mut live = cfg.follow;
        let (name, format, current) = match path {
            None => {
                let seg = Segment::stdin()
                    .map_err(|e| OpenError::Io(format!("cannot read stdin: {e}")))?;
                if cfg.checkpoint.is_some() && !seg.file.metadata().is_ok_and(|m| m.is_file()) {
                    return Err(OpenError::Usage(
                        "--checkpoint needs input that can be read again after a restart, but \
                         stdin is a pipe or a terminal. Let the producer append to a file and \
                         read that with --follow FILE (e.g. `producer >> app.log &` then \
                         `streamctl --follow --checkpoint app.ckpt PIPELINE app.log`), or \
                         redirect stdin from a file"
                            .into(),
                    ));
                }
                live |= !seg.file.metadata().is_ok_and(|m| m.is_file());
                ("<stdin>".to_string(), cfg.input_format, Some(seg))
            }
            Some(p) if std::fs::metadata(p).is_ok_and(|m| m.file_type().is_fifo()) => {
                if cfg.checkpoint.is_some() {
                    return Err(not_rereadable(&p.display().to_string()));
                }
                // Opened by the reading thread: the open waits for a writer.
                let format = cfg.input_format.or_else(|| Format::from_extension(p));
                fifo = true;
                live = true;
                (p.display().to_string(), format, None)
            }
            Some(p) => {
                let current = match File::open(p) {
                    Ok(file) => {
                        let meta = file.metadata().map_err(|e| open_error(p, e))?;
                        if meta.is_dir() {
                            return Err(OpenError::Usage(format!(
                                "{} is a directory, not an input file",
                                p.display()
                            )));
                        }
                        if cfg.checkpoint.is_some() && !meta.is_file() {
                            // `/dev/stdin` on a pipe, a character device…
                            return Err(not_rereadable(&p.display().to_string()));
                        }
                        if let Some(codec) = cfg.follow.then(|| Codec::of_file(&file)).flatten() {
                            return Err(follow_compressed(p, codec));
                        }
                        live |= !meta.is_file();
                        let id = FileId::from_meta(&meta);
                        Some(Segment { file, id, start: 0 })
                    }
                    // Followed like `tail -F`: waited for until it exists.
                    Err(e) if cfg.follow && e.kind() == io::ErrorKind::NotFound => None,
                    Err(e) => return Err(open_error(p, e)),
                };
                let format = cfg.input_format.or_else(|| Format::from_extension(p));
                (p.display().to_string(), format, current)
            }
        };
        // Joined lines are text, whatever the extension says.
        let format = match cfg.multiline_start {
            Some(_) => Some(Format::Lines),
            None => format,
        };
        let saved = resume.and_then(|r| r.get(i)).cloned();
        let segments = match &saved {
            Some(at) => {
                let located = identity::locate(
                    &name,
                    path.as_deref().unwrap_or(Path::new("-")),
                    current,
                    at.file,
                    at.offset,
                    at.before,
                    path.is_some(),
                )
                .map_err(|e| OpenError::Io(format!("cannot resume reading {name}: {e}")))?;
                if let Some(n) = located.notice {
                    eprintln!("streamctl: {n}");
                }
                located.segments
            }
            None => current.into_iter().collect(),
        };
        // Before the reader opens it, the input is at the start of its first
        // file; a checkpoint taken then names that file.
        let first = match (&saved, segments.first()) {
            (None, Some(seg)) if seg.file.metadata().is_ok_and(|m| m.is_file()) => {
                Some(identity::state_of(seg))
            }
            _ => None,
        };
        unstarted.push(Source {
            path: path.clone(),
            segments,
            kind: match format {
                // Text lines the pipeline parses as an access log first
                // (with `-i auto` too: a JSON line is then decoded on the
                // main loop alone, as any line the reader did not index).
                None | Some(Format::Lines) if scans_access => LineKind::Access,
                None | Some(Format::Json) => LineKind::Json,
                Some(Format::Csv) => LineKind::Csv,
                Some(Format::Tsv) => LineKind::Tsv,
                Some(Format::Logfmt | Format::Lines) => LineKind::Opaque,
            },
            fifo,
        });
        let mut state = SourceState::new(
            name,
            input_name(path.as_deref()),
            format,
            cfg.max_line_bytes,
            saved,
        );
        state.first = first;
        state.live = live;
        state.joiner = cfg
            .multiline_start
            .clone()
            .map(|re| Joiner::new(re, cfg.max_line_bytes, 0));
        sources.push(state);
    }
    Ok(Input {
        finished: vec![false; sources.len()],
        sources,
        max_line_bytes: cfg.max_line_bytes,
        follow: cfg.follow,
        unstarted,
        channel: None,
        pending: Pending::Nothing,
        multiline_idle: cfg.multiline_start.as_ref().map(|_| cfg.idle_timeout),
    })
}

/// `--checkpoint` with an input that cannot be read again after a restart.
fn not_rereadable(name: &str) -> OpenError {
    OpenError::Usage(format!(
        "--checkpoint needs input that can be read again after a restart, but {name} is a \
         pipe, a FIFO or a device. Let the producer append to a file and read that with \
         --follow FILE (e.g. `producer >> app.log &` then `streamctl --follow --checkpoint \
         app.ckpt PIPELINE app.log`)"
    ))
}

/// `--follow` with a compressed file.
fn follow_compressed(p: &Path, codec: Codec) -> OpenError {
    OpenError::Usage(format!(
        "--follow cannot follow {}: it is {}-compressed, and a compressed file does not grow \
         line by line. Read it without --follow (it is decompressed as it is read), and follow \
         the plain log it was rotated from, e.g. `streamctl PIPELINE {} && streamctl --follow \
         PIPELINE {}`",
        p.display(),
        codec.name(),
        p.display(),
        rotated_from(p)
    ))
}

/// The plain log a rotated, compressed file was most likely made from:
/// `access.log.1.gz` → `access.log`, `app.log-20260301.zst` → `app.log`.
fn rotated_from(p: &Path) -> String {
    let s = p.display().to_string();
    let mut base = [".gz", ".zst", ".zstd"]
        .iter()
        .find_map(|ext| s.strip_suffix(ext))
        .unwrap_or(&s);
    if let Some((head, tail)) = base.rsplit_once(['.', '-']) {
        if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) {
            base = head;
        }
    }
    let file = Path::new(base).file_name();
    if base == s || file.is_none() {
        "app.log".into()
    } else {
        base.into()
    }
}

fn open_error(p: &Path, e: io::Error) -> OpenError {
    let msg = format!("cannot open input {}: {}", p.display(), e);
    if e.kind() == io::ErrorKind::NotFound {
        OpenError::Usage(format!("{msg} (check the path; use - for stdin)"))
    } else {
        OpenError::Io(msg)
    }
}

/// An input as recorded: its absolute path, or `-` for stdin.
pub fn input_name(p: Option<&Path>) -> String {
    match p {
        None => "-".into(),
        Some(p) => std::path::absolute(p)
            .unwrap_or_else(|_| p.to_path_buf())
            .display()
            .to_string(),
    }
}

impl Input {
    /// The files about to be read (before `start`), e.g. to size a progress bar.
    pub fn files(&self) -> &[Source] {
        &self.unstarted
    }

    /// Start the reading threads: every input in order to its end, or, with
    /// `--follow`, all inputs at once, forever.
    pub fn start(&mut self) {
        let sources = std::mem::take(&mut self.unstarted);
        let (tx, rx) = sync_channel::<Msg>(4);
        let (recycle, recycled) = sync_channel::<Block>(8);
        let balance = Arc::new(Balance::default());
        let kinds: Arc<[LineKind]> = sources.iter().map(|s| s.kind).collect();
        let outbox = Outbox::new(tx, recycled, balance.clone(), kinds);
        if self.follow {
            follow::spawn(sources, outbox);
        } else {
            reader::spawn(sources, outbox);
        }
        self.channel = Some(Channel {
            rx,
            recycle,
            balance,
        });
    }

    /// Where each input is: what a checkpoint stores.
    pub fn positions(&self) -> Vec<InputState> {
        self.sources.iter().map(SourceState::state).collect()
    }

    /// The names of the inputs in messages, in order.
    pub fn names(&self) -> Vec<String> {
        self.sources.iter().map(|s| s.name.clone()).collect()
    }

    /// The name of input `source` in messages.
    pub fn name(&self, source: usize) -> &str {
        &self.sources[source].name
    }

    /// Hand `on` what comes next: the rest of a stopped block, else one
    /// message of the reading threads, waiting up to `timeout` for it. With a
    /// zero timeout only what is ready is taken, and the reader is told the
    /// main loop waits for it. `on` returns `Ok(false)` to stop being handed
    /// items; the next call carries on from there.
    pub fn next<E>(
        &mut self,
        timeout: Duration,
        mut on: impl FnMut(Item<'_>) -> Result<bool, E>,
    ) -> Result<Step, E> {
        match std::mem::replace(&mut self.pending, Pending::Nothing) {
            Pending::Nothing => {}
            Pending::Block {
                source,
                block,
                base,
                done,
                line,
            } => return self.block(source, block, base, done, line, 0, &mut on),
            Pending::Open {
                source,
                id,
                start,
                why,
                compressed,
            } => return Ok(self.moved(source, id, start, why, compressed)),
        }
        if self.finished.iter().all(|f| *f) {
            return Ok(Step::End);
        }
        if let Some(step) = self.let_go_stale(&mut on)? {
            return Ok(step);
        }
        let Some(ch) = &self.channel else {
            return Ok(Step::End);
        };
        let msg = if timeout.is_zero() {
            match ch.rx.try_recv() {
                Ok(m) => m,
                Err(TryRecvError::Empty) => {
                    ch.balance.starved();
                    return Ok(Step::Idle);
                }
                Err(TryRecvError::Disconnected) => return Ok(Step::End),
            }
        } else {
            match ch.rx.recv_timeout(timeout) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => return Ok(Step::Idle),
                Err(RecvTimeoutError::Disconnected) => return Ok(Step::End),
            }
        };
        match msg {
            Msg::Open {
                source,
                id,
                start,
                why,
                compressed,
            } => {
                if self.sources[source].file.is_some() {
                    // The previous file is finished: its last line counts
                    // even without a newline.
                    self.pending = Pending::Open {
                        source,
                        id,
                        start,
                        why,
                        compressed,
                    };
                    if !self.finish_file(source, &mut on)? {
                        return Ok(Step::Stopped { bytes: 0 });
                    }
                    self.pending = Pending::Nothing;
                }
                Ok(self.moved(source, id, start, why, compressed))
            }
            Msg::Data { source, block } => {
                let bytes = block.data.len() as u64;
                let base = self.sources[source].splitter.offset();
                self.block(source, block, base, 0, 0, bytes, &mut on)
            }
            Msg::End { source } => {
                self.finished[source] = true;
                let go = self.finish_file(source, &mut on)?;
                Ok(if !go {
                    Step::Stopped { bytes: 0 }
                } else if self.finished.iter().all(|f| *f) {
                    Step::End
                } else {
                    Step::SourceEnded
                })
            }
            Msg::Damaged { source, reason } => self.damaged(source, reason, &mut on),
            Msg::Failed { source, error } => Ok(Step::Failed(format!(
                "cannot read {}: {error}",
                self.sources[source].name
            ))),
        }
    }

    /// A multi-line event that a pipe or followed file held for the idle
    /// timeout with no line after it is whole: hand it on.
    fn let_go_stale<E>(
        &mut self,
        on: &mut impl FnMut(Item<'_>) -> Result<bool, E>,
    ) -> Result<Option<Step>, E> {
        let Some(idle) = self.multiline_idle else {
            return Ok(None);
        };
        for (source, src) in self.sources.iter_mut().enumerate() {
            // A line still being written (no `\n` yet) may be part of the
            // event: it holds the event until it ends.
            let writing = src.splitter.has_partial();
            let Some(joiner) = src
                .joiner
                .as_mut()
                .filter(|j| src.live && !writing && j.stale(idle))
            else {
                continue;
            };
            let go = joiner.finish(&mut |joined| {
                hand_joined(&src.name, &mut src.decoder, source, joined, on)
            })?;
            return Ok(Some(match go {
                true => Step::Read { bytes: 0 },
                false => Step::Stopped { bytes: 0 },
            }));
        }
        Ok(None)
    }

    /// The compressed data of input `source` is damaged past what was read:
    /// the event held for --multiline-start is whole, the partial line is
    /// rejected with the reason, and that file is done (the reader moves on).
    fn damaged<E>(
        &mut self,
        source: usize,
        reason: String,
        on: &mut impl FnMut(Item<'_>) -> Result<bool, E>,
    ) -> Result<Step, E> {
        let src = &mut self.sources[source];
        let mut go = true;
        if let Some(joiner) = src.joiner.as_mut() {
            go = joiner.finish(&mut |joined| {
                hand_joined(&src.name, &mut src.decoder, source, joined, on)
            })?;
        }
        src.line_no += 1;
        let (name, line) = (src.name.as_str(), src.line_no);
        let reason = format!(
            "{reason}. The lines before it were read; this partial line and the rest of the \
             file were not"
        );
        let handed = match src.splitter.cut() {
            Cut::Long { .. } => on(Item::LongRejected { name, line, reason })?,
            Cut::Partial(bytes) => on(Item::Damaged {
                name,
                line,
                reason,
                bytes: &bytes,
            })?,
            Cut::Nothing => on(Item::Damaged {
                name,
                line,
                reason,
                bytes: &[],
            })?,
        };
        Ok(match go && handed {
            true => Step::Read { bytes: 0 },
            false => Step::Stopped { bytes: 0 },
        })
    }

    /// Input `source` now reads file `id` from `start`.
    fn moved(
        &mut self,
        source: usize,
        id: FileId,
        start: u64,
        why: Opened,
        compressed: Option<Compressed>,
    ) -> Step {
        if why == Opened::Truncated {
            crate::progress::eprintln(&format!(
                "streamctl: {} was truncated; reading it again from its start \
                 (lines written between a copy and the truncation may be lost)",
                self.sources[source].name
            ));
        }
        self.sources[source].open_file(id, start, self.max_line_bytes, compressed);
        Step::Moved { source, why }
    }

    /// Split and decode `block[done..]` (its first byte is at stream offset
    /// `base`), handing `on` each line.
    #[allow(clippy::too_many_arguments)]
    fn block<E>(
        &mut self,
        source: usize,
        block: Block,
        base: u64,
        done: usize,
        line: usize,
        bytes: u64,
        on: &mut impl FnMut(Item<'_>) -> Result<bool, E>,
    ) -> Result<Step, E> {
        let src = &mut self.sources[source];
        let rest = &block.data[done..];
        src.head.saw(src.splitter.offset(), rest);
        let mut pre = block.index.cursor_at(base, line);
        let mut each = |piece: Piece<'_>| {
            src_piece(
                &src.name,
                &mut src.decoder,
                &mut src.line_no,
                &mut src.at_start,
                src.joiner.as_mut(),
                source,
                piece,
                &mut pre,
                on,
            )
        };
        // An indexed block's line ends are known: no second search for them.
        let go = match block.index.newlines(done) {
            Some(newlines) => src.splitter.feed_at(rest, newlines, &mut each)?,
            None => src.splitter.feed(rest, &mut each)?,
        };
        if go {
            if let Some(ch) = &self.channel {
                let _ = ch.recycle.try_send(block);
            }
            return Ok(Step::Read { bytes });
        }
        let done = (src.splitter.offset() - base) as usize;
        let line = pre.place();
        if done < block.data.len() {
            self.pending = Pending::Block {
                source,
                block,
                base,
                done,
                line,
            };
        }
        Ok(Step::Stopped { bytes })
    }

    /// The file of input `source` is finished: a last line without `\n` counts.
    fn finish_file<E>(
        &mut self,
        source: usize,
        on: &mut impl FnMut(Item<'_>) -> Result<bool, E>,
    ) -> Result<bool, E> {
        let src = &mut self.sources[source];
        let mut none = Cursor::none();
        let go = src.splitter.finish(|piece| {
            src_piece(
                &src.name,
                &mut src.decoder,
                &mut src.line_no,
                &mut src.at_start,
                src.joiner.as_mut(),
                source,
                piece,
                &mut none,
                on,
            )
        })?;
        let Some(joiner) = src.joiner.as_mut() else {
            return Ok(go);
        };
        // The held event is whole (handed on even if the handler said
        // stop: nothing of this file is read again).
        let last = joiner
            .finish(&mut |joined| hand_joined(&src.name, &mut src.decoder, source, joined, on))?;
        Ok(go && last)
    }
}

/// Decode one piece from the splitter and hand it on.
#[allow(clippy::too_many_arguments)]
fn src_piece<E>(
    name: &str,
    dec: &mut Decoder,
    line_no: &mut u64,
    at_start: &mut bool,
    joiner: Option<&mut Joiner>,
    source: usize,
    piece: Piece<'_>,
    pre: &mut Cursor<'_>,
    on: &mut impl FnMut(Item<'_>) -> Result<bool, E>,
) -> Result<bool, E> {
    if let Some(joiner) = joiner {
        return join_piece(name, dec, line_no, at_start, joiner, source, piece, on);
    }
    match piece {
        Piece::Line { bytes, end } => {
            *line_no += 1;
            let pos = Pos {
                source: source as u32,
                line: *line_no,
            };
            let mut pre = pre.line_ending_at(end);
            let mut bytes = bytes;
            if std::mem::take(at_start) {
                // A UTF-8 byte order mark (Windows editors, Excel CSV) is not
                // part of the first line's text (the pre-index saw it, so
                // its spans do not fit the line without it).
                if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
                    bytes = rest;
                    pre = Pre::Unknown;
                }
            }
            match dec.decode_indexed(bytes, pos, pre) {
                Decoded::Event(ev) => on(Item::Event { ev, name }),
                Decoded::Nothing => Ok(true),
                Decoded::Reject(reason) => on(Item::Rejected {
                    name,
                    line: *line_no,
                    reason,
                    bytes,
                }),
            }
        }
        Piece::LongPart(bytes) => {
            *at_start = false;
            on(Item::LongPart(bytes))
        }
        Piece::LongEnd { len, .. } => {
            *line_no += 1;
            on(Item::LongRejected {
                name,
                line: *line_no,
                reason: format!(
                    "line of {len} bytes is longer than --max-line-bytes; it was skipped (raise the limit with --max-line-bytes)"
                ),
            })
        }
    }
}

/// With `--multiline-start`: one piece from the splitter through the joiner.
#[allow(clippy::too_many_arguments)]
fn join_piece<E>(
    name: &str,
    dec: &mut Decoder,
    line_no: &mut u64,
    at_start: &mut bool,
    joiner: &mut Joiner,
    source: usize,
    piece: Piece<'_>,
    on: &mut impl FnMut(Item<'_>) -> Result<bool, E>,
) -> Result<bool, E> {
    let mut hand = |joined: Joined<'_>| hand_joined(name, dec, source, joined, on);
    match piece {
        Piece::Line { bytes, end } => {
            *line_no += 1;
            let mut bytes = bytes;
            if std::mem::take(at_start) {
                bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            }
            joiner.line(bytes, *line_no, end, &mut hand)
        }
        Piece::LongPart(bytes) => {
            *at_start = false;
            joiner.long_part(bytes, *line_no + 1, &mut hand)
        }
        Piece::LongEnd { end, .. } => {
            *line_no += 1;
            joiner.long_end(end, &mut hand)
        }
    }
}

/// Decode a joined event (or pass on an over-long one) and hand it on.
fn hand_joined<E>(
    name: &str,
    dec: &mut Decoder,
    source: usize,
    joined: Joined<'_>,
    on: &mut impl FnMut(Item<'_>) -> Result<bool, E>,
) -> Result<bool, E> {
    match joined {
        Joined::Event { bytes, line } => {
            let pos = Pos {
                source: source as u32,
                line,
            };
            match dec.decode_indexed(bytes, pos, Pre::Unknown) {
                Decoded::Event(ev) => on(Item::Event { ev, name }),
                Decoded::Nothing => Ok(true),
                Decoded::Reject(reason) => on(Item::Rejected {
                    name,
                    line,
                    reason,
                    bytes,
                }),
            }
        }
        Joined::LongPart(bytes) => on(Item::LongPart(bytes)),
        Joined::LongEnd { line, len } => on(Item::LongRejected {
            name,
            line,
            reason: format!(
                "event of {len} bytes (lines joined by --multiline-start) is longer than \
                 --max-line-bytes; it was skipped (raise the limit with --max-line-bytes)"
            ),
        }),
    }
}

/// One input's reading state.
struct SourceState {
    name: String,
    /// How checkpoints name it: absolute path, or `-`.
    ck_path: String,
    /// The format given or told by the extension (`None`: the first line decides).
    format: Option<Format>,
    decoder: Decoder,
    splitter: LineSplitter,
    line_no: u64,
    /// The file being read, once the reader opened one.
    file: Option<FileId>,
    /// The next line is the first of its file (a byte order mark may start it).
    at_start: bool,
    /// The file being read, opened again by its path (when that is still
    /// it), to fingerprint the bytes before a checkpoint's offset.
    handle: Option<File>,
    /// Its first bytes, as they pass by.
    head: Head,
    /// The fingerprint a checkpoint carried (reading resumed past those bytes).
    known: Option<identity::Fingerprint>,
    /// The first file to read, before the reader opened it (a fresh run).
    first: Option<FileState>,
    /// Where a checkpoint left this input: applied when the reader opens
    /// that file at that offset.
    resume: Option<InputState>,
    /// `--multiline-start`: joins lines into events.
    joiner: Option<Joiner>,
    /// A pipe, a FIFO or a followed file: more may come after a pause.
    live: bool,
}

impl SourceState {
    fn new(
        name: String,
        ck_path: String,
        format: Option<Format>,
        max_line_bytes: usize,
        resume: Option<InputState>,
    ) -> SourceState {
        SourceState {
            name,
            ck_path,
            format,
            decoder: Decoder::new(format),
            splitter: LineSplitter::new(max_line_bytes, 0),
            line_no: 0,
            file: None,
            at_start: true,
            handle: None,
            head: Head::default(),
            known: None,
            first: None,
            resume,
            joiner: None,
            live: false,
        }
    }

    /// The reader moved this input to file `id`, reading from `start`: the
    /// splitter and decoder start over (a new file has its own CSV header),
    /// unless this is where a checkpoint left off.
    fn open_file(
        &mut self,
        id: FileId,
        start: u64,
        max_line_bytes: usize,
        compressed: Option<Compressed>,
    ) {
        self.file = Some(id);
        self.at_start = start == 0;
        // The bytes before an offset of decompressed text are not at that
        // offset of the file: a compressed file is known by its first bytes.
        self.handle = File::open(&self.ck_path).ok().filter(|f| {
            compressed.is_none()
                && f.metadata()
                    .is_ok_and(|m| m.is_file() && FileId::from_meta(&m) == id)
        });
        self.splitter = LineSplitter::new(max_line_bytes, start);
        self.decoder = Decoder::new(self.format);
        self.line_no = 0;
        self.head = Head::default();
        self.known = compressed.map(|c| c.fingerprint);
        if let Some(j) = self.joiner.as_mut() {
            j.reset(start);
        }
        let Some(saved) = self.resume.take() else {
            return;
        };
        // The file the checkpoint read, where it left it (or, after a
        // copytruncate, its copy: the only other file started mid-way).
        let resumed = |f: &FileState| start == saved.offset && (f.id() == id || start > 0);
        if let Some(f) = saved.file.filter(resumed) {
            self.line_no = saved.line;
            self.known = Some(f.fingerprint);
            let format = saved
                .format
                .as_deref()
                .and_then(|f| Format::from_str(f, true).ok());
            self.decoder.resume(format, saved.header);
        }
    }

    /// For a checkpoint: where the next run carries on.
    fn state(&self) -> InputState {
        if let (None, Some(saved)) = (self.file, &self.resume) {
            // Not opened yet: still where the checkpoint left it.
            return saved.clone();
        }
        if let (None, Some(first)) = (self.file, self.first) {
            // Not opened yet: at the start of the first file.
            return InputState {
                path: self.ck_path.clone(),
                file: Some(first),
                offset: 0,
                line: 0,
                format: None,
                header: None,
                before: None,
            };
        }
        let fingerprint = self.known.unwrap_or_else(|| self.head.fingerprint());
        // A held multi-line event is read again whole by the next run.
        let (offset, line) = match self.joiner.as_ref().and_then(Joiner::held_from) {
            Some((first_line, at)) => (at, first_line - 1),
            None => (self.splitter.committed_offset(), self.line_no),
        };
        InputState {
            path: self.ck_path.clone(),
            file: self.file.map(|id| FileState {
                dev: id.dev,
                ino: id.ino,
                fingerprint,
            }),
            offset,
            line,
            format: self
                .decoder
                .format()
                .and_then(|f| f.to_possible_value().map(|v| v.get_name().to_string())),
            header: self.decoder.header().map(<[String]>::to_vec),
            before: self
                .handle
                .as_ref()
                .and_then(|f| identity::Fingerprint::before(f, offset)),
        }
    }
}
