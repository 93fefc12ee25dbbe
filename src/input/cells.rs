//! Finding the cells of a CSV or TSV line where they lie, eight bytes at a
//! time. Both the decoder (main loop) and the pre-index (reader thread)
//! split lines with these, so they live apart from both.

use crate::event::Span;

/// Cell spans of a CSV line whose cells are all slices of it: unquoted
/// cells without a `\r`, and quoted cells whose quotes inside are doubled,
/// with a comma or the end of the line right after the closing quote.
/// csv_core reads such a line into the same cells. `None` for any other
/// line, else whether the line is ASCII (so that it needs no UTF-8 check).
///
/// One pass, eight bytes at a time: a word is searched for the bytes that
/// matter where the scan is (`,` and `\r` outside quotes, `"` inside), and
/// all words are or-ed together for the ASCII check.
pub fn split_csv_in_place(line: &[u8], spans: &mut Vec<Span>) -> Option<bool> {
    spans.clear();
    let len = line.len();
    let mut seen = 0u64;
    // The current cell starts at `start`; `quoted` if it starts with `"`
    // (its text then starts after it). The scan goes on at `pos`.
    let mut start = 0;
    let mut quoted = line.first() == Some(&b'"');
    let mut doubled = false;
    let mut pos = usize::from(quoted);
    'words: while pos < len {
        let w = word_at(line, pos);
        seen |= w;
        if quoted {
            // The lowest byte `maybe_equal` marks is always a `"`.
            let m = maybe_equal(w, b'"');
            if m != 0 {
                let q = pos + (m.trailing_zeros() / 8) as usize;
                if line.get(q + 1) == Some(&b'"') {
                    doubled = true;
                    pos = q + 2;
                    continue 'words;
                }
                spans.push(Span {
                    start: start + 1,
                    end: q,
                    doubled,
                });
                match line.get(q + 1) {
                    None => return Some(seen & HIGH_BITS == 0),
                    Some(b',') => {}
                    Some(_) => return None,
                }
                start = q + 2;
                quoted = line.get(start) == Some(&b'"');
                doubled = false;
                pos = start + usize::from(quoted);
                continue 'words;
            }
        } else {
            let mut m = maybe_equal(w, b',') | maybe_equal(w, b'\r');
            while m != 0 {
                let at = pos + (m.trailing_zeros() / 8) as usize;
                m &= m - 1;
                match line.get(at) {
                    Some(b',') => {}
                    Some(b'\r') => return None,
                    _ => continue,
                }
                spans.push(span(start, at));
                start = at + 1;
                if line.get(start) == Some(&b'"') {
                    quoted = true;
                    pos = start + 1;
                    continue 'words;
                }
            }
        }
        pos += 8;
    }
    if quoted {
        // The line ended inside quotes.
        return None;
    }
    spans.push(span(start, len));
    Some(seen & HIGH_BITS == 0)
}

/// Cell spans of a TSV line without a backslash (nothing to unescape):
/// the text between tabs. `None` for a line with one, else whether the
/// line is ASCII. Eight bytes at a time, as `split_csv_in_place`.
pub fn split_tsv_in_place(line: &[u8], spans: &mut Vec<Span>) -> Option<bool> {
    spans.clear();
    let mut seen = 0u64;
    let mut start = 0;
    let mut pos = 0;
    while pos < line.len() {
        let w = word_at(line, pos);
        seen |= w;
        let mut m = maybe_equal(w, b'\t') | maybe_equal(w, b'\\');
        while m != 0 {
            let at = pos + (m.trailing_zeros() / 8) as usize;
            m &= m - 1;
            match line.get(at) {
                Some(b'\t') => {
                    spans.push(span(start, at));
                    start = at + 1;
                }
                Some(b'\\') => return None,
                _ => {}
            }
        }
        pos += 8;
    }
    spans.push(span(start, line.len()));
    Some(seen & HIGH_BITS == 0)
}

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Eight bytes of `line` from `pos` (little-endian), zeros past its end.
fn word_at(line: &[u8], pos: usize) -> u64 {
    if let Some(&b) = line.get(pos..).and_then(|rest| rest.first_chunk::<8>()) {
        return u64::from_le_bytes(b);
    }
    // Near the end: the line's last eight bytes, shifted down.
    if let Some(&b) = line.last_chunk::<8>() {
        let past = pos + 8 - line.len();
        return u64::from_le_bytes(b) >> (8 * past);
    }
    let mut bytes = [0u8; 8];
    let rest = line.get(pos..).unwrap_or_default();
    bytes[..rest.len()].copy_from_slice(rest);
    u64::from_le_bytes(bytes)
}

/// The high bit of each byte of `w` that equals `b`, and maybe of some
/// bytes above one that does (a borrow runs on through a byte that is
/// `b ^ 1`): every marked byte but the lowest must be checked.
fn maybe_equal(w: u64, b: u8) -> u64 {
    let x = w ^ (LOW_BITS * u64::from(b));
    x.wrapping_sub(LOW_BITS) & !x & HIGH_BITS
}

pub(super) fn span(start: usize, end: usize) -> Span {
    Span {
        start,
        end,
        doubled: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maybe_equal_marks_every_equal_byte_and_the_lowest_mark_is_one() {
        for bytes in [
            *b",-,,--,x",
            *b"--------",
            *b",,,,,,,,",
            *b"\xff,\x80-,\0\x01,",
        ] {
            let w = u64::from_le_bytes(bytes);
            let m = maybe_equal(w, b',');
            for (i, &b) in bytes.iter().enumerate() {
                if b == b',' {
                    assert_ne!(m & (0x80 << (8 * i)), 0, "{bytes:?} at {i}");
                }
            }
            if m != 0 {
                assert_eq!(bytes[(m.trailing_zeros() / 8) as usize], b',');
            }
        }
    }

    #[test]
    fn words_end_with_zeros_past_the_line() {
        let line = b"0123456789";
        assert_eq!(word_at(line, 0), u64::from_le_bytes(*b"01234567"));
        assert_eq!(word_at(line, 2), u64::from_le_bytes(*b"23456789"));
        assert_eq!(word_at(line, 5), u64::from_le_bytes(*b"56789\0\0\0"));
        assert_eq!(word_at(line, 9), u64::from_le_bytes(*b"9\0\0\0\0\0\0\0"));
        assert_eq!(word_at(b"abc", 1), u64::from_le_bytes(*b"bc\0\0\0\0\0\0"));
    }

    #[test]
    fn easy_csv_lines_are_split_in_place() {
        let mut spans = Vec::new();
        for line in [&b"a,b,"[..], br#""a,b",,"x""y""#, br#""""#, b"a\"b,c"] {
            assert_eq!(split_csv_in_place(line, &mut spans), Some(true), "{line:?}");
        }
        for line in [&b"a\rb"[..], br#""ab"c"#, br#""ab"#, br#"""""#] {
            assert_eq!(split_csv_in_place(line, &mut spans), None, "{line:?}");
        }
    }
}
