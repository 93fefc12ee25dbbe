//! `--follow`: keep reading files as they grow, like `tail -F`, and hand the
//! main loop the same messages as the plain reader (`protocol::Msg`).
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
//!
//! The state machine (`Followed::poll`) sees the file system only through
//! `Files`, so the model test below drives it with a file system in memory:
//! writes, renames and truncations between polls, no threads, no sleeps.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use super::compressed::{Codec, Sniff};
use super::identity::{FileId, Head};
use super::outbox::Outbox;
use super::protocol::{Block, Gone, Msg, Opened, Outlet, Source};
use super::reader::{read_source, BLOCK};

/// How long to sleep when no followed file had anything new.
pub const POLL: Duration = Duration::from_millis(20);
/// Blocks one file may read in a row before the others get a turn.
const TURN: usize = 16;

/// What following needs of the file system.
pub trait Files {
    type File;
    /// Open what is at `path`; `None` if nothing is there.
    fn open(&self, path: &Path) -> io::Result<Option<(Self::File, FileId)>>;
    /// The identity of what is at `path` now; `None` if nothing is there.
    fn id_at(&self, path: &Path) -> Option<FileId>;
    fn len(&self, file: &Self::File) -> io::Result<u64>;
    /// Read from byte `at` into `buf`; 0 at the end.
    fn read_at(&self, file: &Self::File, at: u64, buf: &mut [u8]) -> io::Result<usize>;
}

/// The real file system.
pub struct Disk;

impl Files for Disk {
    type File = File;

    fn open(&self, path: &Path) -> io::Result<Option<(File, FileId)>> {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::other("it is a directory, not a file"));
        }
        Ok(Some((file, FileId::from_meta(&meta))))
    }

    fn id_at(&self, path: &Path) -> Option<FileId> {
        std::fs::metadata(path).ok().map(|m| FileId::from_meta(&m))
    }

    fn len(&self, file: &File) -> io::Result<u64> {
        Ok(file.metadata()?.len())
    }

    fn read_at(&self, file: &File, at: u64, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match file.read_at(buf, at) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        }
    }
}

