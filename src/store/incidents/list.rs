//! Lists of incidents: what a list may show and asks for, one page at a time.

use chrono::NaiveDateTime;
use diesel::helper_types::{InnerJoin, IntoBoxed};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text, Timestamp};

use super::IncidentRow;
use crate::db::DbConnection;

use crate::db::schema::{case_incidents, cases, incident_nationalities, incidents};
use crate::db::stored_time::StoredTime;
use crate::domain::state_part::{REACHING_STATUSES, Relation};

/// The database behind `DbConnection`, whichever it is.
type Backend = <DbConnection as Connection>::Backend;

/// What a list may show and what it asks for.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    /// Missions asked for; empty means every mission the viewer may see.
    pub missions: Vec<String>,
    /// Missions the viewer works on; `None` means all.
    pub viewer_missions: Option<Vec<String>>,
    /// Classifications the viewer's clearance covers.
    pub classifications_allowed: Vec<String>,
    pub include_drafts: bool,
    pub status: Option<String>,
    pub attack_type: Option<String>,
    pub classification: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub fatal: Option<bool>,
    /// Only submitted incidents this user (an id) wrote no content of since their last
    /// verification: those they may verify.
    pub awaiting_verification_by: Option<String>,
    /// Lower-case words that must all appear.
    pub words: Vec<String>,
    /// Continue after this (occurred_at, id), newest first.
    pub after: Option<(NaiveDateTime, String)>,
    /// A State's part, one way it is concerned: only the incidents that reach a State (neither
    /// drafts nor withdrawn) and concern this one that way.
    pub state_part: Option<(String, Relation)>,
}

