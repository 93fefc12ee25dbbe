//! `streamctl compile --target flink-sql`: the generated SQL against golden
//! files under tests/golden/ (set UPDATE_GOLDEN=1 to rewrite them after a
//! deliberate change), and every refusal's exact message. The differential
//! suite that runs the SQL on Flink is tests/flink/.

mod util;

use std::path::Path;

use util::{streamctl, Dir};

const EVENTS: &str = r#"{"ts":1767225600000,"path":"/a","status":200,"latency_ms":12.5,"user":{"id":7,"name":"x"},"tags":["a"]}
{"ts":1767225601000,"path":"/b","status":500,"latency_ms":3,"user":{"id":8,"name":"y"},"tags":[]}
{"ts":1767225602000,"path":null,"status":404,"latency_ms":null,"level":"warn"}
"#;

const ISO: &str = r#"{"time":"2026-01-01T00:00:00.000Z","level":"info"}
{"time":"2026-01-01T00:00:01.250Z","level":"warn"}
"#;

fn fixtures() -> Dir {
    let d = Dir::new();
    d.create("events.jsonl", EVENTS);
    d.create("iso.jsonl", ISO);
    d.create("app.log", "GET /a 200\nGET /b 500\n");
    d.create("users.csv", "user_id,country\n7,de\n");
    d.create("mixed.jsonl", "{\"a\":1}\n{\"a\":\"x\"}\n");
    d.create("schema.txt", "ts BIGINT\npath STRING\nstatus INT\n");
    d.create(
        "users.jsonl",
        "{\"id\":7,\"country\":\"de\"}\n{\"id\":8,\"country\":null}\n",
    );
    d.create("dup.jsonl", "{\"id\":7}\n{\"id\":7}\n");
    d
}

/// Run compile in the fixture dir; (stdout with the dir as `$DIR`, stderr, code).
fn compile(d: &Dir, args: &[&str]) -> (String, String, i32) {
    let out = streamctl()
        .current_dir(d.root())
        .arg("compile")
        .args(["--target", "flink-sql"])
        .args(args)
        .output()
        .expect("run streamctl compile");
    let root = d.root().display().to_string();
    let clean = |b: &[u8]| String::from_utf8_lossy(b).replace(&root, "$DIR");
    (
        clean(&out.stdout),
        clean(&out.stderr),
        out.status.code().unwrap_or(-1),
    )
}

fn golden(name: &str, args: &[&str]) {
    let d = fixtures();
    let (out, err, code) = compile(&d, args);
    assert_eq!((code, err.as_str()), (0, ""), "compile {args:?}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &out).expect("write golden file");
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(
        out, want,
        "golden file {name} differs (UPDATE_GOLDEN=1 rewrites it)"
    );
}

/// The refusal for `args`: exit 2 and exactly `want` on stderr.
fn refused(args: &[&str], want: &str) {
    let d = fixtures();
    let (out, err, code) = compile(&d, args);
    assert_eq!(out, "", "nothing on stdout for {args:?}");
    assert_eq!(err, want, "stderr for {args:?}");
    assert_eq!(code, 2, "exit code for {args:?}");
}

const SINK: [&str; 2] = ["--sink-path", "/tmp/out"];

fn with_sink<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut v = SINK.to_vec();
    v.extend_from_slice(args);
    v
}

// ---------------------------------------------------------------- golden SQL

#[test]
fn stateless_stages() {
    golden(
        "stateless.sql",
        &with_sink(&[
            r#"where status >= 500 or not path == "/a" | eval secs = latency_ms / 1000, uid = user.id, slow = latency_ms > 10 | select path, secs, uid, slow, status | drop status | rename secs as seconds"#,
            "events.jsonl",
        ]),
    );
}

#[test]
fn tumbling_window() {
    golden(
        "tumbling.sql",
        &with_sink(&["count by path every 1m", "events.jsonl"]),
    );
}

#[test]
fn hopping_window_with_stats() {
    golden(
        "hopping.sql",
        &with_sink(&[
            "stats count, avg(latency_ms), sum(status) as total, min(path), max(latency_ms), distinct(path), stddev(latency_ms) by status every 1m slide 20s",
            "--lateness",
            "250ms",
            "events.jsonl",
        ]),
    );
}

