//! Queries, one file per aggregate. Nothing here knows about HTTP.

/// Narrows a boxed query to rows whose `column` is one of `codes` (none: no row). One code is
/// compared with `=`, not `= ANY(...)`: PostgreSQL then reads an index on (mission, order) in
/// order and stops at the page, instead of sorting every match.
macro_rules! filter_one_of {
    ($query:expr, $column:expr, $codes:expr) => {
        match $codes {
            [one] => $query.filter($column.eq(one.clone())),
            several => $query.filter($column.eq_any(several.to_vec())),
        }
    };
}

pub mod annual_report;
pub mod assistance;
pub mod audit;
pub mod backup;
pub mod calendar_feeds;
pub mod cases;
pub mod checkpoints;
pub mod files;
pub mod idempotency;
pub mod incidents;
pub mod issued_reports;
pub mod missions;
pub mod proposals;
pub mod registry_state;
pub mod second_factors;
pub mod sessions;
pub mod summary;
pub mod summary_figures;
pub mod users;

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

use crate::db::DbConnection;

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

/// The numbered references: incidents (`MISSION-YYYY-NNNNN`) and cases (`CASE-MISSION-YYYY-NNNN`).
#[derive(Debug, Clone, Copy)]
pub enum ReferenceCounter {
    Incidents,
    Cases,
}

impl ReferenceCounter {
    fn table(self) -> &'static str {
        match self {
            ReferenceCounter::Incidents => "incident_reference_counters",
            ReferenceCounter::Cases => "case_reference_counters",
        }
    }
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = Integer)]
    last_number: i32,
}

/// The next reference number of a mission and year. Counting in a row that the numbering
/// transaction updates keeps the numbers gap-free and unique: concurrent writers of the same
/// mission and year wait for each other on that row (on SQLite, on the single writer), and a
/// rolled-back transaction gives its number back.
pub fn next_reference_number(
    conn: &mut DbConnection,
    counter: ReferenceCounter,
    mission: &str,
    year: i32,
) -> QueryResult<i32> {
    let upsert = format!(
        "INSERT INTO {table} (mission_code, year, last_number) VALUES ({{m}}, {{y}}, 1) \
         ON CONFLICT (mission_code, year) DO UPDATE SET last_number = {table}.last_number + 1 \
         RETURNING last_number",
        table = counter.table()
    );
    let number = match conn {
        DbConnection::Postgres(pg) => {
            diesel::sql_query(upsert.replace("{m}", "$1").replace("{y}", "$2"))
                .bind::<Text, _>(mission)
                .bind::<Integer, _>(year)
                .get_result::<Number>(pg)?
        }
        DbConnection::Sqlite(sqlite) => {
            diesel::sql_query(upsert.replace("{m}", "?").replace("{y}", "?"))
                .bind::<Text, _>(mission)
                .bind::<Integer, _>(year)
                .get_result::<Number>(sqlite)?
        }
    };
    Ok(number.last_number)
}

/// True when a database error is a unique-key violation (a duplicate).
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
