//! `--progress`: a bar on stderr only when stderr is a terminal, never in a
//! pipe or a file, cleared before exit, and bad-line reports kept whole.
mod util;

use std::process::{Command, Stdio};

use util::pty::Pty;
use util::{bin_path, streamctl, Dir};

fn events(n: usize) -> String {
    (0..n)
        .map(|i| format!("{{\"i\":{i},\"status\":{}}}\n", 200 + (i % 2) * 300))
        .collect()
}

/// Run with stderr on a pseudo-terminal and stdout on a pipe; return
/// (stdout, what the terminal showed, exit code).
fn with_tty_stderr(args: &[&str], envs: &[(&str, &str)]) -> (String, String, i32) {
    let pty = Pty::open(100);
    let mut cmd = Command::new(bin_path());
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(pty.slave.try_clone().expect("dup pty"));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("spawn");
    drop(cmd);
    let screen = pty.reader();
    let out = child.wait_with_output().expect("wait");
    let screen = screen.join().expect("pty reader");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&screen).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn no_bar_when_stderr_is_a_pipe_even_if_asked() {
    let d = Dir::new();
    let f = d.create("in.jsonl", events(1000));
    for flags in [&[][..], &["--progress"][..]] {
        let out = streamctl()
            .args(flags)
            .args(["where status >= 500", f.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{flags:?}");
        assert_eq!(out.stdout.iter().filter(|b| **b == b'\n').count(), 500);
    }
}

#[test]
fn no_bar_when_stderr_is_a_file() {
    let d = Dir::new();
    let f = d.create("in.jsonl", events(10));
    let err = std::fs::File::create(d.path("err.txt")).unwrap();
    let status = Command::new(bin_path())
        .args(["--progress", "where status >= 500", f.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(err)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(d.read("err.txt"), "");
}

#[test]
fn bar_on_a_terminal_shows_bytes_and_events_then_is_cleared() {
    let d = Dir::new();
    let input = events(2000);
    let f = d.create("in.jsonl", &input);
    let (out, screen, code) = with_tty_stderr(&["where status >= 500", f.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{screen}");
    assert_eq!(out.lines().count(), 1000);
    let total = format!("/{}", fmt_bytes(input.len()));
    assert!(screen.contains(&total), "no total {total} in {screen:?}");
    assert!(screen.contains(" events"), "{screen:?}");
    assert!(screen.contains("ETA"), "{screen:?}");
    // One line, never wrapped: no cursor-up to redraw a second line.
    assert!(!screen.contains("\x1b[1A"), "{screen:?}");
    // The last thing on the terminal clears the bar's line.
    assert!(
        screen.ends_with("\r\x1b[2K") || screen.ends_with("\x1b[2K"),
        "{screen:?}"
    );
}

#[test]
fn no_progress_turns_it_off_on_a_terminal() {
    let d = Dir::new();
    let f = d.create("in.jsonl", events(100));
    let (out, screen, code) = with_tty_stderr(
        &["--no-progress", "where status >= 500", f.to_str().unwrap()],
        &[],
    );
    assert_eq!((code, screen.as_str()), (0, ""));
    assert_eq!(out.lines().count(), 50);
}

#[test]
fn a_pipe_on_stdin_has_no_bar_unless_asked() {
    // stdin is /dev/null here: not a regular file, so its size is unknown.
    let (_, screen, code) = with_tty_stderr(&["where status >= 500"], &[]);
    assert_eq!((code, screen.as_str()), (0, ""));
    let (_, screen, code) = with_tty_stderr(&["--progress", "where status >= 500"], &[]);
    assert_eq!(code, 0);
    assert!(screen.contains("0 B read"), "{screen:?}");
}

#[test]
fn bad_line_reports_are_whole_lines_above_the_bar() {
    let d = Dir::new();
    let mut input = events(500);
    input.push_str("{broken\n");
    input.push_str(&events(500));
    let f = d.create("in.jsonl", &input);
    let name = f.to_str().unwrap();
    let (_, screen, code) = with_tty_stderr(&["where status >= 500", name], &[]);
    assert_eq!(code, 0);
    // The report starts a line of its own (after the bar was cleared) and
    // ends it, so no bar text is glued to it.
    let report = format!("{name}:501: ");
    let at = screen.find(&report).expect("report shown");
    let before = &screen[..at];
    assert!(
        before.is_empty() || before.ends_with("\x1b[2K") || before.ends_with('\n'),
        "{screen:?}"
    );
    let line_end = at + screen[at..].find('\n').expect("report line ends");
    assert!(!screen[at..line_end].contains('['), "{screen:?}");
    assert!(
        screen.contains("streamctl: 1 malformed line(s) skipped"),
        "{screen:?}"
    );
}

/// indicatif's binary byte units (`{bytes}`).
fn fmt_bytes(n: usize) -> String {
    if n < 1024 {
        format!("{n} B")
    } else {
        format!("{:.2} KiB", n as f64 / 1024.0)
    }
}
