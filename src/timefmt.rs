//! Timestamps: reading event times (`--time-format`, the `time()` function) and
//! writing them (`window_start`, `window_end`). Every time inside streamctl is
//! integer epoch milliseconds, UTC.
//!
//! `auto` is parsed by hand (no allocation, no chrono) because it runs once per
//! event on the hot path; strftime patterns go through chrono. Nothing here
//! knows about events or fields, and nothing panics on any input.

use crate::value::Value;
use chrono::format::{Item, Parsed, StrftimeItems};

/// Milliseconds, the unit of every duration and event time in streamctl.
pub type Millis = i64;

/// The earliest event time read: 0000-01-01T00:00:00Z. Event times are the
/// years RFC 3339 can write; outside them a timestamp is unparsable (it would
/// move the watermark past every real event). Epoch numbers are told apart by
/// magnitude (seconds, ms, µs, ns: see `epoch_int`).
pub const MIN_TIME: Millis = -62_167_219_200_000;
/// The last event time read: 9999-12-31T23:59:59.999Z.
pub const MAX_TIME: Millis = 253_402_300_799_999;
/// The longest duration (window, lateness, timeout…): the whole span of event
/// time, 10,000 years of 365.2425 days (`3652425d`), so that an event time
/// plus or minus one never overflows.
pub const MAX_DURATION: Millis = MAX_TIME - MIN_TIME + 1;
/// How the range is said in messages.
pub const RANGE_TEXT: &str = "outside the years 0000 to 9999 that RFC 3339 writes";

/// `t` if it is within the years RFC 3339 writes.
pub fn in_range(t: Millis) -> Option<Millis> {
    (MIN_TIME..=MAX_TIME).contains(&t).then_some(t)
}

/// How `--time-format` reads the time field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TimeFormat {
    /// RFC 3339 / ISO 8601, epoch seconds or milliseconds, common-log.
    #[default]
    Auto,
    /// A chrono strftime pattern, e.g. `%d/%m/%Y %H:%M:%S`.
    Strftime(String),
}

impl TimeFormat {
    /// `auto` or a strftime pattern; an invalid pattern is an error message for the user.
    pub fn parse_arg(s: &str) -> Result<TimeFormat, String> {
        if s == "auto" {
            return Ok(TimeFormat::Auto);
        }
        if s.is_empty() {
            return Err(
                "--time-format is empty: give `auto` or a strftime pattern like `%Y-%m-%d %H:%M:%S`".into()
            );
        }
        let mut any_spec = false;
        for item in StrftimeItems::new(s) {
            match item {
                Item::Error => {
                    return Err(format!(
                        "invalid --time-format `{s}`: unknown or incomplete `%` specifier"
                    ))
                }
                Item::Numeric(..) | Item::Fixed(_) => any_spec = true,
                _ => {}
            }
        }
        if !any_spec {
            return Err(format!(
                "invalid --time-format `{s}`: it has no `%` specifier (e.g. `%Y-%m-%dT%H:%M:%S`)"
            ));
        }
        Ok(TimeFormat::Strftime(s.to_owned()))
    }

    /// The value as epoch milliseconds, or `None` when it is not a time in
    /// this format or not within `MIN_TIME..=MAX_TIME`.
    pub fn parse(&self, v: &Value) -> Option<i64> {
        self.parse_unbounded(v).and_then(in_range)
    }

    /// `parse` without the range check: tells an error message that the
    /// value is a time, only out of range.
    pub fn parse_unbounded(&self, v: &Value) -> Option<i64> {
        match self {
            TimeFormat::Auto => parse_auto_unbounded(v),
            TimeFormat::Strftime(fmt) => match v {
                Value::String(s) => parse_strftime(s.trim(), fmt),
                Value::Number(n) => parse_strftime(&n.to_string(), fmt),
                _ => None,
            },
        }
    }
}

/// `auto`: numbers are epoch seconds, milliseconds, microseconds or
/// nanoseconds by magnitude (see `epoch_int`); strings are numeric text read
/// the same way, RFC 3339 / ISO 8601 (a space for `T`, a comma or dot
/// fraction), common-log, syslog without a year (`Mar  1 12:00:05`), or the
/// Apache error log's `Sun Mar 01 12:00:05.123456 2026`, in `[…]` or not.
pub fn parse_auto(v: &Value) -> Option<i64> {
    parse_auto_unbounded(v).and_then(in_range)
}

