//! Errors in the pipeline text, and the one place that draws carets under them.

use crate::lang::span::Span;

/// A problem in the pipeline text: what is wrong, where, and (when we can
/// guess) what the user meant.
#[derive(Debug, Clone, PartialEq)]
pub struct LangError {
    pub message: String,
    pub span: Span,
    /// Shown after the carets, e.g. "did you mean `count`?"
    pub help: Option<String>,
}

impl LangError {
    pub fn new(message: impl Into<String>, span: Span) -> LangError {
        LangError { message: message.into(), span, help: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> LangError {
        self.help = Some(help.into());
        self
    }

    /// Render as in DESIGN §3:
    /// ```text
    /// error: unknown stage `cout`
    ///   |
    /// 1 | where status >= 500 | cout by path
    ///   |                       ^^^^ did you mean `count`?
    /// ```
    pub fn render(&self, source: &str) -> String {
        // PLACEHOLDER: replaced by the parser work (multi-line sources, char columns).
        format!("error: {}\n", self.message)
    }
}
