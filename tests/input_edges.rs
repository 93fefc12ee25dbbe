//! Inputs that are not plain files: a byte order mark, pipes and FIFOs
//! (with and without --checkpoint, and --follow), a FIFO as the checkpoint.

mod util;

use std::ffi::CString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use util::{ok, run, Dir};

fn mkfifo(p: &Path) {
    let c = CString::new(p.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// Run to its end, with a deadline (a hang fails the test instead of blocking it).
fn run_within(args: &[&str], secs: u64) -> (String, String, i32) {
    let mut child = Command::new(util::bin_path())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("streamctl {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn a_byte_order_mark_does_not_reject_the_first_line() {
    assert_eq!(
        ok(&["where a > 0"], "\u{feff}{\"a\":1}\n{\"a\":2}\n"),
        "{\"a\":1}\n{\"a\":2}\n"
    );
    let d = Dir::new();
    let csv = d.create("t.csv", "\u{feff}a,b\n1,x\n");
    assert_eq!(
        ok(&["where a == 1", csv.to_str().unwrap()], ""),
        "{\"a\":1,\"b\":\"x\"}\n"
    );
    // Only the first line of a file: further on it is data.
    let (_, err, code) = run(&["where true"], "{\"a\":1}\n\u{feff}{\"a\":2}\n");
    assert_eq!(code, 0);
    assert!(err.starts_with("<stdin>:2: "), "{err}");
}

#[test]
fn dev_stdin_from_a_pipe_is_refused_with_checkpoint_as_dash_is() {
    let d = Dir::new();
    let ck = d.path("c.ckpt");
    let (out, err, code) = run(
        &[
            "--checkpoint",
            ck.to_str().unwrap(),
            "where true",
            "/dev/stdin",
        ],
        "{\"a\":1}\n",
    );
    assert_eq!((out.as_str(), code), ("", 2), "{err}");
    assert!(
        err.contains("--checkpoint needs input that can be read again after a restart, but /dev/stdin is a pipe, a FIFO or a device"),
        "{err}"
    );
}

#[test]
fn a_fifo_input_with_checkpoint_is_refused_without_waiting_for_a_writer() {
    let d = Dir::new();
    let fifo = d.path("in.fifo");
    mkfifo(&fifo);
    let ck = d.path("c.ckpt");
    let (_, err, code) = run_within(
        &[
            "--checkpoint",
            ck.to_str().unwrap(),
            "where true",
            fifo.to_str().unwrap(),
        ],
        10,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a pipe, a FIFO or a device"), "{err}");
}

#[test]
fn a_fifo_as_checkpoint_is_refused_without_blocking() {
    let d = Dir::new();
    let input = d.create("in.jsonl", "{\"a\":1}\n");
    let ck = d.path("c.ckpt");
    mkfifo(&ck);
    let (out, err, code) = run_within(
        &[
            "--checkpoint",
            ck.to_str().unwrap(),
            "where true",
            input.to_str().unwrap(),
        ],
        10,
    );
    assert_eq!((out.as_str(), code), ("", 2), "{err}");
    assert!(err.contains("is not a regular file"), "{err}");
}

/// Blocked opening a FIFO nobody writes to, the run still ends on SIGTERM
/// (and on SIGINT), as at the end of its input.
#[test]
fn a_signal_ends_a_run_waiting_for_a_fifo_writer() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let d = Dir::new();
        let fifo = d.path("in.fifo");
        mkfifo(&fifo);
        let child = Command::new(util::bin_path())
            .args(["count", fifo.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        unsafe { libc::kill(child.id() as i32, sig) };
        let started = Instant::now();
        let out = child.wait_with_output().unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "{\"count\":0}\n");
    }
}

/// `--follow` on a FIFO reads it as a stream until its writer closes it.
#[test]
fn follow_reads_a_fifo_as_a_stream() {
    let d = Dir::new();
    let fifo: PathBuf = d.path("in.fifo");
    mkfifo(&fifo);
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut w = std::fs::OpenOptions::new()
            .write(true)
            .open(writer_path)
            .unwrap();
        w.write_all(b"{\"a\":1}\n").unwrap();
        std::thread::sleep(Duration::from_millis(100));
        w.write_all(b"{\"a\":2}\n").unwrap();
    });
    let (out, err, code) = run_within(&["--follow", "where true", fifo.to_str().unwrap()], 10);
    writer.join().unwrap();
    assert_eq!(
        (out.as_str(), err.as_str(), code),
        ("{\"a\":1}\n{\"a\":2}\n", "", 0)
    );
}
