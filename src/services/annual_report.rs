//! The annual accountability report: for leadership (their missions, or all) and legal officers
//! (their missions), and, for a State's focal point, its State's part. The unclassified edition
//! counts only unclassified records whatever the reader's clearance; the internal edition what
//! the reader may count, saying the highest classification it drew on.

use chrono::NaiveDateTime;

use crate::auth::{Actor, policy};
use crate::db::DbConnection;
use crate::domain::access::{Clearance, Role};
use crate::domain::annual_report::{AnnualReport, Period, assemble};
use crate::error::{AppError, AppResult};
use crate::store::annual_report::{self as store, ReportScope};
use crate::store::summary::in_one_snapshot;

/// What a report is asked for.
#[derive(Debug, Clone, Copy)]
pub struct ReportRequest {
    pub period: Period,
    /// The edition that can be published: unclassified records only.
    pub unclassified: bool,
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

/// The report over the missions the reader works on (all, for headquarters).
pub fn annual(
    conn: &mut DbConnection,
    user: &Actor,
    request: ReportRequest,
    now: NaiveDateTime,
) -> AppResult<AnnualReport> {
    check_may_read(conn, user, now)?;
    let missions = (!user.all_missions).then(|| user.missions.clone());
    // Names are personal data: for readers cleared `confidential`, who work on every mission
    // the report covers, and never in the edition to publish.
    let with_names = !request.unclassified && user.clearance >= Clearance::Confidential;
    report(conn, user, request, missions, with_names, None)
}

/// A State's part of the report, for its focal point: the cases before its courts (with the
/// assistance it received), and its nationals in the attacks of the period.
pub fn state_annual(
    conn: &mut DbConnection,
    user: &Actor,
    request: ReportRequest,
    now: NaiveDateTime,
) -> AppResult<AnnualReport> {
    check_may_read_state(conn, user, now)?;
    let state = user
        .state
        .clone()
        .ok_or_else(|| AppError::internal("a focal point without a State"))?;
    // As in the State view: the host State reads the accused's names with clearance
    // `confidential`.
    let with_names = !request.unclassified && user.clearance >= Clearance::Confidential;
    report(conn, user, request, None, with_names, Some(state))
}

fn report(
    conn: &mut DbConnection,
    user: &Actor,
    request: ReportRequest,
    missions: Option<Vec<String>>,
    with_names: bool,
    state: Option<String>,
) -> AppResult<AnnualReport> {
    let ceiling = if request.unclassified {
        Clearance::Unclassified
    } else {
        user.clearance
    };
    let scope = ReportScope {
        missions: missions.clone(),
        classifications: Clearance::ALL
            .into_iter()
            .filter(|c| *c <= ceiling)
            .collect(),
    };
    let (rows, drew_on) = in_one_snapshot(conn, |conn| store::rows(conn, &scope, request.period))?;
    let mut tables = assemble(request.period, rows, with_names);
    if let Some(state) = &state {
        tables = tables.part_of(state);
    }
    Ok(AnnualReport {
        period: request.period,
        edition: if request.unclassified {
            "unclassified"
        } else {
            "internal"
        }
        .to_string(),
        classification: drew_on.code().to_string(),
        missions,
        state,
        tables,
    })
}
