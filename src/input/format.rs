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
    /// Past a compression suffix (`events.csv.gz` is CSV; whether a file is
    /// compressed is told by its first bytes, not its name).
    pub fn from_extension(path: &Path) -> Option<Format> {
        let mut ext = path.extension()?.to_str()?.to_ascii_lowercase();
        if matches!(ext.as_str(), "gz" | "gzip" | "zst" | "zstd") {
            ext = Path::new(path.file_stem()?)
                .extension()?
                .to_str()?
                .to_ascii_lowercase();
        }
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "tsv" => Some(Format::Tsv),
            "jsonl" | "ndjson" | "json" => Some(Format::Json),
            "log" => None,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_under_a_compression_suffix_tells() {
        let f = |p: &str| Format::from_extension(Path::new(p));
        assert_eq!(f("a.csv"), Some(Format::Csv));
        assert_eq!(f("a.csv.gz"), Some(Format::Csv));
        assert_eq!(f("a.JSONL.zst"), Some(Format::Json));
        assert_eq!(f("access.log.2.gz"), None);
        assert_eq!(f("a.gz"), None);
        assert_eq!(f("a.tsv.bz2"), None);
    }
}
