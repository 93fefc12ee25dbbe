//! Checkpoints (DESIGN §6): resume, refusals, damaged files, locks, signals,
//! and inputs rotated, truncated or replaced while streamctl was stopped.
mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use util::{streamctl, Dir};

fn lines(from: u32, to: u32) -> String {
    (from..=to).map(|n| format!("{{\"n\":{n}}}\n")).collect()
}

/// Run with the given args (no stdin); (stdout, stderr, code).
fn run_in(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(util::bin_path())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn ok_in(args: &[&str]) -> String {
    let (out, err, code) = run_in(args);
    assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
    out
}

fn append(p: &std::path::Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(p).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn a_second_run_carries_on_where_the_first_stopped() {
    let d = Dir::new();
    let input = d.create("in.jsonl", lines(1, 3));
    let ck = d.path("c.ckpt");
    let args = [
        "--checkpoint",
        ck.to_str().unwrap(),
        "where n != 2",
        input.to_str().unwrap(),
    ];
    assert_eq!(ok_in(&args), lines(1, 1) + &lines(3, 3));
    assert_eq!(ok_in(&args), "", "nothing new: nothing again");
    append(&input, &lines(4, 5));
    assert_eq!(ok_in(&args), lines(4, 5));
}

#[test]
fn a_csv_header_is_remembered_across_runs() {
    let d = Dir::new();
    let input = d.create("t.csv", "a,b\n1,x\n");
    let ck = d.path("c.ckpt");
    let args = [
        "--checkpoint",
        ck.to_str().unwrap(),
        "where true",
        input.to_str().unwrap(),
    ];
    assert_eq!(ok_in(&args), "{\"a\":1,\"b\":\"x\"}\n");
    append(&input, "2,y\n");
    assert_eq!(ok_in(&args), "{\"a\":2,\"b\":\"y\"}\n");
}

#[test]
fn head_state_survives_a_restart() {
    let d = Dir::new();
    let input = d.create("in.jsonl", lines(1, 2));
    let ck = d.path("c.ckpt");
    let args = [
        "--checkpoint",
        ck.to_str().unwrap(),
        "head 3",
        input.to_str().unwrap(),
    ];
    assert_eq!(ok_in(&args), lines(1, 2));
    append(&input, &lines(3, 6));
    assert_eq!(ok_in(&args), lines(3, 3));
    append(&input, &lines(7, 7));
    assert_eq!(ok_in(&args), "");
}

fn damaged(content: &[u8], why: &str) {
    let d = Dir::new();
    let input = d.create("in.jsonl", lines(1, 2));
    let ck = d.create("c.ckpt", content);
    let (out, err, code) = run_in(&[
        "--checkpoint",
        ck.to_str().unwrap(),
        "where true",
        input.to_str().unwrap(),
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        format!(
            "streamctl: checkpoint {} {why}; it was left as it is. Move it aside to keep it, or pass --reset to start over from the beginning\n",
            ck.display()
        )
    );
    assert_eq!(std::fs::read(&ck).unwrap(), content, "nothing overwritten");
}

/// A good checkpoint's bytes, from a real run.
fn good_checkpoint() -> Vec<u8> {
    let d = Dir::new();
    let input = d.create("in.jsonl", lines(1, 2));
    let ck = d.path("c.ckpt");
    ok_in(&[
        "--checkpoint",
        ck.to_str().unwrap(),
        "where true",
        input.to_str().unwrap(),
    ]);
    std::fs::read(&ck).unwrap()
}

#[test]
fn an_empty_checkpoint_is_an_error_not_a_fresh_start() {
    damaged(b"", "is empty");
}

#[test]
fn a_torn_checkpoint_is_an_error() {
    let good = good_checkpoint();
    let len = good.len();
    let content_len = len - (good.iter().position(|&b| b == b'\n').unwrap() + 1);
    damaged(
        &good[..len - 10],
        &format!(
            "is truncated ({} of {content_len} bytes of content)",
            content_len - 10
        ),
    );
}

#[test]
fn a_garbled_checkpoint_is_an_error() {
    let mut bad = good_checkpoint();
    let i = bad.len() - 5;
    bad[i] = b'#';
    damaged(&bad, "is damaged (its checksum does not match its content)");
    damaged(
        b"hello world\n",
        "is not a streamctl checkpoint (its first line is not `streamctl-checkpoint …`)",
    );
}

#[test]
fn another_pipeline_is_refused_unless_reset() {
    let d = Dir::new();
    let input = d.create("in.jsonl", lines(1, 3));
    let ck = d.path("c.ckpt");
    let c = ck.to_str().unwrap();
    let i = input.to_str().unwrap();
    ok_in(&["--checkpoint", c, "where n > 1", i]);
    let before = std::fs::read(&ck).unwrap();
    let (out, err, code) = run_in(&["--checkpoint", c, "where n > 2", i]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        format!("streamctl: checkpoint {c} belongs to another pipeline or other options (it was made for `where n > 1`); carrying on from it would mix two jobs. Run the same pipeline with the same inputs and options, or pass --reset to start over\n")
    );
    // Options that change results count too.
    let (_, _, code) = run_in(&["--checkpoint", c, "-O", "csv", "where n > 1", i]);
    assert_eq!(code, 2);
    assert_eq!(std::fs::read(&ck).unwrap(), before);
    // The same pipeline written differently is the same job.
    assert_eq!(ok_in(&["--checkpoint", c, "where   n>1", i]), "");
    assert_eq!(
        ok_in(&["--checkpoint", c, "--reset", "where n > 2", i]),
        lines(3, 3)
    );
    assert_eq!(ok_in(&["--checkpoint", c, "where n > 2", i]), "");
}

#[test]
fn option_combinations_that_cannot_keep_a_promise_are_refused() {
    let d = Dir::new();
    let input = d.create("in.jsonl", lines(1, 1));
    let i = input.to_str().unwrap();
    let c = d.path("c.ckpt");
    let c = c.to_str().unwrap();
    let (_, err, code) = run_in(&[
        "--checkpoint",
        c,
        "--guarantee",
        "exactly-once",
        "where true",
        i,
    ]);
    assert_eq!(code, 2);
    assert_eq!(err, "streamctl: --guarantee exactly-once needs -o FILE: stdout cannot take back what it wrote before a crash, so results could repeat. Write to a file with -o, or use --guarantee at-least-once\n");
    let (_, err, code) = run_in(&["--guarantee", "at-least-once", "where true", i]);
    assert_eq!(code, 2);
    assert_eq!(err, "streamctl: --guarantee at-least-once needs --checkpoint F: a guarantee is about carrying on from a checkpoint after a restart\n");
    let (_, err, code) = run_in(&["--reset", "where true", i]);
    assert_eq!(
        (code, err.as_str()),
        (
            2,
            "streamctl: --reset needs --checkpoint F (the checkpoint to start over)\n"
        )
    );
}

#[test]
fn stdin_that_is_a_pipe_is_refused_but_a_redirected_file_resumes() {
    let d = Dir::new();
    let ck = d.path("c.ckpt");
    let c = ck.to_str().unwrap();
    let out = streamctl()
        .args(["--checkpoint", c, "where true"])
        .write_stdin(lines(1, 2))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("streamctl: --checkpoint needs input that can be read again after a restart, but stdin is a pipe or a terminal."), "{err}");
    assert!(err.contains("--follow FILE"), "{err}");
    assert!(!ck.exists());

    let input = d.create("in.jsonl", lines(1, 2));
    let from_file = || {
        let out = Command::new(util::bin_path())
            .args(["--checkpoint", c, "where true"])
            .stdin(std::fs::File::open(&input).unwrap())
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(from_file(), lines(1, 2));
    append(&input, &lines(3, 3));
    assert_eq!(from_file(), lines(3, 3));
}

/// A followed run with a checkpoint, and the lines it writes.
struct Live {
    child: Child,
    rx: std::sync::mpsc::Receiver<String>,
}

impl Live {
    fn start(args: &[&str]) -> Live {
        let mut child = Command::new(util::bin_path())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines() {
                let _ = tx.send(l.unwrap());
            }
        });
        Live { child, rx }
    }

    fn next(&self) -> String {
        self.rx
            .recv_timeout(Duration::from_secs(10))
            .expect("a line")
    }

    fn term(mut self) -> (i32, String) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let code = self.child.wait().unwrap().code().unwrap_or(-1);
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (code, err)
    }
}

