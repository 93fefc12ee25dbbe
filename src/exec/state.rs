//! Operator state in a checkpoint (DESIGN §6): typed, versioned, and never
//! copied whole.
//!
//! A stateful operator writes its state with `serde` straight into the
//! checkpoint's buffered file (`Operator::save`), from borrowed views of its
//! own structures, and reads it back from the checkpoint's bytes
//! (`Operator::restore`) into its structures one entry at a time: a large
//! list (groups, keys, windows) stays a borrowed [`RawValue`] slice of the
//! file until [`each`] walks it. So a commit costs the state plus a write
//! buffer, and a restore the state plus the file's bytes; never a
//! `serde_json::Value` tree of the whole state (issue 16 item 12: a 1.85 GB
//! state took 12 GB to checkpoint that way).
//!
//! Each state is a serde-derived struct whose first field is its
//! [`Version`]; a field renamed in one direction only fails the
//! snapshot → restore tests of `testkit`, and a state of another version is
//! refused by name, not read as defaults. States written before the version
//! field existed (checkpoints of streamctl 0.1) are version 1.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};

pub use serde_json::value::RawValue;

/// Why a state cannot be restored. The checkpoint is then refused (exit 2),
/// never half used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The state does not have the shape of this stage's (a missing field,
    /// a wrong type, another version): what serde says, with where.
    #[error("{0}")]
    Shape(#[from] serde_json::Error),
    /// A key appears twice in one table.
    #[error("{stage}: state has a key twice")]
    KeyTwice { stage: &'static str },
    /// Another number of aggregates than the stage computes.
    #[error("{stage}: state has {found} aggregates per group, the stage has {want}")]
    Aggregates {
        stage: &'static str,
        found: usize,
        want: usize,
    },
    /// A value inside the state that the stage cannot use.
    #[error("{stage}: {why}")]
    Invalid { stage: &'static str, why: String },
    /// An accumulator's state it cannot use; the accumulator names itself.
    #[error("{0}")]
    Accumulator(String),
    /// The checkpoint holds states for another number of stages.
    #[error("checkpoint has state for {found} stages, pipeline has {want}")]
    Stages { found: usize, want: usize },
    /// One stage's state failed (stages count from 1).
    #[error("stage {stage}: {error}")]
    Stage {
        stage: usize,
        error: Box<StateError>,
    },
}

/// A value in an accumulator's state that it cannot use, as text (kept
/// for the accumulators' own checks, which name what was wrong).
impl From<String> for StateError {
    fn from(why: String) -> StateError {
        StateError::Accumulator(why)
    }
}

impl From<&str> for StateError {
    fn from(why: &str) -> StateError {
        StateError::Accumulator(why.to_string())
    }
}

/// `Err` of an accumulator state it cannot use.
pub fn bad<T>(why: impl Into<String>) -> Result<T, StateError> {
    Err(StateError::Accumulator(why.into()))
}

impl StateError {
    pub fn invalid(stage: &'static str, why: impl Into<String>) -> StateError {
        StateError::Invalid {
            stage,
            why: why.into(),
        }
    }
}

/// The version of a state, written first; reading another one is an error.
/// Missing (a state of streamctl 0.1) reads as `N` through `#[serde(default)]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Version<const N: u32>;

impl<const N: u32> Serialize for Version<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(N)
    }
}

impl<'de, const N: u32> Deserialize<'de> for Version<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = u32::deserialize(d)?;
        if v == N {
            Ok(Version)
        } else {
            Err(de::Error::custom(format!(
                "state version {v}; this streamctl reads version {N}"
            )))
        }
    }
}

/// Parse a state (or a part of one) from its JSON text.
pub fn parse<'de, T: Deserialize<'de>>(raw: &'de RawValue) -> Result<T, StateError> {
    Ok(serde_json::from_str(raw.get())?)
}

/// Walk a JSON list one element at a time, handing each to `f`: the list is
/// never held whole, only the element being read.
pub fn each<'de, T, F>(list: &'de RawValue, f: F) -> Result<(), StateError>
where
    T: Deserialize<'de>,
    F: FnMut(T) -> Result<(), StateError>,
{
    struct Each<'a, T, F> {
        f: F,
        failed: &'a mut Option<StateError>,
        item: PhantomData<T>,
    }
    impl<'de, T: Deserialize<'de>, F: FnMut(T) -> Result<(), StateError>> Visitor<'de>
        for Each<'_, T, F>
    {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
            while let Some(item) = seq.next_element::<T>()? {
                if let Err(e) = (self.f)(item) {
                    *self.failed = Some(e);
                    // Stop reading; the error itself is handed back below.
                    return Err(de::Error::custom(""));
                }
            }
            Ok(())
        }
    }
    let mut failed = None;
    let mut de = serde_json::Deserializer::from_str(list.get());
    let walked = de.deserialize_seq(Each {
        f,
        failed: &mut failed,
        item: PhantomData,
    });
    match (failed, walked) {
        (Some(e), _) => Err(e),
        (None, r) => Ok(r?),
    }
}

/// Serialise what an iterator yields as a list, as it yields it (nothing
/// collected first). Serialises once.
pub struct Iter<I>(Cell<Option<I>>);

pub fn iter<I: IntoIterator>(items: I) -> Iter<I::IntoIter> {
    Iter(Cell::new(Some(items.into_iter())))
}

impl<I> Serialize for Iter<I>
where
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.take() {
            Some(items) => s.collect_seq(items),
            None => Err(serde::ser::Error::custom("a state list serialised twice")),
        }
    }
}

/// A JSON text kept as it is (key values stored as JSON): written raw,
/// `null` if it is not JSON (it always is: streamctl wrote it).
pub struct RawJson<'a>(pub &'a [u8]);

impl Serialize for RawJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(self.0)
            .ok()
            .and_then(|t| serde_json::from_str::<&RawValue>(t).ok())
        {
            Some(raw) => raw.serialize(s),
            None => s.serialize_unit(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct S {
        #[serde(default)]
        version: Version<2>,
        n: u64,
    }

    #[test]
    fn a_version_is_written_checked_and_defaulted() {
        let text = serde_json::to_string(&S {
            version: Version,
            n: 1,
        })
        .unwrap();
        assert_eq!(text, r#"{"version":2,"n":1}"#);
        assert_eq!(serde_json::from_str::<S>(r#"{"n":3}"#).unwrap().n, 3);
        let err = serde_json::from_str::<S>(r#"{"version":3,"n":3}"#).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("state version 3; this streamctl reads version 2"),
            "{err}"
        );
    }

    #[test]
    fn each_walks_a_list_and_stops_at_the_first_error() {
        let raw: &RawValue = serde_json::from_str("[1, 2, 3, 4]").unwrap();
        let mut seen = Vec::new();
        each(raw, |n: u64| {
            seen.push(n);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, [1, 2, 3, 4]);
        let err = each(raw, |n: u64| {
            if n == 3 {
                Err(StateError::KeyTwice { stage: "t" })
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert!(matches!(err, StateError::KeyTwice { stage: "t" }));
        let raw: &RawValue = serde_json::from_str(r#"[1, "x"]"#).unwrap();
        assert!(matches!(
            each(raw, |_: u64| Ok(())),
            Err(StateError::Shape(_))
        ));
    }

    #[test]
    fn iter_and_raw_json_serialise_in_place() {
        let text = serde_json::to_string(&(
            iter([1, 2].iter().map(|n| n * 10)),
            RawJson(br#"["a",1]"#),
            RawJson(b"not json"),
        ))
        .unwrap();
        assert_eq!(text, r#"[[10,20],["a",1],null]"#);
    }
}
