//! What the checkpoint stores for one input: where the next run carries on.

use serde::{Deserialize, Serialize};

use super::identity::{FileState, Fingerprint};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputState {
    /// Absolute path, or `-` for stdin.
    pub path: String,
    /// The file being read; `None` if the input was not opened yet.
    pub file: Option<FileState>,
    /// Offset just after the last line handed to the pipeline (a line boundary).
    pub offset: u64,
    /// Lines read before `offset`, so messages keep naming the right line.
    pub line: u64,
    /// Input format the first line settled (auto), and the CSV/TSV header.
    pub format: Option<String>,
    pub header: Option<Vec<String>>,
    /// The bytes just before `offset` (up to `identity::BEFORE_BYTES`): a
    /// file with the same inode and first bytes is still this one only if
    /// it also holds these where the checkpoint left it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Fingerprint>,
}
