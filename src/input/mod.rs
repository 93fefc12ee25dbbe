//! Reading input: sources (stdin, files), the reader thread, line splitting
//! and per-format decoding.

pub mod decode;
pub mod follow;
pub mod json_index;
pub mod lines;
pub mod logfmt;
pub mod preindex;
pub mod reader;

use std::path::Path;

/// An input format (`-i`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
    Tsv,
    Logfmt,
    Lines,
}

impl Format {
    /// `auto` by extension; `None` means "let the first line decide".
    pub fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "tsv" => Some(Format::Tsv),
            "jsonl" | "ndjson" | "json" => Some(Format::Json),
            "log" => None,
            _ => None,
        }
    }
}
