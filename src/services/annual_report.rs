//! The annual accountability report: for leadership (their missions, or all) and legal officers
//! (their missions), and, for a State's focal point, its State's part. The unclassified edition
//! counts only unclassified records whatever the reader's clearance; the internal edition what
//! the reader may count, saying the highest classification it drew on.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use prometheus::IntCounter;
use serde_json::json;
use uuid::Uuid;

use crate::AppState;
use crate::auth::{Actor, policy};
use crate::clock::Clock;
use crate::db::{DbConnection, write_transaction};
use crate::domain::access::{Clearance, Role};
use crate::domain::annual_report::{
    AnnualReport, Period, ReportRows, SinceIssued, assemble, changes_since,
};
use crate::domain::snapshot::{self, ChangeFacts};
use crate::error::{AppError, AppResult};
use crate::services::figures_cache::{self, FiguresCache, Reuse};
use crate::store::annual_report::{self as store, ReportScope};
use crate::store::audit;
use crate::store::issued_reports::{self as issued_store, IssuedReportRow};
use crate::store::registry_state::UNCOUNTED_ACTIONS;

/// What a report is asked for.
#[derive(Debug, Clone, Copy)]
pub struct ReportRequest {
    pub period: Period,
    /// The edition that can be published: unclassified records only.
    pub unclassified: bool,
    /// The accused's names, for a reader who may see them (a download leaves them out unless
    /// asked for).
    pub names: bool,
}

const READERS: [Role; 2] = [Role::Leadership, Role::LegalOfficer];

/// Leadership and legal officers read the report (403, recorded, to others).
pub fn check_may_read(conn: &mut DbConnection, user: &Actor, now: NaiveDateTime) -> AppResult<()> {
    policy::require_role(conn, user, &READERS, "reports.annual", now)
}

/// A State's focal point reads its State's part (403, recorded, to others).
pub fn check_may_read_state(
    conn: &mut DbConnection,
    user: &Actor,
    now: NaiveDateTime,
) -> AppResult<()> {
    policy::require_role(
        conn,
        user,
        &[Role::StateFocalPoint],
        "state.reports.annual",
        now,
    )
}

/// What a report's rows were counted for: what the reader may count, the period, and the day
/// the stalled cases are counted as of.
type ReportKey = (ReportScope, Period, NaiveDate);

/// The rows of reports already counted, while nothing they count has changed (see
/// `figures_cache`).
pub type ReportCache = FiguresCache<ReportKey, ReportRows>;

pub fn new_cache(times_counted: IntCounter, clock: Arc<dyn Clock>) -> ReportCache {
    // The report counts the assistance given, which the summaries do not.
    let uncounted = UNCOUNTED_ACTIONS
        .into_iter()
        .filter(|action| !action.starts_with("assistance."))
        .collect();
    FiguresCache::new(Reuse::WhileUnchanged, uncounted, times_counted, clock)
}

/// The report over the missions the reader works on (all, for headquarters); for a State's
/// focal point, its State's part (`state_annual`).
pub async fn annual(
    state: &AppState,
    user: &Actor,
    request: ReportRequest,
    now: NaiveDateTime,
) -> AppResult<AnnualReport> {
    if user.role == Role::StateFocalPoint {
        return state_annual(state, user, request, now).await;
    }
    let missions = (!user.all_missions).then(|| user.missions.clone());
    // Names are personal data: for readers cleared `confidential`, who work on every mission
    // the report covers, and never in the edition to publish.
    let with_names =
        request.names && !request.unclassified && user.clearance >= Clearance::Confidential;
    let part = Part {
        missions,
        host: None,
        with_names,
    };
    report(state, user, request, part, check_may_read, now).await
}

