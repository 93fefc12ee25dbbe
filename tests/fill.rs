//! `AGG … every D fill` (issue 18): rows for windows without events, so
//! silence is a signal. Unkeyed and keyed, on a finite file and on a quiet
//! pipe whose stdin stays open; the zero values; what is refused.
mod util;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use util::{bin_path, ok, run};

fn ev(secs: u32, path: &str, ms: i64) -> String {
    format!(
        "{{\"ts\":\"2026-03-01T12:{:02}:{:02}Z\",\"path\":\"{path}\",\"ms\":{ms}}}\n",
        secs / 60,
        secs % 60
    )
}

/// `"window_start":…,"window_end":…` of the 10s window starting at `secs`.
fn w(secs: u32) -> String {
    let t = |s: u32| format!("2026-03-01T12:{:02}:{:02}.000Z", s / 60, s % 60);
    format!(
        "\"window_start\":\"{}\",\"window_end\":\"{}\"",
        t(secs),
        t(secs + 10)
    )
}

#[test]
fn unkeyed_every_empty_window_between_events_has_a_zero_row() {
    let input = [ev(1, "/a", 5), ev(3, "/a", 7), ev(42, "/a", 1)].concat();
    let out = ok(&["count every 10s fill"], &input);
    assert_eq!(
        out,
        format!(
            "{{{},\"count\":2}}\n{{{},\"count\":0}}\n{{{},\"count\":0}}\n{{{},\"count\":0}}\n{{{},\"count\":1}}\n",
            w(0),
            w(10),
            w(20),
            w(30),
            w(40)
        )
    );
    // Without fill, only the windows with events.
    let out = ok(&["count every 10s"], &input);
    assert_eq!(out.lines().count(), 2);
}

#[test]
fn a_dead_man_alert_is_a_where_on_the_filled_rows() {
    let input = [ev(1, "/a", 5), ev(31, "/a", 1)].concat();
    let out = ok(
        &["count every 10s fill | where count == 0 | select window_start"],
        &input,
    );
    assert_eq!(
        out,
        "{\"window_start\":\"2026-03-01T12:00:10.000Z\"}\n{\"window_start\":\"2026-03-01T12:00:20.000Z\"}\n"
    );
}

#[test]
fn keyed_a_key_of_the_previous_window_gets_a_zero_row() {
    // /checkout stops after the first window; /api goes on, with a gap.
    let input = [
        ev(1, "/checkout", 100),
        ev(2, "/api", 10),
        ev(12, "/api", 20),
        ev(35, "/api", 30),
    ]
    .concat();
    let out = ok(
        &["stats count, sum(ms), avg(ms), p95(ms) by path every 10s fill"],
        &input,
    );
    let zero = ",\"count\":0,\"sum_ms\":0,\"avg_ms\":null,\"p95_ms\":null}";
    assert_eq!(
        out,
        [
            format!("{{{},\"path\":\"/checkout\",\"count\":1,\"sum_ms\":100,\"avg_ms\":100.0,\"p95_ms\":100}}\n", w(0)),
            format!("{{{},\"path\":\"/api\",\"count\":1,\"sum_ms\":10,\"avg_ms\":10.0,\"p95_ms\":10}}\n", w(0)),
            format!("{{{},\"path\":\"/api\",\"count\":1,\"sum_ms\":20,\"avg_ms\":20.0,\"p95_ms\":20}}\n", w(10)),
            // Seen in the window before, silent in this one: a zero row.
            format!("{{{},\"path\":\"/checkout\"{zero}\n", w(10)),
            format!("{{{},\"path\":\"/api\"{zero}\n", w(20)),
            // /checkout, quiet for a second window, gets no second zero row.
            format!("{{{},\"path\":\"/api\",\"count\":1,\"sum_ms\":30,\"avg_ms\":30.0,\"p95_ms\":30}}\n", w(30)),
        ]
        .concat()
    );
}

#[test]
fn hopping_windows_fill_every_slide() {
    let input = [ev(1, "/a", 1), ev(41, "/a", 1)].concat();
    let out = ok(&["-O", "csv", "count every 20s slide 10s fill"], &input);
    assert_eq!(
        out,
        "window_start,window_end,count\n\
         2026-03-01T11:59:50.000Z,2026-03-01T12:00:10.000Z,1\n\
         2026-03-01T12:00:00.000Z,2026-03-01T12:00:20.000Z,1\n\
         2026-03-01T12:00:10.000Z,2026-03-01T12:00:30.000Z,0\n\
         2026-03-01T12:00:20.000Z,2026-03-01T12:00:40.000Z,0\n\
         2026-03-01T12:00:30.000Z,2026-03-01T12:00:50.000Z,1\n\
         2026-03-01T12:00:40.000Z,2026-03-01T12:01:00.000Z,1\n"
    );
}

/// Lines of a child's stdout, as they come.
fn lines_of(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[test]
fn a_quiet_pipe_gets_zero_rows_while_stdin_stays_open() {
    // tail -F with nothing new: the idle timeout moves event time on with the
    // wall clock, and each window that passes without events has its row.
    for (pipeline, zero) in [
        ("count every 1s fill", "\"count\":0}".to_string()),
        (
            "count by path every 1s fill",
            "\"path\":\"/a\",\"count\":0}".to_string(),
        ),
    ] {
        let mut child = Command::new(bin_path())
            .args(["--lateness", "0s", "--idle-timeout", "100ms", pipeline])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let rx = lines_of(&mut child);
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"{\"ts\":\"2026-03-01T12:00:00.900Z\",\"path\":\"/a\"}\n")
            .unwrap();
        stdin.flush().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let next = || {
            rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("{pipeline}: no row while stdin is open"))
        };
        let first = next();
        assert!(first.contains("\"count\":1}"), "{first}");
        let second = next();
        assert!(
            second.starts_with("{\"window_start\":\"2026-03-01T12:00:01.000Z\"")
                && second.ends_with(&zero),
            "{pipeline}: {second}"
        );
        if pipeline.contains("by path") {
            // A key gets one zero row when it goes quiet, not one per window.
            assert!(rx.recv_timeout(Duration::from_millis(1500)).is_err());
        } else {
            let third = next();
            assert!(
                third.starts_with("{\"window_start\":\"2026-03-01T12:00:02.000Z\""),
                "{third}"
            );
            assert!(third.ends_with(&zero), "{third}");
        }
        drop(stdin);
        assert!(child.wait().unwrap().success());
    }
}

#[test]
fn fill_after_a_session_or_away_from_the_window_is_an_error() {
    let (_, err, code) = run(&["count session 1m fill"], "");
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: `fill` needs `every D` windows: a session window only exists while its key has events\n  |\n1 | count session 1m fill\n  |                  ^^^^\n"
    );
    let (_, err, code) = run(&["count by path fill"], "");
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: `fill` goes right after the window, as in `count every 1m fill`"),
        "{err}"
    );
}

#[test]
fn flink_sql_refuses_fill_with_the_reason() {
    let dir = util::Dir::new();
    let f = dir.create("a.jsonl", ev(1, "/a", 1));
    let (_, err, code) = run(
        &[
            "compile",
            "--target",
            "flink-sql",
            "count every 1m fill",
            f.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("`fill` writes rows for windows without events; Flink's window aggregation only writes rows for windows that have events"),
        "{err}"
    );
}
