//! `join FILE on KEY [= COLUMN] [prefix P]` and `left join`: lookup formats,
//! matching, field rules, duplicate keys, hot reload during a run, and every
//! startup error (issue #4).
mod util;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use util::{bin_path, streamctl, Dir};

/// Run in `dir` (lookup paths are relative to the current directory).
fn run_in(dir: &Dir, args: &[&str], stdin: &str) -> (String, String, i32) {
    let out = streamctl()
        .current_dir(dir.root())
        .args(args)
        .write_stdin(stdin)
        .output()
        .expect("run streamctl");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Run in `dir`, expecting exit 0 and a clean stderr.
fn ok_in(dir: &Dir, args: &[&str], stdin: &str) -> String {
    let (out, err, code) = run_in(dir, args, stdin);
    assert_eq!(code, 0, "exit code for {args:?}; stderr:\n{err}");
    assert_eq!(err, "", "stderr for {args:?}");
    out
}

/// Run in `dir`, expecting exit 2 and no output; returns stderr.
fn fails_in(dir: &Dir, args: &[&str], stdin: &str) -> String {
    let (out, err, code) = run_in(dir, args, stdin);
    assert_eq!(code, 2, "exit code for {args:?}; stderr:\n{err}");
    assert_eq!(out, "", "stdout for {args:?}");
    err
}

const USERS_CSV: &str = "id,name,country\n1,ann,FR\n2,bob,DE\n12,zoe,\n";

const EVENTS: &str = concat!(
    "{\"user_id\":1,\"ms\":5}\n",
    "{\"user_id\":3,\"ms\":6}\n",
    "{\"user_id\":2,\"ms\":7}\n",
    "{\"ms\":8}\n",
);

#[test]
fn csv_inner_join_adds_fields_after_the_events_own_and_drops_the_unmatched() {
    let d = Dir::new();
    d.create("users.csv", USERS_CSV);
    assert_eq!(
        ok_in(&d, &["join users.csv on user_id = id"], EVENTS),
        concat!(
            "{\"user_id\":1,\"ms\":5,\"name\":\"ann\",\"country\":\"FR\"}\n",
            "{\"user_id\":2,\"ms\":7,\"name\":\"bob\",\"country\":\"DE\"}\n",
        )
    );
}

#[test]
fn left_join_keeps_unmatched_events_unchanged() {
    let d = Dir::new();
    d.create("users.csv", USERS_CSV);
    // The unmatched lines come back byte for byte (spaces kept).
    let events = "{\"user_id\":1}\n{ \"user_id\" : 3 }\n{\"x\":null}\n{\"user_id\":null}\n";
    assert_eq!(
        ok_in(&d, &["left join users.csv on user_id = id"], events),
        concat!(
            "{\"user_id\":1,\"name\":\"ann\",\"country\":\"FR\"}\n",
            "{ \"user_id\" : 3 }\n",
            "{\"x\":null}\n",
            "{\"user_id\":null}\n",
        )
    );
}

#[test]
fn a_joined_json_event_is_written_as_the_encoder_writes_it() {
    let d = Dir::new();
    d.create("users.csv", "id,name,score\n1,\"é \"\"x\"\"\",1.50\n");
    // A changed event is written in the encoder's form, whether or not the
    // line was already in that form (the fast path keeps it undecoded).
    assert_eq!(
        ok_in(
            &d,
            &["join users.csv on user_id = id"],
            "{ \"user_id\" : 1, \"s\":\"\\u00e9\", \"f\":1.50 }\r\n"
        ),
        "{\"user_id\":1,\"s\":\"é\",\"f\":1.5,\"name\":\"é \\\"x\\\"\",\"score\":1.5}\n"
    );
    assert_eq!(
        ok_in(
            &d,
            &["join users.csv on user_id = id"],
            "{\"user_id\":1,\"s\":\"é\",\"f\":1.5}\n"
        ),
        "{\"user_id\":1,\"s\":\"é\",\"f\":1.5,\"name\":\"é \\\"x\\\"\",\"score\":1.5}\n"
    );
    // A clash on some fields: only the others are added.
    assert_eq!(
        ok_in(
            &d,
            &["join users.csv on user_id = id"],
            "{\"user_id\":1,\"name\":\"own\"}\n"
        ),
        "{\"user_id\":1,\"name\":\"own\",\"score\":1.5}\n"
    );
}

#[test]
fn key_column_named_like_the_field_and_empty_cells_are_null() {
    let d = Dir::new();
    d.create("users.csv", "user_id,name,country\n12,zoe,\n");
    assert_eq!(
        ok_in(&d, &["join users.csv on user_id"], "{\"user_id\":12}\n"),
        "{\"user_id\":12,\"name\":\"zoe\",\"country\":null}\n"
    );
}

#[test]
fn keys_match_by_text() {
    let d = Dir::new();
    d.create(
        "k.csv",
        "k,v\n12,twelve\nabc,letters\n1.5,one and a half\ntrue,yes\n-7,minus seven\n",
    );
    let events = concat!(
        "{\"k\":12}\n",
        "{\"k\":\"12\"}\n",
        "{\"k\":\"abc\"}\n",
        "{\"k\":\"a\\u0062c\"}\n",
        "{\"k\":1.50}\n",
        "{\"k\":true}\n",
        "{\"k\":-7}\n",
        "{\"k\":12.0}\n",
        "{\"k\":\"ABC\"}\n",
    );
    assert_eq!(
        ok_in(&d, &["join k.csv on k | select k, v"], events),
        concat!(
            "{\"k\":12,\"v\":\"twelve\"}\n",
            "{\"k\":\"12\",\"v\":\"twelve\"}\n",
            "{\"k\":\"abc\",\"v\":\"letters\"}\n",
            "{\"k\":\"abc\",\"v\":\"letters\"}\n",
            "{\"k\":1.5,\"v\":\"one and a half\"}\n",
            "{\"k\":true,\"v\":\"yes\"}\n",
            "{\"k\":-7,\"v\":\"minus seven\"}\n",
            "{\"k\":12.0,\"v\":\"twelve\"}\n",
        )
    );
}

#[test]
fn tsv_lookup() {
    let d = Dir::new();
    d.create("hosts.tsv", "host\track\tnote\nweb-1\t7\ta\\tb\n");
    assert_eq!(
        ok_in(
            &d,
            &["join hosts.tsv on host"],
            "{\"host\":\"web-1\"}\n{\"host\":\"web-2\"}\n"
        ),
        "{\"host\":\"web-1\",\"rack\":7,\"note\":\"a\\tb\"}\n"
    );
}

#[test]
fn json_lines_lookup_under_every_extension() {
    let d = Dir::new();
    let rows = concat!(
        "{\"id\":\"a\",\"tags\":[\"x\",1],\"owner\":{\"team\":\"core\"}}\n",
        "\n",
        "{\"id\":7,\"tags\":[]}\r\n",
        "{\"no_id\":true}\n",
    );
    for name in ["u.jsonl", "u.ndjson", "u.json"] {
        d.create(name, rows);
        let pipeline = format!("join {name} on id");
        assert_eq!(
            ok_in(
                &d,
                &[&pipeline],
                "{\"id\":\"a\",\"n\":1}\n{\"id\":\"7\"}\n{\"id\":8}\n"
            ),
            concat!(
                "{\"id\":\"a\",\"n\":1,\"tags\":[\"x\",1],\"owner\":{\"team\":\"core\"}}\n",
                "{\"id\":\"7\",\"tags\":[]}\n",
            ),
            "{name}"
        );
    }
}

#[test]
fn csv_input_events_join_too() {
    let d = Dir::new();
    d.create("users.csv", USERS_CSV);
    d.create("ev.csv", "user_id,ms\n2,7\n9,1\n");
    assert_eq!(
        ok_in(
            &d,
            &["-O", "csv", "join users.csv on user_id = id", "ev.csv"],
            ""
        ),
        "user_id,ms,name,country\n2,7,bob,DE\n"
    );
}

#[test]
fn on_a_nested_field() {
    let d = Dir::new();
    d.create("users.csv", USERS_CSV);
    assert_eq!(
        ok_in(
            &d,
            &["join users.csv on user.id = id"],
            "{\"user\":{\"id\":\"2\"}}\n"
        ),
        "{\"user\":{\"id\":\"2\"},\"name\":\"bob\",\"country\":\"DE\"}\n"
    );
}

#[test]
fn on_a_clash_the_events_own_value_stays() {
    let d = Dir::new();
    d.create("users.csv", USERS_CSV);
    assert_eq!(
        ok_in(
            &d,
            &["join users.csv on user_id = id"],
            "{\"user_id\":1,\"name\":\"own\",\"country\":null}\n"
        ),
        "{\"user_id\":1,\"name\":\"own\",\"country\":null}\n"
    );
}

#[test]
fn prefix_names_every_added_field() {
    let d = Dir::new();
    d.create("users.csv", USERS_CSV);
    assert_eq!(
        ok_in(
            &d,
            &["join users.csv on user_id = id prefix u_"],
            "{\"user_id\":1,\"name\":\"own\",\"u_country\":\"kept\"}\n"
        ),
        "{\"user_id\":1,\"name\":\"own\",\"u_country\":\"kept\",\"u_name\":\"ann\"}\n"
    );
    // A quoted prefix may hold any characters.
    assert_eq!(
        ok_in(
            &d,
            &["left join users.csv on user_id = id prefix \"user.\""],
            "{\"user_id\":2}\n"
        ),
        "{\"user_id\":2,\"user.name\":\"bob\",\"user.country\":\"DE\"}\n"
    );
}

#[test]
fn a_lookup_with_only_the_key_column_filters() {
    let d = Dir::new();
    d.create("allow.csv", "ip\n10.0.0.1\n");
    let events = "{\"ip\" : \"10.0.0.1\"}\n{\"ip\":\"10.0.0.2\"}\n";
    assert_eq!(
        ok_in(&d, &["join allow.csv on ip"], events),
        "{\"ip\" : \"10.0.0.1\"}\n"
    );
}

#[test]
fn join_composes_with_other_stages() {
    let d = Dir::new();
    d.create("users.csv", USERS_CSV);
    assert_eq!(
        ok_in(
            &d,
            &[
                "where ms > 5 | left join users.csv on user_id = id | eval late = ms > 6 | select user_id, country, late"
            ],
            EVENTS
        ),
        concat!(
            "{\"user_id\":3,\"country\":null,\"late\":false}\n",
            "{\"user_id\":2,\"country\":\"DE\",\"late\":true}\n",
            "{\"user_id\":null,\"country\":null,\"late\":true}\n",
        )
    );
    // Two joins in a row, the second on a field the first added.
    d.create("countries.csv", "code,continent\nFR,Europe\n");
    assert_eq!(
        ok_in(
            &d,
            &["join users.csv on user_id = id | join countries.csv on country = code | drop ms"],
            EVENTS
        ),
        "{\"user_id\":1,\"name\":\"ann\",\"country\":\"FR\",\"continent\":\"Europe\"}\n"
    );
}

const TIMED: &str = concat!(
    "{\"ts\":\"2026-01-01T10:00:01Z\",\"user_id\":1}\n",
    "{\"ts\":\"2026-01-01T10:00:20Z\",\"user_id\":2}\n",
    "{\"ts\":\"2026-01-01T10:00:40Z\",\"user_id\":3}\n",
    "{\"ts\":\"2026-01-01T10:00:50Z\",\"user_id\":9}\n",
    "{\"ts\":\"2026-01-01T10:01:05Z\",\"user_id\":2}\n",
);

#[test]
fn join_feeds_windowed_aggregates_with_event_time_kept() {
    let d = Dir::new();
    d.create(
        "users.csv",
        "id,name,country\n1,ann,FR\n2,bob,DE\n3,cy,FR\n",
    );
    assert_eq!(
        ok_in(
            &d,
            &["join users.csv on user_id = id | count by country every 1m"],
            TIMED
        ),
        concat!(
            "{\"window_start\":\"2026-01-01T10:00:00.000Z\",\"window_end\":\"2026-01-01T10:01:00.000Z\",\"country\":\"FR\",\"count\":2}\n",
            "{\"window_start\":\"2026-01-01T10:00:00.000Z\",\"window_end\":\"2026-01-01T10:01:00.000Z\",\"country\":\"DE\",\"count\":1}\n",
            "{\"window_start\":\"2026-01-01T10:01:00.000Z\",\"window_end\":\"2026-01-01T10:02:00.000Z\",\"country\":\"DE\",\"count\":1}\n",
        )
    );
    assert_eq!(
        ok_in(
            &d,
            &["left join users.csv on user_id = id | count by country"],
            TIMED
        ),
        "{\"country\":\"FR\",\"count\":2}\n{\"country\":\"DE\",\"count\":2}\n{\"country\":null,\"count\":1}\n"
    );
    // Aggregate rows can be joined too.
    assert_eq!(
        ok_in(
            &d,
            &["count by user_id | join users.csv on user_id = id | select name, count"],
            TIMED
        ),
        "{\"name\":\"ann\",\"count\":1}\n{\"name\":\"bob\",\"count\":2}\n{\"name\":\"cy\",\"count\":1}\n"
    );
    assert_eq!(
        ok_in(
            &d,
            &["join users.csv on user_id = id | dedup country | top 1 country"],
            TIMED
        ),
        "{\"country\":\"FR\",\"count\":1}\n"
    );
}

#[test]
fn a_late_joined_event_is_dead_lettered_as_read() {
    let d = Dir::new();
    d.create("users.csv", "id,name\n1,ann\n");
    let events = concat!(
        "{\"ts\":\"2026-01-01T10:01:30Z\",\"user_id\":1}\n",
        "{ \"ts\":\"2026-01-01T10:00:10Z\", \"user_id\":1 }\n",
    );
    let (out, err, code) = run_in(
        &d,
        &[
            "--lateness",
            "0s",
            "--dead-letter",
            "dl.jsonl",
            "join users.csv on user_id = id | count by name every 1m",
        ],
        events,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "{\"window_start\":\"2026-01-01T10:01:00.000Z\",\"window_end\":\"2026-01-01T10:02:00.000Z\",\"name\":\"ann\",\"count\":1}\n"
    );
    assert_eq!(
        d.read("dl.jsonl"),
        "{ \"ts\":\"2026-01-01T10:00:10Z\", \"user_id\":1 }\n"
    );
}

#[test]
fn duplicate_keys_last_row_wins_with_one_warning() {
    let d = Dir::new();
    d.create(
        "users.csv",
        "id,name\n1,ann\n2,bob\n1,anna\n2,bobby\n1,annie\n",
    );
    let (out, err, code) = run_in(
        &d,
        &["join users.csv on user_id = id"],
        "{\"user_id\":1}\n{\"user_id\":2}\n",
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "{\"user_id\":1,\"name\":\"annie\"}\n{\"user_id\":2,\"name\":\"bobby\"}\n"
    );
    assert_eq!(
        err,
        "streamctl: warning: lookup file users.csv, line 4: duplicate key `1` (first on line 2); the last row wins (3 duplicate keys in all)\n"
    );
    // A single duplicate.
    d.create("one.csv", "id,name\n1,ann\n1,anna\n");
    let (_, err, code) = run_in(&d, &["join one.csv on id"], "");
    assert_eq!(code, 0);
    assert_eq!(
        err,
        "streamctl: warning: lookup file one.csv, line 3: duplicate key `1` (first on line 2); the last row wins\n"
    );
}

#[test]
fn explain_shows_the_join() {
    let d = Dir::new();
    d.create("users.csv", USERS_CSV);
    let out = ok_in(
        &d,
        &["--explain", "left join users.csv on user_id = id prefix u_"],
        "",
    );
    assert!(
        out.contains(
            "  1. left join with users.csv (3 keys) on user_id = id, added fields prefixed u_; unmatched events pass unchanged\n     reads: user_id\n"
        ),
        "{out}"
    );
}

// ---- errors at startup: exit 2, nothing read ----

#[test]
fn missing_lookup_file() {
    let d = Dir::new();
    assert_eq!(
        fails_in(&d, &["join users.csv on id"], EVENTS),
        concat!(
            "error: cannot open lookup file users.csv: No such file or directory (os error 2)\n",
            "  |\n",
            "1 | join users.csv on id\n",
            "  |      ^^^^^^^^^ lookup paths are relative to the current directory\n",
        )
    );
}

#[test]
fn unreadable_lookup_file() {
    let d = Dir::new();
    d.create("notadir", "x");
    assert_eq!(
        fails_in(&d, &["join notadir/users.csv on id"], ""),
        concat!(
            "error: cannot read lookup file notadir/users.csv: Not a directory (os error 20)\n",
            "  |\n",
            "1 | join notadir/users.csv on id\n",
            "  |      ^^^^^^^^^^^^^^^^^\n",
        )
    );
    std::fs::create_dir(d.path("dir.csv")).unwrap();
    assert_eq!(
        fails_in(&d, &["join dir.csv on id"], ""),
        concat!(
            "error: lookup file dir.csv is a directory, not a file\n",
            "  |\n",
            "1 | join dir.csv on id\n",
            "  |      ^^^^^^^\n",
        )
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = d.create("secret.csv", "id\n1\n");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
        if std::fs::read(&p).is_err() {
            // (root reads anything; then this part cannot be shown)
            assert_eq!(
                fails_in(&d, &["join secret.csv on id"], ""),
                concat!(
                    "error: cannot read lookup file secret.csv: Permission denied (os error 13)\n",
                    "  |\n",
                    "1 | join secret.csv on id\n",
                    "  |      ^^^^^^^^^^\n",
                )
            );
        }
    }
}

#[test]
fn unknown_lookup_extension() {
    let d = Dir::new();
    d.create("users.txt", USERS_CSV);
    assert_eq!(
        fails_in(&d, &["join users.txt on id"], ""),
        concat!(
            "error: cannot tell the format of lookup file users.txt\n",
            "  |\n",
            "1 | join users.txt on id\n",
            "  |      ^^^^^^^^^ name it .csv, .tsv, .json, .jsonl or .ndjson\n",
        )
    );
}

#[test]
fn missing_key_column() {
    let d = Dir::new();
    d.create("users.csv", USERS_CSV);
    assert_eq!(
        fails_in(&d, &["join users.csv on user_id"], EVENTS),
        concat!(
            "error: lookup file users.csv has no column `user_id` (its columns: id, name, country)\n",
            "  |\n",
            "1 | join users.csv on user_id\n",
            "  |                   ^^^^^^^ name the lookup column with `on user_id = COLUMN`\n",
        )
    );
    assert_eq!(
        fails_in(&d, &["where ms > 1 | join users.csv on user_id = nmae"], EVENTS),
        concat!(
            "error: lookup file users.csv has no column `nmae` (its columns: id, name, country); did you mean `name`?\n",
            "  |\n",
            "1 | where ms > 1 | join users.csv on user_id = nmae\n",
            "  |                                  ^^^^^^^\n",
        )
    );
    d.create("users.jsonl", "{\"uid\":1,\"name\":\"ann\"}\n");
    assert_eq!(
        fails_in(&d, &["join users.jsonl on id"], EVENTS),
        concat!(
            "error: lookup file users.jsonl has no column `id` (its columns: uid, name); did you mean `uid`?\n",
            "  |\n",
            "1 | join users.jsonl on id\n",
            "  |                     ^^ name the lookup column with `on id = COLUMN`\n",
        )
    );
    d.create("empty.csv", "");
    assert_eq!(
        fails_in(&d, &["join empty.csv on id"], EVENTS),
        concat!(
            "error: lookup file empty.csv is empty: a CSV/TSV lookup needs a header line\n",
            "  |\n",
            "1 | join empty.csv on id\n",
            "  |      ^^^^^^^^^\n",
        )
    );
}

#[test]
fn malformed_lookup_lines() {
    let d = Dir::new();
    d.create("users.csv", "id,name\n1,ann\n2,bob,extra\n");
    assert_eq!(
        fails_in(&d, &["join users.csv on id"], EVENTS),
        concat!(
            "error: lookup file users.csv, line 3: expected 2 fields (as in the header), found 3\n",
            "  |\n",
            "1 | join users.csv on id\n",
            "  |      ^^^^^^^^^\n",
        )
    );
    d.create("users.jsonl", "{\"id\":1}\n{\"id\":2,\"name\":ann}\n");
    assert_eq!(
        fails_in(&d, &["join users.jsonl on id"], EVENTS),
        concat!(
            "error: lookup file users.jsonl, line 2: invalid JSON: expected a value at column 16, found `a`\n",
            "  |\n",
            "1 | join users.jsonl on id\n",
            "  |      ^^^^^^^^^^^ a JSON lookup file holds one JSON object per line\n",
        )
    );
    d.create("users.tsv", b"id\tname\n1\t\xff\n".as_slice());
    assert_eq!(
        fails_in(&d, &["join users.tsv on id"], EVENTS),
        concat!(
            "error: lookup file users.tsv, line 2: invalid UTF-8 at byte 3 (streamctl reads UTF-8: convert the text first, e.g. iconv -f latin1 -t utf-8)\n",
            "  |\n",
            "1 | join users.tsv on id\n",
            "  |      ^^^^^^^^^\n",
        )
    );
}

// ---- hot reload while reading a pipe ----

/// A streamctl reading a pipe: events go in, output lines come out.
struct Live {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
    n: u64,
}

impl Live {
    fn start(dir: &Dir, pipeline: &str) -> Live {
        let mut child = Command::new(bin_path())
            .current_dir(dir.root())
            .arg(pipeline)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start streamctl");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        Live { child, lines, n: 0 }
    }

    fn next_line(&mut self) -> serde_json::Value {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(10))
            .expect("an output line within 10 s");
        serde_json::from_str(&line).unwrap()
    }

    /// Send an event for key `id`, then a marker event for key 1 (in every
    /// table here); return the `plan` the first came out with, "-" when it
    /// came out without one, "dropped" when only the marker came out.
    fn plan_of(&mut self, id: u64) -> String {
        let (n, marker) = (self.n + 1, self.n + 2);
        self.n += 2;
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{{\"id\":{id},\"n\":{n}}}").unwrap();
        writeln!(stdin, "{{\"id\":1,\"n\":{marker}}}").unwrap();
        stdin.flush().unwrap();
        let v = self.next_line();
        if v["n"] == marker {
            return "dropped".into();
        }
        assert_eq!(v["n"], n, "events come out in order: {v}");
        assert_eq!(self.next_line()["n"], marker);
        v.get("plan")
            .and_then(|p| p.as_str())
            .unwrap_or("-")
            .to_string()
    }

    /// After a change of the lookup file: wait past the 1 s check interval,
    /// then send events until one sees `want` (a loaded machine may be slow;
    /// give up after 10 s). Returns the plan of the first event sent.
    fn wait_for(&mut self, id: u64, want: &str) -> String {
        std::thread::sleep(Duration::from_millis(1300));
        let first = self.plan_of(id);
        let start = Instant::now();
        let mut got = first.clone();
        while got != want && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(100));
            got = self.plan_of(id);
        }
        assert_eq!(got, want, "reload not seen within 11 s");
        first
    }

    fn finish(mut self) -> (String, i32) {
        drop(self.child.stdin.take());
        let out = self.child.wait_with_output().unwrap();
        (
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status.code().unwrap_or(-1),
        )
    }
}