#[test]
fn first_and_last_in_a_hopping_window_are_refused() {
    let d = fixtures();
    for pipeline in [
        "stats count, first(path) by status every 1m slide 20s",
        "top 2 status by last(latency_ms) every 1m slide 30s",
    ] {
        let (out, err, code) = compile(&d, &with_sink(&[pipeline, "events.jsonl"]));
        assert_eq!((out.as_str(), code), ("", 2), "{pipeline}: {err}");
        assert!(
            err.contains("Flink computes HOP windows by merging slices, and its FIRST_VALUE/LAST_VALUE cannot be merged"),
            "{pipeline}: {err}"
        );
    }
}

#[test]
fn session_window() {
    golden(
        "session.sql",
        &with_sink(&[
            "count by path session 30s | where count > 1",
            "events.jsonl",
        ]),
    );
}

#[test]
fn unwindowed_aggregate_runs_as_a_batch_job() {
    golden(
        "unwindowed.sql",
        &with_sink(&["avg(latency_ms) by lower(path) as p", "events.jsonl"]),
    );
}

#[test]
fn rfc3339_time_strings() {
    golden(
        "iso_time.sql",
        &with_sink(&[
            "count by level every 10s",
            "--time-field",
            "time",
            "iso.jsonl",
        ]),
    );
}

#[test]
fn kafka_source_and_sink_options() {
    golden(
        "kafka.sql",
        &[
            "--schema",
            "schema.txt",
            "--source-option",
            "connector=kafka",
            "--source-option",
            "topic=events",
            "--source-option",
            "properties.bootstrap.servers=kafka:9092",
            "--source-option",
            "scan.startup.mode=earliest-offset",
            "--sink-option",
            "connector=kafka",
            "--sink-option",
            "topic=errors-per-minute",
            "--sink-option",
            "properties.bootstrap.servers=kafka:9092",
            "where status >= 500 | count by path every 1m",
        ],
    );
}

#[test]
fn raw_lines_and_several_files() {
    golden(
        "lines.sql",
        &with_sink(&["where line contains \" 500\"", "app.log", "app.log"]),
    );
}

#[test]
fn explain_names_the_flink_operators() {
    golden(
        "explain.txt",
        &with_sink(&[
            "--explain",
            "where status >= 500 | count by path every 1m | where count > 1",
            "events.jsonl",
        ]),
    );
}

#[test]
fn chained_windows() {
    golden(
        "chained.sql",
        &with_sink(&[
            "count by path every 10s | stats sum(count) as total by path every 1m",
            "events.jsonl",
        ]),
    );
}

#[test]
fn running_in_arrival_order() {
    golden(
        "running.sql",
        &with_sink(&[
            "running count, avg(latency_ms) by lower(path) as p | running max(status) as top last 3",
            "events.jsonl",
        ]),
    );
}

#[test]
fn dedup_keeps_the_first_arrival() {
    golden(
        "dedup.sql",
        &with_sink(&["dedup path, status", "events.jsonl"]),
    );
}

#[test]
fn join_before_a_window_is_temporal() {
    golden(
        "join_window.sql",
        &with_sink(&[
            "join users.jsonl on user.id = id prefix u_ | count by u_country every 1m",
            "events.jsonl",
        ]),
    );
}

#[test]
fn left_join_without_event_time_is_a_batch_job() {
    golden(
        "left_join.sql",
        &with_sink(&["left join users.jsonl on status = id", "events.jsonl"]),
    );
}

#[test]
fn top_per_window_and_overall() {
    golden(
        "top_window.sql",
        &with_sink(&["top 2 path by avg(latency_ms) every 1m", "events.jsonl"]),
    );
    golden("top.sql", &with_sink(&["top 3 status", "events.jsonl"]));
}

// ---------------------------------------------------------------- refusals

