//! `-o` across restarts (DESIGN §6): a resumed run writes exactly the bytes
//! an uninterrupted run would — no second CSV/TSV header, no line appended
//! after a torn one — cuts only what this job wrote after its last commit,
//! and refuses an output that is also an input.
//!
//! A write that fails half way is made real with `RLIMIT_FSIZE`: the kernel
//! writes up to the limit and fails the rest (EFBIG), as a full disk does.
mod util;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use util::Dir;

fn lines(from: u32, to: u32) -> String {
    (from..=to).map(|n| format!("{{\"n\":{n}}}\n")).collect()
}

fn csv_rows(from: u32, to: u32) -> String {
    (from..=to).map(|n| format!("{n},x{n}\n")).collect()
}

/// Run with `args`; with `fsize`, every file the run writes is limited to
/// that many bytes (SIGXFSZ ignored, so a write past it fails with EFBIG).
fn run_limited(args: &[&str], fsize: Option<u64>) -> (String, String, i32) {
    let mut cmd = Command::new(util::bin_path());
    cmd.args(args).stdin(Stdio::null());
    if let Some(limit) = fsize {
        unsafe {
            cmd.pre_exec(move || {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let lim = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let out = cmd.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn run(args: &[&str]) -> (String, String, i32) {
    run_limited(args, None)
}

fn ok(args: &[&str]) {
    let (_, err, code) = run(args);
    assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
}

fn append(p: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(p).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn args<'a>(
    ck: &'a Path,
    g: &'a str,
    fmt: &'a str,
    out: &'a Path,
    input: &'a Path,
) -> Vec<&'a str> {
    vec![
        "--checkpoint",
        ck.to_str().unwrap(),
        "--guarantee",
        g,
        "-O",
        fmt,
        "-o",
        out.to_str().unwrap(),
        "where true",
        input.to_str().unwrap(),
    ]
}

/// What one uninterrupted run over `content` writes with `-O fmt`.
fn uninterrupted(fmt: &str, name: &str, content: &str) -> String {
    let d = Dir::new();
    let input = d.create(name, content);
    let out = d.path("want");
    let (_, err, code) = run(&[
        "-O",
        fmt,
        "-o",
        out.to_str().unwrap(),
        "where true",
        input.to_str().unwrap(),
    ]);
    assert_eq!((code, err.as_str()), (0, ""));
    d.read("want")
}

#[test]
fn a_resumed_csv_or_tsv_output_has_one_header() {
    for fmt in ["csv", "tsv"] {
        for g in ["exactly-once", "at-least-once", "at-most-once"] {
            let d = Dir::new();
            let input = d.create("in.csv", format!("n,s\n{}", csv_rows(1, 2)));
            let (ck, out) = (d.path("c.ckpt"), d.path("out"));
            let a = args(&ck, g, fmt, &out, &input);
            ok(&a);
            append(&input, &csv_rows(3, 4));
            ok(&a);
            ok(&a);
            let want = uninterrupted(fmt, "in.csv", &format!("n,s\n{}", csv_rows(1, 4)));
            assert_eq!(d.read("out"), want, "{fmt} {g}");
        }
    }
}

#[test]
fn a_csv_output_resumed_after_sigterm_has_one_header() {
    let d = Dir::new();
    let input = d.create("in.csv", format!("n,s\n{}", csv_rows(1, 2)));
    let (ck, out) = (d.path("c.ckpt"), d.path("out.csv"));
    let mut a = args(&ck, "exactly-once", "csv", &out, &input);
    a.insert(0, "--follow");
    let mut child = Command::new(util::bin_path())
        .args(&a)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first rows were committed, then stop it cleanly.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&out).unwrap_or_default() != "n,s\n1,x1\n2,x2\n" {
        assert!(std::time::Instant::now() < deadline, "no output");
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    append(&input, &csv_rows(3, 3));
    a.remove(0);
    ok(&a);
    assert_eq!(d.read("out.csv"), "n,s\n1,x1\n2,x2\n3,x3\n");
}

/// A first run writes `n` lines; the second, over `more` new ones, fails
/// part way through a write (the disk is "full" `room` bytes further on).
fn torn_run(g: &str, fmt: &str, room: u64) -> (Dir, Vec<String>) {
    let d = Dir::new();
    let input = d.create("in.jsonl", lines(1, 300));
    let (ck, out) = (d.path("c.ckpt"), d.path("out"));
    let a: Vec<String> = args(&ck, g, fmt, &out, &input)
        .into_iter()
        .map(String::from)
        .collect();
    let a_ref: Vec<&str> = a.iter().map(String::as_str).collect();
    ok(&a_ref);
    append(&input, &lines(301, 400));
    let before = std::fs::metadata(&out).unwrap().len();
    let (_, err, code) = run_limited(&a_ref, Some(before + room));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot write output"), "{err}");
    let torn = std::fs::read(&out).unwrap();
    assert_ne!(torn.last(), Some(&b'\n'), "the write was torn");
    (d, a)
}

#[test]
fn a_torn_line_is_cut_back_with_every_guarantee() {
    for g in ["at-least-once", "at-most-once", "exactly-once"] {
        let (d, a) = torn_run(g, "json", 25);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let (_, err, code) = run(&a);
        assert_eq!(code, 0, "{g}: {err}");
        let got = d.read("out");
        // Whole lines only; what the failed run wrote whole (`{"n":301}`,
        // `{"n":302}`) is kept by the two guarantees that do not cut.
        let want = match g {
            "exactly-once" => lines(1, 400),
            "at-least-once" => lines(1, 302) + &lines(301, 400),
            _ => lines(1, 302),
        };
        assert_eq!(got, want, "{g}");
        if g == "exactly-once" {
            assert_eq!(err, "");
        } else {
            assert!(
                err.starts_with("streamctl: output ")
                    && err.contains("ended in a partial line of 5 bytes"),
                "{g}: {err}"
            );
        }
    }
}

#[test]
fn exactly_once_after_a_torn_csv_write_writes_the_uninterrupted_bytes() {
    let d = Dir::new();
    let input = d.create("in.csv", format!("n,s\n{}", csv_rows(1, 200)));
    let (ck, out) = (d.path("c.ckpt"), d.path("out.csv"));
    let a = args(&ck, "exactly-once", "csv", &out, &input);
    ok(&a);
    append(&input, &csv_rows(201, 300));
    let before = std::fs::metadata(&out).unwrap().len();
    let (_, _, code) = run_limited(&a, Some(before + 20));
    assert_eq!(code, 1);
    ok(&a);
    let want = uninterrupted("csv", "in.csv", &format!("n,s\n{}", csv_rows(1, 300)));
    assert_eq!(d.read("out.csv"), want);
}

#[test]
fn exactly_once_refuses_bytes_another_writer_appended_after_a_clean_stop() {
    let d = Dir::new();
    let input = d.create("in.jsonl", lines(1, 2));
    let (ck, out) = (d.path("c.ckpt"), d.path("out"));
    let a = args(&ck, "exactly-once", "json", &out, &input);
    ok(&a);
    append(&out, "{\"note\":\"by hand\"}\n");
    append(&input, &lines(3, 3));
    let (_, err, code) = run(&a);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err,
        format!(
            "streamctl: output {} has 19 bytes after the 16 this job committed when it last \
             stopped: another program wrote them, and exactly-once would have to cut them away \
             to carry on. Move those bytes (or the file) aside, or pass --reset to start over\n",
            out.display()
        )
    );
    assert_eq!(d.read("out"), lines(1, 2) + "{\"note\":\"by hand\"}\n");
}

#[test]
fn other_guarantees_keep_a_foreign_partial_line_and_start_a_new_one() {
    for g in ["at-least-once", "at-most-once"] {
        let d = Dir::new();
        let input = d.create("in.jsonl", lines(1, 1));
        let (ck, out) = (d.path("c.ckpt"), d.path("out"));
        let a = args(&ck, g, "json", &out, &input);
        ok(&a);
        append(&out, "by hand");
        append(&input, &lines(2, 2));
        let (_, err, code) = run(&a);
        assert_eq!(code, 0);
        assert!(err.contains("did not end with a newline"), "{err}");
        assert_eq!(d.read("out"), lines(1, 1) + "by hand\n" + &lines(2, 2));
    }
}

#[test]
fn an_output_that_is_an_input_is_refused() {
    let d = Dir::new();
    let input = d.create("in.jsonl", lines(1, 2));
    let other = d.create("b.jsonl", lines(3, 3));
    let i = input.to_str().unwrap();
    let (_, err, code) = run(&["-o", i, "where true", other.to_str().unwrap(), i]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "streamctl: output {i} is also an input: the run would read its own results and \
             grow it without end. Write the results to another file\n"
        )
    );
    assert_eq!(d.read("in.jsonl"), lines(1, 2), "untouched");
    // The same file under another name (a hard link), and as stdin.
    let link = d.path("link.jsonl");
    std::fs::hard_link(&input, &link).unwrap();
    let (_, _, code) = run(&["-o", link.to_str().unwrap(), "where true", i]);
    assert_eq!(code, 2);
    let out = Command::new(util::bin_path())
        .args(["-o", i, "where true"])
        .stdin(std::fs::File::open(&input).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let (_, err, code) = run(&["--dead-letter", i, "where true", i]);
    assert_eq!(code, 2);
    assert!(err.contains("dead-letter file"), "{err}");
}
