//! Queries, one file per aggregate. Nothing here knows about HTTP.

pub mod audit;
pub mod incidents;
pub mod missions;
pub mod sessions;
pub mod users;

/// Keyset pages: at most `limit` items, and the key to continue after the last one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

impl<T> Page<T> {
    /// Builds a page from a query that asked for `limit + 1` rows.
    pub fn from_overfetch(mut rows: Vec<T>, limit: usize) -> Self {
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        Page {
            items: rows,
            has_more,
        }
    }
}

/// True when a database error is a unique-key violation (a duplicate).
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
