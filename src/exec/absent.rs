//! Fields that are never there (issue 15): a field a stage reads that no
//! event reaching that stage had is almost always a typo or a wrong guess
//! at the log's shape (`status` where the log has `req.status`), and the
//! run would otherwise end with no rows and no word why.
//!
//! The chain keeps one `Watch` per stage. Each holds the paths the stage
//! reads that no event there had yet; an event takes each one it has off
//! the list, so once every field was seen the cost per event is one
//! `is_empty`. The names events do have are sampled (a few events, then
//! ever rarer ones) for the did-you-mean. The run says what is still
//! missing once, after the first `NOTICE_AFTER` events and at exit; what
//! was said is not watched any more. It never changes what a stage does.

use crate::event::Event;
use crate::value::Value;

/// Events read before the fields still missing are named, on a long run.
pub const NOTICE_AFTER: u64 = 10_000;

/// At most this many names seen are kept per stage for the did-you-mean.
const NAMES_KEPT: usize = 256;

/// Nested objects are named down to this depth (`a.b.c`).
const NAME_DEPTH: usize = 3;

#[derive(Debug, Default)]
pub struct Watch {
    /// Paths this stage reads that no event reaching it had yet.
    missing: Vec<Vec<String>>,
    /// Events that reached the stage while something was missing.
    events: u64,
    /// Field names sampled from those events, nested ones dotted.
    seen: Vec<String>,
    /// Fields a `parse` before this stage makes on a matching line but
    /// left out, as nothing up to here reads them: near names too.
    unmade: Vec<String>,
}

impl Watch {
    /// A stage that reads `reads`.
    pub fn new(reads: Vec<Vec<String>>) -> Watch {
        Watch {
            missing: reads,
            ..Watch::default()
        }
    }

    /// The fields a `parse` before this stage leaves out as unread.
    pub fn with_unmade(mut self, unmade: Vec<String>) -> Watch {
        self.unmade = unmade;
        self
    }

    /// An event reached the stage.
    #[inline]
    pub fn look(&mut self, ev: &Event<'_>) {
        if !self.missing.is_empty() {
            self.look_missing(ev);
        }
    }

    fn look_missing(&mut self, ev: &Event<'_>) {
        self.events += 1;
        self.missing.retain(|p| ev.get_path(p).is_none());
        let n = self.events;
        if !self.missing.is_empty()
            && self.seen.len() < NAMES_KEPT
            && (n <= 4 || n.is_power_of_two() || n.is_multiple_of(1024))
        {
            for (k, v) in ev.to_map().iter() {
                name_fields(k, v, 1, &mut self.seen);
            }
        }
    }
}

fn name_fields(name: &str, v: &Value, depth: usize, seen: &mut Vec<String>) {
    if seen.len() >= NAMES_KEPT {
        return;
    }
    if !seen.iter().any(|s| s == name) {
        seen.push(name.to_owned());
    }
    if let (Value::Object(m), true) = (v, depth < NAME_DEPTH) {
        for (k, v) in m {
            name_fields(&format!("{name}.{k}"), v, depth + 1, seen);
        }
    }
}

/// What is still missing at stages that had events, one message per field
/// name (the first stage that reads it), in stage order; each is taken off
/// the watch lists, so it is said once. `said` holds the names already
/// reported by an earlier call.
pub fn take_notices(watches: &mut [Watch], said: &mut Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    for w in watches.iter_mut().filter(|w| w.events > 0) {
        for path in std::mem::take(&mut w.missing) {
            let name = path.join(".");
            if said.contains(&name) {
                continue;
            }
            out.push(notice(&name, &w.seen, &w.unmade));
            said.push(name);
        }
    }
    out
}

