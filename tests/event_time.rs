//! Event time read where the pipeline first needs it (DESIGN §5, issue 15):
//! from fields made by `parse`, `eval`, `rename` earlier; a banner line at
//! the top of a log does not switch the run to arrival time; falling back to
//! arrival time is said once; `--explain` shows the stage; resume keeps the
//! rule. Exact output.
mod util;

use util::{ok, run, streamctl, Dir};

const W0: &str =
    "\"window_start\":\"2026-03-01T12:00:00.000Z\",\"window_end\":\"2026-03-01T12:01:00.000Z\"";
const W1: &str =
    "\"window_start\":\"2026-03-01T12:01:00.000Z\",\"window_end\":\"2026-03-01T12:02:00.000Z\"";

const ACCESS: &str = "\
10.0.0.1 [01/Mar/2026:12:00:05 +0000] 200
10.0.0.2 [01/Mar/2026:12:00:35 +0000] 500
10.0.0.1 [01/Mar/2026:12:01:10 +0000] 200
";

#[test]
fn a_timestamp_captured_by_parse_regex_drives_the_window() {
    let out = ok(
        &[
            "-i",
            "lines",
            r#"parse regex "^(?P<ip>\S+) \[(?P<ts>[^\]]+)\] (?P<status>\d+)" | count by status every 1m"#,
        ],
        ACCESS,
    );
    assert_eq!(
        out,
        format!(
            "{{{W0},\"status\":200,\"count\":1}}\n{{{W0},\"status\":500,\"count\":1}}\n{{{W1},\"status\":200,\"count\":1}}\n"
        )
    );
}

#[test]
fn time_field_names_a_field_made_by_parse() {
    let out = ok(
        &[
            "-i",
            "lines",
            "--time-field",
            "when",
            r#"parse regex "\[(?P<when>[^\]]+)\]" | count every 1m"#,
        ],
        ACCESS,
    );
    assert_eq!(out, format!("{{{W0},\"count\":2}}\n{{{W1},\"count\":1}}\n"));
}

#[test]
fn eval_and_rename_can_make_the_time_field() {
    let input = "{\"at\":1772366405,\"n\":1}\n{\"at\":1772366470,\"n\":2}\n";
    let out = ok(&["rename at as ts | count every 1m"], input);
    assert_eq!(out, format!("{{{W0},\"count\":1}}\n{{{W1},\"count\":1}}\n"));
    let out = ok(&["eval timestamp = at * 1000 | sum n every 1m"], input);
    assert_eq!(out, format!("{{{W0},\"sum_n\":1}}\n{{{W1},\"sum_n\":2}}\n"));
}

#[test]
fn stages_before_the_window_run_without_a_time() {
    // `where` drops the line without a time before time is read: no rejection.
    let input = "# header\n{\"ts\":\"2026-03-01T12:00:05Z\"}\n";
    let out = ok(
        &[
            "-i",
            "lines",
            "where line != \"# header\" | parse json | count every 1m",
        ],
        input,
    );
    assert_eq!(out, format!("{{{W0},\"count\":1}}\n"));
}

#[test]
fn a_banner_line_is_rejected_and_the_log_keeps_its_own_time() {
    let input = format!("*** log opened ***\n{ACCESS}");
    let (out, err, code) = run(
        &[
            "-i",
            "lines",
            r#"parse regex "\[(?P<ts>[^\]]+)\] (?P<status>\d+)" | count every 1m"#,
        ],
        &input,
    );
    assert_eq!(code, 0);
    assert_eq!(out, format!("{{{W0},\"count\":2}}\n{{{W1},\"count\":1}}\n"));
    assert_eq!(
        err,
        "<stdin>:1: no time field (later events have `ts`; this one has none of ts, timestamp, time, @timestamp)\n\
         streamctl: 1 malformed line(s) skipped\n"
    );
}

#[test]
fn a_line_without_time_later_in_the_log_is_rejected_with_its_line() {
    let input = format!("{ACCESS}oops\n");
    let (out, err, _) = run(
        &[
            "-i",
            "lines",
            r#"parse regex "\[(?P<ts>[^\]]+)\]" | count every 1m"#,
        ],
        &input,
    );
    assert_eq!(out, format!("{{{W0},\"count\":2}}\n{{{W1},\"count\":1}}\n"));
    assert!(err.starts_with("<stdin>:4: no time field `ts`\n"), "{err}");
}

#[test]
fn falling_back_to_arrival_time_is_said_once() {
    let (out, err, code) = run(&["count every 1h | select count"], "{\"a\":1}\n{\"a\":2}\n");
    assert_eq!(code, 0);
    assert_eq!(out, "{\"count\":2}\n");
    assert_eq!(
        err,
        "streamctl: no time field (ts, timestamp, time, @timestamp) in the first 2 event(s) reaching \
         `count every 1h`; windows use arrival time (give --time-field F, or --time-field @arrival \
         to choose this)\n"
    );
}

