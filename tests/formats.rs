//! Input and output formats, and byte-for-byte echo of unchanged events.
mod util;

use util::{ok, run, streamctl, Dir};

#[test]
fn unchanged_json_is_echoed_byte_for_byte() {
    let input = "{ \"b\" : 1.50, \"a\":\"\\u00e9\" }\n{\"b\":0}\n";
    assert_eq!(
        ok(&["where b > 1"], input),
        "{ \"b\" : 1.50, \"a\":\"\\u00e9\" }\n"
    );
}

#[test]
fn changed_json_is_reserialised_in_key_order() {
    assert_eq!(
        ok(&["eval c = b * 2"], "{\"b\":1.5,\"a\":\"x\"}\n"),
        "{\"b\":1.5,\"a\":\"x\",\"c\":3.0}\n"
    );
}

#[test]
fn csv_input_is_typed() {
    let d = Dir::new();
    let f = d.create("in.csv", "host,status,code\nweb-1,500,007\n\"a,b\",200,\n");
    let out = streamctl()
        .args(["where status >= 200", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"host\":\"web-1\",\"status\":500,\"code\":\"007\"}\n{\"host\":\"a,b\",\"status\":200,\"code\":null}\n"
    );
}

#[test]
fn csv_to_csv_keeps_rows_and_header() {
    let d = Dir::new();
    let f = d.create("in.csv", "a,b\n1,\"x,y\"\n2,z\n");
    let out = streamctl()
        .args(["-O", "csv", "where a >= 1", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "a,b\n1,\"x,y\"\n2,z\n"
    );
}

#[test]
fn tsv_input_and_output() {
    let out = ok(
        &["-i", "tsv", "-O", "tsv", "eval n = a + 1"],
        "a\tb\n1\tx\\ty\n",
    );
    assert_eq!(out, "a\tb\tn\n1\tx\\ty\t2\n");
}

#[test]
fn logfmt_input_and_output() {
    let out = ok(
        &["-i", "logfmt", "-O", "logfmt", "where ms > 10"],
        "level=info msg=\"slow call\" ms=42\nlevel=debug ms=3\n",
    );
    assert_eq!(out, "level=info msg=\"slow call\" ms=42\n");
    let out = ok(
        &["-i", "logfmt", "eval fast = ms < 100"],
        "level=info msg=\"slow call\" ms=42\n",
    );
    assert_eq!(
        out,
        "{\"level\":\"info\",\"msg\":\"slow call\",\"ms\":42,\"fast\":true}\n"
    );
}

#[test]
fn lines_input_and_parse() {
    let out = ok(
        &[
            "-i",
            "lines",
            r#"parse regex "took (?P<ms>\d+)ms" | where ms > 100 | select ms"#,
        ],
        "GET / took 150ms\nGET /x took 5ms\nno timing\n",
    );
    assert_eq!(out, "{\"ms\":150}\n");
}

#[test]
fn auto_detects_by_first_line() {
    assert_eq!(
        ok(&["head 1"], "plain text\n"),
        "{\"line\":\"plain text\"}\n"
    );
    assert_eq!(ok(&["head 1"], "{\"a\":1}\n"), "{\"a\":1}\n");
}

/// A Go service's log (logfmt, issue 15).
const GO_LOG: &str = "\
time=2026-03-01T12:00:05Z level=info msg=\"request done\" path=/api/users status=200 ms=12
time=2026-03-01T12:00:06Z level=error msg=\"upstream timed out\" path=/api/orders status=504 ms=3001 err=\"dial tcp: i/o timeout\"
time=2026-03-01T12:01:07Z level=info msg=\"request done\" path=/api/users status=200 ms=9
";

#[test]
fn auto_detects_logfmt_by_first_line() {
    assert_eq!(
        ok(&["where status >= 500 | select path, ms, err"], GO_LOG),
        "{\"path\":\"/api/orders\",\"ms\":3001,\"err\":\"dial tcp: i/o timeout\"}\n"
    );
    // Unchanged events are the lines as read; `time` drives the windows.
    assert_eq!(
        ok(&["-O", "logfmt", "where ms < 100"], GO_LOG),
        "time=2026-03-01T12:00:05Z level=info msg=\"request done\" path=/api/users status=200 ms=12\n\
         time=2026-03-01T12:01:07Z level=info msg=\"request done\" path=/api/users status=200 ms=9\n"
    );
    assert_eq!(
        ok(&["count by level every 1m"], GO_LOG),
        "{\"window_start\":\"2026-03-01T12:00:00.000Z\",\"window_end\":\"2026-03-01T12:01:00.000Z\",\"level\":\"info\",\"count\":1}\n\
         {\"window_start\":\"2026-03-01T12:00:00.000Z\",\"window_end\":\"2026-03-01T12:01:00.000Z\",\"level\":\"error\",\"count\":1}\n\
         {\"window_start\":\"2026-03-01T12:01:00.000Z\",\"window_end\":\"2026-03-01T12:02:00.000Z\",\"level\":\"info\",\"count\":1}\n"
    );
    // A .log file is decided by its first line too.
    let d = Dir::new();
    let f = d.create("svc.log", GO_LOG);
    let out = streamctl()
        .args(["count by status", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"status\":200,\"count\":2}\n{\"status\":504,\"count\":1}\n"
    );
}

#[test]
fn text_with_an_equals_sign_stays_lines() {
    assert_eq!(
        ok(&["head 2"], "set a=1 b=2\nx=1 y=2\n"),
        "{\"line\":\"set a=1 b=2\"}\n{\"line\":\"x=1 y=2\"}\n"
    );
    assert_eq!(
        ok(&["head 1"], "level=info\n"),
        "{\"line\":\"level=info\"}\n"
    );
    // After a logfmt first line, a line that is not logfmt is rejected as such.
    let (out, err, code) = run(&["select a"], "a=1 b=2\nc=\"open\n");
    assert_eq!((out.as_str(), code), ("{\"a\":1}\n", 0));
    assert_eq!(
        err,
        "<stdin>:2: logfmt: unterminated quoted value for `c`\nstreamctl: 1 malformed line(s) skipped\n"
    );
}

#[test]
fn auto_detects_by_extension() {
    let d = Dir::new();
    let f = d.create("x.tsv", "a\tb\n1\t2\n");
    let out = streamctl()
        .args(["head 5", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"a\":1,\"b\":2}\n"
    );
}

#[test]
fn csv_output_starts_a_new_block_when_columns_change() {
    let out = ok(
        &["-O", "csv", "select a"],
        "{\"a\":\"x,y\"}\n{\"a\":null}\n",
    );
    assert_eq!(out, "a\n\"x,y\"\n\"\"\n");
    let out = ok(&["-O", "csv", "eval z = 1"], "{\"a\":1}\n{\"b\":2}\n");
    assert_eq!(out, "a,z\n1,1\n\nb,z\n2,1\n");
}

#[test]
fn table_output_is_aligned() {
    let out = ok(
        &["-O", "table", "select path, n"],
        "{\"path\":\"/a\",\"n\":5}\n{\"path\":\"/long\",\"n\":123}\n",
    );
    // A numeric column is right-aligned, its header too.
    assert_eq!(out, "path     n\n/a       5\n/long  123\n\n");
}

#[test]
fn nested_fields_and_backticks() {
    let out = ok(
        &["select req.path, `user-agent` | where req.path startswith \"/api\""],
        "{\"req\":{\"path\":\"/api/x\",\"m\":\"GET\"},\"user-agent\":\"curl\"}\n",
    );
    assert_eq!(
        out,
        "{\"req\":{\"path\":\"/api/x\"},\"user-agent\":\"curl\"}\n"
    );
}

#[test]
fn logfmt_backslash_before_a_multibyte_character_is_kept() {
    // It used to panic (a byte slice through the middle of `é`).
    assert_eq!(
        ok(&["-i", "logfmt", "where true"], "a=\"\\é\\t\" b=\"\\\"\"\n"),
        "{\"a\":\"\\\\é\\t\",\"b\":\"\\\"\"}\n"
    );
    assert_eq!(
        ok(
            &["parse logfmt from line"],
            "{\"line\":\"k=\\\"\\\\é\\\"\"}\n"
        ),
        "{\"line\":\"k=\\\"\\\\é\\\"\",\"k\":\"\\\\é\"}\n"
    );
}
