//! `streamctl compile`: turn a pipeline into a job for a distributed engine.
//! The one target is Flink SQL (DESIGN §9): [`flink`] writes the script,
//! [`schema`] finds the source columns, [`expr`] translates expressions with
//! streamctl's value rules kept exactly, and [`time`] reads the time field.
//!
//! The rule everywhere: a construct is translated only when Flink gives the
//! same rows as streamctl; anything else is refused with the stage and the
//! reason, never translated approximately.

pub mod expr;
pub mod flink;
pub mod schema;
pub mod time;

use crate::error::RunError;
use std::path::PathBuf;

use crate::cli::{CompileArgs, CompileTarget, InFormatArg};
use crate::input::Format;

/// Everything the compiler needs, with clap left behind.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub pipeline: String,
    pub files: Vec<PathBuf>,
    pub schema: Option<PathBuf>,
    pub sample: Option<PathBuf>,
    pub input_format: Option<Format>,
    pub time_field: Option<String>,
    pub time_format: String,
    pub lateness_ms: i64,
    pub source_options: Vec<(String, String)>,
    pub sink_options: Vec<(String, String)>,
    pub sink_path: Option<String>,
    pub explain: bool,
}

fn key_values(flag: &str, items: &[String]) -> Result<Vec<(String, String)>, CompileError> {
    items
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(CompileError::Options(format!(
                "{flag} `{kv}` is not `key=value`, e.g. {flag} connector=kafka"
            ))),
        })
        .collect()
}

impl Options {
    pub fn from_cli(args: CompileArgs) -> Result<Options, CompileError> {
        let input_format = match args.input_format {
            InFormatArg::Auto => None,
            InFormatArg::Json => Some(Format::Json),
            InFormatArg::Csv => Some(Format::Csv),
            InFormatArg::Tsv => Some(Format::Tsv),
            InFormatArg::Logfmt => Some(Format::Logfmt),
            InFormatArg::Lines => Some(Format::Lines),
        };
        let files = args
            .files
            .into_iter()
            .filter(|p| p.as_os_str() != "-")
            .collect();
        Ok(Options {
            pipeline: args.pipeline,
            files,
            schema: args.schema,
            sample: args.sample,
            input_format,
            time_field: args.time_field,
            time_format: args.time_format,
            lateness_ms: i64::try_from(args.lateness.as_millis()).unwrap_or(i64::MAX),
            source_options: key_values("--source-option", &args.source_options)?,
            sink_options: key_values("--sink-option", &args.sink_options)?,
            sink_path: args.sink_path,
            explain: args.explain,
        })
    }
}

/// Why `streamctl compile` printed no script. Every case is a usage error
/// (exit 2): nothing ran.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// A bad option, schema or sample: a one-line message.
    #[error("{0}")]
    Options(String),
    /// The pipeline does not parse, or a stage has no faithful translation:
    /// rendered with the pipeline line and a caret under the stage.
    #[error("{0}")]
    Refused(String),
}

impl From<String> for CompileError {
    fn from(message: String) -> CompileError {
        CompileError::Options(message)
    }
}

/// Why a construct has no faithful Flink SQL translation: a sentence for the
/// user. At a stage it goes under the stage's carets
/// ([`CompileError::Refused`]); about the input or the time field it is a
/// one-line message ([`CompileError::Options`]). Never an approximate
/// translation instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Untranslatable(pub String);

impl From<String> for Untranslatable {
    fn from(why: String) -> Untranslatable {
        Untranslatable(why)
    }
}

/// The reason reads as text (`why.contains(…)`, `&why`).
impl std::ops::Deref for Untranslatable {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Untranslatable {
    fn from(why: &str) -> Untranslatable {
        Untranslatable(why.to_string())
    }
}

impl From<Untranslatable> for CompileError {
    fn from(e: Untranslatable) -> CompileError {
        CompileError::Options(e.0)
    }
}

/// `Err` of an [`Untranslatable`] reason.
pub fn no<T>(why: impl Into<Untranslatable>) -> Result<T, Untranslatable> {
    Err(why.into())
}

impl From<CompileError> for RunError {
    fn from(e: CompileError) -> RunError {
        match e {
            CompileError::Options(m) => RunError::Usage(m),
            CompileError::Refused(m) => RunError::Pipeline(m),
        }
    }
}

/// Run `streamctl compile`: the script (or the `--explain` text) to print.
pub fn run(args: Box<CompileArgs>) -> Result<String, CompileError> {
    match args.target {
        CompileTarget::FlinkSql => {
            let opts = Options::from_cli(*args)?;
            flink::compile(&opts)
        }
    }
}
