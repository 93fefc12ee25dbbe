//! The value rules Flink and streamctl must share (issue 17, streamctl side):
//! numbers equal under `==` are one key in every keyed stage, `stddev` is
//! exact to 1e-9 at large magnitudes, and time before 1970 is never late
//! (Flink's watermark starts at the epoch). Exact output.
mod util;

use util::ok;

#[test]
fn equal_numbers_are_one_group_key() {
    let input = "{\"a\":7}\n{\"a\":7.0}\n{\"a\":\"7\"}\n{\"a\":-0.0}\n{\"a\":0}\n{\"a\":\"7.0\"}\n{\"a\":7.5}\n";
    assert_eq!(
        ok(&["count by a"], input),
        "{\"a\":7,\"count\":3}\n{\"a\":-0.0,\"count\":2}\n{\"a\":\"7.0\",\"count\":1}\n{\"a\":7.5,\"count\":1}\n"
    );
}

#[test]
fn equal_numbers_are_one_dedup_and_top_key() {
    let input = "{\"k\":3.0,\"n\":1}\n{\"k\":3,\"n\":2}\n{\"k\":0,\"n\":3}\n{\"k\":-0.0,\"n\":4}\n{\"k\":4,\"n\":5}\n";
    assert_eq!(
        ok(&["dedup k | select n"], input),
        "{\"n\":1}\n{\"n\":3}\n{\"n\":5}\n"
    );
    assert_eq!(
        ok(&["top 2 k by sum(n)"], input),
        "{\"k\":0,\"sum_n\":7}\n{\"k\":4,\"sum_n\":5}\n"
    );
}

#[test]
fn equal_numbers_are_one_join_key() {
    let dir = util::Dir::new();
    let users = dir.create(
        "u.jsonl",
        "{\"id\":12,\"name\":\"ana\"}\n{\"id\":13.5,\"name\":\"bo\"}\n",
    );
    let input = "{\"id\":12.0}\n{\"id\":\"12\"}\n{\"id\":13.5}\n{\"id\":13}\n";
    let pipeline = format!("join {} on id | select id, name", users.display());
    assert_eq!(
        ok(&[&pipeline], input),
        "{\"id\":12.0,\"name\":\"ana\"}\n{\"id\":\"12\",\"name\":\"ana\"}\n{\"id\":13.5,\"name\":\"bo\"}\n"
    );
}

#[test]
fn before_1970_nothing_is_late_until_the_watermark_passes_the_epoch() {
    // Lateness 5s. The second event is a minute behind the first, both in
    // 1969: Flink's watermark is not past the epoch, so it still counts.
    // After 1970-01-01T00:00:10Z the watermark is 5s and the window of the
    // last event (ending at the epoch) has closed: that one is late.
    let input = "{\"ts\":\"1969-12-31T23:58:30Z\"}\n\
                 {\"ts\":\"1969-12-31T23:57:30Z\"}\n\
                 {\"ts\":\"1970-01-01T00:00:10Z\"}\n\
                 {\"ts\":\"1969-12-31T23:59:59Z\"}\n";
    let (out, err, code) = util::run(&["count every 1m"], input);
    assert_eq!(
        (code, err.as_str()),
        (
            0,
            "streamctl: 1 late event(s) dropped (behind the watermark; see --lateness)\n"
        )
    );
    assert_eq!(
        out,
        "{\"window_start\":\"1969-12-31T23:57:00.000Z\",\"window_end\":\"1969-12-31T23:58:00.000Z\",\"count\":1}\n\
         {\"window_start\":\"1969-12-31T23:58:00.000Z\",\"window_end\":\"1969-12-31T23:59:00.000Z\",\"count\":1}\n\
         {\"window_start\":\"1970-01-01T00:00:00.000Z\",\"window_end\":\"1970-01-01T00:01:00.000Z\",\"count\":1}\n"
    );
}

#[test]
fn stddev_is_exact_at_large_magnitudes() {
    // 2000000000 + {0.71, 1.44, 0.57, 1.0}: the exact population stddev,
    // from Python's fractions over the f64 values as read, is
    // 0.3327912595176572 (plain Welford is off in the 8th digit here).
    let input = "{\"x\":2000000000.71}\n{\"x\":2000000001.44}\n{\"x\":2000000000.57}\n{\"x\":2000000001.0}\n";
    let out = ok(&["stats stddev(x)"], input);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let got = v["stddev_x"].as_f64().unwrap();
    let exact = 0.3327912595176572;
    assert!(((got - exact) / exact).abs() < 1e-12, "{got} vs {exact}");
}

/// JSON `-0` is read as serde_json reads it, the float -0.0 (README,
/// "Choices made where the contract is silent"): an unchanged event is
/// echoed as it came, a changed one writes `-0.0`, and it is one key with
/// `0` and `-0.0`. A CSV cell `-0` is the integer 0 (issue 16, small item).
#[test]
fn json_minus_zero_is_the_float_minus_zero() {
    assert_eq!(ok(&["where a == 0"], "{\"a\":-0}\n"), "{\"a\":-0}\n");
    assert_eq!(
        ok(&["eval b = a"], "{\"a\":-0,\"n\":[-0]}\n"),
        "{\"a\":-0.0,\"n\":[-0.0],\"b\":-0.0}\n"
    );
    assert_eq!(
        ok(&["count by a"], "{\"a\":-0}\n{\"a\":0}\n{\"a\":-0.0}\n"),
        "{\"a\":-0.0,\"count\":3}\n"
    );
    assert_eq!(
        ok(&["-i", "csv", "eval b = a"], "a\n-0\n"),
        "{\"a\":0,\"b\":0}\n"
    );
}