#[test]
fn sigterm_commits_the_open_state_and_the_next_run_carries_on() {
    let d = Dir::new();
    let input = d.create("in.jsonl", lines(1, 2));
    let ck = d.path("c.ckpt");
    let args = [
        "--follow",
        "--checkpoint",
        ck.to_str().unwrap(),
        "head 3",
        input.to_str().unwrap(),
    ];
    let live = Live::start(&args);
    assert_eq!(live.next(), "{\"n\":1}");
    assert_eq!(live.next(), "{\"n\":2}");
    assert_eq!(live.term(), (0, String::new()));
    // head has seen 2 of its 3: the next run passes one more and ends.
    append(&input, &lines(3, 5));
    assert_eq!(ok_in(&args), lines(3, 3));
}

#[test]
fn a_second_run_on_a_locked_checkpoint_is_refused() {
    let d = Dir::new();
    let input = d.create("in.jsonl", lines(1, 1));
    let ck = d.path("c.ckpt");
    let c = ck.to_str().unwrap();
    let live = Live::start(&[
        "--follow",
        "--checkpoint",
        c,
        "where true",
        input.to_str().unwrap(),
    ]);
    assert_eq!(live.next(), "{\"n\":1}");
    let (out, err, code) = run_in(&["--checkpoint", c, "where true", input.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        format!("streamctl: checkpoint {c} is in use by another streamctl run (it holds {c}.lock); stop that run first, or give this one another --checkpoint file\n")
    );
    assert_eq!(live.term().0, 0);
    // The lock goes with the process that held it.
    assert_eq!(
        ok_in(&["--checkpoint", c, "where true", input.to_str().unwrap()]),
        ""
    );
}

#[test]
fn rotation_while_stopped_reads_the_old_files_tail_first() {
    let d = Dir::new();
    let log = d.create("app.jsonl", lines(1, 2));
    let ck = d.path("c.ckpt");
    let args = [
        "--checkpoint",
        ck.to_str().unwrap(),
        "where true",
        log.to_str().unwrap(),
    ];
    assert_eq!(ok_in(&args), lines(1, 2));
    // While streamctl is stopped: more lines, rotation, a new file.
    append(&log, &lines(3, 4));
    std::fs::rename(&log, d.path("app.jsonl.1")).unwrap();
    std::fs::write(&log, lines(5, 6)).unwrap();
    assert_eq!(ok_in(&args), lines(3, 6));
    assert_eq!(ok_in(&args), "");
}

#[test]
fn rotation_while_stopped_with_follow() {
    let d = Dir::new();
    let log = d.create("app.log", "a\nb\n");
    let ck = d.path("c.ckpt");
    let args = [
        "--follow",
        "-i",
        "lines",
        "--checkpoint",
        ck.to_str().unwrap(),
        "select line",
        log.to_str().unwrap(),
    ];
    let live = Live::start(&args);
    assert_eq!(live.next(), "{\"line\":\"a\"}");
    assert_eq!(live.next(), "{\"line\":\"b\"}");
    assert_eq!(live.term().0, 0);
    // A partial last line when it stopped, completed and rotated while stopped.
    append(&log, "c\npart");
    let live = Live::start(&args);
    assert_eq!(live.next(), "{\"line\":\"c\"}");
    assert_eq!(live.term().0, 0);
    append(&log, "ial\n");
    std::fs::rename(&log, d.path("app.log.1")).unwrap();
    std::fs::write(&log, "d\n").unwrap();
    let live = Live::start(&args);
    assert_eq!(live.next(), "{\"line\":\"partial\"}");
    assert_eq!(live.next(), "{\"line\":\"d\"}");
    let (code, err) = live.term();
    assert_eq!((code, err.as_str()), (0, ""));
}

#[test]
fn a_file_truncated_while_stopped_is_read_from_its_start_with_a_warning() {
    let d = Dir::new();
    let log = d.create("app.jsonl", lines(1, 3));
    let ck = d.path("c.ckpt");
    let args = [
        "--checkpoint",
        ck.to_str().unwrap(),
        "where true",
        log.to_str().unwrap(),
    ];
    ok_in(&args);
    std::fs::write(&log, lines(7, 7)).unwrap(); // same inode, shorter
    let (out, err, code) = run_in(&args);
    assert_eq!((code, out), (0, lines(7, 7)));
    assert_eq!(
        err,
        format!("streamctl: {} is shorter (8 bytes) than where the checkpoint left it (24 bytes): it was truncated (copytruncate?) while streamctl was stopped, and no copy of it is beside it. Reading it from its start; whatever it held past byte 24 when it was truncated cannot be recovered\n", log.display())
    );
}

#[test]
fn a_replaced_file_is_read_from_its_start() {
    let d = Dir::new();
    let log = d.create("app.jsonl", lines(1, 3));
    let ck = d.path("c.ckpt");
    let args = [
        "--checkpoint",
        ck.to_str().unwrap(),
        "where true",
        log.to_str().unwrap(),
    ];
    ok_in(&args);
    // Same inode, longer, other first bytes: a new file, not a continuation.
    std::fs::write(&log, lines(10, 14)).unwrap();
    let (out, err, code) = run_in(&args);
    assert_eq!((code, out), (0, lines(10, 14)));
    assert_eq!(err, format!("streamctl: {} is a new file (its first bytes differ from the checkpoint's); reading it from its start\n", log.display()));
    // Another inode, and the old file gone.
    std::fs::remove_file(&log).unwrap();
    std::fs::write(&log, lines(20, 20)).unwrap();
    let (out, err, code) = run_in(&args);
    assert_eq!((code, out), (0, lines(20, 20)));
    // The filesystem may give the new file the old inode: then it is told
    // apart by its length (or first bytes).
    assert!(
        err.contains("is not the file the checkpoint was reading")
            || err.contains("is shorter (9 bytes)"),
        "{err}"
    );
}

#[test]
fn two_files_with_the_same_first_lines_keep_their_own_offsets() {
    let d = Dir::new();
    let a = d.create("a.jsonl", lines(1, 2));
    let b = d.create("b.jsonl", lines(1, 1));
    let ck = d.path("c.ckpt");
    let args = [
        "--checkpoint",
        ck.to_str().unwrap(),
        "where true",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ];
    assert_eq!(ok_in(&args), lines(1, 2) + &lines(1, 1));
    append(&b, &lines(2, 2));
    append(&a, &lines(3, 3));
    assert_eq!(ok_in(&args), lines(3, 3) + &lines(2, 2));
}

#[test]
fn exactly_once_cuts_the_output_back_to_the_committed_length() {
    let d = Dir::new();
    let input = d.create("in.jsonl", lines(1, 2));
    let out = d.path("out.jsonl");
    let ck = d.path("c.ckpt");
    let args = [
        "--checkpoint",
        ck.to_str().unwrap(),
        "--guarantee",
        "exactly-once",
        "-o",
        out.to_str().unwrap(),
        "where true",
        input.to_str().unwrap(),
    ];
    ok_in(&args);
    assert_eq!(d.read("out.jsonl"), lines(1, 2));
    append(&input, &lines(3, 4));
    ok_in(&args);
    assert_eq!(d.read("out.jsonl"), lines(1, 4));
    // What a crashed run wrote after its last commit is cut back: see
    // tests/output_resume.rs, which tears a write for real.
    // An output shorter than the checkpoint says cannot be carried on.
    std::fs::write(&out, "").unwrap();
    let (_, err, code) = run_in(&args);
    assert_eq!(code, 2);
    assert!(
        err.contains("has 0 bytes, fewer than the 32 the checkpoint covers"),
        "{err}"
    );
}

#[test]
fn the_checkpoint_interval_commits_while_running() {
    let d = Dir::new();
    let log = d.create("app.jsonl", lines(1, 3));
    let ck = d.path("c.ckpt");
    let live = Live::start(&[
        "--follow",
        "--checkpoint",
        ck.to_str().unwrap(),
        "--checkpoint-interval",
        "50ms",
        "where true",
        log.to_str().unwrap(),
    ]);
    for _ in 0..3 {
        live.next();
    }
    // Without any signal, a checkpoint covering the lines appears.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(&ck).unwrap_or_default();
        if text.contains("\"offset\":24") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint: {text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe { libc::kill(live.child.id() as i32, libc::SIGKILL) };
}

#[test]
fn a_failed_output_write_stops_the_run_and_commits_nothing_after_it() {
    let d = Dir::new();
    let input = d.create("in.jsonl", lines(1, 3));
    let ck = d.path("c.ckpt");
    let (_, err, code) = run_in(&[
        "--checkpoint",
        ck.to_str().unwrap(),
        "-o",
        "/dev/full",
        "where true",
        input.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.starts_with("streamctl: cannot write output"), "{err}");
    // at-least-once commits only after the results were written: the only
    // checkpoint is the one taken before anything was read.
    let text = std::fs::read_to_string(&ck).unwrap();
    assert!(text.contains("\"offset\":0,\"line\":0"), "{text}");
}

#[test]
fn sigterm_keeps_open_windows_for_the_next_run() {
    let d = Dir::new();
    let ev = |t: u64, k: &str| format!("{{\"ts\":{t},\"k\":\"{k}\"}}\n");
    let t0 = 1_700_000_040_000u64; // a minute boundary
    let input = d.create(
        "in.jsonl",
        ev(t0, "a") + &ev(t0 + 1000, "a") + &ev(t0 + 2000, "b"),
    );
    let ck = d.path("c.ckpt");
    let c = ck.to_str().unwrap();
    let i = input.to_str().unwrap();
    let common = ["--idle-timeout", "1h", "--checkpoint", c];
    let mut args = vec!["--follow"];
    args.extend(common);
    args.extend(["count by k every 1m", i]);
    let live = Live::start(&args);
    // Wait until the three events are in a committed checkpoint.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&ck).is_ok_and(|t| t.contains("\"offset\":87")) {
        assert!(std::time::Instant::now() < deadline, "no checkpoint");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Nothing is emitted early: the window is still open when it stops.
    assert_eq!(live.term(), (0, String::new()));
    append(&input, &(ev(t0 + 3000, "a") + &ev(t0 + 70_000, "b")));
    let mut args = common.to_vec();
    args.extend(["count by k every 1m", i]);
    assert_eq!(
        ok_in(&args),
        "{\"window_start\":\"2023-11-14T22:14:00.000Z\",\"window_end\":\"2023-11-14T22:15:00.000Z\",\"k\":\"a\",\"count\":3}\n\
         {\"window_start\":\"2023-11-14T22:14:00.000Z\",\"window_end\":\"2023-11-14T22:15:00.000Z\",\"k\":\"b\",\"count\":1}\n\
         {\"window_start\":\"2023-11-14T22:15:00.000Z\",\"window_end\":\"2023-11-14T22:16:00.000Z\",\"k\":\"b\",\"count\":1}\n"
    );
}

/// Same inode, same first 256 bytes (a long CSV header), written again in
/// place while stopped: the bytes before the saved offset tell it changed,
/// so it is read from its start, not from the middle of a line.
#[test]
fn a_file_with_the_same_start_rewritten_in_place_is_read_from_its_start() {
    let d = Dir::new();
    let header: String = (0..40)
        .map(|i| format!("column_{i:02}"))
        .collect::<Vec<_>>()
        .join(",");
    assert!(header.len() > 256);
    let row = |v: &str| format!("{v}{}\n", ",x".repeat(39));
    let csv = d.create("t.csv", format!("{header}\n{}{}", row("1"), row("2")));
    let ck = d.path("c.ckpt");
    let args = [
        "--checkpoint",
        ck.to_str().unwrap(),
        "select column_00",
        csv.to_str().unwrap(),
    ];
    assert_eq!(ok_in(&args), "{\"column_00\":1}\n{\"column_00\":2}\n");
    // Same inode (written in place), same header, other rows, longer.
    std::fs::write(
        &csv,
        format!("{header}\n{}{}{}", row("10000"), row("20000"), row("3")),
    )
    .unwrap();
    let (out, err, code) = run_in(&args);
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "{\"column_00\":10000}\n{\"column_00\":20000}\n{\"column_00\":3}\n"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "changed while streamctl was stopped: it starts as before, but the bytes before byte"
        ),
        "{err}"
    );
    // Carrying on from there as usual.
    assert_eq!(ok_in(&args), "");
}

/// copytruncate while stopped: the lines past the checkpoint are in the
/// copy beside the file; they are read from there (with the CSV header the
/// checkpoint kept), then the truncated file from its start.
#[test]
fn a_file_copytruncated_while_stopped_is_read_on_from_its_copy() {
    let d = Dir::new();
    let csv = d.create("t.csv", "a\n1\n2\n");
    let ck = d.path("c.ckpt");
    let args = [
        "--checkpoint",
        ck.to_str().unwrap(),
        "where true",
        csv.to_str().unwrap(),
    ];
    assert_eq!(ok_in(&args), "{\"a\":1}\n{\"a\":2}\n");
    append(&csv, "3\n4\n");
    std::fs::copy(&csv, d.path("t.csv.1")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&csv)
        .unwrap();
    append(&csv, "a\n5\n");
    let (out, err, code) = run_in(&args);
    assert_eq!(
        (code, out.as_str()),
        (0, "{\"a\":3}\n{\"a\":4}\n{\"a\":5}\n"),
        "{err}"
    );
    assert_eq!(
        err,
        format!(
            "streamctl: {} was truncated while streamctl was stopped (copytruncate); its 4 bytes past where the checkpoint left it were read from its copy {} first, then {} from its start\n",
            csv.display(),
            d.path("t.csv.1").display(),
            csv.display()
        )
    );
    assert_eq!(ok_in(&args), "");
}
