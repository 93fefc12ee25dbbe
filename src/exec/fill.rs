//! `AGG … every D fill`: windows without events still get rows, so silence
//! is a signal (a dead-man alert: `count every 1m fill | where count == 0`).
//!
//! Windows close in order of start (they all have one size). Once a first
//! window has closed, the windows after it are closed one by one as the
//! watermark passes them — from the events, from the idle timeout on a quiet
//! input, or at the end of input (then only up to the last window that has
//! events: no rows are made up past the data).
//!
//! Which zero rows a window gets:
//! - without keys, a window without events gets one row (`count` 0);
//! - with keys, a window gets a zero row for each key that had events in the
//!   previous window and has none in this one — "path /checkout stopped
//!   getting traffic" — after the rows of its own groups. A key silent for
//!   several windows gets one zero row, when it goes quiet, so memory stays
//!   bounded by the keys of one window.
//!
//! In a zero row `count` and `sum` are 0; every other aggregate is null (no
//! value was seen). This module decides which windows and keys; it builds no
//! rows and must not hold more than one window's keys.

use serde::{Deserialize, Serialize};

use crate::lang::ast::{AggFunc, WindowKind};
use crate::timefmt::Millis;
use crate::value::Value;

use super::key::{KeyIn, KeyOut};
use super::state::{self, RawValue, StateError};

/// The fill state of one aggregation.
pub struct Fill {
    size: Millis,
    slide: Millis,
    keyed: bool,
    /// Start of the window after the last one closed (None before the first).
    next: Option<Millis>,
    /// Keys (encoded, and their values) of the last window closed.
    prev: Vec<(Box<[u8]>, Vec<Value>)>,
}

/// The next window to close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The first open window (it has events).
    Open,
    /// A window with no events: `(start, end)`.
    Empty(Millis, Millis),
    /// Nothing closes now.
    None,
}

impl Fill {
    /// Fill for tumbling or hopping windows; None for sessions.
    pub fn new(kind: WindowKind, keyed: bool) -> Option<Fill> {
        let (size, slide) = match kind {
            WindowKind::Tumbling { size } => (size, size),
            WindowKind::Hopping { size, slide } => (size, slide),
            WindowKind::Session { .. } => return None,
        };
        Some(Fill {
            size,
            slide,
            keyed,
            next: None,
            prev: Vec::new(),
        })
    }

    /// Which window closes next, given the first open window's
    /// `(start, end)` and whether a window ending at `end` is over.
    /// `at_end`: the input ended, so windows past the last open one are not made.
    pub fn next(
        &self,
        first_open: Option<(Millis, Millis)>,
        done: impl Fn(Millis) -> bool,
        at_end: bool,
    ) -> Next {
        let Some(next) = self.next else {
            return match first_open {
                Some((_, e)) if done(e) => Next::Open,
                _ => Next::None,
            };
        };
        match first_open {
            Some((s, e)) if s <= next => {
                if done(e) {
                    Next::Open
                } else {
                    Next::None
                }
            }
            None if at_end => Next::None,
            _ => match next.checked_add(self.size) {
                Some(end) if done(end) => Next::Empty(next, end),
                _ => Next::None,
            },
        }
    }

    /// The keys to give zero rows in a window whose own groups are `present`.
    /// Without keys, an empty window gets the one group of no keys.
    pub fn zero_keys<'a>(
        &'a self,
        present: &'a dyn Fn(&[u8]) -> bool,
        empty_window: bool,
    ) -> Box<dyn Iterator<Item = &'a [Value]> + 'a> {
        if !self.keyed {
            return if empty_window {
                Box::new(std::iter::once(&[][..]))
            } else {
                Box::new(std::iter::empty())
            };
        }
        Box::new(
            self.prev
                .iter()
                .filter(move |(k, _)| !present(k))
                .map(|(_, v)| v.as_slice()),
        )
    }

    /// The window starting at `start` closed with these groups' keys.
    pub fn closed(&mut self, start: Millis, keys: Vec<(Box<[u8]>, Vec<Value>)>) {
        self.next = start.checked_add(self.slide);
        if self.keyed {
            self.prev = keys;
        }
    }

    /// The state a checkpoint keeps, written from the fill's own fields.
    pub fn state(&self) -> impl Serialize + '_ {
        FillOut {
            next: self.next,
            prev: state::iter(self.prev.iter().map(|(k, values)| PrevOut {
                key: KeyOut(k),
                values,
            })),
        }
    }

    pub fn restore(&mut self, state: &RawValue) -> Result<(), StateError> {
        let st: FillIn = state::parse(state)?;
        self.next = st.next;
        self.prev = st
            .prev
            .into_iter()
            .map(|p| (p.key.0.into(), p.values))
            .collect();
        Ok(())
    }
}

