//! The value rules of DESIGN §3: comparison, null, arithmetic, CSV cell typing.
//! Values are `serde_json::Value` (with `preserve_order`, so objects keep key order).
pub use serde_json::Value;