pub(crate) fn like_pattern(word: &str) -> String {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// What a list shows of an incident: the row without its narrative, search text and the other
/// fields only the incident's own page shows. Lists read and copied those for nothing; on
/// SQLite, with many pages read at once, threads then queued for the allocator.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = incidents)]
pub struct ListedIncident {
    pub id: String,
    pub reference: Option<String>,
    pub mission_code: String,
    pub status: String,
    pub classification: String,
    #[diesel(deserialize_as = StoredTime)]
    pub occurred_at: NaiveDateTime,
    pub time_precision: String,
    pub place_name: Option<String>,
    pub attack_type: String,
    pub summary: String,
    pub killed: i32,
    pub injured: i32,
    pub abducted: i32,
    pub missing: i32,
    pub version: i64,
}

impl From<IncidentRow> for ListedIncident {
    fn from(row: IncidentRow) -> Self {
        ListedIncident {
            id: row.id,
            reference: row.reference,
            mission_code: row.mission_code,
            status: row.status,
            classification: row.classification,
            occurred_at: row.occurred_at,
            time_precision: row.time_precision,
            place_name: row.place_name,
            attack_type: row.attack_type,
            summary: row.summary,
            killed: row.killed,
            injured: row.injured,
            abducted: row.abducted,
            missing: row.missing,
            version: row.version,
        }
    }
}

/// Newest first (by when it happened), keyset-paged on (occurred_at, id), whole rows.
pub fn list(
    conn: &mut DbConnection,
    filter: &IncidentFilter,
    limit: i64,
) -> QueryResult<Vec<IncidentRow>> {
    match nationals_of(filter) {
        Some(state) => with_nationals(filter, state, limit)
            .select(IncidentRow::as_select())
            .load(conn),
        None => matching(filter, limit)
            .select(IncidentRow::as_select())
            .load(conn),
    }
}

/// As `list`, with only what a list shows of each.
pub fn list_page(
    conn: &mut DbConnection,
    filter: &IncidentFilter,
    limit: i64,
) -> QueryResult<Vec<ListedIncident>> {
    match nationals_of(filter) {
        Some(state) => with_nationals(filter, state, limit)
            .select(ListedIncident::as_select())
            .load(conn),
        None => matching(filter, limit)
            .select(ListedIncident::as_select())
            .load(conn),
    }
}

/// The State whose nationals' incidents the filter asks for, if that is what it asks.
fn nationals_of(filter: &IncidentFilter) -> Option<&str> {
    match &filter.state_part {
        Some((state, Relation::Nationality)) => Some(state),
        _ => None,
    }
}

/// Narrows a query of incidents, alone or joined, to what the filter lets through, and orders
/// it newest first by `$at` and `$id` (a time and an incident id, where the query's index holds
/// them), continuing after the cursor by the row of both as SQL (`$key`), `$limit` rows.
macro_rules! narrowed {
    ($query:expr, $filter:expr, $limit:expr, $at:expr, $id:expr, $key:expr) => {{
        let (mut query, filter) = ($query, $filter);
        if let Some(visible) = &filter.viewer_missions {
            query = filter_one_of!(query, incidents::mission_code, visible.as_slice());
        }
        if !filter.missions.is_empty() {
            query = filter_one_of!(query, incidents::mission_code, filter.missions.as_slice());
        }
        query =
            query.filter(incidents::classification.eq_any(filter.classifications_allowed.clone()));
        if !filter.include_drafts {
            query = query.filter(incidents::status.ne("draft"));
        }
        if let Some(status) = &filter.status {
            query = query.filter(incidents::status.eq(status.clone()));
        }
        if let Some(attack_type) = &filter.attack_type {
            query = query.filter(incidents::attack_type.eq(attack_type.clone()));
        }
        if let Some(classification) = &filter.classification {
            query = query.filter(incidents::classification.eq(classification.clone()));
        }
        if let Some(from) = filter.from {
            query = query.filter($at.ge(from));
        }
        if let Some(to) = filter.to {
            query = query.filter($at.lt(to));
        }
        match filter.fatal {
            Some(true) => query = query.filter(incidents::killed.gt(0)),
            Some(false) => query = query.filter(incidents::killed.eq(0)),
            None => {}
        }
        for word in &filter.words {
            query = query.filter(incidents::search_text.like(like_pattern(word)).escape('\\'));
        }
        if let Some(officer) = &filter.awaiting_verification_by {
            let content_actions = crate::domain::verification::CONTENT_ACTIONS
                .map(|action| format!("'{action}'"))
                .join(", ");
            query = query.filter(incidents::status.eq("submitted")).filter(
                diesel::dsl::sql::<Bool>(
                    "NOT EXISTS (SELECT 1 FROM incident_versions written \
                     WHERE written.incident_id = incidents.id AND written.changed_by = ",
                )
                .bind::<Text, _>(officer.clone())
                .sql(&format!(
                    " AND written.action IN ({content_actions}) \
                     AND written.version > COALESCE(incidents.last_verified_version, 0))"
                )),
            );
        }
        if let Some((at, id)) = &filter.after {
            // A row comparison, which both databases read as one range of the index on (time,
            // id), even where thousands of incidents share a time.
            query = query.filter(
                diesel::dsl::sql::<Bool>(&format!("{} < (", $key))
                    .bind::<Timestamp, _>(*at)
                    .sql(", ")
                    .bind::<Text, _>(id.clone())
                    .sql(")"),
            );
        }
        query.order(($at.desc(), $id.desc())).limit($limit)
    }};
}

/// The first `limit` incidents the filter lets through, newest first.
fn matching(filter: &IncidentFilter, limit: i64) -> incidents::BoxedQuery<'static, Backend> {
    let mut query = incidents::table.into_boxed();
    if let Some((state, Relation::Host)) = &filter.state_part {
        query = query
            .filter(incidents::status.eq_any(REACHING_STATUSES))
            .filter(
                incidents::id.eq_any(
                    case_incidents::table
                        .inner_join(cases::table)
                        .filter(cases::jurisdiction_state.eq(state.clone()))
                        .select(case_incidents::incident_id),
                ),
            );
    }
    narrowed!(
        query,
        filter,
        limit,
        incidents::occurred_at,
        incidents::id,
        r#"("incidents"."occurred_at", "incidents"."id")"#
    )
}

/// Incidents and the nationalities of their victims, as one query.
type WithNationalities =
    IntoBoxed<'static, InnerJoin<incident_nationalities::table, incidents::table>, Backend>;

/// The first `limit` incidents with a victim of `state`'s nationality that the filter lets
/// through, newest first: read in the order of the nationalities' index, so that the page ends
/// after `limit` rows however many incidents the State has.
fn with_nationals(filter: &IncidentFilter, state: &str, limit: i64) -> WithNationalities {
    let query = incident_nationalities::table
        .inner_join(incidents::table)
        .into_boxed()
        .filter(incident_nationalities::nationality.eq(state.to_string()))
        .filter(incidents::status.eq_any(REACHING_STATUSES));
    narrowed!(
        query,
        filter,
        limit,
        incident_nationalities::occurred_at,
        incident_nationalities::incident_id,
        r#"("incident_nationalities"."occurred_at", "incident_nationalities"."incident_id")"#
    )
}
