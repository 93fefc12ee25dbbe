//! The crash suite (DESIGN §6): really SIGKILL the binary at many moments,
//! restart it until it is done, and check each delivery guarantee:
//! - exactly-once: the output file is byte for byte the uninterrupted run's;
//! - at-least-once: it holds every line of it (some maybe twice);
//! - at-most-once: it never holds a line twice, nor one the run would not write.
//!
//! Kill moments are random (seeded; set CRASH_SEED to replay a failure) and
//! spread over the length of an uninterrupted run, measured first, so they
//! land at start-up, mid-block, mid-commit and after the end alike. Inputs
//! are regular files (stateless, windowed and `head` pipelines) and a
//! followed file that is written to and rotated while runs come and go.
mod util;

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use util::Dir;

/// Kills per guarantee in each regular-file case (three cases) and rounds
/// in the followed case: at least 20 kills per guarantee in all.
const KILLS: usize = 8;
const FOLLOW_ROUNDS: usize = 10;

/// xorshift64*: a reproducible stream of kill moments.
struct Rng(u64);

impl Rng {
    fn new(case: u64) -> Rng {
        let seed = std::env::var("CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x5eed_1234_abcd_0001u64);
        Rng((seed ^ case.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn guarantee_name(g: usize) -> &'static str {
    ["at-most-once", "at-least-once", "exactly-once"][g]
}

fn spawn(args: &[&str], stderr: bool) -> Child {
    Command::new(util::bin_path())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(if stderr {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("start streamctl")
}

fn sigkill(child: &mut Child) {
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();
}

fn finish(mut child: Child, what: &str) {
    let status = child.wait().unwrap();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut err).unwrap();
    }
    assert!(status.success(), "{what}: {status}; stderr:\n{err}");
    assert_eq!(err, "", "{what}: stderr");
}

fn lines_of(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn counts(lines: &[String]) -> HashMap<&str, usize> {
    let mut m = HashMap::new();
    for l in lines {
        *m.entry(l.as_str()).or_insert(0) += 1;
    }
    m
}

/// Check `got` against the uninterrupted run's `want` for guarantee `g`.
fn check(g: usize, want: &[u8], got: &[u8], what: &str) {
    match guarantee_name(g) {
        "exactly-once" => {
            if want != got {
                let (w, o) = (lines_of(want), lines_of(got));
                let first = w.iter().zip(&o).position(|(a, b)| a != b);
                panic!(
                    "{what}: output differs from the uninterrupted run ({} vs {} lines, first difference at line {first:?}; {} vs {} bytes)",
                    w.len(),
                    o.len(),
                    want.len(),
                    got.len()
                );
            }
        }
        "at-least-once" => {
            assert!(
                got.is_empty() || got.ends_with(b"\n"),
                "{what}: torn last line"
            );
            let (w, o) = (lines_of(want), lines_of(got));
            let (cw, co) = (counts(&w), counts(&o));
            for (line, n) in &cw {
                let m = co.get(line).copied().unwrap_or(0);
                assert!(m >= *n, "{what}: line {line:?} missing ({m} of {n})");
            }
            for line in co.keys() {
                assert!(cw.contains_key(line), "{what}: line {line:?} never made");
            }
        }
        _ => {
            assert!(
                got.is_empty() || got.ends_with(b"\n"),
                "{what}: torn last line"
            );
            let (w, o) = (lines_of(want), lines_of(got));
            let (cw, co) = (counts(&w), counts(&o));
            for (line, m) in &co {
                let n = cw.get(line).copied().unwrap_or(0);
                assert!(
                    *m <= n,
                    "{what}: line {line:?} written {m} times, {n} expected"
                );
            }
        }
    }
}

// ---------------------------------------------------------------- regular files

struct Case {
    id: u64,
    pipeline: &'static str,
    extra: &'static [&'static str],
    input: String,
}

fn events(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"n\":{i},\"k\":\"{}\",\"ts\":{}}}\n",
                ["a", "b", "c", "d"][i % 4],
                1_700_000_000_000u64 + i as u64 * 97
            )
        })
        .collect()
}

fn stateless() -> Case {
    Case {
        id: 1,
        pipeline: "where n % 3 != 0 | select n, k",
        extra: &[],
        input: events(6000),
    }
}

fn windowed() -> Case {
    Case {
        id: 2,
        pipeline: "count by k every 10s",
        // Event time only: the wall clock must not move windows between runs.
        extra: &["--idle-timeout", "1h"],
        input: events(6000),
    }
}

fn head() -> Case {
    Case {
        id: 3,
        pipeline: "where n % 2 == 0 | head 1700",
        extra: &[],
        input: events(6000),
    }
}

/// The uninterrupted run's output, and how long it took.
fn uninterrupted(case: &Case) -> (Vec<u8>, Duration) {
    let d = Dir::new();
    let input = d.create("in.jsonl", &case.input);
    let out = d.path("out.jsonl");
    let mut args = vec!["-o", out.to_str().unwrap()];
    args.extend(case.extra);
    args.extend([case.pipeline, input.to_str().unwrap()]);
    let t = Instant::now();
    finish(spawn(&args, true), "uninterrupted run");
    (std::fs::read(&out).unwrap(), t.elapsed())
}

fn crash_case(case: Case, g: usize) {
    let (want, took) = uninterrupted(&case);
    assert!(!want.is_empty());
    let mut rng = Rng::new(case.id * 10 + g as u64);
    let d = Dir::new();
    let input = d.create("in.jsonl", &case.input);
    let out = d.path("out.jsonl");
    let ck = d.path("run.ckpt");
    let mut args = vec![
        "--checkpoint",
        ck.to_str().unwrap(),
        "--guarantee",
        guarantee_name(g),
        "--checkpoint-interval",
        "37",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend(case.extra);
    args.extend([case.pipeline, input.to_str().unwrap()]);
    // Spread the kills over about one and a half uninterrupted runs.
    let span = (took.as_micros() as u64 * 3 / 2 / KILLS as u64).max(2000);
    let mut killed = 0;
    let mut moments = Vec::new();
    for _ in 0..KILLS {
        let mut child = spawn(&args, false);
        let at = rng.below(span);
        std::thread::sleep(Duration::from_micros(at));
        if child.try_wait().unwrap().is_none() {
            sigkill(&mut child);
            killed += 1;
            moments.push(at / 1000);
        } else {
            child.wait().unwrap();
        }
    }
    finish(spawn(&args, true), "last run");
    let what = format!(
        "{} with {} after {killed} kills at {moments:?} ms (CRASH_SEED to replay)",
        case.pipeline,
        guarantee_name(g)
    );
    check(g, &want, &std::fs::read(&out).unwrap(), &what);
    assert!(
        killed >= KILLS / 2,
        "{what}: too few kills landed while running"
    );
}

#[test]
fn stateless_at_most_once() {
    crash_case(stateless(), 0);
}
#[test]
fn stateless_at_least_once() {
    crash_case(stateless(), 1);
}
#[test]
fn stateless_exactly_once() {
    crash_case(stateless(), 2);
}
#[test]
fn windowed_at_most_once() {
    crash_case(windowed(), 0);
}
#[test]
fn windowed_at_least_once() {
    crash_case(windowed(), 1);
}
#[test]
fn windowed_exactly_once() {
    crash_case(windowed(), 2);
}
#[test]
fn head_at_most_once() {
    crash_case(head(), 0);
}
#[test]
fn head_at_least_once() {
    crash_case(head(), 1);
}
#[test]
fn head_exactly_once() {
    crash_case(head(), 2);
}

// ---------------------------------------------------------------- a followed, rotated file

fn append(p: &Path, text: &str) {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

/// The checkpoint's (inode, offset) of the first input, if committed.
fn committed_at(ck: &Path) -> Option<(u64, u64)> {
    let bytes = std::fs::read(ck).ok()?;
    let nl = bytes.iter().position(|&b| b == b'\n')?;
    let v: serde_json::Value = serde_json::from_slice(&bytes[nl + 1..]).ok()?;
    let input = &v["inputs"][0];
    Some((input["file"]["ino"].as_u64()?, input["offset"].as_u64()?))
}

/// Rotating is safe for the test's promise when the checkpoint already
/// records the file at the path: a resumed run then finds the rotated file
/// beside it. (Two rotations while no run is up: see `rotated_while_down`.)
fn may_rotate(ck: &Path, log: &Path) -> bool {
    let ino = std::fs::metadata(log).unwrap().ino();
    committed_at(ck).is_some_and(|(i, _)| i == ino)
}

/// Poll `f` for up to 5 s.
fn wait_until(f: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

struct Writer {
    log: PathBuf,
    dir: PathBuf,
    next: u64,
    rotations: usize,
    want: String,
}

impl Writer {
    fn line(&mut self) -> String {
        let n = self.next;
        self.next += 1;
        let line = format!(
            "{{\"n\":{n},\"pad\":\"{}\"}}\n",
            "x".repeat((n % 7) as usize)
        );
        if n.is_multiple_of(2) {
            self.want.push_str(&line);
        }
        line
    }

    /// Append `count` lines; the last one may arrive in two writes.
    fn write(&mut self, count: u64, rng: &mut Rng) {
        let mut text = String::new();
        for _ in 0..count {
            text.push_str(&self.line());
        }
        let cut = if text.len() > 3 && rng.below(2) == 0 {
            text.len() - 3
        } else {
            text.len()
        };
        append(&self.log, &text[..cut]);
        if cut < text.len() {
            std::thread::sleep(Duration::from_millis(rng.below(10)));
            append(&self.log, &text[cut..]);
        }
    }

    fn rotate(&mut self, rng: &mut Rng) {
        self.rotations += 1;
        let to = self.dir.join(format!("app.log.{}", self.rotations));
        std::fs::rename(&self.log, to).unwrap();
        let n = 1 + rng.below(20);
        self.write(n, rng);
    }
}

fn follow_crash(g: usize) {
    let mut rng = Rng::new(100 + g as u64);
    let d = Dir::new();
    let log = d.path("app.log");
    let out = d.path("out.jsonl");
    let ck = d.path("run.ckpt");
    let args = [
        "--follow",
        "--checkpoint",
        ck.to_str().unwrap(),
        "--guarantee",
        guarantee_name(g),
        "--checkpoint-interval",
        "10ms",
        "-o",
        out.to_str().unwrap(),
        "where n % 2 == 0",
        log.to_str().unwrap(),
    ];
    let mut w = Writer {
        log: log.clone(),
        dir: d.root().to_path_buf(),
        next: 0,
        rotations: 0,
        want: String::new(),
    };
    w.write(30, &mut rng);
    let mut killed = 0;
    for _ in 0..FOLLOW_ROUNDS {
        let mut child = spawn(&args, false);
        std::thread::sleep(Duration::from_millis(rng.below(40)));
        let n = 5 + rng.below(60);
        w.write(n, &mut rng);
        if rng.below(2) == 0 && wait_until(|| may_rotate(&ck, &log)) {
            w.rotate(&mut rng);
        }
        std::thread::sleep(Duration::from_millis(rng.below(60)));
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        sigkill(&mut child);
        // While no run is up: more lines, maybe a rotation.
        let n = rng.below(20);
        w.write(n, &mut rng);
        if rng.below(3) == 0 && may_rotate(&ck, &log) {
            w.rotate(&mut rng);
        }
    }
    // The last run: let it catch up — a commit of its own (a newer file)
    // covering the whole file — then SIGTERM it.
    let written = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let ck_before = written(&ck);
    let child = spawn(&args, true);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ours = written(&ck) != ck_before;
        let len = std::fs::metadata(&log).unwrap().len();
        let ino = std::fs::metadata(&log).unwrap().ino();
        if ours && committed_at(&ck) == Some((ino, len)) {
            break;
        }
        assert!(Instant::now() < deadline, "the last run never caught up");
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    finish(child, "last followed run");
    let what = format!(
        "followed file with {} after {killed} kills and {} rotations (CRASH_SEED to replay)",
        guarantee_name(g),
        w.rotations
    );
    check(g, w.want.as_bytes(), &std::fs::read(&out).unwrap(), &what);
    assert!(w.rotations >= 2, "{what}: too few rotations");
    assert!(killed >= FOLLOW_ROUNDS - 1, "{what}: too few kills");
}

#[test]
fn followed_and_rotated_at_most_once() {
    follow_crash(0);
}
#[test]
fn followed_and_rotated_at_least_once() {
    follow_crash(1);
}
#[test]
fn followed_and_rotated_exactly_once() {
    follow_crash(2);
}

// ------------------------------------------- rotations while no run is up (deterministic)

/// The output holds a line with `"n":{n}`.
fn output_has(out: &Path, n: u64) -> bool {
    std::fs::read_to_string(out).is_ok_and(|s| s.contains(&format!("\"n\":{n},")))
}

/// A followed run that only committed its first checkpoint (a long
/// interval) is killed; while no run is up the file is rotated `rotations`
/// times, each time with lines in the new file; the next run must read the
/// rest of the first file, then every rotated file in order, then the file
/// at the path. With one rotation this is the first-run case (the only
/// checkpoint is the one written before anything was read); with two, the
/// middle file is one no checkpoint ever saw.
fn rotated_while_down(g: usize, rotations: usize) {
    let mut rng = Rng::new(500 + g as u64);
    let d = Dir::new();
    let log = d.path("app.log");
    let out = d.path("out.jsonl");
    let ck = d.path("run.ckpt");
    let args = [
        "--follow",
        "--checkpoint",
        ck.to_str().unwrap(),
        "--guarantee",
        guarantee_name(g),
        "--checkpoint-interval",
        "1h",
        "-o",
        out.to_str().unwrap(),
        "where n % 2 == 0",
        log.to_str().unwrap(),
    ];
    let mut w = Writer {
        log: log.clone(),
        dir: d.root().to_path_buf(),
        next: 0,
        rotations: 0,
        want: String::new(),
    };
    w.write(20, &mut rng);
    let mut child = spawn(&args, false);
    assert!(
        wait_until(|| output_has(&out, 18)),
        "the first run wrote nothing"
    );
    sigkill(&mut child);
    let mut later = String::new();
    for _ in 0..rotations {
        // Distinct modification times, as files written one after another have.
        std::thread::sleep(Duration::from_millis(20));
        let before = w.want.len();
        w.rotations += 1;
        for r in (1..w.rotations).rev() {
            let from = d.path(&format!("app.log.{r}"));
            std::fs::rename(from, d.path(&format!("app.log.{}", r + 1))).unwrap();
        }
        std::fs::rename(&log, d.path("app.log.1")).unwrap();
        w.write(10, &mut rng);
        later.push_str(&w.want[before..]);
    }
    let last = w.next - 2;
    let child = spawn(&args, true);
    assert!(
        wait_until(|| output_has(&out, last)),
        "the resumed run never read the last file"
    );
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let what = format!("{} rotations while down, {}", rotations, guarantee_name(g));
    finish(child, &what);
    let got = std::fs::read(&out).unwrap();
    check(g, w.want.as_bytes(), &got, &what);
    // Whatever the guarantee, no line of a file rotated while no run was up
    // may be lost: none of them was read before.
    let got = String::from_utf8_lossy(&got);
    for line in later.lines() {
        assert!(got.contains(line), "{what}: {line} lost");
    }
}

#[test]
fn first_run_killed_then_rotated_at_most_once() {
    rotated_while_down(0, 1);
}
#[test]
fn first_run_killed_then_rotated_at_least_once() {
    rotated_while_down(1, 1);
}
#[test]
fn first_run_killed_then_rotated_exactly_once() {
    rotated_while_down(2, 1);
}
#[test]
fn rotated_twice_while_down_at_most_once() {
    rotated_while_down(0, 2);
}
#[test]
fn rotated_twice_while_down_at_least_once() {
    rotated_while_down(1, 2);
}
#[test]
fn rotated_twice_while_down_exactly_once() {
    rotated_while_down(2, 2);
}
