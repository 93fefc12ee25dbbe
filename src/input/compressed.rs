//! Compressed input: gzip and zstd, told by their first bytes whatever the
//! file is called (on stdin too), and decompressed on the reading thread as
//! the blocks are read. Everything after this point sees text.
//!
//! Offsets in a compressed input count decompressed bytes (what the line
//! splitter sees), so a checkpoint still falls on a line boundary of the
//! text. A compressed stream cannot be entered in the middle: a resumed run
//! decompresses the file from its start again and skips to the offset. The
//! file's identity (inode, fingerprint) is the compressed file's.
//!
//! Damage (a truncated or corrupt stream) is told apart from a failing disk:
//! the first is bad input, reported like a bad line, and the text before it
//! was already handed on; the second is an I/O error that stops the run.
//!
//! It must not decide where lines end, nor read more than the four bytes it
//! needs to tell the format before handing a byte on.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::rc::Rc;

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

use super::identity::{Fingerprint, FINGERPRINT_BYTES};

/// A compression format streamctl reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    Zstd,
}

/// What a stream's first bytes tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniff {
    Plain,
    Compressed(Codec),
    /// The bytes so far begin a magic number: more are needed.
    Unsure,
}

const GZIP: &[u8] = &[0x1f, 0x8b];
const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
/// A zstd skippable frame (pzstd starts its files with one): `0x184D2A5?`.
const ZSTD_SKIPPABLE: &[u8] = &[0x2a, 0x4d, 0x18];

impl Codec {
    pub fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
        }
    }

    /// The first bytes of a stream (`prefix`, maybe fewer than a magic
    /// number at the end of a short stream: then `Plain` is final).
    pub fn sniff(prefix: &[u8]) -> Sniff {
        let magics: [(&[u8], Codec); 2] = [(GZIP, Codec::Gzip), (ZSTD, Codec::Zstd)];
        let mut unsure = false;
        for (magic, codec) in magics {
            let n = prefix.len().min(magic.len());
            if prefix[..n] == magic[..n] {
                if n == magic.len() {
                    return Sniff::Compressed(codec);
                }
                unsure = true;
            }
        }
        if let Some(&first) = prefix.first() {
            if first & 0xf0 == 0x50 {
                let rest = &prefix[1..];
                let n = rest.len().min(ZSTD_SKIPPABLE.len());
                if rest[..n] == ZSTD_SKIPPABLE[..n] {
                    if n == ZSTD_SKIPPABLE.len() {
                        return Sniff::Compressed(Codec::Zstd);
                    }
                    unsure = true;
                }
            }
        } else {
            unsure = true;
        }
        if unsure {
            Sniff::Unsure
        } else {
            Sniff::Plain
        }
    }

    /// A regular file's format, from its first bytes (read without moving
    /// its position).
    pub fn of_file(file: &File) -> Option<Codec> {
        Codec::of_file_at(file, 0)
    }

    /// The same for a file read from byte `at`.
    fn of_file_at(file: &File, at: u64) -> Option<Codec> {
        let mut magic = [0; 4];
        let mut n = 0;
        while n < magic.len() {
            match file.read_at(&mut magic[n..], at + n as u64) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
        match Codec::sniff(&magic[..n]) {
            Sniff::Compressed(codec) => Some(codec),
            Sniff::Plain | Sniff::Unsure => None,
        }
    }
}

/// A compressed file as the reader found it: what the checkpoint names it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compressed {
    pub codec: Codec,
    /// The fingerprint of the compressed file's first bytes (the text's
    /// first bytes would not find the file again).
    pub fingerprint: Fingerprint,
}

/// The text of one file of an input, from offset `start` of the text.
pub struct Text {
    from: From,
    compressed: Option<Compressed>,
    /// Reading the file itself failed (not the decompression).
    raw_failed: Rc<Cell<bool>>,
    /// Decompressed bytes handed on so far, from the start of the text.
    at: u64,
}

/// Where the text comes from.
enum From {
    /// A plain regular file, read as it is (the common case: nothing in between).
    File(File),
    /// A plain pipe, its first bytes read already to tell what it is.
    Pipe(io::Chain<Cursor<Vec<u8>>, File>),
    /// A decompressor.
    Decoded(Box<dyn Read>),
}

