//! `-O table`: aligned columns, a block per emission, colour only on a
//! terminal and never with NO_COLOR.
mod util;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use util::pty::Pty;
use util::{bin_path, ok};

const EVENTS: &str = r#"{"city":"Zürich","n":5,"ms":12.5}
{"city":"Oslo","n":1234,"ms":3}
{"city":"São Paulo","n":-7,"ms":null}
"#;

#[test]
fn columns_are_aligned_numbers_right_text_left() {
    assert_eq!(
        ok(&["-O", "table", "select city, n, ms"], EVENTS),
        "city          n    ms\n\
         Zürich        5  12.5\n\
         Oslo       1234     3\n\
         São Paulo    -7\n\n"
    );
}

#[test]
fn a_text_column_with_a_number_in_it_is_left_aligned() {
    let out = ok(
        &["-O", "table", "select id"],
        "{\"id\":\"a-17\"}\n{\"id\":9}\n",
    );
    assert_eq!(out, "id\na-17\n9\n\n");
}

#[test]
fn one_block_per_flush_when_input_arrives_slowly() {
    let mut child = Command::new(bin_path())
        .args(["-O", "table", "select city, n"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let block = |out: &mut BufReader<_>| {
        let mut lines = Vec::new();
        loop {
            let mut l = String::new();
            assert!(out.read_line(&mut l).unwrap() > 0, "output ended early");
            if l == "\n" {
                return lines;
            }
            lines.push(l.trim_end_matches('\n').to_string());
        }
    };
    stdin
        .write_all(b"{\"city\":\"Oslo\",\"n\":1}\n{\"city\":\"Bergen\",\"n\":22}\n")
        .unwrap();
    assert_eq!(block(&mut out), ["city     n", "Oslo     1", "Bergen  22"]);
    stdin
        .write_all("{\"city\":\"Tromsø\",\"n\":333}\n".as_bytes())
        .unwrap();
    // A block of one row has no blank line after it (the next one-row block
    // may continue it): its two lines come at once.
    let mut two = String::new();
    out.read_line(&mut two).unwrap();
    out.read_line(&mut two).unwrap();
    assert_eq!(two, "city      n\nTromsø  333\n");
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(status.success());
}

/// Run with stdout on a pseudo-terminal; return what it showed.
fn on_terminal(envs: &[(&str, &str)]) -> String {
    let pty = Pty::open(100);
    let mut cmd = Command::new(bin_path());
    cmd.args(["-O", "table", "select city"])
        .stdin(Stdio::piped())
        .stdout(pty.slave.try_clone().unwrap())
        .stderr(Stdio::null())
        .env_remove("NO_COLOR");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    let screen = pty.reader();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"city\":\"Oslo\"}\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    // The terminal turns \n into \r\n.
    String::from_utf8(screen.join().unwrap())
        .unwrap()
        .replace("\r\n", "\n")
}

#[test]
fn header_is_bold_on_a_terminal() {
    assert_eq!(on_terminal(&[]), "\x1b[1mcity\x1b[0m\nOslo\n");
}

#[test]
fn no_color_turns_colour_off() {
    assert_eq!(on_terminal(&[("NO_COLOR", "1")]), "city\nOslo\n");
    // An empty NO_COLOR does not count (no-color.org).
    assert_eq!(
        on_terminal(&[("NO_COLOR", "")]),
        "\x1b[1mcity\x1b[0m\nOslo\n"
    );
}

#[test]
fn no_colour_into_a_pipe() {
    let out = ok(&["-O", "table", "select city"], "{\"city\":\"Oslo\"}\n");
    assert_eq!(out, "city\nOslo\n");
}

#[test]
fn each_closed_window_is_its_own_block() {
    let input = "{\"ts\":\"2026-03-01T12:00:05Z\",\"k\":\"a\"}\n\
                 {\"ts\":\"2026-03-01T12:00:30Z\",\"k\":\"bb\"}\n\
                 {\"ts\":\"2026-03-01T12:01:10Z\",\"k\":\"a\"}\n";
    assert_eq!(
        ok(&["-O", "table", "count by k every 1m"], input),
        "window_start              window_end                k   count\n\
         2026-03-01T12:00:00.000Z  2026-03-01T12:01:00.000Z  a       1\n\
         2026-03-01T12:00:00.000Z  2026-03-01T12:01:00.000Z  bb      1\n\
         \n\
         window_start              window_end                k  count\n\
         2026-03-01T12:01:00.000Z  2026-03-01T12:02:00.000Z  a      1\n"
    );
}
