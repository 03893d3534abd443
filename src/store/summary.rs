//! The facts behind the summaries: the incidents that count, their dead, and the cases on them,
//! narrowed to what one reader may count.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{
    case_accused, case_incidents, case_transitions, cases, incident_victims, incidents,
};
use crate::domain::case::CaseStatus;
use crate::domain::summary::{CaseFact, IncidentFact};

/// What a reader may count, and what they asked for.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Missions to count; `None` means all.
    pub missions: Option<Vec<String>>,
    /// Classifications the reader's clearance covers.
    pub classifications: Vec<String>,
    /// Incidents that occurred from this time on...
    pub from: Option<NaiveDateTime>,
    /// ...and before this one.
    pub until: Option<NaiveDateTime>,
}

/// Only submitted and verified incidents count: drafts are not yet reports, withdrawn ones are
/// mistakes.
const COUNTED: [&str; 2] = ["submitted", "verified"];

/// Narrows any query over `incidents` (alone or joined) to the incidents a scope counts.
macro_rules! counted_incidents {
    ($query:expr, $scope:expr) => {{
        let scope: &Scope = $scope;
        let mut query = $query
            .filter(incidents::status.eq_any(COUNTED))
            .filter(incidents::classification.eq_any(scope.classifications.clone()));
        if let Some(missions) = &scope.missions {
            query = query.filter(incidents::mission_code.eq_any(missions.clone()));
        }
        if let Some(from) = scope.from {
            query = query.filter(incidents::occurred_at.ge(from));
        }
        if let Some(until) = scope.until {
            query = query.filter(incidents::occurred_at.lt(until));
        }
        query
    }};
}

type IncidentTuple = (String, String, NaiveDateTime, String, i32, i32, i32, i32);

