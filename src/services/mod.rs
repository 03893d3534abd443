//! Workflows that join the rules, the queries and the audit trail into one transaction each.
//! Handlers call these; these hold no HTTP.

pub mod access;
pub mod accounts;
pub mod annual_report;
pub mod assistance;
pub mod audit;
pub mod calendar;
pub mod case_versions;
pub mod cases;
pub mod exports;
pub mod figures_cache;
pub mod idempotency;
pub mod imports;
pub mod incidents;
pub mod member_states;
pub mod missions;
pub mod summary;
pub mod users;

pub use crate::store::Page;
