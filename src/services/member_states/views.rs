//! The State views: what a Member State's focal point is shown of an incident and of a case.
//! Built here, from the records the guard let through, so that no answer can carry more: never
//! sources, perpetrators, narratives, place names, exact positions or anyone else's personal
//! data.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::domain::access::Clearance;
use crate::domain::case::{Accused, Sentence};
use crate::domain::incident::OUTCOMES;
use crate::domain::state_part::Relation;
use crate::store::cases::{AccusedRow, CaseRow, DocumentRow, LinkedIncidentRow, TransitionRow};
use crate::store::incidents::{IncidentRow, VictimRow};

/// Casualties by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Casualties {
    pub killed: i32,
    pub injured: i32,
    pub abducted: i32,
    pub missing: i32,
}

impl Casualties {
    fn count(&mut self, outcome: &str) {
        match outcome {
            "killed" => self.killed += 1,
            "injured" => self.injured += 1,
            "abducted" => self.abducted += 1,
            "missing" => self.missing += 1,
            _ => {}
        }
    }
}

/// The casualties of one nationality (none when it was not recorded).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NationalityCasualties {
    pub nationality: Option<String>,
    #[serde(flatten)]
    pub casualties: Casualties,
}

/// A victim of the State's own nationality. Names and units need clearance `confidential`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct National {
    pub personnel_type: String,
    pub outcome: String,
    pub casualty_id: Option<String>,
    pub name: Option<String>,
    pub unit: Option<String>,
}

/// An incident as a State sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StateIncident {
    pub id: String,
    pub reference: Option<String>,
    pub mission: String,
    pub status: String,
    pub occurred_at: DateTime<Utc>,
    pub time_precision: String,
    pub occurred_until: Option<DateTime<Utc>>,
    pub admin1: Option<String>,
    pub admin2: Option<String>,
    pub attack_type: String,
    pub casualties: Casualties,
    /// Casualties by nationality, as counts: the only way other States' nationals appear.
    pub casualties_by_nationality: Vec<NationalityCasualties>,
    /// The victims of the reader's own nationality.
    pub nationals: Vec<National>,
    /// How the reader's State is concerned: `host`, `nationality`.
    pub relations: Vec<Relation>,
}

impl StateIncident {
    pub(super) fn of(
        row: &IncidentRow,
        victims: &[&VictimRow],
        state: &str,
        clearance: Clearance,
        relations: Vec<Relation>,
    ) -> StateIncident {
        let named = clearance >= Clearance::Confidential;
        let mut by_nationality: Vec<NationalityCasualties> = Vec::new();
        for victim in victims {
            let at = match by_nationality
                .iter()
                .position(|n| n.nationality == victim.nationality)
            {
                Some(at) => at,
                None => {
                    by_nationality.push(NationalityCasualties {
                        nationality: victim.nationality.clone(),
                        casualties: Casualties::default(),
                    });
                    by_nationality.len() - 1
                }
            };
            by_nationality[at].casualties.count(&victim.outcome);
        }
        by_nationality.sort_by(|a, b| a.nationality.cmp(&b.nationality));
        let nationals = victims
            .iter()
            .filter(|v| v.nationality.as_deref() == Some(state))
            .filter(|v| OUTCOMES.contains(&v.outcome.as_str()))
            .map(|v| National {
                personnel_type: v.personnel_type.clone(),
                outcome: v.outcome.clone(),
                casualty_id: v.casualty_id.clone(),
                name: v.name.clone().filter(|_| named),
                unit: v.unit.clone().filter(|_| named),
            })
            .collect();
        StateIncident {
            id: row.id.clone(),
            reference: row.reference.clone(),
            mission: row.mission_code.clone(),
            status: row.status.clone(),
            occurred_at: row.occurred_at.and_utc(),
            time_precision: row.time_precision.clone(),
            occurred_until: row.occurred_until.map(|t| t.and_utc()),
            admin1: row.admin1.clone(),
            admin2: row.admin2.clone(),
            attack_type: row.attack_type.clone(),
            casualties: Casualties {
                killed: row.killed,
                injured: row.injured,
                abducted: row.abducted,
                missing: row.missing,
            },
            casualties_by_nationality: by_nationality,
            nationals,
            relations,
        }
    }
}

