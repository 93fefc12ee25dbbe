//! `-o FILE`: open it for appending, refuse a file that is also an input,
//! and put its end where the checkpoint left it (DESIGN §6).
//!
//! A checkpoint records the output's committed length `C` and whether the run
//! `stopped` after that commit (it wrote nothing more). So on start:
//! - after a stop, every byte past `C` is another writer's: exactly-once
//!   refuses (cutting would destroy them); the other guarantees keep them;
//! - after a crash, bytes past `C` are this job's uncommitted results:
//!   exactly-once cuts them (the run makes them again); the other guarantees
//!   keep them, but cut a torn last line back (it can only be this job's);
//! - a last line without its newline that may be someone else's is never
//!   cut: the results start on a new line, and stderr says so.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::checkpoint::CkptError;
use crate::cli::Guarantee;
use crate::input::identity::FileId;

/// What the checkpoint says about the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    pub len: u64,
    pub stopped: bool,
}

/// The output file, positioned for appending.
#[derive(Debug)]
pub struct Opened {
    pub file: File,
    /// Its length once cut back (what `Output::written` starts from).
    pub len: u64,
    /// What was done to its end, for stderr.
    pub notice: Option<String>,
    /// A regular file (a device or a pipe has nothing to fsync or cut).
    pub regular: bool,
}

/// Open `path` for appending. `guarantee` is `None` without `--checkpoint`;
/// `committed` is what the checkpoint resumed from says; `inputs` are the
/// files the run reads (an output among them would read itself forever).
pub fn open(
    path: &Path,
    guarantee: Option<Guarantee>,
    committed: Option<Committed>,
    inputs: &[FileId],
) -> Result<Opened, CkptError> {
    let name = path.display();
    let fail = |e: io::Error| CkptError::Io(format!("cannot open output {name}: {e}"));
    // Read too: its last bytes tell a torn line.
    let file = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(path)
        .map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    if inputs.contains(&FileId::from_meta(&meta)) {
        return Err(CkptError::Usage(format!(
            "output {name} is also an input: the run would read its own results and grow it \
             without end. Write the results to another file"
        )));
    }
    let mut len = meta.len();
    if !meta.is_file() {
        // A device or a pipe: nothing to cut or to check.
        return Ok(Opened {
            file,
            len,
            notice: None,
            regular: false,
        });
    }
    let exactly_once = guarantee == Some(Guarantee::ExactlyOnce);
    let mut notice = None;
    match committed {
        Some(c) if exactly_once && len < c.len => {
            return Err(CkptError::Usage(format!(
                "output {name} has {len} bytes, fewer than the {} the checkpoint covers: it \
                 was truncated or replaced since, so exactly-once cannot carry on. Restore the \
                 file, or pass --reset to start over",
                c.len
            )));
        }
        Some(c) if exactly_once && len > c.len && c.stopped => {
            return Err(CkptError::Usage(format!(
                "output {name} has {} bytes after the {} this job committed when it last \
                 stopped: another program wrote them, and exactly-once would have to cut them \
                 away to carry on. Move those bytes (or the file) aside, or pass --reset to \
                 start over",
                len - c.len,
                c.len
            )));
        }
        Some(c) if exactly_once && len > c.len => {
            // A crash: what this job wrote after its last commit is made again.
            cut(&file, c.len).map_err(|e| {
                CkptError::Io(format!(
                    "cannot cut output {name} back to the checkpoint's {} bytes: {e}",
                    c.len
                ))
            })?;
            len = c.len;
        }
        _ if len == 0 || last_byte_is_newline(&file, len).map_err(fail)? => {}
        Some(c) if !c.stopped && len > c.len => {
            // A crash tore the last line this job was writing (after its last
            // commit, so no other writer's bytes are cut): drop the part.
            let keep = line_start(&file, c.len, len).map_err(fail)?;
            cut(&file, keep).map_err(|e| {
                CkptError::Io(format!("cannot cut a torn last line of output {name}: {e}"))
            })?;
            notice = Some(format!(
                "output {name} ended in a partial line of {} bytes, torn when the last run \
                 stopped; it was cut off (its result is written again whole)",
                len - keep
            ));
            len = keep;
        }
        _ => {
            // Someone else's partial line: keep it, start on a new line.
            io::Write::write_all(&mut &file, b"\n").map_err(fail)?;
            notice = Some(format!(
                "output {name} did not end with a newline (its last line is not this run's); \
                 the results start on a new line"
            ));
            len += 1;
        }
    }
    Ok(Opened {
        file,
        len,
        notice,
        regular: true,
    })
}

