//! Reading input. One front door (`front.rs`): `open` finds the inputs,
//! `Input::next` hands the main loop events with their position, rejected
//! lines, file changes and the end, and `Input::positions` is what a
//! checkpoint stores. Nothing else in the program sees files, blocks or
//! threads of input.
//!
//! The modules below depend on each other in one direction only:
//! `front` → `follow` → `reader` → `outbox` → `protocol` → `preindex` →
//! `cells`, `json_index`, `lines`; `reader`, `follow` and `protocol` →
//! `compressed` (gzip and zstd are decompressed where bytes enter, in the
//! reader thread) → `identity`; `front` → `multiline`; `front` → `decode` → `cells`, `logfmt`,
//! `json_index`, `preindex`; `protocol` and `position` → `identity` (what
//! identifies a file, and a file found: `Segment`), which imports no
//! other input module.

pub mod cells;
pub mod compressed;
pub mod decode;
pub mod follow;
pub mod format;
pub mod front;
pub mod identity;
pub mod json_index;
pub mod lines;
pub mod logfmt;
pub mod multiline;
pub mod outbox;
pub mod position;
pub mod preindex;
pub mod protocol;
pub mod reader;

pub use format::Format;
pub use front::{input_name, open, Input, Item, OpenError, Step};
pub use position::InputState;
pub use protocol::{Opened, Source};