#[test]
fn time_field_arrival_chooses_arrival_time_silently() {
    let out = ok(
        &["--time-field", "@arrival", "count every 1h | select count"],
        "{\"a\":1}\n{\"ts\":\"2001-01-01T00:00:00Z\"}\n",
    );
    assert_eq!(out, "{\"count\":2}\n");
}

#[test]
fn explain_marks_the_stage_that_reads_time() {
    let out = ok(
        &[
            "--explain",
            "-i",
            "lines",
            r#"parse regex "\[(?P<ts>[^\]]+)\]" | where ts != null | count every 1m"#,
        ],
        "",
    );
    let stages: Vec<&str> = out.lines().filter(|l| l.contains("event time")).collect();
    assert_eq!(
        stages,
        [
            "event time: read at stage 2 from the first of ts, timestamp, time, @timestamp in the first event there that has one (events before it without one are rejected), else arrival time; lateness 5000ms, idle timeout 1000ms",
            "     event time is read here, from the event as it arrives at this stage",
            "     event time is needed here: an event without one is rejected",
        ]
    );
    let read = out.find("event time is read here").unwrap();
    let needed = out.find("event time is needed here").unwrap();
    assert!(out[..read].contains("2. where"), "{out}");
    assert!(out[read..needed].contains("3. aggregate count"), "{out}");
}

/// A filter before a window does not hide events from the clock: the event
/// it drops still moves event time on, so the same events are late with or
/// without the filter (as in the compiled Flink job, whose watermark is set
/// at the source).
#[test]
fn events_a_filter_drops_still_move_event_time() {
    let input = "{\"ts\":0,\"k\":\"a\"}\n{\"ts\":70,\"k\":\"noise\"}\n{\"ts\":5,\"k\":\"a\"}\n{\"ts\":80,\"k\":\"a\"}\n";
    let (filtered, err, code) = run(&["where k != \"noise\" | count every 1m"], input);
    assert_eq!(code, 0);
    assert_eq!(
        filtered,
        "{\"window_start\":\"1970-01-01T00:00:00.000Z\",\"window_end\":\"1970-01-01T00:01:00.000Z\",\"count\":1}\n\
         {\"window_start\":\"1970-01-01T00:01:00.000Z\",\"window_end\":\"1970-01-01T00:02:00.000Z\",\"count\":1}\n"
    );
    // ts 5 came after ts 70 had moved event time past 0:01:05.
    assert!(err.contains("1 late event(s) dropped"), "{err}");
}

/// Time read before a filter: an event without one that the filter drops
/// is not rejected; one that reaches the window is, with its line.
#[test]
fn an_event_without_time_is_rejected_only_where_time_is_needed() {
    let input = "{\"k\":\"banner\"}\n{\"ts\":0,\"k\":\"a\"}\n{\"k\":\"b\"}\n";
    let (out, err, code) = run(&["where k != \"banner\" | count every 1m"], input);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "{\"window_start\":\"1970-01-01T00:00:00.000Z\",\"window_end\":\"1970-01-01T00:01:00.000Z\",\"count\":1}\n"
    );
    assert!(err.contains("<stdin>:3: no time field"), "{err}");
    assert!(!err.contains("<stdin>:1:"), "{err}");
}

#[test]
fn resume_reads_time_at_the_same_stage() {
    let dir = Dir::new();
    let log = dir.create("access.log", "banner\n");
    let ck = dir.path("run.ckpt");
    let pipeline = r#"parse regex "\[(?P<ts>[^\]]+)\]" | count every 1m"#;
    let args = [
        "-i",
        "lines",
        "--checkpoint",
        ck.to_str().unwrap(),
        pipeline,
        log.to_str().unwrap(),
    ];
    // The first run reads the banner and one line: `ts` is chosen.
    std::fs::write(
        &log,
        format!("banner\n{}", &ACCESS[..ACCESS.find('\n').unwrap() + 1]),
    )
    .unwrap();
    let first = streamctl().args(args).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&first.stdout),
        format!("{{{W0},\"count\":1}}\n")
    );
    // More lines appended: the run carries on with `ts`, not arrival time.
    std::fs::write(&log, format!("banner\n{ACCESS}")).unwrap();
    let second = streamctl().args(args).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&second.stdout),
        format!("{{{W0},\"count\":1}}\n{{{W1},\"count\":1}}\n")
    );
    assert_eq!(String::from_utf8_lossy(&second.stderr), "");
}

#[test]
fn the_flink_compiler_refuses_a_time_field_made_by_a_stage() {
    let dir = Dir::new();
    let input = dir.create("in.jsonl", "{\"at\":1772366405,\"n\":1}\n");
    let out = streamctl()
        .args([
            "compile",
            "--target",
            "flink-sql",
            "rename at as ts | count every 1m",
            input.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "streamctl: error: cannot compile stage 1 (`rename`) to Flink SQL: it makes `ts`, which event time is \
         read from at stage 2 (`aggregate`); the compiled job reads event time from a column of the \
         source table, so it cannot come from a stage — give the input a time field \
         (--time-field), or run this pipeline with streamctl\n  |\n1 | rename at as ts | count every \
         1m\n  | ^^^^^^^^^^^^^^^\n"
    );
}
