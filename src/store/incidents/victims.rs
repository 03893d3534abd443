//! Victims across incidents: who holds a casualty id, and victims' personal data.

use diesel::prelude::*;

use super::{IncidentRow, VictimRow};
use crate::db::DbConnection;
use crate::db::schema::{incident_nationalities, incident_victims, incidents};

/// Casualty ids among `ids` already given to victims of other incidents.
pub fn casualty_ids_in_use(
    conn: &mut DbConnection,
    ids: &[String],
    except_incident: &str,
) -> QueryResult<Vec<String>> {
    incident_victims::table
        .filter(incident_victims::casualty_id.eq_any(ids))
        .filter(incident_victims::incident_id.ne(except_incident))
        .select(incident_victims::casualty_id.assume_not_null())
        .load(conn)
}

/// An incident that already holds a casualty id, as much as deciding whether to name it takes.
#[derive(Debug, Clone, Queryable)]
pub struct CasualtyHolder {
    pub casualty_id: String,
    pub reference: Option<String>,
    pub mission_code: String,
    pub status: String,
    pub classification: String,
}

/// The incidents other than `except_incident` whose victims hold one of `ids`.
pub fn holders_of_casualty_ids(
    conn: &mut DbConnection,
    ids: &[String],
    except_incident: &str,
) -> QueryResult<Vec<CasualtyHolder>> {
    incident_victims::table
        .inner_join(incidents::table)
        .filter(incident_victims::casualty_id.eq_any(ids))
        .filter(incident_victims::incident_id.ne(except_incident))
        .select((
            incident_victims::casualty_id.assume_not_null(),
            incidents::reference,
            incidents::mission_code,
            incidents::status,
            incidents::classification,
        ))
        .load(conn)
}

/// The incident whose victim has this casualty id.
pub fn incident_of_casualty(
    conn: &mut DbConnection,
    casualty_id: &str,
) -> QueryResult<Option<IncidentRow>> {
    incident_victims::table
        .inner_join(incidents::table)
        .filter(incident_victims::casualty_id.eq(casualty_id))
        .select(IncidentRow::as_select())
        .first(conn)
        .optional()
}

/// A victim's personal data: the incident, the name, the unit.
pub type PersonalData = (String, Option<String>, Option<String>);

/// Victims' names and units (personal data) of these incidents, in their order.
pub fn personal_data_of(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<PersonalData>> {
    incident_victims::table
        .filter(incident_victims::incident_id.eq_any(ids))
        .filter(
            incident_victims::name
                .is_not_null()
                .or(incident_victims::unit.is_not_null()),
        )
        .order((incident_victims::incident_id, incident_victims::position))
        .select((
            incident_victims::incident_id,
            incident_victims::name,
            incident_victims::unit,
        ))
        .load(conn)
}

/// The nationalities of these incidents' victims: (incident id, nationality) pairs, each once.
pub fn nationalities_of(
    conn: &mut DbConnection,
    incident_ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    incident_nationalities::table
        .filter(incident_nationalities::incident_id.eq_any(incident_ids))
        .select((
            incident_nationalities::incident_id,
            incident_nationalities::nationality,
        ))
        .load(conn)
}

/// The victims of these incidents, by incident and position.
pub fn victims_of(conn: &mut DbConnection, incident_ids: &[String]) -> QueryResult<Vec<VictimRow>> {
    incident_victims::table
        .filter(incident_victims::incident_id.eq_any(incident_ids))
        .order((
            incident_victims::incident_id.asc(),
            incident_victims::position.asc(),
        ))
        .select(VictimRow::as_select())
        .load(conn)
}
