//! The rules of the registry, pure: no HTTP, no database. Everything here is unit-tested.

pub mod access;
pub mod annual_report;
pub mod assistance;
pub mod audit;
pub mod calendar;
pub mod case;
pub mod casualty_id;
pub mod checkpoint;
pub mod country;
pub mod incident;
pub mod mission;
pub mod password;
pub mod patch;
pub mod second_factor;
pub mod session;
pub mod snapshot;
pub mod spreadsheet;
pub mod state_part;
pub mod state_summary;
pub mod stored_code;
pub mod summary;
pub mod user;
pub mod validation;
pub mod verification;
