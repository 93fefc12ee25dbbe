//! Compressed input (issue 15, "input that is not what it seems"): gzip and
//! zstd told by their first bytes whatever the name, on stdin too, rotated
//! `.gz` files read in order with plain ones, `--follow` refused, damage
//! reported as bad input, and checkpoints that resume in the decompressed
//! text (also across a SIGKILL, with --multiline-start too). Exact output.
mod util;

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use util::{streamctl, Dir};

fn gzip(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

fn zstd(text: &str) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(text.as_bytes(), ruzstd::encoding::CompressionLevel::Fastest)
}

/// Run with no stdin; (stdout, stderr, exit code).
fn run(args: &[&str]) -> (String, String, i32) {
    let out = streamctl().args(args).output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn ok(args: &[&str]) -> String {
    let (out, err, code) = run(args);
    assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
    out
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

const EVENTS: &str = "{\"status\":200,\"path\":\"/a\"}\n{\"status\":500,\"path\":\"/b\"}\n{\"status\":200,\"path\":\"/c\"}\n";
const COUNTS: &str = "{\"status\":200,\"count\":2}\n{\"status\":500,\"count\":1}\n";

#[test]
fn gzip_and_zstd_are_read_whatever_the_file_is_called() {
    let d = Dir::new();
    for (name, bytes) in [
        ("events.jsonl.gz", gzip(EVENTS)),
        ("events.log", gzip(EVENTS)),
        ("no-extension", zstd(EVENTS)),
        ("events.jsonl.zst", zstd(EVENTS)),
    ] {
        let f = d.create(name, bytes);
        assert_eq!(ok(&["count by status", p(&f)]), COUNTS, "{name}");
    }
}

#[test]
fn compressed_stdin_is_read_from_a_pipe_and_from_a_file() {
    for bytes in [gzip(EVENTS), zstd(EVENTS)] {
        let out = streamctl()
            .args(["count by status"])
            .write_stdin(bytes.clone())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stderr), "");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), COUNTS);
        let d = Dir::new();
        let f = d.create("in", bytes);
        let out = Command::new(util::bin_path())
            .args(["count by status"])
            .stdin(std::fs::File::open(&f).unwrap())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), COUNTS);
    }
}

#[test]
fn concatenated_gzip_members_are_one_text_and_a_csv_gz_is_csv() {
    let d = Dir::new();
    let mut bytes = gzip("status,path\n200,/a\n");
    bytes.extend(gzip("500,/b\n"));
    let f = d.create("t.csv.gz", bytes);
    assert_eq!(
        ok(&["where true", p(&f)]),
        "{\"status\":200,\"path\":\"/a\"}\n{\"status\":500,\"path\":\"/b\"}\n"
    );
}

const ACCESS_2: &str = "\
203.0.113.9 - - [01/Mar/2026:10:00:05 +0000] \"GET /api/users HTTP/1.1\" 200 512 \"-\" \"curl/8.5.0\"
198.51.100.4 - - [01/Mar/2026:10:00:09 +0000] \"GET /api/orders HTTP/1.1\" 404 0 \"-\" \"curl/8.5.0\"
";
const ACCESS_1: &str = "\
192.0.2.77 - - [01/Mar/2026:11:00:01 +0000] \"POST /api/orders HTTP/1.1\" 503 0 \"-\" \"python-requests/2.31\"
192.0.2.77 - - [01/Mar/2026:11:00:02 +0000] \"GET /api/users HTTP/1.1\" 200 77 \"-\" \"python-requests/2.31\"
";
const ACCESS_0: &str = "\
203.0.113.9 - - [01/Mar/2026:12:00:00 +0000] \"GET /health HTTP/1.1\" 200 2 \"-\" \"kube-probe/1.29\"
";