impl Text {
    /// Open the text of `file`, which is at offset `start` (a resumed
    /// input: a compressed file is decompressed again from its start and
    /// `start` bytes of text are skipped).
    pub fn open(mut file: File, start: u64) -> io::Result<Text> {
        let raw_failed = Rc::new(Cell::new(false));
        if start > 0 {
            // Only a regular file is resumed past its start.
            let Some(codec) = Codec::of_file(&file) else {
                return Ok(Text::plain(From::File(file), raw_failed, start));
            };
            file.seek(SeekFrom::Start(0))?;
            let mut text = Text::decoded(codec, file, raw_failed);
            text.skip(start)?;
            return Ok(text);
        }
        if file.metadata().is_ok_and(|m| m.is_file()) {
            // Told without reading: where it is read from (stdin may have
            // been read from already).
            let at = file.stream_position()?;
            return Ok(match Codec::of_file_at(&file, at) {
                None => Text::plain(From::File(file), raw_failed, 0),
                Some(codec) => Text::decoded(codec, file, raw_failed),
            });
        }
        // A pipe is told from the stream itself: read until the first
        // bytes can only be one thing (a short line that is not the start
        // of a magic number is handed on at once).
        let mut prefix = Vec::with_capacity(8);
        let mut byte = [0; 4];
        let codec = loop {
            match Codec::sniff(&prefix) {
                Sniff::Plain => break None,
                Sniff::Compressed(codec) => break Some(codec),
                Sniff::Unsure => {}
            }
            let want = 4 - prefix.len().min(4);
            match file.read(&mut byte[..want.max(1)]) {
                Ok(0) => break None,
                Ok(n) => prefix.extend_from_slice(&byte[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        let fingerprint = Fingerprint::of(&prefix);
        let stream = Cursor::new(prefix).chain(file);
        Ok(match codec {
            None => Text::plain(From::Pipe(stream), raw_failed, 0),
            Some(codec) => Text::decoding(codec, fingerprint, stream, raw_failed),
        })
    }

    fn plain(from: From, raw_failed: Rc<Cell<bool>>, at: u64) -> Text {
        Text {
            from,
            compressed: None,
            raw_failed,
            at,
        }
    }

    /// A compressed regular file, read from where it is.
    fn decoded(codec: Codec, file: File, raw_failed: Rc<Cell<bool>>) -> Text {
        let fingerprint = raw_fingerprint(&file);
        Text::decoding(codec, fingerprint, file, raw_failed)
    }

    /// The text `codec` makes of the compressed bytes `inner`.
    fn decoding<R: Read + 'static>(
        codec: Codec,
        fingerprint: Fingerprint,
        inner: R,
        raw_failed: Rc<Cell<bool>>,
    ) -> Text {
        let raw = Raw {
            inner,
            failed: raw_failed.clone(),
        };
        Text {
            from: From::Decoded(decoder(codec, raw)),
            compressed: Some(Compressed { codec, fingerprint }),
            raw_failed,
            at: 0,
        }
    }

    /// The file is compressed: how, and its fingerprint.
    pub fn compressed(&self) -> Option<Compressed> {
        self.compressed
    }

    /// An error of `read` is damage in the compressed data (bad input),
    /// not a failure to read the file: the reason to report, naming where.
    pub fn damage(&self, e: &io::Error) -> Option<String> {
        let codec = self.compressed?.codec;
        if self.raw_failed.get() {
            return None;
        }
        let (at, name) = (self.at, codec.name());
        let tool = match codec {
            Codec::Gzip => "gzip -t",
            Codec::Zstd => "zstd -t",
        };
        Some(match e.kind() {
            io::ErrorKind::UnexpectedEof => format!(
                "the {name} data ends early, after {at} bytes of text: the file is truncated \
                 (cut while copied, or still being written); check it with `{tool}`"
            ),
            _ => format!(
                "the {name} data is damaged after {at} bytes of text ({e}); check the file \
                 with `{tool}`"
            ),
        })
    }

    /// Skip the first `n` bytes of the text (resuming a compressed file).
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let skipped = io::copy(&mut self.take(n), &mut io::sink())?;
        if skipped < n {
            return Err(io::Error::other(format!(
                "it holds {skipped} bytes of text once decompressed, fewer than the {n} where \
                 the checkpoint left it (it was changed since); start over with --reset"
            )));
        }
        Ok(())
    }
}

impl Read for Text {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match &mut self.from {
            From::File(f) => f.read(buf)?,
            From::Pipe(p) => p.read(buf)?,
            From::Decoded(d) => d.read(buf)?,
        };
        self.at += n as u64;
        Ok(n)
    }
}

/// The fingerprint of a regular file's first bytes.
fn raw_fingerprint(file: &File) -> Fingerprint {
    let mut head = vec![0; FINGERPRINT_BYTES];
    let mut n = 0;
    while n < head.len() {
        match file.read_at(&mut head[n..], n as u64) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    Fingerprint::of(&head[..n])
}

/// The compressed bytes as read from the file, marking a read failure (so
/// that it is not taken for damage when the decoder passes it on).
struct Raw<R> {
    inner: R,
    failed: Rc<Cell<bool>>,
}

impl<R: Read> Read for Raw<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.failed.set(true);
                    return Err(e);
                }
                r => return r,
            }
        }
    }
}

