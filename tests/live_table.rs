//! The live table (issue 18): `-O table` with `emit every D` or `emit on
//! update` redraws one table in place on a terminal, under a line with the
//! snapshot time and the window; into a pipe it writes blocks headed by that
//! line. An unkeyed windowed count prints its header once.
mod util;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use util::pty::Pty;
use util::{bin_path, ok};

/// What a terminal shows after `bytes`: the few controls streamctl writes
/// (home + clear screen, CR, LF, SGR colours) are interpreted; the screen
/// is the list of its lines. Also returns how many times it was cleared.
fn screen(bytes: &[u8]) -> (Vec<String>, usize) {
    let text = String::from_utf8_lossy(bytes);
    let mut lines: Vec<String> = vec![String::new()];
    let mut row = 0;
    let mut clears = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                // CSI: ESC [ params final
                assert_eq!(chars.next(), Some('['), "only CSI sequences are written");
                let mut params = String::new();
                let mut fin = ' ';
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        fin = c;
                        break;
                    }
                    params.push(c);
                }
                match (fin, params.as_str()) {
                    ('H', "") => row = 0,
                    ('J', "2") => {
                        clears += 1;
                        lines = vec![String::new()];
                    }
                    ('m', _) => {}
                    other => panic!("unexpected control sequence {other:?}"),
                }
            }
            '\r' => {}
            '\n' => {
                row += 1;
                if lines.len() <= row {
                    lines.push(String::new());
                }
            }
            c => {
                while lines.len() <= row {
                    lines.push(String::new());
                }
                lines[row].push(c);
            }
        }
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    (lines, clears)
}

/// Run `pipeline` with stdout on a terminal, feeding `steps` (text, then a pause).
fn on_terminal(pipeline: &str, steps: &[(&str, u64)]) -> Vec<u8> {
    let pty = Pty::open(120);
    let mut cmd = Command::new(bin_path());
    cmd.args(["-O", "table", "--lateness", "0s", pipeline])
        .stdin(Stdio::piped())
        .stdout(pty.slave.try_clone().unwrap())
        .stderr(Stdio::null())
        .env("NO_COLOR", "1");
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    let shown = pty.reader();
    let mut stdin = child.stdin.take().unwrap();
    for (text, pause_ms) in steps {
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(*pause_ms));
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    shown.join().unwrap()
}

fn is_snapshot_line(line: &str, window: &str) -> bool {
    // snapshot 2026-12-04T18:52:34.632Z · all events so far
    let Some(rest) = line.strip_prefix("snapshot ") else {
        return false;
    };
    let (time, what) = rest.split_once(" · ").unwrap_or(("", ""));
    time.len() == 24 && time.ends_with('Z') && time.as_bytes()[10] == b'T' && what == window
}

#[test]
fn emit_every_redraws_one_table_in_place_on_a_terminal() {
    let bytes = on_terminal(
        "count by path emit every 300ms",
        &[
            ("{\"path\":\"/a\"}\n{\"path\":\"/b\"}\n", 800),
            ("{\"path\":\"/a\"}\n{\"path\":\"/a\"}\n", 800),
        ],
    );
    let (lines, clears) = screen(&bytes);
    // Redrawn several times (each snapshot, and the final rows)...
    assert!(clears >= 3, "redrawn {clears} times");
    // ...and what stays on the screen is one table: the snapshot line, one
    // header, a row per group with its latest count.
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert!(
        is_snapshot_line(&lines[0], "all events so far"),
        "{lines:#?}"
    );
    assert_eq!(&lines[1..], ["path  count", "/a        3", "/b        1"]);
    // Before the last input the screen showed the counts of that time.
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("/a        1\n") || text.contains("/a        1\r\n"),
        "{text}"
    );
}