#[test]
fn rotated_gz_and_plain_files_are_read_in_the_order_given() {
    let d = Dir::new();
    let old = d.create("access.log.2.gz", gzip(ACCESS_2));
    let mid = d.create("access.log.1", ACCESS_1);
    let new = d.create("access.log", ACCESS_0);
    let files = [p(&old), p(&mid), p(&new)];
    let mut args = vec!["parse nginx | count by status"];
    args.extend(files);
    assert_eq!(
        ok(&args),
        "{\"status\":200,\"count\":3}\n{\"status\":404,\"count\":1}\n{\"status\":503,\"count\":1}\n"
    );
    let mut args = vec!["parse nginx | select ts, status, path"];
    args.extend(files);
    assert_eq!(
        ok(&args),
        "{\"ts\":\"2026-03-01T10:00:05.000Z\",\"status\":200,\"path\":\"/api/users\"}\n\
         {\"ts\":\"2026-03-01T10:00:09.000Z\",\"status\":404,\"path\":\"/api/orders\"}\n\
         {\"ts\":\"2026-03-01T11:00:01.000Z\",\"status\":503,\"path\":\"/api/orders\"}\n\
         {\"ts\":\"2026-03-01T11:00:02.000Z\",\"status\":200,\"path\":\"/api/users\"}\n\
         {\"ts\":\"2026-03-01T12:00:00.000Z\",\"status\":200,\"path\":\"/health\"}\n"
    );
}

#[test]
fn rotated_logfmt_files_count_by_a_field_with_no_parse() {
    // `streamctl 'count by status' access.log.2.gz access.log.1 access.log`
    let d = Dir::new();
    let old = d.create(
        "access.log.2.gz",
        gzip("ts=2026-03-01T10:00:05Z method=GET path=/a status=200\nts=2026-03-01T10:00:06Z method=GET path=/b status=404\n"),
    );
    let mid = d.create(
        "access.log.1",
        "ts=2026-03-01T11:00:00Z method=POST path=/a status=200\n",
    );
    let new = d.create(
        "access.log",
        "ts=2026-03-01T12:00:00Z method=GET path=\"/a b\" status=500\n",
    );
    assert_eq!(
        ok(&["count by status", p(&old), p(&mid), p(&new)]),
        "{\"status\":200,\"count\":2}\n{\"status\":404,\"count\":1}\n{\"status\":500,\"count\":1}\n"
    );
}

#[test]
fn follow_on_a_compressed_file_is_refused() {
    let d = Dir::new();
    let f = d.create("app.log.1.gz", gzip(EVENTS));
    let (out, err, code) = run(&["--follow", "count", p(&f)]);
    assert_eq!((out.as_str(), code), ("", 2));
    assert_eq!(
        err,
        format!(
            "streamctl: --follow cannot follow {0}: it is gzip-compressed, and a compressed \
             file does not grow line by line. Read it without --follow (it is decompressed as \
             it is read), and follow the plain log it was rotated from, e.g. `streamctl \
             PIPELINE {0} && streamctl --follow PIPELINE {1}`\n",
            p(&f),
            p(&d.path("app.log"))
        )
    );
    // The plain log it names is the one the file was rotated from.
    let f = d.create("access.log-20260301.zst", zstd("{}\n"));
    let (_, err, _) = run(&["--follow", "count", p(&f)]);
    assert!(
        err.ends_with(&format!(
            "streamctl --follow PIPELINE {}`\n",
            p(&d.path("access.log"))
        )),
        "{err}"
    );
}

/// A gzip stream cut after `text` was compressed: it decompresses to
/// exactly `text`, then ends early.
fn truncated_gzip(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.flush().unwrap();
    e.get_ref().clone()
}

#[test]
fn a_truncated_gzip_keeps_the_lines_before_the_cut_and_says_where() {
    let d = Dir::new();
    let cut = d.create(
        "app.log.1.gz",
        truncated_gzip("{\"n\":1}\n{\"n\":2}\n{\"n\":3,\"pa"),
    );
    let next = d.create("app.log", "{\"n\":4}\n");
    let dead = d.path("dead.txt");
    let (out, err, code) = run(&["--dead-letter", p(&dead), "select n", p(&cut), p(&next)]);
    assert_eq!(code, 0);
    assert_eq!(out, "{\"n\":1}\n{\"n\":2}\n{\"n\":4}\n");
    assert_eq!(
        err,
        format!(
            "{}:3: the gzip data ends early, after 26 bytes of text: the file is truncated (cut \
             while copied, or still being written); check it with `gzip -t`. The lines before \
             it were read; this partial line and the rest of the file were not\n\
             streamctl: 1 malformed line(s) skipped\n",
            p(&cut)
        )
    );
    assert_eq!(std::fs::read_to_string(&dead).unwrap(), "{\"n\":3,\"pa\n");
    // Stopped at it with --on-error fail (the lines before went out).
    let (out, err, code) = run(&["--on-error", "fail", "select n", p(&cut), p(&next)]);
    assert_eq!((out.as_str(), code), ("{\"n\":1}\n{\"n\":2}\n", 1));
    assert!(err.contains(":3: the gzip data ends early"), "{err}");
}