#[test]
fn stateful_stages_without_a_faithful_form_are_refused() {
    let src = "running sum(status) over 1m";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 1 (`running`) to Flink SQL: `over 1m`: streamctl's range holds the events seen so far with time in (t - 1m, t]; Flink's event-time OVER RANGE holds every event in [t - 1m, t], also those that arrive later, so the values differ",
            src,
            0,
            src.len(),
        ),
    );
    let src = "dedup path within 1m";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 1 (`dedup`) to Flink SQL: `within 1m` suppresses a key for 1m of event time after its latest sighting (a debounce); Flink SQL's deduplication keeps the first row per key for good",
            src,
            0,
            src.len(),
        ),
    );
    let src = "count by path every 1m | running sum(count)";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 2 (`running`) to Flink SQL: running works in arrival order, and the rows reaching it come from an earlier aggregate, top or join, which streamctl writes in first-seen order and Flink in no set order",
            src,
            25,
            18,
        ),
    );
    let src = "running ewma(latency_ms, 0.5)";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 1 (`running`) to Flink SQL: `ewma_latency_ms`: ewma has no Flink SQL aggregate",
            src,
            0,
            src.len(),
        ),
    );
    let src = "join dup.jsonl on status = id";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 1 (`join`) to Flink SQL: lookup file dup.jsonl, row 2: a second row for one `id`; streamctl keeps the last, a SQL join would match both: keep one row per key",
            src,
            0,
            src.len(),
        ),
    );
    let src = "join users.csv on user_id";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 1 (`join`) to Flink SQL: the lookup file users.csv is CSV: Flink's csv format has no header line, and streamctl names the columns from it and types each cell by its text; convert it to JSON lines",
            src,
            0,
            src.len(),
        ),
    );
    let src = "rename path as proctime | dedup status";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 2 (`dedup`) to Flink SQL: the events have a field `proctime`, a name the compiled job uses for arrival order; `rename` it first",
            src,
            26,
            12,
        ),
    );
    let src = "count by path | dedup path";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 2 (`dedup`) to Flink SQL: it works in arrival order, which a batch job (needed here for an aggregate without a window, or a left join without event time) does not keep",
            src,
            16,
            10,
        ),
    );
}

fn caret_error(msg: &str, src: &str, col: usize, width: usize) -> String {
    format!(
        "error: {msg}\n  |\n1 | {src}\n  | {}{}\n",
        " ".repeat(col),
        "^".repeat(width)
    )
}

#[test]
fn percentiles_are_refused() {
    let src = "where status > 0 | p95(latency_ms) by path every 1m";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 2 (`aggregate`) to Flink SQL: `p95_latency_ms`: streamctl's percentiles come from a sketch (within 1% of the nearest-rank value); Flink SQL has no nearest-rank percentile aggregate to match it",
            src,
            19,
            32,
        ),
    );
}

#[test]
fn emit_every_and_on_update_are_refused() {
    let src = "count by path emit every 10s";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 1 (`aggregate`) to Flink SQL: `emit every 10s` snapshots open groups on the wall clock; a Flink job's rows would depend on when it runs",
            src,
            0,
            src.len(),
        ),
    );
    let src = "count by path every 1m emit on update";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 1 (`aggregate`) to Flink SQL: `emit on update` writes a row per change; Flink's update stream also retracts the previous row, which streamctl does not write",
            src,
            0,
            src.len(),
        ),
    );
}

#[test]
fn head_and_parse_are_refused() {
    let src = "head 10";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 1 (`head`) to Flink SQL: head N ends the job after the first N events; a Flink job over a partitioned stream has no single \"first N\" and does not stop",
            src,
            0,
            7,
        ),
    );
    let src = "parse logfmt from path";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 1 (`parse`) to Flink SQL: parse logfmt makes whatever fields each line has, known only at run time; a SQL view has fixed columns",
            src,
            0,
            src.len(),
        ),
    );
    let src = r#"parse regex "(?P<ms>\d+)ms""#;
    refused(
        &with_sink(&[src, "app.log"]),
        &caret_error(
            "cannot compile stage 1 (`parse`) to Flink SQL: parse regex types each capture by its text (a number or a string, event by event), which one SQL column cannot",
            src,
            0,
            src.len(),
        ),
    );
}