#[test]
fn emit_on_update_replaces_a_groups_row_and_shows_the_window() {
    let ev =
        |s: u32, p: &str| format!("{{\"ts\":\"2026-03-01T12:00:{s:02}Z\",\"path\":\"{p}\"}}\n");
    let first = [ev(1, "/a"), ev(2, "/b"), ev(3, "/a")].concat();
    let bytes = on_terminal(
        "count by path every 1m emit on update",
        &[(&first, 500), (&ev(4, "/b"), 500)],
    );
    let (lines, clears) = screen(&bytes);
    assert!(clears >= 2, "redrawn {clears} times");
    assert!(
        is_snapshot_line(
            &lines[0],
            "window 2026-03-01T12:00:00.000Z – 2026-03-01T12:01:00.000Z"
        ),
        "{lines:#?}"
    );
    assert_eq!(
        &lines[1..],
        [
            "window_start              window_end                path  count",
            "2026-03-01T12:00:00.000Z  2026-03-01T12:01:00.000Z  /a        2",
            "2026-03-01T12:00:00.000Z  2026-03-01T12:01:00.000Z  /b        2",
        ]
    );
}

#[test]
fn into_a_pipe_each_block_is_headed_by_the_snapshot_line() {
    let mut child = Command::new(bin_path())
        .args(["-O", "table", "count by path emit every 300ms"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"{\"path\":\"/a\"}\n").unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\x1b'),
        "no terminal controls into a pipe: {text:?}"
    );
    let blocks: Vec<&str> = text.split_terminator("\n\n").collect();
    assert!(blocks.len() >= 2, "a snapshot and the final rows: {text}");
    for b in blocks {
        let lines: Vec<&str> = b.lines().collect();
        assert!(is_snapshot_line(lines[0], "all events so far"), "{b}");
        assert_eq!(&lines[1..], ["path  count", "/a        1"]);
    }
}

#[test]
fn an_unkeyed_windowed_count_prints_its_header_once() {
    let input = [1, 2, 65, 130, 131]
        .iter()
        .map(|s| {
            format!(
                "{{\"ts\":\"2026-03-01T12:{:02}:{:02}Z\"}}\n",
                s / 60,
                s % 60
            )
        })
        .collect::<String>();
    assert_eq!(
        ok(&["-O", "table", "count every 1m"], &input),
        "window_start              window_end                count\n\
         2026-03-01T12:00:00.000Z  2026-03-01T12:01:00.000Z      2\n\
         2026-03-01T12:01:00.000Z  2026-03-01T12:02:00.000Z      1\n\
         2026-03-01T12:02:00.000Z  2026-03-01T12:03:00.000Z      2\n"
    );
}

#[test]
fn a_terminal_without_a_watched_pipeline_gets_plain_blocks() {
    // No emit every / on update: nothing is redrawn, even on a terminal.
    let bytes = on_terminal("count by path", &[("{\"path\":\"/a\"}\n", 0)]);
    assert_eq!(
        String::from_utf8_lossy(&bytes).replace("\r\n", "\n"),
        "path  count\n/a        1\n"
    );
}

#[test]
fn a_live_top_replaces_the_whole_table_on_a_terminal() {
    // `top N … emit every D` (issue 18): each snapshot is the table; a group
    // that left the top N leaves the screen.
    let p = |path: &str| format!("{{\"path\":\"{path}\"}}\n");
    let bytes = on_terminal(
        "top 2 path emit every 300ms",
        &[
            (&[p("/a"), p("/b"), p("/b")].concat(), 800),
            (&[p("/c"), p("/c"), p("/c")].concat(), 800),
        ],
    );
    let (lines, clears) = screen(&bytes);
    assert!(clears >= 3, "redrawn {clears} times");
    assert!(
        is_snapshot_line(&lines[0], "all events so far"),
        "{lines:#?}"
    );
    assert_eq!(&lines[1..], ["path  count", "/c        3", "/b        2"]);
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("/a        1\n") || text.contains("/a        1\r\n"),
        "/a was on the screen before /c overtook it: {text}"
    );
}
