//! What the API answers about cases: a case whole, with its timeline, accused persons and
//! documents, and a case as a list shows it.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;

use crate::domain::case::{self as rules, CaseStatus, Sentence};
use crate::error::AppResult;
use crate::services::cases::proposals::Provenance;
use crate::services::cases::{
    self as service, AccusedRow, CaseDetail, CaseRow, DocumentRow, TransitionRow,
};
use crate::services::incidents::ListedIncident;

use super::incident_views::IncidentSummary;
use super::input::etag;

/// Where a step or a document came from: a host State's proposal, and who accepted it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportedBy {
    proposal_id: String,
    /// The proposing State (ISO3).
    state: String,
    /// The username of the State's focal point who proposed it.
    focal_point: Option<String>,
    /// The username of the legal officer who accepted it.
    accepted_by: Option<String>,
}

fn reported_by(proposal_id: Option<&String>, provenance: &[Provenance]) -> Option<ReportedBy> {
    let id = proposal_id?;
    let found = provenance.iter().find(|p| &p.proposal_id == id);
    Some(ReportedBy {
        proposal_id: id.clone(),
        state: found.map(|p| p.state.clone()).unwrap_or_default(),
        focal_point: found.and_then(|p| p.reported_by.clone()),
        accepted_by: found.and_then(|p| p.accepted_by.clone()),
    })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TransitionView {
    from: Option<String>,
    to: String,
    effective_on: NaiveDate,
    note: Option<String>,
    /// The note is shared with the States concerned.
    note_shared: bool,
    closure_reason: Option<String>,
    entered_by: String,
    entered_at: DateTime<Utc>,
    /// Reported by a host State and accepted by a legal officer; absent for a step a legal
    /// officer entered.
    #[serde(skip_serializing_if = "Option::is_none")]
    reported_by: Option<ReportedBy>,
}

impl TransitionView {
    fn of(row: TransitionRow, provenance: &[Provenance]) -> Self {
        TransitionView {
            reported_by: reported_by(row.proposal_id.as_ref(), provenance),
            from: row.from_status,
            to: row.to_status,
            effective_on: row.effective_on,
            note: row.note,
            note_shared: row.note_shared,
            closure_reason: row.closure_reason,
            entered_by: row.entered_by,
            entered_at: row.entered_at.and_utc(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AccusedView {
    id: String,
    /// Personal data: present only for users cleared `confidential` or higher on the mission.
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    name_withheld: bool,
    affiliation: Option<String>,
    status: String,
    charges: Option<String>,
    verdict: String,
    verdict_on: Option<NaiveDate>,
    sentence: Option<Sentence>,
    pub(super) version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

pub(super) fn accused_view(row: AccusedRow, personal: bool) -> AccusedView {
    let sentence = crate::domain::case::Accused::from(&row).sentence;
    AccusedView {
        name: personal.then_some(row.name),
        name_withheld: !personal,
        id: row.id,
        affiliation: row.affiliation,
        status: row.status,
        charges: row.charges,
        verdict: row.verdict,
        verdict_on: row.verdict_on,
        sentence,
        version: row.version,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    id: String,
    title: String,
    kind: String,
    date: Option<NaiveDate>,
    media_type: String,
    size_bytes: i64,
    sha256: String,
    file_name: String,
    uploaded_by: String,
    uploaded_at: DateTime<Utc>,
    /// The States it is shared with (ISO3): their focal points may read it.
    shared_with: Vec<String>,
    /// The document's version, for sharing it (`PATCH`).
    version: i64,
    download: String,
    /// Reported by a host State and accepted by a legal officer; absent for a document a
    /// legal officer uploaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    reported_by: Option<ReportedBy>,
}

impl DocumentView {
    pub fn version(&self) -> i64 {
        self.version
    }
}

impl From<DocumentRow> for DocumentView {
    fn from(row: DocumentRow) -> Self {
        DocumentView::of(row, &[])
    }
}

impl DocumentView {
    pub(super) fn of(row: DocumentRow, provenance: &[Provenance]) -> Self {
        DocumentView {
            reported_by: reported_by(row.proposal_id.as_ref(), provenance),
            download: format!("/api/v1/cases/{}/documents/{}", row.case_id, row.id),
            shared_with: row.shared_with(),
            version: row.version,
            id: row.id,
            title: row.title,
            kind: row.kind,
            date: row.document_date,
            media_type: row.media_type,
            size_bytes: row.size_bytes,
            sha256: row.sha256,
            file_name: row.file_name,
            uploaded_by: row.uploaded_by,
            uploaded_at: row.uploaded_at.and_utc(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseView {
    id: String,
    reference: String,
    mission: String,
    status: String,
    /// The statuses the case may move to next.
    allowed_transitions: Vec<&'static str>,
    jurisdiction: String,
    /// The host State (ISO3): the jurisdiction when it is a State's code, a named court's
    /// State, or none for an international court.
    jurisdiction_state: Option<String>,
    authority: Option<String>,
    lead_officer: String,
    lead_officer_username: Option<String>,
    next_action: Option<String>,
    next_action_due: Option<NaiveDate>,
    /// The next action's text is shared with the States concerned.
    next_action_shared: bool,
    overdue: bool,
    notes: Option<String>,
    closure_reason: Option<String>,
    opened_on: NaiveDate,
    last_moved_on: NaiveDate,
    /// Days since the last step of the timeline, for open cases.
    days_idle: Option<i64>,
    incidents: Vec<IncidentSummary>,
    /// Linked incidents classified above the reader's clearance, not shown.
    withheld_incidents: usize,
    timeline: Vec<TransitionView>,
    accused: Vec<AccusedView>,
    documents: Vec<DocumentView>,
    /// How many of the host State's proposals wait for a legal officer.
    pending_proposals: usize,
    version: i64,
    created_by: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The derived facts of a case on `today`: its status, whether its next action is overdue,
/// and how long it has been idle.
fn urgency_facts(row: &CaseRow, status: CaseStatus, today: NaiveDate) -> (bool, Option<i64>) {
    let open = status.is_open();
    let overdue = open && row.next_action_due.is_some_and(|due| due < today);
    let days_idle = open.then(|| (today - row.last_moved_on).num_days());
    (overdue, days_idle)
}

fn view(detail: CaseDetail, now: NaiveDateTime) -> CaseView {
    let CaseDetail {
        row,
        status,
        lead_officer_username,
        incidents,
        withheld_incidents,
        timeline,
        accused,
        documents,
        personal,
        provenance,
        pending_proposals,
    } = detail;
    let (overdue, days_idle) = urgency_facts(&row, status, now.date());
    CaseView {
        allowed_transitions: rules::allowed_moves(status)
            .into_iter()
            .map(CaseStatus::code)
            .collect(),
        overdue,
        days_idle,
        lead_officer_username,
        incidents: incidents
            .into_iter()
            .map(|row| IncidentSummary::from(ListedIncident::from(row)))
            .collect(),
        withheld_incidents,
        timeline: timeline
            .into_iter()
            .map(|step| TransitionView::of(step, &provenance))
            .collect(),
        accused: accused
            .into_iter()
            .map(|a| accused_view(a, personal))
            .collect(),
        documents: documents
            .into_iter()
            .map(|document| DocumentView::of(document, &provenance))
            .collect(),
        pending_proposals,
        id: row.id,
        reference: row.reference,
        mission: row.mission_code,
        status: row.status,
        jurisdiction: row.jurisdiction,
        jurisdiction_state: row.jurisdiction_state,
        authority: row.authority,
        lead_officer: row.lead_officer,
        next_action: row.next_action,
        next_action_due: row.next_action_due,
        next_action_shared: row.next_action_shared,
        notes: row.notes,
        closure_reason: row.closure_reason,
        opened_on: row.opened_on,
        last_moved_on: row.last_moved_on,
        version: row.version,
        created_by: row.created_by,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    }
}

pub(super) fn respond(status: StatusCode, detail: CaseDetail, now: NaiveDateTime) -> HttpResponse {
    let view = view(detail, now);
    HttpResponse::build(status)
        .insert_header(etag(view.version))
        .json(view)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseSummary {
    id: String,
    reference: String,
    mission: String,
    status: String,
    jurisdiction: String,
    /// The host State (ISO3): the jurisdiction when it is a State's code, a named court's
    /// State, or none for an international court.
    jurisdiction_state: Option<String>,
    authority: Option<String>,
    lead_officer: String,
    next_action: Option<String>,
    next_action_due: Option<NaiveDate>,
    overdue: bool,
    opened_on: NaiveDate,
    last_moved_on: NaiveDate,
    days_idle: Option<i64>,
    version: i64,
}

pub(super) fn summary(row: CaseRow, today: NaiveDate) -> AppResult<CaseSummary> {
    let (overdue, days_idle) = urgency_facts(&row, service::status_of(&row)?, today);
    Ok(CaseSummary {
        overdue,
        days_idle,
        id: row.id,
        reference: row.reference,
        mission: row.mission_code,
        status: row.status,
        jurisdiction: row.jurisdiction,
        jurisdiction_state: row.jurisdiction_state,
        authority: row.authority,
        lead_officer: row.lead_officer,
        next_action: row.next_action,
        next_action_due: row.next_action_due,
        opened_on: row.opened_on,
        last_moved_on: row.last_moved_on,
        version: row.version,
    })
}