/// A State's part of the report, for its focal point: the cases before its courts (with the
/// assistance it received), and its nationals in the attacks of the period.
pub async fn state_annual(
    state: &AppState,
    user: &Actor,
    request: ReportRequest,
    now: NaiveDateTime,
) -> AppResult<AnnualReport> {
    let Some(host) = user.state.clone() else {
        // Only a focal point has a State: the guard refuses (and records) anyone else.
        let reader = user.clone();
        state
            .run(move |conn| check_may_read_state(conn, &reader, now))
            .await?;
        return Err(AppError::internal("a focal point without a State"));
    };
    // As in the State view: the host State reads the accused's names with clearance
    // `confidential`.
    let with_names =
        request.names && !request.unclassified && user.clearance >= Clearance::Confidential;
    let part = Part {
        missions: None,
        host: Some(host),
        with_names,
    };
    report(state, user, request, part, check_may_read_state, now).await
}

/// Which part of the report a reader reads.
struct Part {
    /// The missions counted (`None`: all).
    missions: Option<Vec<String>>,
    /// The host State whose part this is, for its focal point.
    host: Option<String>,
    with_names: bool,
}

type Guard = fn(&mut DbConnection, &Actor, NaiveDateTime) -> AppResult<()>;

async fn report(
    state: &AppState,
    user: &Actor,
    request: ReportRequest,
    part: Part,
    guard: Guard,
    now: NaiveDateTime,
) -> AppResult<AnnualReport> {
    let ceiling = if request.unclassified {
        Clearance::Unclassified
    } else {
        user.clearance
    };
    let scope = ReportScope {
        missions: part.missions.clone(),
        classifications: Clearance::ALL
            .into_iter()
            .filter(|c| *c <= ceiling)
            .collect(),
    };
    let key = (scope, request.period, request.period.to.min(now.date()));
    let reader = user.clone();
    let key_of = move |conn: &mut DbConnection| {
        guard(conn, &reader, now)?;
        Ok(key.clone())
    };
    let count = |conn: &mut DbConnection, (scope, period, as_of): &ReportKey| {
        store::rows(conn, scope, *period, *as_of)
    };
    let rows = figures_cache::counted(state, &state.annual_reports, key_of, count).await?;
    let reader = user.clone();
    state
        .run(move |conn| finish(conn, &reader, request, part, &rows, now))
        .await
}

/// The report made from its rows, with what changed since it was last issued.
fn finish(
    conn: &mut DbConnection,
    user: &Actor,
    request: ReportRequest,
    part: Part,
    rows: &ReportRows,
    now: NaiveDateTime,
) -> AppResult<AnnualReport> {
    let drew_on = rows.drew_on(part.host.as_deref());
    let mut tables = assemble(request.period, rows, part.with_names, now.date());
    if let Some(host) = &part.host {
        tables = tables.part_of(host);
    }
    let mut report = AnnualReport {
        period: request.period,
        edition: if request.unclassified {
            "unclassified"
        } else {
            "internal"
        }
        .to_string(),
        classification: drew_on.code().to_string(),
        missions: part.missions,
        state: part.host,
        tables,
        since_issued: None,
    };
    if report.state.is_none() {
        report.since_issued = since_issued(conn, user, &report)?;
    }
    // Names of accused persons leave the registry in it: that is recorded, as for an export.
    if names_in(&report) {
        let details = json!({
            "period_from": report.period.from,
            "period_to": report.period.to,
            "edition": report.edition,
            "state": report.state,
            "names": true,
        });
        audit::append_alone(
            conn,
            &user.audit(now),
            "report.annual.read",
            "report",
            None,
            details,
        )?;
    }
    Ok(report)
}

/// Whether the report names accused persons.
fn names_in(report: &AnnualReport) -> bool {
    report
        .tables
        .judgments
        .iter()
        .any(|j| j.verdicts.iter().any(|v| v.name.is_some()))
}

/// Whether the user could read this report as it was issued: a reader of reports whose
/// missions cover its missions, whose clearance covers what it drew on (for the internal
/// edition) and, if it names accused persons, is `confidential` or higher.
fn may_read_issued(user: &Actor, row: &IssuedReportRow) -> bool {
    let missions_covered = user.all_missions
        || (!row.missions.is_empty()
            && row
                .missions
                .split(',')
                .all(|m| user.missions.iter().any(|mine| mine == m)));
    let cleared = row.edition == "unclassified"
        || Clearance::from_code(&row.classification).is_some_and(|c| c <= user.clearance);
    let names_allowed = !row.with_names || user.clearance >= Clearance::Confidential;
    READERS.contains(&user.role) && missions_covered && cleared && names_allowed
}