#[test]
fn processing_time_windows_are_refused() {
    let src = "count every 1m";
    refused(
        &with_sink(&[src, "app.log"]),
        &caret_error(
            "cannot compile stage 1 (`aggregate`) to Flink SQL: it needs event time and the input has no time field, so it would run on processing time, whose windows depend on when the job runs; give --time-field",
            src,
            0,
            src.len(),
        ),
    );
}

/// Time is read at the input when a filter comes first, but the refusal
/// names the stage that needs it.
#[test]
fn a_processing_time_window_after_a_filter_is_refused_at_the_window() {
    let d = fixtures();
    let src = "where line != \"\" | count every 1m";
    let (_, err, code) = compile(&d, &with_sink(&[src, "app.log"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot compile stage 2 (`aggregate`) to Flink SQL: it needs event time"),
        "{err}"
    );
}

#[test]
fn functions_without_a_faithful_form_are_refused() {
    for (src, why) in [
        ("eval t = trim(path)", "`trim(path)`: streamctl's trim removes every Unicode white space, Flink's TRIM only spaces"),
        ("eval t = now()", "`now()`: now() reads the wall clock, so the job's rows would depend on when it runs"),
        ("where exists(level)", "`exists(level)`: exists tells a field set to null from a missing one; a SQL column cannot; test `field != null` instead"),
        ("eval r = round(latency_ms, 1)", "`round(latency_ms, 1)`: round to digits rounds the binary float in streamctl and the decimal text in Flink; they differ on halves like 2.675"),
        ("eval m = latency_ms % 2", "`latency_ms % 2`: `%` of floats has no exact Flink SQL form (MOD takes integers)"),
    ] {
        let stage = src.split_whitespace().next().unwrap();
        refused(
            &with_sink(&[src, "events.jsonl"]),
            &caret_error(
                &format!("cannot compile stage 1 (`{stage}`) to Flink SQL: {why}"),
                src,
                0,
                src.len(),
            ),
        );
    }
}

#[test]
fn comparisons_across_types_are_refused() {
    let src = "where path == 5";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 1 (`where`) to Flink SQL: `path == 5` compares a string (`path`) with an integer (`5`): streamctl reads a string as a number when it is one, Flink SQL would cast or fail; declare both sides one type with --schema",
            src,
            0,
            src.len(),
        ),
    );
}

#[test]
fn nested_output_fields_are_refused() {
    let src = "select user.id";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 1 (`select`) to Flink SQL: it writes the nested field `user.id`; Flink SQL rows are flat here: name it with a plain name (e.g. `as id`)",
            src,
            0,
            src.len(),
        ),
    );
}

#[test]
fn unwindowed_aggregate_after_a_window_is_refused() {
    let src = "count by path every 1m | sum(count)";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 2 (`aggregate`) to Flink SQL: an aggregate without a window gives its rows at end of input, which needs a batch job, and the pipeline's event-time stages need a streaming one; give this aggregate a window (`every D`)",
            src,
            25,
            10,
        ),
    );
}

#[test]
fn unknown_fields_point_at_the_schema() {
    let src = "where nope > 1";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 1 (`where`) to Flink SQL: field `nope` is not among the columns here (ts, path, status, latency_ms, user, tags, level); if the input has it, declare it with --schema",
            src,
            0,
            src.len(),
        ),
    );
}

#[test]
fn usage_errors_say_what_to_do() {
    let d = fixtures();
    for (args, want) in [
        (
            vec!["where status > 1", "events.jsonl"],
            "streamctl: give --sink-path DIR for the default filesystem sink (JSON lines), or --sink-option connector=… for another\n",
        ),
        (
            with_sink(&["where true", "users.csv"]),
            "streamctl: CSV input cannot be compiled: Flink's csv format has no header line, and streamctl names the columns from it and types each cell by its text; convert the input to JSON lines first (streamctl 'select …' -i csv FILE > FILE.jsonl)\n",
        ),
        (
            with_sink(&["where true", "mixed.jsonl"]),
            "streamctl: field `a` is an integer in one event and a string in event 2 of mixed.jsonl: Flink SQL needs one type per column; declare it with --schema\n",
        ),
        (
            with_sink(&["count every 1m", "events.jsonl", "events.jsonl"]),
            "streamctl: 2 input files with event-time stages: streamctl reads the files one after another, Flink would read them side by side with one watermark for all, so late events would differ; concatenate them into one file\n",
        ),
        (
            with_sink(&["where true"]),
            "streamctl: compile needs the input FILE (its format and first events shape the source table), or --source-option connector=… with --schema F or --sample F\n",
        ),
        (
            with_sink(&["--source-option", "connector", "where true", "events.jsonl"]),
            "streamctl: --source-option `connector` is not `key=value`, e.g. --source-option connector=kafka\n",
        ),
    ] {
        let (out, err, code) = compile(&d, &args);
        assert_eq!((out.as_str(), err.as_str(), code), ("", want, 2), "{args:?}");
    }
}

