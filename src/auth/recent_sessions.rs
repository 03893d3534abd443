//! Sessions this server checked against the database within the last second (see
//! `recently_read`). Administrators' sessions are not kept (see `session::user_of_token`).

use super::session::Actor;
use crate::domain::session::SessionTimes;
use crate::recently_read::RecentlyRead;

/// A session as the database last showed it (active, so never revoked).
#[derive(Clone)]
pub struct CheckedSession {
    pub user: Actor,
    pub times: SessionTimes,
}

/// Checked sessions by the hash of their token. A sign-out, a password change or any change
/// to an account forgets them all.
pub type RecentSessions = RecentlyRead<String, CheckedSession>;
