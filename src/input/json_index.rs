//! A one-pass validator and indexer for a JSON object line.
//!
//! Why: fully decoding every event into a map costs more than the rest of a
//! `where status >= 500` pipeline together. Instead we walk the line once,
//! check that it is well-formed JSON, and record where each top-level member's
//! key and value sit. A stage then decodes only the values it reads, and an
//! unchanged event is written back as its original bytes.
//!
//! It must not accept what serde_json would reject for a top-level object,
//! apart from the recursion limit it shares (128 levels).

use memchr::memchr2;

/// Where one top-level `"key": value` sits in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// Key bytes between the quotes (still escaped if `key_escaped`).
    pub key_start: u32,
    pub key_end: u32,
    /// The raw JSON value text.
    pub val_start: u32,
    pub val_end: u32,
    pub key_escaped: bool,
    /// The value is one serde_json writes back byte for byte (a string
    /// without escapes, a literal, a number in serde's own form), as the
    /// indexer saw while validating it; false: not known (check the bytes).
    pub plain_value: bool,
    /// The key's raw bytes differ from every earlier member's (the indexer
    /// compares them only when a cheap signature cannot tell, see
    /// `KeySeen`); false: a repeated key, or not known (`Rebuilt`).
    pub unique_key: bool,
}

impl Member {
    pub fn key<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.key_start as usize..self.key_end as usize]
    }
    pub fn value<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.val_start as usize..self.val_end as usize]
    }
}

/// Where each member is (and whether its key is escaped), without what the
/// indexer proved of it: for tests that compare an index noted while
/// writing a line (`Rebuilt`, which proves nothing) with the indexer's.
#[cfg(test)]
pub fn places(members: &[Member]) -> Vec<(u32, u32, u32, u32, bool)> {
    members
        .iter()
        .map(|m| {
            (
                m.key_start,
                m.key_end,
                m.val_start,
                m.val_end,
                m.key_escaped,
            )
        })
        .collect()
}

const MAX_DEPTH: usize = 128;

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// A mask with the top bit set in (at least) the lowest byte of `w` that is a
/// quote, a backslash or a control character, and zero if there is none.
/// Bytes above the lowest hit may be flagged falsely (borrows), never below.
#[inline]
fn special_bytes(w: u64) -> u64 {
    let zero_in = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let quote = zero_in(w ^ (LO * b'"' as u64));
    let backslash = zero_in(w ^ (LO * b'\\' as u64));
    let control = w.wrapping_sub(LO * 0x20) & !w & HI;
    quote | backslash | control
}

/// For the sixteen bytes at `at` (which must exist): a bit per byte that is a
/// quote, a backslash or a control character, and a bit per byte of 0x80 or
/// above.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn sse2_masks(s: &[u8], at: usize) -> (u32, u32) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    assert!(at + 16 <= s.len());
    // SAFETY: SSE2 is part of every x86_64 CPU, and the assert above keeps
    // the unaligned 16-byte load inside `s`.
    unsafe {
        let v = _mm_loadu_si128(s.as_ptr().add(at).cast());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // Unsigned v <= 0x1f exactly when max(v, 0x1f) == 0x1f.
        let limit = _mm_set1_epi8(0x1f);
        let control = _mm_cmpeq_epi8(_mm_max_epu8(v, limit), limit);
        let special = _mm_or_si128(_mm_or_si128(quote, backslash), control);
        (
            _mm_movemask_epi8(special) as u32,
            _mm_movemask_epi8(v) as u32,
        )
    }
}

/// Skip string content eight bytes at a time from `i`: returns where the
/// first quote, backslash or control byte is (and true), or where fewer than
/// eight bytes remain (and false). The skipped bytes are or-ed into `high`,
/// so `high & HI` tells whether any was 0x80 or above.
#[inline(always)]
fn skip_plain_words(s: &[u8], mut i: usize, high: &mut u64) -> (usize, bool) {
    while let Some(chunk) = s.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let hits = special_bytes(w);
        if hits == 0 {
            *high |= w;
            i += 8;
            continue;
        }
        let k = hits.trailing_zeros() / 8;
        // The bytes before the first hit are plain (maybe non-ASCII).
        *high |= w & ((1u64 << (8 * k)) - 1);
        return (i + k as usize, true);
    }
    (i, false)
}

