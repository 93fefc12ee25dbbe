//! Counters for `--stats` and the summary at exit.

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub events_in: u64,
    pub events_out: u64,
    pub rejected: u64,
    pub late: u64,
    /// Events a `parse` stage could not parse (they pass on unchanged).
    pub unparsed: u64,
    pub bytes_in: u64,
    /// The lookup tables loaded by `join` stages, as at the end of the run.
    pub lookups: Vec<LookupStats>,
}

/// One `join` stage's table, for `--stats`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LookupStats {
    pub file: String,
    pub rows: usize,
    /// The file's size when it was loaded.
    pub file_bytes: u64,
    /// The memory the loaded table holds.
    pub table_bytes: usize,
    /// Times the file was loaded again while the run went on.
    pub reloads: u64,
}

impl LookupStats {
    /// `lookup users.csv: 1000000 rows, 52.1 MB in memory (file 28.1 MB), reloaded 0 times`.
    pub fn describe(&self) -> String {
        let mb = |b: f64| b / 1e6;
        format!(
            "lookup {}: {} rows, {:.1} MB in memory (file {:.1} MB), reloaded {} time{}",
            self.file,
            self.rows,
            mb(self.table_bytes as f64),
            mb(self.file_bytes as f64),
            self.reloads,
            if self.reloads == 1 { "" } else { "s" }
        )
    }
}