/// What a checkpoint keeps of a fill: the next window and the keys of the
/// last one closed (one window's keys at most).
#[derive(Serialize)]
struct FillOut<P> {
    next: Option<Millis>,
    prev: P,
}

#[derive(Serialize)]
struct PrevOut<'a> {
    key: KeyOut<'a>,
    values: &'a [Value],
}

#[derive(Deserialize)]
struct FillIn {
    next: Option<Millis>,
    prev: Vec<PrevIn>,
}

#[derive(Deserialize)]
struct PrevIn {
    key: KeyIn,
    values: Vec<Value>,
}

/// An aggregate's value in a zero row: `count` and `sum` are 0, the others
/// saw no value and are null.
pub fn zero_value(func: AggFunc) -> Value {
    match func {
        AggFunc::Count | AggFunc::Sum => Value::from(0),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::key;

    fn tumbling(keyed: bool) -> Fill {
        Fill::new(WindowKind::Tumbling { size: 10 }, keyed).unwrap()
    }

    #[test]
    fn nothing_is_filled_before_the_first_window() {
        let f = tumbling(false);
        assert_eq!(f.next(None, |_| true, false), Next::None);
        assert_eq!(f.next(Some((0, 10)), |e| e <= 10, false), Next::Open);
        assert_eq!(f.next(Some((0, 10)), |e| e < 10, false), Next::None);
    }

    #[test]
    fn empty_windows_between_and_after() {
        let mut f = tumbling(false);
        f.closed(0, vec![]);
        // Next open window starts at 30: 10 and 20 are empty.
        let done = |e: Millis| e <= 40;
        assert_eq!(f.next(Some((30, 40)), done, false), Next::Empty(10, 20));
        f.closed(10, vec![]);
        assert_eq!(f.next(Some((30, 40)), done, false), Next::Empty(20, 30));
        f.closed(20, vec![]);
        assert_eq!(f.next(Some((30, 40)), done, false), Next::Open);
        f.closed(30, vec![]);
        // Nothing open: time moving on fills, the end of input does not.
        assert_eq!(f.next(None, done, false), Next::None);
        assert_eq!(f.next(None, |e| e <= 50, false), Next::Empty(40, 50));
        assert_eq!(f.next(None, |_| true, true), Next::None);
    }

    #[test]
    fn hopping_windows_step_by_the_slide() {
        let mut f = Fill::new(
            WindowKind::Hopping {
                size: 20,
                slide: 10,
            },
            false,
        )
        .unwrap();
        f.closed(0, vec![]);
        assert_eq!(f.next(None, |e| e <= 30, false), Next::Empty(10, 30));
    }

    #[test]
    fn zero_rows_for_keys_of_the_previous_window_only() {
        let mut f = tumbling(true);
        let k = |s: &str| -> (Box<[u8]>, Vec<Value>) {
            let mut buf = Vec::new();
            key::encode_texts(&[Some(s.to_string())], &mut buf);
            (buf.into(), vec![Value::from(s)])
        };
        f.closed(0, vec![k("a"), k("b")]);
        let a = k("a").0;
        let present = |key: &[u8]| *key == *a;
        let zero: Vec<&[Value]> = f.zero_keys(&present, false).collect();
        assert_eq!(zero, vec![&[Value::from("b")][..]]);
        f.closed(10, vec![k("a")]);
        let none = |_: &[u8]| false;
        assert_eq!(f.zero_keys(&none, true).count(), 1);
        f.closed(20, vec![]);
        assert_eq!(f.zero_keys(&none, true).count(), 0);
        // Snapshot and restore keep the keys and the next window.
        f.closed(30, vec![k("c")]);
        let mut g = tumbling(true);
        let text = serde_json::to_string(&f.state()).unwrap();
        g.restore(serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(g.next, Some(40));
        assert_eq!(g.prev, f.prev);
    }

    #[test]
    fn zero_values() {
        assert_eq!(zero_value(AggFunc::Count), Value::from(0));
        assert_eq!(zero_value(AggFunc::Sum), Value::from(0));
        assert_eq!(zero_value(AggFunc::Avg), Value::Null);
        assert_eq!(zero_value(AggFunc::Distinct), Value::Null);
    }
}
