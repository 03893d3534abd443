//! Workflows that join the rules, the queries and the audit trail into one transaction each.
//! Handlers call these; these hold no HTTP.

pub mod incidents;
pub mod missions;
