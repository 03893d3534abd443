//! Incidents, their victims, perpetrators and sources, their versions, their reference numbers.

use chrono::NaiveDateTime;
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Text, Untyped};
use serde::{Deserialize, Serialize};

use crate::db::schema::{
    incident_perpetrators, incident_sources, incident_versions, incident_victims, incidents,
};
use crate::db::stored_time::{StoredTime, StoredTimeOrNull};
use crate::db::{DbConnection, on_own_backend};
use crate::store::audit::{self, NewAuditRecord};

mod list;
mod victims;

pub(crate) use list::like_pattern;
pub use list::{IncidentFilter, ListedIncident, list, list_page};
pub use victims::{
    CasualtyHolder, PersonalData, casualty_ids_in_use, holders_of_casualty_ids,
    incident_of_casualty, nationalities_of, personal_data_of, victims_of,
};

#[derive(
    Debug,
    Clone,
    Queryable,
    QueryableByName,
    Selectable,
    Insertable,
    AsChangeset,
    Identifiable,
    Serialize,
)]
#[diesel(
    table_name = incidents,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct IncidentRow {
    pub id: String,
    pub reference: Option<String>,
    pub mission_code: String,
    pub status: String,
    pub classification: String,
    #[diesel(deserialize_as = StoredTime)]
    pub occurred_at: NaiveDateTime,
    pub time_precision: String,
    #[diesel(deserialize_as = StoredTimeOrNull)]
    pub occurred_until: Option<NaiveDateTime>,
    #[diesel(deserialize_as = StoredTime)]
    pub reported_at: NaiveDateTime,
    pub reported_by: String,
    pub place_name: Option<String>,
    pub admin1: Option<String>,
    pub admin2: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub geo_precision: String,
    pub location_type: String,
    pub attack_type: String,
    pub weapons: String,
    pub summary: String,
    pub narrative: String,
    pub verified_by: Option<String>,
    #[diesel(deserialize_as = StoredTimeOrNull)]
    pub verified_at: Option<NaiveDateTime>,
    pub withdrawn_reason: Option<String>,
    pub killed: i32,
    pub injured: i32,
    pub abducted: i32,
    pub missing: i32,
    pub search_text: String,
    pub version: i64,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
    /// The version last verified, if it ever was.
    pub last_verified_version: Option<i64>,
}

impl IncidentRow {
    /// Submitted again after a verification: an amendment waiting to be verified.
    pub fn amendment_pending(&self) -> bool {
        self.status == "submitted" && self.last_verified_version.is_some()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = incident_victims, treat_none_as_default_value = false)]
pub struct VictimRow {
    pub incident_id: String,
    pub position: i32,
    pub personnel_type: String,
    pub nationality: Option<String>,
    pub gender: String,
    pub outcome: String,
    pub casualty_id: Option<String>,
    pub name: Option<String>,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = incident_perpetrators, treat_none_as_default_value = false)]
pub struct PerpetratorRow {
    pub incident_id: String,
    pub position: i32,
    pub actor_name: Option<String>,
    pub actor_type: String,
    pub attribution: String,
    pub claimed_responsibility: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = incident_sources, treat_none_as_default_value = false)]
pub struct SourceRow {
    pub incident_id: String,
    pub position: i32,
    pub source_type: String,
    pub description: String,
    #[diesel(deserialize_as = StoredTimeOrNull)]
    pub received_at: Option<NaiveDateTime>,
    pub reliability: String,
    pub credibility: i32,
}

/// The lists that belong to one incident, in their order.
#[derive(Debug, Clone, Default)]
pub struct Children {
    pub victims: Vec<VictimRow>,
    pub perpetrators: Vec<PerpetratorRow>,
    pub sources: Vec<SourceRow>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = incident_versions, treat_none_as_default_value = false)]
pub struct VersionRow {
    pub incident_id: String,
    pub version: i64,
    pub action: String,
    pub changed_at: NaiveDateTime,
    pub changed_by: String,
    pub reason: Option<String>,
    pub changes: String,
    pub snapshot: String,
}

fn insert(conn: &mut DbConnection, row: &IncidentRow, children: &Children) -> QueryResult<()> {
    on_own_backend!(conn, |own| diesel::insert_into(incidents::table)
        .values(row)
        .execute(own))?;
    insert_children(conn, children)
}

