//! No write to stdout or stderr panics (DESIGN §2, §4): a full or closed
//! stdout/stderr ends the run with its own exit status — 1 when results or
//! an answer could not be written, 0 for a closed pipe — and stderr that
//! cannot be written only loses the messages.
mod util;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn full() -> Stdio {
    Stdio::from(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    )
}

/// Run with stdin `input`; stdout and stderr as given. (code, stdout, stderr).
fn run(args: &[&str], input: &str, out: Stdio, err: Stdio) -> (i32, String, String) {
    let mut child = Command::new(util::bin_path())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap();
    // A run that reads nothing (--explain, a usage error) may be gone already.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let o = child.wait_with_output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_full_stdout_is_an_error_not_a_panic() {
    let d = util::Dir::new();
    let file = d.create("ev.jsonl", "{\"k\":1}\n");
    let file = file.to_str().unwrap();
    for args in [
        vec!["--explain", "count by k"],
        vec!["count"],
        vec![
            "compile",
            "--target",
            "flink-sql",
            "--sink-path",
            "/tmp/x",
            "count",
            file,
        ],
        vec!["help", "language"],
    ] {
        let (code, _, err) = run(&args, "{}\n", full(), Stdio::piped());
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(
            err.starts_with("streamctl: cannot write") && err.contains("No space left on device"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_full_stderr_keeps_the_exit_status() {
    let cases: [(&[&str], &str, i32); 5] = [
        (&["--stats", "count"], "{}\n", 0),
        (&["count"], "{\"a\":\n{}\n", 0),
        (&["cout"], "", 2),
        (&["--no-such-flag", "count"], "", 2),
        (&["--on-error", "fail", "count"], "{\"a\":\n", 1),
    ];
    for (args, input, want) in cases {
        let (code, out, _) = run(args, input, Stdio::piped(), full());
        assert_eq!(code, want, "{args:?}");
        if want == 0 {
            assert_eq!(out, "{\"count\":1}\n", "{args:?}");
        }
    }
}

#[test]
fn a_closed_pipe_on_stdout_and_stderr_together_exits_quietly() {
    // `streamctl … 2>&1 | head -1` on a run that warns: the first warning is
    // read, the pipe closes, and then more warnings and results come.
    let (r, w) = std::io::pipe().unwrap();
    let w2 = w.try_clone().unwrap();
    let mut child = Command::new(util::bin_path())
        .args(["-i", "json", "where true"])
        .stdin(Stdio::piped())
        .stdout(Stdio::from(w))
        .stderr(Stdio::from(w2))
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"not json\n").unwrap();
    let mut first = String::new();
    BufReader::new(r).read_line(&mut first).unwrap();
    assert_eq!(first, "<stdin>:1: expected a JSON object at column 1\n");
    // The read end is gone: both streams now write to a closed pipe.
    let mut rest = String::new();
    for i in 0..5 {
        rest += &format!("bad {i}\n{{\"n\":{i}}}\n");
    }
    stdin.write_all(rest.as_bytes()).unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}
