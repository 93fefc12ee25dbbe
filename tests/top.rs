//! `top N KEYS [by AGG] [WINDOW] [emit every D]` (DESIGN §3): exact rows, ties in
//! first-seen order, windows closing on the watermark, late events, and a
//! comparison with a computation written out in the test.
mod util;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use util::{ok, run};

const HITS: &str = concat!(
    "{\"ts\":\"2024-05-01T10:00:05Z\",\"path\":\"/a\",\"ms\":10}\n",
    "{\"ts\":\"2024-05-01T10:00:10Z\",\"path\":\"/b\",\"ms\":300}\n",
    "{\"ts\":\"2024-05-01T10:00:20Z\",\"path\":\"/c\",\"ms\":20}\n",
    "{\"ts\":\"2024-05-01T10:00:30Z\",\"path\":\"/c\",\"ms\":40}\n",
    "{\"ts\":\"2024-05-01T10:00:40Z\",\"path\":\"/b\",\"ms\":100}\n",
    "{\"ts\":\"2024-05-01T10:00:50Z\",\"path\":\"/d\"}\n",
    "{\"ts\":\"2024-05-01T10:01:10Z\",\"path\":\"/d\",\"ms\":5}\n",
    "{\"ts\":\"2024-05-01T10:01:20Z\",\"path\":\"/a\",\"ms\":15}\n",
    "{\"ts\":\"2024-05-01T10:01:30Z\",\"path\":\"/d\",\"ms\":7}\n",
);

#[test]
fn default_count_ties_in_first_seen_order() {
    // /d has 3; /a, /b and /c tie at 2: first seen wins.
    assert_eq!(
        ok(&["top 3 path"], HITS),
        concat!(
            "{\"path\":\"/d\",\"count\":3}\n",
            "{\"path\":\"/a\",\"count\":2}\n",
            "{\"path\":\"/b\",\"count\":2}\n",
        )
    );
}

#[test]
fn more_than_there_are_groups_and_several_keys() {
    let input = "{\"u\":\"x\",\"c\":1}\n{\"u\":\"y\",\"c\":1}\n{\"u\":\"x\",\"c\":1}\n{\"u\":\"x\",\"c\":2}\n";
    assert_eq!(
        ok(&["top 10 u, c"], input),
        concat!(
            "{\"u\":\"x\",\"c\":1,\"count\":2}\n",
            "{\"u\":\"y\",\"c\":1,\"count\":1}\n",
            "{\"u\":\"x\",\"c\":2,\"count\":1}\n",
        )
    );
}

#[test]
fn by_avg_with_a_group_that_has_no_value_last() {
    let input = concat!(
        "{\"h\":\"x\",\"ms\":1}\n",
        "{\"h\":\"y\"}\n",
        "{\"h\":\"z\",\"ms\":5}\n",
        "{\"h\":\"x\",\"ms\":\"10\"}\n",
    );
    assert_eq!(
        ok(&["top 5 h by avg(ms)"], input),
        concat!(
            "{\"h\":\"x\",\"avg_ms\":5.5}\n",
            "{\"h\":\"z\",\"avg_ms\":5.0}\n",
            "{\"h\":\"y\",\"avg_ms\":null}\n",
        )
    );
    assert_eq!(
        ok(&["top 2 path by max(ms) as worst"], HITS),
        "{\"path\":\"/b\",\"worst\":300}\n{\"path\":\"/c\",\"worst\":40}\n"
    );
}

#[test]
fn tumbling_windows_with_window_columns() {
    assert_eq!(
        ok(&["top 2 path by sum(ms) every 1m"], HITS),
        concat!(
            "{\"window_start\":\"2024-05-01T10:00:00.000Z\",\"window_end\":\"2024-05-01T10:01:00.000Z\",\"path\":\"/b\",\"sum_ms\":400}\n",
            "{\"window_start\":\"2024-05-01T10:00:00.000Z\",\"window_end\":\"2024-05-01T10:01:00.000Z\",\"path\":\"/c\",\"sum_ms\":60}\n",
            "{\"window_start\":\"2024-05-01T10:01:00.000Z\",\"window_end\":\"2024-05-01T10:02:00.000Z\",\"path\":\"/a\",\"sum_ms\":15}\n",
            "{\"window_start\":\"2024-05-01T10:01:00.000Z\",\"window_end\":\"2024-05-01T10:02:00.000Z\",\"path\":\"/d\",\"sum_ms\":12}\n",
        )
    );
}