/// A new incident with its lists, its first version and the audit record of its creation.
/// PostgreSQL takes them in one statement, one round trip instead of one a table; SQLite, in the process, one statement a row.
pub fn insert_recorded(
    conn: &mut DbConnection,
    row: &IncidentRow,
    children: &Children,
    version: &VersionRow,
    record: &NewAuditRecord,
) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        let rows = RecordedRows {
            incident: row,
            victims: &children.victims,
            perpetrators: &children.perpetrators,
            sources: &children.sources,
            version,
            audit: record,
        };
        return insert_recorded_as_json(pg, rows);
    }
    insert(conn, row, children)?;
    insert_version(conn, version)?;
    audit::insert(conn, record)?;
    Ok(())
}

/// The rows `insert_recorded` writes on PostgreSQL, sent as one JSON parameter. Its keys are
/// the columns' names, which are the row structs' field names: a field renamed for serde would
/// leave its column NULL (`rows_sent_as_json_name_every_column` in tests/it/incidents.rs checks
/// every key against the tables).
#[derive(Serialize)]
struct RecordedRows<'a> {
    incident: &'a IncidentRow,
    victims: &'a [VictimRow],
    perpetrators: &'a [PerpetratorRow],
    sources: &'a [SourceRow],
    version: &'a VersionRow,
    audit: &'a NewAuditRecord,
}

/// The text of `insert_recorded`'s statement on PostgreSQL before its one parameter, and the
/// text after it (`INSERT_RECORDED_AFTER_PARAMETER`).
const INSERT_RECORDED_BEFORE_PARAMETER: &str = "WITH given AS (SELECT ";

/// The statement of `insert_recorded` on PostgreSQL, whose one parameter is `RecordedRows` as
/// JSON. Its shape:
///
/// ```sql
/// WITH given AS (SELECT $1::json AS rows),
///   incident AS (INSERT INTO incidents (...) SELECT ... FROM given,
///                json_populate_record(NULL::incidents, given.rows -> 'incident')),
///   victims AS (... json_populate_recordset(NULL::incident_victims, given.rows -> 'victims')),
///   perpetrators AS (...), sources AS (...), version AS (...)
/// INSERT INTO audit_log (...) SELECT ... FROM given, json_populate_record(...)
/// ```
///
/// Diesel numbers parameters as it writes them, so the text is given in two: what comes before
/// the parameter (`INSERT_RECORDED_BEFORE_PARAMETER`) and this, what comes after. The lists go as JSON arrays, so that the text is the
/// same whatever their length and the statement stays prepared. The lists' references to the
/// incident written beside them are checked at the end of the statement. Columns are named one
/// by one, so that a column added later keeps its default.
const INSERT_RECORDED_AFTER_PARAMETER: &str = "::json AS rows), \
   incident AS ( \
     INSERT INTO incidents (id, reference, mission_code, status, classification, occurred_at, \
       time_precision, occurred_until, reported_at, reported_by, place_name, admin1, admin2, \
       latitude, longitude, geo_precision, location_type, attack_type, weapons, summary, \
       narrative, verified_by, verified_at, withdrawn_reason, killed, injured, abducted, \
       missing, search_text, version, created_at, updated_at, last_verified_version) \
     SELECT id, reference, mission_code, status, classification, occurred_at, time_precision, \
       occurred_until, reported_at, reported_by, place_name, admin1, admin2, latitude, \
       longitude, geo_precision, location_type, attack_type, weapons, summary, narrative, \
       verified_by, verified_at, withdrawn_reason, killed, injured, abducted, missing, \
       search_text, version, created_at, updated_at, last_verified_version \
     FROM given, json_populate_record(NULL::incidents, given.rows -> 'incident')), \
   victims AS ( \
     INSERT INTO incident_victims (incident_id, position, personnel_type, nationality, gender, \
       outcome, casualty_id, name, unit) \
     SELECT incident_id, position, personnel_type, nationality, gender, outcome, casualty_id, \
       name, unit \
     FROM given, json_populate_recordset(NULL::incident_victims, given.rows -> 'victims')), \
   perpetrators AS ( \
     INSERT INTO incident_perpetrators (incident_id, position, actor_name, actor_type, \
       attribution, claimed_responsibility) \
     SELECT incident_id, position, actor_name, actor_type, attribution, claimed_responsibility \
     FROM given, \
       json_populate_recordset(NULL::incident_perpetrators, given.rows -> 'perpetrators')), \
   sources AS ( \
     INSERT INTO incident_sources (incident_id, position, source_type, description, \
       received_at, reliability, credibility) \
     SELECT incident_id, position, source_type, description, received_at, reliability, \
       credibility \
     FROM given, json_populate_recordset(NULL::incident_sources, given.rows -> 'sources')), \
   version AS ( \
     INSERT INTO incident_versions (incident_id, version, action, changed_at, changed_by, \
       reason, changes, snapshot) \
     SELECT incident_id, version, action, changed_at, changed_by, reason, changes, snapshot \
     FROM given, json_populate_record(NULL::incident_versions, given.rows -> 'version')) \
   INSERT INTO audit_log (occurred_at, actor_id, actor_username, action, entity_type, \
     entity_id, request_id, client_addr, details, record_hash) \
   SELECT occurred_at, actor_id, actor_username, action, entity_type, entity_id, request_id, \
     client_addr, details, record_hash \
   FROM given, json_populate_record(NULL::audit_log, given.rows -> 'audit')";

