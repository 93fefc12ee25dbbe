//! Aggregation without windows (DESIGN §3): every aggregate, the `stats`
//! form, the sugar, keys, output names, first-seen order, rows at end of
//! input, and Ctrl-C on an endless pipe printing the counts; exact output.
mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use util::{bin_path, ok, run};

const EVENTS: &str = concat!(
    "{\"path\":\"/a\",\"status\":200,\"ms\":10}\n",
    "{\"path\":\"/b\",\"status\":500,\"ms\":25.5}\n",
    "{\"path\":\"/a\",\"status\":200,\"ms\":30}\n",
    "{\"path\":\"/a\",\"status\":404}\n",
    "{\"path\":\"/b\",\"status\":200,\"ms\":\"7\"}\n",
    "{\"path\":\"/c\",\"status\":200,\"ms\":\"slow\"}\n",
);

#[test]
fn every_aggregate_over_the_whole_input() {
    let out = ok(
        &[
            "stats count, sum(ms), avg(ms), min(ms), max(ms), distinct(status), p50(ms), p90(ms), \
           percentile(ms, 75), stddev(ms), first(status), last(path)",
        ],
        EVENTS,
    );
    // ms values that count: 10, 25.5, 30 and "7" (a numeric string); "slow"
    // and the missing one are ignored. min keeps the value as it was written.
    assert_eq!(
        out,
        "{\"count\":6,\"sum_ms\":72.5,\"avg_ms\":18.125,\"min_ms\":\"7\",\"max_ms\":30,\
         \"distinct_status\":3,\"p50_ms\":10.0,\"p90_ms\":30.0,\"p75_ms\":25.5,\
         \"stddev_ms\":9.81309711558996,\"first_status\":200,\"last_path\":\"/c\"}\n"
    );
}

#[test]
fn integers_stay_integers() {
    let out = ok(
        &["stats sum(n), min(n), max(n), p50(n), p99(n), avg(n), stddev(n)"],
        "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n",
    );
    assert_eq!(
        out,
        "{\"sum_n\":10,\"min_n\":1,\"max_n\":4,\"p50_n\":2,\"p99_n\":4,\"avg_n\":2.5,\
         \"stddev_n\":1.118033988749895}\n"
    );
}

#[test]
fn sugar_and_keys_in_first_seen_order() {
    assert_eq!(
        ok(&["avg ms by path"], EVENTS),
        concat!(
            "{\"path\":\"/a\",\"avg_ms\":20.0}\n",
            "{\"path\":\"/b\",\"avg_ms\":16.25}\n",
            "{\"path\":\"/c\",\"avg_ms\":null}\n",
        )
    );
    assert_eq!(
        ok(&["count by status, path"], EVENTS),
        concat!(
            "{\"status\":200,\"path\":\"/a\",\"count\":2}\n",
            "{\"status\":500,\"path\":\"/b\",\"count\":1}\n",
            "{\"status\":404,\"path\":\"/a\",\"count\":1}\n",
            "{\"status\":200,\"path\":\"/b\",\"count\":1}\n",
            "{\"status\":200,\"path\":\"/c\",\"count\":1}\n",
        )
    );
    assert_eq!(ok(&["sum ms"], EVENTS), "{\"sum_ms\":72.5}\n");
    assert_eq!(ok(&["p99 ms"], EVENTS), "{\"p99_ms\":30.0}\n");
}

#[test]
fn names_and_expression_keys() {
    assert_eq!(
        ok(&["stats count as n, max(ms) as worst by path"], EVENTS),
        concat!(
            "{\"path\":\"/a\",\"n\":3,\"worst\":30}\n",
            "{\"path\":\"/b\",\"n\":2,\"worst\":25.5}\n",
            // A group whose only value is a word: min/max compare words too.
            "{\"path\":\"/c\",\"n\":1,\"worst\":\"slow\"}\n",
        )
    );
    assert_eq!(
        ok(&["count by int(status / 100) as class"], EVENTS),
        "{\"class\":2,\"count\":4}\n{\"class\":5,\"count\":1}\n{\"class\":4,\"count\":1}\n"
    );
    assert_eq!(
        ok(&["percentile(ms, 99.9)"], EVENTS),
        "{\"p99.9_ms\":30.0}\n"
    );
    // A nested key keeps its dotted name; a missing key is a null group.
    assert_eq!(
        ok(
            &["count by req.host"],
            "{\"req\":{\"host\":\"x\"}}\n{\"req\":{}}\n{\"req\":{\"host\":\"x\"}}\n"
        ),
        "{\"req.host\":\"x\",\"count\":2}\n{\"req.host\":null,\"count\":1}\n"
    );
}

