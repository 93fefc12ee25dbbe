//! Compiled expressions: evaluated against anything that can look up fields.