/// The incidents a scope counts, with their dead and whether a case follows them.
pub fn incident_facts(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<IncidentFact>> {
    let rows: Vec<IncidentTuple> = counted_incidents!(incidents::table.into_boxed(), scope)
        .select((
            incidents::id,
            incidents::mission_code,
            incidents::occurred_at,
            incidents::attack_type,
            incidents::killed,
            incidents::injured,
            incidents::abducted,
            incidents::missing,
        ))
        .load(conn)?;
    let dead: Vec<(String, String, Option<String>)> = counted_incidents!(
        incident_victims::table
            .inner_join(incidents::table)
            .filter(incident_victims::outcome.eq("killed"))
            .into_boxed(),
        scope
    )
    .select((
        incident_victims::incident_id,
        incident_victims::personnel_type,
        incident_victims::nationality,
    ))
    .load(conn)?;
    let with_case: BTreeSet<String> = counted_incidents!(
        case_incidents::table
            .inner_join(incidents::table)
            .into_boxed(),
        scope
    )
    .select(case_incidents::incident_id)
    .load::<String>(conn)?
    .into_iter()
    .collect();

    let mut killed_by_incident: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (incident_id, personnel_type, nationality) in dead {
        killed_by_incident.entry(incident_id).or_default().push((
            personnel_type,
            nationality.unwrap_or_else(|| "unknown".to_string()),
        ));
    }
    Ok(rows
        .into_iter()
        .map(
            |(id, mission, occurred_at, attack_type, killed, injured, abducted, missing)| {
                IncidentFact {
                    has_case: with_case.contains(&id),
                    killed_victims: killed_by_incident.remove(&id).unwrap_or_default(),
                    mission,
                    occurred_on: occurred_at.date(),
                    attack_type,
                    killed: killed.max(0) as u64,
                    injured: injured.max(0) as u64,
                    abducted: abducted.max(0) as u64,
                    missing: missing.max(0) as u64,
                }
            },
        )
        .collect())
}

/// The cases on incidents a scope counts, each dated by its earliest such incident.
pub fn case_facts(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<CaseFact>> {
    let links: Vec<(String, NaiveDateTime)> = counted_incidents!(
        case_incidents::table
            .inner_join(incidents::table)
            .into_boxed(),
        scope
    )
    .select((case_incidents::case_id, incidents::occurred_at))
    .load(conn)?;
    let mut earliest: BTreeMap<String, NaiveDate> = BTreeMap::new();
    for (case_id, occurred_at) in links {
        let day = occurred_at.date();
        earliest
            .entry(case_id)
            .and_modify(|d| *d = (*d).min(day))
            .or_insert(day);
    }
    // With a period asked for, a case whose earliest counted incident lies before it belongs
    // to an earlier period: the narrowed links above may have missed that incident.
    let mut all_links_earliest: BTreeMap<String, NaiveDate> = BTreeMap::new();
    if scope.from.is_some() {
        let unbounded = Scope {
            from: None,
            until: None,
            ..scope.clone()
        };
        let ids: Vec<String> = earliest.keys().cloned().collect();
        for chunk in ids.chunks(500) {
            let rows: Vec<(String, NaiveDateTime)> = counted_incidents!(
                case_incidents::table
                    .inner_join(incidents::table)
                    .filter(case_incidents::case_id.eq_any(chunk))
                    .into_boxed(),
                &unbounded
            )
            .select((case_incidents::case_id, incidents::occurred_at))
            .load(conn)?;
            for (case_id, occurred_at) in rows {
                let day = occurred_at.date();
                all_links_earliest
                    .entry(case_id)
                    .and_modify(|d| *d = (*d).min(day))
                    .or_insert(day);
            }
        }
    }

    let ids: Vec<String> = earliest.keys().cloned().collect();
    let mut facts = Vec::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, String, String, Option<String>)> = cases::table
            .filter(cases::id.eq_any(chunk))
            .select((
                cases::id,
                cases::mission_code,
                cases::status,
                cases::closure_reason,
            ))
            .load(conn)?;
        let steps: Vec<(String, String, NaiveDate)> = case_transitions::table
            .filter(case_transitions::case_id.eq_any(chunk))
            .order((case_transitions::case_id, case_transitions::position))
            .select((
                case_transitions::case_id,
                case_transitions::to_status,
                case_transitions::effective_on,
            ))
            .load(conn)?;
        let verdicts: Vec<(String, String)> = case_accused::table
            .filter(case_accused::case_id.eq_any(chunk))
            .filter(case_accused::verdict.ne("pending"))
            .select((case_accused::case_id, case_accused::verdict))
            .load(conn)?;
        let mut timelines: HashMap<String, Vec<(CaseStatus, NaiveDate)>> = HashMap::new();
        for (case_id, status, on) in steps {
            if let Some(status) = CaseStatus::from_code(&status) {
                timelines.entry(case_id).or_default().push((status, on));
            }
        }
        let mut outcomes: HashMap<String, (u64, u64)> = HashMap::new();
        for (case_id, verdict) in verdicts {
            let entry = outcomes.entry(case_id).or_default();
            match verdict.as_str() {
                "convicted" => entry.0 += 1,
                "acquitted" => entry.1 += 1,
                _ => {}
            }
        }
        for (id, mission, status, closure_reason) in rows {
            let Some(&first) = earliest.get(&id) else {
                continue;
            };
            if all_links_earliest.get(&id).is_some_and(|d| *d < first) {
                continue;
            }
            let (convicted, acquitted) = outcomes.get(&id).copied().unwrap_or_default();
            facts.push(CaseFact {
                mission,
                earliest_incident_on: first,
                status: CaseStatus::from_code(&status).unwrap_or(CaseStatus::Opened),
                closure_reason,
                timeline: timelines.remove(&id).unwrap_or_default(),
                accused_convicted: convicted,
                accused_acquitted: acquitted,
            });
        }
    }
    Ok(facts)
}

/// An open case that has not moved for a while.
#[derive(Debug, Clone, Queryable)]
pub struct StalledRow {
    pub id: String,
    pub mission_code: String,
    pub reference: String,
    pub status: String,
    pub last_moved_on: NaiveDate,
    pub next_action: Option<String>,
    pub next_action_due: Option<NaiveDate>,
    pub lead_officer: String,
}

/// Open cases whose last step is before `moved_before`, oldest first, that have an incident
/// the scope may see (any status but draft, any time).
pub fn stalled(
    conn: &mut DbConnection,
    scope: &Scope,
    moved_before: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<StalledRow>> {
    // A case's incidents are all of its mission, which the outer query narrows.
    let visible = case_incidents::table
        .inner_join(incidents::table)
        .filter(case_incidents::case_id.eq(cases::id))
        .filter(incidents::status.ne("draft"))
        .filter(incidents::classification.eq_any(scope.classifications.clone()));
    let mut query = cases::table
        .filter(cases::status.ne_all(["final", "closed"]))
        .filter(cases::last_moved_on.lt(moved_before))
        .filter(diesel::dsl::exists(visible.select(case_incidents::case_id)))
        .into_boxed();
    if let Some(missions) = &scope.missions {
        query = query.filter(cases::mission_code.eq_any(missions.clone()));
    }
    query
        .order((cases::last_moved_on.asc(), cases::reference.asc()))
        .limit(limit)
        .select((
            cases::id,
            cases::mission_code,
            cases::reference,
            cases::status,
            cases::last_moved_on,
            cases::next_action,
            cases::next_action_due,
            cases::lead_officer,
        ))
        .load(conn)
}
