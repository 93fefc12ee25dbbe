//! Event time and the watermark (DESIGN §5).
//!
//! Event time is read where the pipeline first needs it (the first window,
//! `running … over D`, `dedup … within D` or windowed `top`), from the event
//! as it is there, so a field made by `parse`, `eval` or `rename` before
//! that stage can carry it. The chain (`exec::chain`) hands every event that
//! reaches that stage to `EventTime::read`; stages before it run without a time.
//!
//! The watermark is `max event time − lateness` and only moves forward. On a
//! quiet input it moves on with the wall clock after `--idle-timeout`, as if
//! an event had arrived at `last event time + time since the last input`.
//! Without a time field, event time is arrival time and the watermark is the
//! wall clock.
//!
//! Without `--time-field`, the first event there that has one of `ts`,
//! `timestamp`, `time`, `@timestamp` decides the field. Events before it that
//! have none (a banner or header line at the top of a log) are held, then
//! rejected as having no time field once one is found; only when none of the
//! first `DETECT_EVENTS` has one (or the input ends or goes quiet first) does
//! the run use arrival time, which it says once on stderr, and the held
//! events go on with the time they arrived.

use serde::{Deserialize, Serialize};

use super::state::{StateError, Version};
use crate::event::{Event, Held};
use crate::timefmt::Millis;
use crate::timefmt::{MinuteMemo, TimeFormat};
use crate::value::Value;

/// The field names tried, in order, when `--time-field` is not given.
pub const AUTO_FIELDS: [&str; 4] = ["ts", "timestamp", "time", "@timestamp"];

/// `--time-field @arrival`: choose arrival (processing) time, silently.
pub const ARRIVAL: &str = "@arrival";

/// How many events without a time field auto-detection looks at before it
/// settles on arrival time.
pub const DETECT_EVENTS: usize = 100;

#[derive(Debug, Clone, PartialEq)]
enum Source {
    /// Look for one of `AUTO_FIELDS`.
    Detect,
    Field(Vec<String>),
    /// No time field: arrival time.
    Processing,
}

pub struct EventTime {
    source: Source,
    format: TimeFormat,
    lateness: Millis,
    idle_timeout: Millis,
    max_seen: Option<Millis>,
    watermark: Millis,
    /// Wall-clock time of the last input: the arrival time of what is read now.
    last_input: Millis,
    memo: MinuteMemo,
    /// Events without a time field seen while detecting.
    held: Vec<Held>,
    /// Decided and not yet taken by the chain: held events to reject (a
    /// field was found after them) or to pass on (arrival time).
    decided: Vec<Held>,
    /// Why `decided` is rejected (`None`: it passes on arrival time).
    pending_reason: Option<String>,
    /// Where time is read, for messages (`count by status every 1m`).
    stage: String,
    /// The stage before sets an event's time from the `ts` it parsed
    /// (`plan::Plan::time_hint`): such a time is the `ts` field's.
    parsed_ts: bool,
}