#[test]
fn windowed_rows_can_be_windowed_again() {
    // Rows carry event time window_end − 1 ms: a second `top` over 2m
    // windows sees the 1m winners.
    assert_eq!(
        ok(&["top 1 path every 1m | top 1 path every 2m"], HITS),
        "{\"window_start\":\"2024-05-01T10:00:00.000Z\",\"window_end\":\"2024-05-01T10:02:00.000Z\",\"path\":\"/b\",\"count\":1}\n"
    );
}

#[test]
fn hopping_windows() {
    let input = concat!(
        "{\"ts\":1700000004,\"k\":\"a\"}\n",
        "{\"ts\":1700000006,\"k\":\"b\"}\n",
        "{\"ts\":1700000007,\"k\":\"b\"}\n",
    );
    assert_eq!(
        ok(&["-O", "csv", "top 1 k every 10s slide 5s"], input),
        concat!(
            "window_start,window_end,k,count\n",
            "2023-11-14T22:13:15.000Z,2023-11-14T22:13:25.000Z,a,1\n",
            "2023-11-14T22:13:20.000Z,2023-11-14T22:13:30.000Z,b,2\n",
            "2023-11-14T22:13:25.000Z,2023-11-14T22:13:35.000Z,b,2\n",
        )
    );
}

#[test]
fn sessions_of_the_whole_stream() {
    // Two bursts separated by more than 30s of silence.
    let input = concat!(
        "{\"ts\":\"2024-05-01T10:00:00Z\",\"u\":\"x\"}\n",
        "{\"ts\":\"2024-05-01T10:00:20Z\",\"u\":\"y\"}\n",
        "{\"ts\":\"2024-05-01T10:00:40Z\",\"u\":\"y\"}\n",
        "{\"ts\":\"2024-05-01T10:05:00Z\",\"u\":\"x\"}\n",
    );
    assert_eq!(
        ok(&["top 1 u session 30s"], input),
        concat!(
            "{\"window_start\":\"2024-05-01T10:00:00.000Z\",\"window_end\":\"2024-05-01T10:01:10.000Z\",\"u\":\"y\",\"count\":2}\n",
            "{\"window_start\":\"2024-05-01T10:05:00.000Z\",\"window_end\":\"2024-05-01T10:05:30.000Z\",\"u\":\"x\",\"count\":1}\n",
        )
    );
}

#[test]
fn late_events_are_not_counted() {
    let input = concat!(
        "{\"ts\":\"2024-05-01T10:00:10Z\",\"p\":\"a\"}\n",
        // Out of order within the 5s lateness: counted.
        "{\"ts\":\"2024-05-01T10:00:59Z\",\"p\":\"b\"}\n",
        "{\"ts\":\"2024-05-01T10:01:03Z\",\"p\":\"c\"}\n",
        "{\"ts\":\"2024-05-01T10:00:58Z\",\"p\":\"b\"}\n",
        // The watermark reaches 10:00:59.999: the first minute closes.
        "{\"ts\":\"2024-05-01T10:01:05Z\",\"p\":\"c\"}\n",
        // Its minute has closed: late.
        "{\"ts\":\"2024-05-01T10:00:30Z\",\"p\":\"a\"}\n",
    );
    let (out, err, code) = run(&["top 1 p every 1m"], input);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        concat!(
            "{\"window_start\":\"2024-05-01T10:00:00.000Z\",\"window_end\":\"2024-05-01T10:01:00.000Z\",\"p\":\"b\",\"count\":2}\n",
            "{\"window_start\":\"2024-05-01T10:01:00.000Z\",\"window_end\":\"2024-05-01T10:02:00.000Z\",\"p\":\"c\",\"count\":2}\n",
        )
    );
    assert_eq!(
        err,
        "streamctl: 1 late event(s) dropped (behind the watermark; see --lateness)\n"
    );
}

