//! `--follow`: like `tail -F` — appends appear promptly, rotation by rename +
//! create and by copytruncate lose and repeat nothing, a partial last line
//! waits for its newline, several files at once, a file created later.
mod util;

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use util::Dir;

/// A generous bound for a loaded machine; a line typically shows in ~20 ms.
const PROMPT: Duration = Duration::from_secs(5);

struct Follower {
    child: Child,
    lines: Receiver<String>,
}

impl Follower {
    fn start(args: &[&str]) -> Follower {
        let mut child = Command::new(util::bin_path())
            .arg("--follow")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start streamctl");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        Follower { child, lines }
    }

    fn next(&self) -> String {
        self.lines
            .recv_timeout(PROMPT)
            .expect("a line within the time bound")
    }

    fn expect(&self, want: &[&str]) {
        for w in want {
            assert_eq!(self.next(), *w);
        }
    }

    fn nothing_for(&self, d: Duration) {
        if let Ok(l) = self.lines.recv_timeout(d) {
            panic!("unexpected line {l:?}");
        }
    }

    /// SIGTERM; return (exit code, stderr, lines written after the last `expect`).
    fn stop(mut self) -> (i32, String, Vec<String>) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let status = self.child.wait().unwrap();
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let rest = self.lines.iter().collect();
        (status.code().unwrap_or(-1), err, rest)
    }
}

