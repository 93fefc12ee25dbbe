//! What a file is, apart from its name: device and inode (they survive a
//! rename), and a fingerprint of its first bytes (an inode can be reused by a
//! new file; its first bytes tell the two apart). The follow thread, the
//! input's checkpoint position and the search for a rotated file on resume
//! all identify files here, one way.

use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// How many first bytes of a file make its fingerprint.
pub const FINGERPRINT_BYTES: usize = 256;
/// How many bytes before a checkpoint's offset are fingerprinted too.
pub const BEFORE_BYTES: usize = 64;

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

/// What identifies a file in a checkpoint: device and inode, and its first
/// bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    pub dev: u64,
    pub ino: u64,
    #[serde(flatten)]
    pub fingerprint: Fingerprint,
}

impl FileState {
    pub fn id(&self) -> FileId {
        FileId {
            dev: self.dev,
            ino: self.ino,
        }
    }
}

/// crc32 of a file's first `len` bytes (`len` ≤ 256: a file shorter than
/// that when the checkpoint was taken is fingerprinted by what it had).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub fp_len: u32,
    pub fp_crc: u32,
}

impl Fingerprint {
    pub fn of(bytes: &[u8]) -> Fingerprint {
        let bytes = &bytes[..bytes.len().min(FINGERPRINT_BYTES)];
        Fingerprint {
            fp_len: bytes.len() as u32,
            fp_crc: crc32fast::hash(bytes),
        }
    }

    /// The bytes of `f` that end at `offset` (as many as fingerprinted).
    pub fn matches_before(&self, f: &File, offset: u64) -> bool {
        let len = u64::from(self.fp_len);
        let Some(from) = offset.checked_sub(len) else {
            return false;
        };
        let mut buf = vec![0; self.fp_len as usize];
        f.read_exact_at(&mut buf, from).is_ok() && Fingerprint::of(&buf) == *self
    }

    /// Fingerprint the bytes of `f` that end at `offset`.
    pub fn before(f: &File, offset: u64) -> Option<Fingerprint> {
        let len = (BEFORE_BYTES as u64).min(offset);
        let mut buf = vec![0; len as usize];
        f.read_exact_at(&mut buf, offset - len).ok()?;
        Some(Fingerprint::of(&buf))
    }

    /// The file still starts with the fingerprinted bytes.
    pub fn matches(&self, f: &File) -> bool {
        let mut buf = vec![0; self.fp_len as usize];
        f.read_exact_at(&mut buf, 0).is_ok() && Fingerprint::of(&buf) == *self
    }
}

/// A file's first bytes, gathered as they are read (up to
/// `FINGERPRINT_BYTES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    bytes: Vec<u8>,
}

impl Head {
    pub fn of(mut bytes: Vec<u8>) -> Head {
        bytes.truncate(FINGERPRINT_BYTES);
        Head { bytes }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `data` was read at offset `at` of the file.
    pub fn saw(&mut self, at: u64, data: &[u8]) {
        let have = self.bytes.len();
        if have < FINGERPRINT_BYTES && at == have as u64 {
            let take = (FINGERPRINT_BYTES - have).min(data.len());
            self.bytes.extend_from_slice(&data[..take]);
        }
    }

    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.bytes)
    }
}

/// The identity of a file about to be read from its start: its inode and
/// the first bytes it holds now (a checkpoint taken before any of it was
/// read must still name it, so it is found again once rotated).
pub fn state_of(seg: &Segment) -> FileState {
    let mut head = vec![0; FINGERPRINT_BYTES];
    let n = read_prefix(&seg.file, &mut head);
    FileState {
        dev: seg.id.dev,
        ino: seg.id.ino,
        fingerprint: Fingerprint::of(&head[..n]),
    }
}

/// Read as much of `buf` as the file holds from its start.
fn read_prefix(file: &File, buf: &mut [u8]) -> usize {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], done as u64) {
            Ok(0) | Err(_) => break,
            Ok(n) => done += n,
        }
    }
    done
}

