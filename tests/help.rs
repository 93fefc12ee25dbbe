//! `--help`, `streamctl help TOPIC`, and the examples they show.
mod util;

use std::process::Command;

use streamctl::help::EXAMPLES;
use util::{bin_path, run, Dir};

const APP: &str = r#"{"ts":"2026-01-01T00:00:01Z","path":"/a","status":200}
{"ts":"2026-01-01T00:00:02Z","path":"/b","status":503}
{"ts":"2026-01-01T00:00:03Z","path":"/a","status":500}
"#;
const ACCESS: &str = r#"{"path":"/a","status":200,"ms":12}
{"path":"/b","status":500,"ms":300}
{"path":"/c","status":200,"ms":251}
{"path":"/a","status":404,"ms":7}
"#;
const USERS: &str = "user_id,country\n1,FR\n2,DE\n";
const EVENTS: &str = "{\"user_id\":1}\n{\"user_id\":2}\n{\"user_id\":1}\n{\"user_id\":3}\n";
const APP_LOG: &str = "GET /a took 12ms\nGET /b took 300ms\nstarting up\n";

/// Run a shell command line in `dir` with this build's streamctl first on
/// PATH; return (stdout, stderr, status).
fn shell(dir: &Dir, line: &str) -> (String, String, i32) {
    let bin_dir = bin_path().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(dir.root())
        .env("PATH", path)
        .output()
        .expect("run sh");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn help_ends_with_the_five_examples_the_exit_status_and_the_language() {
    let (out, err, code) = run(&["--help"], "");
    assert_eq!((code, err.as_str()), (0, ""));
    let tail = "Examples:
  tail -F app.jsonl | streamctl 'where status >= 500 | count by path every 1m'
  streamctl -O table 'stats count, p95(ms) by path' access.jsonl
  streamctl 'join users.csv on user_id | count by country' events.jsonl
  streamctl -i lines 'parse regex \"took (?P<ms>\\d+)ms\" | where ms > 250' app.log
  streamctl -O csv 'select path, status' access.jsonl

Exit status: 0 success, 1 runtime failure, 2 usage error;
  with -q: 0 at the first result row, 1 if there was none, 2 on any error.

The pipeline language: streamctl help language
";
    assert!(out.ends_with(tail), "--help ends with:\n{out}");
    assert!(out.starts_with("Reads JSON lines, CSV, TSV, logfmt or raw lines"));
    // The short help shows them too.
    let (short, _, _) = run(&["-h"], "");
    assert!(short.ends_with(tail), "{short}");
}

#[test]
fn help_documents_every_flag_and_the_subcommands_but_not_the_generator() {
    use clap::CommandFactory;
    let (out, _, _) = run(&["--help"], "");
    for arg in streamctl::cli::Cli::command().get_arguments() {
        if let Some(long) = arg.get_long() {
            assert!(out.contains(&format!("--{long}")), "--{long} not in --help");
        }
    }
    assert!(out.contains("\n  compile  "), "{out}");
    assert!(out.contains("\n  help     "), "{out}");
    assert!(!out.contains("generate"), "{out}");
}

/// Each one-liner runs as written on small files of the names it uses. The
/// first follows a log with `tail -F`, which never ends; here it reads the
/// same file with `tail -n +1` instead.
#[test]
fn every_help_example_runs_as_written() {
    let d = Dir::new();
    d.create("app.jsonl", APP);
    d.create("access.jsonl", ACCESS);
    d.create("app.log", APP_LOG);
    d.create("users.csv", USERS);
    d.create("events.jsonl", EVENTS);
    let expected = [
        "{\"window_start\":\"2026-01-01T00:00:00.000Z\",\"window_end\":\"2026-01-01T00:01:00.000Z\",\
         \"path\":\"/b\",\"count\":1}\n\
         {\"window_start\":\"2026-01-01T00:00:00.000Z\",\"window_end\":\"2026-01-01T00:01:00.000Z\",\
         \"path\":\"/a\",\"count\":1}\n",
        "path  count  p95_ms\n/a        2      12\n/b        1     300\n/c        1     251\n\n",
        "{\"country\":\"FR\",\"count\":2}\n{\"country\":\"DE\",\"count\":1}\n",
        "{\"line\":\"GET /b took 300ms\",\"ms\":300}\n",
        "path,status\n/a,200\n/b,500\n/c,200\n/a,404\n",
    ];
    assert_eq!(EXAMPLES.len(), expected.len());
    for (ex, want) in EXAMPLES.iter().zip(expected) {
        let line = ex.command.replace("tail -F ", "tail -n +1 ");
        let (out, err, code) = shell(&d, &line);
        assert_eq!(code, 0, "{line}: {err}");
        assert_eq!(err, "", "{line}");
        assert_eq!(out, want, "{line}");
    }
}

#[test]
fn help_language_prints_the_reference() {
    let (out, err, code) = run(&["help", "language"], "");
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(out.starts_with(
        "streamctl pipeline language\n\nRun a pipeline: streamctl 'STAGE | STAGE ...' [FILE]...\n\nPIPELINES\n"
    ));
    let titles: Vec<&str> = out
        .lines()
        .filter(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_uppercase() || c == ' '))
        .collect();
    assert_eq!(
        titles,
        [
            "PIPELINES",
            "STAGES",
            "AGGREGATES",
            "WINDOWS",
            "EMIT",
            "EXPRESSIONS",
            "OPERATORS",
            "FUNCTIONS",
            "VALUE RULES",
            "EXAMPLES"
        ]
    );
    assert!(out
        .contains("\n  where EXPR, filter EXPR\n      Keep the events for which EXPR is true.\n"));
    assert!(out.contains(
        "\n  every D slide S\n      Hopping windows of length D, one starting every S.\n"
    ));
    assert!(out.lines().all(|l| l.chars().count() <= 80), "{out}");
}

#[test]
fn help_without_a_topic_is_the_long_help() {
    let (long, _, _) = run(&["--help"], "");
    let (out, err, code) = run(&["help"], "");
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, long);
    let (out, _, code) = run(&["help", "compile"], "");
    assert_eq!(code, 0);
    assert!(
        out.contains("Usage: streamctl compile [OPTIONS] --target <TARGET> <PIPELINE> [FILE]...")
    );
}

#[test]
fn an_unknown_topic_is_a_usage_error() {
    let (out, err, code) = run(&["help", "windows"], "");
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.starts_with(
            "error: invalid value 'windows' for '[TOPIC]'\n  [possible values: language, compile]"
        ),
        "{err}"
    );
}

#[test]
fn help_into_a_closed_pipe_exits_quietly() {
    use std::process::Stdio;
    let mut child = Command::new(bin_path())
        .args(["help", "language"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Close the reading end at once: the first write meets a closed pipe.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}
