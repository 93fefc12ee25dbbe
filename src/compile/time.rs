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

use crate::compile::{no, Untranslatable};
use serde_json::{Map, Value};

use crate::compile::expr::sql_string;
use crate::compile::schema::{quote_ident, Ty};

/// `TO_TIMESTAMP_LTZ(…)` for the column `field` of type `ty`.
pub fn rowtime_sql(
    field: &str,
    ty: &Ty,
    format: &str,
    sample: &[Map<String, Value>],
) -> Result<(String, String), Untranslatable> {
    let col = quote_ident(field);
    if format != "auto" {
        if *ty != Ty::Str {
            return no(format!(
                "--time-format `{format}` reads text, but `{field}` is {}",
                ty.describe()
            ));
        }
        let (local, zoned) = split_strftime_offset(format)?;
        let pattern = java_pattern_from_strftime(local)?;
        let sql = if zoned {
            // Offsets are read by hand: TO_TIMESTAMP_LTZ ignores them.
            let off = format!("REGEXP_EXTRACT({col}, '([+-][0-9][0-9]:?[0-9][0-9])$', 1)");
            let text = format!("REGEXP_REPLACE({col}, '[+-][0-9][0-9]:?[0-9][0-9]$', '')");
            shifted(&text, &pattern, &off)
        } else {
            format!("TO_TIMESTAMP_LTZ({col}, {})", sql_string(&pattern))
        };
        return Ok((sql, format!("`{field}` as text `{format}`")));
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
            let SampleShape {
                local,
                local_len,
                zone,
            } = java_pattern_from_sample(field, &values)?;
            let sql = match zone {
                // Flink's TO_TIMESTAMP_LTZ(text, pattern) reads the offset
                // (`X`, `XX`, `XXX`) and then ignores it, reading the local
                // time as UTC: cut the offset off and apply it by hand. Any
                // offset style (`Z`, `+09`, `+0900`, `+09:00`) is read, not
                // only the sample's.
                Some(_) => shifted(
                    &format!("SUBSTRING({col} FROM 1 FOR {local_len})"),
                    &local,
                    &format!("SUBSTRING({col} FROM {})", local_len + 1),
                ),
                None => format!("TO_TIMESTAMP_LTZ({col}, {})", sql_string(&local)),
            };
            let pattern = format!("{local}{}", zone.unwrap_or(""));
            Ok((sql, format!("`{field}` as text `{pattern}`")))
        }
        Ty::Float => no(format!(
            "`{field}` holds epoch seconds with a fraction: streamctl reads their decimal digits, Flink would read them through binary floating point and can be a millisecond off; write the time as integer milliseconds or RFC 3339 text"
        )),
        other => no(format!(
            "the time field `{field}` is {}, not a timestamp",
            other.describe()
        )),
    }
}

/// `TO_TIMESTAMP_LTZ(text, pattern)` moved back by the UTC offset written in
/// `offset` (`Z`, `z`, `±HH`, `±HHMM` or `±HH:MM`), all SQL expressions.
fn shifted(text: &str, pattern: &str, offset: &str) -> String {
    let minutes = format!(
        "CASE WHEN {offset} IN ('Z', 'z') THEN 0 ELSE \
         (CASE WHEN SUBSTRING({offset} FROM 1 FOR 1) = '-' THEN -1 ELSE 1 END) * \
         (CAST(SUBSTRING({offset} FROM 2 FOR 2) AS INT) * 60 + \
         COALESCE(TRY_CAST(SUBSTRING(REPLACE({offset}, ':', '') FROM 4 FOR 2) AS INT), 0)) END"
    );
    format!(
        "TIMESTAMPADD(MINUTE, -({minutes}), TO_TIMESTAMP_LTZ({text}, {}))",
        sql_string(pattern)
    )
}

/// A strftime format without a trailing `%z`/`%:z`, and whether it had one;
/// an offset elsewhere is refused (it is applied by hand, from the end).
fn split_strftime_offset(f: &str) -> Result<(&str, bool), Untranslatable> {
    let local = f.strip_suffix("%:z").or_else(|| f.strip_suffix("%z"));
    let rest = local.unwrap_or(f);
    if rest.contains("%z") || rest.contains("%:z") {
        return no(format!(
            "--time-format `{f}`: the offset (`%z`) is translated only at the end of the format"
        ));
    }
    Ok((rest, local.is_some()))
}

