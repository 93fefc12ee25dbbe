//! Building a changed JSON event's line straight from its original bytes,
//! for `select a, b`: the new line is put together from the raw values.
//!
//! Why: decoding an event into a map and encoding the new one costs several
//! times what the rest of such a pipeline does. The caller only takes this
//! path when each raw value is written exactly as serde_json would write it
//! (`event::raw_scalar_is_canonical`), so the bytes are the ones the map
//! would give and users see no difference.

use crate::input::json_index::{index_object, Member};

/// A line built from an event's bytes, with its member index, so the new
/// event is as cheap to read as one from the input.
#[derive(Default)]
pub struct Rebuilt {
    pub buf: Vec<u8>,
    pub members: Vec<Member>,
}

impl Rebuilt {
    /// An object of the given members, each a raw JSON value or null.
    /// False if the result is not a JSON object (never for canonical values).
    pub fn project<'r>(
        &mut self,
        fields: impl Iterator<Item = (&'r str, Option<&'r [u8]>)>,
    ) -> bool {
        self.buf.clear();
        self.buf.push(b'{');
        for (i, (name, raw)) in fields.enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            if serde_json::to_writer(&mut self.buf, name).is_err() {
                return false;
            }
            self.buf.push(b':');
            self.buf.extend_from_slice(raw.unwrap_or(b"null"));
        }
        self.buf.push(b'}');
        index_object(&self.buf, &mut self.members).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_builds_an_indexed_line() {
        let mut r = Rebuilt::default();
        assert!(r.project([("a", Some(&b"\"x\""[..])), ("b\"", None)].into_iter()));
        assert_eq!(r.buf, br#"{"a":"x","b\"":null}"#);
        assert_eq!(r.members.len(), 2);
        assert!(r.project(std::iter::empty()));
        assert_eq!(r.buf, b"{}");
    }
}
