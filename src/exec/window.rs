//! Window assignment (DESIGN §5), shared by every windowed stage.
//!
//! Tumbling (`every D`) and hopping (`every D slide S`) windows are aligned
//! to the Unix epoch: a window is `[start, start + D)` with `start` a
//! multiple of the slide (the size for tumbling). A session window
//! (`session D`) is `[first event, last event + D)` per key; two sessions of
//! a key merge when they overlap or touch (Flink's rule, so a pipeline gives
//! Flink's rows). A window closes when the watermark reaches its last
//! millisecond: `watermark ≥ end − 1`. Its rows carry event time `end − 1`.
//!
//! This module only computes windows; it holds no state.

use crate::lang::ast::WindowKind;
use crate::timefmt::Millis;

/// Most windows one event may fall into (`every D slide S` with D/S larger
/// than this is refused at plan time: every event would touch that many).
pub const MAX_WINDOWS_PER_EVENT: i64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    pub kind: WindowKind,
}

impl Windows {
    /// Check the durations: positive, and a slide that leaves no gaps and
    /// gives a bounded number of windows per event.
    pub fn new(kind: WindowKind) -> Result<Windows, String> {
        match kind {
            WindowKind::Tumbling { size } if size <= 0 => {
                Err("a window must be longer than 0ms; write e.g. `every 1m`".into())
            }
            WindowKind::Hopping { size, slide } => {
                if size <= 0 || slide <= 0 {
                    Err("window size and slide must be longer than 0ms; write e.g. `every 1m slide 10s`".into())
                } else if slide > size {
                    Err(format!(
                        "slide {} is longer than the window {}: events between windows would be lost; use a slide up to the window size",
                        fmt_ms(slide),
                        fmt_ms(size)
                    ))
                } else if size / slide > MAX_WINDOWS_PER_EVENT {
                    Err(format!(
                        "every event would fall into {} windows (window {} / slide {}); use a slide of at least {}",
                        size / slide,
                        fmt_ms(size),
                        fmt_ms(slide),
                        fmt_ms(size.saturating_add(MAX_WINDOWS_PER_EVENT - 1) / MAX_WINDOWS_PER_EVENT)
                    ))
                } else {
                    Ok(Windows { kind })
                }
            }
            WindowKind::Session { gap } if gap <= 0 => {
                Err("a session gap must be longer than 0ms; write e.g. `session 5m`".into())
            }
            _ => Ok(Windows { kind }),
        }
    }

    pub fn is_session(&self) -> bool {
        matches!(self.kind, WindowKind::Session { .. })
    }

    /// Every `[start, end)` of a tumbling or hopping window holding `t`, in
    /// order of start (so also of end). Nothing for sessions: they depend on
    /// the key's other events (see [`session_of`]).
    pub fn each_window(&self, t: Millis, mut f: impl FnMut(Millis, Millis)) {
        let (size, slide) = match self.kind {
            WindowKind::Tumbling { size } => (size, size),
            WindowKind::Hopping { size, slide } => (size, slide),
            WindowKind::Session { .. } => return,
        };
        // Times so extreme that the window start overflows are in no window.
        let Some(last_start) = t.checked_sub(t.rem_euclid(slide)) else {
            return;
        };
        // First start s with s + size > t, a multiple of slide.
        let mut s = last_start;
        while let Some(prev) = s.checked_sub(slide) {
            match prev.checked_add(size) {
                Some(e) if e > t => s = prev,
                _ => break,
            }
        }
        while s <= last_start {
            f(s, s.saturating_add(size));
            match s.checked_add(slide) {
                Some(n) => s = n,
                None => break,
            }
        }
    }

    /// For `--explain`.
    pub fn describe(&self) -> String {
        match self.kind {
            WindowKind::Tumbling { size } => {
                format!("tumbling windows of {} (epoch-aligned)", fmt_ms(size))
            }
            WindowKind::Hopping { size, slide } => format!(
                "hopping windows of {} every {} (epoch-aligned)",
                fmt_ms(size),
                fmt_ms(slide)
            ),
            WindowKind::Session { gap } => {
                format!(
                    "session windows per key, closed after {} of silence",
                    fmt_ms(gap)
                )
            }
        }
    }
}

/// The session window an event at `t` opens on its own: `[t, t + gap)`.
pub fn session_of(t: Millis, gap: Millis) -> (Millis, Millis) {
    (t, t.saturating_add(gap))
}

/// Whether two windows overlap or touch, so their sessions merge.
pub fn sessions_meet(a: (Millis, Millis), b: (Millis, Millis)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

/// Whether a window ending at `end` has closed at watermark `wm`.
pub fn is_closed(end: Millis, wm: Millis) -> bool {
    wm >= end.saturating_sub(1)
}

/// The event time of a window's rows: its last millisecond.
pub fn row_time(end: Millis) -> Millis {
    end.saturating_sub(1)
}

/// A duration in the largest unit that divides it (`90s`, `5m`, `250ms`).
pub fn fmt_ms(ms: Millis) -> String {
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
    ] {
        if ms != 0 && ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(kind: WindowKind, t: Millis) -> Vec<(Millis, Millis)> {
        let mut v = Vec::new();
        Windows::new(kind)
            .unwrap()
            .each_window(t, |s, e| v.push((s, e)));
        v
    }

    #[test]
    fn tumbling_is_epoch_aligned() {
        let k = WindowKind::Tumbling { size: 60_000 };
        assert_eq!(all(k, 0), vec![(0, 60_000)]);
        assert_eq!(all(k, 59_999), vec![(0, 60_000)]);
        assert_eq!(all(k, 60_000), vec![(60_000, 120_000)]);
        assert_eq!(all(k, -1), vec![(-60_000, 0)]);
    }

    #[test]
    fn hopping_gives_every_window_holding_t() {
        let k = WindowKind::Hopping {
            size: 30,
            slide: 10,
        };
        assert_eq!(all(k, 25), vec![(0, 30), (10, 40), (20, 50)]);
        assert_eq!(all(k, 30), vec![(10, 40), (20, 50), (30, 60)]);
        let k = WindowKind::Hopping {
            size: 25,
            slide: 10,
        };
        assert_eq!(all(k, 24), vec![(0, 25), (10, 35), (20, 45)]);
        assert_eq!(all(k, 25), vec![(10, 35), (20, 45)]);
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        let k = WindowKind::Hopping {
            size: 30,
            slide: 10,
        };
        assert!(!all(k, i64::MAX).is_empty());
        assert!(!all(k, i64::MIN + 20).is_empty());
        all(k, i64::MIN);
        all(WindowKind::Tumbling { size: 7 }, i64::MIN);
    }

    #[test]
    fn bad_durations_are_refused() {
        assert!(Windows::new(WindowKind::Tumbling { size: 0 }).is_err());
        let e = Windows::new(WindowKind::Hopping {
            size: 10_000,
            slide: 60_000,
        })
        .unwrap_err();
        assert!(e.contains("slide 1m is longer than the window 10s"), "{e}");
        let e = Windows::new(WindowKind::Hopping {
            size: 86_400_000,
            slide: 1,
        })
        .unwrap_err();
        assert!(e.contains("use a slide of at least 8640ms"), "{e}");
    }

    #[test]
    fn closing_and_sessions() {
        assert!(!is_closed(60_000, 59_998));
        assert!(is_closed(60_000, 59_999));
        assert_eq!(row_time(60_000), 59_999);
        assert!(sessions_meet((0, 10), (10, 20)));
        assert!(!sessions_meet((0, 10), (11, 20)));
        assert_eq!(session_of(5, 10), (5, 15));
    }
}