fn cut(file: &File, len: u64) -> io::Result<()> {
    file.set_len(len)?;
    file.sync_data()
}

fn last_byte_is_newline(file: &File, len: u64) -> io::Result<bool> {
    let mut b = [0u8];
    file.read_exact_at(&mut b, len - 1)?;
    Ok(b[0] == b'\n')
}

/// Where the last line of `[from, to)` starts: just after its last newline,
/// or `from` if it has none.
fn line_start(file: &File, from: u64, to: u64) -> io::Result<u64> {
    const CHUNK: u64 = 64 * 1024;
    let mut buf = vec![0u8; CHUNK as usize];
    let mut end = to;
    while end > from {
        let start = end.saturating_sub(CHUNK).max(from);
        let part = &mut buf[..(end - start) as usize];
        file.read_exact_at(part, start)?;
        if let Some(i) = memchr::memrchr(b'\n', part) {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out");
        std::fs::write(&p, bytes).unwrap();
        (d, p)
    }

    fn after(bytes: &[u8], g: Guarantee, c: Option<Committed>) -> Result<Vec<u8>, String> {
        let (_d, p) = file_with(bytes);
        match open(&p, Some(g), c, &[]) {
            Ok(o) => {
                let content = std::fs::read(&p).unwrap();
                assert_eq!(o.len, content.len() as u64);
                Ok(content)
            }
            Err(CkptError::Usage(m) | CkptError::Io(m)) => Err(m),
        }
    }

    const CRASH: Option<Committed> = Some(Committed {
        len: 4,
        stopped: false,
    });
    const STOP: Option<Committed> = Some(Committed {
        len: 4,
        stopped: true,
    });

    #[test]
    fn exactly_once_cuts_only_what_a_crashed_run_wrote() {
        let g = Guarantee::ExactlyOnce;
        assert_eq!(after(b"a\nb\nc\nd", g, CRASH).unwrap(), b"a\nb\n");
        assert_eq!(after(b"a\nb\n", g, STOP).unwrap(), b"a\nb\n");
        assert!(after(b"a\nb\nc\n", g, STOP)
            .unwrap_err()
            .contains("has 2 bytes after the 4 this job committed"));
        assert!(after(b"a\n", g, CRASH).unwrap_err().contains("fewer than"));
    }

    #[test]
    fn other_guarantees_cut_only_a_torn_line_of_their_own() {
        for g in [Guarantee::AtLeastOnce, Guarantee::AtMostOnce] {
            assert_eq!(after(b"a\nb\nc\nd", g, CRASH).unwrap(), b"a\nb\nc\n");
            assert_eq!(after(b"a\nb\ncc", g, CRASH).unwrap(), b"a\nb\n");
            assert_eq!(after(b"a\nb\nc\nd", g, STOP).unwrap(), b"a\nb\nc\nd\n");
            assert_eq!(after(b"a\nb", g, CRASH).unwrap(), b"a\nb\n");
            assert_eq!(after(b"x", g, None).unwrap(), b"x\n");
            assert_eq!(after(b"", g, None).unwrap(), b"");
        }
    }

    #[test]
    fn line_start_scans_back_across_chunks() {
        let mut bytes = b"a\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', 200_000));
        let (_d, p) = file_with(&bytes);
        let f = File::open(&p).unwrap();
        assert_eq!(line_start(&f, 0, bytes.len() as u64).unwrap(), 2);
        assert_eq!(line_start(&f, 5, bytes.len() as u64).unwrap(), 5);
    }
}