/// The shape of one RFC 3339 / ISO 8601 timestamp as a Java pattern, with
/// the offset style apart so `Z` and `+01:00` can share `XXX`; and the
/// length of its local part (before the offset).
fn shape(s: &str) -> Option<(String, Offset, usize)> {
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
        return Some((p, Offset::None, 10));
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
    Some((p, off, i))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offset {
    None,
    Z,
    Hours,
    HoursMinutes,
    Colon,
}

/// The Java pattern of the sample's timestamps: the local part, its length
/// in characters, and the offset pattern when they carry one.
#[derive(Debug, PartialEq)]
struct SampleShape {
    local: String,
    local_len: usize,
    zone: Option<&'static str>,
}

fn java_pattern_from_sample(field: &str, values: &[&str]) -> Result<SampleShape, Untranslatable> {
    let mut base: Option<(String, usize)> = None;
    let mut offsets: Vec<Offset> = Vec::new();
    for v in values {
        let Some((p, off, len)) = shape(v) else {
            return no(format!(
                "the time field `{field}` holds `{v}`, which is not RFC 3339 text Flink can read with one pattern; give --time-format"
            ));
        };
        match &base {
            Some((b, _)) if *b != p => {
                return no(format!(
                    "the time field `{field}` has timestamps of different shapes in the sample (`{}` and `{v}`): Flink reads one pattern; write them alike or give --time-format",
                    values[0]
                ))
            }
            _ => base = Some((p, len)),
        }
        if !offsets.contains(&off) {
            offsets.push(off);
        }
    }
    let Some((p, local_len)) = base else {
        return no(format!(
            "the time field `{field}` has no text timestamp in the sample; give --time-format"
        ));
    };
    let has = |o: Offset| offsets.contains(&o);
    let zone = if offsets == [Offset::None] {
        None
    } else if has(Offset::None) {
        return no(format!(
            "the time field `{field}` has timestamps with and without an offset in the sample: Flink reads one pattern; write them alike"
        ));
    } else if has(Offset::Colon) {
        Some("XXX")
    } else if has(Offset::HoursMinutes) {
        Some("XX")
    } else {
        Some("X")
    };
    Ok(SampleShape {
        local: p.replace("''", "'"),
        local_len,
        zone,
    })
}

/// A chrono strftime pattern as a Java `DateTimeFormatter` pattern.
pub fn java_pattern_from_strftime(f: &str) -> Result<String, Untranslatable> {
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
            None => return no(format!("--time-format `{f}` ends with a lone `%`")),
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
                return no(format!(
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

    fn pattern(values: &[&str]) -> Result<String, Untranslatable> {
        java_pattern_from_sample("ts", values)
            .map(|s| format!("{}{}", s.local, s.zone.unwrap_or("")))
    }

    #[test]
    fn rfc3339_shapes() {
        assert_eq!(
            java_pattern_from_sample("ts", &["2026-01-01T00:00:00.123Z"]).unwrap(),
            SampleShape {
                local: "yyyy-MM-dd'T'HH:mm:ss.SSS".into(),
                local_len: 23,
                zone: Some("X")
            }
        );
        assert_eq!(
            pattern(&["2026-01-01T00:00:00Z", "2026-01-01T00:00:01+01:00"]).unwrap(),
            "yyyy-MM-dd'T'HH:mm:ssXXX"
        );
        assert_eq!(
            pattern(&["2026-01-01 10:00:00"]).unwrap(),
            "yyyy-MM-dd HH:mm:ss"
        );
    }

    #[test]
    fn offsets_styles_mix_since_they_are_applied_by_hand() {
        assert_eq!(
            pattern(&["2026-01-01T00:00:00-0700", "2026-01-01T00:00:01+09"]).unwrap(),
            "yyyy-MM-dd'T'HH:mm:ssXX"
        );
        let (sql, _) = rowtime_sql(
            "ts",
            &Ty::Str,
            "auto",
            &[serde_json::from_str(r#"{"ts":"2026-03-28T06:21:49.855+09:00"}"#).unwrap()],
        )
        .unwrap();
        assert!(
            sql.starts_with(
                "TIMESTAMPADD(MINUTE, -(CASE WHEN SUBSTRING(`ts` FROM 24) IN ('Z', 'z')"
            ),
            "{sql}"
        );
        assert!(
            sql.ends_with(
                "TO_TIMESTAMP_LTZ(SUBSTRING(`ts` FROM 1 FOR 23), 'yyyy-MM-dd''T''HH:mm:ss.SSS'))"
            ),
            "{sql}"
        );
    }

    #[test]
    fn mixed_shapes_are_refused() {
        let e = pattern(&["2026-01-01T00:00:00.123Z", "2026-01-01T00:00:00.12Z"]).unwrap_err();
        assert!(e.contains("different shapes"), "{e}");
        let e = pattern(&["yesterday"]).unwrap_err();
        assert!(e.contains("`yesterday`"), "{e}");
    }

    #[test]
    fn strftime_offsets_only_at_the_end() {
        assert_eq!(
            split_strftime_offset("%d/%b/%Y:%H:%M:%S %z").unwrap(),
            ("%d/%b/%Y:%H:%M:%S ", true)
        );
        assert_eq!(split_strftime_offset("%FT%T%:z").unwrap(), ("%FT%T", true));
        assert!(split_strftime_offset("%z %F")
            .unwrap_err()
            .contains("only at the end"));
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
