//! streamctl: a stream processor for Unix pipes. The binary is a thin shell
//! over this library so integration tests and tools share one definition.

pub mod expr;
pub mod lang;
pub mod timefmt;
pub mod value;
