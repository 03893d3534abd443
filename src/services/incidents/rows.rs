//! How an incident's rows and its domain content become one another: one conversion each way.

use serde_json::json;

use super::Incident;
use crate::domain::access::Clearance;
use crate::domain::incident::{IncidentData, Perpetrator, Source, Victim};
use crate::error::{AppError, AppResult};
use crate::store::incidents::{Children, IncidentRow, PerpetratorRow, SourceRow, VictimRow};

impl TryFrom<(IncidentRow, Children)> for Incident {
    type Error = AppError;

    /// An incident read back: a code or list the registry cannot read is an error, not a guess.
    fn try_from((row, children): (IncidentRow, Children)) -> AppResult<Incident> {
        let data = IncidentData {
            mission: row.mission_code.clone(),
            classification: Clearance::try_from(row.classification.as_str())?,
            occurred_at: row.occurred_at,
            time_precision: row.time_precision.clone(),
            occurred_until: row.occurred_until,
            place_name: row.place_name.clone(),
            admin1: row.admin1.clone(),
            admin2: row.admin2.clone(),
            latitude: row.latitude,
            longitude: row.longitude,
            geo_precision: row.geo_precision.clone(),
            location_type: row.location_type.clone(),
            attack_type: row.attack_type.clone(),
            weapons: serde_json::from_str(&row.weapons).map_err(AppError::internal)?,
            perpetrators: children
                .perpetrators
                .into_iter()
                .map(Perpetrator::from)
                .collect(),
            victims: children.victims.into_iter().map(Victim::from).collect(),
            sources: children.sources.into_iter().map(Source::from).collect(),
            summary: row.summary.clone(),
            narrative: row.narrative.clone(),
        };
        Ok(Incident { row, data })
    }
}

/// The incident's lists as the rows that store them, in their order.
pub(super) fn children_of(id: &str, data: &IncidentData) -> Children {
    Children {
        victims: data
            .victims
            .iter()
            .enumerate()
            .map(|(i, v)| VictimRow {
                incident_id: id.to_string(),
                position: i as i32,
                personnel_type: v.personnel_type.clone(),
                nationality: v.nationality.clone(),
                gender: v.gender.clone(),
                outcome: v.outcome.clone(),
                casualty_id: v.casualty_id.clone(),
                name: v.name.clone(),
                unit: v.unit.clone(),
            })
            .collect(),
        perpetrators: data
            .perpetrators
            .iter()
            .enumerate()
            .map(|(i, p)| PerpetratorRow {
                incident_id: id.to_string(),
                position: i as i32,
                actor_name: p.actor_name.clone(),
                actor_type: p.actor_type.clone(),
                attribution: p.attribution.clone(),
                claimed_responsibility: p.claimed_responsibility,
            })
            .collect(),
        sources: data
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| SourceRow {
                incident_id: id.to_string(),
                position: i as i32,
                source_type: s.source_type.clone(),
                description: s.description.clone(),
                received_at: s.received_at,
                reliability: s.reliability.clone(),
                credibility: s.credibility,
            })
            .collect(),
    }
}

impl From<VictimRow> for Victim {
    fn from(v: VictimRow) -> Victim {
        Victim {
            personnel_type: v.personnel_type,
            nationality: v.nationality,
            gender: v.gender,
            outcome: v.outcome,
            casualty_id: v.casualty_id,
            name: v.name,
            unit: v.unit,
        }
    }
}

impl From<PerpetratorRow> for Perpetrator {
    fn from(p: PerpetratorRow) -> Perpetrator {
        Perpetrator {
            actor_name: p.actor_name,
            actor_type: p.actor_type,
            attribution: p.attribution,
            claimed_responsibility: p.claimed_responsibility,
        }
    }
}

impl From<SourceRow> for Source {
    fn from(s: SourceRow) -> Source {
        Source {
            source_type: s.source_type,
            description: s.description,
            received_at: s.received_at,
            reliability: s.reliability,
            credibility: s.credibility,
        }
    }
}

/// Copies the content into the row (the row keeps its identity, status and trail fields).
pub(super) fn fill_row(row: &mut IncidentRow, data: &IncidentData) {
    let [killed, injured, abducted, missing] = data.victim_counts();
    row.mission_code = data.mission.clone();
    row.classification = data.classification.code().to_string();
    row.occurred_at = data.occurred_at;
    row.time_precision = data.time_precision.clone();
    row.occurred_until = data.occurred_until;
    row.place_name = data.place_name.clone();
    row.admin1 = data.admin1.clone();
    row.admin2 = data.admin2.clone();
    row.latitude = data.latitude;
    row.longitude = data.longitude;
    row.geo_precision = data.geo_precision.clone();
    row.location_type = data.location_type.clone();
    row.attack_type = data.attack_type.clone();
    row.weapons = json!(data.weapons).to_string();
    row.summary = data.summary.clone();
    row.narrative = data.narrative.clone();
    row.killed = killed;
    row.injured = injured;
    row.abducted = abducted;
    row.missing = missing;
    refresh_search_text(row);
}

pub(super) fn refresh_search_text(row: &mut IncidentRow) {
    let parts = [
        row.reference.as_deref(),
        Some(row.summary.as_str()),
        Some(row.narrative.as_str()),
        row.place_name.as_deref(),
        row.admin1.as_deref(),
        row.admin2.as_deref(),
    ];
    row.search_text = parts
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" \n ")
        .to_lowercase();
}
