//! Checkpoint files written by an earlier streamctl still restore (issue 14,
//! typed state): each case under `tests/golden/checkpoints/` holds a
//! checkpoint that streamctl 0.1 (format v1, state built with `json!`; one
//! case in format v2, hopping windows by slices) wrote
//! when SIGTERM stopped a `--follow` run after `first.jsonl`, and the rows
//! that run had written. Resumed from that file with `rest.jsonl` appended,
//! today's streamctl must write exactly what an uninterrupted run writes
//! after those rows.
//!
//! The files name the input where it was (`/tmp/gold/CASE/in.jsonl`, its
//! device and inode) and the job hash that goes with that path; the test
//! points them at its own copy of the input and fixes the checksum. The
//! stage and event-time state is left byte for byte as it was written.
//! `make.sh` beside the cases made them (do not remake them with a newer
//! streamctl: they are the old format).
mod util;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};

use util::Dir;

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/checkpoints");

/// Run the binary; stdout, and stderr and exit code checked empty and 0.
fn ok(args: &[String]) -> String {
    let out = Command::new(util::bin_path())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!((out.status.code(), err.as_ref()), (Some(0), ""), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The header line and the JSON body of a checkpoint file.
fn split(bytes: &[u8]) -> (&str, serde_json::Value) {
    let nl = bytes.iter().position(|&b| b == b'\n').unwrap();
    (
        std::str::from_utf8(&bytes[..nl]).unwrap(),
        serde_json::from_slice(&bytes[nl + 1..]).unwrap(),
    )
}

fn resume_case(name: &str) {
    let case = Path::new(CASES).join(name);
    let read = |f: &str| std::fs::read_to_string(case.join(f)).unwrap();
    let stage_args: Vec<String> = read("args").lines().map(str::to_owned).collect();
    let d = Dir::new();
    let input = d.create("in.jsonl", read("../first.jsonl"));
    let with = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        a.extend(stage_args.iter().cloned());
        a.push(input.display().to_string());
        a
    };

    // This job's hash where the test runs: from a run of the same job.
    let probe = d.path("probe.ckpt");
    ok(&with(&["--checkpoint", probe.to_str().unwrap()]));
    let job = split(&std::fs::read(&probe).unwrap()).1["job"].clone();

    let v = if case.join("v2.ckpt").exists() {
        "v2"
    } else {
        "v1"
    };
    let old = std::fs::read(case.join(format!("{v}.ckpt"))).unwrap();
    let (header, mut body) = split(&old);
    assert!(
        header.starts_with(&format!("streamctl-checkpoint {v} ")),
        "{header}"
    );
    let stages_before = body["stages"].clone();
    body["job"] = job;
    let meta = std::fs::metadata(&input).unwrap();
    let inp = &mut body["inputs"][0];
    assert_eq!(inp["path"], format!("/tmp/gold/{name}/in.jsonl"));
    inp["path"] = input.display().to_string().into();
    inp["file"]["dev"] = meta.dev().into();
    inp["file"]["ino"] = meta.ino().into();
    assert_eq!(body["stages"], stages_before);
    let text = serde_json::to_vec(&body).unwrap();
    let mut file = format!(
        "streamctl-checkpoint {v} crc32={:08x} bytes={}\n",
        crc32fast::hash(&text),
        text.len()
    )
    .into_bytes();
    file.extend_from_slice(&text);
    let ck = d.create("old.ckpt", file);

    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .unwrap();
    std::io::Write::write_all(&mut f, read("../rest.jsonl").as_bytes()).unwrap();
    let resumed = ok(&with(&["--checkpoint", ck.to_str().unwrap()]));

    let all = d.create("all.jsonl", read("../first.jsonl") + &read("../rest.jsonl"));
    let mut whole_args = stage_args.clone();
    whole_args.push(all.display().to_string());
    let whole = ok(&whole_args);
    assert!(!whole.is_empty(), "{name}: the case writes rows");
    assert_eq!(read("first-output") + &resumed, whole, "{name}");
}

#[test]
fn v1_stats_of_every_aggregate_restore() {
    resume_case("stats");
}

#[test]
fn v1_tumbling_windows_with_fill_restore() {
    resume_case("tumbling_fill");
}

#[test]
fn v1_hopping_windows_restore() {
    resume_case("hopping");
}

/// Format v2: hopping windows kept by slices, as the slices' state was
/// built with `json!` before it was written streaming.
#[test]
fn v2_hopping_windows_by_slices_restore() {
    resume_case("hopping_sliced");
}

#[test]
fn v1_session_windows_restore() {
    resume_case("session");
}

#[test]
fn v1_dedup_head_and_top_restore() {
    resume_case("dedup_head_top");
}

#[test]
fn v1_dedup_within_and_windowed_top_restore() {
    resume_case("within_top_window");
}

#[test]
fn v1_running_cumulative_over_and_last_restore() {
    resume_case("running");
}