/// A step of a case's timeline as a State sees it: the step and its date. Step notes are the
/// mission's own unless shared.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StateStep {
    pub to: String,
    pub effective_on: NaiveDate,
    /// Its note, when a legal officer shared it with the States concerned.
    pub note: Option<String>,
    pub closure_reason: Option<String>,
}

/// An accused person as the host State sees them. Names need clearance `confidential`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StateAccused {
    pub id: String,
    pub name: Option<String>,
    pub status: String,
    pub charges: Option<String>,
    pub verdict: String,
    pub verdict_on: Option<NaiveDate>,
    pub sentence: Option<Sentence>,
}

/// A document a legal officer shared with the reader's State.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SharedDocument {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub date: Option<NaiveDate>,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// Where to download it (clearance `confidential`, as for everyone).
    pub download: String,
}

/// A linked incident, by reference.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkedIncident {
    pub id: String,
    pub reference: Option<String>,
}

/// A case as a State sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StateCase {
    pub id: String,
    pub reference: String,
    pub mission: String,
    pub status: String,
    pub jurisdiction: String,
    pub jurisdiction_state: Option<String>,
    /// The prosecuting authority.
    pub authority: Option<String>,
    /// The next action, when a legal officer shared it with the States concerned.
    pub next_action: Option<String>,
    /// When the next action is due.
    pub next_action_due: Option<NaiveDate>,
    pub opened_on: NaiveDate,
    pub closure_reason: Option<String>,
    pub timeline: Vec<StateStep>,
    /// The accused persons: for the host State only, which prosecutes them.
    pub accused: Vec<StateAccused>,
    /// The documents shared with the reader's State.
    pub documents: Vec<SharedDocument>,
    /// The linked incidents that reach the reader's State.
    pub incidents: Vec<LinkedIncident>,
    /// How the reader's State is concerned: `host`, `nationality`.
    pub relations: Vec<Relation>,
    /// The list's order: overdue next actions first.
    #[serde(skip)]
    pub urgency: NaiveDate,
    /// The case's last change.
    #[serde(skip)]
    pub updated_at: chrono::NaiveDateTime,
}

impl StateCase {
    pub(super) fn of(
        row: &CaseRow,
        reaching: &[&LinkedIncidentRow],
        timeline: &[TransitionRow],
        accused: &[AccusedRow],
        shared: &[&DocumentRow],
        clearance: Clearance,
        relations: Vec<Relation>,
    ) -> StateCase {
        let host = relations.contains(&Relation::Host);
        let named = clearance >= Clearance::Confidential;
        StateCase {
            id: row.id.clone(),
            reference: row.reference.clone(),
            mission: row.mission_code.clone(),
            status: row.status.clone(),
            jurisdiction: row.jurisdiction.clone(),
            jurisdiction_state: row.jurisdiction_state.clone(),
            authority: row.authority.clone(),
            next_action: row.next_action.clone().filter(|_| row.next_action_shared),
            next_action_due: row.next_action_due,
            opened_on: row.opened_on,
            closure_reason: row.closure_reason.clone(),
            timeline: timeline
                .iter()
                .map(|step| StateStep {
                    to: step.to_status.clone(),
                    effective_on: step.effective_on,
                    note: step.note.clone().filter(|_| step.note_shared),
                    closure_reason: step.closure_reason.clone(),
                })
                .collect(),
            accused: accused
                .iter()
                .filter(|_| host)
                .map(|person| StateAccused {
                    id: person.id.clone(),
                    name: Some(person.name.clone()).filter(|_| named),
                    status: person.status.clone(),
                    charges: person.charges.clone(),
                    verdict: person.verdict.clone(),
                    verdict_on: person.verdict_on,
                    sentence: Accused::from(person).sentence,
                })
                .collect(),
            documents: shared
                .iter()
                .map(|document| SharedDocument {
                    id: document.id.clone(),
                    title: document.title.clone(),
                    kind: document.kind.clone(),
                    date: document.document_date,
                    media_type: document.media_type.clone(),
                    size_bytes: document.size_bytes,
                    sha256: document.sha256.clone(),
                    download: format!("/api/v1/cases/{}/documents/{}", row.id, document.id),
                })
                .collect(),
            incidents: reaching
                .iter()
                .map(|incident| LinkedIncident {
                    id: incident.id.clone(),
                    reference: incident.reference.clone(),
                })
                .collect(),
            relations,
            urgency: row.urgency,
            updated_at: row.updated_at,
        }
    }
}
