//! One logical plan checks a pipeline for both backends: an invalid
//! pipeline gets the same message and exit status from `streamctl` and from
//! `streamctl compile --target flink-sql`.

mod util;

use util::{streamctl, Dir};

/// Pipelines the language refuses: parse errors, expressions, aggregates,
/// windows, parsers and lookup files.
const INVALID: &[&str] = &[
    "cout by a",
    "where a ==",
    "where foo(a)",
    "where len(a, b)",
    "where a =~ \"(\"",
    "select a as",
    "eval x = substr(a)",
    "count every 1s slide 1m",
    "count every 10m slide 1ms",
    "count every 0s",
    "stats percentile(a, 101) every 1m",
    "stats p101(a)",
    "running ewma(a, 1.5)",
    "running count last 0",
    "running count by foo(a)",
    "top 3 k by percentile(a, -1)",
    "top 3 bar(k) every 1m",
    "dedup nope(k) within 1m",
    "parse regex \"(\" from a",
    "parse pattern \"%{\" from a",
    "parse nosuchformat",
    "join missing.jsonl on k",
    "join lookup.txt on k",
    "join bad.jsonl on k",
    "join users.jsonl on nokey",
    "where a > 1 | count by k every 1m slide 2m | select k",
    "count by a every 1m emit every 0s",
];

#[test]
fn run_and_compile_refuse_alike() {
    let d = Dir::new();
    d.create(
        "events.jsonl",
        "{\"ts\":1767225600000,\"a\":1,\"k\":\"x\"}\n",
    );
    d.create("users.jsonl", "{\"k\":\"x\",\"team\":\"red\"}\n");
    d.create("bad.jsonl", "{\"k\":\"x\"}\nnot json\n");
    d.create("lookup.txt", "k team\n");
    let mut failures = Vec::new();
    for pipeline in INVALID {
        let run = streamctl()
            .current_dir(d.root())
            .args([pipeline, "events.jsonl"])
            .output()
            .expect("run streamctl");
        let compile = streamctl()
            .current_dir(d.root())
            .args(["compile", "--target", "flink-sql", "--sink-path", "out"])
            .args([pipeline, "events.jsonl"])
            .output()
            .expect("run streamctl compile");
        let run_err = String::from_utf8_lossy(&run.stderr).into_owned();
        let compile_err = String::from_utf8_lossy(&compile.stderr).into_owned();
        assert_eq!(run.status.code(), Some(2), "{pipeline}: run: {run_err}");
        assert!(run_err.starts_with("error: "), "{pipeline}: {run_err}");
        if (compile.status.code(), &compile_err) != (Some(2), &run_err) {
            failures.push(format!(
                "{pipeline}\n  run (exit 2):\n{run_err}\n  compile (exit {:?}):\n{compile_err}",
                compile.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
