//! Checkpoints (DESIGN §6): the file format, the lock and the atomic commit.
//!
//! A checkpoint holds everything a restarted run needs to carry on as if it
//! never stopped: per input its path, device and inode, a fingerprint of its
//! first bytes, the byte offset of the next unread line and its line number
//! (and the CSV header, which a resumed run does not read again); every
//! stage's state and the event-time state; the output file's committed
//! length; and a hash of the pipeline and of the options that change results.
//!
//! The file is one header line, `streamctl-checkpoint v2 crc32=XXXXXXXX
//! bytes=N`, then N bytes of JSON. Version, length and checksum make torn,
//! empty and garbled files an error naming the file, never a silent fresh start.
//!
//! The JSON is written as it is made: the stages' states go from the
//! operators' own structures through a buffer into the file (`exec::state`),
//! and the header, written first with room for its numbers, gets the
//! checksum and length once the body is out. N is padded with zeros, which
//! the reader (of this and of earlier versions) reads as the same number. A
//! restore reads the file's bytes and parses each stage's state from them in
//! place. So neither holds a second copy of the state as a JSON tree (issue
//! 16: a 1.85 GB state took 12 GB to checkpoint, a 66 MB file 4.4 GB to restore).
//!
//! This module decides nothing about *when* to commit: the main loop does,
//! per delivery guarantee.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::cli::{Config, Interval};
use crate::exec::RawValue;
pub use crate::input::identity::{FileState, Fingerprint};
pub use crate::input::{input_name, InputState};

/// The format version this build writes. Version 2 (issue 19) keeps hopping
/// windows as slices, and `first`/`last`/`min`/`max` with the arrival
/// number of their value: a streamctl that reads only version 1 would lose
/// that state silently, so the number tells it to refuse.
pub const VERSION: u32 = 2;
/// The oldest format this build reads: version 1 differs only in the state
/// of hopping windows (one table a window, which a stage carries on as it
/// was written) and in accumulators without arrival numbers.
pub const OLDEST_READ: u32 = 1;
const MAGIC: &str = "streamctl-checkpoint";

/// A checkpoint or resume problem, mapped to an exit code by the caller.
#[derive(Debug)]
pub enum CkptError {
    /// Refused before anything ran (damaged file, other pipeline, lock held): exit 2.
    Usage(String),
    /// I/O failed while running (write, fsync): exit 1.
    Io(String),
}

/// What a checkpoint says besides the stages' states, which are written
/// and read by the stages themselves (`Store::commit`, [`Saved::stages`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Hash of the pipeline and the options that change results (`job_descriptor`).
    pub job: String,
    /// The pipeline text, to name it when another one is refused.
    pub pipeline: String,
    pub inputs: Vec<InputState>,
    pub event_time: serde_json::Value,
    /// Bytes of `-o` covered by this checkpoint (exactly-once truncates to it on restart).
    pub output_len: Option<u64>,
    /// The CSV/TSV columns of the block `-o` was in: a resumed run carries
    /// on in it, without a second header.
    #[serde(default)]
    pub output_header: Option<Vec<String>>,
    /// The run stopped after this commit and wrote nothing more, so bytes of
    /// `-o` past `output_len` are another writer's (`output::file`).
    #[serde(default)]
    pub stopped: bool,
    /// The input ended (or `head` stopped it) and every stage was ended:
    /// a restart with nothing new to read must not end them again.
    pub ended: bool,
}

/// The text whose hash identifies a job: the pipeline in canonical form and
/// every option that changes which results are written, or where.
pub fn job_descriptor(cfg: &Config, canonical_pipeline: &str) -> String {
    let inputs: Vec<String> = cfg
        .inputs
        .iter()
        .map(|p| input_name(p.as_deref()))
        .collect();
    let mut descriptor = format!(
        "pipeline={canonical_pipeline}\ninputs={}\ninput-format={:?}\ntime-field={:?}\n\
         time-format={}\nlateness={:?}\noutput={:?}\noutput-format={:?}\nmax-line-bytes={}\n",
        inputs.join("\u{0}"),
        cfg.input_format,
        cfg.time_field,
        cfg.time_format,
        cfg.lateness,
        cfg.output.as_deref().map(|p| input_name(Some(p))),
        cfg.output_format,
        cfg.max_line_bytes,
    );
    // Only when given, so that the jobs of earlier versions keep their hash.
    if let Some(re) = &cfg.multiline_start {
        descriptor.push_str(&format!("multiline-start={}\n", re.as_str()));
    }
    descriptor
}

