//! Summaries for leadership: what the reader may count, counted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

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
use crate::error::AppResult;
use crate::services::figures_cache::{self, FiguresCache, Reuse};
use crate::store::summary::{self as store, Scope, StalledRow};
use crate::store::{audit, cases as case_store, summary_figures};

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

/// The summaries counted, one count at a time, each answering the requests asked before it
/// began (see `figures_cache`): counted from the figures the database keeps, a summary is
/// never taken from an earlier count that a write since would have made stale.
pub type SummaryCounts = FiguresCache<SummaryKey, Summary>;

pub fn new_counts(times_counted: IntCounter, clock: Arc<dyn Clock>) -> SummaryCounts {
    FiguresCache::new(Reuse::CountedAfterAsked, vec![], times_counted, clock)
}

/// Counts the summary of `scope`, grouped by `grouping`, in the snapshot it is called in.
fn count_summary(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
) -> QueryResult<(Vec<Row>, Figures)> {
    let began = Instant::now();
    let incidents = summary_figures::incident_groups(conn, scope, grouping)?;
    let incidents_counted = began.elapsed();
    let dead = summary_figures::dead_groups(conn, scope, grouping)?;
    let dead_counted = began.elapsed();
    let cases = summary_figures::case_groups(conn, scope, grouping)?;
    let cases_counted = began.elapsed();
    let mut delays = summary::DelayFigures::default();
    store::for_each_case_delays(conn, scope, grouping, |case| delays.add(case))?;
    let medians = delays.medians();
    let counted = began.elapsed();
    // What the operators see of a count that takes seconds, and which part took them.
    tracing::info!(
        seconds = counted.as_secs_f64(),
        incidents_seconds = incidents_counted.as_secs_f64(),
        dead_seconds = (dead_counted - incidents_counted).as_secs_f64(),
        cases_seconds = (cases_counted - dead_counted).as_secs_f64(),
        medians_seconds = (counted - cases_counted).as_secs_f64(),
        missions = ?scope.missions,
        "summary counted"
    );
    Ok(summary::summarize(&incidents, &dead, &cases, &medians))
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

/// The summary `user` asked for, counted for the request or by a count that began after it
/// was asked (`figures_cache::counted`).
pub async fn summary(
    state: &AppState,
    user: &Actor,
    request: SummaryRequest,
    now: NaiveDateTime,
) -> AppResult<Arc<Summary>> {
    let (reader, asked) = (user.clone(), request.clone());
    let key_of = move |conn: &mut DbConnection| key_asked(conn, &reader, &asked, now);
    let count = move |conn: &mut DbConnection, (scope, grouping): &SummaryKey| {
        let (rows, totals) = count_summary(conn, scope, *grouping)?;
        Ok(Summary {
            from: request.from,
            to: request.to,
            group: *grouping,
            missions: scope.missions.clone(),
            rows,
            totals,
        })
    };
    figures_cache::counted(state, &state.summaries, key_of, count).await
}
