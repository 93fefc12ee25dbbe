//! Property test of the event-edit path: random events of every input
//! format, random chains of eval / drop / rename (top-level and nested),
//! edited in place (`set_field`, `remove_field`, `rename_field`) and, as
//! the reference, decoded into the map and changed there (the old path).
//! The JSON and CSV output, and every field read, must be byte-equal.

use proptest::prelude::*;

use super::{remove_path, set_path, Event, Pos};
use crate::input::decode::{Decoded, Decoder};
use crate::input::Format;
use crate::output::{Encoder, OutFormat};
use crate::value::Value;

/// Names that collide with each other and with the events' own.
const NAMES: [&str; 6] = ["a", "b", "c", "n", "x\"y", "é"];

#[derive(Debug, Clone)]
enum Op {
    Set(Vec<String>, Value),
    Drop(Vec<String>),
    Rename(Vec<String>, Vec<String>),
}

fn name() -> impl Strategy<Value = String> {
    proptest::sample::select(NAMES.to_vec()).prop_map(String::from)
}

fn path() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        3 => name().prop_map(|n| vec![n]),
        1 => proptest::collection::vec(name(), 2..=3),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i32>().prop_map(Value::from),
        Just(Value::from(1.5)),
        Just(Value::from("s\"\n")),
        Just(serde_json::json!({"b": 1, "c": [1, 2.0]})),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (path(), value()).prop_map(|(p, v)| Op::Set(p, v)),
        2 => path().prop_map(Op::Drop),
        2 => (path(), path()).prop_map(|(a, b)| Op::Rename(a, b)),
    ]
}

/// JSON member values in forms serde writes differently, and nested ones.
fn json_value() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "1",
        "-0",
        "1.50",
        "1e3",
        "2.5",
        "\"x\"",
        "\"q\\\"\"",
        "\"\\u00e9\"",
        "null",
        "true",
        "[1, 2]",
        "{\"b\":1,\"c\":{\"d\":2}}",
        "{ \"b\" : 1.0 }",
        "12345678901234567890",
        "123456789012345678",
        "-0.5",
        "0.05",
        "2.0",
        "12345678901234.5",
        "1234567890123456.7",
    ])
}

/// A JSON object line, maybe with spaces, repeated or escaped keys.
fn json_line() -> impl Strategy<Value = String> {
    // `ax` and `nq` look alike to the indexer's cheap key check.
    let key = proptest::sample::select(vec![
        "a", "b", "c", "n", "x\\\"y", "é", "\\u0061", "ax", "nq",
    ]);
    (
        proptest::collection::vec((key, json_value(), any::<bool>()), 0..6),
        any::<bool>(),
    )
        .prop_map(|(members, pad)| {
            let sp = if pad { " " } else { "" };
            let body: Vec<String> = members
                .iter()
                .map(|(k, v, s)| format!("\"{k}\":{}{v}", if *s { " " } else { "" }))
                .collect();
            format!("{{{sp}{}{sp}}}", body.join(","))
        })
}

fn cell() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "",
        "12",
        "-0",
        "007",
        "1.50",
        "-3.5e2",
        "x",
        "\"a,b\"",
        "\"q\"\"\"",
        "é",
        "+1",
    ])
}

/// A CSV header (maybe repeating a name) and a row of the same width.
fn csv_lines() -> impl Strategy<Value = (String, String)> {
    proptest::collection::vec(
        (proptest::sample::select(vec!["a", "b", "c", "n"]), cell()),
        1..5,
    )
    .prop_map(|cols| {
        let header: Vec<&str> = cols.iter().map(|(h, _)| *h).collect();
        let row: Vec<&str> = cols.iter().map(|(_, c)| *c).collect();
        (header.join(","), row.join(","))
    })
}

fn logfmt_line() -> impl Strategy<Value = String> {
    let pair = (
        proptest::sample::select(vec!["a", "b", "c", "n"]),
        proptest::sample::select(vec!["=1", "=x", "=\"q \\\" r\"", "", "=", "=1.50"]),
    );
    proptest::collection::vec(pair, 1..5).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}{v}"))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// The old path, as the stages did it: decode the event (unless the
