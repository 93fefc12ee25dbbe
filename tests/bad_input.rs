//! Bad input is data: nothing in the input crashes or stops a run (DESIGN §4).
mod util;

use std::io::Write;
use std::process::{Command, Stdio};

use util::{run, streamctl, Dir};

#[test]
fn malformed_lines_are_reported_and_skipped() {
    let input = &b"{\"a\":1}\n{\"a\":\n{\"a\":\"\xff\"}\n[1]\n{\"a\":2}"[..];
    let out = streamctl()
        .arg("where a > 0")
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"a\":1}\n{\"a\":2}\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "<stdin>:2: invalid JSON: expected a value, found end of line\n\
<stdin>:3: invalid UTF-8 at byte 7 (streamctl reads UTF-8: convert the text first, e.g. iconv -f latin1 -t utf-8)\n\
<stdin>:4: expected a JSON object at column 1\n\
streamctl: 3 malformed line(s) skipped\n"
    );
}

#[test]
fn invalid_utf8_bytes_as_raw_input() {
    let out = streamctl()
        .arg("where a > 0")
        .write_stdin(&b"{\"a\":\"\xc3\x28\"}\n{\"a\":5}\n"[..])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "{\"a\":5}\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "<stdin>:1: invalid UTF-8 at byte 7 (streamctl reads UTF-8: convert the text first, e.g. iconv -f latin1 -t utf-8)\nstreamctl: 1 malformed line(s) skipped\n"
    );
}

#[test]
fn only_ten_are_shown_then_a_count() {
    let input = "x{\n".repeat(12) + "{\"a\":1}\n";
    let (out, err, code) = run(&["-i", "json", "where a == 1"], &input);
    assert_eq!(code, 0);
    assert_eq!(out, "{\"a\":1}\n");
    assert_eq!(err.lines().count(), 11);
    assert!(
        err.ends_with("streamctl: 12 malformed line(s) skipped (2 not shown)\n"),
        "{err}"
    );
}

#[test]
fn dead_letter_gets_rejected_lines_byte_for_byte() {
    let d = Dir::new();
    let dl = d.path("dead.txt");
    let f = d.create("in.csv", "a,b\n1,2\n3\r\n4,5,6\n\"7\",8\n");
    let out = streamctl()
        .args([
            "--on-error",
            "skip",
            "--dead-letter",
            dl.to_str().unwrap(),
            "where a > 0",
            f.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"a\":1,\"b\":2}\n{\"a\":7,\"b\":8}\n"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "skip is silent");
    assert_eq!(d.read("dead.txt"), "3\n4,5,6\n");
}

#[test]
fn on_error_fail_stops_with_exit_1() {
    let (out, err, code) = run(
        &["--on-error", "fail", "where a > 0"],
        "{\"a\":1}\n{oops\n{\"a\":2}\n",
    );
    assert_eq!(code, 1);
    assert_eq!(out, "{\"a\":1}\n");
    assert!(
        err.starts_with("streamctl: <stdin>:2: invalid JSON"),
        "{err}"
    );
    assert!(err.contains("--on-error fail"), "{err}");
}

#[test]
fn crlf_and_last_line_without_newline() {
    let (out, err, code) = run(&["where a > 0"], "{\"a\":1}\r\n{\"a\":2}");
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, "{\"a\":1}\n{\"a\":2}\n");
}

#[test]
fn over_long_line_is_rejected_and_dead_lettered_whole() {
    let d = Dir::new();
    let dl = d.path("dead.txt");
    let long = format!("{{\"a\":\"{}\"}}", "x".repeat(5000));
    let input = format!("{{\"a\":1}}\n{long}\n{{\"a\":2}}\n");
    let out = streamctl()
        .args([
            "--max-line-bytes",
            "1000",
            "--dead-letter",
            dl.to_str().unwrap(),
            "where a != null",
        ])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"a\":1}\n{\"a\":2}\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "<stdin>:2: line of 5008 bytes is longer than --max-line-bytes; it was skipped (raise the limit with --max-line-bytes)\n\
streamctl: 1 malformed line(s) skipped\n"
    );
    assert_eq!(d.read("dead.txt"), format!("{long}\n"));
}

/// Peak RSS of all waited-for children of this test process, in KiB.
fn children_max_rss_kib() -> i64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    ru.ru_maxrss
}

#[test]
fn a_300_mb_line_keeps_memory_bounded() {
    let mut child = Command::new(util::bin_path())
        .arg("where a > 0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        stdin.write_all(b"{\"a\":1}\n{\"a\":\"").unwrap();
        let block = vec![b'x'; 1 << 20];
        for _ in 0..300 {
            stdin.write_all(&block).unwrap();
        }
        stdin.write_all(b"\"}\n{\"a\":2}\n").unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"a\":1}\n{\"a\":2}\n"
    );
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("<stdin>:2: line of 314572808 bytes is longer"));
    let rss = children_max_rss_kib();
    assert!(rss < 100 * 1024, "peak RSS {rss} KiB");
}
