//! The event-time column of a source table: `rowtime AS TO_TIMESTAMP_LTZ(…)`
//! reading the time field exactly as streamctl's `--time-format` does.
//!
//! - An integer field with `auto` is epoch seconds, or milliseconds when
//!   |x| ≥ 1e11 — the same test, written as a `CASE`, so every value agrees.
//! - A string field with `auto` is read with one Java pattern found from the
//!   sample: every sampled timestamp must have the same shape (fraction
//!   digits, offset style). A sample with several shapes is refused: one
//!   pattern would read only some of them.
//! - A strftime `--time-format` is translated specifier by specifier.

use serde_json::{Map, Value};

use crate::compile::expr::sql_string;
use crate::compile::schema::{quote_ident, Ty};

/// `TO_TIMESTAMP_LTZ(…)` for the column `field` of type `ty`.
pub fn rowtime_sql(
    field: &str,
    ty: &Ty,
    format: &str,
    sample: &[Map<String, Value>],
) -> Result<(String, String), String> {
    let col = quote_ident(field);
    if format != "auto" {
        if *ty != Ty::Str {
            return Err(format!(
                "--time-format `{format}` reads text, but `{field}` is {}",
                ty.describe()
            ));
        }
        let pattern = java_pattern_from_strftime(format)?;
        return Ok((
            format!("TO_TIMESTAMP_LTZ({col}, {})", sql_string(&pattern)),
            format!("`{field}` as text `{format}`"),
        ));
    }
    match ty {
        Ty::Int => Ok((
            format!(
                "TO_TIMESTAMP_LTZ(CASE WHEN ABS({col}) >= 100000000000 THEN {col} ELSE {col} * 1000 END, 3)"
            ),
            format!("`{field}` as epoch seconds, or milliseconds from 1e11 on"),
        )),
        Ty::Str => {
            let values: Vec<&str> = sample
                .iter()
                .filter_map(|e| e.get(field).and_then(Value::as_str))
                .collect();
            let pattern = java_pattern_from_sample(field, &values)?;
            Ok((
                format!("TO_TIMESTAMP_LTZ({col}, {})", sql_string(&pattern)),
                format!("`{field}` as text `{pattern}`"),
            ))
        }
        Ty::Float => Err(format!(
            "`{field}` holds epoch seconds with a fraction: streamctl reads their decimal digits, Flink would read them through binary floating point and can be a millisecond off; write the time as integer milliseconds or RFC 3339 text"
        )),
        other => Err(format!(
            "the time field `{field}` is {}, not a timestamp",
            other.describe()
        )),
    }
}

/// The shape of one RFC 3339 / ISO 8601 timestamp as a Java pattern, with
/// the offset style apart so `Z` and `+01:00` can share `XXX`.
fn shape(s: &str) -> Option<(String, Offset)> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    if !(digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10))
    {
        return None;
    }
    let mut p = String::from("yyyy-MM-dd");
    if b.len() == 10 {
        return Some((p, Offset::None));
    }
    match b[10] {
        b'T' => p.push_str("''T''"),
        b' ' => p.push(' '),
        _ => return None,
    }
    if !(digits(11..13) && b.get(13) == Some(&b':') && digits(14..16)) {
        return None;
    }
    p.push_str("HH:mm");
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        if !digits(17..19) {
            return None;
        }
        p.push_str(":ss");
        i = 19;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start || i - start > 9 {
                return None;
            }
            p.push('.');
            p.push_str(&"S".repeat(i - start));
        }
    }
    let rest = &s[i..];
    let off = match rest.as_bytes() {
        [] => Offset::None,
        [b'Z'] => Offset::Z,
        [b'+' | b'-', a, b2] if a.is_ascii_digit() && b2.is_ascii_digit() => Offset::Hours,
        [b'+' | b'-', a, b2, b3, b4] if [a, b2, b3, b4].iter().all(|c| c.is_ascii_digit()) => {
            Offset::HoursMinutes
        }
        [b'+' | b'-', a, b2, b':', b3, b4]
            if [a, b2, b3, b4].iter().all(|c| c.is_ascii_digit()) =>
        {
            Offset::Colon
        }
        _ => return None,
    };
    Some((p, off))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offset {
    None,
    Z,
    Hours,
    HoursMinutes,
    Colon,
}