/// The statement of `insert_recorded` on PostgreSQL, as a query type of its own so that it
/// stays prepared (see `IncidentWithListsQuery`).
#[derive(QueryId)]
struct InsertRecordedQuery {
    rows: String,
}

impl QueryFragment<Pg> for InsertRecordedQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(INSERT_RECORDED_BEFORE_PARAMETER);
        out.push_bind_param::<Text, _>(&self.rows)?;
        out.push_sql(INSERT_RECORDED_AFTER_PARAMETER);
        Ok(())
    }
}

impl RunQueryDsl<PgConnection> for InsertRecordedQuery {}

fn insert_recorded_as_json(pg: &mut PgConnection, rows: RecordedRows<'_>) -> QueryResult<()> {
    let rows = serde_json::to_string(&rows)
        .map_err(|e| diesel::result::Error::SerializationError(e.into()))?;
    InsertRecordedQuery { rows }.execute(pg)?;
    Ok(())
}

/// On PostgreSQL each list goes in one statement, one round trip. SQLite, in the process, takes
/// them one row at a time: a one-row insert stays prepared, where diesel compiles a multi-row
/// insert anew at every run.
fn insert_children(conn: &mut DbConnection, children: &Children) -> QueryResult<()> {
    match conn {
        DbConnection::Postgres(pg) => {
            if !children.victims.is_empty() {
                diesel::insert_into(incident_victims::table)
                    .values(&children.victims)
                    .execute(pg)?;
            }
            if !children.perpetrators.is_empty() {
                diesel::insert_into(incident_perpetrators::table)
                    .values(&children.perpetrators)
                    .execute(pg)?;
            }
            if !children.sources.is_empty() {
                diesel::insert_into(incident_sources::table)
                    .values(&children.sources)
                    .execute(pg)?;
            }
        }
        DbConnection::Sqlite(sqlite) => {
            for victim in &children.victims {
                diesel::insert_into(incident_victims::table)
                    .values(victim)
                    .execute(sqlite)?;
            }
            for perpetrator in &children.perpetrators {
                diesel::insert_into(incident_perpetrators::table)
                    .values(perpetrator)
                    .execute(sqlite)?;
            }
            for source in &children.sources {
                diesel::insert_into(incident_sources::table)
                    .values(source)
                    .execute(sqlite)?;
            }
        }
    }
    Ok(())
}