#[test]
fn a_window_closes_on_a_quiet_pipe() {
    let mut child = Command::new(util::bin_path())
        .args([
            "--idle-timeout",
            "200ms",
            "--lateness",
            "0s",
            "top 1 p every 1s",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    writeln!(stdin, "{{\"ts\":1700000000000,\"p\":\"a\"}}").unwrap();
    writeln!(stdin, "{{\"ts\":1700000000500,\"p\":\"a\"}}").unwrap();
    stdin.flush().unwrap();
    // stdin stays open; the idle watermark closes the second.
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("row while stdin is open");
    assert_eq!(
        line,
        "{\"window_start\":\"2023-11-14T22:13:20.000Z\",\"window_end\":\"2023-11-14T22:13:21.000Z\",\"p\":\"a\",\"count\":2}"
    );
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn explain_lines() {
    let out = ok(&["--explain", "top 3 path by p95(ms) every 1m"], "");
    assert!(
        out.contains("1. top 3 of path by p95_ms, largest first, per window: tumbling windows of 1m (epoch-aligned)\n     reads: path, ms\n"),
        "{out}"
    );
    let out = ok(&["--explain", "top 3 path"], "");
    assert!(
        out.contains("1. top 3 of path by count, largest first, at end of input\n"),
        "{out}"
    );
    assert!(out.contains("event time: not used\n"), "{out}");
}

/// A small deterministic generator, so the test needs no crate.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn top_matches_an_independent_computation() {
    let mut rng = Lcg(7);
    let mut input = String::new();
    let mut events = Vec::new();
    for i in 0..5000u64 {
        let host = format!("h{}", rng.next(40));
        let ms = rng.next(1000);
        // Mostly in order, some jitter within the default 5s lateness.
        let ts = 1_700_000_000_000 + i * 37 + rng.next(3000);
        input.push_str(&format!(
            "{{\"ts\":{ts},\"host\":\"{host}\",\"ms\":{ms}}}\n"
        ));
        events.push((ts as i64, host, ms));
    }
    // Unwindowed top 5 by sum: computed here with a map and a stable sort.
    let mut order: Vec<String> = Vec::new();
    let mut sums: HashMap<String, u64> = HashMap::new();
    for (_, h, ms) in &events {
        if !sums.contains_key(h) {
            order.push(h.clone());
        }
        *sums.entry(h.clone()).or_default() += ms;
    }
    let mut ranked = order.clone();
    ranked.sort_by(|a, b| sums[b].cmp(&sums[a]));
    let expected: String = ranked[..5]
        .iter()
        .map(|h| format!("{{\"host\":\"{h}\",\"sum_ms\":{}}}\n", sums[h]))
        .collect();
    assert_eq!(ok(&["top 5 host by sum(ms)"], &input), expected);

    // Per 10s window, top 3 by count. The jitter is below the lateness, so no
    // event is late: every window holds exactly its events.
    let mut windows: std::collections::BTreeMap<i64, (Vec<String>, HashMap<String, u64>)> =
        Default::default();
    for (ts, h, _) in &events {
        let w = windows.entry(ts - ts.rem_euclid(10_000)).or_default();
        if !w.1.contains_key(h) {
            w.0.push(h.clone());
        }
        *w.1.entry(h.clone()).or_default() += 1;
    }
    let mut expected = String::new();
    for (start, (order, counts)) in &windows {
        let mut ranked = order.clone();
        ranked.sort_by(|a, b| counts[b].cmp(&counts[a]));
        for h in ranked.iter().take(3) {
            expected.push_str(&format!(
                "{{\"start\":{start},\"host\":\"{h}\",\"count\":{}}}\n",
                counts[h]
            ));
        }
    }
    let out = ok(
        &["top 3 host every 10s | eval start = time(window_start) | select start, host, count"],
        &input,
    );
    assert_eq!(out, expected);
}

/// Read stdout lines on a thread, so a test can wait for them with a timeout.
fn lines_of(stdout: std::process::ChildStdout) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    rx
}

#[test]
fn emit_every_on_a_finite_file_gives_the_final_rows() {
    // Read in less than the period: no snapshot, the final top 2 at the end
    // (issue 18).
    let dir = util::Dir::new();
    let hits = dir.create("hits.jsonl", HITS);
    let out = ok(&["top 2 path emit every 1h", hits.to_str().unwrap()], "");
    assert_eq!(
        out,
        "{\"path\":\"/d\",\"count\":3}\n{\"path\":\"/a\",\"count\":2}\n"
    );
    let out = ok(&["--explain", "top 2 path emit every 5s"], "");
    assert!(
        out.contains("1. top 2 of path by count, largest first, at end of input; and the current top 2 every 5s of wall-clock time\n"),
        "{out}"
    );
}

#[test]
fn emit_every_is_a_live_top_on_an_endless_pipe() {
    // `tail -F app.log | streamctl 'top 2 path emit every 200ms'` (issue 18):
    // the current top 2 comes out while stdin stays open, and follows the input.
    let mut child = Command::new(util::bin_path())
        .arg("top 2 path emit every 200ms")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let rx = lines_of(child.stdout.take().unwrap());
    stdin
        .write_all(b"{\"path\":\"/a\"}\n{\"path\":\"/b\"}\n{\"path\":\"/b\"}\n{\"path\":\"/c\"}\n")
        .unwrap();
    stdin.flush().unwrap();
    let next = || {
        rx.recv_timeout(Duration::from_secs(5))
            .expect("a snapshot while stdin is open")
    };
    assert_eq!(
        [next(), next()],
        [
            "{\"path\":\"/b\",\"count\":2}",
            "{\"path\":\"/a\",\"count\":1}"
        ]
    );
    // /c overtakes: a later snapshot has /c first and /a gone.
    stdin
        .write_all(b"{\"path\":\"/c\"}\n{\"path\":\"/c\"}\n")
        .unwrap();
    stdin.flush().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
            .expect("a snapshot with /c first");
        if line == "{\"path\":\"/c\",\"count\":3}" {
            break;
        }
        assert!(
            line == "{\"path\":\"/b\",\"count\":2}" || line == "{\"path\":\"/a\",\"count\":1}",
            "{line}"
        );
    }
    assert_eq!(next(), "{\"path\":\"/b\",\"count\":2}");
    drop(stdin);
    // Then snapshots of the same top 2, and the final rows at the end.
    let rest: Vec<String> = rx.iter().collect();
    assert!(child.wait().unwrap().success());
    assert!(!rest.is_empty() && rest.len().is_multiple_of(2), "{rest:?}");
    for pair in rest.chunks(2) {
        assert_eq!(
            pair,
            [
                "{\"path\":\"/c\",\"count\":3}",
                "{\"path\":\"/b\",\"count\":2}"
            ]
        );
    }
}

