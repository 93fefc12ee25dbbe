//! The command line: inputs, outputs, pipeline files, exit codes, signals.
mod util;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use util::{ok, run, streamctl, Dir};

const EVENTS: &str = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n";

#[test]
fn reads_stdin_and_files_in_order() {
    let d = Dir::new();
    let f1 = d.create("one.jsonl", "{\"a\":1}\n");
    let f2 = d.create("two.jsonl", "{\"a\":2}\n");
    let out = streamctl()
        .args([
            "where a > 0",
            f1.to_str().unwrap(),
            "-",
            f2.to_str().unwrap(),
        ])
        .write_stdin("{\"a\":9}\n")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"a\":1}\n{\"a\":9}\n{\"a\":2}\n"
    );
    assert!(out.status.success());
}

#[test]
fn pipeline_from_a_file_makes_every_positional_an_input() {
    let d = Dir::new();
    let p = d.create("p.sc", "where a >= 2\n| select a\n");
    let f = d.create("in.jsonl", EVENTS);
    let out = streamctl()
        .args(["-f", p.to_str().unwrap(), f.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"a\":2}\n{\"a\":3}\n"
    );
}

#[test]
fn output_file_is_appended() {
    let d = Dir::new();
    let o = d.create("out.jsonl", "old\n");
    ok(&["-o", o.to_str().unwrap(), "where a == 2"], EVENTS);
    assert_eq!(d.read("out.jsonl"), "old\n{\"a\":2}\n");
}

#[test]
fn usage_errors_exit_2() {
    let (_, err, code) = run(&["where a > 1", "/no/such/file.jsonl"], "");
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "streamctl: cannot open input /no/such/file.jsonl: No such file or directory (os error 2) (check the path; use - for stdin)\n"
    );
    let (_, err, code) = run(&[], "");
    assert_eq!(code, 2);
    assert!(err.starts_with("streamctl: no pipeline given"), "{err}");
    let (_, _, code) = run(&["--no-such-flag", "where a"], "");
    assert_eq!(code, 2);
    let (_, err, code) = run(&["--lateness", "soon", "where a"], "");
    assert_eq!(code, 2);
    assert!(err.contains("`soon` is not a duration"), "{err}");
}

#[test]
fn head_ends_the_run_cleanly() {
    assert_eq!(ok(&["head 2"], EVENTS), "{\"a\":1}\n{\"a\":2}\n");
    assert_eq!(ok(&["head 0"], EVENTS), "");
}

#[test]
fn explain_prints_the_plan_and_runs_nothing() {
    let out = ok(
        &["--explain", "where status >= 500 | select path, status"],
        "{\"status\":500}\n",
    );
    assert_eq!(
        out,
        "pipeline: where status >= 500 | select path, status\n\
input: <stdin> as auto (by extension, else by the first line)\n\
event time: not used\n\
stages:\n  \
1. where: keep events matching a condition\n     reads: status\n  \
2. select: keep path, status\n     reads: path, status\n\
output: stdout as json\n"
    );
}

#[test]
fn stats_go_to_stderr() {
    let (out, err, code) = run(&["--stats", "where a >= 2"], EVENTS);
    assert_eq!(code, 0);
    assert_eq!(out, "{\"a\":2}\n{\"a\":3}\n");
    let re = regex::Regex::new(
        r"^streamctl: events in 3, out 2, rejected 0, late 0, unparsed 0, bytes 24, elapsed \d+\.\d{3}s, \d+ events/s\n$",
    )
    .unwrap();
    assert!(re.is_match(&err), "{err}");
}

#[test]
fn closed_downstream_pipe_exits_quietly() {
    // Enough output that streamctl is still writing when `head -1` leaves.
    let line = "{\"a\":1}\n".repeat(200_000);
    let mut child = Command::new(util::bin_path())
        .arg("where a == 1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(line.as_bytes());
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 8];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn sigterm_flushes_and_exits_0() {
    let mut child = Command::new(util::bin_path())
        .arg("where a >= 2")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(EVENTS.as_bytes()).unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"a\":2}\n{\"a\":3}\n"
    );
}