fn java_pattern_from_sample(field: &str, values: &[&str]) -> Result<String, String> {
    let mut base: Option<String> = None;
    let mut offsets: Vec<Offset> = Vec::new();
    for v in values {
        let Some((p, off)) = shape(v) else {
            return Err(format!(
                "the time field `{field}` holds `{v}`, which is not RFC 3339 text Flink can read with one pattern; give --time-format"
            ));
        };
        match &base {
            Some(b) if *b != p => {
                return Err(format!(
                    "the time field `{field}` has timestamps of different shapes in the sample (`{}` and `{v}`): Flink reads one pattern; write them alike or give --time-format",
                    values[0]
                ))
            }
            _ => base = Some(p),
        }
        if !offsets.contains(&off) {
            offsets.push(off);
        }
    }
    let Some(mut p) = base else {
        return Err(format!(
            "the time field `{field}` has no text timestamp in the sample; give --time-format"
        ));
    };
    let has = |o: Offset| offsets.contains(&o);
    let zone = if offsets == [Offset::None] {
        ""
    } else if has(Offset::None) {
        return Err(format!(
            "the time field `{field}` has timestamps with and without an offset in the sample: Flink reads one pattern; write them alike"
        ));
    } else {
        let styles = [Offset::Hours, Offset::HoursMinutes, Offset::Colon]
            .into_iter()
            .filter(|o| has(*o))
            .count();
        if styles > 1 {
            return Err(format!(
                "the time field `{field}` writes offsets in several styles in the sample: Flink reads one pattern; write them alike"
            ));
        }
        if has(Offset::Colon) {
            "XXX"
        } else if has(Offset::HoursMinutes) {
            "XX"
        } else {
            "X"
        }
    };
    p.push_str(zone);
    Ok(p.replace("''", "'"))
}

/// A chrono strftime pattern as a Java `DateTimeFormatter` pattern.
pub fn java_pattern_from_strftime(f: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut literal = String::new();
    let flush = |out: &mut String, literal: &mut String| {
        if literal.is_empty() {
            return;
        }
        if literal
            .chars()
            .all(|c| !c.is_ascii_alphabetic() && c != '\'')
        {
            out.push_str(literal);
        } else {
            out.push('\'');
            out.push_str(&literal.replace('\'', "''"));
            out.push('\'');
        }
        literal.clear();
    };
    let mut chars = f.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            literal.push(c);
            continue;
        }
        let spec: String = match chars.next() {
            Some(lead @ ('.' | ':')) => {
                let mut s = String::from(lead);
                while let Some(&d) = chars.peek() {
                    s.push(d);
                    chars.next();
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
                s
            }
            Some(x) => x.to_string(),
            None => return Err(format!("--time-format `{f}` ends with a lone `%`")),
        };
        let java = match spec.as_str() {
            "Y" => "yyyy",
            "m" => "MM",
            "d" => "dd",
            "H" => "HH",
            "M" => "mm",
            "S" => "ss",
            "b" => "MMM",
            "F" => "yyyy-MM-dd",
            "T" => "HH:mm:ss",
            ".3f" => ".SSS",
            "z" => "xx",
            ":z" => "xxx",
            "%" => {
                literal.push('%');
                continue;
            }
            other => {
                return Err(format!(
                    "--time-format `{f}`: `%{other}` has no exact Java pattern in Flink; use %Y %m %d %H %M %S %b %F %T %.3f %z %:z"
                ))
            }
        };
        flush(&mut out, &mut literal);
        out.push_str(java);
    }
    flush(&mut out, &mut literal);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_shapes() {
        assert_eq!(
            java_pattern_from_sample("ts", &["2026-01-01T00:00:00.123Z"]).unwrap(),
            "yyyy-MM-dd'T'HH:mm:ss.SSSX"
        );
        assert_eq!(
            java_pattern_from_sample("ts", &["2026-01-01T00:00:00Z", "2026-01-01T00:00:01+01:00"])
                .unwrap(),
            "yyyy-MM-dd'T'HH:mm:ssXXX"
        );
        assert_eq!(
            java_pattern_from_sample("ts", &["2026-01-01 10:00:00"]).unwrap(),
            "yyyy-MM-dd HH:mm:ss"
        );
    }

    #[test]
    fn mixed_shapes_are_refused() {
        let e = java_pattern_from_sample(
            "ts",
            &["2026-01-01T00:00:00.123Z", "2026-01-01T00:00:00.12Z"],
        )
        .unwrap_err();
        assert!(e.contains("different shapes"), "{e}");
        let e = java_pattern_from_sample("ts", &["yesterday"]).unwrap_err();
        assert!(e.contains("`yesterday`"), "{e}");
    }

    #[test]
    fn strftime_translation() {
        assert_eq!(
            java_pattern_from_strftime("%d/%b/%Y:%H:%M:%S %z").unwrap(),
            "dd/MMM/yyyy:HH:mm:ss xx"
        );
        assert_eq!(
            java_pattern_from_strftime("%Y-%m-%dT%H:%M:%S%.3fZ").unwrap(),
            "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
        );
        assert!(java_pattern_from_strftime("%j")
            .unwrap_err()
            .contains("`%j`"));
    }
}
