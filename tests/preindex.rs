//! The reader thread indexes some blocks of JSON lines before the main loop
//! sees them (src/input/preindex.rs). That must be invisible: over inputs of
//! many blocks, with lines across block boundaries, bad lines, CRLF, blank
//! and over-long lines, the output and the rejected lines are exactly what a
//! line-by-line reading gives.

mod util;

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::Stdio;

use util::{streamctl, Dir};

/// xorshift64: the next of a fixed sequence of numbers.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// A deterministic mix of lines; returns (input, lines `where true` keeps,
/// lines rejected, in order).
fn mixed_input(lines: usize) -> (Vec<u8>, String, Vec<u8>) {
    let mut input = Vec::new();
    let mut kept = String::new();
    let mut rejected = Vec::new();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..lines {
        let seed = next_random(&mut seed);
        let pad = "x".repeat((seed % 200) as usize);
        let good = format!(r#"{{"i":{i},"pad":"{pad}","esc":"a\"b\u00e9","n":[1,{{"k":null}}]}}"#);
        match seed % 23 {
            0 => {
                // Broken JSON.
                let bad = format!(r#"{{"i":{i},"pad":"{pad}""#);
                writeln!(input, "{bad}").unwrap();
                rejected.extend_from_slice(bad.as_bytes());
                rejected.push(b'\n');
            }
            1 => {
                // CRLF: the `\r` is not part of the event.
                write!(input, "{good}\r\n").unwrap();
                writeln!(kept, "{good}").unwrap();
            }
            2 => {
                // A blank line carries no event.
                writeln!(input).unwrap();
            }
            3 => {
                // Over --max-line-bytes (600): dead-lettered whole.
                let long = format!(r#"{{"i":{i},"pad":"{}"}}"#, "y".repeat(700));
                writeln!(input, "{long}").unwrap();
                rejected.extend_from_slice(long.as_bytes());
                rejected.push(b'\n');
            }
            _ => {
                writeln!(input, "{good}").unwrap();
                writeln!(kept, "{good}").unwrap();
            }
        }
    }
    (input, kept, rejected)
}

/// The run succeeded, kept exactly `kept` and dead-lettered exactly `rejected`.
fn assert_read_line_by_line(
    out: &std::process::Output,
    kept: &str,
    dead: &std::path::Path,
    rejected: &[u8],
) {
    assert_eq!(out.status.code(), Some(0));
    // Not assert_eq!: a failure would print megabytes.
    assert!(
        String::from_utf8_lossy(&out.stdout) == kept,
        "kept lines differ"
    );
    assert!(
        std::fs::read(dead).unwrap() == rejected,
        "rejected lines differ"
    );
}

const ARGS: [&str; 5] = [
    "--max-line-bytes",
    "600",
    "--on-error",
    "skip",
    "--dead-letter",
];

#[test]
fn a_file_of_many_blocks_reads_as_line_by_line() {
    let dir = Dir::new();
    let (input, kept, rejected) = mixed_input(40_000);
    assert!(input.len() > 4 * 256 * 1024, "spans many reader blocks");
    let file = dir.create("in.ndjson", &input);
    let dead = dir.path("dead.ndjson");
    let out = streamctl()
        .args(ARGS)
        .arg(&dead)
        .arg("where true")
        .arg(&file)
        .output()
        .unwrap();
    assert_read_line_by_line(&out, &kept, &dead, &rejected);
}

#[test]
fn a_pipe_fed_in_odd_pieces_reads_as_line_by_line() {
    let dir = Dir::new();
    let (input, kept, rejected) = mixed_input(20_000);
    let dead = dir.path("dead.ndjson");
    let mut child = std::process::Command::new(util::bin_path())
        .args(ARGS)
        .arg(&dead)
        .arg("where true")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // Pieces of 1..=70_001 bytes, so reads end mid-line and mid-member.
        let mut at = 0;
        let mut size = 1;
        while at < input.len() {
            let end = (at + size).min(input.len());
            stdin.write_all(&input[at..end]).unwrap();
            at = end;
            size = (size * 7 + 13) % 70_001 + 1;
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_read_line_by_line(&out, &kept, &dead, &rejected);
}

#[test]
fn bad_lines_are_reported_with_their_line_numbers() {
    let dir = Dir::new();
    let mut input = String::new();
    let mut expect = Vec::new();
    for i in 1..=30_000 {
        if i % 7_919 == 0 {
            input.push_str("{\"a\":\n");
            expect.push(format!("in.ndjson:{i}:"));
        } else {
            writeln!(input, r#"{{"a":{i},"b":"{}"}}"#, "z".repeat(i % 50)).unwrap();
        }
    }
    let file = dir.create("in.ndjson", &input);
    let out = streamctl()
        .current_dir(dir.root())
        .args(["count", "in.ndjson"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "{\"count\":29997}\n");
    let reported: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(w, _)| w))
        .filter(|w| w.starts_with("in.ndjson:"))
        .collect();
    assert_eq!(reported, expect, "stderr was: {stderr}");
    let _ = file;
}

/// CSV (and TSV) lines are split on the reader thread too: quoted cells,
/// doubled quotes, rows of the wrong width, CRLF and blank lines over many
/// blocks read as line by line.
#[test]
fn csv_and_tsv_files_of_many_blocks_read_as_line_by_line() {
    for tsv in [false, true] {
        let dir = Dir::new();
        let sep = if tsv { '\t' } else { ',' };
        let mut input = format!("id{sep}name{sep}n\n");
        let mut kept = String::new();
        let mut rejected = Vec::new();
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for i in 0..30_000u64 {
            let seed = next_random(&mut seed);
            let pad = "p".repeat((seed % 40) as usize);
            let (cell, text) = match (seed % 5, tsv) {
                (0, false) => (format!("\"a,{pad}\"\"q\""), format!("a,{pad}\"q")),
                (1, false) => (format!("\"{pad}\""), pad.clone()),
                (0, true) => (format!("a\\t{pad}"), format!("a\t{pad}")),
                _ => (pad.clone(), pad.clone()),
            };
            match seed % 31 {
                0 => {
                    let bad = format!("{i}{sep}{cell}");
                    input.push_str(&bad);
                    input.push('\n');
                    rejected.extend_from_slice(bad.as_bytes());
                    rejected.push(b'\n');
                }
                1 => input.push('\n'),
                2 => {
                    input.push_str(&format!("{i}{sep}{cell}{sep}{}\r\n", seed % 1000));
                    let name = serde_json::to_string(&text).unwrap();
                    writeln!(kept, r#"{{"id":{i},"name":{name},"n":{}}}"#, seed % 1000).unwrap();
                }
                _ => {
                    input.push_str(&format!("{i}{sep}{cell}{sep}{}\n", seed % 1000));
                    let name = serde_json::to_string(&text).unwrap();
                    writeln!(kept, r#"{{"id":{i},"name":{name},"n":{}}}"#, seed % 1000).unwrap();
                }
            }
        }
        assert!(input.len() > 3 * 256 * 1024, "spans many reader blocks");
        let file = dir.create(if tsv { "in.tsv" } else { "in.csv" }, &input);
        let dead = dir.path("dead");
        let out = streamctl()
            .args(["-O", "json", "--on-error", "skip", "--dead-letter"])
            .arg(&dead)
            .arg("where true")
            .arg(&file)
            .output()
            .unwrap();
        assert_read_line_by_line(&out, &kept, &dead, &rejected);
    }
}

/// An nginx log of many blocks, with lines the access parser takes and
/// lines it does not (junk, a broken date, CRLF, a byte order mark, bytes
/// that are not UTF-8, an over-long line): `parse nginx` first lets the
/// reader thread scan lines (and hands the parsed time straight to the
/// window). The rows, the unparsed count and the rejected lines are what
/// the main loop alone gives (a `where true` first: no scan ahead; an
/// `eval ts = ts`: the time read back from the text).
#[test]
fn an_access_log_scanned_on_the_reader_thread_reads_as_on_the_main_loop() {
    let dir = Dir::new();
    let mut input = b"\xEF\xBB\xBF".to_vec();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..30_000u64 {
        let r = next_random(&mut seed);
        let (h, m, s) = (i / 3600 % 24, i / 60 % 60, i % 60);
        let status = [200, 200, 200, 404, 500, 503][(r % 6) as usize];
        let ua = "Mozilla/5.0".repeat((r % 9) as usize);
        let line = format!(
            r#"10.0.{}.{} - - [01/Mar/2026:{h:02}:{m:02}:{s:02} +0100] "GET /p/{} HTTP/1.1" {status} {} "-" "{ua}""#,
            r % 7,
            i % 250,
            r % 13,
            r % 5000
        );
        match r % 41 {
            0 => input.extend_from_slice(b"junk that is no access log\n"),
            1 => input.extend_from_slice(b"10.0.0.1 - - [yesterday] \"GET / HTTP/1.1\" 200 1\n"),
            2 => write!(input, "{line}\r\n").unwrap(),
            3 => {
                input.extend_from_slice(line.as_bytes());
                input.extend_from_slice(b" \xFF\xFE\n");
            }
            4 => writeln!(input, "{line} {}", "z".repeat(700)).unwrap(),
            _ => writeln!(input, "{line}").unwrap(),
        }
    }
    assert!(input.len() > 8 * 256 * 1024, "spans many reader blocks");
    let file = dir.create("access.log", &input);
    let run = |pipeline: &str, dead: &str| {
        let dead = dir.path(dead);
        let out = streamctl()
            .args(["-i", "lines", "--stats"])
            .args(ARGS)
            .arg(&dead)
            .arg(pipeline)
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{pipeline}");
        let stats = String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.contains("unparsed") || l.contains("rejected"))
            // Not the time it took.
            .map(|l| l.split(", elapsed").next().unwrap_or(l).to_owned())
            .collect::<Vec<_>>();
        (out.stdout, stats, std::fs::read(dead).unwrap())
    };
    let scanned = run("parse nginx | count by status every 10m", "d1");
    assert!(scanned.0.len() > 1000 && !scanned.2.is_empty());
    let on_main_loop = run("where true | parse nginx | count by status every 10m", "d2");
    let time_read_back = run(
        "parse nginx | eval ts = ts | count by status every 10m",
        "d3",
    );
    same(&scanned, &on_main_loop, "scanned ahead");
    same(&scanned, &time_read_back, "time handed over");
    // Whole events too, every field made.
    let all = run("parse nginx | drop line", "d4");
    let all_main = run("where true | parse nginx | drop line", "d5");
    same(&all, &all_main, "whole events");
}

/// Two runs' (output, stats lines, dead letters) are equal; on a
/// difference, say where (not megabytes of both).
fn same(a: &(Vec<u8>, Vec<String>, Vec<u8>), b: &(Vec<u8>, Vec<String>, Vec<u8>), what: &str) {
    let first_diff = |x: &[u8], y: &[u8]| {
        let lx = x.split(|&c| c == b'\n');
        let ly = y.split(|&c| c == b'\n');
        lx.zip(ly)
            .enumerate()
            .find(|(_, (l, r))| l != r)
            .map(|(i, (l, r))| {
                format!(
                    "line {}: {} | {}",
                    i + 1,
                    String::from_utf8_lossy(l),
                    String::from_utf8_lossy(r)
                )
            })
    };
    assert!(
        a.0 == b.0,
        "{what}: output differs at {:?}",
        first_diff(&a.0, &b.0)
    );
    assert_eq!(a.1, b.1, "{what}: stats");
    assert!(
        a.2 == b.2,
        "{what}: dead letters differ at {:?}",
        first_diff(&a.2, &b.2)
    );
}
