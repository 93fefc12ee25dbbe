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
}
