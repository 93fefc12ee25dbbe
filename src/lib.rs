//! streamctl: a stream processor for Unix pipes. The binary is a thin shell
//! over this library so integration tests and tools share one definition.
//!
//! Data flows one way: input → decode → operators → encode → output.

pub mod checkpoint;
pub mod cli;
pub mod compile;
pub mod error;
pub mod event;
pub mod exec;
pub mod expr;
pub mod generate;
pub mod help;
pub mod input;
pub mod lang;
pub mod logformat;
pub mod output;
pub mod plan;
pub mod progress;
pub mod report;
pub mod run;
pub mod timefmt;
pub mod value;