#[test]
fn a_changed_lookup_file_is_picked_up_during_a_run() {
    let d = Dir::new();
    d.create("plans.csv", "id,plan\n1,free\n");
    let mut live = Live::start(&d, "left join plans.csv on id");
    assert_eq!(live.plan_of(1), "free");
    assert_eq!(live.plan_of(2), "-");

    // Replaced atomically: a new file renamed over the old one.
    d.create("plans.csv.tmp", "id,plan\n1,pro\n2,free\n");
    std::fs::rename(d.path("plans.csv.tmp"), d.path("plans.csv")).unwrap();
    assert_eq!(live.wait_for(1, "pro"), "pro");
    assert_eq!(live.plan_of(2), "free");

    // Rewritten in place.
    std::fs::write(d.path("plans.csv"), "id,plan\n1,team\n").unwrap();
    assert_eq!(live.wait_for(1, "team"), "team");
    assert_eq!(live.plan_of(2), "-");

    // A version that does not parse: the old table stays, one warning.
    std::fs::write(d.path("plans.csv"), "id,plan\n1,team,extra\n").unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(live.plan_of(1), "team");
    assert_eq!(live.plan_of(1), "team");

    // Fixed again: picked up.
    std::fs::write(d.path("plans.csv"), "id,plan\n1,enterprise\n").unwrap();
    assert_eq!(live.wait_for(1, "enterprise"), "enterprise");

    let (err, code) = live.finish();
    assert_eq!(code, 0);
    assert_eq!(
        err,
        "streamctl: warning: not reloading plans.csv: lookup file plans.csv, line 2: expected 2 fields (as in the header), found 3; the table loaded before stays in use\n"
    );
}

