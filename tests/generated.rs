//! The committed man pages and shell completions are what the code
//! generates. When they are not, this test rewrites them (like
//! rust-analyzer's `ensure_file_contents`) and fails, so the fix is to review
//! and commit the rewritten files.
mod util;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use streamctl::generate::{files, REGENERATE};

#[test]
fn man_pages_and_completions_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let generated = files();
    let mut stale = Vec::new();
    for (rel, want) in &generated {
        let path = root.join(rel);
        if std::fs::read(&path).ok().as_deref() != Some(want.as_slice()) {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = std::fs::write(&path, want);
            stale.push(rel.display().to_string());
        }
    }
    // A file no longer generated (a removed subcommand's page) is stale too.
    let known: BTreeSet<PathBuf> = generated.iter().map(|(p, _)| p.clone()).collect();
    let mut leftover = Vec::new();
    for dir in ["man", "completions"] {
        for entry in std::fs::read_dir(root.join(dir))
            .into_iter()
            .flatten()
            .flatten()
        {
            let rel = Path::new(dir).join(entry.file_name());
            if !known.contains(&rel) {
                leftover.push(rel.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty() && leftover.is_empty(),
        "\nThe man pages and shell completions are generated from src/cli.rs and src/help.rs, \
         and the committed ones were out of date.\n\
         Out of date (now rewritten by this test): {stale:?}\n\
         No longer generated (delete them): {leftover:?}\n\
         Review and commit them: git add man completions && git commit\n\
         To regenerate by hand: {REGENERATE}\n"
    );
}

#[test]
fn the_generate_command_writes_every_file() {
    let d = util::Dir::new();
    let out = util::streamctl()
        .args(["generate", d.root().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    for (rel, want) in files() {
        assert_eq!(std::fs::read(d.root().join(&rel)).unwrap(), want, "{rel:?}");
    }
    let (_, err, code) = util::run(&["generate"], "");
    assert_eq!(code, 2);
    assert!(err.contains("Usage: streamctl generate <DIR>"), "{err}");
}
