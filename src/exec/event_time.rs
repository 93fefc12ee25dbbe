//! Event time and the watermark (DESIGN §5), kept by the main loop.
//!
//! The watermark is `max event time − lateness` and only moves forward. On a
//! quiet input it moves on with the wall clock after `--idle-timeout`, as if
//! an event had arrived at `last event time + time since the last input`.
//! Without a time field, event time is arrival time and the watermark is the
//! wall clock.

use crate::event::Event;
use crate::timefmt::Millis;
use crate::timefmt::{MinuteMemo, TimeFormat};
use crate::value::Value;

/// The field names tried, in order, when `--time-field` is not given.
pub const AUTO_FIELDS: [&str; 4] = ["ts", "timestamp", "time", "@timestamp"];

#[derive(Debug, Clone, PartialEq)]
enum Source {
    /// Look at the first event.
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
    /// Wall-clock time of the last input.
    last_input: Millis,
    memo: MinuteMemo,
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
        }
    }

    /// The time field in use, or None for processing time (after the first event).
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Detect => format!(
                "the first of {} present in the first event, else arrival time",
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

    /// Input arrived (any bytes): restarts the idle clock.
    pub fn saw_input(&mut self, now: Millis) {
        self.last_input = now;
    }

    /// Set `ev.time`. An event without a readable time is rejected with the reason.
    pub fn assign(&mut self, ev: &mut Event<'_>, now: Millis) -> Result<(), String> {
        if self.source == Source::Detect {
            self.source = AUTO_FIELDS
                .iter()
                .find(|f| ev.get(f).is_some())
                .map(|f| Source::Field(vec![f.to_string()]))
                .unwrap_or(Source::Processing);
        }
        let t = match &self.source {
            Source::Field(path) => {
                // Hot path: a plain RFC 3339 / epoch string read off the raw
                // bytes, without decoding it into a String.
                if let (TimeFormat::Auto, [top]) = (&self.format, path.as_slice()) {
                    let memo = &mut self.memo;
                    if let Some(t) = ev.get_raw_json(top).and_then(|r| raw_auto_time(r, memo)) {
                        ev.time = Some(t);
                        self.max_seen = Some(self.max_seen.map_or(t, |m| m.max(t)));
                        return Ok(());
                    }
                }
                let name = || path.join(".");
                match ev.get_path(path).as_deref() {
                    None | Some(Value::Null) => return Err(format!("no time field `{}`", name())),
                    Some(v) => self.format.parse(v).ok_or_else(|| {
                        format!("unparsable timestamp in `{}`: {}", name(), short_text(v))
                    })?,
                }
            }
            _ => now,
        };
        ev.time = Some(t);
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

    /// On a quiet input: the watermark moves with the wall clock.
    pub fn on_idle(&mut self, now: Millis) -> Option<Millis> {
        match self.source {
            Source::Processing => self.raise(now),
            Source::Detect => None,
            Source::Field(_) => {
                let quiet = now - self.last_input;
                if quiet < self.idle_timeout {
                    return None;
                }
                let max = self.max_seen?;
                self.raise((max + quiet).saturating_sub(self.lateness))
            }
        }
    }

    fn raise(&mut self, candidate: Millis) -> Option<Millis> {
        (candidate > self.watermark).then(|| {
            self.watermark = candidate;
            candidate
        })
    }

    /// For checkpoints: what must survive a restart.
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "field": match &self.source { Source::Field(p) => Some(p.join(".")), _ => None },
            "processing": self.source == Source::Processing,
            "max_seen": self.max_seen,
            "watermark": self.watermark,
        })
    }

    pub fn restore(&mut self, v: &serde_json::Value) -> Result<(), String> {
        if let Some(f) = v.get("field").and_then(|f| f.as_str()) {
            self.source = Source::Field(f.split('.').map(str::to_owned).collect());
        } else if v.get("processing").and_then(|p| p.as_bool()) == Some(true) {
            self.source = Source::Processing;
        }
        self.max_seen = v.get("max_seen").and_then(|m| m.as_i64());
        self.watermark = v
            .get("watermark")
            .and_then(|m| m.as_i64())
            .ok_or("event time: no watermark")?;
        Ok(())
    }
}

/// `auto` time of a raw JSON string without escapes; anything else (numbers,
/// escapes, failures) goes the general way, which also words the error.
fn raw_auto_time(raw: &[u8], memo: &mut MinuteMemo) -> Option<Millis> {
    let inner = raw.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if inner.contains(&b'\\') {
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
        let mut ev = Event::from_json_line(line.as_bytes(), &idx, Pos::default());
        et.assign(&mut ev, 0)?;
        Ok(et.advance())
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
    fn idle_input_moves_the_watermark_with_the_wall_clock() {
        let mut et = EventTime::new(Some("t"), TimeFormat::Auto, 5000, 1000, 0);
        feed(&mut et, r#"{"t":1000}"#).unwrap();
        et.saw_input(100);
        assert_eq!(et.on_idle(600), None, "not idle long enough");
        assert_eq!(et.on_idle(1100), Some(1_000_000 + 1000 - 5000));
        assert_eq!(et.on_idle(10_100), Some(1_000_000 + 10_000 - 5000));
    }
}