/// Why a line is not one JSON object. The text (Display) is the reason shown
/// as `FILE:LINE: reason`; columns and bytes count from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    #[error("line too long to index")]
    TooLong,
    #[error("empty line where a JSON object was expected")]
    Empty,
    #[error("expected a JSON object at column {column}")]
    NotAnObject { column: usize },
    /// `found` is the byte at `column`, or `None` at the end of the line.
    #[error("invalid JSON: {what}{}", found_text(*.column, *.found))]
    Syntax {
        what: &'static str,
        column: usize,
        found: Option<u8>,
    },
    #[error("invalid JSON: unterminated string")]
    UnterminatedString,
    #[error("invalid UTF-8 at byte {byte}{}", crate::input::decode::UTF8_HINT)]
    InvalidUtf8 { byte: usize },
    #[error("invalid JSON: control character in string at column {column}")]
    ControlCharacter { column: usize },
    #[error("invalid JSON: nested too deeply")]
    TooDeep,
    #[error("invalid JSON: number out of range at column {column}")]
    NumberOutOfRange { column: usize },
}

fn found_text(column: usize, found: Option<u8>) -> String {
    match found {
        None => ", found end of line".to_string(),
        Some(c) => format!(
            " at column {column}, found `{}`",
            (c as char).escape_default()
        ),
    }
}

/// Validate `line` as one JSON object and fill `out` with its top-level members.
/// On error, returns a reason that names the byte column (1-based).
pub fn index_object(line: &[u8], out: &mut Vec<Member>) -> Result<(), JsonError> {
    out.clear();
    index_members(line, out)
}

/// As `index_object`, but appends the members to `out` (which keeps what it
/// had): the reader thread indexes a whole block of lines into one vector.
/// On error, `out` may hold some of this line's members.
pub fn index_members(line: &[u8], out: &mut Vec<Member>) -> Result<(), JsonError> {
    if line.len() > u32::MAX as usize {
        return Err(JsonError::TooLong);
    }
    let mut p = Parser { s: line, i: 0 };
    // This line's members start here (`out` may hold earlier lines').
    let first = out.len();
    p.ws();
    if p.peek() != Some(b'{') {
        return Err(match p.peek() {
            None => JsonError::Empty,
            Some(_) => JsonError::NotAnObject { column: p.i + 1 },
        });
    }
    p.i += 1;
    p.ws();
    let mut seen = KeySeen::default();
    if p.peek() == Some(b'}') {
        p.i += 1;
    } else {
        loop {
            p.ws();
            if p.peek() != Some(b'"') {
                return Err(p.err("expected a string key"));
            }
            let (ks, ke, escaped) = p.string()?;
            p.ws();
            if p.peek() != Some(b':') {
                return Err(p.err("expected `:` after key"));
            }
            p.i += 1;
            p.ws();
            let vs = p.i;
            let plain_value = p.member_value()?;
            let key = &line[ks..ke];
            // A signature seen before is mostly two keys alike in length and
            // ends: compare them then, so the flag is exact.
            let unique_key =
                seen.first_time(key) || !out[first..].iter().any(|o| o.key(line) == key);
            out.push(Member {
                key_start: ks as u32,
                key_end: ke as u32,
                val_start: vs as u32,
                val_end: p.i as u32,
                key_escaped: escaped != Escapes::None,
                plain_value,
                unique_key,
            });
            p.ws();
            match p.peek() {
                Some(b',') => p.i += 1,
                Some(b'}') => {
                    p.i += 1;
                    break;
                }
                _ => return Err(p.err("expected `,` or `}`")),
            }
        }
    }
    p.ws();
    if p.i != line.len() {
        return Err(p.err("unexpected text after the JSON object"));
    }
    Ok(())
}

/// The keys of a line's members so far, as a 64-bit set of a cheap
/// signature (length and end bytes): a key whose signature is new differs
/// from every earlier one, so most keys are proved unique without comparing
/// any two; the others are compared with the line's earlier keys.
#[derive(Default)]
struct KeySeen(u64);

