//! What this server read from the database within the last second, so that something asked on
//! every request (a session, the missions) costs a query or two a second rather than one a
//! request.
//!
//! A change made through this server makes it forget at once (`forget_all`); a change made
//! through another server, or by a command, is seen within `AT_MOST`.
//!
//! Half-way through its second, a value is read again by the first request to ask for it, while
//! the others still believe it: the many requests of one session ask the database once, rather
//! than all together when the value runs out (they still do when that read fails).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{NaiveDateTime, TimeDelta};

use crate::clock::Clock;

/// How long a value read is believed without asking the database again.
pub const AT_MOST: TimeDelta = TimeDelta::seconds(1);

/// How old a value is when the next request to ask for it is sent to read it again.
const READ_AGAIN_AFTER: TimeDelta = TimeDelta::milliseconds(500);

/// Enough for every session of every mission's staff at once; past it, the stale entries go first.
const CAPACITY: usize = 10_000;

pub struct RecentlyRead<K, V> {
    inner: Mutex<Inner<K, V>>,
    /// The application's clock, so that tests move time rather than wait for it.
    clock: Arc<dyn Clock>,
}

struct Inner<K, V> {
    by_key: HashMap<K, Entry<V>>,
    /// Counts the forgettings, so that a read that began before one is not kept after it.
    generation: u64,
}

struct Entry<V> {
    value: V,
    /// When the read that found it began.
    read_at: NaiveDateTime,
    /// Whether a request was already sent to read it again.
    reading_again: bool,
}

/// A read from the database, begun now.
pub struct Read {
    generation: u64,
    began_at: NaiveDateTime,
}

impl<K: Hash + Eq, V: Clone> RecentlyRead<K, V> {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        RecentlyRead {
            inner: Mutex::new(Inner {
                by_key: HashMap::new(),
                generation: 0,
            }),
            clock,
        }
    }

    /// The value of this key if it was read within `AT_MOST`; `None` also to the first caller
    /// past `READ_AGAIN_AFTER`, which is to read it again and `keep` it.
    pub fn get(&self, key: &K) -> Option<V> {
        let now = self.clock.now();
        let mut inner = self.lock();
        let entry = inner.by_key.get_mut(key)?;
        let age = now - entry.read_at;
        // A clock set back (a correction of the system's time) makes a value of unknown age:
        // read again rather than believed for as long as the clock went back.
        if !(TimeDelta::zero()..AT_MOST).contains(&age) {
            return None;
        }
        if age >= READ_AGAIN_AFTER && !entry.reading_again {
            entry.reading_again = true;
            return None;
        }
        Some(entry.value.clone())
    }

    /// To be called before the database is asked, and given back to `keep` with its answer:
    /// the answer is believed from the moment the question was asked, and not kept at all when
    /// something was forgotten meanwhile.
    pub fn begin_read(&self) -> Read {
        Read {
            generation: self.lock().generation,
            began_at: self.clock.now(),
        }
    }

    /// Keeps what the database answered to `read`, unless something was forgotten since.
    pub fn keep(&self, read: Read, key: K, value: V) {
        let now = self.clock.now();
        let mut inner = self.lock();
        if inner.generation != read.generation {
            return;
        }
        if inner.by_key.len() >= CAPACITY {
            inner
                .by_key
                .retain(|_, entry| (TimeDelta::zero()..AT_MOST).contains(&(now - entry.read_at)));
            if inner.by_key.len() >= CAPACITY {
                inner.by_key.clear();
            }
        }
        let entry = Entry {
            value,
            read_at: read.began_at,
            reading_again: false,
        };
        inner.by_key.insert(key, entry);
    }

    /// Forgets everything: after this server changed what was read.
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.by_key.clear();
        inner.generation += 1;
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K, V>> {
        // The map holds no invariant a panic elsewhere could break half-way.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn with_clock() -> (RecentlyRead<String, usize>, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::starting_now());
        (RecentlyRead::new(clock.clone()), clock)
    }

    #[test]
    fn a_kept_value_is_found_until_forgotten() {
        let (recent, _clock) = with_clock();
        recent.keep(recent.begin_read(), "a".to_string(), 1);
        assert_eq!(recent.get(&"a".to_string()), Some(1));
        assert_eq!(recent.get(&"b".to_string()), None);
        recent.forget_all();
        assert_eq!(recent.get(&"a".to_string()), None);
    }

    #[test]
    fn a_read_begun_before_a_forgetting_is_not_kept() {
        let (recent, _clock) = with_clock();
        let before = recent.begin_read();
        recent.forget_all();
        recent.keep(before, "a".to_string(), 1);
        assert_eq!(recent.get(&"a".to_string()), None);
    }

    #[test]
    fn a_value_is_believed_for_at_most_a_second_from_its_read() {
        let (recent, clock) = with_clock();
        let read = recent.begin_read();
        clock.advance(READ_AGAIN_AFTER / 2);
        recent.keep(read, "a".to_string(), 1);
        assert_eq!(recent.get(&"a".to_string()), Some(1));
        clock.advance(AT_MOST - READ_AGAIN_AFTER / 2);
        assert_eq!(recent.get(&"a".to_string()), None);
    }

    #[test]
    fn one_asker_reads_again_while_the_others_believe_the_value() {
        let (recent, clock) = with_clock();
        recent.keep(recent.begin_read(), "a".to_string(), 1);
        clock.advance(READ_AGAIN_AFTER);
        assert_eq!(
            recent.get(&"a".to_string()),
            None,
            "the first asker reads it again"
        );
        assert_eq!(
            recent.get(&"a".to_string()),
            Some(1),
            "the others believe it meanwhile"
        );
        assert_eq!(recent.get(&"a".to_string()), Some(1));
        recent.keep(recent.begin_read(), "a".to_string(), 2);
        assert_eq!(
            recent.get(&"a".to_string()),
            Some(2),
            "what was read again is believed"
        );
    }

    #[test]
    fn a_value_nobody_read_again_runs_out_all_the_same() {
        let (recent, clock) = with_clock();
        recent.keep(recent.begin_read(), "a".to_string(), 1);
        clock.advance(READ_AGAIN_AFTER);
        assert_eq!(
            recent.get(&"a".to_string()),
            None,
            "the first asker reads it again"
        );
        clock.advance(AT_MOST - READ_AGAIN_AFTER);
        assert_eq!(
            recent.get(&"a".to_string()),
            None,
            "its read failed: no one believes it now"
        );
    }

    #[test]
    fn a_clock_set_back_makes_values_read_again() {
        let (recent, clock) = with_clock();
        recent.keep(recent.begin_read(), "a".to_string(), 1);
        clock.advance(-TimeDelta::minutes(5));
        assert_eq!(recent.get(&"a".to_string()), None);
    }

    #[test]
    fn past_capacity_the_stale_go_first() {
        let (recent, clock) = with_clock();
        let stale = recent.begin_read();
        clock.advance(AT_MOST);
        let fresh = recent.begin_read();
        recent.keep(stale, "stale".to_string(), 0);
        for i in 1..CAPACITY {
            let read = recent.begin_read();
            recent.keep(read, format!("fresh {i}"), i);
        }
        recent.keep(fresh, "newest".to_string(), CAPACITY);
        assert!(recent.get(&"newest".to_string()).is_some());
        assert!(recent.get(&"fresh 1".to_string()).is_some());
        let kept = &recent.lock().by_key;
        assert!(!kept.contains_key("stale"));
        assert_eq!(kept.len(), CAPACITY);
    }
}