/// The file starts with a gzip or zstd magic number (then its offsets
/// count decompressed bytes, see compressed.rs). Read here rather than
/// imported, as this module imports no other input module; a test in
/// compressed.rs checks that the two agree.
pub(super) fn compressed(f: &File) -> bool {
    let mut magic = [0; 4];
    let n = read_prefix(f, &mut magic);
    let m = &magic[..n];
    m.starts_with(&[0x1f, 0x8b])
        || m == [0x28, 0xb5, 0x2f, 0xfd]
        // A zstd skippable frame (pzstd's files start with one).
        || (n == 4 && m[0] & 0xf0 == 0x50 && m[1..] == [0x2a, 0x4d, 0x18])
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

/// Where to carry on reading one input, and what to tell the user about it.
pub struct Located {
    /// Files to read in order (the rest of a rotated file, then the new one).
    pub segments: Vec<Segment>,
    pub notice: Option<String>,
}

/// Find the file `was` again, to read it on from `offset`. `current` is what
/// is at the path now (`None`: nothing yet, when following). With `search`, a
/// file that is no longer at the path is looked for beside it (rotated by
/// rename), by inode and fingerprint.
pub fn locate(
    name: &str,
    path: &Path,
    current: Option<Segment>,
    was: Option<FileState>,
    offset: u64,
    before: Option<Fingerprint>,
    search: bool,
) -> io::Result<Located> {
    let mut notice = None;
    let Some(was) = was else {
        return Ok(Located {
            segments: current.into_iter().collect(),
            notice,
        });
    };
    if let Some(mut cur) = current {
        if cur.id == was.id() {
            // A compressed file's offset counts decompressed bytes: its
            // length says nothing of it (and it does not grow or shrink).
            let len = match compressed(&cur.file) {
                true => u64::MAX,
                false => cur.file.metadata()?.len(),
            };
            if len < offset {
                if let Some((mut copy, copy_name, copy_len)) = find_copy(path, &was, offset, before)
                {
                    // copytruncate: the copy holds what was not read yet.
                    notice = Some(format!(
                        "{name} was truncated while streamctl was stopped (copytruncate); its \
                         {} bytes past where the checkpoint left it were read from its copy {} \
                         first, then {name} from its start",
                        copy_len - offset,
                        copy_name
                    ));
                    copy.file.seek(SeekFrom::Start(offset))?;
                    copy.start = offset;
                    return Ok(Located {
                        segments: vec![copy, cur],
                        notice,
                    });
                }
                notice = Some(format!(
                    "{name} is shorter ({len} bytes) than where the checkpoint left it ({offset} bytes): \
                     it was truncated (copytruncate?) while streamctl was stopped, and no copy of \
                     it is beside it. Reading it from its start; whatever it held past byte \
                     {offset} when it was truncated cannot be recovered"
                ));
            } else if !was.fingerprint.matches(&cur.file) {
                notice = Some(format!(
                    "{name} is a new file (its first bytes differ from the checkpoint's); \
                     reading it from its start"
                ));
            } else if before.is_some_and(|b| !b.matches_before(&cur.file, offset)) {
                notice = Some(format!(
                    "{name} changed while streamctl was stopped: it starts as before, but the \
                     bytes before byte {offset}, where the checkpoint left it, differ (truncated \
                     and written again, or replaced by a file with the same start). Reading it \
                     from its start"
                ));
            } else {
                cur.file.seek(SeekFrom::Start(offset))?;
                cur.start = offset;
            }
            return Ok(Located {
                segments: vec![cur],
                notice,
            });
        }
        if let Some(old) = search.then(|| find_rotated(path, &was)).flatten() {
            let between = rotated_since(path, &old, Some(cur.id));
            return Ok(Located {
                segments: rest_of(old.0, offset)?
                    .into_iter()
                    .chain(between)
                    .chain([cur])
                    .collect(),
                notice,
            });
        }
        notice = Some(format!(
            "{name} is not the file the checkpoint was reading (it was replaced, and the old \
             file is not beside it any more); reading the new file from its start. The old \
             file's lines after byte {offset} were not read"
        ));
        return Ok(Located {
            segments: vec![cur],
            notice,
        });
    }
    // Nothing at the path (only when following): the old file may be beside it.
    let segments = match search.then(|| find_rotated(path, &was)).flatten() {
        Some(old) => {
            let between = rotated_since(path, &old, None);
            rest_of(old.0, offset)?.into_iter().chain(between).collect()
        }
        None => Vec::new(),
    };
    Ok(Located { segments, notice })
}

/// The old file positioned at the saved offset.
fn rest_of(mut old: Segment, offset: u64) -> io::Result<Option<Segment>> {
    let len = old.file.metadata()?.len();
    if len < offset && !compressed(&old.file) {
        // It shrank after the rotation: nothing sensible is left to read.
        return Ok(None);
    }
    old.file.seek(SeekFrom::Start(offset))?;
    old.start = offset;
    Ok(Some(old))
}

fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Files rotated beside `path` after `old` was (the middle ones of two or
/// more rotations while streamctl was stopped), oldest first: regular files
/// whose name starts with the input's name, modified after `old` last was,
/// other than `old` and `current`. Read whole, in that order.
fn rotated_since(
    path: &Path,
    old: &(Segment, SystemTime),
    current: Option<FileId>,
) -> Vec<Segment> {
    let Some(base) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(dir_of(path)) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == base || !name.starts_with(&base) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let id = FileId::from_meta(&meta);
        if !meta.is_file() || id == old.0.id || Some(id) == current {
            continue;
        }
        let Ok(modified) = meta.modified() else {
            continue;
        };
        if modified <= old.1 {
            continue;
        }
        let Ok(file) = File::open(entry.path()) else {
            continue;
        };
        // A rotated file compressed by logrotate is not read here.
        if compressed(&file) {
            continue;
        }
        found.push((modified, Segment { file, id, start: 0 }));
    }
    found.sort_by_key(|(modified, _)| *modified);
    found.into_iter().map(|(_, seg)| seg).collect()
}

/// A copy of the file `was` beside `path` (copytruncate): another inode,
/// the same first bytes, at least `offset` long and, when known, the same
/// bytes before `offset`. The most recently modified one, with its name and
/// length.
fn find_copy(
    path: &Path,
    was: &FileState,
    offset: u64,
    before: Option<Fingerprint>,
) -> Option<(Segment, String, u64)> {
    let mut best: Option<(SystemTime, Segment, String, u64)> = None;
    for entry in std::fs::read_dir(dir_of(path)).ok()?.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        let id = FileId::from_meta(&meta);
        if !meta.is_file() || id == was.id() || meta.len() < offset {
            continue;
        }
        let Ok(file) = File::open(entry.path()) else {
            continue;
        };
        if !was.fingerprint.matches(&file)
            || before.is_some_and(|b| !b.matches_before(&file, offset))
        {
            continue;
        }
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if best.as_ref().is_none_or(|b| modified > b.0) {
            let name = entry.path().display().to_string();
            best = Some((modified, Segment { file, id, start: 0 }, name, meta.len()));
        }
    }
    best.map(|(_, seg, name, len)| (seg, name, len))
}

