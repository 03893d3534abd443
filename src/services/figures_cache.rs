//! Figures counted (the summaries, the annual report's rows), one count at a time, shared by
//! the requests that wait for it. The annual report's rows, counted from the records, take
//! about a second over a million incidents: they are kept for as long as what they count has
//! not changed (`Reuse::WhileUnchanged`). Every change leaves an audit record in its own
//! transaction, so the records written since tell whether anything did, and what
//! (`store::registry_state::counted_changes_since`): sign-ins, say, change no figure. A change
//! made past the service (a restore, a repair by hand) is seen within `AT_MOST`. The summaries
//! read the figures the database keeps and are counted for every request
//! (`Reuse::CountedAfterAsked`): no write has to throw them away.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::QueryResult;
use prometheus::IntCounter;

use crate::AppState;
use crate::clock::Clock;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::store::registry_state::{self as store, RegistryState};
use crate::store::summary::in_one_snapshot;

/// Which figures counted before may answer a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// Those that still hold: nothing they count has changed since.
    WhileUnchanged,
    /// Only those counted in a transaction that began after the request was asked, as its own
    /// count would be (`counted_after`).
    CountedAfterAsked,
}

struct Counted<V> {
    /// The state of the registry the figures still hold in (`store::registry_state::registry_state`).
    state: RegistryState,
    /// The records that waited for the sealer when the figures were counted: their changes are
    /// in the figures already.
    already_counted: Vec<i64>,
    counted_at: NaiveDateTime,
    /// When the transaction the figures were counted in began: they hold every change
    /// committed before.
    began: Instant,
    figures: Arc<V>,
}

/// Figures of kind `V` counted for keys `K` (what was asked, within what the reader may count).
pub struct FiguresCache<K, V> {
    counted: Mutex<HashMap<K, Counted<V>>>,
    reuse: Reuse,
    /// The actions that change none of these figures (`store::registry_state::UNCOUNTED_ACTIONS`, or
    /// some of them).
    uncounted: Vec<&'static str>,
    /// One count at a time: the others wait for it and take its figures when they asked the
    /// same, instead of counting the same figures side by side. The permit is waited for
    /// before a database connection is taken, and goes with the count (see `counted`).
    pub count_permit: Arc<tokio::sync::Semaphore>,
    /// How many times the figures were counted, for the monitoring.
    times_counted: IntCounter,
    clock: Arc<dyn Clock>,
}

impl<K: Eq + Hash + Clone, V> FiguresCache<K, V> {
    const AT_MOST: chrono::TimeDelta = chrono::TimeDelta::seconds(60);
    /// How long a request waits for the permit to count before it is answered 503: a count of
    /// the whole registry takes seconds, so this covers several in a row.
    pub const WAIT_FOR_COUNT: Duration = Duration::from_secs(60);
    /// Past this many keys, the oldest figures are forgotten all at once.
    const ENTRIES: usize = 256;
    /// At most this many records waiting for the sealer are remembered with the figures; past
    /// it (the sealer far behind), they are looked at again, at the cost of a count.
    const PENDING_REMEMBERED: i64 = 1_000;

    pub fn new(
        reuse: Reuse,
        uncounted: Vec<&'static str>,
        times_counted: IntCounter,
        clock: Arc<dyn Clock>,
    ) -> Self {
        FiguresCache {
            counted: Mutex::default(),
            reuse,
            uncounted,
            count_permit: Arc::new(tokio::sync::Semaphore::new(1)),
            times_counted,
            clock,
        }
    }

    /// The figures counted for `key`, if they may be reused and still hold in `state`: nothing
    /// has changed since they were counted, or nothing they count.
    fn get(
        &self,
        conn: &mut DbConnection,
        key: &K,
        state: RegistryState,
    ) -> QueryResult<Option<Arc<V>>> {
        if self.reuse != Reuse::WhileUnchanged {
            return Ok(None);
        }
        // Figures counted in another state are taken only after a look at what changed since.
        let (sealed, already_counted, figures) = {
            let now = self.clock.now();
            let counted = self.counted.lock().unwrap_or_else(|e| e.into_inner());
            match counted
                .get(key)
                // Also not when the clock was set back: their age is then unknown.
                .filter(|c| {
                    (chrono::TimeDelta::zero()..Self::AT_MOST).contains(&(now - c.counted_at))
                }) {
                None => return Ok(None),
                Some(c) if c.state == state => return Ok(Some(Arc::clone(&c.figures))),
                Some(c) => (
                    c.state.sealed,
                    c.already_counted.clone(),
                    Arc::clone(&c.figures),
                ),
            }
        };
        if store::counted_changes_since(conn, sealed, &already_counted, &self.uncounted)? {
            return Ok(None);
        }
        // They still hold: from now on only what is written after `state` is looked at.
        let mut counted = self.counted.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = counted.get_mut(key)
            && Arc::ptr_eq(&entry.figures, &figures)
        {
            entry.state = state;
        }
        Ok(Some(figures))
    }