fn decoder<R: Read + 'static>(codec: Codec, raw: R) -> Box<dyn Read> {
    match codec {
        // Multi-member: `cat a.gz b.gz` and pigz's output are one text.
        Codec::Gzip => Box::new(GzMembers::new(BufReader::new(raw))),
        Codec::Zstd => Box::new(ZstdFrames::new(raw)),
    }
}

/// Every gzip member of a stream in turn, as gzip reads them: zero bytes
/// after the last member (the padding of a tape or block copy) end the
/// text; other bytes that do not start a member are damage, said as such
/// (not as a truncated member).
struct GzMembers<R: BufRead> {
    member: Option<flate2::bufread::GzDecoder<R>>,
    /// Between members.
    between: Option<R>,
}

impl<R: BufRead> GzMembers<R> {
    fn new(raw: R) -> GzMembers<R> {
        GzMembers {
            member: None,
            between: Some(raw),
        }
    }
}

impl<R: BufRead> Read for GzMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(m) = self.member.as_mut() {
                let n = m.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                self.between = self
                    .member
                    .take()
                    .map(flate2::bufread::GzDecoder::into_inner);
            }
            let Some(raw) = self.between.as_mut() else {
                return Ok(0);
            };
            let avail = raw.fill_buf()?;
            match avail.first() {
                None => return Ok(0),
                Some(0x1f) => {
                    let raw = self.between.take().expect("checked");
                    self.member = Some(flate2::bufread::GzDecoder::new(raw));
                }
                Some(0) => {
                    let zeros = avail.iter().take_while(|&&b| b == 0).count();
                    raw.consume(zeros);
                }
                Some(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "bytes after the end of the gzip data that are not another gzip member",
                    ))
                }
            }
        }
    }
}

/// Every zstd frame of a stream in turn (ruzstd's `StreamingDecoder`
/// reads one frame), skipping skippable frames, each frame's checksum
/// checked when it has one.
struct ZstdFrames<R> {
    source: BufReader<R>,
    frame: FrameDecoder,
    in_frame: bool,
}

impl<R: Read> ZstdFrames<R> {
    fn new(raw: R) -> ZstdFrames<R> {
        ZstdFrames {
            source: BufReader::with_capacity(64 * 1024, raw),
            frame: FrameDecoder::new(),
            in_frame: false,
        }
    }

    /// Start the next frame; false at the end of the stream.
    fn next_frame(&mut self) -> io::Result<bool> {
        loop {
            if self.source.fill_buf()?.is_empty() {
                return Ok(false);
            }
            match self.frame.reset(&mut self.source) {
                Ok(()) => return Ok(true),
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let len = u64::from(length);
                    let n = io::copy(&mut (&mut self.source).take(len), &mut io::sink())?;
                    if n < len {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                }
                Err(e) => return Err(zstd_error(e)),
            }
        }
    }
}

