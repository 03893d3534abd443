//! What the API answers about incidents: an incident whole, as its reader may see it, a
//! version of its history, and an incident as a list shows it.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::auth::Actor;
use crate::domain::incident::{Perpetrator, Source};
use crate::services::incidents::{Incident, IncidentRow, ListedIncident, VersionRow};

use super::input::etag;

#[derive(Serialize, utoipa::ToSchema)]
pub struct VictimCounts {
    killed: i32,
    injured: i32,
    abducted: i32,
    missing: i32,
}

impl VictimCounts {
    fn of(row: &IncidentRow) -> Self {
        VictimCounts {
            killed: row.killed,
            injured: row.injured,
            abducted: row.abducted,
            missing: row.missing,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VictimView {
    personnel_type: String,
    nationality: Option<String>,
    gender: String,
    outcome: String,
    casualty_id: Option<String>,
    /// Personal data: present only for users cleared `confidential` or higher on the mission.
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IncidentView {
    id: String,
    reference: Option<String>,
    mission: String,
    status: String,
    classification: String,
    #[serde(serialize_with = "crate::http::timestamp::utc")]
    occurred_at: DateTime<Utc>,
    time_precision: String,
    #[serde(serialize_with = "crate::http::timestamp::utc_or_null")]
    occurred_until: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::http::timestamp::utc")]
    reported_at: DateTime<Utc>,
    reported_by: String,
    place_name: Option<String>,
    admin1: Option<String>,
    admin2: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    geo_precision: String,
    location_type: String,
    attack_type: String,
    weapons: Vec<String>,
    perpetrators: Vec<Perpetrator>,
    victims: Vec<VictimView>,
    victim_counts: VictimCounts,
    sources: Vec<SourceView>,
    summary: String,
    narrative: String,
    verified_by: Option<String>,
    #[serde(serialize_with = "crate::http::timestamp::utc_or_null")]
    verified_at: Option<DateTime<Utc>>,
    /// Submitted again by an amendment of the verified version `last_verified_version`: it
    /// waits for an officer who wrote none of the amendment to verify it.
    amendment_pending: bool,
    /// The version last verified (null when it never was).
    last_verified_version: Option<i64>,
    withdrawn_reason: Option<String>,
    version: i64,
    #[serde(serialize_with = "crate::http::timestamp::utc")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::http::timestamp::utc")]
    updated_at: DateTime<Utc>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SourceView {
    source_type: String,
    description: String,
    #[serde(serialize_with = "crate::http::timestamp::utc_or_null")]
    received_at: Option<DateTime<Utc>>,
    reliability: String,
    credibility: i32,
}

impl From<Source> for SourceView {
    fn from(s: Source) -> Self {
        SourceView {
            source_type: s.source_type,
            description: s.description,
            received_at: s.received_at.map(|t| t.and_utc()),
            reliability: s.reliability,
            credibility: s.credibility,
        }
    }
}

pub(super) fn view(incident: Incident, user: &Actor) -> IncidentView {
    let personal = user.viewer().sees_personal_data(&incident.row.mission_code);
    let Incident { row, data } = incident;
    let amendment_pending = row.amendment_pending();
    IncidentView {
        victims: data
            .victims
            .into_iter()
            .map(|v| VictimView {
                personnel_type: v.personnel_type,
                nationality: v.nationality,
                gender: v.gender,
                outcome: v.outcome,
                casualty_id: v.casualty_id,
                name: v.name.filter(|_| personal),
                unit: v.unit.filter(|_| personal),
            })
            .collect(),
        victim_counts: VictimCounts::of(&row),
        sources: data.sources.into_iter().map(SourceView::from).collect(),
        perpetrators: data.perpetrators,
        weapons: data.weapons,
        id: row.id,
        reference: row.reference,
        mission: row.mission_code,
        status: row.status,
        classification: row.classification,
        occurred_at: row.occurred_at.and_utc(),
        time_precision: row.time_precision,
        occurred_until: row.occurred_until.map(|t| t.and_utc()),
        reported_at: row.reported_at.and_utc(),
        reported_by: row.reported_by,
        place_name: row.place_name,
        admin1: row.admin1,
        admin2: row.admin2,
        latitude: row.latitude,
        longitude: row.longitude,
        geo_precision: row.geo_precision,
        location_type: row.location_type,
        attack_type: row.attack_type,
        summary: row.summary,
        narrative: row.narrative,
        verified_by: row.verified_by,
        verified_at: row.verified_at.map(|t| t.and_utc()),
        amendment_pending,
        last_verified_version: row.last_verified_version,
        withdrawn_reason: row.withdrawn_reason,
        version: row.version,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    }
}

pub(super) fn respond(status: StatusCode, incident: Incident, user: &Actor) -> HttpResponse {
    let view = view(incident, user);
    HttpResponse::build(status)
        .insert_header(etag(view.version))
        .json(view)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionView {
    version: i64,
    action: String,
    #[serde(serialize_with = "crate::http::timestamp::utc")]
    changed_at: DateTime<Utc>,
    changed_by: String,
    reason: Option<String>,
    changes: Value,
    incident: Value,
}

impl From<VersionRow> for VersionView {
    fn from(row: VersionRow) -> Self {
        VersionView {
            version: row.version,
            action: row.action,
            changed_at: row.changed_at.and_utc(),
            changed_by: row.changed_by,
            reason: row.reason,
            changes: serde_json::from_str(&row.changes).unwrap_or(Value::Null),
            incident: serde_json::from_str(&row.snapshot).unwrap_or(Value::Null),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IncidentSummary {
    id: String,
    reference: Option<String>,
    mission: String,
    status: String,
    classification: String,
    occurred_at: DateTime<Utc>,
    time_precision: String,
    place_name: Option<String>,
    attack_type: String,
    summary: String,
    victim_counts: VictimCounts,
    version: i64,
}

impl From<ListedIncident> for IncidentSummary {
    fn from(row: ListedIncident) -> Self {
        IncidentSummary {
            victim_counts: VictimCounts {
                killed: row.killed,
                injured: row.injured,
                abducted: row.abducted,
                missing: row.missing,
            },
            id: row.id,
            reference: row.reference,
            mission: row.mission_code,
            status: row.status,
            classification: row.classification,
            occurred_at: row.occurred_at.and_utc(),
            time_precision: row.time_precision,
            place_name: row.place_name,
            attack_type: row.attack_type,
            summary: row.summary,
            version: row.version,
        }
    }
}