/// Look beside `path` for the file `was` (same device, inode and
/// fingerprint); with its last modification time.
fn find_rotated(path: &Path, was: &FileState) -> Option<(Segment, SystemTime)> {
    for entry in std::fs::read_dir(dir_of(path)).ok()?.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() || FileId::from_meta(&meta) != was.id() {
            continue;
        }
        let Ok(file) = File::open(entry.path()) else {
            continue;
        };
        if FileId::of(&file).ok() == Some(was.id()) && was.fingerprint.matches(&file) {
            let modified = meta.modified().ok()?;
            let seg = Segment {
                file,
                id: was.id(),
                start: 0,
            };
            return Some((seg, modified));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_covers_at_most_256_bytes() {
        let long = vec![b'x'; 1000];
        assert_eq!(Fingerprint::of(&long).fp_len, 256);
        assert_eq!(Fingerprint::of(&long), Fingerprint::of(&long[..300]));
    }

    #[test]
    fn a_head_gathers_the_first_bytes_only_in_order() {
        let mut h = Head::default();
        h.saw(0, b"abc");
        h.saw(10, b"zzz");
        h.saw(3, &[b'd'; 300]);
        assert_eq!(h.bytes.len(), FINGERPRINT_BYTES);
        assert_eq!(&h.bytes[..4], b"abcd");
        assert_eq!(h.fingerprint(), Fingerprint::of(&h.bytes));
    }
}
