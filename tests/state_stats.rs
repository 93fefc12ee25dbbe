//! `--stats` reports the state the stages hold when input ends (issue 19):
//! open groups, open windows and about how many bytes they take.
mod util;

use util::run;

/// The second `--stats` line, with the byte figure checked and cut off.
fn state_line(err: &str) -> String {
    let line = err
        .lines()
        .find(|l| l.starts_with("streamctl: state"))
        .unwrap_or_else(|| panic!("no state line in {err:?}"));
    let re = regex::Regex::new(r", about \d+(\.\d)? (B|KB|MB)$").unwrap();
    assert!(re.is_match(line), "{line}");
    re.replace(line, "").into_owned()
}

#[test]
fn groups_of_an_aggregation() {
    let input = "{\"k\":\"a\"}\n{\"k\":\"b\"}\n{\"k\":\"a\"}\n{\"k\":\"c\"}\n";
    let (out, err, code) = run(&["--stats", "count by k"], input);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 3);
    assert_eq!(
        state_line(&err),
        "streamctl: state when input ended: 3 groups, 0 windows open"
    );
}

#[test]
fn windows_still_open_at_end_of_input() {
    // Two minutes, both still open when the input ends (lateness 5s).
    let input = "{\"ts\":\"2026-03-01T12:00:10Z\",\"k\":1}\n\
                 {\"ts\":\"2026-03-01T12:01:10Z\",\"k\":1}\n\
                 {\"ts\":\"2026-03-01T12:01:11Z\",\"k\":2}\n";
    let (_, err, code) = run(
        &["--stats", "--lateness", "5m", "count by k every 1m"],
        input,
    );
    assert_eq!(code, 0);
    assert_eq!(
        state_line(&err),
        "streamctl: state when input ended: 3 groups, 2 windows open"
    );
}

#[test]
fn keys_of_running_and_dedup_add_up() {
    let input = "{\"k\":1,\"v\":1}\n{\"k\":2,\"v\":2}\n{\"k\":1,\"v\":3}\n";
    let (out, err, code) = run(&["--stats", "running avg(v) by k last 2 | dedup k"], input);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 2);
    assert_eq!(
        state_line(&err),
        "streamctl: state when input ended: 4 groups, 0 windows open"
    );
}

#[test]
fn no_state_line_for_stateless_pipelines() {
    let (_, err, code) = run(&["--stats", "where k > 0"], "{\"k\":1}\n");
    assert_eq!(code, 0);
    assert!(!err.contains("state"), "{err}");
}

/// A stage whose state passes the warning size (1 GB; here lowered for the
/// test) is named once on stderr, with its size (issue 16, memory).
#[test]
fn a_large_state_is_named_once_on_stderr() {
    let input: String = (0..200).map(|i| format!("{{\"k\":{i}}}\n")).collect();
    let out = util::streamctl()
        .env("STREAMCTL_STATE_WARN_BYTES", "2000")
        .args(["head 1000 | dedup k"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout.iter().filter(|&&b| b == b'\n').count(), 200);
    let err = String::from_utf8(out.stderr).unwrap();
    let re = regex::Regex::new(
        r"^streamctl: warning: stage 2 \(dedup on k: drop repeats \(remembers every key\)\) holds about \d+(\.\d)? KB of state \(200 groups, 0 windows open\); memory, and the time and disk each checkpoint takes, grow with it\n$",
    )
    .unwrap();
    assert!(re.is_match(&err), "{err}");
    // Below the size: nothing.
    let (_, err, _) = run(&["dedup k"], "{\"k\":1}\n");
    assert_eq!(err, "");
}
