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
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long a value read is believed without asking the database again.
pub const AT_MOST: Duration = Duration::from_secs(1);

/// How old a value is when the next request to ask for it is sent to read it again.
const READ_AGAIN_AFTER: Duration = Duration::from_millis(500);

/// Enough for every session of every mission's staff at once; past it, the stale entries go first.
const CAPACITY: usize = 10_000;

pub struct RecentlyRead<K, V> {
    inner: Mutex<Inner<K, V>>,
}

struct Inner<K, V> {
    by_key: HashMap<K, Entry<V>>,
    /// Counts the forgettings, so that a read that began before one is not kept after it.
    generation: u64,
}

struct Entry<V> {
    value: V,
    /// When the read that found it began.
    read_at: Instant,
    /// Whether a request was already sent to read it again.
    reading_again: bool,
}

/// A read from the database, begun now.
pub struct Read {
    generation: u64,
    began_at: Instant,
}

impl<K, V> Default for RecentlyRead<K, V> {
    fn default() -> Self {
        RecentlyRead {
            inner: Mutex::new(Inner {
                by_key: HashMap::new(),
                generation: 0,
            }),
        }
    }
}

impl<K: Hash + Eq, V: Clone> RecentlyRead<K, V> {
    /// The value of this key if it was read within `AT_MOST`; `None` also to the first caller
    /// past `READ_AGAIN_AFTER`, which is to read it again and `keep` it.
    pub fn get(&self, key: &K) -> Option<V> {
        let mut inner = self.lock();
        let entry = inner.by_key.get_mut(key)?;
        let age = entry.read_at.elapsed();
        if age >= AT_MOST {
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
            began_at: Instant::now(),
        }
    }

    /// Keeps what the database answered to `read`, unless something was forgotten since.
    pub fn keep(&self, read: Read, key: K, value: V) {
        let mut inner = self.lock();
        if inner.generation != read.generation {
            return;
        }
        if inner.by_key.len() >= CAPACITY {
            inner
                .by_key
                .retain(|_, entry| entry.read_at.elapsed() < AT_MOST);
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

    #[test]
    fn a_kept_value_is_found_until_forgotten() {
        let recent = RecentlyRead::default();
        recent.keep(recent.begin_read(), "a", 1);
        assert_eq!(recent.get(&"a"), Some(1));
        assert_eq!(recent.get(&"b"), None);
        recent.forget_all();
        assert_eq!(recent.get(&"a"), None);
    }

    #[test]
    fn a_read_begun_before_a_forgetting_is_not_kept() {
        let recent = RecentlyRead::default();
        let before = recent.begin_read();
        recent.forget_all();
        recent.keep(before, "a", 1);
        assert_eq!(recent.get(&"a"), None);
    }

    #[test]
    fn a_value_is_believed_for_at_most_a_second_from_its_read() {
        let recent = RecentlyRead::default();
        let read = recent.begin_read();
        std::thread::sleep(READ_AGAIN_AFTER / 2);
        recent.keep(read, "a", 1);
        assert_eq!(recent.get(&"a"), Some(1));
        std::thread::sleep(AT_MOST - READ_AGAIN_AFTER / 2);
        assert_eq!(recent.get(&"a"), None);
    }

    #[test]
    fn one_asker_reads_again_while_the_others_believe_the_value() {
        let recent = RecentlyRead::default();
        recent.keep(recent.begin_read(), "a", 1);
        std::thread::sleep(READ_AGAIN_AFTER);
        assert_eq!(recent.get(&"a"), None, "the first asker reads it again");
        assert_eq!(recent.get(&"a"), Some(1), "the others believe it meanwhile");
        assert_eq!(recent.get(&"a"), Some(1));
        recent.keep(recent.begin_read(), "a", 2);
        assert_eq!(recent.get(&"a"), Some(2), "what was read again is believed");
    }

    #[test]
    fn a_value_nobody_read_again_runs_out_all_the_same() {
        let recent = RecentlyRead::default();
        recent.keep(recent.begin_read(), "a", 1);
        std::thread::sleep(READ_AGAIN_AFTER);
        assert_eq!(recent.get(&"a"), None, "the first asker reads it again");
        std::thread::sleep(AT_MOST - READ_AGAIN_AFTER);
        assert_eq!(
            recent.get(&"a"),
            None,
            "its read failed: no one believes it now"
        );
    }

    #[test]
    fn past_capacity_the_stale_go_first() {
        let recent = RecentlyRead::default();
        let stale = recent.begin_read();
        std::thread::sleep(AT_MOST);
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