impl KeySeen {
    /// True if `key` (raw bytes) surely differs from every key seen before.
    #[inline(always)]
    fn first_time(&mut self, key: &[u8]) -> bool {
        let sig = key
            .len()
            .wrapping_add(7 * key.first().copied().unwrap_or(0) as usize)
            .wrapping_add(13 * key.last().copied().unwrap_or(0) as usize)
            % 64;
        let new = self.0 & (1 << sig) == 0;
        self.0 |= 1 << sig;
        new
    }
}

/// What escapes a string has. serde_json writes a string back with the
/// same escapes exactly when each is its own: `\"`, `\\`, `\b`, `\f`,
/// `\n`, `\r`, `\t`, or `\u00xx` (lowercase) for another control character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escapes {
    None,
    /// Only escapes serde_json writes the same way.
    Canonical,
    /// Some serde_json writes otherwise (`\/`, `\u00e9`, `\u000A`, …).
    Other,
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn err(&self, what: &'static str) -> JsonError {
        JsonError::Syntax {
            what,
            column: self.i + 1,
            found: self.peek(),
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// At an opening quote: returns (content start, content end, escapes).
    ///
    /// Most strings in logs are short plain ASCII: this inlined fast path
    /// takes those and leaves anything else (escapes, non-ASCII bytes,
    /// errors) to `string_slow`, which starts over.
    #[inline(always)]
    fn string(&mut self) -> Result<(usize, usize, Escapes), JsonError> {
        let s = self.s;
        let start = self.i + 1;
        let mut i = start;
        let mut high = 0u64;
        #[cfg(target_arch = "x86_64")]
        while i + 16 <= s.len() {
            let (special, non_ascii) = sse2_masks(s, i);
            if special == 0 {
                if non_ascii != 0 {
                    return self.string_slow();
                }
                i += 16;
                continue;
            }
            let k = special.trailing_zeros();
            if non_ascii & ((1 << k) - 1) != 0 || s[i + k as usize] != b'"' {
                return self.string_slow();
            }
            self.i = i + k as usize + 1;
            return Ok((start, i + k as usize, Escapes::None));
        }
        let (i, at_special) = skip_plain_words(s, i, &mut high);
        if at_special {
            if s[i] == b'"' && high & HI == 0 {
                self.i = i + 1;
                return Ok((start, i, Escapes::None));
            }
            return self.string_slow();
        }
        let mut i = i;
        while let Some(&c) = s.get(i) {
            if c == b'"' && high & HI == 0 {
                self.i = i + 1;
                return Ok((start, i, Escapes::None));
            }
            if c == b'\\' || !(0x20..0x80).contains(&c) {
                break;
            }
            i += 1;
        }
        self.string_slow()
    }

    /// The body is scanned eight bytes at a time: a word with no quote, no
    /// backslash and no control character is skipped whole. Bytes of 0x80 and
    /// up are only noted; a string that has any is checked as UTF-8 once at
    /// its end, so a valid line never needs a separate UTF-8 pass.
    #[cold]
    #[inline(never)]
    fn string_slow(&mut self) -> Result<(usize, usize, Escapes), JsonError> {
        let s = self.s;
        let start = self.i + 1;
        let mut i = start;
        let mut escaped = Escapes::None;
        let mut high = 0u64;
        loop {
            i = skip_plain_words(s, i, &mut high).0;
            let Some(&c) = s.get(i) else {
                self.i = s.len();
                return Err(JsonError::UnterminatedString);
            };
            match c {
                b'"' => {
                    if high & 0x8080_8080_8080_8080 != 0 {
                        if let Err(e) = std::str::from_utf8(&s[start..i]) {
                            return Err(JsonError::InvalidUtf8 {
                                byte: start + e.valid_up_to() + 1,
                            });
                        }
                    }
                    self.i = i + 1;
                    return Ok((start, i, escaped));
                }
                b'\\' => {
                    self.i = i + 1;
                    let canonical = match self.peek() {
                        Some(b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.i += 1;
                            true
                        }
                        Some(b'/') => {
                            self.i += 1;
                            false
                        }
                        Some(b'u') => self.unicode_escape()?,
                        _ => return Err(self.err("bad escape in string")),
                    };
                    if !canonical {
                        escaped = Escapes::Other;
                    } else if escaped == Escapes::None {
                        escaped = Escapes::Canonical;
                    }
                    i = self.i;
                }
                c if c < 0x20 => {
                    if memchr2(b'"', b'\\', &s[i..]).is_none() {
                        return Err(JsonError::UnterminatedString);
                    }
                    return Err(JsonError::ControlCharacter { column: i + 1 });
                }
                c => {
                    // Only reached in the last few bytes of the line.
                    high |= c as u64;
                    i += 1;
                }
            }
        }
    }

    /// At the `u` of `\uXXXX`: four hex digits; a surrogate must come in a
    /// pair (high then low), as serde_json requires. True if serde_json
    /// writes the character back as this same escape: a control character
    /// without a short escape, in lowercase hex (`\u001f`).
    fn unicode_escape(&mut self) -> Result<bool, JsonError> {
        let code = self.hex4(self.i + 1)?;
        let canonical = code < 0x20
            && !matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d)
            && !self.s[self.i + 1..self.i + 5]
                .iter()
                .any(u8::is_ascii_uppercase);
        self.i += 5;
        match code {
            0xD800..=0xDBFF => {
                if self.s.get(self.i..self.i + 2) != Some(b"\\u") {
                    return Err(self.err("lone surrogate in \\u escape"));
                }
                let low = self.hex4(self.i + 2)?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(self.err("lone surrogate in \\u escape"));
                }
                self.i += 6;
                Ok(false)
            }
            0xDC00..=0xDFFF => Err(self.err("lone surrogate in \\u escape")),
            _ => Ok(canonical),
        }
    }

    /// The value of four hex digits at `at`.
    fn hex4(&self, at: usize) -> Result<u32, JsonError> {
        let hex = self.s.get(at..at + 4).unwrap_or(b"");
        let mut code = 0u32;
        for &h in hex {
            let d = (h as char)
                .to_digit(16)
                .ok_or_else(|| self.err("bad \\u escape"))?;
            code = code * 16 + d;
        }
        if hex.len() < 4 {
            return Err(self.err("bad \\u escape"));
        }
        Ok(code)
    }

    /// A top-level member's value: strings and numbers (most of them) are
    /// handled inline, anything else by `value`. True if serde_json writes
    /// it back as it is (`Member::plain_value`).
    #[inline(always)]
    fn member_value(&mut self) -> Result<bool, JsonError> {
        match self.peek() {
            Some(b'"') => self
                .string()
                .map(|(_, _, escaped)| escaped != Escapes::Other),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't' | b'f' | b'n') => self.value(1).map(|()| true),
            _ => self.value(1).map(|()| false),
        }
    }

    /// A value at `depth` (1 for a member of the line's object). A container
    /// here is the `depth + 1`-th open one; serde_json allows 127.
    fn value(&mut self, depth: usize) -> Result<(), JsonError> {
        if depth + 1 >= MAX_DEPTH && matches!(self.peek(), Some(b'{' | b'[')) {
            return Err(JsonError::TooDeep);
        }
        match self.peek() {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'{') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.err("expected a string key"));
                    }
                    self.string()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err(self.err("expected `:`"));
                    }
                    self.i += 1;
                    self.ws();
                    self.value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(self.err("expected `,` or `}`")),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    self.value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(self.err("expected `,` or `]`")),
                    }
                }
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number().map(|_| ()),
            _ => Err(self.err("expected a value")),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), JsonError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.err("expected a value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    /// A number; true if serde_json surely writes it back as it reads:
    /// an integer of at most 18 digits (it fits an i64) other than `-0`, or
    /// `I.F` with F not ending in `0` and at most 15 significant digits
    /// (see `event::decimal_is_canonical`, the same rule). False: not known.
    fn number(&mut self) -> Result<bool, JsonError> {
        let start = self.i;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let int_zero = match self.peek() {
            Some(b'0') => {
                self.i += 1;
                true
            }
            Some(b'1'..=b'9') => {
                self.digits();
                false
            }
            _ => return Err(self.err("bad number")),
        };
        let int_len = self.i - start - usize::from(negative);
        let mut plain = int_len <= 18 && !(negative && int_zero);
        if self.peek() == Some(b'.') {
            self.i += 1;
            let frac_start = self.i;
            let frac_len = self.digits();
            if frac_len == 0 {
                return Err(self.err("bad number"));
            }
            let significant = if int_zero {
                // `0.05` has 1 significant digit but the rule wants no
                // leading zero in F: leave it to the writer.
                if self.s[frac_start] == b'0' {
                    usize::MAX
                } else {
                    frac_len
                }
            } else {
                int_len + frac_len
            };
            plain = significant <= 15 && self.s[self.i - 1] != b'0';
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("bad number"));
            }
            self.check_range(start)?;
            plain = false;
        } else if self.i - start > 300 {
            self.check_range(start)?;
        }
        Ok(plain)
    }

    /// serde_json refuses a number too large for an f64 (`1e400`).
    fn check_range(&self, start: usize) -> Result<(), JsonError> {
        let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("0");
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(()),
            _ => Err(JsonError::NumberOutOfRange { column: start + 1 }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(line: &str) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        index_object(line.as_bytes(), &mut out).map_err(|e| e.to_string())?;
        Ok(out
            .iter()
            .map(|m| {
                (
                    String::from_utf8(m.key(line.as_bytes()).to_vec()).unwrap(),
                    String::from_utf8(m.value(line.as_bytes()).to_vec()).unwrap(),
                )
            })
            .collect())
    }

    #[test]
    fn indexes_top_level_members() {
        let got = keys(r#"{"a": 1, "b":{"c":[1,2,{"d":null}]} ,"e":"x\"y"}"#).unwrap();
        assert_eq!(
            got,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), r#"{"c":[1,2,{"d":null}]}"#.into()),
                ("e".into(), r#""x\"y""#.into()),
            ]
        );
        assert_eq!(keys("{}").unwrap(), vec![]);
        assert_eq!(keys("  { } ").unwrap(), vec![]);
    }

    #[test]
    fn rejects_what_serde_rejects() {
        for bad in [
            "",
            "[1]",
            "{",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":tru}"#,
            r#"{"a":"x}"#,
            r#"{"a":"\q"}"#,
            r#"{"a":[1,2}"#,
            r#"{"a":1} x"#,
            "{\"a\":\"\t\"}",
            r#"{a:1}"#,
        ] {
            assert!(keys(bad).is_err(), "accepted {bad:?}");
            assert!(serde_json::from_str::<serde_json::Value>(bad).is_err() || bad == "[1]");
        }
    }

    #[test]
    fn agrees_with_serde_on_valid_objects() {
        for good in [
            r#"{"a":-0.5e+3,"b":true,"c":false,"d":null,"e":"\u00e9\n"}"#,
            r#"{"nested":{"deep":[[[]]],"x":{}}}"#,
        ] {
            assert!(keys(good).is_ok());
            assert!(serde_json::from_str::<serde_json::Value>(good).is_ok());
        }
    }

    /// What serde_json says of a line: a JSON object, or not.
    fn serde_accepts(line: &[u8]) -> bool {
        serde_json::from_slice::<serde_json::Value>(line).is_ok_and(|v| v.is_object())
    }

    fn index_accepts(line: &[u8]) -> bool {
        index_object(line, &mut Vec::new()).is_ok()
    }

    #[test]
    fn nesting_limit_matches_serde() {
        for n in 120..135 {
            let line = format!("{{\"a\":{}1{}}}", "[".repeat(n), "]".repeat(n));
            assert_eq!(
                index_accepts(line.as_bytes()),
                serde_accepts(line.as_bytes()),
                "{n} levels"
            );
        }
    }

    #[test]
    fn strings_agree_with_serde_at_every_offset() {
        // Special bytes at every position of the 8-byte words the scanner reads.
        let specials: [&[u8]; 12] = [
            b"\"",
            b"\\\"",
            b"\\\\",
            b"\\u00e9",
            b"\\ud83d\\ude00",
            b"\\ud83d",
            b"\\ude00",
            b"\t",
            b"\x7f",
            "é".as_bytes(),
            b"\xff",
            b"\xe2\x82",
        ];
        for sp in specials {
            for pre in 0..40 {
                for post in 0..36 {
                    let mut line = b"{\"k\":\"".to_vec();
                    line.extend(std::iter::repeat_n(b'a', pre));
                    line.extend_from_slice(sp);
                    line.extend(std::iter::repeat_n(b'b', post));
                    line.extend_from_slice(b"\"}");
                    assert_eq!(
                        index_accepts(&line),
                        serde_accepts(&line),
                        "{:?}",
                        String::from_utf8_lossy(&line)
                    );
                }
            }
        }
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        const FRAGMENTS: &[&str] = &[
            "{",
            "}",
            "[",
            "]",
            ":",
            ",",
            " ",
            "\t",
            "\n",
            "\"a\"",
            "\"\"",
            "\"k\\\"q\"",
            "\"\\u00e9\"",
            "\"\\ud800\"",
            "\"\\ud800\\udc00\"",
            "\"\\udc00\"",
            "\"\\x\"",
            "\"\\u12\"",
            "\"é\"",
            "\"\t\"",
            "0",
            "-0",
            "01",
            "1.5",
            "1.",
            ".5",
            "-",
            "1e5",
            "1E+2",
            "1e",
            "1e400",
            "-1e400",
            "1e-400",
            "123456789012345678901234567890",
            "true",
            "false",
            "null",
            "tru",
            "nul",
            "x",
            "\"",
            "\\",
            "\u{7f}",
        ];

        fn soup() -> impl Strategy<Value = Vec<u8>> {
            proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..24)
                .prop_map(|parts| parts.concat().into_bytes())
        }

        fn json_value() -> impl Strategy<Value = serde_json::Value> {
            use serde_json::Value as V;
            let leaf = prop_oneof![
                Just(V::Null),
                any::<bool>().prop_map(V::Bool),
                any::<i64>().prop_map(V::from),
                any::<f64>().prop_map(V::from),
                "[a-z\"\\\\\u{0}-\u{1f}é😀]{0,12}".prop_map(V::String),
            ];
            leaf.prop_recursive(4, 32, 6, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..6).prop_map(V::Array),
                    proptest::collection::vec(("[a-z\"é]{0,4}", inner), 0..6)
                        .prop_map(|kv| V::Object(kv.into_iter().collect())),
                ]
            })
        }

        /// A serialised object, compact or pretty, maybe with one byte changed,
        /// removed or added.
        fn mutated_object() -> impl Strategy<Value = Vec<u8>> {
            let obj = proptest::collection::vec(("[a-z]{0,3}", json_value()), 0..6)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect()));
            (obj, any::<bool>(), 0..4u8, any::<usize>(), any::<u8>()).prop_map(
                |(v, pretty, how, at, byte)| {
                    let mut b = if pretty {
                        serde_json::to_vec_pretty(&v).unwrap_or_default()
                    } else {
                        serde_json::to_vec(&v).unwrap_or_default()
                    };
                    if !b.is_empty() {
                        let at = at % b.len();
                        match how {
                            0 => b[at] = byte,
                            1 => {
                                b.remove(at);
                            }
                            2 => b.insert(at, byte),
                            _ => {}
                        }
                    }
                    b
                },
            )
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]

            #[test]
            fn accepts_exactly_what_serde_accepts(line in prop_oneof![soup(), mutated_object()]) {
                prop_assert_eq!(
                    index_accepts(&line),
                    serde_accepts(&line),
                    "{:?}",
                    String::from_utf8_lossy(&line)
                );
            }

            /// What the indexer notes while validating is true: a value
            /// marked plain is written back by serde_json byte for byte, a
            /// key is marked unique exactly when no earlier key has its bytes.
            #[test]
            fn plain_values_and_unique_keys_are_so(
                members in proptest::collection::vec((
                    proptest::sample::select(vec!["a", "b", "ax", "nq", "a\\u0062", ""]),
                    prop_oneof![
                        proptest::sample::select(vec![
                            "0", "-0", "00", "1", "-12", "100", "0.5", "-0.5", "0.05", "0.50",
                            "1.0", "2.5", "-2.25", "1e3", "1.5E-2", "123456789012345678",
                            "1234567890123456789", "-123456789012345678", "12345678901234.5",
                            "123456789012345.6", "0.123456789012345", "0.1234567890123456",
                            "\"x\"", "\"q\\\"\"", "\"\\u00e9\"", "\"é\"", "true", "false",
                            "null", "[1]", "{}", "{\"a\":1.50}",
                        ]).prop_map(String::from),
                        any::<i64>().prop_map(|n| n.to_string()),
                        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| {
                            serde_json::to_string(&f).unwrap()
                        }),
                        (any::<u32>(), 0..6usize).prop_map(|(n, z)| format!("{n}.{}", "0".repeat(z) + "7")),
                        proptest::collection::vec(proptest::sample::select(super::ESCAPES.to_vec()), 0..4)
                            .prop_map(|parts| format!("\"{}\"", parts.concat())),
                    ],
                ), 0..8),
            ) {
                let body: Vec<String> = members.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                let line = format!("{{{}}}", body.join(","));
                let mut out = Vec::new();
                if index_object(line.as_bytes(), &mut out).is_err() {
                    // `00` and the like: refused, as serde refuses them.
                    prop_assert!(!serde_accepts(line.as_bytes()));
                    return Ok(());
                }
                let line = line.as_bytes();
                for (i, m) in out.iter().enumerate() {
                    let raw = m.value(line);
                    if m.plain_value {
                        let v: serde_json::Value = serde_json::from_slice(raw).unwrap();
                        prop_assert_eq!(
                            serde_json::to_vec(&v).unwrap(),
                            raw.to_vec(),
                            "{:?} is marked plain", String::from_utf8_lossy(raw)
                        );
                    }
                    // Exact: unique unless an earlier key has the same bytes.
                    prop_assert_eq!(
                        m.unique_key,
                        out[..i].iter().all(|o| o.key(line) != m.key(line))
                    );
                }
            }

            #[test]
            fn soup_after_an_open_brace(body in soup()) {
                let mut line = b"{\"a\":".to_vec();
                line.extend_from_slice(&body);
                prop_assert_eq!(
                    index_accepts(&line),
                    serde_accepts(&line),
                    "{:?}",
                    String::from_utf8_lossy(&line)
                );
            }
        }
    }

    /// Escapes and text around them, for strings.
    const ESCAPES: [&str; 24] = [
        "a",
        "é",
        "\\\"",
        "\\\\",
        "\\/",
        "\\b",
        "\\f",
        "\\n",
        "\\r",
        "\\t",
        "\\u0001",
        "\\u001f",
        "\\u001F",
        "\\u0008",
        "\\u000a",
        "\\u000c",
        "\\u0009",
        "\\u000d",
        "\\u0020",
        "\\u0022",
        "\\u005c",
        "\\u00e9",
        "\\u007f",
        "\\ud83d\\ude00",
    ];

    /// A string is marked plain exactly when serde_json writes it back with
    /// the same escapes (so a line with `\"` in a value is still copied whole).
    #[test]
    fn strings_with_serdes_own_escapes_are_plain() {
        for a in ESCAPES {
            for b in ESCAPES {
                let raw = format!("\"{a}x{b}\"");
                let line = format!("{{\"k\":{raw}}}");
                let mut out = Vec::new();
                index_object(line.as_bytes(), &mut out).unwrap();
                let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
                let same = serde_json::to_string(&v).unwrap() == raw;
                assert_eq!(out[0].plain_value, same, "{raw}");
                // A key with any escape is still marked escaped.
                let line = format!("{{{raw}:1}}");
                index_object(line.as_bytes(), &mut out).unwrap();
                assert_eq!(out[0].key_escaped, raw.contains('\\'), "{raw}");
            }
        }
    }

    /// The forms most log lines have are marked plain (so the writer copies
    /// them without a second look), and distinct keys unique.
    #[test]
    fn common_values_are_marked_plain() {
        let line = br#"{"a":1,"b":-25,"c":2.5,"d":0.25,"e":"x","f":true,"g":null,"h":1.50,"i":1e3,"j":"\n","k":[1],"l":-0,"m":"\/"}"#;
        let mut out = Vec::new();
        index_object(line, &mut out).unwrap();
        let plain: Vec<bool> = out.iter().map(|m| m.plain_value).collect();
        assert_eq!(
            plain,
            [true, true, true, true, true, true, true, false, false, true, false, false, false]
        );
        assert!(out.iter().all(|m| m.unique_key));
        index_object(br#"{"a":1,"a":2}"#, &mut out).unwrap();
        assert!(!out[1].unique_key);
    }

    #[test]
    fn depth_is_limited_without_stack_overflow() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(keys(&deep).is_err());
    }
}