fn parse_auto_unbounded(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                epoch_int(i)
            } else if n.is_u64() {
                None
            } else {
                epoch_float(n.as_f64()?)
            }
        }
        Value::String(s) => parse_auto_str_unbounded(s),
        _ => None,
    }
}

/// `auto` on text, remembering the minute of the last `YYYY-MM-DDTHH:MM:SS.mmmZ`
/// timestamp: log lines come in time order, so most share it, and then only
/// the seconds and milliseconds need reading. Gives what `parse_auto_str` gives.
#[derive(Debug, Default, Clone)]
pub struct MinuteMemo {
    /// The first 16 bytes (`YYYY-MM-DDTHH:MM`) and that minute in epoch ms.
    minute: Option<([u8; 16], i64)>,
}

impl MinuteMemo {
    pub fn parse_auto(&mut self, text: &[u8]) -> Option<i64> {
        if let (Some((prefix, base)), Some(rest)) = (&self.minute, zulu_ms_tail(text)) {
            if text[..16] == prefix[..] {
                return in_range(base + rest);
            }
        }
        let t = parse_auto_str(std::str::from_utf8(text).ok()?)?;
        if let Some(rest) = zulu_ms_tail(text) {
            let mut prefix = [0; 16];
            prefix.copy_from_slice(&text[..16]);
            self.minute = Some((prefix, t - rest));
        }
        Some(t)
    }
}

/// For text shaped `????????????????:SS.mmmZ` (24 bytes), `SS * 1000 + mmm`
/// when SS is at most 60 (what `to_ms` accepts).
fn zulu_ms_tail(b: &[u8]) -> Option<i64> {
    if b.len() != 24 || b[16] != b':' || b[19] != b'.' || b[23] != b'Z' {
        return None;
    }
    let s = num(b, 17, 2)?;
    let ms = num(b, 20, 3)?;
    (s <= 60).then_some(i64::from(s) * 1000 + i64::from(ms))
}

/// `auto` on text, within `MIN_TIME..=MAX_TIME`.
pub fn parse_auto_str(s: &str) -> Option<i64> {
    parse_auto_str_unbounded(s).and_then(in_range)
}

fn parse_auto_str_unbounded(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() >= 10 && b[4] == b'-' {
        return parse_iso(b);
    }
    if b.len() >= 20 && (b[2] == b'/' || b[0] == b'[') {
        if let Some(t) = parse_clf(b) {
            return Some(t);
        }
        return parse_apache_error_time(s);
    }
    if (b.len() == 14 || b.len() == 15) && b[3] == b' ' && b[0].is_ascii_alphabetic() {
        return parse_syslog_time(s, now_ms());
    }
    if b.len() >= 24 && b[3] == b' ' && b[0].is_ascii_alphabetic() {
        return parse_apache_error_time(s);
    }
    decimal_epoch_ms(b)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Common log format `10/Oct/2000:13:55:36 -0700`, in `[…]` or not.
pub fn parse_clf_text(s: &str) -> Option<i64> {
    parse_clf(s.as_bytes())
}

/// `Jan`…`Dec` (any case) as 1…12.
fn month(b: &[u8]) -> Option<u32> {
    Some(
        match [b.first()? | 0x20, b.get(1)? | 0x20, b.get(2)? | 0x20] {
            [b'j', b'a', b'n'] => 1,
            [b'f', b'e', b'b'] => 2,
            [b'm', b'a', b'r'] => 3,
            [b'a', b'p', b'r'] => 4,
            [b'm', b'a', b'y'] => 5,
            [b'j', b'u', b'n'] => 6,
            [b'j', b'u', b'l'] => 7,
            [b'a', b'u', b'g'] => 8,
            [b's', b'e', b'p'] => 9,
            [b'o', b'c', b't'] => 10,
            [b'n', b'o', b'v'] => 11,
            [b'd', b'e', b'c'] => 12,
            _ => return None,
        },
    )
}

/// A day of the month written `01`, ` 1` or `1 ` in two bytes.
fn day2(b: &[u8]) -> Option<u32> {
    match b {
        [b' ', d] | [d, b' '] if d.is_ascii_digit() => Some((d - b'0') as u32),
        _ => num(b, 0, 2),
    }
}

/// `HH:MM:SS` at `b[i..]`.
fn hms(b: &[u8], i: usize) -> Option<(u32, u32, u32)> {
    if *b.get(i + 2)? != b':' || *b.get(i + 5)? != b':' {
        return None;
    }
    Some((num(b, i, 2)?, num(b, i + 3, 2)?, num(b, i + 6, 2)?))
}

/// Syslog's RFC 3164 date `Mar  1 12:00:05` (no year, no zone: UTC). The
/// year is `now`'s, or the one before when the date would then be more than
/// a day after `now` (a December line read in January), as rsyslog does.
pub fn parse_syslog_time(s: &str, now: i64) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 14 || b.len() != syslog_time_len(b) || b[3] != b' ' || b[b.len() - 9] != b' ' {
        return None;
    }
    let mo = month(b)?;
    let d = match b.len() {
        15 => day2(&b[4..6])?,
        _ => num(b, 4, 1)?,
    };
    let (h, mi, sec) = hms(b, b.len() - 8)?;
    let (year, _, _) = civil_from_days(now.div_euclid(86_400_000));
    let this_year = to_ms(year, mo, d, h, mi, sec, 0, 0);
    match this_year {
        Some(t) if t <= now + 86_400_000 => Some(t),
        // In the future, or Feb 29 of a year without one: the year before.
        _ => to_ms(year - 1, mo, d, h, mi, sec, 0, 0),
    }
}