/// Replaces the lists whole, as an update of the incident does.
pub fn replace_children(conn: &mut DbConnection, id: &str, children: &Children) -> QueryResult<()> {
    diesel::delete(incident_victims::table.filter(incident_victims::incident_id.eq(id)))
        .execute(conn)?;
    diesel::delete(incident_perpetrators::table.filter(incident_perpetrators::incident_id.eq(id)))
        .execute(conn)?;
    diesel::delete(incident_sources::table.filter(incident_sources::incident_id.eq(id)))
        .execute(conn)?;
    insert_children(conn, children)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<IncidentRow>> {
    on_own_backend!(conn, |own| incidents::table
        .find(id)
        .select(IncidentRow::as_select())
        .first(own)
        .optional())
}

/// An incident with its lists. PostgreSQL answers in one statement, the lists gathered as JSON
/// arrays: one round trip to the database instead of four.
/// SQLite answers in the process itself, with no round trip to save.
pub fn find_with_children(
    conn: &mut DbConnection,
    id: &str,
) -> QueryResult<Option<(IncidentRow, Children)>> {
    if let DbConnection::Postgres(pg) = conn {
        return find_with_children_as_json(pg, id);
    }
    // One read transaction: the row and its lists as of one moment, even while a change
    // commits between the statements.
    conn.transaction(|conn| {
        let Some(row) = find(conn, id)? else {
            return Ok(None);
        };
        let children = children(conn, id)?;
        Ok(Some((row, children)))
    })
}

/// The incident and each of its lists as a JSON array of its rows, in their order; the arrays'
/// keys are the columns' names, which are the row structs' field names. The incident's columns
/// are named one by one, as `IncidentRow` has them: PostgreSQL refuses to run a prepared
/// statement whose columns changed, which `incidents.*` would do when a column is added.
const INCIDENT_WITH_LISTS: &str = "SELECT incidents.id, incidents.reference, \
     incidents.mission_code, incidents.status, incidents.classification, incidents.occurred_at, \
     incidents.time_precision, incidents.occurred_until, incidents.reported_at, \
     incidents.reported_by, incidents.place_name, incidents.admin1, incidents.admin2, \
     incidents.latitude, incidents.longitude, incidents.geo_precision, incidents.location_type, \
     incidents.attack_type, incidents.weapons, incidents.summary, incidents.narrative, \
     incidents.verified_by, incidents.verified_at, incidents.withdrawn_reason, incidents.killed, \
     incidents.injured, incidents.abducted, incidents.missing, incidents.search_text, \
     incidents.version, incidents.created_at, incidents.updated_at, \
     incidents.last_verified_version, \
     (SELECT coalesce(json_agg(v ORDER BY v.position), '[]')::text \
      FROM incident_victims v WHERE v.incident_id = incidents.id) AS victims, \
     (SELECT coalesce(json_agg(p ORDER BY p.position), '[]')::text \
      FROM incident_perpetrators p WHERE p.incident_id = incidents.id) AS perpetrators, \
     (SELECT coalesce(json_agg(s ORDER BY s.position), '[]')::text \
      FROM incident_sources s WHERE s.incident_id = incidents.id) AS sources \
     FROM incidents WHERE incidents.id = ";

/// `INCIDENT_WITH_LISTS` as a query type of its own. Diesel keeps statements prepared, found by
/// their type or their SQL text, but not those given as SQL text (`sql_query`, `sql`), which
/// mark themselves unsafe to keep: prepared anew at each read, this one cost more than the
/// round trips it saves.
#[derive(QueryId)]
struct IncidentWithListsQuery {
    id: String,
}

impl Query for IncidentWithListsQuery {
    type SqlType = Untyped;
}

impl RunQueryDsl<PgConnection> for IncidentWithListsQuery {}

impl QueryFragment<Pg> for IncidentWithListsQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(INCIDENT_WITH_LISTS);
        out.push_bind_param::<Text, _>(&self.id)
    }
}

#[derive(QueryableByName)]
struct IncidentWithLists {
    #[diesel(embed)]
    incident: IncidentRow,
    #[diesel(sql_type = Text)]
    victims: String,
    #[diesel(sql_type = Text)]
    perpetrators: String,
    #[diesel(sql_type = Text)]
    sources: String,
}

fn find_with_children_as_json(
    pg: &mut PgConnection,
    id: &str,
) -> QueryResult<Option<(IncidentRow, Children)>> {
    let found = IncidentWithListsQuery { id: id.to_string() }
        .get_result::<IncidentWithLists>(pg)
        .optional()?;
    let Some(found) = found else {
        return Ok(None);
    };
    let children = Children {
        victims: rows_from_json(&found.victims)?,
        perpetrators: rows_from_json(&found.perpetrators)?,
        sources: rows_from_json(&found.sources)?,
    };
    Ok(Some((found.incident, children)))
}

/// A list's rows from its JSON array. The error says where the array went wrong, never what it
/// held: a victim's name must not reach the logs.
fn rows_from_json<T: for<'de> Deserialize<'de>>(json: &str) -> QueryResult<Vec<T>> {
    serde_json::from_str(json).map_err(|e| {
        let place = format!(
            "an incident's list came back unreadable at line {}, column {}",
            e.line(),
            e.column()
        );
        diesel::result::Error::DeserializationError(place.into())
    })
}

/// Incidents with ids after `after_id`, by id, with their lists: a batch for the checks that
/// read every incident.
pub fn batch_after(
    conn: &mut DbConnection,
    after_id: &str,
    limit: i64,
) -> QueryResult<Vec<(IncidentRow, Children)>> {
    let rows: Vec<IncidentRow> = incidents::table
        .filter(incidents::id.gt(after_id))
        .order(incidents::id.asc())
        .limit(limit)
        .select(IncidentRow::as_select())
        .load(conn)?;
    with_children(conn, rows)
}

