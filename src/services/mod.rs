//! Workflows that join the rules, the queries and the audit trail into one transaction each.
//! Handlers call these; these hold no HTTP.

pub mod access;
pub mod accounts;
pub mod audit;
pub mod case_versions;
pub mod cases;
pub mod exports;
pub mod idempotency;
pub mod imports;
pub mod incidents;
pub mod missions;
pub mod summary;
pub mod users;

use serde_json::{Map, Value};

pub use crate::store::Page;

use crate::error::{AppError, AppResult};

/// Reads a JSON object (a body, or a stored record with a patch laid over it) as `T`; a field
/// of the wrong shape is named by its path.
pub(crate) fn parse_fields<T: serde::de::DeserializeOwned>(
    body: Map<String, Value>,
) -> AppResult<T> {
    serde_path_to_error::deserialize(Value::Object(body)).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        AppError::invalid(field, e.inner().to_string())
    })
}
