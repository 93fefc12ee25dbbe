//! Durations, one grammar (issue 18): every option that takes a duration
//! reads exactly the pipeline language's durations (`250ms`, `5s`, `1m30s`),
//! and a bad one is refused (exit 2) with that syntax in the message.
mod util;

use util::{ok, run};

const SYNTAX: &str = "write a whole number and a unit (ms, s, m, h, d), several in a row if needed, as in the pipeline: 250ms, 5s, 1m30s";

fn explain_time_line(args: &[&str]) -> String {
    let mut all = vec!["--explain"];
    all.extend_from_slice(args);
    all.push("count every 1m");
    ok(&all, "")
        .lines()
        .find(|l| l.starts_with("event time:"))
        .expect("an event time line")
        .to_string()
}

#[test]
fn lateness_and_idle_timeout_read_language_durations() {
    let line = explain_time_line(&["--lateness", "1m30s", "--idle-timeout", "250ms"]);
    assert!(
        line.ends_with("lateness 90000ms, idle timeout 250ms"),
        "{line}"
    );
    let line = explain_time_line(&["--lateness", "1h2m3s4ms", "--idle-timeout", "2s"]);
    assert!(
        line.ends_with("lateness 3723004ms, idle timeout 2000ms"),
        "{line}"
    );
    let line = explain_time_line(&["--lateness", "0s"]);
    assert!(line.contains("lateness 0ms"), "{line}");
}

#[test]
fn a_lateness_changes_the_rows_as_the_same_words_in_the_pipeline_would() {
    // 12:00:50, then 12:01:07 (closes the first minute with lateness 5s), then a
    // late 12:00:58: counted only with a lateness of at least 9s.
    let input = "{\"ts\":\"2026-03-01T12:00:50Z\"}\n{\"ts\":\"2026-03-01T12:01:07Z\"}\n{\"ts\":\"2026-03-01T12:00:58Z\"}\n";
    let count = |lateness: &str| {
        let (out, _, code) = run(
            &["--lateness", lateness, "count every 1m | select count"],
            input,
        );
        assert_eq!(code, 0);
        out
    };
    assert_eq!(count("5s"), "{\"count\":1}\n{\"count\":1}\n");
    assert_eq!(count("9s"), "{\"count\":2}\n{\"count\":1}\n");
    assert_eq!(count("9000ms"), count("9s"));
    assert_eq!(count("1m"), "{\"count\":2}\n{\"count\":1}\n");
}

#[test]
fn bad_durations_are_refused_with_the_language_syntax() {
    for opt in ["--lateness", "--idle-timeout"] {
        // Other libraries' spellings, fractions, spaces, bare numbers.
        for bad in ["5", "5 sec", "5sec", "1.5s", "1m 30s", "-1s", "soon", "5S"] {
            let arg = format!("{opt}={bad}");
            let (out, err, code) = run(&[&arg, "where a"], "");
            assert_eq!((out.as_str(), code), ("", 2), "{opt} {bad}");
            assert!(
                err.starts_with(&format!("error: invalid value '{bad}' for '{opt} <D>': `{bad}` is not a duration: {SYNTAX}")),
                "{opt} {bad}: {err}"
            );
        }
    }
}

#[test]
fn checkpoint_interval_is_a_count_or_a_language_duration() {
    let dir = util::Dir::new();
    let ck = dir.path("a.ckpt");
    let ck = ck.to_str().unwrap();
    for good in ["10000", "1s", "250ms", "1m30s"] {
        let (_, err, code) = run(
            &[
                "--checkpoint-interval",
                good,
                "--checkpoint",
                ck,
                "--reset",
                "where a",
            ],
            "",
        );
        assert_eq!(code, 2, "{good}: {err}"); // stdin is a pipe: refused for checkpoints
        assert!(err.contains("stdin is a pipe"), "{good}: {err}");
    }
    for bad in ["1.5s", "5 sec", "-3", "10k"] {
        let arg = format!("--checkpoint-interval={bad}");
        let (_, err, code) = run(&[&arg, "--checkpoint", ck, "where a"], "");
        assert_eq!(code, 2, "{bad}");
        assert_eq!(
            err,
            format!("streamctl: invalid value for --checkpoint-interval: `{bad}` is not a duration: {SYNTAX}; or give a number of events such as 10000\n")
        );
    }
}

#[test]
fn compile_lateness_reads_the_same_durations() {
    let dir = util::Dir::new();
    let f = dir.create("a.jsonl", "{\"ts\":\"2026-03-01T12:00:50Z\",\"a\":1}\n");
    let f = f.to_str().unwrap();
    let (out, _, code) = run(
        &[
            "compile",
            "--target",
            "flink-sql",
            "--sink-path",
            "out/",
            "--lateness",
            "1m30s",
            "count every 1m",
            f,
        ],
        "",
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("WATERMARK FOR `rowtime` AS `rowtime` - INTERVAL '90' SECOND"),
        "{out}"
    );
    let (_, err, code) = run(
        &[
            "compile",
            "--target",
            "flink-sql",
            "--lateness",
            "90 s",
            "count every 1m",
            f,
        ],
        "",
    );
    assert_eq!(code, 2);
    assert!(err.contains(SYNTAX), "{err}");
}
