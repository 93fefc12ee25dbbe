//! The pipeline language: lexer → parser → AST, with diagnostics that point
//! at the column. Nothing here runs a pipeline; `plan` turns the AST into
//! operators.

pub mod ast;
pub mod diag;
pub mod lexer;
pub mod parser;
pub mod print;
pub mod span;

pub use diag::LangError;

/// Parse a whole pipeline. The error carries a span; render it with
/// `LangError::render(source)`.
pub fn parse(source: &str) -> Result<ast::Pipeline, LangError> {
    parser::parse(source)
}