/// What becomes of an event that reached the stage that reads time.
pub enum Verdict<'a> {
    /// Its time is set: pass it on.
    Pass(Event<'a>),
    /// No readable time: reject it with this reason.
    Reject(Event<'a>, String),
    /// Kept while the time field is being decided.
    Held,
}

/// What the chain does with events whose fate was decided later.
pub enum Decided {
    /// A time field was found after them: reject each, with this reason.
    Reject(Vec<Held>, String),
    /// Arrival time: pass each on, its time set.
    Pass(Vec<Held>),
}

impl EventTime {
    pub fn new(
        field: Option<&str>,
        format: TimeFormat,
        lateness: Millis,
        idle_timeout: Millis,
        now: Millis,
    ) -> EventTime {
        let source = match field {
            Some(ARRIVAL) => Source::Processing,
            Some(f) => Source::Field(f.split('.').map(str::to_owned).collect()),
            None => Source::Detect,
        };
        EventTime {
            source,
            format,
            lateness,
            idle_timeout,
            max_seen: None,
            watermark: Millis::MIN,
            last_input: now,
            memo: MinuteMemo::default(),
            held: Vec::new(),
            decided: Vec::new(),
            pending_reason: None,
            stage: String::new(),
            parsed_ts: false,
        }
    }

    /// The stage before sets the time of an event from the `ts` it parsed
    /// (and may not write `ts` itself): take that time as the `ts` field's.
    pub fn take_parsed_ts(&mut self) {
        self.parsed_ts = true;
    }

    /// Name the stage where time is read, for the arrival-time notice.
    pub fn set_stage(&mut self, stage: String) {
        self.stage = stage;
    }

    /// Where time comes from, for `--explain`.
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Detect => format!(
                "the first of {} in the first event there that has one (events before it without one are rejected), else arrival time",
                AUTO_FIELDS.join(", ")
            ),
            Source::Field(p) => format!("field `{}`", p.join(".")),
            Source::Processing => "arrival (processing) time".into(),
        }
    }

    pub fn is_processing_time(&self) -> bool {
        self.source == Source::Processing
    }

    pub fn watermark(&self) -> Millis {
        self.watermark
    }

    /// Input arrived (any bytes): restarts the idle clock, and is the
    /// arrival time of the events read from it.
    pub fn saw_input(&mut self, now: Millis) {
        self.last_input = now;
    }

    /// An event reached the stage that needs time.
    pub fn read<'a>(&mut self, mut ev: Event<'a>) -> Verdict<'a> {
        if let Some(t) = ev.time().filter(|_| self.parsed_ts) {
            if self.source == Source::Detect {
                self.found_field(AUTO_FIELDS[0]);
            }
            if matches!(&self.source, Source::Field(p) if p.len() == 1 && p[0] == AUTO_FIELDS[0]) {
                self.max_seen = Some(self.max_seen.map_or(t, |m| m.max(t)));
                return Verdict::Pass(ev);
            }
        }
        if self.source == Source::Detect {
            match AUTO_FIELDS.iter().find(|f| ev.get(f).is_some()) {
                Some(f) => self.found_field(f),
                None => {
                    self.held.push(Held::new(&ev, self.last_input));
                    if self.held.len() >= DETECT_EVENTS {
                        self.settle_on_arrival();
                    }
                    return Verdict::Held;
                }
            }
        }
        match self.assign(&mut ev) {
            Ok(()) => Verdict::Pass(ev),
            Err(reason) => Verdict::Reject(ev, reason),
        }
    }

    /// Detection found the time field `f`: events held before it have none.
    fn found_field(&mut self, f: &str) {
        self.source = Source::Field(vec![f.to_string()]);
        if !self.held.is_empty() {
            let reason = format!(
                "no time field (later events have `{f}`; this one has none of {})",
                AUTO_FIELDS.join(", ")
            );
            self.decided_reject(reason);
        }
    }

    fn decided_reject(&mut self, reason: String) {
        self.decided = std::mem::take(&mut self.held);
        self.pending_reason = Some(reason);
    }

    /// Held events whose fate was decided since the last call.
    pub fn take_decided(&mut self) -> Option<Decided> {
        if self.decided.is_empty() {
            return None;
        }
        let held = std::mem::take(&mut self.decided);
        Some(match self.pending_reason.take() {
            Some(reason) => Decided::Reject(held, reason),
            None => Decided::Pass(held),
        })
    }

    /// Still detecting, with events held: go on with arrival time (the
    /// input ended or went quiet before any event had a time field).
    fn settle_on_arrival(&mut self) {
        self.source = Source::Processing;
        let stage = if self.stage.is_empty() {
            String::new()
        } else {
            format!(" reaching `{}`", self.stage)
        };
        crate::progress::eprintln(&format!(
            "streamctl: no time field ({}) in the first {} event(s){stage}; windows use arrival time \
             (give --time-field F, or --time-field {ARRIVAL} to choose this)",
            AUTO_FIELDS.join(", "),
            self.held.len(),
        ));
        for h in &self.held {
            self.max_seen = Some(self.max_seen.map_or(h.arrival, |m| m.max(h.arrival)));
        }
        self.decided = std::mem::take(&mut self.held);
        self.pending_reason = None;
    }

    /// The input ended: events still held go on with arrival time.
    pub fn finish(&mut self) {
        if self.source == Source::Detect && !self.held.is_empty() {
            self.settle_on_arrival();
        }
    }

    /// Set `ev.time()`. An event without a readable time is rejected with the reason.
    fn assign(&mut self, ev: &mut Event<'_>) -> Result<(), String> {
        let t = match &self.source {
            Source::Field(path) => {
                // Hot path: a plain RFC 3339 / epoch string read off the raw
                // bytes, without decoding it into a String.
                if let (TimeFormat::Auto, [top]) = (&self.format, path.as_slice()) {
                    let memo = &mut self.memo;
                    if let Some(t) = ev.get_raw_json(top).and_then(|r| raw_auto_time(r, memo)) {
                        ev.set_time(Some(t));
                        self.max_seen = Some(self.max_seen.map_or(t, |m| m.max(t)));
                        return Ok(());
                    }
                }
                let name = || path.join(".");
                let v = ev.get_path(path);
                // A string a stage made (`parse nginx`'s `ts`): by the memo too.
                if let (TimeFormat::Auto, Some(Value::String(s))) = (&self.format, v.as_deref()) {
                    if let Some(t) = self.memo.parse_auto(s.as_bytes()) {
                        ev.set_time(Some(t));
                        self.max_seen = Some(self.max_seen.map_or(t, |m| m.max(t)));
                        return Ok(());
                    }
                }
                match v.as_deref() {
                    None | Some(Value::Null) => return Err(format!("no time field `{}`", name())),
                    Some(v) => self.format.parse(v).ok_or_else(|| {
                        let why = match self.format.parse_unbounded(v) {
                            Some(_) => format!(" ({})", crate::timefmt::RANGE_TEXT),
                            None => String::new(),
                        };
                        format!(
                            "unparsable timestamp in `{}`: {}{why}",
                            name(),
                            short_text(v)
                        )
                    })?,
                }
            }
            _ => self.last_input,
        };
        ev.set_time(Some(t));
        self.max_seen = Some(self.max_seen.map_or(t, |m| m.max(t)));
        Ok(())
    }

    /// After an event: the new watermark, if it moved.
    pub fn advance(&mut self) -> Option<Millis> {
        let candidate = match self.source {
            Source::Processing => self.max_seen?,
            _ => self.max_seen?.saturating_sub(self.lateness),
        };
        self.raise(candidate)
    }

    /// On a quiet input: the watermark moves with the wall clock. Still
    /// detecting after `--idle-timeout` of quiet, the held events go on with
    /// arrival time (`take_decided`), so a slow `tail -F` is not held back.
    pub fn on_idle(&mut self, now: Millis) -> Option<Millis> {
        let quiet = now - self.last_input;
        match self.source {
            Source::Processing => self.raise(now),
            Source::Detect => {
                if quiet >= self.idle_timeout && !self.held.is_empty() {
                    self.settle_on_arrival();
                    return self.raise(now);
                }
                None
            }
            Source::Field(_) => {
                if quiet < self.idle_timeout {
                    return None;
                }
                let max = self.max_seen?;
                self.raise((max + quiet).saturating_sub(self.lateness))
            }
        }
    }

    /// Flink's watermark starts at the epoch (0) and is emitted only when it
    /// passes it, so before 1970 no window closes early and no event is late:
    /// the same here (DESIGN §5: the rules are Flink's).
    fn raise(&mut self, candidate: Millis) -> Option<Millis> {
        (candidate > self.watermark.max(0)).then(|| {
            self.watermark = candidate;
            candidate
        })
    }

    /// For checkpoints: what must survive a restart (small: the events held
    /// while detecting are at most a few).
    pub fn snapshot(&self) -> serde_json::Value {
        let st = EventTimeOut {
            version: Version,
            field: match &self.source {
                Source::Field(p) => Some(p.join(".")),
                _ => None,
            },
            processing: self.source == Source::Processing,
            max_seen: self.max_seen,
            watermark: self.watermark,
            held: &self.held,
        };
        serde_json::to_value(st).unwrap_or_default()
    }

    pub fn restore(&mut self, v: &serde_json::Value) -> Result<(), StateError> {
        let st = EventTimeIn::deserialize(v)?;
        if let Some(f) = st.field {
            self.source = Source::Field(f.split('.').map(str::to_owned).collect());
        } else if st.processing {
            self.source = Source::Processing;
        }
        self.max_seen = st.max_seen;
        self.watermark = st.watermark;
        self.held = st.held.unwrap_or_default();
        Ok(())
    }
}