/// The missions of a report as stored with an issued one: comma-separated in order, empty for
/// all.
fn missions_key(missions: &Option<Vec<String>>) -> String {
    let mut missions = missions.clone().unwrap_or_default();
    missions.sort();
    missions.join(",")
}

/// What changed since the report was last issued for the same period, edition and missions,
/// to a reader who could read that report as issued.
fn since_issued(
    conn: &mut DbConnection,
    user: &Actor,
    report: &AnnualReport,
) -> AppResult<Option<SinceIssued>> {
    let key = missions_key(&report.missions);
    let (from, to) = (report.period.from, report.period.to);
    let Some(issued) = issued_store::latest(conn, from, to, &report.edition, &key)?
        .filter(|row| may_read_issued(user, row))
    else {
        return Ok(None);
    };
    let as_issued: AnnualReport = serde_json::from_str(&issued.body)
        .map_err(|e| AppError::internal(format!("an issued report that does not read: {e}")))?;
    Ok(Some(SinceIssued {
        changes: changes_since(&as_issued, report),
        id: issued.id,
        issued_at: issued.issued_at.and_utc(),
        sha256: issued.sha256,
    }))
}

/// Leadership issues reports (403, recorded, to others).
pub fn check_may_issue(conn: &mut DbConnection, user: &Actor, now: NaiveDateTime) -> AppResult<()> {
    policy::require_role(conn, user, &[Role::Leadership], "reports.issue", now)
}

/// Issues the report as it stands (leadership): its text is kept byte for byte, and its
/// SHA-256 goes into the audit trail, which verifies it from then on.
pub async fn issue(
    state: &AppState,
    user: &Actor,
    request: ReportRequest,
    now: NaiveDateTime,
) -> AppResult<IssuedReportRow> {
    let reader = user.clone();
    state
        .run(move |conn| check_may_issue(conn, &reader, now))
        .await?;
    let mut report = annual(state, user, request, now).await?;
    report.since_issued = None;
    let body = serde_json::to_string(&report).map_err(AppError::internal)?;
    let row = IssuedReportRow {
        id: Uuid::now_v7().to_string(),
        period_from: report.period.from,
        period_to: report.period.to,
        edition: report.edition.clone(),
        missions: missions_key(&report.missions),
        classification: report.classification.clone(),
        sha256: snapshot::digest(&body),
        with_names: names_in(&report),
        body,
        issued_by: user.id.clone(),
        issued_at: now,
    };
    let user = user.clone();
    state
        .run(move |conn| {
            write_transaction(conn, |conn| {
                issued_store::insert(conn, &row)?;
                let mut details = ChangeFacts {
                    mission: None,
                    classification: Some(&row.classification),
                    version_from: None,
                    version_to: 1,
                    status_from: None,
                    status_to: None,
                    fields: Vec::new(),
                    counts: Vec::new(),
                    snapshot_sha256: row.sha256.clone(),
                    author: Some(&user.id),
                }
                .details();
                details["period_from"] = json!(row.period_from);
                details["period_to"] = json!(row.period_to);
                details["edition"] = json!(row.edition);
                details["missions"] = json!(row.missions);
                audit::append(
                    conn,
                    &user.audit(now),
                    "report.issue",
                    "report",
                    Some(&row.id),
                    details,
                )?;
                Ok::<_, AppError>(row)
            })
        })
        .await
}

/// An issued report, unchanged, to those who could read it as issued (`may_read_issued`; 404,
/// recorded, to others).
pub fn issued(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<IssuedReportRow> {
    check_may_read(conn, user, now)?;
    let found = issued_store::find(conn, id)?.filter(|row| may_read_issued(user, row));
    match found {
        Some(row) => Ok(row),
        None => Err(policy::hide(
            conn,
            user,
            "reports.issued.read",
            ("report", id),
            now,
        )),
    }
}
