//! Splits a byte stream into lines with memchr, without copying a line that
//! lies inside one read buffer, and with bounded memory for absurdly long
//! lines: past `max_line_bytes` the rest of the line is streamed out in
//! pieces (for the dead-letter file) and never held.

use memchr::memchr_iter;

/// What the splitter found.
pub enum Piece<'a> {
    /// A whole line without its `\n` (a trailing `\r` is removed too).
    /// `end` is the stream offset just after the line ending.
    Line { bytes: &'a [u8], end: u64 },
    /// Part of a line that is over the limit (in order; may repeat).
    LongPart(&'a [u8]),
    /// The over-long line ended at stream offset `end`; `len` is its length.
    LongEnd { end: u64, len: u64 },
}

/// What was left of a line when the stream was cut (`LineSplitter::cut`).
#[derive(Debug, PartialEq, Eq)]
pub enum Cut {
    Nothing,
    /// The start of a line.
    Partial(Vec<u8>),
    /// The start of an over-long line, `len` bytes, already handed on in parts.
    Long {
        len: u64,
    },
}

pub struct LineSplitter {
    max: usize,
    /// The start of a line whose end is not read yet.
    pending: Vec<u8>,
    /// Inside an over-long line: bytes of it seen so far.
    long: Option<u64>,
    /// Stream offset where the next chunk begins.
    offset: u64,
}

impl LineSplitter {
    pub fn new(max_line_bytes: usize, start_offset: u64) -> LineSplitter {
        LineSplitter {
            max: max_line_bytes,
            pending: Vec::new(),
            long: None,
            offset: start_offset,
        }
    }

    /// Offset just after the last complete line handed out: where a resumed
    /// run must start reading.
    pub fn committed_offset(&self) -> u64 {
        self.offset - self.pending.len() as u64 - self.long.unwrap_or(0)
    }

    /// Stream offset where the next chunk begins.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn has_partial(&self) -> bool {
        !self.pending.is_empty() || self.long.is_some()
    }

    /// Feed the next chunk; `f` sees every piece in order and may stop early
    /// by returning `Ok(false)`. Returns `Ok(false)` when `f` did.
    pub fn feed<E>(
        &mut self,
        chunk: &[u8],
        f: impl FnMut(Piece<'_>) -> Result<bool, E>,
    ) -> Result<bool, E> {
        self.feed_at(chunk, memchr_iter(b'\n', chunk), f)
    }

    /// `feed`, where the offsets in `chunk` of its `\n`s are known already
    /// (every one, in order: the reader thread found them, see `preindex`).
    pub fn feed_at<E>(
        &mut self,
        chunk: &[u8],
        newlines: impl Iterator<Item = usize>,
        mut f: impl FnMut(Piece<'_>) -> Result<bool, E>,
    ) -> Result<bool, E> {
        let base = self.offset;
        self.offset += chunk.len() as u64;
        let mut start = 0;
        for nl in newlines {
            let end = base + nl as u64 + 1;
            let part = &chunk[start..nl];
            start = nl + 1;
            let go = if let Some(seen) = self.long.take() {
                f(Piece::LongPart(part))?
                    && f(Piece::LongEnd {
                        end,
                        len: seen + part.len() as u64,
                    })?
            } else if self.pending.is_empty() {
                if part.len() > self.max {
                    f(Piece::LongPart(part))?
                        && f(Piece::LongEnd {
                            end,
                            len: part.len() as u64,
                        })?
                } else {
                    f(Piece::Line {
                        bytes: trim_cr(part),
                        end,
                    })?
                }
            } else if self.pending.len() + part.len() > self.max {
                let pending = std::mem::take(&mut self.pending);
                let len = (pending.len() + part.len()) as u64;
                f(Piece::LongPart(&pending))?
                    && f(Piece::LongPart(part))?
                    && f(Piece::LongEnd { end, len })?
            } else {
                self.pending.extend_from_slice(part);
                let line = std::mem::take(&mut self.pending);
                let go = f(Piece::Line {
                    bytes: trim_cr(&line),
                    end,
                })?;
                // Keep the allocation for the next partial line.
                self.pending = line;
                self.pending.clear();
                go
            };
            if !go {
                // Unread rest of the chunk: account for it as not consumed.
                self.offset = end;
                return Ok(false);
            }
        }
        let rest = &chunk[start..];
        if let Some(seen) = self.long.as_mut() {
            *seen += rest.len() as u64;
            return f(Piece::LongPart(rest));
        }
        if self.pending.len() + rest.len() > self.max {
            let pending = std::mem::take(&mut self.pending);
            self.long = Some((pending.len() + rest.len()) as u64);
            return Ok(f(Piece::LongPart(&pending))? && f(Piece::LongPart(rest))?);
        }
        self.pending.extend_from_slice(rest);
        Ok(true)
    }

    /// The stream ended early (damaged compressed data): take the partial
    /// last line, which is not a line. Offsets go on past it.
    pub fn cut(&mut self) -> Cut {
        if let Some(len) = self.long.take() {
            return Cut::Long { len };
        }
        if self.pending.is_empty() {
            return Cut::Nothing;
        }
        Cut::Partial(std::mem::take(&mut self.pending))
    }

    /// End of the stream: a last line without `\n` still counts.
    pub fn finish<E>(
        &mut self,
        mut f: impl FnMut(Piece<'_>) -> Result<bool, E>,
    ) -> Result<bool, E> {
        if let Some(seen) = self.long.take() {
            return f(Piece::LongEnd {
                end: self.offset,
                len: seen,
            });
        }
        if self.pending.is_empty() {
            return Ok(true);
        }
        let line = std::mem::take(&mut self.pending);
        f(Piece::Line {
            bytes: trim_cr(&line),
            end: self.offset,
        })
    }
}

pub(super) fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]], max: usize) -> Vec<String> {
        let mut s = LineSplitter::new(max, 0);
        let mut out = Vec::new();
        let mut on = |p: Piece<'_>| -> Result<bool, ()> {
            out.push(match p {
                Piece::Line { bytes, end } => format!("L{}@{end}", String::from_utf8_lossy(bytes)),
                Piece::LongPart(b) => format!("P{}", b.len()),
                Piece::LongEnd { end, len } => format!("E{len}@{end}"),
            });
            Ok(true)
        };
        for c in chunks {
            s.feed(c, &mut on).unwrap();
        }
        s.finish(&mut on).unwrap();
        out
    }

    #[test]
    fn lines_across_chunks_crlf_and_last_line() {
        assert_eq!(
            split(&[b"ab\ncd", b"e\r\n\nf"], 100),
            vec!["Lab@3", "Lcde@8", "L@9", "Lf@10"]
        );
    }

    #[test]
    fn long_lines_stream_out_in_parts() {
        assert_eq!(split(&[b"123456\nab\n"], 4), vec!["P6", "E6@7", "Lab@10"]);
        assert_eq!(
            split(&[b"12", b"345", b"67\nok"], 4),
            vec!["P2", "P3", "P2", "E7@8", "Lok@10"]
        );
        assert_eq!(split(&[b"12345"], 4), vec!["P0", "P5", "E5@5"]);
    }

    #[test]
    fn a_cut_stream_gives_its_partial_line_and_moves_on_past_it() {
        let mut s = LineSplitter::new(4, 0);
        s.feed(b"ab\ncd", |_| Ok::<_, ()>(true)).unwrap();
        assert_eq!(s.cut(), Cut::Partial(b"cd".to_vec()));
        assert_eq!(s.committed_offset(), 5);
        assert_eq!(s.cut(), Cut::Nothing);
        s.feed(b"123456", |_| Ok::<_, ()>(true)).unwrap();
        assert_eq!(s.cut(), Cut::Long { len: 6 });
        assert_eq!(s.committed_offset(), 11);
        assert!(s.finish(|_| Ok::<_, ()>(false)).unwrap());
    }

    #[test]
    fn committed_offset_is_a_line_boundary() {
        let mut s = LineSplitter::new(100, 10);
        s.feed(b"ab\ncd", |_| Ok::<_, ()>(true)).unwrap();
        assert_eq!(s.committed_offset(), 13);
    }
}