/// What a checkpoint keeps of event time: where it comes from, how far it
/// got, and the events held while detecting a time field.
#[derive(Serialize)]
struct EventTimeOut<'a> {
    version: Version<1>,
    field: Option<String>,
    processing: bool,
    max_seen: Option<Millis>,
    watermark: Millis,
    held: &'a [Held],
}

#[derive(Deserialize)]
struct EventTimeIn {
    #[serde(default)]
    #[allow(dead_code)]
    version: Version<1>,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    processing: bool,
    #[serde(default)]
    max_seen: Option<Millis>,
    watermark: Millis,
    #[serde(default)]
    held: Option<Vec<Held>>,
}

/// `auto` time of a raw JSON string without escapes; anything else (numbers,
/// escapes, failures) goes the general way, which also words the error.
fn raw_auto_time(raw: &[u8], memo: &mut MinuteMemo) -> Option<Millis> {
    let inner = raw.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    // memchr, not `contains`: this runs once per event, and std's generic
    // search was 2% of a windowed count (W3).
    if memchr::memchr(b'\\', inner).is_some() {
        return None;
    }
    memo.parse_auto(inner)
}

/// A value as shown in a message: JSON text, cut at 60 characters.
fn short_text(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Pos};
    use crate::input::json_index::index_object;

    fn feed(et: &mut EventTime, line: &str) -> Result<Option<Millis>, String> {
        let mut idx = Vec::new();
        index_object(line.as_bytes(), &mut idx).unwrap();
        let ev = Event::from_json_line(line.as_bytes(), &idx, Pos::default());
        match et.read(ev) {
            Verdict::Pass(_) => Ok(et.advance()),
            Verdict::Reject(_, reason) => Err(reason),
            Verdict::Held => Err("held".into()),
        }
    }

    #[test]
    fn a_banner_before_the_first_time_field_is_held_then_rejected() {
        let mut et = EventTime::new(None, TimeFormat::Auto, 0, 1000, 0);
        assert_eq!(
            feed(&mut et, r#"{"line":"log opened"}"#).unwrap_err(),
            "held"
        );
        assert!(et.take_decided().is_none());
        assert_eq!(feed(&mut et, r#"{"ts":10}"#).unwrap(), Some(10_000));
        match et.take_decided() {
            Some(Decided::Reject(held, reason)) => {
                assert_eq!(held.len(), 1);
                assert!(reason.contains("later events have `ts`"), "{reason}");
            }
            _ => panic!("the banner is rejected"),
        }
        assert!(!et.is_processing_time());
    }

    #[test]
    fn without_any_time_field_held_events_go_on_at_arrival_time() {
        let mut et = EventTime::new(None, TimeFormat::Auto, 0, 1000, 0);
        et.saw_input(500);
        for _ in 0..DETECT_EVENTS - 1 {
            assert_eq!(feed(&mut et, r#"{"a":1}"#).unwrap_err(), "held");
        }
        assert!(et.take_decided().is_none());
        assert_eq!(feed(&mut et, r#"{"a":1}"#).unwrap_err(), "held");
        match et.take_decided() {
            Some(Decided::Pass(held)) => assert_eq!(held.len(), DETECT_EVENTS),
            _ => panic!("arrival time"),
        }
        assert!(et.is_processing_time());
        assert_eq!(et.advance(), Some(500));
    }

    #[test]
    fn a_quiet_input_settles_detection_on_arrival_time() {
        let mut et = EventTime::new(None, TimeFormat::Auto, 0, 1000, 0);
        assert_eq!(feed(&mut et, r#"{"a":1}"#).unwrap_err(), "held");
        assert_eq!(et.on_idle(500), None);
        assert_eq!(et.on_idle(1000), Some(1000));
        assert!(matches!(et.take_decided(), Some(Decided::Pass(h)) if h.len() == 1));
    }

    #[test]
    fn held_events_survive_a_snapshot() {
        let mut et = EventTime::new(None, TimeFormat::Auto, 0, 1000, 0);
        assert_eq!(feed(&mut et, r#"{"a":1}"#).unwrap_err(), "held");
        let snap = et.snapshot();
        let mut again = EventTime::new(None, TimeFormat::Auto, 0, 1000, 0);
        again.restore(&snap).unwrap();
        again.finish();
        match again.take_decided() {
            Some(Decided::Pass(h)) => assert_eq!(h[0].event().get("a").unwrap().as_i64(), Some(1)),
            _ => panic!("held event restored"),
        }
    }

    #[test]
    fn watermark_is_max_minus_lateness_and_never_goes_back() {
        let mut et = EventTime::new(None, TimeFormat::Auto, 5000, 1000, 0);
        assert_eq!(
            feed(&mut et, r#"{"ts":10000}"#).unwrap(),
            Some(10_000_000 - 5000)
        );
        assert_eq!(feed(&mut et, r#"{"ts":9000}"#).unwrap(), None);
        assert!(feed(&mut et, r#"{"ts":"yesterday"}"#)
            .unwrap_err()
            .contains("unparsable timestamp in `ts`"));
        assert_eq!(et.watermark(), 9_995_000);
    }

    #[test]
    fn the_watermark_starts_at_the_epoch_as_flinks() {
        let mut et = EventTime::new(None, TimeFormat::Auto, 5000, 1000, 0);
        assert_eq!(
            feed(&mut et, r#"{"ts":"1969-12-31T23:00:00Z"}"#).unwrap(),
            None
        );
        assert_eq!(
            feed(&mut et, r#"{"ts":"1970-01-01T00:00:05Z"}"#).unwrap(),
            None,
            "0 is not past the epoch"
        );
        assert_eq!(
            feed(&mut et, r#"{"ts":"1970-01-01T00:00:05.001Z"}"#).unwrap(),
            Some(1)
        );
        assert_eq!(et.watermark(), 1);
    }

    #[test]
    fn idle_input_moves_the_watermark_with_the_wall_clock() {
        let mut et = EventTime::new(Some("t"), TimeFormat::Auto, 5000, 1000, 0);
        feed(&mut et, r#"{"t":1000}"#).unwrap();
        et.saw_input(100);
        assert_eq!(et.on_idle(600), None, "not idle long enough");
        assert_eq!(et.on_idle(1100), Some(1_000_000 + 1000 - 5000));
        assert_eq!(et.on_idle(10_100), Some(1_000_000 + 10_000 - 5000));
    }
}