#[test]
fn a_bad_pipeline_is_the_same_error_as_for_a_run() {
    let src = "where status >= 500 | cout by path";
    let d = fixtures();
    let (_, err, code) = compile(&d, &with_sink(&[src, "events.jsonl"]));
    assert_eq!(code, 2);
    assert!(err.starts_with("error: unknown stage `cout`\n"), "{err}");
}

// ------------------------------------------------- issue 17: fidelity gaps

#[test]
fn first_and_last_without_a_window_are_refused() {
    let src = "stats count, last(path) by status";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 1 (`aggregate`) to Flink SQL: `last_path` without a window compiles to a batch job, which keeps no arrival order, so its first and last values are not streamctl's; give the aggregate a window (`every D`)",
            src,
            0,
            src.len(),
        ),
    );
    let src = "top 2 path by first(status)";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 1 (`top`) to Flink SQL: `first_status` without a window compiles to a batch job, which keeps no arrival order, so its first and last values are not streamctl's; give the aggregate a window (`every D`)",
            src,
            0,
            src.len(),
        ),
    );
}

#[test]
fn rename_onto_an_existing_field_is_refused() {
    let src = "rename path as status";
    refused(
        &with_sink(&[src, "events.jsonl"]),
        &caret_error(
            "cannot compile stage 1 (`rename`) to Flink SQL: `status` is a field already: streamctl keeps it when `path` is missing and replaces it when `path` is there, even as null, and a SQL column cannot tell null from missing; `drop status` first",
            src,
            0,
            src.len(),
        ),
    );
    let d = fixtures();
    let (_, err, code) = compile(
        &d,
        &with_sink(&["drop status | rename path as status", "events.jsonl"]),
    );
    assert_eq!((code, err.as_str()), (0, ""));
}

