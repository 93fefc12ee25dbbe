//! Shell completions complete option values and help topics (issue 18):
//! the generated fish script is run by a real fish when one is installed
//! (skipped otherwise), as a user's TAB would run it.
mod util;

use std::process::Command;

/// Ask fish what it completes for `line`, with the repository's script loaded.
fn fish_complete(line: &str) -> Option<Vec<String>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/completions/streamctl.fish");
    let bin_dir = util::bin_path().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("fish")
        .arg("--no-config")
        .arg("-c")
        .arg(format!("source {script}; complete -C \"{line}\""))
        .env("PATH", path)
        .current_dir(util::Dir::new().root())
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "fish failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    Some(
        text.lines()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect(),
    )
}

#[test]
fn fish_completes_option_values_and_help_topics() {
    let Some(formats) = fish_complete("streamctl -O ") else {
        eprintln!("fish is not installed: skipped");
        return;
    };
    assert_eq!(formats, ["csv", "json", "logfmt", "table", "tsv"]);
    assert_eq!(
        fish_complete("streamctl --output-format ").unwrap(),
        ["csv", "json", "logfmt", "table", "tsv"]
    );
    assert_eq!(
        fish_complete("streamctl --on-error ").unwrap(),
        ["fail", "skip", "warn"]
    );
    assert_eq!(
        fish_complete("streamctl -F --guarantee ").unwrap(),
        ["at-least-once", "at-most-once", "exactly-once"]
    );
    assert_eq!(
        fish_complete("streamctl help ").unwrap(),
        ["compile", "language"]
    );
    // Options are still offered.
    assert!(fish_complete("streamctl --fol")
        .unwrap()
        .contains(&"--follow".to_string()));
}