#[test]
fn keys_match_by_text_like_joins() {
    // 200 and "200" are one group; the first-seen value is shown.
    assert_eq!(
        ok(
            &["count by status"],
            "{\"status\":200}\n{\"status\":\"200\"}\n"
        ),
        "{\"status\":200,\"count\":2}\n"
    );
}

#[test]
fn empty_input() {
    assert_eq!(
        ok(&["stats count, avg(ms)"], ""),
        "{\"count\":0,\"avg_ms\":null}\n"
    );
    assert_eq!(ok(&["count by path"], ""), "");
}

#[test]
fn other_formats_and_output_tables() {
    let out = ok(
        &["-i", "csv", "stats count, sum(ms) by path"],
        "path,ms\n/a,3\n/a,4\n/b,\n",
    );
    assert_eq!(
        out,
        "{\"path\":\"/a\",\"count\":2,\"sum_ms\":7}\n{\"path\":\"/b\",\"count\":1,\"sum_ms\":null}\n"
    );
    let out = ok(&["-O", "csv", "count by path"], EVENTS);
    assert_eq!(out, "path,count\n/a,3\n/b,2\n/c,1\n");
}

#[test]
fn rows_feed_later_stages() {
    assert_eq!(
        ok(&["count by path | where count > 1 | select path"], EVENTS),
        "{\"path\":\"/a\"}\n{\"path\":\"/b\"}\n"
    );
}

#[test]
fn explain_names_window_emit_keys_and_aggregates() {
    let out = ok(
        &[
            "--explain",
            "stats count, p95(ms) as slow by path emit every 10s",
        ],
        "",
    );
    assert!(
        out.contains(
            "1. aggregate count, slow by path; no window; emit every 10s of wall-clock time, \
             and final rows at end of input\n     reads: path, ms\n"
        ),
        "{out}"
    );
    assert!(out.contains("event time: not used"), "{out}");
}

#[test]
fn bad_aggregates_are_usage_errors() {
    let (_, err, code) = run(&["percentile(ms, 101)"], "");
    assert_eq!(code, 2);
    assert!(
        err.contains("a percentile must be between 0 and 100"),
        "{err}"
    );
    let (_, err, code) = run(&["count emit every 0ms"], "");
    assert_eq!(code, 2, "{err}");
}

/// Lines of a child's stdout, as they arrive.
fn line_reader(stdout: impl Read + Send + 'static) -> mpsc::Receiver<String> {
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
fn ctrl_c_on_an_endless_pipe_prints_the_counts() {
    // `tail -F app.log | streamctl 'count by path'`, then Ctrl-C.
    let mut child = Command::new(bin_path())
        .arg("count by path")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(EVENTS.as_bytes()).expect("write");
    stdin.flush().expect("flush");
    let rx = line_reader(child.stdout.take().expect("stdout"));
    // Nothing comes out while the input is open.
    assert!(rx.recv_timeout(Duration::from_millis(400)).is_err());
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    let lines: Vec<String> = rx.iter().collect();
    assert_eq!(
        lines,
        vec![
            "{\"path\":\"/a\",\"count\":3}",
            "{\"path\":\"/b\",\"count\":2}",
            "{\"path\":\"/c\",\"count\":1}",
        ]
    );
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(err, "");
    drop(stdin);
}

#[test]
fn emit_every_watches_an_endless_pipe() {
    let mut child = Command::new(bin_path())
        .arg("count by path emit every 200ms")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(EVENTS.as_bytes()).expect("write");
    stdin.flush().expect("flush");
    let rx = line_reader(child.stdout.take().expect("stdout"));
    let first: Vec<String> = (0..3)
        .map(|_| {
            rx.recv_timeout(Duration::from_secs(5))
                .expect("a snapshot while input is open")
        })
        .collect();
    assert_eq!(
        first,
        vec![
            "{\"path\":\"/a\",\"count\":3}",
            "{\"path\":\"/b\",\"count\":2}",
            "{\"path\":\"/c\",\"count\":1}",
        ]
    );
    // More arrives; a later snapshot shows it.
    stdin.write_all(b"{\"path\":\"/d\"}\n").expect("write");
    stdin.flush().expect("flush");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
            .expect("a snapshot with /d");
        if line == "{\"path\":\"/d\",\"count\":1}" {
            break;
        }
    }
    drop(stdin);
    assert!(child.wait().expect("wait").success());
}