#[test]
fn an_inner_join_starts_matching_keys_a_reload_adds() {
    let d = Dir::new();
    d.create("plans.jsonl", "{\"id\":1,\"plan\":\"free\"}\n");
    let mut live = Live::start(&d, "join plans.jsonl on id");
    assert_eq!(live.plan_of(1), "free");
    assert_eq!(live.plan_of(2), "dropped");
    d.create(
        "plans.tmp",
        "{\"id\":1,\"plan\":\"free\"}\n{\"id\":2,\"plan\":\"pro\"}\n",
    );
    std::fs::rename(d.path("plans.tmp"), d.path("plans.jsonl")).unwrap();
    live.wait_for(2, "pro");
    assert_eq!(live.plan_of(3), "dropped");
    let (err, code) = live.finish();
    assert_eq!((err.as_str(), code), ("", 0));
}

// ---- the table's size in --stats (issue #20) ----

#[test]
fn stats_report_each_lookup_table_s_rows_and_memory() {
    let d = Dir::new();
    d.create("users.csv", USERS_CSV);
    let (out, err, code) = run_in(
        &d,
        &["--stats", "join users.csv on user_id = id | count"],
        EVENTS,
    );
    assert_eq!((code, out.as_str()), (0, "{\"count\":2}\n"));
    let line = err
        .lines()
        .find(|l| l.starts_with("streamctl: lookup "))
        .unwrap_or_else(|| panic!("no lookup line in:\n{err}"));
    let (head, tail) = line.split_once(" MB in memory").expect("memory figure");
    assert!(
        head.starts_with("streamctl: lookup users.csv: 3 rows, "),
        "{line}"
    );
    let mb: f64 = head.rsplit(' ').next().unwrap().parse().expect("a number");
    assert!(mb < 1.0, "{line}");
    assert_eq!(tail, " (file 0.0 MB), reloaded 0 times");
}