/// FNV-1a, 64 bits: stable across builds and platforms (std's hasher is not).
pub fn job_hash(descriptor: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in descriptor.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Writes the stages' states (`Chain::save`) into the checkpoint body.
pub type SaveStages<'a> = &'a dyn Fn(&mut dyn Write) -> serde_json::Result<()>;

/// The header line, with the body's checksum and length. Always the same
/// length (`bytes=` has 20 digits), so it can be written before the body
/// and again after it.
fn header(crc: u32, len: u64) -> String {
    format!("{MAGIC} v{VERSION} crc32={crc:08x} bytes={len:020}\n")
}

/// Counts and checksums what goes through it.
struct Tally<W> {
    inner: W,
    crc: crc32fast::Hasher,
    len: u64,
}

impl<W: Write> Write for Tally<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Write a whole checkpoint file to `out`: the header with room for its
/// numbers, the body as it is serialised (through a buffer), then the header
/// again with the body's checksum and length.
pub fn write_to<W: Write + Seek>(out: W, ck: &Checkpoint, stages: SaveStages<'_>) -> io::Result<W> {
    let mut out = out;
    out.write_all(header(0, 0).as_bytes())?;
    let mut body = BufWriter::with_capacity(
        1 << 20,
        Tally {
            inner: out,
            crc: crc32fast::Hasher::new(),
            len: 0,
        },
    );
    // The small part first, as one object still open; the stages close it.
    let meta = serde_json::to_vec(ck).map_err(io::Error::from)?;
    body.write_all(&meta[..meta.len() - 1])?;
    body.write_all(b",\"stages\":")?;
    stages(&mut body).map_err(io::Error::from)?;
    body.write_all(b"}")?;
    let tally = body.into_inner().map_err(|e| e.into_error())?;
    let mut out = tally.inner;
    out.seek(SeekFrom::Start(0))?;
    out.write_all(header(tally.crc.finalize(), tally.len).as_bytes())?;
    Ok(out)
}

/// A whole checkpoint file in memory (tests, tools).
pub fn encode(ck: &Checkpoint, stages: SaveStages<'_>) -> Vec<u8> {
    write_to(io::Cursor::new(Vec::new()), ck, stages)
        .expect("a checkpoint serialises into memory")
        .into_inner()
}

/// A checkpoint read from its file and checked: what it says, and the
/// stages' states still as the file's JSON text, each parsed by its stage.
pub struct Saved {
    pub meta: Checkpoint,
    bytes: Vec<u8>,
    body_at: usize,
}

impl Saved {
    /// Each stage's state, in order, as a slice of the file.
    pub fn stages(&self) -> Result<Vec<&RawValue>, String> {
        #[derive(Deserialize)]
        struct Stages<'a> {
            #[serde(borrow)]
            stages: Vec<&'a RawValue>,
        }
        serde_json::from_slice::<Stages>(&self.bytes[self.body_at..])
            .map(|s| s.stages)
            .map_err(|e| format!("has content this streamctl cannot read ({e})"))
    }

    /// What is kept once the stages are restored (the file's bytes are let go).
    pub fn into_meta(self) -> Checkpoint {
        self.meta
    }
}

/// Check a checkpoint file's bytes and parse what it says (the stages'
/// states are parsed later, by the stages); the error says what is wrong.
pub fn decode(bytes: Vec<u8>) -> Result<Saved, String> {
    if bytes.is_empty() {
        return Err("is empty".into());
    }
    let nl =
        memchr::memchr(b'\n', &bytes).ok_or("has no header line (torn or not a checkpoint)")?;
    let header = std::str::from_utf8(&bytes[..nl]).map_err(|_| "has a garbled header")?;
    let body = &bytes[nl + 1..];
    let mut words = header.split(' ');
    if words.next() != Some(MAGIC) {
        return Err(
            "is not a streamctl checkpoint (its first line is not `streamctl-checkpoint …`)".into(),
        );
    }
    let version: u32 = words
        .next()
        .and_then(|w| w.strip_prefix('v'))
        .and_then(|v| v.parse().ok())
        .ok_or("has a garbled header (no version)")?;
    if !(OLDEST_READ..=VERSION).contains(&version) {
        return Err(format!(
            "has format version {version}; this streamctl reads versions {OLDEST_READ} to {VERSION}"
        ));
    }
    let crc = words
        .next()
        .and_then(|w| w.strip_prefix("crc32="))
        .and_then(|v| u32::from_str_radix(v, 16).ok())
        .ok_or("has a garbled header (no checksum)")?;
    let len: usize = words
        .next()
        .and_then(|w| w.strip_prefix("bytes="))
        .and_then(|v| v.parse().ok())
        .ok_or("has a garbled header (no length)")?;
    if body.len() < len {
        return Err(format!(
            "is truncated ({} of {len} bytes of content)",
            body.len()
        ));
    }
    if body.len() > len {
        return Err(format!(
            "has {} bytes of content where {len} were written",
            body.len()
        ));
    }
    if crc32fast::hash(body) != crc {
        return Err("is damaged (its checksum does not match its content)".into());
    }
    let meta = serde_json::from_slice(body)
        .map_err(|e| format!("has content this streamctl cannot read ({e})"))?;
    Ok(Saved {
        meta,
        bytes,
        body_at: nl + 1,
    })
}

