//! Test helpers: a scratch directory and a wrapper around the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub mod pty;

pub struct Dir {
    tmp: tempfile::TempDir,
}

impl Default for Dir {
    fn default() -> Dir {
        Dir::new()
    }
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Write a file and return its path.
    pub fn create(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, contents).expect("write test file");
        p
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("read test file")
    }

    pub fn root(&self) -> &Path {
        self.tmp.path()
    }
}

/// The streamctl binary, run in `dir` when given.
pub fn streamctl() -> Command {
    Command::cargo_bin("streamctl").expect("binary built")
}

/// Run a pipeline over stdin; return (stdout, stderr, exit code).
pub fn run(args: &[&str], stdin: &str) -> (String, String, i32) {
    let out = streamctl()
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

/// Run and expect success with no stderr; return stdout.
pub fn ok(args: &[&str], stdin: &str) -> String {
    let (out, err, code) = run(args, stdin);
    assert_eq!(code, 0, "exit code for {args:?}; stderr:\n{err}");
    assert_eq!(err, "", "stderr for {args:?}");
    out
}

pub fn bin_path() -> PathBuf {
    assert_cmd::cargo::cargo_bin("streamctl")
}
