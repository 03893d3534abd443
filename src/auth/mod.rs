//! Who is asking, and what they may do: passwords, tokens, sessions, accounts and the policy.

pub mod account_changes;
pub mod accounts;
pub mod password;
pub mod policy;
pub mod recent_sessions;
pub mod session;
pub mod token;

pub use session::{Actor, RequestMeta, SignedIn};