/// How long the syslog date at the start of `b` is: 14 for `Mar 1 12:00:05`
/// (a one-digit day after one space), else 15 (`Mar  1 12:00:05`).
pub fn syslog_time_len(b: &[u8]) -> usize {
    match b {
        [_, _, _, b' ', d, b' ', ..] if d.is_ascii_digit() => 14,
        _ => 15,
    }
}

/// The Apache error log's `Sun Mar 01 12:00:05.123456 2026` (the fraction
/// is optional; no zone: UTC), in `[…]` or not.
pub fn parse_apache_error_time(s: &str) -> Option<i64> {
    let s = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(s);
    let b = s.as_bytes();
    // `Sun Mar 01 12:00:05` then `.frac`, then ` 2026`.
    if b.len() < 24 || b[3] != b' ' || b[7] != b' ' || b[10] != b' ' {
        return None;
    }
    if !b[..3].iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let mo = month(&b[4..7])?;
    let d = day2(&b[8..10])?;
    let (h, mi, sec) = hms(b, 11)?;
    let mut i = 19;
    let mut ms = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 3 {
                ms = ms * 10 + (b[i] - b'0') as u32;
            }
            i += 1;
        }
        ms *= match i - start {
            0 => return None,
            1 => 100,
            2 => 10,
            _ => 1,
        };
    }
    if b.get(i) != Some(&b' ') || b.len() != i + 5 {
        return None;
    }
    let y = num(b, i + 1, 4)? as i64;
    to_ms(y, mo, d, h, mi, sec, ms, 0)
}

/// Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by
/// magnitude: below 1e11 seconds (1e11 s is the year 5138), below 1e14
/// milliseconds, below 1e17 microseconds, else nanoseconds. (Sub-millisecond
/// digits are dropped, rounding toward the past.)
fn epoch_int(i: i64) -> Option<i64> {
    let a = i.unsigned_abs();
    Some(if a < 100_000_000_000 {
        i * 1000
    } else if a < 100_000_000_000_000 {
        i
    } else if a < 100_000_000_000_000_000 {
        i.div_euclid(1000)
    } else {
        i.div_euclid(1_000_000)
    })
}

fn epoch_float(f: f64) -> Option<i64> {
    // Read the float's shortest decimal text exactly, so 1767323045.123 gives
    // ...123 ms and not ...122 from 1767323045.123 * 1000 in binary.
    let mut buf = StackBuf { b: [0; 48], n: 0 };
    use std::fmt::Write;
    if f.is_finite() && f.abs() < 1e19 && write!(buf, "{f}").is_ok() {
        return decimal_epoch_ms(&buf.b[..buf.n]);
    }
    None
}