fn append(p: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn reads_the_file_then_appends_appear_promptly() {
    let d = Dir::new();
    let log = d.create("app.jsonl", "{\"n\":1}\n");
    let f = Follower::start(&["select n", log.to_str().unwrap()]);
    f.expect(&["{\"n\":1}"]);
    for n in 2..5 {
        let t = Instant::now();
        append(&log, &format!("{{\"n\":{n}}}\n"));
        f.expect(&[&format!("{{\"n\":{n}}}")]);
        assert!(t.elapsed() < PROMPT);
    }
    let (code, err, rest) = f.stop();
    assert_eq!((code, err.as_str(), rest.len()), (0, "", 0));
}

#[test]
fn a_partial_last_line_waits_for_its_newline() {
    let d = Dir::new();
    let log = d.create("app.jsonl", "{\"n\":1}\n{\"n\":");
    let f = Follower::start(&["select n", log.to_str().unwrap()]);
    f.expect(&["{\"n\":1}"]);
    f.nothing_for(Duration::from_millis(300));
    append(&log, "2}\n");
    f.expect(&["{\"n\":2}"]);
    let (code, err, rest) = f.stop();
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(rest.is_empty(), "nothing more: {rest:?}");
}

#[test]
fn rotation_by_rename_and_create_loses_and_repeats_nothing() {
    let d = Dir::new();
    let log = d.create("app.jsonl", "{\"n\":1}\n");
    let f = Follower::start(&["select n", log.to_str().unwrap()]);
    f.expect(&["{\"n\":1}"]);
    std::fs::rename(&log, d.path("app.jsonl.1")).unwrap();
    // The writer still has the old file open for a moment.
    append(&d.path("app.jsonl.1"), "{\"n\":2}\n");
    append(&log, "{\"n\":3}\n");
    f.expect(&["{\"n\":2}", "{\"n\":3}"]);
    append(&log, "{\"n\":4}\n");
    f.expect(&["{\"n\":4}"]);
    let (code, err, rest) = f.stop();
    assert_eq!((code, err.as_str(), rest.len()), (0, "", 0));
}

#[test]
fn the_old_file_is_followed_until_a_new_one_appears() {
    let d = Dir::new();
    let log = d.create("app.log", "a\n");
    let f = Follower::start(&["-i", "lines", "select line", log.to_str().unwrap()]);
    f.expect(&["{\"line\":\"a\"}"]);
    std::fs::rename(&log, d.path("app.log.1")).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    append(&d.path("app.log.1"), "b\n");
    f.expect(&["{\"line\":\"b\"}"]);
    append(&log, "c\n");
    f.expect(&["{\"line\":\"c\"}"]);
    let (code, _, rest) = f.stop();
    assert_eq!((code, rest.len()), (0, 0));
}

#[test]
fn copytruncate_reads_the_file_again_from_its_start() {
    let d = Dir::new();
    let log = d.create("app.log", "a\nb\n");
    let f = Follower::start(&["-i", "lines", "select line", log.to_str().unwrap()]);
    f.expect(&["{\"line\":\"a\"}", "{\"line\":\"b\"}"]);
    std::fs::copy(&log, d.path("app.log.1")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(0)
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    append(&log, "c\n");
    f.expect(&["{\"line\":\"c\"}"]);
    let (code, err, rest) = f.stop();
    assert_eq!((code, rest.len()), (0, 0));
    assert_eq!(
        err,
        format!(
            "streamctl: {} was truncated; reading it again from its start (lines written between a copy and the truncation may be lost)\n",
            log.display()
        )
    );
}

#[test]
fn truncated_and_refilled_before_a_poll_is_still_noticed() {
    let d = Dir::new();
    let log = d.create("app.log", "first line\n");
    let f = Follower::start(&["-i", "lines", "select line", log.to_str().unwrap()]);
    f.expect(&["{\"line\":\"first line\"}"]);
    // Truncate and write more than was read, at once: the size alone would
    // not tell; the first bytes do.
    std::fs::write(&log, "second line, longer\n").unwrap();
    f.expect(&["{\"line\":\"second line, longer\"}"]);
    let (code, err, _) = f.stop();
    assert_eq!(code, 0);
    assert!(err.contains("was truncated"), "{err}");
}

#[test]
fn several_files_at_once() {
    let d = Dir::new();
    let a = d.create("a.jsonl", "{\"f\":\"a\",\"n\":1}\n");
    let b = d.create("b.jsonl", "{\"f\":\"b\",\"n\":1}\n");
    let f = Follower::start(&["select f, n", a.to_str().unwrap(), b.to_str().unwrap()]);
    let mut got = vec![f.next(), f.next()];
    got.sort();
    assert_eq!(got, ["{\"f\":\"a\",\"n\":1}", "{\"f\":\"b\",\"n\":1}"]);
    // Both files are read while neither ends.
    append(&b, "{\"f\":\"b\",\"n\":2}\n");
    f.expect(&["{\"f\":\"b\",\"n\":2}"]);
    append(&a, "{\"f\":\"a\",\"n\":2}\n");
    f.expect(&["{\"f\":\"a\",\"n\":2}"]);
    let (code, err, rest) = f.stop();
    assert_eq!((code, err.as_str(), rest.len()), (0, "", 0));
}

#[test]
fn a_file_that_does_not_exist_yet_is_waited_for() {
    let d = Dir::new();
    let log = d.path("later.jsonl");
    let f = Follower::start(&["select n", log.to_str().unwrap()]);
    f.nothing_for(Duration::from_millis(200));
    append(&log, "{\"n\":1}\n");
    f.expect(&["{\"n\":1}"]);
    let (code, err, _) = f.stop();
    assert_eq!((code, err.as_str()), (0, ""));
}

#[test]
fn a_rotated_csv_file_has_its_own_header() {
    let d = Dir::new();
    let log = d.create("t.csv", "a,b\n1,2\n");
    let f = Follower::start(&["where true", log.to_str().unwrap()]);
    f.expect(&["{\"a\":1,\"b\":2}"]);
    std::fs::rename(&log, d.path("t.csv.1")).unwrap();
    append(&log, "x,y\n3,4\n");
    f.expect(&["{\"x\":3,\"y\":4}"]);
    let (code, err, _) = f.stop();
    assert_eq!((code, err.as_str()), (0, ""));
}

#[test]
fn head_ends_a_followed_run() {
    let d = Dir::new();
    let log = d.create("app.jsonl", "{\"n\":1}\n");
    let mut child = Command::new(util::bin_path())
        .args(["--follow", "head 2", log.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    append(&log, "{\"n\":2}\n{\"n\":3}\n");
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(out, "{\"n\":1}\n{\"n\":2}\n");
}

#[test]
fn a_big_burst_just_before_a_rotation_is_read_to_its_end() {
    let d = Dir::new();
    let log = d.create("app.log", "start\n");
    // `head` ends the run once every line was seen; a lost line would leave it waiting.
    let mut child = Command::new(util::bin_path())
        .args([
            "--follow",
            "-i",
            "lines",
            "head 200002",
            log.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // Megabytes more than one turn of reading, then at once a new file.
    let burst: String = (0..200_000).map(|i| format!("line {i:06}\n")).collect();
    append(&log, &burst);
    std::fs::rename(&log, d.path("app.log.1")).unwrap();
    append(&log, "new\n");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let last = BufReader::new(stdout)
            .lines()
            .map(|l| l.unwrap())
            .enumerate()
            .last();
        let _ = tx.send(last);
    });
    let last = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(last) => last,
        Err(_) => {
            let _ = child.kill();
            panic!("lines were lost: the run did not see all 200002");
        }
    };
    assert!(child.wait().unwrap().success());
    assert_eq!(last, Some((200_001, "{\"line\":\"new\"}".to_string())));
}