/// The checkpoint file of a run: held locked for the whole run.
pub struct Store {
    path: PathBuf,
    /// `flock` on `F.lock`: the kernel releases it when the holder dies, so a
    /// crashed run never leaves a stale lock behind.
    _lock: File,
}

impl Store {
    /// Lock the checkpoint; a second run on it is refused.
    pub fn lock(path: &Path) -> Result<Store, CkptError> {
        let lock_path = sibling(path, ".lock");
        if std::fs::symlink_metadata(&lock_path).is_ok_and(|m| m.file_type().is_symlink()) {
            // A planted link would have its target created and locked.
            return Err(CkptError::Usage(format!(
                "checkpoint lock {} is a symbolic link; streamctl does not follow it. \
                 Remove it and run again",
                lock_path.display()
            )));
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| {
                CkptError::Usage(format!(
                    "cannot open the checkpoint lock {}: {e}",
                    lock_path.display()
                ))
            })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(CkptError::Usage(format!(
                    "checkpoint {} is in use by another streamctl run (it holds {}); \
                     stop that run first, or give this one another --checkpoint file",
                    path.display(),
                    lock_path.display()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(CkptError::Usage(format!(
                    "cannot lock {}: {e}",
                    lock_path.display()
                )))
            }
        }
        Ok(Store {
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved checkpoint; `None` if there is none yet.
    pub fn load(&self) -> Result<Option<Saved>, CkptError> {
        // A FIFO (or a device) would block the open, or never end: refuse it
        // before opening.
        if let Ok(meta) = std::fs::metadata(&self.path) {
            if !meta.is_file() {
                return Err(CkptError::Usage(format!(
                    "checkpoint {} is not a regular file (a FIFO, a device or a directory);                      give --checkpoint a path for a file of its own",
                    self.path.display()
                )));
            }
        }
        let mut bytes = Vec::new();
        match File::open(&self.path) {
            Ok(mut f) => f.read_to_end(&mut bytes).map_err(|e| {
                CkptError::Usage(format!(
                    "cannot read checkpoint {}: {e}",
                    self.path.display()
                ))
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if std::fs::symlink_metadata(&self.path).is_ok() {
                    // A dangling symbolic link: starting fresh would silently
                    // drop whatever checkpoint it was meant to reach.
                    return Err(CkptError::Usage(format!(
                        "checkpoint {} is a symbolic link to a file that does not exist; \
                         fix the link, or remove it (or pass --reset) to start over",
                        self.path.display()
                    )));
                }
                return Ok(None);
            }
            Err(e) => {
                return Err(CkptError::Usage(format!(
                    "cannot read checkpoint {}: {e}",
                    self.path.display()
                )))
            }
        };
        decode(bytes).map(Some).map_err(|why| {
            CkptError::Usage(format!(
                "checkpoint {} {why}; it was left as it is. Move it aside to keep it, \
                 or pass --reset to start over from the beginning",
                self.path.display()
            ))
        })
    }

    /// Replace the checkpoint atomically.
    ///
    /// Why this is crash-safe: the new content goes to `F.tmp` and is fsynced
    /// before the rename, so the name `F` never points at a partly written
    /// file; `rename` replaces `F` atomically (readers see the old or the new
    /// file, whole); and the fsync of the directory makes the rename itself
    /// durable, so after a power cut `F` is not the old file while the output
    /// already holds what the new one covers. A kill at any point leaves the
    /// old checkpoint or the new one, never a mix. Errors are not retried: a
    /// failed fsync may have dropped the data, so the run stops and the last
    /// good checkpoint stands.
    ///
    /// The body goes through a 1 MiB buffer straight from the stages'
    /// structures; the header is written again at the end with the body's
    /// checksum and length, before the fsync.
    pub fn commit(&self, ck: &Checkpoint, stages: SaveStages<'_>) -> Result<(), CkptError> {
        let fail = |what: &str, e: io::Error| {
            CkptError::Io(format!(
                "cannot {what} checkpoint {}: {e}; the last good checkpoint stands",
                self.path.display()
            ))
        };
        let tmp = sibling(&self.path, ".tmp");
        // Created new, never opened through a link planted at `F.tmp` (with
        // O_CREAT|O_EXCL a symbolic link fails); one left by a crash is
        // unlinked first (the link itself, never its target).
        match std::fs::remove_file(&tmp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(fail("write", e)),
            _ => {}
        }
        let f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| fail("write", e))?;
        if let Ok(meta) = std::fs::metadata(&self.path) {
            // The new checkpoint keeps the permissions the old one was given.
            f.set_permissions(meta.permissions())
                .map_err(|e| fail("write", e))?;
        }
        let f = write_to(f, ck, stages).map_err(|e| fail("write", e))?;
        f.sync_all().map_err(|e| fail("fsync", e))?;
        drop(f);
        std::fs::rename(&tmp, &self.path).map_err(|e| fail("replace", e))?;
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| fail("fsync the directory of", e))?;
        Ok(())
    }
}

/// `F` + suffix, in F's directory.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// When the next checkpoint is due (`--checkpoint-interval`).
///
/// With an interval of time, commits are also kept apart by at least
/// [`COST_SPACING`] times what the last one took, so that a large state,
/// which is written whole at each commit, costs a bounded share of the run
/// (about a fifth at most) instead of commits following each other (issue 16
/// item 12: 275 s instead of 16 s for 5M keys). An interval in events is
/// kept as given: it is the user's bound on what a restart reads again.
pub struct Schedule {
    interval: Interval,
    last: Instant,
    /// How long the last commit took.
    cost: std::time::Duration,
    events_at_last: u64,
}

/// The time between two commits is at least this many times the last one's.
pub const COST_SPACING: u32 = 4;

impl Schedule {
    pub fn new(interval: Interval) -> Schedule {
        Schedule {
            interval,
            last: Instant::now(),
            cost: std::time::Duration::ZERO,
            events_at_last: 0,
        }
    }

    pub fn due(&self, events: u64) -> bool {
        match self.interval {
            Interval::Events(n) => events - self.events_at_last >= n,
            Interval::Every(d) => self.last.elapsed() >= d.max(self.cost * COST_SPACING),
        }
    }

    /// With an events interval: how many more lines until a commit is due.
    pub fn lines_until_due(&self, events: u64) -> Option<u64> {
        match self.interval {
            Interval::Events(n) => Some((self.events_at_last + n).saturating_sub(events).max(1)),
            Interval::Every(_) => None,
        }
    }

    /// A commit that began at `began` is done.
    pub fn committed(&mut self, events: u64, began: Instant) {
        self.last = Instant::now();
        self.cost = self.last - began;
        self.events_at_last = events;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            job: "00ff".into(),
            pipeline: "where a > 1".into(),
            inputs: vec![InputState {
                path: "/tmp/x.csv".into(),
                file: Some(FileState {
                    dev: 1,
                    ino: 2,
                    fingerprint: Fingerprint::of(b"a,b\n1,2\n"),
                }),
                offset: 8,
                line: 2,
                format: Some("csv".into()),
                header: Some(vec!["a".into(), "b".into()]),
                before: None,
            }],
            event_time: serde_json::json!({"watermark": 5}),
            output_len: Some(10),
            output_header: None,
            stopped: false,
            ended: false,
        }
    }

    fn stages(w: &mut dyn Write) -> serde_json::Result<()> {
        w.write_all(br#"[{"seen":3},null]"#)
            .map_err(serde_json::Error::io)
    }

    fn err(bytes: &[u8]) -> String {
        match decode(bytes.to_vec()) {
            Ok(_) => panic!("decoded"),
            Err(e) => e,
        }
    }

    #[test]
    fn round_trips_through_its_file_format() {
        let ck = sample();
        let bytes = encode(&ck, &stages);
        let at = memchr::memchr(b'\n', &bytes).unwrap() + 1;
        let head = format!(
            "streamctl-checkpoint v{VERSION} crc32={:08x} bytes={:020}\n",
            crc32fast::hash(&bytes[at..]),
            bytes.len() - at
        );
        assert_eq!(&bytes[..at], head.as_bytes());
        let saved = decode(bytes).unwrap();
        let states: Vec<&str> = saved.stages().unwrap().iter().map(|s| s.get()).collect();
        assert_eq!(states, [r#"{"seen":3}"#, "null"]);
        assert_eq!(saved.into_meta(), ck);
    }

    /// Files of streamctl 0.1: the length not padded, the stages before
    /// the output fields.
    #[test]
    fn reads_the_files_of_earlier_versions() {
        let body = r#"{"job":"00ff","pipeline":"head 5","inputs":[],"event_time":null,"stages":[{"seen":3}],"output_len":null,"ended":false}"#;
        let file = format!(
            "streamctl-checkpoint v1 crc32={:08x} bytes={}\n{body}",
            crc32fast::hash(body.as_bytes()),
            body.len()
        );
        let saved = decode(file.into_bytes()).unwrap();
        assert_eq!(saved.stages().unwrap()[0].get(), r#"{"seen":3}"#);
        assert_eq!(saved.meta.pipeline, "head 5");
        assert!(!saved.meta.stopped);
    }

    #[test]
    fn torn_empty_and_garbled_files_are_errors() {
        let bytes = encode(&sample(), &stages);
        assert_eq!(err(b""), "is empty");
        assert!(err(&bytes[..bytes.len() - 3]).starts_with("is truncated ("));
        assert!(err(&bytes[..20]).starts_with("has no header line"));
        let mut flipped = bytes.clone();
        let last = flipped.len() - 2;
        flipped[last] ^= 1;
        assert_eq!(
            err(&flipped),
            "is damaged (its checksum does not match its content)"
        );
        assert!(err(b"hello\n{}").starts_with("is not a streamctl"));
        let v3 = String::from_utf8(bytes.clone())
            .unwrap()
            .replacen(" v2 ", " v3 ", 1);
        assert_eq!(
            err(v3.as_bytes()),
            "has format version 3; this streamctl reads versions 1 to 2"
        );
        // Version 1 (before slices) is still read.
        let v1 = String::from_utf8(bytes.clone())
            .unwrap()
            .replacen(" v2 ", " v1 ", 1);
        assert!(decode(v1.into_bytes()).is_ok());
    }

    /// The descriptor is built from `Debug` output and clap value names: a
    /// renamed enum variant or option would make every existing checkpoint
    /// "another pipeline". This pins it; change it only with a format version.
    #[test]
    fn the_job_descriptor_is_pinned() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from([
            "streamctl",
            "--lateness",
            "10s",
            "-O",
            "csv",
            "-o",
            "/out/r.csv",
            "--time-field",
            "t",
            "count by k every 1m",
            "/data/in.jsonl",
        ])
        .unwrap();
        let cfg = Config::from_cli(cli.run).unwrap();
        let d = job_descriptor(&cfg, "count by k every 1m");
        assert_eq!(d, GOLDEN_DESCRIPTOR);
        assert_eq!(job_hash(&d), job_hash(GOLDEN_DESCRIPTOR));
    }

    const GOLDEN_DESCRIPTOR: &str = "pipeline=count by k every 1m\ninputs=/data/in.jsonl\n\
        input-format=None\ntime-field=Some(\"t\")\ntime-format=auto\nlateness=10s\n\
        output=Some(\"/out/r.csv\")\noutput-format=Csv\nmax-line-bytes=16777216\n";

    /// A commit that took long keeps the next one away for a while (an
    /// interval of time only); an interval in events stays as given.
    #[test]
    fn a_costly_commit_spaces_out_the_next_one_in_time_not_in_events() {
        use std::time::Duration;
        let long_ago = Instant::now()
            .checked_sub(Duration::from_secs(10))
            .unwrap_or_else(Instant::now);
        let mut s = Schedule::new(Interval::Every(Duration::from_millis(1)));
        s.committed(0, Instant::now());
        std::thread::sleep(Duration::from_millis(5));
        assert!(s.due(1), "a cheap commit: due after the interval");
        s.committed(1, long_ago);
        std::thread::sleep(Duration::from_millis(5));
        assert!(!s.due(2), "a commit of ~10 s: not due for ~40 s");
        let mut s = Schedule::new(Interval::Events(3));
        s.committed(0, long_ago);
        assert!(!s.due(2));
        assert!(s.due(3));
    }

    #[test]
    fn job_hash_is_stable() {
        assert_eq!(job_hash(""), "cbf29ce484222325");
        assert_ne!(job_hash("a"), job_hash("b"));
    }
}