#[test]
fn string_order_is_code_point_order_in_sql_too() {
    let d = fixtures();
    // A literal below U+E000 orders alike in UTF-16 and code points.
    let (sql, _, _) = compile(&d, &with_sink(&[r#"where path >= "/b""#, "events.jsonl"]));
    assert!(sql.contains("WHERE `path` >= '/b'"), "{sql}");
    // "Ｆ" (U+FF26) sorts after "🚀" in UTF-16 and before it in code points.
    let (sql, _, _) = compile(&d, &with_sink(&[r#"where path >= "Ｆ""#, "events.jsonl"]));
    assert!(
        sql.contains("WHERE ENCODE(`path`, 'UTF-8') >= ENCODE('Ｆ', 'UTF-8')"),
        "{sql}"
    );
}

#[test]
fn float_keys_and_distinct_floats_are_normalised() {
    let d = fixtures();
    let (sql, err, _) = compile(
        &d,
        &with_sink(&["stats distinct(latency_ms) by latency_ms", "events.jsonl"]),
    );
    assert_eq!(err, "");
    assert!(
        sql.contains("COUNT(DISTINCT CASE WHEN `latency_ms` = 0 THEN CAST(0 AS DOUBLE) ELSE `latency_ms` END)"),
        "{sql}"
    );
    assert!(
        sql.contains(
            "GROUP BY CASE WHEN `latency_ms` = 0 THEN CAST(0 AS DOUBLE) ELSE `latency_ms` END"
        ),
        "{sql}"
    );
}

#[test]
fn offsets_are_applied_by_hand_and_strftime_offsets_only_at_the_end() {
    let d = fixtures();
    d.create(
        "tokyo.jsonl",
        "{\"ts\":\"2026-03-28T06:21:49+09:00\",\"city\":\"Tokyo\"}\n",
    );
    let (sql, err, _) = compile(&d, &with_sink(&["count by city every 1h", "tokyo.jsonl"]));
    assert_eq!(err, "");
    assert!(
        sql.contains("TO_TIMESTAMP_LTZ(SUBSTRING(`ts` FROM 1 FOR 19), 'yyyy-MM-dd''T''HH:mm:ss')"),
        "{sql}"
    );
    assert!(
        sql.contains(
            "TIMESTAMPADD(MINUTE, -(CASE WHEN SUBSTRING(`ts` FROM 20) IN ('Z', 'z') THEN 0"
        ),
        "{sql}"
    );
    d.create("clf.jsonl", "{\"ts\":\"+0200 28/Mar/2026:06:21:49\"}\n");
    let (_, err, code) = compile(
        &d,
        &with_sink(&[
            "--time-format",
            "%z %d/%b/%Y:%H:%M:%S",
            "count every 1h",
            "clf.jsonl",
        ]),
    );
    assert_eq!(
        (code, err.as_str()),
        (2, "streamctl: --time-format `%z %d/%b/%Y:%H:%M:%S`: the offset (`%z`) is translated only at the end of the format\n")
    );
}

#[test]
fn an_empty_input_with_a_schema_is_not_told_to_give_a_schema() {
    let d = fixtures();
    d.create("empty.jsonl", "");
    let (_, err, code) = compile(
        &d,
        &with_sink(&["--schema", "schema.txt", "where status > 1", "empty.jsonl"]),
    );
    assert_eq!((code, err.as_str()), (0, ""));
    let (_, err, code) = compile(&d, &with_sink(&["where status > 1", "empty.jsonl"]));
    assert_eq!(
        (code, err.as_str()),
        (2, "streamctl: empty.jsonl has no events to infer the columns from: give --schema F (a `name type` line per column) or --sample F\n")
    );
}

/// The input is told apart as `streamctl` tells it when it reads: by magic
/// bytes for gzip and zstd (refused: Flink's filesystem source goes by the
/// name), by the first line for logfmt (refused: Flink has no logfmt).
#[test]
fn input_detected_as_the_run_detects_it() {
    let d = fixtures();
    std::fs::write(d.root().join("access.log"), b"\x1f\x8b\x08\x00rest").unwrap();
    std::fs::write(d.root().join("app.data"), b"\x28\xb5\x2f\xfdrest").unwrap();
    for (file, codec) in [("access.log", "gzip"), ("app.data", "zstd")] {
        let (out, err, code) = compile(&d, &with_sink(&["where a > 1", file]));
        assert_eq!((out.as_str(), code), ("", 2), "{file}: {err}");
        assert!(
            err.contains(&format!("streamctl: {file} is {codec}-compressed")),
            "{file}: {err}"
        );
    }
    // A second input is checked too.
    let (_, err, code) = compile(
        &d,
        &with_sink(&["where a > 1", "events.jsonl", "access.log"]),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is gzip-compressed"), "{err}");
    d.create("svc.log", "level=info msg=\"up\" n=1\nlevel=warn n=2\n");
    let (_, err, code) = compile(&d, &with_sink(&["where n > 1", "svc.log"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("logfmt input cannot be compiled"), "{err}");
}

/// `a.b` after `count by a.b` names the row's top-level `a.b`, as the run
/// reads it; with a nested `a` too it is ambiguous and refused.
#[test]
fn a_dotted_name_reads_the_flat_column_a_group_made() {
    let d = fixtures();
    d.create("nested.jsonl", "{\"ts\":1,\"req\":{\"path\":\"/a\"}}\n");
    let (out, err, code) = compile(
        &d,
        &with_sink(&[
            "count by req.path | where req.path == \"/a\"",
            "nested.jsonl",
        ]),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("WHERE `req.path` = '/a'"), "{out}");
    let (_, err, code) = compile(
        &d,
        &with_sink(&[
            "eval `req.path` = 1 | where req.path == \"/a\"",
            "nested.jsonl",
        ]),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("names both the field `req.path`"), "{err}");
}
