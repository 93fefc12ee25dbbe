//! A bad pipeline is a usage error: exit 2, nothing on stdout, and on stderr
//! the caret diagram of DESIGN §3, exactly as `LangError::render` draws it.

mod util;

use util::{ok, run, Dir};

/// Run `args` on empty stdin; expect exit 2, empty stdout and `stderr`.
fn fails_with(args: &[&str], stderr: &[&str]) {
    let (out, err, code) = run(args, "");
    assert_eq!(code, 2, "{args:?}");
    assert_eq!(out, "", "{args:?}");
    assert_eq!(err, stderr.join("\n") + "\n", "{args:?}");
}

#[test]
fn unknown_stage_as_in_the_design() {
    fails_with(
        &["where status >= 500 | cout by path"],
        &[
            "error: unknown stage `cout`",
            "  |",
            "1 | where status >= 500 | cout by path",
            "  |                       ^^^^ did you mean `count`?",
        ],
    );
}

#[test]
fn expected_and_found() {
    fails_with(
        &["where"],
        &[
            "error: expected an expression after `where`",
            "  |",
            "1 | where",
            "  |      ^",
        ],
    );
    fails_with(
        &["count by path every abc"],
        &[
            "error: expected a duration like 30s or 5m, found `abc`",
            "  |",
            "1 | count by path every abc",
            "  |                     ^^^",
        ],
    );
    fails_with(
        &["where name == \"é→x | head 1"],
        &[
            "error: unterminated string",
            "  |",
            "1 | where name == \"é→x | head 1",
            "  |               ^ add the closing \"",
        ],
    );
}

#[test]
fn pipeline_file_errors_name_their_line() {
    let dir = Dir::new();
    let file = dir.create(
        "p.streamctl",
        "where a\n".to_string() + &"| where a\n".repeat(8) + "| cuont\n",
    );
    fails_with(
        &["-f", file.to_str().expect("utf-8 path")],
        &[
            "error: unknown stage `cuont`",
            "   |",
            "10 | | cuont",
            "   |   ^^^^^ did you mean `count`?",
        ],
    );
}

#[test]
fn a_good_pipeline_is_not_an_error() {
    assert_eq!(
        ok(&["where a > 1 | select a"], "{\"a\":2}\n{\"a\":1}\n"),
        "{\"a\":2}\n"
    );
}
