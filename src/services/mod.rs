//! Workflows that join the rules, the queries and the audit trail into one transaction each.
//! Handlers call these; these hold no HTTP.

pub mod audit;
pub mod case_versions;
pub mod cases;
pub mod exports;
pub mod imports;
pub mod incidents;
pub mod missions;
pub mod summary;

use serde_json::{Map, Value};

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

/// Why one attempt at a creating transaction rolled back.
pub(crate) enum Attempt {
    /// A concurrent request with the same idempotency key committed first: the retry replays it.
    KeyTakenMeanwhile,
    Failed(AppError),
}

impl From<AppError> for Attempt {
    fn from(error: AppError) -> Self {
        Attempt::Failed(error)
    }
}

impl From<diesel::result::Error> for Attempt {
    fn from(error: diesel::result::Error) -> Self {
        Attempt::Failed(error.into())
    }
}
