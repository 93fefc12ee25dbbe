//! Input formats (`-i`) and what a file's name tells of its format.

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