struct StackBuf {
    b: [u8; 48],
    n: usize,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.n + s.len();
        if end > self.b.len() {
            return Err(std::fmt::Error);
        }
        self.b[self.n..end].copy_from_slice(s.as_bytes());
        self.n = end;
        Ok(())
    }
}

/// Decimal text (`-?digits[.digits][e[+-]digits]`) as epoch ms, exactly: seconds
/// when the magnitude is below 1e11, else milliseconds; digits finer than a
/// millisecond are dropped, rounding toward the past.
fn decimal_epoch_ms(b: &[u8]) -> Option<i64> {
    let mut i = 0;
    let neg = b.first() == Some(&b'-');
    if neg {
        i = 1;
    }
    // All significant digits, and where the decimal point sits among them.
    let mut digits = [0u8; 40];
    let mut nd = 0usize;
    let mut point: i64 = 0;
    let mut seen_digit = false;
    let mut seen_point = false;
    let mut dropped_nonzero = false;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() {
            seen_digit = true;
            if nd == 0 && c == b'0' {
                // Leading zero: only shifts the point when after it.
                if seen_point {
                    point -= 1;
                }
            } else if nd < digits.len() {
                digits[nd] = c - b'0';
                nd += 1;
                if !seen_point {
                    point += 1;
                }
            } else {
                dropped_nonzero |= c != b'0';
                if !seen_point {
                    point += 1;
                }
            }
        } else if c == b'.' && !seen_point {
            seen_point = true;
        } else {
            break;
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        let eneg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e: i64 = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            e = (e * 10 + (b[i] - b'0') as i64).min(1_000_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        point += if eneg { -e } else { e };
    }
    if i != b.len() {
        return None;
    }
    // The unit by magnitude (see `epoch_int`): 12 digits before the point
    // is 1e11, 15 is 1e14, 18 is 1e17.
    point += match point {
        ..=11 => 3, // seconds -> ms
        12..=14 => 0,
        15..=17 => -3, // µs -> ms
        _ => -6,       // ns -> ms
    };
    if point > 19 {
        return None;
    }
    let mut ms: i64 = 0;
    let int_digits = digits[..nd].iter().copied().chain(std::iter::repeat(0));
    for d in int_digits.take(point.max(0) as usize) {
        ms = ms.checked_mul(10)?.checked_add(d as i64)?;
    }
    let first_frac = point.max(0) as usize;
    let frac_nonzero = dropped_nonzero || digits[first_frac.min(nd)..nd].iter().any(|&d| d != 0);
    if neg {
        ms = -ms - frac_nonzero as i64;
    }
    Some(ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Fixed-width digits at `b[i..i+n]`.
fn num(b: &[u8], i: usize, n: usize) -> Option<u32> {
    let s = b.get(i..i + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

#[allow(clippy::too_many_arguments)]
fn to_ms(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32, off_min: i64) -> Option<i64> {
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60
    {
        return None;
    }
    let secs = days_from_civil(y, mo, d) * 86_400 + (h * 3600 + mi * 60 + s) as i64 - off_min * 60;
    Some(secs * 1000 + ms as i64)
}

/// `YYYY-MM-DD`, then optionally `T`/`t`/space `HH:MM[:SS[.frac]]` and
/// `Z`/`z`/`±HH:MM`/`±HHMM`/`±HH` (no offset = UTC).
fn parse_iso(b: &[u8]) -> Option<i64> {
    let y = num(b, 0, 4)? as i64;
    if b[4] != b'-' || *b.get(7)? != b'-' {
        return None;
    }
    let mo = num(b, 5, 2)?;
    let d = num(b, 8, 2)?;
    if b.len() == 10 {
        return to_ms(y, mo, d, 0, 0, 0, 0, 0);
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let h = num(b, 11, 2)?;
    if *b.get(13)? != b':' {
        return None;
    }
    let mi = num(b, 14, 2)?;
    let mut i = 16;
    let mut s = 0;
    let mut ms = 0;
    if b.get(i) == Some(&b':') {
        s = num(b, 17, 2)?;
        i = 19;
        if matches!(b.get(i), Some(b'.') | Some(b',')) {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start < 3 {
                    ms = ms * 10 + (b[i] - b'0') as u32;
                }
                i += 1;
            }
            match i - start {
                0 => return None,
                1 => ms *= 100,
                2 => ms *= 10,
                _ => {}
            }
        }
    }
    let off = parse_offset(&b[i..])?;
    to_ms(y, mo, d, h, mi, s, ms, off)
}

/// Offset minutes east of UTC: empty, `Z`, `UTC`, `GMT`, `±HH:MM`, `±HHMM`,
/// `±HH`, each optionally after one space.
fn parse_offset(b: &[u8]) -> Option<i64> {
    let b = b.strip_prefix(b" ").unwrap_or(b);
    match b {
        [] | [b'Z'] | [b'z'] | b"UTC" | b"GMT" => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest.len() {
                2 => (num(rest, 0, 2)?, 0),
                4 => (num(rest, 0, 2)?, num(rest, 2, 2)?),
                5 if rest[2] == b':' => (num(rest, 0, 2)?, num(rest, 3, 2)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let off = (h * 60 + m) as i64;
            Some(if *sign == b'-' { -off } else { off })
        }
        _ => None,
    }
}

/// Common log format: `10/Oct/2000:13:55:36 -0700`, optionally in `[…]`.
fn parse_clf(b: &[u8]) -> Option<i64> {
    let b = match b {
        [b'[', inner @ .., b']'] => inner,
        _ => b,
    };
    if b.len() != 26
        || b[2] != b'/'
        || b[6] != b'/'
        || b[11] != b':'
        || b[14] != b':'
        || b[17] != b':'
    {
        return None;
    }
    let d = num(b, 0, 2)?;
    let mo = month(&b[3..6])?;
    let y = num(b, 7, 4)? as i64;
    let h = num(b, 12, 2)?;
    let mi = num(b, 15, 2)?;
    let s = num(b, 18, 2)?;
    if b[20] != b' ' {
        return None;
    }
    let off = parse_offset(&b[21..])?;
    to_ms(y, mo, d, h, mi, s, 0, off)
}

/// A strftime pattern through chrono: with an offset in the text it is used,
/// without one the time is UTC; a pattern with only a date means midnight.
fn parse_strftime(s: &str, fmt: &str) -> Option<i64> {
    let mut p = Parsed::new();
    chrono::format::parse(&mut p, s, StrftimeItems::new(fmt)).ok()?;
    if let Ok(dt) = p.to_datetime() {
        return Some(dt.timestamp_millis());
    }
    if let Ok(ndt) = p.to_naive_datetime_with_offset(0) {
        return Some(ndt.and_utc().timestamp_millis());
    }
    let date = p.to_naive_date().ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// `2026-01-02T03:04:05.000Z`: RFC 3339, UTC, always three fraction digits.
/// Years outside 0000–9999 are written with a sign and more digits.
pub fn format_rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let frac = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s) = (sod / 3600, sod % 3600 / 60, sod % 60);
    if (0..=9999).contains(&y) {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
    } else {
        format!("{y:+}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
    }
}

#[cfg(test)]
#[rustfmt::skip]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_minute_memo_gives_what_a_full_parse_gives() {
        let texts = [
            "2026-11-27T23:59:59.584Z", "2026-11-27T23:59:00.000Z", "2026-11-27T23:59:60.999Z",
            "2026-11-27T23:59:61.000Z", "2026-11-27T23:59:5x.000Z", "2026-11-27T23:59:59.58xZ",
            "2026-11-28T00:00:01.001Z", "2026-11-27T23:59:59.584+01:00", "2026-11-27T23:59:59Z",
            "2026-02-30T10:00:00.000Z", "2026-02-30T10:00:01.000Z", "2024-02-29T10:00:01.000Z",
            "2026-11-27T23:59:59,584Z", "2026-11-27 23:59:59.584Z", "1767323045.123",
            "2026-11-28T00:00:01.001Z", "2026-11-28T00:00:02.002Z",
        ];
        let mut memo = MinuteMemo::default();
        for t in texts {
            assert_eq!(memo.parse_auto(t.as_bytes()), parse_auto_str(t), "{t}");
        }
    }
    use serde_json::json;

    const T: i64 = 1_767_323_045_000; // 2026-01-02T03:04:05Z

    fn auto(v: Value) -> Option<i64> { TimeFormat::Auto.parse(&v) }
    fn fmt(f: &str, v: Value) -> Option<i64> { TimeFormat::parse_arg(f).unwrap().parse(&v) }

    #[test] fn rfc3339_z() { assert_eq!(auto(json!("2026-01-02T03:04:05Z")), Some(T)); }
    #[test] fn rfc3339_lower_z() { assert_eq!(auto(json!("2026-01-02t03:04:05z")), Some(T)); }
    #[test] fn rfc3339_fraction_offset() { assert_eq!(auto(json!("2026-01-02T05:04:05.123+02:00")), Some(T + 123)); }
    #[test] fn rfc3339_negative_offset() { assert_eq!(auto(json!("2026-01-01T22:04:05-05:00")), Some(T)); }
    #[test] fn iso_offset_no_colon() { assert_eq!(auto(json!("2026-01-02T05:04:05+0200")), Some(T)); }
    #[test] fn iso_offset_hours() { assert_eq!(auto(json!("2026-01-02T05:04:05+02")), Some(T)); }
    #[test] fn iso_space_utc() { assert_eq!(auto(json!("2026-01-02 03:04:05 UTC")), Some(T)); }
    #[test] fn iso_space_offset() { assert_eq!(auto(json!("2026-01-02 05:04:05.000 +0200")), Some(T)); }
    #[test] fn iso_python_logging() { assert_eq!(auto(json!("2026-01-02 03:04:05,123")), Some(T + 123)); }
    #[test] fn iso_space_no_offset() { assert_eq!(auto(json!("2026-01-02 03:04:05")), Some(T)); }
    #[test] fn iso_fraction_one_digit() { assert_eq!(auto(json!("2026-01-02T03:04:05.5Z")), Some(T + 500)); }
    #[test] fn iso_fraction_nanos_truncated() { assert_eq!(auto(json!("2026-01-02T03:04:05.123999999Z")), Some(T + 123)); }
    #[test] fn iso_fraction_comma() { assert_eq!(auto(json!("2026-01-02T03:04:05,25Z")), Some(T + 250)); }
    #[test] fn iso_no_seconds() { assert_eq!(auto(json!("2026-01-02T03:04Z")), Some(T - 5000)); }
    #[test] fn iso_date_only() { assert_eq!(auto(json!("2026-01-02")), Some(T - 11_045_000)); }
    #[test] fn iso_before_epoch() { assert_eq!(auto(json!("1969-12-31T23:59:59.999Z")), Some(-1)); }
    #[test] fn iso_leap_day() { assert_eq!(auto(json!("2024-02-29T00:00:00Z")), Some(1_709_164_800_000)); }
    #[test] fn iso_bad_leap_day() { assert_eq!(auto(json!("2025-02-29T00:00:00Z")), None); }
    #[test] fn iso_bad_month() { assert_eq!(auto(json!("2026-13-02T03:04:05Z")), None); }
    #[test] fn iso_bad_hour() { assert_eq!(auto(json!("2026-01-02T24:04:05Z")), None); }
    #[test] fn iso_trailing_junk() { assert_eq!(auto(json!("2026-01-02T03:04:05Zx")), None); }
    #[test] fn iso_empty_fraction() { assert_eq!(auto(json!("2026-01-02T03:04:05.Z")), None); }
    #[test] fn iso_surrounding_space() { assert_eq!(auto(json!(" 2026-01-02T03:04:05Z ")), Some(T)); }
    #[test] fn epoch_seconds() { assert_eq!(auto(json!(1_767_323_045)), Some(T)); }
    #[test] fn epoch_millis() { assert_eq!(auto(json!(T)), Some(T)); }
    #[test] fn epoch_fractional_seconds() { assert_eq!(auto(json!(1_767_323_045.123)), Some(T + 123)); }
    #[test] fn epoch_fractional_millis() { assert_eq!(auto(json!(1_767_323_045_123.9)), Some(T + 123)); }
    #[test] fn epoch_negative_fraction() { assert_eq!(auto(json!(-1.5)), Some(-1500)); }
    #[test] fn epoch_negative_sub_ms() { assert_eq!(auto(json!(-0.0005)), Some(-1)); }
    #[test] fn epoch_zero() { assert_eq!(auto(json!(0)), Some(0)); }
    #[test] fn epoch_threshold_is_ms() { assert_eq!(auto(json!(100_000_000_000i64)), Some(100_000_000_000)); }
    #[test] fn epoch_micros() { assert_eq!(auto(json!(1_767_323_045_123_456i64)), Some(T + 123)); }
    #[test] fn epoch_nanos() { assert_eq!(auto(json!(1_767_323_045_123_456_789i64)), Some(T + 123)); }
    #[test] fn epoch_string_micros() { assert_eq!(auto(json!("1767323045123456")), Some(T + 123)); }
    #[test] fn epoch_string_nanos() { assert_eq!(auto(json!("1767323045123456789")), Some(T + 123)); }
    #[test] fn epoch_below_micros_is_ms() { assert_eq!(auto(json!(99_999_999_999_999i64)), Some(99_999_999_999_999)); }
    #[test] fn iso_log4j_comma() { assert_eq!(auto(json!("2026-01-02 03:04:05,123")), Some(T + 123)); }
    #[test] fn iso_offset_0530() { assert_eq!(auto(json!("2026-01-02T08:34:05+0530")), Some(T)); }
    #[test] fn iso_offset_05_30() { assert_eq!(auto(json!("2026-01-02T08:34:05.5+05:30")), Some(T + 500)); }
    #[test] fn apache_error_time() { assert_eq!(auto(json!("[Fri Jan 02 03:04:05.123456 2026]")), Some(T + 123)); }
    #[test] fn apache_error_time_bare() { assert_eq!(auto(json!("Fri Jan 02 03:04:05 2026")), Some(T)); }
    #[test] fn apache_error_time_bad() { assert_eq!(auto(json!("Fri Foo 02 03:04:05 2026")), None); }
    #[test] fn syslog_this_year() { assert_eq!(parse_syslog_time("Jan  2 03:04:05", T + 86_400_000), Some(T)); }
    #[test] fn syslog_padded_day() { assert_eq!(parse_syslog_time("Jan 02 03:04:05", T), Some(T)); }
    #[test] fn syslog_future_is_last_year() { assert_eq!(parse_syslog_time("Dec 31 23:00:00", T), Some(1_767_222_000_000)); }
    #[test] fn syslog_a_day_ahead_is_still_this_year() { assert_eq!(parse_syslog_time("Jan  3 03:04:05", T), Some(T + 86_400_000)); }
    #[test] fn syslog_leap_day_is_last_leap_year() { assert_eq!(parse_syslog_time("Feb 29 00:00:00", T - 365 * 86_400_000), Some(1_709_164_800_000)); }
    #[test] fn syslog_auto_shape() {
        let t = parse_auto_str("Mar  1 12:00:05").unwrap();
        assert!(t <= now_ms() + 86_400_000 && t > now_ms() - 367 * 86_400_000);
    }
    #[test] fn epoch_below_threshold_is_s() { assert_eq!(auto(json!(99_999_999_999i64)), Some(99_999_999_999_000)); }
    #[test] fn epoch_u64_too_big() { assert_eq!(auto(json!(u64::MAX)), None); }
    #[test] fn epoch_float_too_big() { assert_eq!(auto(json!(1e30)), None); }
    #[test] fn epoch_string_seconds() { assert_eq!(auto(json!("1767323045")), Some(T)); }
    #[test] fn epoch_string_millis() { assert_eq!(auto(json!("1767323045123")), Some(T + 123)); }
    #[test] fn epoch_string_fraction() { assert_eq!(auto(json!("1767323045.5")), Some(T + 500)); }
    #[test] fn epoch_string_exponent() { assert_eq!(auto(json!("1.767323045e9")), Some(T)); }
    #[test] fn epoch_string_leading_zeros() { assert_eq!(auto(json!("0.25")), Some(250)); }
    #[test] fn epoch_string_junk() { assert_eq!(auto(json!("12abc")), None); }
    #[test] fn epoch_string_dot() { assert_eq!(auto(json!(".")), None); }
    #[test] fn epoch_string_overflow() { assert_eq!(auto(json!("1e300")), None); }
    #[test] fn clf() { assert_eq!(auto(json!("10/Oct/2000:13:55:36 -0700")), Some(971_211_336_000)); }
    #[test] fn clf_brackets() { assert_eq!(auto(json!("[10/Oct/2000:13:55:36 -0700]")), Some(971_211_336_000)); }
    #[test] fn clf_utc() { assert_eq!(auto(json!("10/Oct/2000:20:55:36 +0000")), Some(971_211_336_000)); }
    #[test] fn clf_bad_month() { assert_eq!(auto(json!("10/Foo/2000:13:55:36 -0700")), None); }
    #[test] fn auto_word() { assert_eq!(auto(json!("yesterday")), None); }
    #[test] fn auto_empty() { assert_eq!(auto(json!("")), None); }
    #[test] fn auto_null() { assert_eq!(auto(json!(null)), None); }
    #[test] fn auto_bool() { assert_eq!(auto(json!(true)), None); }
    #[test] fn auto_non_ascii() { assert_eq!(auto(json!("2026-é1-02T03:04:05Z")), None); }

    #[test] fn arg_auto() { assert_eq!(TimeFormat::parse_arg("auto"), Ok(TimeFormat::Auto)); }
    #[test] fn arg_pattern() { assert_eq!(TimeFormat::parse_arg("%Y-%m-%d"), Ok(TimeFormat::Strftime("%Y-%m-%d".into()))); }
    #[test] fn arg_bad_spec() { assert!(TimeFormat::parse_arg("%Y-%Q").is_err()); }
    #[test] fn arg_trailing_percent() { assert!(TimeFormat::parse_arg("%Y-%").is_err()); }
    #[test] fn arg_no_spec() { assert!(TimeFormat::parse_arg("hello").is_err()); }
    #[test] fn arg_empty() { assert!(TimeFormat::parse_arg("").is_err()); }
    #[test] fn strftime_no_offset_utc() { assert_eq!(fmt("%d/%m/%Y %H:%M:%S", json!("02/01/2026 03:04:05")), Some(T)); }
    #[test] fn strftime_offset() { assert_eq!(fmt("%Y-%m-%d %H:%M:%S %z", json!("2026-01-02 05:04:05 +0200")), Some(T)); }
    #[test] fn strftime_fraction() { assert_eq!(fmt("%Y-%m-%d %H:%M:%S%.f", json!("2026-01-02 03:04:05.250")), Some(T + 250)); }
    #[test] fn strftime_date_only() { assert_eq!(fmt("%Y%m%d", json!("20260102")), Some(T - 11_045_000)); }
    #[test] fn strftime_epoch_number() { assert_eq!(fmt("%s", json!(1_767_323_045)), Some(T)); }
    #[test] fn strftime_mismatch() { assert_eq!(fmt("%Y-%m-%d", json!("02/01/2026")), None); }
    #[test] fn strftime_null() { assert_eq!(fmt("%Y-%m-%d", json!(null)), None); }

    #[test] fn format_epoch() { assert_eq!(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z"); }
    #[test] fn format_t() { assert_eq!(format_rfc3339_ms(T + 7), "2026-01-02T03:04:05.007Z"); }
    #[test] fn format_negative() { assert_eq!(format_rfc3339_ms(-1), "1969-12-31T23:59:59.999Z"); }
    #[test] fn format_far_future() { assert_eq!(format_rfc3339_ms(253_402_300_800_000), "+10000-01-01T00:00:00.000Z"); }
    #[test] fn format_extremes_do_not_panic() { format_rfc3339_ms(i64::MIN); format_rfc3339_ms(i64::MAX); }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(ms in -62_135_596_800_000i64..253_402_300_799_999) {
            prop_assert_eq!(parse_auto_str(&format_rfc3339_ms(ms)), Some(ms));
        }

        #[test]
        fn civil_round_trips(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn auto_never_panics(s in "\\PC{0,40}") {
            let _ = parse_auto_str(&s);
        }

        #[test]
        fn numeric_string_matches_number(i in -99_999_999_999i64..99_999_999_999) {
            prop_assert_eq!(auto(json!(i.to_string())), auto(json!(i)));
        }
    }
}