#[test]
fn damaged_or_cut_data_is_reported_never_a_crash() {
    let d = Dir::new();
    let text: String = (0..2000).map(|n| format!("{{\"n\":{n}}}\n")).collect();
    let mut bad = gzip(&text);
    let mid = bad.len() / 2;
    bad[mid] ^= 0xff;
    let z = zstd(&text);
    for (name, bytes, codec) in [
        ("bad.gz", bad, "gzip"),
        ("cut.zst", z[..z.len() / 2].to_vec(), "zstd"),
        ("header.gz", b"\x1f\x8b\x08".to_vec(), "gzip"),
    ] {
        let f = d.create(name, bytes);
        let (_, err, code) = run(&["count", p(&f)]);
        assert_eq!(code, 0, "{name}: {err}");
        assert!(
            err.starts_with(&format!("{}:", p(&f))) && err.contains(&format!("the {codec} data")),
            "{name}: {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

/// The checkpoint's record of the first input.
fn committed(ck: &Path) -> serde_json::Value {
    let bytes = std::fs::read(ck).unwrap();
    let nl = bytes.iter().position(|&b| b == b'\n').unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes[nl + 1..]).unwrap();
    v["inputs"][0].clone()
}

#[test]
fn a_checkpoint_counts_text_bytes_and_names_the_compressed_file() {
    let d = Dir::new();
    let first = "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n";
    let gz = gzip(first);
    let f = d.create("in.jsonl.gz", &gz);
    let ck = d.path("c.ckpt");
    let args = ["--checkpoint", p(&ck), "where n != 2", p(&f)];
    assert_eq!(ok(&args), "{\"n\":1}\n{\"n\":3}\n");
    let at = committed(&ck);
    assert_eq!(at["offset"], first.len() as u64, "{at}");
    assert_eq!(at["line"], 3);
    // The identity is the compressed file's: its inode and its first bytes.
    assert_eq!(at["file"]["ino"], std::fs::metadata(&f).unwrap().ino());
    assert_eq!(at["file"]["fp_len"], gz.len() as u64);
    assert_eq!(at["file"]["fp_crc"], crc32fast::hash(&gz));
    assert_eq!(ok(&args), "", "nothing new: nothing again");
    // A member appended (as `gzip -c more >> in.jsonl.gz` does): only it is new.
    let mut file = std::fs::OpenOptions::new().append(true).open(&f).unwrap();
    file.write_all(&gzip("{\"n\":4}\n{\"n\":2}\n{\"n\":5}\n"))
        .unwrap();
    assert_eq!(ok(&args), "{\"n\":4}\n{\"n\":5}\n");
}

#[test]
fn a_csv_header_in_a_compressed_file_is_remembered_across_runs() {
    let d = Dir::new();
    let f = d.create("t.csv.zst", zstd("a,b\n1,x\n"));
    let ck = d.path("c.ckpt");
    let args = ["--checkpoint", p(&ck), "where true", p(&f)];
    assert_eq!(ok(&args), "{\"a\":1,\"b\":\"x\"}\n");
    let mut file = std::fs::OpenOptions::new().append(true).open(&f).unwrap();
    file.write_all(&zstd("2,y\n")).unwrap();
    assert_eq!(ok(&args), "{\"a\":2,\"b\":\"y\"}\n");
}

/// Kill the run with SIGKILL at moments spread over an uninterrupted run's
/// length, restart it until it is done, and compare its `-o` file with the
/// uninterrupted run's, byte for byte (exactly-once).
fn killed_and_resumed(input: &Path, extra: &[&str], pipeline: &str) {
    let d = Dir::new();
    let want_path = d.path("want.jsonl");
    let mut args: Vec<&str> = extra.to_vec();
    args.extend(["-o", p(&want_path), pipeline, p(input)]);
    let t = Instant::now();
    ok(&args);
    let took = t.elapsed();
    let want = std::fs::read(&want_path).unwrap();
    assert!(!want.is_empty());
    let out = d.path("out.jsonl");
    let ck = d.path("run.ckpt");
    let mut args: Vec<&str> = extra.to_vec();
    args.extend([
        "--checkpoint",
        p(&ck),
        "--guarantee",
        "exactly-once",
        "--checkpoint-interval",
        "37",
        "-o",
        p(&out),
        pipeline,
        p(input),
    ]);
    let span = (took.as_micros() as u64 * 3 / 2 / 8).max(2000);
    let mut killed = 0;
    for i in 0..8u64 {
        let mut child = Command::new(util::bin_path())
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread over the run, each a different moment (no RNG needed).
        std::thread::sleep(Duration::from_micros(span * (i * 5 % 8 + 1) / 2));
        if child.try_wait().unwrap().is_none() {
            unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
            killed += 1;
        }
        child.wait().unwrap();
    }
    ok(&args);
    let got = std::fs::read(&out).unwrap();
    assert!(
        got == want,
        "{pipeline}: output differs from the uninterrupted run after {killed} kills ({} vs {} bytes)",
        got.len(),
        want.len()
    );
    assert!(killed >= 2, "too few kills landed while running");
}

#[test]
fn killed_and_resumed_over_gzip_gives_the_uninterrupted_output() {
    let d = Dir::new();
    let text: String = (0..20000)
        .map(|i| {
            format!(
                "{{\"n\":{i},\"k\":\"{}\",\"ts\":{}}}\n",
                ["a", "b", "c", "d"][i % 4],
                1_700_000_000_000u64 + i as u64 * 97
            )
        })
        .collect();
    let f = d.create("events.log.gz", gzip(&text));
    killed_and_resumed(&f, &[], "where n % 3 != 0 | select n, k");
    killed_and_resumed(&f, &["--idle-timeout", "1h"], "count by k every 10s");
}

#[test]
fn killed_and_resumed_over_multiline_zstd_gives_the_uninterrupted_output() {
    // Events of 1 to 4 lines: a checkpoint never splits one.
    let mut text = String::new();
    for i in 0..6000 {
        text.push_str(&format!("2026-03-01 {i} {}\n", ["a", "b", "c"][i % 3]));
        for j in 0..(i * 7 % 4) {
            text.push_str(&format!("\tat frame{j}.{}\n", "x".repeat(i % 13)));
        }
    }
    let d = Dir::new();
    let f = d.create("app.log.1.zst", zstd(&text));
    killed_and_resumed(
        &f,
        &["--multiline-start", r"^\d{4}-\d{2}-\d{2} "],
        r#"parse regex "^\S+ (?P<n>\d+) (?P<k>\w)" | where n % 3 != 0 | select n, k, line"#,
    );
    let f = d.create("app.log.1.gz", gzip(&text));
    killed_and_resumed(
        &f,
        &["--multiline-start", r"^\d{4}-\d{2}-\d{2} "],
        r#"parse regex "^\S+ (?P<n>\d+) (?P<k>\w)" | count by k"#,
    );
}

#[test]
fn zero_padding_after_the_last_gzip_member_is_not_damage() {
    // Tape and block-device copies pad a .gz with zero bytes; gzip reads
    // it whole ("trailing zero bytes ignored"). Not a truncated file.
    let d = Dir::new();
    let mut bytes = gzip("a=1 b=2\na=3 b=4\n");
    bytes.extend_from_slice(&[0; 512]);
    let f = d.create("padded.log.gz", &bytes);
    let (out, err, code) = run(&["select a", p(&f)]);
    assert_eq!(
        (out.as_str(), err.as_str(), code),
        ("{\"a\":1}\n{\"a\":3}\n", "", 0)
    );
    // Other bytes after it are not a gzip member: said as such, the text
    // before them kept.
    let mut bytes = gzip("a=1 b=2\n");
    bytes.extend_from_slice(b"not gzip\n");
    let f = d.create("trailing.log.gz", &bytes);
    let (out, err, code) = run(&["select a", p(&f)]);
    assert_eq!((out.as_str(), code), ("{\"a\":1}\n", 0));
    assert_eq!(
        err,
        format!(
            "{}:2: the gzip data is damaged after 8 bytes of text (bytes after the end of the \
             gzip data that are not another gzip member); check the file with `gzip -t`. The \
             lines before it were read; this partial line and the rest of the file were not\n\
             streamctl: 1 malformed line(s) skipped\n",
            p(&f)
        )
    );
}