/// These incidents (those that exist), by id, with their lists.
pub fn batch_of(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<Vec<(IncidentRow, Children)>> {
    let rows: Vec<IncidentRow> = incidents::table
        .filter(incidents::id.eq_any(ids))
        .order(incidents::id.asc())
        .select(IncidentRow::as_select())
        .load(conn)?;
    with_children(conn, rows)
}

/// Each row with its lists, read in one query a list for the whole batch.
fn with_children(
    conn: &mut DbConnection,
    rows: Vec<IncidentRow>,
) -> QueryResult<Vec<(IncidentRow, Children)>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut victims: Vec<VictimRow> = incident_victims::table
        .filter(incident_victims::incident_id.eq_any(&ids))
        .order((incident_victims::incident_id, incident_victims::position))
        .select(VictimRow::as_select())
        .load(conn)?;
    let mut perpetrators: Vec<PerpetratorRow> = incident_perpetrators::table
        .filter(incident_perpetrators::incident_id.eq_any(&ids))
        .order((
            incident_perpetrators::incident_id,
            incident_perpetrators::position,
        ))
        .select(PerpetratorRow::as_select())
        .load(conn)?;
    let mut sources: Vec<SourceRow> = incident_sources::table
        .filter(incident_sources::incident_id.eq_any(&ids))
        .order((incident_sources::incident_id, incident_sources::position))
        .select(SourceRow::as_select())
        .load(conn)?;
    // Rows and lists are both in id order: each incident takes the front of each list.
    let mut batch = Vec::with_capacity(rows.len());
    for row in rows {
        let children = Children {
            victims: take_front(&mut victims, |v| v.incident_id == row.id),
            perpetrators: take_front(&mut perpetrators, |p| p.incident_id == row.id),
            sources: take_front(&mut sources, |s| s.incident_id == row.id),
        };
        batch.push((row, children));
    }
    Ok(batch)
}

/// The items at the front of `list` that `belongs` accepts, taken out of it.
fn take_front<T>(list: &mut Vec<T>, belongs: impl Fn(&T) -> bool) -> Vec<T> {
    let count = list.iter().take_while(|item| belongs(item)).count();
    list.drain(..count).collect()
}

/// A stored version as the audit check reads it: (incident, version, action, author, snapshot).
pub type StoredVersion = (String, i64, String, String, String);

/// The stored versions of these incidents.
pub fn snapshots_of(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<StoredVersion>> {
    incident_versions::table
        .filter(incident_versions::incident_id.eq_any(ids))
        .select((
            incident_versions::incident_id,
            incident_versions::version,
            incident_versions::action,
            incident_versions::changed_by,
            incident_versions::snapshot,
        ))
        .load(conn)
}

pub fn children(conn: &mut DbConnection, id: &str) -> QueryResult<Children> {
    on_own_backend!(conn, |own| Ok(Children {
        victims: incident_victims::table
            .filter(incident_victims::incident_id.eq(id))
            .order(incident_victims::position.asc())
            .select(VictimRow::as_select())
            .load(own)?,
        perpetrators: incident_perpetrators::table
            .filter(incident_perpetrators::incident_id.eq(id))
            .order(incident_perpetrators::position.asc())
            .select(PerpetratorRow::as_select())
            .load(own)?,
        sources: incident_sources::table
            .filter(incident_sources::incident_id.eq(id))
            .order(incident_sources::position.asc())
            .select(SourceRow::as_select())
            .load(own)?,
    }))
}

/// Writes the whole row when the stored version is still `expected_version`; false otherwise.
/// The row carries its next version.
pub fn update(
    conn: &mut DbConnection,
    row: &IncidentRow,
    expected_version: i64,
) -> QueryResult<bool> {
    let updated = diesel::update(
        incidents::table
            .filter(incidents::id.eq(&row.id))
            .filter(incidents::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn insert_version(conn: &mut DbConnection, version: &VersionRow) -> QueryResult<()> {
    on_own_backend!(conn, |own| diesel::insert_into(incident_versions::table)
        .values(version)
        .execute(own))?;
    Ok(())
}

pub fn versions(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<VersionRow>> {
    incident_versions::table
        .filter(incident_versions::incident_id.eq(id))
        .order(incident_versions::version.asc())
        .select(VersionRow::as_select())
        .load(conn)
}

/// Each version's number, action and author, oldest first: what the two-person rule reads.
pub fn authorship(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<(i64, String, String)>> {
    incident_versions::table
        .filter(incident_versions::incident_id.eq(id))
        .order(incident_versions::version.asc())
        .select((
            incident_versions::version,
            incident_versions::action,
            incident_versions::changed_by,
        ))
        .load(conn)
}
