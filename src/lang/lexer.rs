//! Tokens of the pipeline language.