impl<R: Read> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame {
                if !self.next_frame()? {
                    return Ok(0);
                }
                self.in_frame = true;
            }
            while self.frame.can_collect() == 0 && !self.frame.is_finished() {
                self.frame
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(zstd_error)?;
            }
            let n = self.frame.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            // The frame is done and drained.
            if let (Some(want), Some(got)) = (
                self.frame.get_checksum_from_data(),
                self.frame.get_calculated_checksum(),
            ) {
                if want != got {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "checksum mismatch",
                    ));
                }
            }
            self.in_frame = false;
        }
    }
}

/// A decoder error as an I/O error; running out of input is `UnexpectedEof`.
fn zstd_error(e: FrameDecoderError) -> io::Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::UnexpectedEof {
                return io::ErrorKind::UnexpectedEof.into();
            }
        }
        source = s.source();
    }
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(text: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text).unwrap();
        e.finish().unwrap()
    }

    fn zstd(text: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(text, ruzstd::encoding::CompressionLevel::Fastest)
    }

    fn file(bytes: &[u8]) -> (tempfile::TempDir, File) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, bytes).unwrap();
        (dir, File::open(&p).unwrap())
    }

    /// The text of `bytes` from `start`, or the damage reported.
    fn read(bytes: &[u8], start: u64) -> Result<Vec<u8>, String> {
        let (_dir, mut f) = file(bytes);
        f.seek(SeekFrom::Start(start.min(bytes.len() as u64)))
            .unwrap();
        let mut t = Text::open(f, start).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        match t.read_to_end(&mut out) {
            Ok(_) => Ok(out),
            Err(e) => Err(t.damage(&e).unwrap_or_else(|| format!("io: {e}"))),
        }
    }

    /// The same through a pipe, written `chunk` bytes at a time.
    fn read_piped(bytes: &[u8], chunk: usize) -> Result<Vec<u8>, String> {
        let (r, mut w) = io::pipe().unwrap();
        let bytes = bytes.to_vec();
        let writer = std::thread::spawn(move || {
            for c in bytes.chunks(chunk) {
                if w.write_all(c).is_err() {
                    return;
                }
            }
        });
        let f = File::from(std::os::fd::OwnedFd::from(r));
        let mut t = Text::open(f, 0).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        let got = match t.read_to_end(&mut out) {
            Ok(_) => Ok(out),
            Err(e) => Err(t.damage(&e).unwrap_or_else(|| format!("io: {e}"))),
        };
        drop(t);
        writer.join().unwrap();
        got
    }

    #[test]
    fn a_pipe_is_told_from_its_first_bytes_even_one_at_a_time() {
        let text = b"[x] one\n(two)\nPa\n".repeat(100);
        for packed in [gzip(&text), zstd(&text), text.clone()] {
            assert_eq!(read_piped(&packed, 1).unwrap(), text);
            assert_eq!(read_piped(&packed, 4096).unwrap(), text);
        }
        assert_eq!(read_piped(b"(", 1).unwrap(), b"(");
        assert_eq!(read_piped(b"", 1).unwrap(), b"");
        let err = read_piped(&gzip(&text)[..40], 3).unwrap_err();
        assert!(err.starts_with("the gzip data ends early"), "{err}");
    }

    #[test]
    fn magic_numbers_are_told_from_the_first_bytes() {
        assert_eq!(Codec::sniff(b""), Sniff::Unsure);
        assert_eq!(Codec::sniff(b"{\"a\""), Sniff::Plain);
        assert_eq!(Codec::sniff(b"\x1f"), Sniff::Unsure);
        assert_eq!(Codec::sniff(b"\x1f\x8b"), Sniff::Compressed(Codec::Gzip));
        assert_eq!(Codec::sniff(b"(\xb5/"), Sniff::Unsure);
        assert_eq!(Codec::sniff(b"(a"), Sniff::Plain);
        assert_eq!(Codec::sniff(ZSTD), Sniff::Compressed(Codec::Zstd));
        assert_eq!(
            Codec::sniff(b"\x50\x2a\x4d\x18"),
            Sniff::Compressed(Codec::Zstd)
        );
        assert_eq!(Codec::sniff(b"P"), Sniff::Unsure);
        assert_eq!(Codec::sniff(b"Pa"), Sniff::Plain);
    }

    #[test]
    fn identity_knows_a_compressed_file_as_this_module_does() {
        for bytes in [
            &b""[..],
            b"\x1f",
            b"\x1f\x8b",
            b"\x1f\x8bxx",
            b"(\xb5/",
            b"(\xb5/\xfd",
            b"\x5f\x2a\x4d\x18",
            b"\x5f\x2a\x4d",
            b"\x60\x2a\x4d\x18",
            b"{\"a\":1}",
        ] {
            let (_dir, f) = file(bytes);
            assert_eq!(
                super::super::identity::compressed(&f),
                Codec::of_file(&f).is_some(),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn gzip_zstd_and_plain_text_read_alike() {
        let text = b"a=1 b=2\nline two\n".repeat(1000);
        assert_eq!(read(&gzip(&text), 0).unwrap(), text);
        assert_eq!(read(&zstd(&text), 0).unwrap(), text);
        assert_eq!(read(&text, 0).unwrap(), text);
        assert_eq!(read(b"x", 0).unwrap(), b"x");
        assert_eq!(read(b"", 0).unwrap(), b"");
    }

    #[test]
    fn concatenated_members_and_frames_are_one_text() {
        let mut gz = gzip(b"one\n");
        gz.extend(gzip(b"two\n"));
        assert_eq!(read(&gz, 0).unwrap(), b"one\ntwo\n");
        let mut zst = zstd(b"one\n");
        // A skippable frame between the two (as pzstd writes).
        zst.extend([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
        zst.extend(zstd(b"two\n"));
        assert_eq!(read(&zst, 0).unwrap(), b"one\ntwo\n");
    }

    #[test]
    fn a_resumed_compressed_file_skips_to_its_text_offset() {
        let text = b"first\nsecond\nthird\n";
        assert_eq!(read(&gzip(text), 6).unwrap(), b"second\nthird\n");
        assert_eq!(read(&zstd(text), 13).unwrap(), b"third\n");
        // A plain file was positioned by the caller already.
        assert_eq!(read(text, 6).unwrap(), b"second\nthird\n");
        assert!(read(&gzip(text), 100)
            .unwrap_err()
            .contains("fewer than the 100"));
    }

    #[test]
    fn truncated_or_corrupt_data_is_damage_not_a_panic() {
        let text = b"0123456789 some text\n".repeat(5000);
        for packed in [gzip(&text), zstd(&text)] {
            // (Fewer than four bytes of zstd magic are not known as zstd.)
            for cut in [4, 5, 10, packed.len() / 2, packed.len() - 1] {
                let err = read(&packed[..cut], 0).unwrap_err();
                assert!(
                    err.contains("ends early") || err.contains("damaged"),
                    "{err}"
                );
            }
            let mut bad = packed.clone();
            let mid = bad.len() / 2;
            bad[mid] ^= 0xff;
            bad[mid + 1] ^= 0x55;
            // Corruption is found (by the decoder or the checksum), never a panic.
            assert!(read(&bad, 0).is_err());
        }
        let err = read(&gzip(&text)[..100], 0).unwrap_err();
        assert!(err.starts_with("the gzip data ends early, after "), "{err}");
    }

    proptest::proptest! {
        /// Any bytes after a magic number: text or an error, no panic.
        #[test]
        fn garbage_after_a_magic_number_never_panics(
            zst in proptest::bool::ANY,
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
        ) {
            let mut bytes = if zst { ZSTD.to_vec() } else { GZIP.to_vec() };
            bytes.extend(tail);
            let _ = read(&bytes, 0);
        }

        /// Real compressed data with bytes changed or cut: text or an
        /// error, no panic.
        #[test]
        fn damaged_real_data_never_panics(
            zst in proptest::bool::ANY,
            flips in proptest::collection::vec((proptest::num::usize::ANY, 1..=255u8), 1..4),
            cut in proptest::num::usize::ANY,
        ) {
            let text = b"ts=2026-03-01T12:00:05Z level=info msg=\"hello\" n=1\n".repeat(50);
            let mut bytes = if zst { zstd(&text) } else { gzip(&text) };
            for (at, x) in flips {
                let i = 4 + at % (bytes.len() - 4);
                bytes[i] ^= x;
            }
            bytes.truncate(4 + cut % (bytes.len() - 3));
            let _ = read(&bytes, 0);
        }
    }
}
