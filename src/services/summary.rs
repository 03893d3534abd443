//! Summaries for leadership: what the reader may count, counted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, NaiveDateTime};
use diesel::QueryResult;
use prometheus::IntCounter;
use serde::Serialize;

use crate::AppState;
use crate::auth::{Actor, policy};
use crate::clock::Clock;
use crate::db::DbConnection;
use crate::domain::access::{Clearance, Role};
use crate::domain::summary::{self, Figures, Grouping, Row};
use crate::error::{AppError, AppResult};
use crate::store::summary::{self as store, RegistryState, Scope, StalledRow};
use crate::store::{audit, cases as case_store};

/// Who reads summaries: the people of the missions, within their missions and clearance.
const READERS: [Role; 3] = [Role::Leadership, Role::LegalOfficer, Role::SecurityOfficer];

#[derive(Debug, Clone)]
pub struct SummaryRequest {
    pub missions: Vec<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub grouping: Grouping,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub group: Grouping,
    /// The missions counted: those asked for, or all the reader works on (`null`: all).
    pub missions: Option<Vec<String>>,
    pub rows: Vec<Row>,
    pub totals: Figures,
}

/// The missions a reader may count among those asked for; asking for another is refused.
fn scope_of(
    conn: &mut DbConnection,
    user: &Actor,
    asked: &[String],
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<Scope> {
    policy::require_role(conn, user, &READERS, attempted, now)?;
    if let Some(outside) = asked.iter().find(|m| !user.viewer().works_on(m)) {
        return Err(policy::forbid(
            conn,
            user,
            attempted,
            ("mission", Some(outside)),
            now,
            &format!("You do not work on {outside}: its figures are not yours to see."),
        ));
    }
    let missions = if !asked.is_empty() {
        Some(asked.to_vec())
    } else if !user.all_missions {
        Some(user.missions.clone())
    } else {
        None
    };
    Ok(Scope {
        missions,
        classifications: Clearance::ALL
            .into_iter()
            .filter(|c| *c <= user.clearance)
            .map(|c| c.code().to_string())
            .collect(),
        from: None,
        until: None,
    })
}

/// What one summary counted: the scope and the grouping.
type SummaryKey = (Scope, Grouping);

struct CountedSummary {
    /// The state of the registry the figures still hold in (`store::summary::registry_state`).
    state: RegistryState,
    /// The records that waited for the sealer when the figures were counted: their changes are
    /// in the figures already.
    already_counted: Vec<i64>,
    counted_at: NaiveDateTime,
    summary: Arc<Summary>,
}

/// Summaries already counted, for as long as what they count has not changed. Counting over a
/// million incidents takes seconds; leadership asks for the same figures again and again, and
/// most of the time nothing they count has changed in between. Every change leaves an audit
/// record in its own transaction, so the records written since tell whether anything did, and
/// what (`store::summary::counted_changes_since`): sign-ins, say, change no figure. A change
/// made past the service (a restore, a repair by hand) is seen within `AT_MOST`.
pub struct SummaryCache {
    counted: Mutex<HashMap<SummaryKey, CountedSummary>>,
    /// One summary is counted at a time: the others wait for it and take its figures when they
    /// asked the same, instead of counting the same millions side by side. The permit is waited
    /// for before a database connection is taken, and goes with the count (see
    /// `summary`).
    pub count_permit: Arc<tokio::sync::Semaphore>,
    /// How many times the figures were counted, for the monitoring.
    times_counted: IntCounter,
    clock: Arc<dyn Clock>,
}

impl SummaryCache {
    const AT_MOST: chrono::TimeDelta = chrono::TimeDelta::seconds(60);
    /// How long a request waits for the permit to count before it is answered 503: a count of
    /// the whole registry takes seconds, so this covers several in a row.
    pub const WAIT_FOR_COUNT: Duration = Duration::from_secs(60);
    /// Past this many scopes and groupings, the oldest figures are forgotten all at once.
    const ENTRIES: usize = 256;
    /// At most this many records waiting for the sealer are remembered with the figures; past
    /// it (the sealer far behind), they are looked at again, at the cost of a count.
    const PENDING_REMEMBERED: i64 = 1_000;

    pub fn new(times_counted: IntCounter, clock: Arc<dyn Clock>) -> SummaryCache {
        SummaryCache {
            counted: Mutex::default(),
            clock,
            count_permit: Arc::new(tokio::sync::Semaphore::new(1)),
            times_counted,
        }
    }

    /// The figures counted for `key`, if they still hold in `state`: nothing has changed since
    /// they were counted, or nothing they count.
    fn get(
        &self,
        conn: &mut DbConnection,
        key: &SummaryKey,
        state: RegistryState,
    ) -> QueryResult<Option<Arc<Summary>>> {
        // Figures counted in another state are taken only after a look at what changed since.
        let (sealed, already_counted, summary) = {
            let now = self.clock.now();
            let counted = self.counted.lock().unwrap_or_else(|e| e.into_inner());
            match counted
                .get(key)
                // Also not when the clock was set back: their age is then unknown.
                .filter(|c| {
                    (chrono::TimeDelta::zero()..Self::AT_MOST).contains(&(now - c.counted_at))
                }) {
                None => return Ok(None),
                Some(c) if c.state == state => return Ok(Some(Arc::clone(&c.summary))),
                Some(c) => (
                    c.state.sealed,
                    c.already_counted.clone(),
                    Arc::clone(&c.summary),
                ),
            }
        };
        if store::counted_changes_since(conn, sealed, &already_counted)? {
            return Ok(None);
        }
        // They still hold: from now on only what is written after `state` is looked at.
        let mut counted = self.counted.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = counted.get_mut(key)
            && Arc::ptr_eq(&entry.summary, &summary)
        {
            entry.state = state;
        }
        Ok(Some(summary))
    }

    fn put(
        &self,
        conn: &mut DbConnection,
        key: SummaryKey,
        state: RegistryState,
        summary: &Arc<Summary>,
    ) -> QueryResult<()> {
        self.times_counted.inc();
        let already_counted = store::pending_records(conn, Self::PENDING_REMEMBERED)?;
        let mut counted = self.counted.lock().unwrap_or_else(|e| e.into_inner());
        if counted.len() >= Self::ENTRIES && !counted.contains_key(&key) {
            counted.clear();
        }
        counted.insert(
            key,
            CountedSummary {
                state,
                already_counted,
                counted_at: self.clock.now(),
                summary: Arc::clone(summary),
            },
        );
        Ok(())
    }
}

/// The summary the user asked for if the figures counted before still hold; `None` when it
/// must be counted (see `summary`).
fn summary_if_counted(
    conn: &mut DbConnection,
    user: &Actor,
    request: SummaryRequest,
    now: NaiveDateTime,
    cache: &SummaryCache,
) -> AppResult<Option<Arc<Summary>>> {
    let key = key_asked(conn, user, &request, now)?;
    Ok(store::in_one_snapshot(conn, |conn| {
        let state = store::registry_state(conn)?;
        cache.get(conn, &key, state)
    })?)
}

/// The summary the user asked for, counted now unless the figures counted before still hold
/// (another request may have counted them while this one waited). Called holding the permit to
/// count (`SummaryCache::count_permit`).
fn count_summary(
    conn: &mut DbConnection,
    user: &Actor,
    request: SummaryRequest,
    now: NaiveDateTime,
    cache: &SummaryCache,
) -> AppResult<Arc<Summary>> {
    let key = key_asked(conn, user, &request, now)?;
    let (scope, grouping) = key.clone();
    let summary = store::in_one_snapshot(conn, |conn| {
        let state = store::registry_state(conn)?;
        if let Some(summary) = cache.get(conn, &key, state)? {
            return Ok(summary);
        }
        let began = Instant::now();
        let incidents = store::incident_groups(conn, &scope, grouping)?;
        let incidents_counted = began.elapsed();
        let dead = store::dead_groups(conn, &scope, grouping)?;
        let dead_counted = began.elapsed();
        let mut case_figures = summary::CaseFigures::default();
        store::for_each_counted_case(conn, &scope, grouping, |case| case_figures.add(case))?;
        let (cases, medians) = case_figures.finish();
        let counted = began.elapsed();
        // What the operators see of a count that takes seconds, and which part took them.
        tracing::info!(
            seconds = counted.as_secs_f64(),
            incidents_seconds = incidents_counted.as_secs_f64(),
            dead_seconds = (dead_counted - incidents_counted).as_secs_f64(),
            cases_seconds = (counted - dead_counted).as_secs_f64(),
            missions = ?scope.missions,
            "summary counted"
        );
        let (rows, totals) = summary::summarize(&incidents, &dead, &cases, &medians);
        let summary = Arc::new(Summary {
            from: request.from,
            to: request.to,
            group: grouping,
            missions: scope.missions.clone(),
            rows,
            totals,
        });
        cache.put(conn, key, state, &summary)?;
        Ok(summary)
    })?;
    Ok(summary)
}

/// What the user may count of what they asked, and how grouped: the summary's key among the
/// figures counted (a refusal is recorded by `scope_of`).
fn key_asked(
    conn: &mut DbConnection,
    user: &Actor,
    request: &SummaryRequest,
    now: NaiveDateTime,
) -> AppResult<SummaryKey> {
    let mut scope = scope_of(conn, user, &request.missions, "summary.read", now)?;
    scope.from = request.from.map(|d| d.and_time(chrono::NaiveTime::MIN));
    scope.until = request
        .to
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .map(|d| d.and_time(chrono::NaiveTime::MIN));
    Ok((scope, request.grouping))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StalledCase {
    pub id: String,
    pub mission: String,
    pub reference: String,
    pub status: String,
    pub days_idle: i64,
    pub last_moved_on: NaiveDate,
    pub next_action: Option<String>,
    pub next_action_due: Option<NaiveDate>,
    pub lead_officer: String,
    pub lead_officer_username: Option<String>,
}

/// At most this many stalled cases in one download (and on the summary page); the oldest first.
pub const STALLED_LIMIT: i64 = 10_000;

/// Which stalled cases to list: idle for more than `days`, of these missions (none: all the
/// reader's), at most `limit` of them after the (last step, reference) `after`.
#[derive(Debug, Clone)]
pub struct StalledRequest {
    pub missions: Vec<String>,
    pub days: u32,
    pub after: Option<(NaiveDate, String)>,
    pub limit: i64,
}

/// Open cases with no step for more than `days` days, oldest first.
pub fn stalled(
    conn: &mut DbConnection,
    user: &Actor,
    request: StalledRequest,
    now: NaiveDateTime,
) -> AppResult<Vec<StalledCase>> {
    let scope = scope_of(conn, user, &request.missions, "summary.stalled", now)?;
    let today = now.date();
    let moved_before = today - Days::new(request.days.into());
    let rows = store::stalled(
        conn,
        &scope,
        moved_before,
        request.after.as_ref(),
        request.limit,
    )?;
    let mut usernames: HashMap<String, Option<String>> = HashMap::new();
    let mut stalled = Vec::with_capacity(rows.len());
    for row in rows {
        let StalledRow {
            id,
            mission_code,
            reference,
            status,
            last_moved_on,
            next_action,
            next_action_due,
            lead_officer,
        } = row;
        let username = match usernames.get(&lead_officer) {
            Some(name) => name.clone(),
            None => {
                let name = case_store::username_of(conn, &lead_officer)?;
                usernames.insert(lead_officer.clone(), name.clone());
                name
            }
        };
        stalled.push(StalledCase {
            id,
            mission: mission_code,
            reference,
            status,
            days_idle: (today - last_moved_on).num_days(),
            last_moved_on,
            next_action,
            next_action_due,
            lead_officer,
            lead_officer_username: username,
        });
    }
    Ok(stalled)
}

/// Records that a summary left the registry as a file.
pub fn record_download(
    conn: &mut DbConnection,
    user: &Actor,
    what: &str,
    filters: serde_json::Value,
    rows: usize,
    now: NaiveDateTime,
) -> AppResult<()> {
    audit::append_alone(
        conn,
        &user.audit(now),
        "export.csv",
        "summary",
        None,
        serde_json::json!({ "what": what, "filters": filters, "rows": rows }),
    )?;
    Ok(())
}

/// The summary `user` asked for. A count of a million incidents takes seconds: the
/// requests that find no figures counted wait for a permit to count without holding a
/// database connection, which those waiting behind a count would otherwise keep from
/// everyone else until they timed out. Once they hold it, the figures are usually there.
pub async fn summary(
    state: &AppState,
    user: &Actor,
    request: SummaryRequest,
    now: NaiveDateTime,
) -> AppResult<Arc<Summary>> {
    let (reader, asked, cache) = (user.clone(), request.clone(), state.summaries.clone());
    let counted = state
        .run(move |conn| summary_if_counted(conn, &reader, asked, now, &cache))
        .await?;
    if let Some(summary) = counted {
        return Ok(summary);
    }
    let permits = Arc::clone(&state.summaries.count_permit);
    let wait = SummaryCache::WAIT_FOR_COUNT;
    let permit = actix_web::rt::time::timeout(wait, permits.acquire_owned())
        .await
        .map_err(|_| AppError::Unavailable("the summaries are being counted just now".to_string()))?
        .map_err(AppError::internal)?;
    let (reader, cache) = (user.clone(), state.summaries.clone());
    // The permit goes with the count, as in `run`: a count goes on when its client leaves.
    state
        .run(move |conn| {
            let _permit = permit;
            count_summary(conn, &reader, request, now, &cache)
        })
        .await
}
