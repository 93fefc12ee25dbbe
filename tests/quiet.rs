//! `-q/--quiet`, as `grep -q` (issue 18): nothing is written; exit 0 at the
//! first result row, 1 when the input ended without one, 2 on any error.
mod util;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use util::{bin_path, run, Dir};

const LOG: &str = "\
{\"ts\":\"2026-03-01T12:00:05Z\",\"path\":\"/a\",\"status\":200}
{\"ts\":\"2026-03-01T12:00:21Z\",\"path\":\"/b\",\"status\":503}
{\"ts\":\"2026-03-01T12:01:30Z\",\"path\":\"/a\",\"status\":200}
";

#[test]
fn a_result_row_exits_0_and_writes_nothing() {
    for flag in ["-q", "--quiet"] {
        let (out, err, code) = run(&[flag, "where status >= 500"], LOG);
        assert_eq!((out.as_str(), err.as_str(), code), ("", "", 0), "{flag}");
    }
}

#[test]
fn no_result_row_exits_1_and_writes_nothing() {
    let (out, err, code) = run(&["-q", "where status >= 600"], LOG);
    assert_eq!((out.as_str(), err.as_str(), code), ("", "", 1));
    // Empty input: no rows either.
    let (out, _, code) = run(&["-q", "where status >= 500"], "");
    assert_eq!((out.as_str(), code), ("", 1));
}

#[test]
fn aggregates_answer_with_their_rows() {
    // A threshold alert on windows: one window has 2 events, none has 3.
    let (_, _, code) = run(&["-q", "count every 1m | where count >= 2"], LOG);
    assert_eq!(code, 0);
    let (_, _, code) = run(&["-q", "count every 1m | where count >= 3"], LOG);
    assert_eq!(code, 1);
    // An unkeyed count always has its row (0 on empty input, as SQL).
    let (_, _, code) = run(&["-q", "count"], "");
    assert_eq!(code, 0);
}

#[test]
fn errors_exit_2_not_1() {
    // A usage error: a bad pipeline.
    let (out, err, code) = run(&["-q", "where status >="], LOG);
    assert_eq!((out.as_str(), code), ("", 2));
    assert!(err.contains("expected an expression"), "{err}");
    // A runtime failure, exit 1 without -q, is 2 with it: 1 means "no row".
    let bad = "{\"status\":200}\nnot json\n";
    let (_, _, code) = run(&["--on-error", "fail", "where status >= 500"], bad);
    assert_eq!(code, 1);
    let (out, err, code) = run(&["-q", "--on-error", "fail", "where status >= 500"], bad);
    assert_eq!((out.as_str(), code), ("", 2));
    assert!(err.contains("--on-error fail"), "{err}");
    // A missing input file.
    let dir = Dir::new();
    let missing = dir.path("missing.jsonl");
    let (_, err, code) = run(&["-q", "where a", missing.to_str().unwrap()], "");
    assert_eq!(code, 2, "{err}");
}

#[test]
fn malformed_lines_are_still_reported_on_stderr() {
    let (out, err, code) = run(&["-q", "where status >= 500"], "{\"status\":200}\noops\n");
    assert_eq!((out.as_str(), code), ("", 1));
    assert!(err.contains("<stdin>:2:"), "{err}");
}

#[test]
fn it_stops_reading_at_the_first_result_row() {
    // stdin stays open and would go on for ever: the run must end on its own.
    let mut child = Command::new(bin_path())
        .args(["-q", "where level == \"error\""])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn streamctl");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"{\"level\":\"info\"}\n").unwrap();
    stdin.write_all(b"{\"level\":\"error\"}\n").unwrap();
    stdin.flush().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("-q kept reading after the first result row");
        }
        // Keep the pipe busy with lines that do not match.
        let _ = stdin.write_all(b"{\"level\":\"info\"}\n");
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(out.stdout, b"");
}

#[test]
fn on_a_big_file_it_stops_early() {
    // The match is on the first line of a large file: `--stats` shows how
    // much was read. Reading stops within the first block, far from the end.
    let dir = Dir::new();
    let mut text = String::from("{\"n\":0,\"hit\":true}\n");
    for n in 1..200_000 {
        text.push_str(&format!("{{\"n\":{n}}}\n"));
    }
    let file = dir.create("big.jsonl", &text);
    let out = Command::new(bin_path())
        .args(["-q", "--stats", "where hit == true"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    let events_in: u64 = err
        .split("events in ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no count in {err}"));
    assert!(events_in < 100_000, "read {events_in} events: {err}");
}

#[test]
fn quiet_with_output_or_checkpoint_is_a_usage_error() {
    let dir = Dir::new();
    let o = dir.path("o.jsonl");
    let (_, err, code) = run(&["-q", "-o", o.to_str().unwrap(), "where a"], "");
    assert_eq!(code, 2, "{err}");
    let ck = dir.path("c.ckpt");
    let (_, err, code) = run(&["-q", "--checkpoint", ck.to_str().unwrap(), "where a"], "");
    assert_eq!(code, 2, "{err}");
}
