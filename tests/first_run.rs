//! The first run works (issue 18): the README's first command, run in a
//! fresh clone of the repository with nothing else, prints rows. A clone
//! holds only committed files, so a sample the command needs that was never
//! added to git fails here.
mod util;

use std::process::Command;

use util::{bin_path, Dir};

/// The README's run command: the first `cargo run` in a ```sh block (the
/// block above it, `tail -F /var/log/…`, shows the use, not a first step).
fn first_command(readme: &str) -> String {
    let mut in_sh = false;
    for line in readme.lines() {
        let t = line.trim_start();
        if t.starts_with("```") {
            in_sh = !in_sh && t.trim_start_matches('`').trim() == "sh";
            continue;
        }
        if in_sh && t.starts_with("cargo run") {
            return t.to_string();
        }
    }
    panic!("README.md has no ```sh block with a `cargo run` command");
}

#[test]
fn readme_first_command_prints_rows_in_a_fresh_clone() {
    let repo = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{repo}/README.md")).expect("README.md");
    let command = first_command(&readme);
    // Building a fresh clone would take minutes: the command's own binary
    // is this build's, the files it reads are the clone's.
    let args = command
        .strip_prefix("cargo run --release -- ")
        .unwrap_or_else(|| {
            panic!("the first command is not `cargo run --release -- …`: {command}")
        });

    let tmp = Dir::new();
    let clone = tmp.path("clone");
    let status = Command::new("git")
        .args(["clone", "--quiet", repo])
        .arg(&clone)
        .status()
        .expect("run git clone");
    assert!(status.success(), "git clone of {repo} failed");

    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("exec \"$0\" {args}"))
        .arg(bin_path())
        .current_dir(&clone)
        .output()
        .expect("run the README's first command");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "`{command}` in a fresh clone exited {:?}:\n{stderr}",
        out.status.code()
    );
    assert_eq!(stderr, "", "`{command}` wrote to stderr");
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON row"))
        .collect();
    assert!(
        rows.len() >= 2,
        "`{command}` printed too few rows:\n{stdout}"
    );
    for row in &rows {
        assert!(row["status"].as_i64().unwrap() >= 500, "row {row}");
    }
}

#[test]
fn first_command_is_found() {
    let md = "```sh\ntail -F x\n```\n```text\ncargo run no\n```\n```sh\n\ncargo run -- 'x' f\nmore\n```\n";
    assert_eq!(first_command(md), "cargo run -- 'x' f");
}
