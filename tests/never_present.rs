//! Fields that are never there (issue 15): a field the pipeline reads that
//! no event had where it is read is named once on stderr, at exit and after
//! the first 10 000 events of a long run, with a did-you-mean from the
//! names the events had. Exact stderr.
mod util;

use std::io::Write;
use std::process::{Command, Stdio};

use util::{bin_path, ok, run};

const NESTED: &str = "\
{\"ts\":\"2026-03-01T12:00:05Z\",\"req\":{\"path\":\"/a\",\"status\":200}}
{\"ts\":\"2026-03-01T12:00:21Z\",\"req\":{\"path\":\"/b\",\"status\":503}}
";

#[test]
fn a_field_under_another_parent_is_suggested() {
    let (out, err, code) = run(&["where status >= 500"], NESTED);
    assert_eq!((out.as_str(), code), ("", 0));
    assert_eq!(
        err,
        "streamctl: field `status` was never present; did you mean `req.status`?\n"
    );
}

#[test]
fn a_typo_is_suggested_and_the_rows_are_still_written() {
    let (out, err, code) = run(&["count by req.stauts"], NESTED);
    assert_eq!(code, 0);
    assert_eq!(out, "{\"req.stauts\":null,\"count\":2}\n");
    assert_eq!(
        err,
        "streamctl: field `req.stauts` was never present; did you mean `req.status`?\n"
    );
}

#[test]
fn without_a_near_name_the_names_seen_are_listed() {
    let (_, err, _) = run(&["count by host"], NESTED);
    assert_eq!(
        err,
        "streamctl: field `host` was never present (fields seen: ts, req, req.path, req.status)\n"
    );
}

#[test]
fn each_field_once_in_stage_order_and_only_the_absent_ones() {
    let (_, err, _) = run(
        &["where staus == 1 or req.status == 200 | eval x = pth | count by staus"],
        NESTED,
    );
    assert_eq!(
        err,
        "streamctl: field `staus` was never present; did you mean `req.status`?\n\
         streamctl: field `pth` was never present; did you mean `req.path`?\n"
    );
}

#[test]
fn a_field_present_in_one_event_is_not_named() {
    ok(
        &["where status >= 500 or req.status >= 500"],
        "{\"req\":{\"status\":200}}\n{\"status\":503}\n",
    );
}

#[test]
fn fields_made_by_earlier_stages_and_windows_count_as_present() {
    ok(
        &[
            "-i",
            "lines",
            r#"parse regex "(?P<n>\d+)" | eval m = n * 2, k = m + 1 | count by k every 1m | where count > 0 | select window_start, k"#,
            "--time-field",
            "@arrival",
        ],
        "a 1\nb 2\n",
    );
}

#[test]
fn a_stage_no_event_reached_says_nothing() {
    // `where` drops everything: the stage after it saw no event.
    let out = ok(&["where req.status > 900 | count by nothere"], NESTED);
    assert_eq!(out, "");
}

#[test]
fn a_field_tested_for_absence_is_not_named() {
    ok(
        &["where missing == null and exists(gone) == false | eval x = coalesce(nope, 1) | where other != null or x == 1"],
        NESTED,
    );
}

#[test]
fn drop_and_rename_of_an_absent_field_are_no_notice() {
    ok(&["drop password | rename secret as s"], NESTED);
}

#[test]
fn parse_from_line_on_json_input_is_named() {
    let (_, err, _) = run(&[r#"parse regex "(?P<x>a)""#], NESTED);
    assert_eq!(
        err,
        "streamctl: field `line` was never present (fields seen: ts, req, req.path, req.status)\n"
    );
}

#[test]
fn a_run_ended_early_by_head_says_nothing() {
    ok(
        &["where a == 1 or b == 1 | head 1"],
        "{\"a\":1}\n{\"b\":1}\n",
    );
}

#[test]
fn quiet_still_names_it_on_stderr() {
    // -q writes no result; the notice, like a malformed line, still goes to
    // stderr (it says why there was no row: exit 1).
    let (out, err, code) = run(&["-q", "where status >= 500"], NESTED);
    assert_eq!((out.as_str(), code), ("", 1));
    assert_eq!(
        err,
        "streamctl: field `status` was never present; did you mean `req.status`?\n"
    );
}

#[test]
fn a_long_run_names_it_after_10000_events_while_still_reading() {
    let mut child = Command::new(bin_path())
        .args(["where stauts >= 500"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let line = "{\"status\":200}\n".repeat(10_000);
    stdin.write_all(line.as_bytes()).unwrap();
    stdin.flush().unwrap();
    // stdin is still open: the notice must come before the end.
    let mut err = child.stderr.take().unwrap();
    let mut got = Vec::new();
    let want = "streamctl: field `stauts` was never present; did you mean `status`?\n";
    while got.len() < want.len() {
        let mut buf = [0u8; 256];
        let n = std::io::Read::read(&mut err, &mut buf).unwrap();
        assert!(
            n > 0,
            "stderr closed early: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(String::from_utf8_lossy(&got), want);
    stdin.write_all(line.as_bytes()).unwrap();
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(rest, "", "said once");
}

/// `parse nginx | count by …` makes only the fields it reads (a saving):
/// what is said of a field never there is as without that saving.
#[test]
fn a_parse_that_makes_only_what_is_read_still_suggests_its_other_fields() {
    let line = "203.0.113.9 - - [01/Mar/2026:12:00:05 +0000] \"GET /a HTTP/1.1\" 200 512 \"-\" \"curl/8.5.0\"\n";
    let (out, err, code) = run(&["-i", "lines", "parse nginx | count by stauts"], line);
    assert_eq!(code, 0);
    assert_eq!(out, "{\"stauts\":null,\"count\":1}\n");
    assert_eq!(
        err,
        "streamctl: field `stauts` was never present; did you mean `status`?\n"
    );
    let (_, err, _) = run(&["-i", "lines", "parse nginx | count by agent"], line);
    assert_eq!(
        err,
        "streamctl: field `agent` was never present (fields seen: line; the parse before it \
         also makes: ip, user, ts, method, path, proto, status, bytes, referer, user_agent)\n"
    );
    let (_, err, _) = run(
        &[
            "-i",
            "lines",
            "parse regex \"\\\" (?P<code>\\d{3}) \" | count by cdoe",
        ],
        line,
    );
    assert_eq!(
        err,
        "streamctl: field `cdoe` was never present; did you mean `code`?\n"
    );
}
