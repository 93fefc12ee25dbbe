//! `--multiline-start REGEX`: a Java stack trace or a Python traceback is
//! one event; a live input lets its last event go after --idle-timeout; an
//! event is bounded by --max-line-bytes; checkpoints stay at event
//! boundaries, so a killed run resumes without splitting or repeating one.
mod util;

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use util::{streamctl, Dir};

/// A generous bound for a loaded machine, only ever waited out on failure.
const PROMPT: Duration = Duration::from_secs(20);

const START: &str = r"^\d{4}-\d{2}-\d{2} ";

const LOG4J: &str = "\
2026-03-01 12:00:05,123 INFO  [main] com.example.App - started
2026-03-01 12:00:06,456 ERROR [main] com.example.App - request failed
java.lang.IllegalStateException: boom
\tat com.example.App.handle(App.java:42)
\tat com.example.App.main(App.java:10)
Caused by: java.io.IOException: disk full
\t... 2 more
2026-03-01 12:00:07,000 INFO  [main] com.example.App - done
";

const PYTHON: &str = r#"2026-03-01 12:00:05,123 ERROR app: handler failed
Traceback (most recent call last):
  File "app.py", line 10, in <module>
    main()
  File "app.py", line 6, in main
    raise ValueError("bad input")
ValueError: bad input
2026-03-01 12:00:06,000 INFO app: recovered
"#;