    fn put(
        &self,
        conn: &mut DbConnection,
        key: K,
        (state, began): (RegistryState, Instant),
        figures: &Arc<V>,
    ) -> QueryResult<()> {
        self.times_counted.inc();
        let already_counted = store::pending_records(conn, Self::PENDING_REMEMBERED)?;
        let mut counted = self.counted.lock().unwrap_or_else(|e| e.into_inner());
        if counted.len() >= Self::ENTRIES && !counted.contains_key(&key) {
            counted.clear();
        }
        counted.insert(
            key,
            Counted {
                state,
                already_counted,
                counted_at: self.clock.now(),
                began,
                figures: Arc::clone(figures),
            },
        );
        Ok(())
    }

    /// The figures for `key` counted in a transaction that began after `asked`: they hold
    /// every change made before the request was asked, as a count of its own would. Those who
    /// wait while one count runs take the next together instead of one after the other.
    fn counted_after(&self, key: &K, asked: Instant) -> Option<Arc<V>> {
        let counted = self.counted.lock().unwrap_or_else(|e| e.into_inner());
        counted
            .get(key)
            .filter(|c| c.began >= asked)
            .map(|c| Arc::clone(&c.figures))
    }

    /// The figures for `key` if those counted before still hold, in one snapshot.
    fn if_counted(&self, conn: &mut DbConnection, key: &K) -> QueryResult<Option<Arc<V>>> {
        if self.reuse != Reuse::WhileUnchanged {
            return Ok(None);
        }
        in_one_snapshot(conn, |conn| {
            let state = store::registry_state(conn)?;
            self.get(conn, key, state)
        })
    }
}

/// The figures for the key `key_of` gives (which also decides whether the reader may ask),
/// counted by `count` unless those counted before still hold. Requests that find none wait
/// for the permit to count without holding a database connection, which those waiting behind
/// a count would otherwise keep from everyone else until they timed out; once they hold it,
/// the figures are usually there: counted by a count that began after they asked
/// (`counted_after`), or still holding.
pub async fn counted<K, V>(
    state: &AppState,
    cache: &Arc<FiguresCache<K, V>>,
    key_of: impl Fn(&mut DbConnection) -> AppResult<K> + Clone + Send + 'static,
    count: impl FnOnce(&mut DbConnection, &K) -> QueryResult<V> + Send + 'static,
) -> AppResult<Arc<V>>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    let asked = Instant::now();
    let (looking, first_key_of) = (Arc::clone(cache), key_of.clone());
    // Whether the reader may ask is decided before any wait.
    let found = state
        .run(move |conn| {
            let key = first_key_of(conn)?;
            Ok(looking.if_counted(conn, &key)?)
        })
        .await?;
    if let Some(figures) = found {
        return Ok(figures);
    }
    let permits = Arc::clone(&cache.count_permit);
    let wait = FiguresCache::<K, V>::WAIT_FOR_COUNT;
    let permit = actix_web::rt::time::timeout(wait, permits.acquire_owned())
        .await
        .map_err(|_| AppError::Unavailable("the figures are being counted just now".to_string()))?
        .map_err(AppError::internal)?;
    let cache = Arc::clone(cache);
    // The permit goes with the count, as in `run`: a count goes on when its client leaves.
    state
        .run(move |conn| {
            let _permit = permit;
            let key = key_of(conn)?;
            if let Some(figures) = cache.counted_after(&key, asked) {
                return Ok(figures);
            }
            let began = Instant::now();
            Ok(in_one_snapshot(conn, |conn| {
                let state = store::registry_state(conn)?;
                if let Some(figures) = cache.get(conn, &key, state)? {
                    return Ok(figures);
                }
                let figures = Arc::new(count(conn, &key)?);
                cache.put(conn, key, (state, began), &figures)?;
                Ok(figures)
            })?)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn a_request_takes_a_count_only_if_it_began_after_the_request_was_asked() {
        let times_counted = IntCounter::new("counted", "counts").unwrap();
        let cache: FiguresCache<&str, u32> = FiguresCache::new(
            Reuse::CountedAfterAsked,
            vec![],
            times_counted,
            Arc::new(ManualClock::starting_now()),
        );
        let asked_before = Instant::now();
        let began = Instant::now();
        let asked_after = Instant::now() + Duration::from_millis(1);
        cache.counted.lock().unwrap().insert(
            "all missions",
            Counted {
                state: RegistryState {
                    sealed: 1,
                    pending: 0,
                },
                already_counted: vec![],
                counted_at: cache.clock.now(),
                began,
                figures: Arc::new(7),
            },
        );
        assert_eq!(
            cache
                .counted_after(&"all missions", asked_before)
                .as_deref(),
            Some(&7)
        );
        // Asked after the count began: a change made just before may not be in it.
        assert_eq!(cache.counted_after(&"all missions", asked_after), None);
        assert_eq!(cache.counted_after(&"one mission", asked_before), None);
    }
}