/// `field `status` was never present; did you mean `req.status`?`, or the
/// names seen when none is near (and those a `parse` before makes but
/// left out, `unmade`, as the events would have had them).
fn notice(name: &str, seen: &[String], unmade: &[String]) -> String {
    let mut s = format!("field `{name}` was never present");
    let unmade: Vec<String> = unmade
        .iter()
        .filter(|u| !seen.contains(u))
        .cloned()
        .collect();
    let near = [seen, &unmade[..]].concat();
    if let Some(near) = nearest(name, &near) {
        s.push_str(&format!("; did you mean `{near}`?"));
        return s;
    }
    let made = if unmade.is_empty() {
        String::new()
    } else {
        format!("; the parse before it also makes: {}", unmade.join(", "))
    };
    if seen.is_empty() {
        s.push_str(&format!(" (the events there had no fields{made})"));
    } else {
        const SHOWN: usize = 8;
        let top: Vec<&str> = seen
            .iter()
            .filter(|n| !n.contains('.') || seen.len() <= SHOWN)
            .take(SHOWN)
            .map(String::as_str)
            .collect();
        let more = if seen.len() > top.len() { ", …" } else { "" };
        s.push_str(&format!(" (fields seen: {}{more}{made})", top.join(", ")));
    }
    s
}

/// The name seen nearest to `want`: the same last part under another
/// parent (`status` → `req.status`), or a small edit away (a typo, a case
/// difference) as a whole or in its last part.
fn nearest<'s>(want: &str, seen: &'s [String]) -> Option<&'s str> {
    let last = |s: &str| s.rsplit('.').next().unwrap_or(s).to_owned();
    let want_last = last(want).to_lowercase();
    // One edit in a name of one or two letters is any other short name.
    let limit = match want_last.chars().count() {
        0..=2 => 0,
        3..=4 => 1,
        _ => 2,
    };
    seen.iter()
        .filter(|s| s.as_str() != want)
        .filter_map(|s| {
            let whole = strsim::damerau_levenshtein(&want.to_lowercase(), &s.to_lowercase());
            let part = strsim::damerau_levenshtein(&want_last, &last(s).to_lowercase());
            let d = whole.min(part);
            (d <= limit).then_some(((d, whole, s.len()), s.as_str()))
        })
        .min_by_key(|(k, _)| *k)
        .map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_field_under_another_parent_is_suggested() {
        let seen = names(&["ts", "req", "req.path", "req.status"]);
        assert_eq!(nearest("status", &seen), Some("req.status"));
        assert_eq!(nearest("req.stauts", &seen), Some("req.status"));
        assert_eq!(nearest("Status", &seen), Some("req.status"));
    }

    #[test]
    fn a_typo_is_suggested_and_a_stranger_is_not() {
        let seen = names(&["status", "path", "latency_ms"]);
        assert_eq!(nearest("staus", &seen), Some("status"));
        assert_eq!(nearest("latency", &seen), None);
        assert_eq!(nearest("host", &seen), None);
        assert_eq!(nearest("pth", &seen), Some("path"));
        assert_eq!(nearest("x", &names(&["a", "ts"])), None);
        assert_eq!(nearest("Ts", &names(&["a", "ts"])), Some("ts"));
    }

    #[test]
    fn without_a_near_name_the_names_seen_are_listed() {
        assert_eq!(
            notice("host", &names(&["ts", "path", "req", "req.ip"]), &[]),
            "field `host` was never present (fields seen: ts, path, req, req.ip)"
        );
        assert_eq!(
            notice("x", &[], &[]),
            "field `x` was never present (the events there had no fields)"
        );
    }

    #[test]
    fn fields_a_parse_left_out_as_unread_are_near_names_and_listed() {
        let unmade = names(&["ip", "status", "user_agent"]);
        assert_eq!(
            notice("stauts", &names(&["line", "ts"]), &unmade),
            "field `stauts` was never present; did you mean `status`?"
        );
        assert_eq!(
            notice("agent", &names(&["line", "ts"]), &unmade),
            "field `agent` was never present (fields seen: line, ts; the parse before it also makes: ip, status, user_agent)"
        );
    }

    #[test]
    fn each_field_is_said_once_and_only_where_events_came() {
        let mut ws = vec![
            Watch::new(vec![vec!["a".into()]]),
            Watch::new(vec![vec!["a".into()], vec!["b".into()]]),
            Watch::new(vec![vec!["c".into()]]),
        ];
        ws[0].events = 1;
        ws[1].events = 1;
        let mut said = Vec::new();
        let got = take_notices(&mut ws, &mut said);
        assert_eq!(
            got,
            [
                "field `a` was never present (the events there had no fields)",
                "field `b` was never present (the events there had no fields)"
            ]
        );
        assert!(take_notices(&mut ws, &mut said).is_empty());
        ws[2].events = 1;
        assert_eq!(take_notices(&mut ws, &mut said).len(), 1);
    }
}