pub fn spawn(sources: Vec<Source>, outbox: Outbox) {
    let mut followed = Vec::new();
    for (source, s) in sources.into_iter().enumerate() {
        if s.fifo {
            // A FIFO has no offsets to come back to: it is read as a stream
            // until its last writer closes it, as stdin is.
            let mut fifo_outbox = outbox.sibling();
            thread::Builder::new()
                .name("fifo".into())
                .spawn(move || {
                    let _ = super::reader::read_fifo(source, s.path.as_deref(), &mut fifo_outbox);
                })
                .expect("spawning a FIFO reader thread");
            continue;
        }
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
            Some(path) => followed.push(Followed::new(
                source,
                path,
                s.segments
                    .into_iter()
                    .map(|seg| (seg.file, seg.id, seg.start))
                    .collect(),
            )),
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
fn follow_all(mut files: Vec<Followed<File>>, mut io: Outbox) {
    loop {
        let mut busy = false;
        for f in files.iter_mut() {
            match f.poll(&Disk, &mut io) {
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

/// One followed path.
pub struct Followed<F> {
    source: usize,
    path: PathBuf,
    /// Files to read before looking at the path (a resumed input: the rest
    /// of the rotated files first, then the file now at the path), each
    /// with its identity and where to start.
    queue: VecDeque<(F, FileId, u64)>,
    cur: Option<Current<F>>,
    opened_any: bool,
}

struct Current<F> {
    file: F,
    id: FileId,
    /// Bytes of the file read so far.
    pos: u64,
    /// The file's first bytes as read, to notice a truncation.
    head: Head,
    /// The last read found the end of the file.
    at_end: bool,
}

impl<F> Followed<F> {
    pub fn new(source: usize, path: PathBuf, queue: VecDeque<(F, FileId, u64)>) -> Followed<F> {
        Followed {
            source,
            path,
            queue,
            cur: None,
            opened_any: false,
        }
    }

    /// Read what is new; true if anything happened.
    pub fn poll<S: Files<File = F>>(&mut self, fs: &S, io: &mut impl Outlet) -> Result<bool, Gone> {
        if self.cur.is_none() && !self.open_next(fs, io)? {
            return Ok(false);
        }
        if self.read_available(fs, io)? {
            return Ok(true);
        }
        // At the end of what the file holds.
        if !self.queue.is_empty() {
            self.cur = None;
            return Ok(true);
        }
        let cur = self.cur.as_ref().expect("a file is open");
        match fs.id_at(&self.path) {
            Some(id) if id != cur.id => {
                // Rotated by rename + create. A writer may have added to the
                // old file since the last read: finish it, then move on.
                while self.read_available(fs, io)? {}
                self.cur = None;
                self.open_next(fs, io)?;
                Ok(true)
            }
            // Same file, nothing new; or the path is gone (rotated away, not
            // created again yet): keep reading the old file meanwhile.
            _ => Ok(false),
        }
    }

    /// Open the next file (a queued one, else whatever is at the path).
    fn open_next<S: Files<File = F>>(
        &mut self,
        fs: &S,
        io: &mut impl Outlet,
    ) -> Result<bool, Gone> {
        let (file, id, start) = match self.queue.pop_front() {
            Some(queued) => queued,
            None => match fs.open(&self.path) {
                Ok(Some((file, id))) => (file, id, 0),
                Ok(None) => return Ok(false),
                Err(e) => return Err(self.fail(io, e)),
            },
        };
        // A compressed file does not grow by lines (front.rs refuses one
        // given at the start; this is one that appeared at the path later).
        let mut magic = [0; 4];
        let n = fs.read_at(&file, 0, &mut magic).unwrap_or(0);
        if let Sniff::Compressed(codec) = Codec::sniff(&magic[..n]) {
            let e = io::Error::other(format!(
                "a {}-compressed file appeared at its path, and --follow reads text that grows \
                 (read compressed files without --follow)",
                codec.name()
            ));
            return Err(self.fail(io, e));
        }
        let why = if self.opened_any {
            Opened::Rotated
        } else {
            Opened::First
        };
        self.opened_any = true;
        // A file resumed past its start: its first bytes are what was read.
        let head = first_bytes(fs, &file, start);
        io.send(Msg::Open {
            source: self.source,
            id,
            start,
            why,
            compressed: None,
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
    fn read_available<S: Files<File = F>>(
        &mut self,
        fs: &S,
        io: &mut impl Outlet,
    ) -> Result<bool, Gone> {
        let mut any = false;
        for _ in 0..TURN {
            let cur = self.cur.as_mut().expect("a file is open");
            // Reading on from where the end was: the file may have been
            // truncated since, and even refilled past that point.
            let watch = cur.at_end && cur.pos > 0;
            if watch && cur.truncated(fs) {
                self.restart(io)?;
                any = true;
                continue;
            }
            let mut block = io.block();
            let n = match read_block_at(fs, &cur.file, cur.pos, &mut block) {
                Ok(n) => n,
                Err(e) => return Err(self.fail(io, e)),
            };
            if n == 0 {
                cur.at_end = true;
                break;
            }
            if watch && cur.truncated(fs) {
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
    fn restart(&mut self, io: &mut impl Outlet) -> Result<(), Gone> {
        let cur = self.cur.as_mut().expect("a file is open");
        cur.pos = 0;
        cur.head = Head::default();
        cur.at_end = false;
        io.send(Msg::Open {
            source: self.source,
            id: cur.id,
            start: 0,
            why: Opened::Truncated,
            compressed: None,
        })
    }

    /// Report a read failure; the main loop stops the run on it.
    fn fail(&self, io: &mut impl Outlet, error: io::Error) -> Gone {
        let _ = io.send(Msg::Failed {
            source: self.source,
            error,
        });
        Gone
    }
}

impl<F> Current<F> {
    /// The file is shorter than what was read, or no longer starts with the
    /// bytes read from it (copytruncate).
    fn truncated<S: Files<File = F>>(&self, fs: &S) -> bool {
        if fs.len(&self.file).is_ok_and(|len| len < self.pos) {
            return true;
        }
        let head = self.head.bytes();
        if head.is_empty() {
            return false;
        }
        let mut now = vec![0; head.len()];
        match read_exact_at(fs, &self.file, &mut now) {
            Ok(()) => now != head,
            Err(_) => true,
        }
    }
}

/// The first bytes of `file` up to `upto` (empty if they cannot be read).
fn first_bytes<S: Files>(fs: &S, file: &S::File, upto: u64) -> Head {
    let mut bytes = vec![0; super::identity::FINGERPRINT_BYTES.min(upto as usize)];
    if read_exact_at(fs, file, &mut bytes).is_err() {
        bytes.clear();
    }
    Head::of(bytes)
}

/// Fill `buf` from the file's start.
fn read_exact_at<S: Files>(fs: &S, file: &S::File, buf: &mut [u8]) -> io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        match fs.read_at(file, done as u64, &mut buf[done..])? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => done += n,
        }
    }
    Ok(())
}

/// One read of up to a block from byte `at` into `block` (resized to what was read).
fn read_block_at<S: Files>(
    fs: &S,
    file: &S::File,
    at: u64,
    block: &mut Block,
) -> io::Result<usize> {
    block.data.resize(BLOCK, 0);
    let n = fs.read_at(file, at, &mut block.data)?;
    block.data.truncate(n);
    Ok(n)
}

#[cfg(test)]
mod tests {
    //! The model test: a file system in memory, changed between polls the
    //! way writers and logrotate change files, and the bytes the follower
    //! hands over checked against what was written.

    use std::collections::HashMap;

    use super::*;

    /// Files in memory: paths name inodes; an inode keeps its bytes while
    /// an open handle (its number) refers to it, as on Unix.
    #[derive(Default)]
    struct Model {
        next_ino: u64,
        paths: HashMap<PathBuf, u64>,
        data: HashMap<u64, Vec<u8>>,
    }

    const LOG: &str = "app.log";

    impl Model {
        fn create(&mut self, path: &str) {
            self.next_ino += 1;
            self.data.insert(self.next_ino, Vec::new());
            self.paths.insert(path.into(), self.next_ino);
        }
        fn append(&mut self, path: &str, bytes: &[u8]) {
            let ino = self.paths[Path::new(path)];
            self.data.get_mut(&ino).unwrap().extend_from_slice(bytes);
        }
        fn rename(&mut self, from: &str, to: &str) {
            let ino = self.paths.remove(Path::new(from)).unwrap();
            self.paths.insert(to.into(), ino);
        }
        fn truncate(&mut self, path: &str) {
            let ino = self.paths[Path::new(path)];
            self.data.get_mut(&ino).unwrap().clear();
        }
        /// logrotate's copytruncate: copy the file aside, then empty it.
        fn copytruncate(&mut self, path: &str, to: &str) {
            let bytes = self.data[&self.paths[Path::new(path)]].clone();
            self.create(to);
            self.append(to, &bytes);
            self.truncate(path);
        }
    }

    impl Files for Model {
        type File = u64;
        fn open(&self, path: &Path) -> io::Result<Option<(u64, FileId)>> {
            Ok(self
                .paths
                .get(path)
                .map(|&ino| (ino, FileId { dev: 1, ino })))
        }
        fn id_at(&self, path: &Path) -> Option<FileId> {
            self.paths.get(path).map(|&ino| FileId { dev: 1, ino })
        }
        fn len(&self, file: &u64) -> io::Result<u64> {
            Ok(self.data[file].len() as u64)
        }
        fn read_at(&self, file: &u64, at: u64, buf: &mut [u8]) -> io::Result<usize> {
            let data = &self.data[file];
            let from = (at as usize).min(data.len());
            let n = (data.len() - from).min(buf.len());
            buf[..n].copy_from_slice(&data[from..from + n]);
            Ok(n)
        }
    }

    /// What the follower handed over.
    #[derive(Default)]
    struct Seen {
        /// Per file moved to: its inode, where reading started, why, and the bytes read.
        files: Vec<(u64, u64, Opened, Vec<u8>)>,
    }

    impl Outlet for Seen {
        fn block(&self) -> Block {
            Block::default()
        }
        fn send(&mut self, msg: Msg) -> Result<(), Gone> {
            match msg {
                Msg::Open { id, start, why, .. } => {
                    self.files.push((id.ino, start, why, Vec::new()))
                }
                Msg::Data { block, .. } => self
                    .files
                    .last_mut()
                    .expect("data after an open")
                    .3
                    .extend_from_slice(&block.data),
                Msg::End { .. } => panic!("a followed file never ends"),
                Msg::Damaged { .. } => panic!("a followed file is never compressed"),
                Msg::Failed { error, .. } => panic!("failed: {error}"),
            }
            Ok(())
        }
    }

    impl Seen {
        fn bytes(&self) -> Vec<u8> {
            self.files.iter().flat_map(|f| f.3.clone()).collect()
        }
    }

    struct Run {
        fs: Model,
        f: Followed<u64>,
        seen: Seen,
    }

    impl Run {
        fn new() -> Run {
            Run {
                fs: Model::default(),
                f: Followed::new(0, LOG.into(), VecDeque::new()),
                seen: Seen::default(),
            }
        }
        /// Poll until the follower has nothing more to do.
        fn settle(&mut self) {
            for _ in 0..1000 {
                if !self.f.poll(&self.fs, &mut self.seen).ok().unwrap() {
                    return;
                }
            }
            panic!("the follower never settles");
        }
    }

    #[test]
    fn a_missing_path_is_waited_for_then_read_from_its_start() {
        let mut r = Run::new();
        r.settle();
        assert!(r.seen.files.is_empty());
        r.fs.create(LOG);
        r.fs.append(LOG, b"a\n");
        r.settle();
        assert_eq!(r.seen.files, vec![(1, 0, Opened::First, b"a\n".to_vec())]);
    }

    #[test]
    fn a_rename_rotation_reads_the_old_file_to_its_end_then_the_new_one() {
        let mut r = Run::new();
        r.fs.create(LOG);
        r.fs.append(LOG, b"a1\n");
        r.settle();
        // The writer adds to the old file after the rename, before it reopens.
        r.fs.rename(LOG, "app.log.1");
        r.fs.append("app.log.1", b"a2\n");
        r.fs.create(LOG);
        r.fs.append(LOG, b"b1\n");
        r.settle();
        assert_eq!(
            r.seen.files,
            vec![
                (1, 0, Opened::First, b"a1\na2\n".to_vec()),
                (2, 0, Opened::Rotated, b"b1\n".to_vec()),
            ]
        );
    }

    #[test]
    fn a_path_gone_keeps_the_old_file_read_until_a_new_one_appears() {
        let mut r = Run::new();
        r.fs.create(LOG);
        r.fs.append(LOG, b"a\n");
        r.settle();
        r.fs.rename(LOG, "old");
        r.fs.append("old", b"b\n");
        r.settle();
        r.fs.create(LOG);
        r.fs.append(LOG, b"c\n");
        r.settle();
        assert_eq!(r.seen.bytes(), b"a\nb\nc\n");
        assert_eq!(r.seen.files.len(), 2);
    }

    #[test]
    fn copytruncate_is_read_again_from_the_start_even_when_refilled_past_the_old_offset() {
        let mut r = Run::new();
        r.fs.create(LOG);
        r.fs.append(LOG, b"old line one\n");
        r.settle();
        r.fs.copytruncate(LOG, "app.log.1");
        // Refilled to more than was read before the follower looks again.
        r.fs.append(LOG, b"new line one, longer\n");
        r.settle();
        assert_eq!(
            r.seen.files,
            vec![
                (1, 0, Opened::First, b"old line one\n".to_vec()),
                (1, 0, Opened::Truncated, b"new line one, longer\n".to_vec()),
            ]
        );
    }

    #[test]
    fn a_resumed_queue_is_read_before_the_path() {
        let mut fs = Model::default();
        fs.create("app.log.1");
        fs.append("app.log.1", b"done\nrest\n");
        fs.create(LOG);
        fs.append(LOG, b"new\n");
        let queue = VecDeque::from([
            (1, FileId { dev: 1, ino: 1 }, 5),
            (2, FileId { dev: 1, ino: 2 }, 0),
        ]);
        let mut r = Run {
            fs,
            f: Followed::new(0, LOG.into(), queue),
            seen: Seen::default(),
        };
        r.settle();
        assert_eq!(
            r.seen.files,
            vec![
                (1, 5, Opened::First, b"rest\n".to_vec()),
                (2, 0, Opened::Rotated, b"new\n".to_vec()),
            ]
        );
    }

    #[test]
    fn a_file_larger_than_a_block_is_handed_over_whole_and_in_order() {
        let mut r = Run::new();
        r.fs.create(LOG);
        let big: Vec<u8> = (0..BLOCK * 3 + 17).map(|i| (i % 251) as u8).collect();
        r.fs.append(LOG, &big);
        r.settle();
        assert_eq!(r.seen.bytes(), big);
    }

    /// What a writer and logrotate do between two looks of the follower.
    #[derive(Debug, Clone)]
    enum Op {
        Write(u8, usize),
        Rotate,
        CopyTruncate,
        Poll,
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            4 => (any::<u8>(), 1..300usize).prop_map(|(b, n)| Op::Write(b, n)),
            1 => Just(Op::Rotate),
            1 => Just(Op::CopyTruncate),
            3 => Just(Op::Poll),
        ]
    }

    proptest::proptest! {
        /// Whatever is written, rotated by rename or copytruncated, comes out
        /// exactly once and in order, as long as the follower looks once
        /// between two rotations (and reads all before a copytruncate: what
        /// is written between the last look and the truncation is lost, as
        /// with `tail -F`).
        #[test]
        fn every_byte_written_is_read_once_in_order(ops in proptest::collection::vec(op(), 1..60)) {
            let mut r = Run::new();
            r.fs.create(LOG);
            let mut written = Vec::new();
            let mut rotations = 0;
            let mut writes = 0;
            for op in ops {
                match op {
                    Op::Write(b, n) => {
                        // Each write is told apart from the others, so the
                        // first bytes after a copytruncate differ from before
                        // (content that repeats exactly cannot be told apart).
                        writes += 1;
                        let mut bytes = format!("w{writes}:").into_bytes();
                        bytes.extend(std::iter::repeat_n(b, n));
                        r.fs.append(LOG, &bytes);
                        written.extend(bytes);
                    }
                    Op::Rotate => {
                        r.settle();
                        rotations += 1;
                        r.fs.rename(LOG, &format!("app.log.{rotations}"));
                        r.fs.create(LOG);
                    }
                    Op::CopyTruncate => {
                        r.settle();
                        rotations += 1;
                        r.fs.copytruncate(LOG, &format!("app.log.{rotations}"));
                    }
                    Op::Poll => {
                        r.f.poll(&r.fs, &mut r.seen).ok().unwrap();
                    }
                }
            }
            r.settle();
            proptest::prop_assert_eq!(r.seen.bytes(), written);
        }
    }
}
