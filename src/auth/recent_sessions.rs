//! Sessions this server checked against the database within the last second, so that a client
//! making many requests costs one session query a second rather than one a request.
//!
//! A session ended or an account changed through this server is forgotten at once
//! (`forget_all`); a change made through another server, or by a command, is seen within
//! `AT_MOST`. Administrators' sessions are not kept (see `session::user_of_token`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::session::AuthUser;
use crate::domain::session::SessionTimes;

/// How long a checked session is believed without asking the database again.
pub const AT_MOST: Duration = Duration::from_secs(1);

/// Enough for every person of every mission at once; past it, the stale entries go first.
const CAPACITY: usize = 10_000;

/// A session as the database last showed it (active, so never revoked).
#[derive(Clone)]
pub struct CheckedSession {
    pub user: AuthUser,
    pub times: SessionTimes,
}

#[derive(Default)]
pub struct RecentSessions {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Each session with the moment its check began.
    by_token_hash: HashMap<String, (CheckedSession, Instant)>,
    /// Counts the forgettings, so that a check that began before one is not kept after it.
    generation: u64,
}

/// A check of a session against the database, begun now.
pub struct Check {
    generation: u64,
    began_at: Instant,
}

impl RecentSessions {
    /// The session of this token hash if it was checked within `AT_MOST`.
    pub fn get(&self, token_hash: &str) -> Option<CheckedSession> {
        let inner = self.lock();
        let (session, checked_at) = inner.by_token_hash.get(token_hash)?;
        (checked_at.elapsed() < AT_MOST).then(|| session.clone())
    }

    /// To be called before the database is asked, and given back to `keep` with its answer:
    /// the answer is believed from the moment the question was asked, and not kept at all when
    /// something was forgotten meanwhile.
    pub fn begin_check(&self) -> Check {
        Check {
            generation: self.lock().generation,
            began_at: Instant::now(),
        }
    }

    /// Keeps a session the database showed in `check`, unless something was forgotten since.
    pub fn keep(&self, check: Check, session: CheckedSession) {
        let mut inner = self.lock();
        if inner.generation != check.generation {
            return;
        }
        if inner.by_token_hash.len() >= CAPACITY {
            inner
                .by_token_hash
                .retain(|_, (_, checked_at)| checked_at.elapsed() < AT_MOST);
            if inner.by_token_hash.len() >= CAPACITY {
                inner.by_token_hash.clear();
            }
        }
        let token_hash = session.user.token_hash.clone();
        inner
            .by_token_hash
            .insert(token_hash, (session, check.began_at));
    }

    /// Forgets every session: after a sign-out, a password change or any change to an account.
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.by_token_hash.clear();
        inner.generation += 1;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The map holds no invariant a panic elsewhere could break half-way.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::RequestMeta;
    use crate::domain::access::{Clearance, Role};

    fn session(token_hash: &str) -> CheckedSession {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        CheckedSession {
            user: AuthUser {
                id: "u1".into(),
                username: "officer".into(),
                role: Role::SecurityOfficer,
                clearance: Clearance::Confidential,
                missions: vec![],
                must_change_password: false,
                token_hash: token_hash.into(),
                request: RequestMeta::default(),
            },
            times: SessionTimes {
                last_seen_at: at,
                expires_at: at,
                revoked_at: None,
            },
        }
    }

    #[test]
    fn a_kept_session_is_found_until_forgotten() {
        let recent = RecentSessions::default();
        recent.keep(recent.begin_check(), session("a"));
        assert!(recent.get("a").is_some());
        assert!(recent.get("b").is_none());
        recent.forget_all();
        assert!(recent.get("a").is_none());
    }

    #[test]
    fn a_check_begun_before_a_forgetting_is_not_kept() {
        let recent = RecentSessions::default();
        let before = recent.begin_check();
        recent.forget_all();
        recent.keep(before, session("a"));
        assert!(recent.get("a").is_none());
    }

    #[test]
    fn a_session_is_believed_for_at_most_a_second_from_its_check() {
        let recent = RecentSessions::default();
        let check = recent.begin_check();
        std::thread::sleep(AT_MOST / 2);
        recent.keep(check, session("a"));
        assert!(recent.get("a").is_some());
        std::thread::sleep(AT_MOST / 2);
        assert!(recent.get("a").is_none());
    }

    #[test]
    fn past_capacity_the_stale_go_first() {
        let recent = RecentSessions::default();
        let stale = recent.begin_check();
        std::thread::sleep(AT_MOST);
        let fresh = recent.begin_check();
        recent.keep(stale, session("stale"));
        for i in 1..CAPACITY {
            let check = recent.begin_check();
            recent.keep(check, session(&format!("fresh {i}")));
        }
        recent.keep(fresh, session("newest"));
        assert!(recent.get("newest").is_some());
        assert!(recent.get("fresh 1").is_some());
        let kept = &recent.lock().by_token_hash;
        assert!(!kept.contains_key("stale"));
        assert_eq!(kept.len(), CAPACITY);
    }
}
