//! Event times outside the years RFC 3339 writes (0000–9999) are unparsable,
//! and no duration can overflow event-time arithmetic (DESIGN §4, §5).
mod util;

use util::{ok, run, Dir};

#[test]
fn an_epoch_out_of_range_is_rejected_and_does_not_move_the_watermark() {
    let d = Dir::new();
    // Epoch seconds 1e11 before 1970 is the year −1200.
    let mut text = String::from("{\"ts\":-99999999999}\n");
    // An epoch in microseconds is read as such (issue 15), not as the year 55831.
    text += "{\"ts\":1700000000000000}\n";
    for i in 0..5 {
        text += &format!("{{\"ts\":{}}}\n", 1_700_000_000_000u64 + i * 1000);
    }
    let input = d.create("ev.jsonl", text);
    let (out, err, code) = run(&["count every 1m", input.to_str().unwrap()], "");
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "{\"window_start\":\"2023-11-14T22:13:00.000Z\",\"window_end\":\"2023-11-14T22:14:00.000Z\",\"count\":6}\n"
    );
    assert_eq!(
        err,
        format!(
            "{}:1: unparsable timestamp in `ts`: -99999999999 (outside the years 0000 to 9999 \
             that RFC 3339 writes)\n\
             streamctl: 1 malformed line(s) skipped\n",
            input.display()
        )
    );
}

#[test]
fn the_edges_of_the_range_are_read_and_one_step_past_is_not() {
    let last = "{\"ts\":\"9999-12-31T23:59:59.999Z\"}\n";
    let first = "{\"ts\":\"0000-01-01T00:00:00Z\"}\n";
    let before = "{\"ts\":-62167219200001}\n";
    let text = [last, first, before].concat();
    let (out, err, code) = run(&["--lateness", "3652425d", "count every 1d"], &text);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "{\"window_start\":\"0000-01-01T00:00:00.000Z\",\"window_end\":\"0000-01-02T00:00:00.000Z\",\"count\":1}\n\
         {\"window_start\":\"9999-12-31T00:00:00.000Z\",\"window_end\":\"+10000-01-01T00:00:00.000Z\",\"count\":1}\n"
    );
    assert!(
        err.contains("<stdin>:3: unparsable timestamp in `ts`: -62167219200001 (outside"),
        "{err}"
    );
    // time() reads the same range.
    assert_eq!(
        ok(&["eval t = time(ts) | select t"], &[last, before].concat()),
        "{\"t\":253402300799999}\n{\"t\":null}\n"
    );
}

#[test]
fn durations_that_would_overflow_are_refused() {
    for (flag, value) in [
        ("--lateness", "3652426d"),
        ("--idle-timeout", "3652426d"),
        ("--checkpoint-interval", "3652426d"),
    ] {
        let (_, err, code) = run(&[flag, value, "count"], "");
        assert_eq!(code, 2, "{flag} {value}: {err}");
        assert!(
            err.contains(&format!(
                "`{value}` is longer than the longest duration, 3652425d (the span of event time, \
                 years 0000 to 9999)"
            )),
            "{flag}: {err}"
        );
    }
    for pipeline in [
        "count every 4000000d",
        "count every 1d slide 3652426d",
        "count by k session 4000000d",
        "dedup k within 3652426d",
        "running count over 3652426d",
    ] {
        let (_, err, code) = run(&[pipeline], "");
        assert_eq!(code, 2, "{pipeline}: {err}");
        assert!(
            err.starts_with("error: a duration may be at most 3652425d (the span of event time, years 0000 to 9999)"),
            "{pipeline}: {err}"
        );
    }
    // Past i64 milliseconds (where `--lateness 106751991168d` used to wrap
    // negative) the duration is not read at all.
    let (_, err, code) = run(&["--lateness", "106751991168d", "count"], "");
    assert_eq!(code, 2);
    assert!(err.contains("`106751991168d` is not a duration"), "{err}");
    // Past i64 milliseconds the lexer says so first.
    let (_, err, code) = run(&["count every 106751991168d"], "");
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: duration `106751991168d` is too long"),
        "{err}"
    );
    // The longest duration works end to end.
    let (out, err, code) = run(
        &["--lateness", "3652425d", "count every 3652425d"],
        "{\"ts\":1700000000000}\n",
    );
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, "{\"window_start\":\"1970-01-01T00:00:00.000Z\",\"window_end\":\"+11970-01-01T00:00:00.000Z\",\"count\":1}\n");
}