/// field to drop or rename is missing), change the map.
fn apply_to_map(ev: &mut Event<'_>, op: &Op) {
    let absent = |p: &[String]| ev.get_path(p).is_none();
    if matches!(op, Op::Drop(p) | Op::Rename(p, _) if absent(p))
        || matches!(op, Op::Rename(a, b) if a == b)
    {
        return;
    }
    let map = ev.fields_mut();
    match op {
        Op::Set(p, v) => set_path(map, p, v.clone()),
        Op::Drop(p) => {
            remove_path(map, p);
        }
        Op::Rename(from, to) => {
            if from == to || super::lookup_in(map, from).is_none() {
                return;
            }
            if let ([f], [t]) = (from.as_slice(), to.as_slice()) {
                super::rename_in_map(map, f, t);
            } else if let Some(v) = remove_path(map, from) {
                set_path(map, to, v);
            }
        }
    }
}

fn apply_edit(ev: &mut Event<'_>, op: &Op) {
    match op {
        Op::Set(p, v) => ev.set_field(p, v.clone()),
        Op::Drop(p) => {
            ev.remove_field(p);
        }
        Op::Rename(from, to) => ev.rename_field(from, to),
    }
}

/// JSON and CSV output and the fields read, after the ops, one way or the other.
type Outcome = Option<(String, String, Vec<String>)>;

fn outcome(
    format: Format,
    lines: &[&str],
    ops: &[Op],
    edit: bool,
) -> Result<Outcome, TestCaseError> {
    let mut d = Decoder::new(Some(format));
    let Some((last, before)) = lines.split_last() else {
        return Ok(None);
    };
    for l in before {
        if let Decoded::Reject(_) = d.decode(l.as_bytes(), Pos::default()) {
            return Ok(None);
        }
    }
    let mut ev = match d.decode(last.as_bytes(), Pos::default()) {
        Decoded::Event(ev) => ev,
        _ => return Ok(None),
    };
    for op in ops {
        if edit {
            apply_edit(&mut ev, op);
        } else {
            apply_to_map(&mut ev, op);
        }
    }
    let mut reads = Vec::new();
    for n in NAMES {
        reads.push(format!("{n}={:?}", ev.get(n)));
        reads.push(format!(
            "{n}.b={:?}",
            ev.get_path(&[n.to_string(), "b".into()])
        ));
        // Raw text, where lent, says what the field says.
        if let Some(raw) = ev.get_raw_json(n) {
            let v = super::decode_json_value(raw);
            prop_assert_eq!(Some(v), ev.get(n).map(|c| c.into_owned()), "raw {}", n);
        }
        if let Some(text) = ev.get_cell(n) {
            let v = crate::value::typed_cell(&text);
            prop_assert_eq!(Some(v), ev.get(n).map(|c| c.into_owned()), "cell {}", n);
        }
    }
    reads.push(format!("keys={:?}", ev.keys()));
    let (mut json, mut csv) = (Vec::new(), Vec::new());
    Encoder::new(OutFormat::Json, false).encode(&ev, &mut json);
    Encoder::new(OutFormat::Csv, false).encode(&ev, &mut csv);
    Ok(Some((
        String::from_utf8_lossy(&json).into_owned(),
        String::from_utf8_lossy(&csv).into_owned(),
        reads,
    )))
}

fn check(format: Format, lines: &[&str], ops: &[Op]) -> Result<(), TestCaseError> {
    let old = outcome(format, lines, ops, false)?;
    let new = outcome(format, lines, ops, true)?;
    prop_assert_eq!(new, old, "{:?} {:?}", lines, ops);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn json_edits_equal_the_decoded_map(line in json_line(), ops in proptest::collection::vec(op(), 0..6)) {
        check(Format::Json, &[&line], &ops)?;
    }

    #[test]
    fn csv_edits_equal_the_decoded_map((header, row) in csv_lines(), ops in proptest::collection::vec(op(), 0..6)) {
        check(Format::Csv, &[&header, &row], &ops)?;
    }

    #[test]
    fn logfmt_and_lines_edits_equal_the_decoded_map(line in logfmt_line(), ops in proptest::collection::vec(op(), 0..6)) {
        check(Format::Logfmt, &[&line], &ops)?;
        check(Format::Lines, &[&line], &ops)?;
    }
}
