//! The time, behind a trait so tests can move it (session expiry, lock-outs) without sleeping.

use std::sync::Mutex;

use chrono::{DurationRound, NaiveDateTime, TimeDelta, Utc};

pub trait Clock: Send + Sync {
    /// Now in UTC, at the microsecond precision both databases keep.
    fn now(&self) -> NaiveDateTime;
}

fn to_micros(time: NaiveDateTime) -> NaiveDateTime {
    time.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(time)
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        to_micros(Utc::now().naive_utc())
    }
}

/// A clock that stands still until told to move; for tests.
pub struct ManualClock(Mutex<NaiveDateTime>);

impl ManualClock {
    pub fn starting_now() -> Self {
        ManualClock(Mutex::new(SystemClock.now()))
    }

    pub fn advance(&self, by: TimeDelta) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> NaiveDateTime {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
