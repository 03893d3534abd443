//! A State's own summary, per year: its cases as host State and its nationals among the
//! victims, counted from exactly what its focal point may read (the same guard as the lists),
//! with the counting rules of `domain::state_summary`.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use super::*;
use crate::domain::case::CaseStatus;
use crate::domain::state_summary::{HostFigures, HostYear, NationalsFigures, NationalsYear};

/// How many records are read at a time.
const BATCH: i64 = 500;

/// The years a summary covers, both included; every year when neither is given.
#[derive(Debug, Clone, Copy, Default)]
pub struct SummaryRequest {
    pub from_year: Option<i32>,
    pub to_year: Option<i32>,
}

impl SummaryRequest {
    fn covers(&self, year: i32) -> bool {
        self.from_year.is_none_or(|from| year >= from) && self.to_year.is_none_or(|to| year <= to)
    }
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct StateSummary {
    /// The State (ISO3).
    pub state: String,
    /// As host State: the cases before its courts, by the year of their earliest attack that
    /// reaches the State.
    pub host: Vec<HostYear>,
    /// As country of nationality: its nationals among the victims, by the year of the attack.
    pub nationals: Vec<NationalsYear>,
}

/// The summary of the reader's State (403, recorded, to any other account).
pub fn summary(
    conn: &mut DbConnection,
    user: &Actor,
    request: SummaryRequest,
    now: NaiveDateTime,
) -> AppResult<StateSummary> {
    let state = state_of(conn, user, "state.summary", "summary", now)?.to_string();
    let host = host_years(conn, user, &state, request)?;
    let nationals = nationals_years(conn, user, &state, request)?;
    record_read(
        conn,
        user,
        now,
        "summary",
        None,
        json!({ "from_year": request.from_year, "to_year": request.to_year }),
    )?;
    Ok(StateSummary {
        state,
        host,
        nationals,
    })
}

fn host_years(
    conn: &mut DbConnection,
    user: &Actor,
    state: &str,
    request: SummaryRequest,
) -> AppResult<Vec<HostYear>> {
    let mut figures = HostFigures::default();
    let mut after = None;
    loop {
        let filter = CaseFilter {
            classifications_allowed: Some(allowed_classifications(user.clearance)),
            state_part: Some((state.to_string(), Relation::Host)),
            after: after.clone(),
            ..Default::default()
        };
        let rows = case_store::list(conn, &filter, BATCH)?;
        let Some(last) = rows.last() else { break };
        after = Some((last.urgency, last.id.clone()));
        let full = rows.len() as i64 == BATCH;
        for case in with_parts(conn, rows)? {
            let relations = case.found.relations(user);
            if !relations.contains(&Relation::Host) {
                continue;
            }
            // Counted by the earliest attack the State may see, as the missions' summary
            // counts a case by its earliest counted one.
            let reaching = case.found.reaching(user, &relations);
            let Some(earliest) = reaching.iter().map(|i| i.occurred_at.date()).min() else {
                continue;
            };
            if !request.covers(earliest.year()) {
                continue;
            }
            let steps: Vec<(CaseStatus, NaiveDate)> = case
                .timeline
                .iter()
                .filter_map(|t| Some((CaseStatus::from_code(&t.to_status)?, t.effective_on)))
                .collect();
            let verdicts: Vec<&str> = case.accused.iter().map(|a| a.verdict.as_str()).collect();
            let Some(status) = CaseStatus::from_code(&case.found.row.status) else {
                continue;
            };
            figures.add(
                earliest,
                status,
                case.found.row.closure_reason.clone(),
                &steps,
                &verdicts,
            );
        }
        if !full {
            break;
        }
    }
    Ok(figures.finish())
}

fn nationals_years(
    conn: &mut DbConnection,
    user: &Actor,
    state: &str,
    request: SummaryRequest,
) -> AppResult<Vec<NationalsYear>> {
    let mut figures = NationalsFigures::default();
    let year_start =
        |year: i32| NaiveDate::from_ymd_opt(year, 1, 1).map(|d| d.and_time(chrono::NaiveTime::MIN));
    let mut after = None;
    loop {
        let filter = IncidentFilter {
            classifications_allowed: allowed_classifications(user.clearance),
            from: request.from_year.and_then(year_start),
            to: request
                .to_year
                .and_then(|year| year.checked_add(1))
                .and_then(year_start),
            after: after.clone(),
            state_part: Some((state.to_string(), Relation::Nationality)),
            ..Default::default()
        };
        let rows = incident_store::list(conn, &filter, BATCH)?;
        let Some(last) = rows.last() else { break };
        after = Some((last.occurred_at, last.id.clone()));
        let full = rows.len() as i64 == BATCH;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let victims = incident_store::victims_of(conn, &ids)?;
        let cases = case_store::cases_on(conn, &ids)?;
        for row in &rows {
            let outcomes: Vec<&str> = victims
                .iter()
                .filter(|v| v.incident_id == row.id && v.nationality.as_deref() == Some(state))
                .map(|v| v.outcome.as_str())
                .collect();
            if outcomes.is_empty() {
                continue;
            }
            let on_it: Vec<(&str, &str)> = cases
                .iter()
                .filter(|(incident, ..)| *incident == row.id)
                .map(|(_, case, status)| (case.as_str(), status.as_str()))
                .collect();
            figures.add(row.occurred_at.date(), &outcomes, &on_it);
        }
        if !full {
            break;
        }
    }
    Ok(figures.finish())
}
