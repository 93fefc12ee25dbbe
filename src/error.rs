//! How a run ends when it does not succeed: one enum that carries its exit
//! status (DESIGN §2: 1 runtime failure, 2 usage error) and its message, so
//! `main` neither inspects message text nor decides codes itself. Each layer
//! has its own error type (`lang::LangError`, `cli::ConfigError`,
//! `checkpoint::CkptError`, `exec::ExecError`, `compile::CompileError`,
//! `input::Malformed` for rejected lines) and converts into this one at the
//! boundary where the caller knows what the failure means for the run.

use std::io;

use crate::checkpoint::CkptError;
use crate::exec::ExecError;
use crate::report::FailFast;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad flags, missing input, refused checkpoint: exit 2.
    #[error("streamctl: {0}")]
    Usage(String),
    /// A pipeline that does not parse or plan, already rendered with its
    /// source line and caret (it starts with `error:`): exit 2.
    #[error("{0}")]
    Pipeline(String),
    /// I/O failure or `--on-error fail`: exit 1.
    #[error("streamctl: {0}")]
    Runtime(String),
    /// Downstream closed the pipe: exit 0, say nothing.
    #[error("")]
    BrokenPipe,
    /// `-q` and the input ended without a result row: exit 1, say nothing (as grep).
    #[error("")]
    NoResult,
    /// A failure under `-q`, where 1 means "no result row": exit 2 (as grep).
    #[error("streamctl: {0}")]
    QuietFailure(String),
}

impl RunError {
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Usage(_) | RunError::Pipeline(_) | RunError::QuietFailure(_) => 2,
            RunError::Runtime(_) | RunError::NoResult => 1,
            RunError::BrokenPipe => 0,
        }
    }

    /// The text for stderr, with its newline; empty for the silent endings.
    pub fn message(&self) -> String {
        let text = self.to_string();
        if text.is_empty() || text.ends_with('\n') {
            text
        } else {
            text + "\n"
        }
    }
}

impl From<FailFast> for RunError {
    fn from(f: FailFast) -> RunError {
        RunError::Runtime(f.0)
    }
}

impl From<CkptError> for RunError {
    fn from(e: CkptError) -> RunError {
        match e {
            CkptError::Usage(s) => RunError::Usage(s),
            CkptError::Io(s) => RunError::Runtime(s),
        }
    }
}

impl From<ExecError> for RunError {
    fn from(e: ExecError) -> RunError {
        match e {
            ExecError::Output(e) => output_error(e),
            ExecError::Other(s) => RunError::Runtime(s),
        }
    }
}

/// A failed write of the results: a closed pipe ends the run quietly.
pub fn output_error(e: io::Error) -> RunError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        RunError::BrokenPipe
    } else {
        RunError::Runtime(format!("cannot write output: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_ending_has_its_exit_status_and_message() {
        let cases = [
            (
                RunError::Usage("no such file".into()),
                2,
                "streamctl: no such file\n",
            ),
            (
                RunError::Pipeline("error: boom\n  |\n".into()),
                2,
                "error: boom\n  |\n",
            ),
            (
                RunError::Runtime("disk full".into()),
                1,
                "streamctl: disk full\n",
            ),
            (RunError::QuietFailure("bad".into()), 2, "streamctl: bad\n"),
            (RunError::NoResult, 1, ""),
            (RunError::BrokenPipe, 0, ""),
        ];
        for (e, code, text) in cases {
            assert_eq!(e.exit_code(), code, "{e:?}");
            assert_eq!(e.message(), text, "{e:?}");
        }
    }

    #[test]
    fn a_closed_pipe_is_not_a_failure() {
        let e = output_error(io::Error::from(io::ErrorKind::BrokenPipe));
        assert_eq!(e.exit_code(), 0);
        let e = output_error(io::Error::other("no space left"));
        assert_eq!(
            e.message(),
            "streamctl: cannot write output: no space left\n"
        );
    }
}
