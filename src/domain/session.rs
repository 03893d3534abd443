//! When a session still counts, and when an account is locked.

use chrono::{NaiveDateTime, TimeDelta};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Active,
    Revoked,
    /// No request for longer than the idle limit.
    Idle,
    /// Past its absolute end, however active.
    Expired,
}

#[derive(Debug, Clone)]
pub struct SessionTimes {
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn session_state(times: &SessionTimes, now: NaiveDateTime, idle: TimeDelta) -> SessionState {
    if times.revoked_at.is_some() {
        SessionState::Revoked
    } else if now >= times.expires_at {
        SessionState::Expired
    } else if now >= times.last_seen_at + idle {
        SessionState::Idle
    } else {
        SessionState::Active
    }
}

/// Recording every request's time would make each read a write; a minute's precision is plenty
/// for an idle limit counted in tens of minutes.
pub fn needs_touch(last_seen_at: NaiveDateTime, now: NaiveDateTime) -> bool {
    now - last_seen_at >= TimeDelta::minutes(1)
}

pub fn is_locked(locked_until: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    locked_until.is_some_and(|until| now < until)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> NaiveDateTime {
        NaiveDateTime::default() + TimeDelta::minutes(minutes)
    }

    fn times(last_seen: i64, expires: i64, revoked: Option<i64>) -> SessionTimes {
        SessionTimes {
            last_seen_at: at(last_seen),
            expires_at: at(expires),
            revoked_at: revoked.map(at),
        }
    }

    #[test]
    fn states() {
        let idle = TimeDelta::minutes(30);
        assert_eq!(
            session_state(&times(0, 720, None), at(29), idle),
            SessionState::Active
        );
        assert_eq!(
            session_state(&times(0, 720, None), at(30), idle),
            SessionState::Idle
        );
        assert_eq!(
            session_state(&times(700, 720, None), at(720), idle),
            SessionState::Expired
        );
        assert_eq!(
            session_state(&times(0, 720, Some(5)), at(6), idle),
            SessionState::Revoked
        );
    }

    #[test]
    fn locks() {
        assert!(!is_locked(None, at(0)));
        assert!(is_locked(Some(at(15)), at(14)));
        assert!(!is_locked(Some(at(15)), at(15)));
    }

    #[test]
    fn touches_at_most_once_a_minute() {
        assert!(!needs_touch(at(0), at(0) + TimeDelta::seconds(59)));
        assert!(needs_touch(at(0), at(1)));
    }
}
