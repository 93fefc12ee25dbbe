//! Building a changed JSON event's line straight from its original bytes,
//! for `select a, b`: the new line is put together from the raw values, and
//! its member index is noted while writing it.
//!
//! Why: decoding an event into a map and encoding the new one costs several
//! times what the rest of such a pipeline does. Each value is written as
//! serde_json would write it (`event::write_canonical_value`: copied when
//! already in that form, else decoded and written anew), so the bytes are
//! the ones the map would give and users see no difference.

use crate::input::json_index::Member;

/// A line built from an event's bytes, with its member index, so the new
/// event is as cheap to read as one from the input.
#[derive(Default)]
pub struct Rebuilt {
    pub buf: Vec<u8>,
    pub members: Vec<Member>,
}

impl Rebuilt {
    /// Start a new object.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.buf.push(b'{');
        self.members.clear();
    }

    /// Add a member: its name (see `quoted_name`), then the value `write`
    /// writes (valid JSON). False if `write` fails or the line gets too
    /// long to index.
    pub fn push(&mut self, name: &QuotedName, write: impl FnOnce(&mut Vec<u8>) -> bool) -> bool {
        if !self.members.is_empty() {
            self.buf.push(b',');
        }
        let key_start = self.buf.len() + 1;
        self.buf.extend_from_slice(&name.json);
        let key_end = self.buf.len() - 1;
        self.buf.push(b':');
        let val_start = self.buf.len();
        if !write(&mut self.buf) {
            return false;
        }
        let pos = |n: usize| u32::try_from(n).ok();
        let (Some(ks), Some(ke), Some(vs), Some(ve)) = (
            pos(key_start),
            pos(key_end),
            pos(val_start),
            pos(self.buf.len()),
        ) else {
            return false;
        };
        self.members.push(Member {
            key_start: ks,
            key_end: ke,
            val_start: vs,
            val_end: ve,
            key_escaped: name.escaped,
            // Not proved here: the writer checks.
            plain_value: false,
            unique_key: false,
        });
        true
    }

    /// Close the object.
    pub fn finish(&mut self) {
        self.buf.push(b'}');
    }
}

/// A member name as serde_json writes it, quotes included, made once per
/// stage rather than once per event.
pub struct QuotedName {
    json: Vec<u8>,
    escaped: bool,
}

impl QuotedName {
    pub fn new(name: &str) -> QuotedName {
        let json = serde_json::to_vec(name).unwrap_or_else(|_| b"\"\"".to_vec());
        QuotedName {
            escaped: json.contains(&b'\\'),
            json,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::json_index::{index_object, places};

    #[test]
    fn the_index_noted_while_writing_is_the_indexer_s() {
        let mut r = Rebuilt::default();
        r.clear();
        let raw = |v: &'static [u8]| {
            move |b: &mut Vec<u8>| {
                b.extend_from_slice(v);
                true
            }
        };
        let q = QuotedName::new;
        assert!(r.push(&q("a"), raw(b"\"x\"")));
        assert!(r.push(&q("b\""), raw(b"null")));
        assert!(r.push(&q("é\n"), raw(b"[1, {\"c\":2}]")));
        r.finish();
        assert_eq!(
            r.buf,
            "{\"a\":\"x\",\"b\\\"\":null,\"é\\n\":[1, {\"c\":2}]}".as_bytes()
        );
        let mut idx = Vec::new();
        index_object(&r.buf, &mut idx).unwrap();
        // The same places; what the indexer proves of values and keys is
        // left unproved here (false), which the writer takes as "check".
        assert_eq!(places(&r.members), places(&idx));
        assert!(r.members.iter().all(|m| !m.plain_value && !m.unique_key));
        r.clear();
        r.finish();
        assert_eq!(r.buf, b"{}");
        assert!(r.members.is_empty());
        r.clear();
        assert!(!r.push(&q("a"), |_| false));
    }
}