fn run_ok(args: &[&str]) -> String {
    let out = streamctl().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {err}");
    assert_eq!(err, "", "stderr for {args:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_log4j_stack_trace_is_one_event() {
    let d = Dir::new();
    let log = d.create("app.log", LOG4J);
    let got = run_ok(&[
        "--multiline-start",
        START,
        r#"parse regex "^(?P<ts>\S+ \S+) (?P<level>\w+)" | select ts, level, line"#,
        log.to_str().unwrap(),
    ]);
    assert_eq!(
        got,
        concat!(
            r#"{"ts":"2026-03-01 12:00:05,123","level":"INFO","line":"2026-03-01 12:00:05,123 INFO  [main] com.example.App - started"}"#,
            "\n",
            r#"{"ts":"2026-03-01 12:00:06,456","level":"ERROR","line":"2026-03-01 12:00:06,456 ERROR [main] com.example.App - request failed\njava.lang.IllegalStateException: boom\n\tat com.example.App.handle(App.java:42)\n\tat com.example.App.main(App.java:10)\nCaused by: java.io.IOException: disk full\n\t... 2 more"}"#,
            "\n",
            r#"{"ts":"2026-03-01 12:00:07,000","level":"INFO","line":"2026-03-01 12:00:07,000 INFO  [main] com.example.App - done"}"#,
            "\n",
        )
    );
    // The exception class is reachable in the joined text; event time comes
    // from the first line's timestamp.
    let got = run_ok(&[
        "--multiline-start",
        START,
        r#"parse regex "^(?P<ts>\S+ \S+) (?P<level>\w+)[^\n]*(?:\n(?P<exception>[\w.]+))?" | where level == "ERROR" | count by exception every 1m"#,
        log.to_str().unwrap(),
    ]);
    assert_eq!(
        got,
        "{\"window_start\":\"2026-03-01T12:00:00.000Z\",\"window_end\":\"2026-03-01T12:01:00.000Z\",\"exception\":\"java.lang.IllegalStateException\",\"count\":1}\n"
    );
}

#[test]
fn a_python_traceback_is_one_event() {
    let d = Dir::new();
    let log = d.create("app.log", PYTHON);
    let got = run_ok(&[
        "--multiline-start",
        START,
        r#"parse regex "(?P<error>\w+Error): (?P<reason>[^\n]*)$" | where error != null | select error, reason, line"#,
        log.to_str().unwrap(),
    ]);
    assert_eq!(
        got,
        concat!(
            r#"{"error":"ValueError","reason":"bad input","line":"2026-03-01 12:00:05,123 ERROR app: handler failed\nTraceback (most recent call last):\n  File \"app.py\", line 10, in <module>\n    main()\n  File \"app.py\", line 6, in main\n    raise ValueError(\"bad input\")\nValueError: bad input"}"#,
            "\n"
        )
    );
    // Every line is in exactly one event; the lines before the first start
    // line are an event of their own.
    let got = run_ok(&[
        "--multiline-start",
        START,
        "-O",
        "csv",
        "eval first = line | select first",
        d.create("b.log", format!("no date\n  more\n{PYTHON}"))
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(got.matches('\n').count(), 1 + 3 + 7, "{got}");
    assert!(got.starts_with("first\n\"no date\n  more\"\n\"2026-03-01 12:00:05,123 ERROR"));
}

#[test]
fn messages_name_the_events_first_line() {
    let d = Dir::new();
    let log = d.create(
        "app.log",
        b"2026-03-01 a\n  one\n  bad \xff\n2026-03-01 b\n".as_slice(),
    );
    let out = streamctl()
        .args(["--multiline-start", START, "select line"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"line\":\"2026-03-01 b\"}\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!("{}:1: invalid UTF-8 at byte 26 (streamctl reads UTF-8: convert the text first, e.g. iconv -f latin1 -t utf-8)", log.display())),
        "{err}"
    );
}

#[test]
fn an_event_over_max_line_bytes_is_rejected_and_nothing_else_is_lost() {
    let d = Dir::new();
    let trace: String = (0..20).map(|i| format!("\tat frame{i}\n")).collect();
    let text = format!("2026-03-01 ok\n2026-03-01 long\n{trace}2026-03-01 after\n  x\n");
    let log = d.create("app.log", &text);
    let dead = d.path("dead.txt");
    let out = streamctl()
        .args(["--multiline-start", START, "--max-line-bytes", "60"])
        .arg("--dead-letter")
        .arg(&dead)
        .arg("select line")
        .arg(&log)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"line\":\"2026-03-01 ok\"}\n{\"line\":\"2026-03-01 after\\n  x\"}\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let len = "2026-03-01 long\n".len() + trace.len() - 1;
    assert!(
        err.starts_with(&format!(
            "{}:2: event of {len} bytes (lines joined by --multiline-start) is longer than --max-line-bytes",
            log.display()
        )),
        "{err}"
    );
    // The dead-letter file holds the event as it was read.
    assert_eq!(
        std::fs::read_to_string(&dead).unwrap(),
        format!("2026-03-01 long\n{trace}")
    );
}

#[test]
fn a_start_line_over_max_line_bytes_does_not_take_the_event_before_it() {
    // The over-long line starts an event of its own: the trace before it is
    // whole and comes out; only the long line's event is rejected.
    let d = Dir::new();
    let long = format!("2026-03-01 long {}", "q".repeat(100));
    let text = format!("2026-03-01 a\n\tat x\n{long}\n\tat y\n2026-03-01 b\n");
    let log = d.create("app.log", &text);
    let dead = d.path("dead.txt");
    let out = streamctl()
        .args(["--multiline-start", START, "--max-line-bytes", "60"])
        .arg("--dead-letter")
        .arg(&dead)
        .arg("select line")
        .arg(&log)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"line\":\"2026-03-01 a\\n\\tat x\"}\n{\"line\":\"2026-03-01 b\"}\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "{}:3: event of {} bytes (lines joined by --multiline-start) is longer than \
             --max-line-bytes; it was skipped (raise the limit with --max-line-bytes)\n\
             streamctl: 1 malformed line(s) skipped\n",
            log.display(),
            long.len() + "\n\tat y".len()
        )
    );
    assert_eq!(
        std::fs::read_to_string(&dead).unwrap(),
        format!("{long}\n\tat y\n")
    );
}

#[test]
fn other_input_formats_are_refused() {
    let out = streamctl()
        .args(["--multiline-start", "^x", "-i", "json", "select a"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("-i lines"), "{err}");
    let out = streamctl()
        .args(["--multiline-start", "(", "select a"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid --multiline-start regex `(`"), "{err}");
}

/// Lines of `child`'s stdout, as they come.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
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
fn a_trace_written_slowly_into_a_pipe_comes_out_whole_after_the_idle_timeout() {
    let mut child = Command::new(util::bin_path())
        .args([
            "--multiline-start",
            START,
            "--idle-timeout",
            "500ms",
            "select line",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = lines_of(&mut child);
    let mut stdin = child.stdin.take().unwrap();
    for line in LOG4J.lines().skip(1).take(6) {
        stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
        // Slower than a burst, faster than the idle timeout.
        std::thread::sleep(Duration::from_millis(100));
    }
    // stdin stays open: the event comes out because no line followed it.
    let got = lines.recv_timeout(PROMPT).expect("the event, let go");
    assert_eq!(
        got,
        r#"{"line":"2026-03-01 12:00:06,456 ERROR [main] com.example.App - request failed\njava.lang.IllegalStateException: boom\n\tat com.example.App.handle(App.java:42)\n\tat com.example.App.main(App.java:10)\nCaused by: java.io.IOException: disk full\n\t... 2 more"}"#
    );
    stdin.write_all(b"2026-03-01 next\n").unwrap();
    drop(stdin);
    assert_eq!(
        lines.recv_timeout(PROMPT).unwrap(),
        r#"{"line":"2026-03-01 next"}"#
    );
    assert!(child.wait().unwrap().success());
}

fn append(p: &Path, text: &str) {
    OpenOptions::new()
        .append(true)
        .open(p)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

/// The committed offset and line count of the first input.
fn committed(ck: &Path) -> (u64, u64) {
    let bytes = std::fs::read(ck).unwrap();
    let nl = bytes.iter().position(|&b| b == b'\n').unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes[nl + 1..]).unwrap();
    let input = &v["inputs"][0];
    (
        input["offset"].as_u64().unwrap(),
        input["line"].as_u64().unwrap(),
    )
}

#[test]
fn a_held_event_is_not_committed_and_a_resumed_run_reads_it_whole() {
    let d = Dir::new();
    let first = "2026-03-01 a\n  a1\n";
    let log = d.create("app.log", format!("{first}2026-03-01 b\n  b1\n"));
    let ck = d.path("run.ckpt");
    let out = d.path("out.jsonl");
    let mut child = Command::new(util::bin_path())
        .args([
            "--follow",
            "--idle-timeout",
            "1h",
            "--multiline-start",
            START,
        ])
        .arg("--checkpoint")
        .arg(&ck)
        .arg("-o")
        .arg(&out)
        .args(["select line"])
        .arg(&log)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + PROMPT;
    while std::fs::read_to_string(&out).unwrap_or_default().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no output");
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(err, "");
    // The event `b` was held (more of it may come): the checkpoint stops before it.
    assert_eq!(committed(&ck), (first.len() as u64, 2));
    append(&log, "  b2\n2026-03-01 c\n");
    let got = run_ok(&[
        "--multiline-start",
        START,
        "--checkpoint",
        ck.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "select line",
        log.to_str().unwrap(),
    ]);
    assert_eq!(got, "");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        concat!(
            r#"{"line":"2026-03-01 a\n  a1"}"#,
            "\n",
            r#"{"line":"2026-03-01 b\n  b1\n  b2"}"#,
            "\n",
            r#"{"line":"2026-03-01 c"}"#,
            "\n"
        )
    );
}

/// Events of 1 to 4 lines, some continuation lines long.
fn traces(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!("2026-03-01 {i} {}\n", ["a", "b", "c"][i % 3]));
        for j in 0..(i * 7 % 4) {
            s.push_str(&format!("\tat frame{j}.{}\n", "x".repeat(i % 13)));
        }
    }
    s
}

#[test]
fn killed_and_resumed_exactly_once_gives_the_uninterrupted_output() {
    let d = Dir::new();
    let log = d.create("app.log", traces(4000));
    let pipeline =
        r#"parse regex "^\S+ (?P<n>\d+) (?P<k>\w)" | where n % 3 != 0 | select n, k, line"#;
    let want_path = d.path("want.jsonl");
    run_ok(&[
        "--multiline-start",
        START,
        "-o",
        want_path.to_str().unwrap(),
        pipeline,
        log.to_str().unwrap(),
    ]);
    let want = std::fs::read(&want_path).unwrap();
    let out = d.path("out.jsonl");
    let ck = d.path("run.ckpt");
    let args = [
        "--multiline-start",
        START,
        "--checkpoint",
        ck.to_str().unwrap(),
        "--guarantee",
        "exactly-once",
        "--checkpoint-interval",
        "37",
        "-o",
        out.to_str().unwrap(),
        pipeline,
        log.to_str().unwrap(),
    ];
    let mut killed = 0;
    for i in 0..8u64 {
        let mut child = Command::new(util::bin_path())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5 + i * 7 % 40));
        if child.try_wait().unwrap().is_none() {
            unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
            killed += 1;
        }
        child.wait().unwrap();
    }
    run_ok(&args);
    let got = std::fs::read(&out).unwrap();
    assert!(
        got == want,
        "output differs from the uninterrupted run after {killed} kills ({} vs {} bytes)",
        got.len(),
        want.len()
    );
    assert!(killed >= 2, "too few kills landed while running");
}

#[test]
fn a_line_still_being_written_holds_its_event_past_the_idle_timeout() {
    // The writer wrote part of a continuation line (no `\n` yet) and paused
    // longer than the idle timeout: the event is not let go without it.
    let mut child = Command::new(util::bin_path())
        .args([
            "--multiline-start",
            START,
            "--idle-timeout",
            "300ms",
            "select line",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = lines_of(&mut child);
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"2026-03-01 12:00:06,456 ERROR boom\n\tat A.b(A.java:4")
        .unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    stdin.write_all(b")\n").unwrap();
    stdin.flush().unwrap();
    let got = lines.recv_timeout(PROMPT).expect("the event, let go");
    assert_eq!(
        got,
        r#"{"line":"2026-03-01 12:00:06,456 ERROR boom\n\tat A.b(A.java:4)"}"#
    );
    drop(stdin);
    assert!(lines.recv_timeout(PROMPT).is_err());
    assert!(child.wait().unwrap().success());
}