#[test]
fn emit_every_as_a_table_into_a_pipe_writes_a_block_per_snapshot() {
    let mut child = Command::new(util::bin_path())
        .args(["-O", "table", "top 1 path emit every 300ms"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"{\"path\":\"/a\"}\n{\"path\":\"/b\"}\n{\"path\":\"/b\"}\n")
        .unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(800));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let blocks: Vec<&str> = text.split_terminator("\n\n").collect();
    assert!(blocks.len() >= 2, "snapshots and the final rows: {text}");
    for b in blocks {
        let lines: Vec<&str> = b.lines().collect();
        assert!(
            lines[0].starts_with("snapshot ") && lines[0].ends_with(" · all events so far"),
            "{b}"
        );
        assert_eq!(&lines[1..], ["path  count", "/b        2"], "{text}");
    }
}

#[test]
fn emit_on_update_is_refused_and_flink_refuses_emit_every() {
    let (_, err, code) = run(&["top 2 path emit on update"], "");
    assert_eq!(code, 2);
    assert!(
        err.contains("`top` ranks all groups at once; it has no `emit on update`"),
        "{err}"
    );
    let dir = util::Dir::new();
    let events = dir.create("events.jsonl", HITS);
    let (_, err, code) = run(
        &[
            "compile",
            "--target",
            "flink-sql",
            "top 2 path every 1m emit every 10s",
            events.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`emit every 10s` snapshots the top groups on the wall clock"),
        "{err}"
    );
}
