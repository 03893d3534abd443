//! Workflows that join the rules, the queries and the audit trail into one transaction each.
//! Handlers call these; these hold no HTTP.

pub mod cases;
pub mod incidents;
pub mod missions;

use crate::error::AppError;

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
