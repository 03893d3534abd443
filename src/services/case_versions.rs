//! A case's versions: a snapshot of the case and all its parts (linked incidents, steps, accused
//! persons with their verdicts and sentences, documents' metadata and hashes) after every change
//! to any of them, kept in `case_versions`. The audit record of the change carries the
//! snapshot's hash and the names of what changed, never the values.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

use crate::db::DbConnection;
use crate::domain::access::Clearance;
use crate::domain::case::{CaseStatus, judgment_reached_on};
use crate::domain::snapshot::{self, ChangeFacts};
use crate::error::AppResult;
use crate::store::cases::{self as store, CaseVersionRow, TransitionRow};

/// The case and its parts as they stand now; `None` when there is no such case.
pub(crate) fn snapshot_of(conn: &mut DbConnection, case_id: &str) -> AppResult<Option<Value>> {
    let Some(row) = store::find(conn, case_id)? else {
        return Ok(None);
    };
    let timeline = store::transitions(conn, case_id)?;
    let dated_by_default = default_verdict_day(&timeline, row.opened_on);
    let steps: Vec<Value> = timeline
        .into_iter()
        .map(|t| {
            let mut step = json!({
                "position": t.position,
                "from": t.from_status,
                "to": t.to_status,
                "effective_on": t.effective_on,
                "note": t.note,
                "closure_reason": t.closure_reason,
                "entered_by": t.entered_by,
            });
            // Named once shared, so that the steps recorded before sharing existed keep the
            // snapshots their records prove; so is a shared next action, below.
            if t.note_shared {
                step["note_shared"] = json!(true);
            }
            // The host State's proposal it came from, named only then for the same reason.
            if let Some(proposal) = &t.proposal_id {
                step["proposal"] = json!(proposal);
            }
            step
        })
        .collect();
    let accused: Vec<Value> = store::accused(conn, case_id)?
        .into_iter()
        .map(|a| {
            let mut accused = json!({
                "id": a.id,
                "name": a.name,
                "affiliation": a.affiliation,
                "status": a.status,
                "charges": a.charges,
                "verdict": a.verdict,
                "sentence_type": a.sentence_type,
                "sentence_months": a.sentence_months,
                "sentence_details": a.sentence_details,
                "version": a.version,
            });
            // Named unless it is the day the verdicts recorded before their days existed were
            // given, which the steps above tell: those cases keep the snapshots their records
            // prove, and every snapshot still tells each verdict's day.
            if a.verdict != "pending" && a.verdict_on != Some(dated_by_default) {
                accused["verdict_on"] = json!(a.verdict_on);
            }
            accused
        })
        .collect();
    let documents: Vec<Value> = store::documents(conn, case_id)?
        .into_iter()
        .map(|d| {
            let shared_with = d.shared_with();
            let mut document = json!({
                "id": d.id,
                "title": d.title,
                "kind": d.kind,
                "document_date": d.document_date,
                "media_type": d.media_type,
                "size_bytes": d.size_bytes,
                "sha256": d.sha256,
                "file_name": d.file_name,
                "uploaded_by": d.uploaded_by,
            });
            // Named once shared: documents stored before sharing keep the snapshots their
            // records prove.
            if !shared_with.is_empty() || d.version > 1 {
                document["shared_with"] = json!(shared_with);
                document["version"] = json!(d.version);
            }
            if let Some(proposal) = &d.proposal_id {
                document["proposal"] = json!(proposal);
            }
            document
        })
        .collect();
    let mut snapshot = json!({
        "reference": row.reference,
        "mission": row.mission_code,
        "status": row.status,
        "jurisdiction": row.jurisdiction,
        "authority": row.authority,
        "lead_officer": row.lead_officer,
        "next_action": row.next_action,
        "next_action_due": row.next_action_due,
        "notes": row.notes,
        "closure_reason": row.closure_reason,
        "opened_on": row.opened_on,
        "version": row.version,
        "incidents": store::incident_ids(conn, case_id)?,
        "steps": steps,
        "accused": accused,
        "documents": documents,
    });
    // A named court's State, when it has one: a State's code is its own State, and the cases
    // stored before States followed them keep the snapshots their records prove.
    if row.next_action_shared {
        snapshot["next_action_shared"] = json!(true);
    }
    if let Some(state) = row
        .jurisdiction_state
        .as_ref()
        .filter(|s| **s != row.jurisdiction)
    {
        snapshot["jurisdiction_state"] = json!(state);
    }
    Ok(Some(snapshot))
}

/// The day the verdicts recorded before verdicts had days were given: the case's first step at or
/// past a judgment, else its opening (the migration that added the days says the same).
fn default_verdict_day(timeline: &[TransitionRow], opened_on: NaiveDate) -> NaiveDate {
    let steps = timeline.iter().filter_map(|step| {
        let status = CaseStatus::try_from(step.to_status.as_str()).ok()?;
        Some((status, step.effective_on))
    });
    judgment_reached_on(steps).unwrap_or(opened_on)
}

/// The canonical text of the case's snapshot as its rows stand now.
pub(crate) fn current_snapshot(
    conn: &mut DbConnection,
    case_id: &str,
) -> AppResult<Option<String>> {
    Ok(snapshot_of(conn, case_id)?.map(|value| snapshot::canonical(&value)))
}

/// Records the version the case has just become, after `before` (`None` for a new case), and
/// answers the details of its audit record. Called inside the change's transaction.
pub(crate) fn record(
    conn: &mut DbConnection,
    changed_by: &str,
    case_id: &str,
    before: Option<&Value>,
    action: &str,
    now: NaiveDateTime,
) -> AppResult<Value> {
    store::lock(conn, case_id)?;
    let after = snapshot_of(conn, case_id)?.ok_or(crate::error::AppError::NotFound)?;
    let version = store::latest_version(conn, case_id)? + 1;
    let text = snapshot::canonical(&after);
    let digest = snapshot::digest(&text);
    store::insert_version(
        conn,
        &CaseVersionRow {
            case_id: case_id.to_string(),
            version,
            action: action.to_string(),
            changed_at: now,
            changed_by: changed_by.to_string(),
            snapshot: text,
        },
    )?;
    // A case is as classified as the highest of its incidents: that decides who may read it.
    let classification = store::linked_incidents(conn, case_id)?
        .iter()
        .map(|i| super::access::stored_classification(&i.classification))
        .max()
        .map(Clearance::code);
    let empty = json!({});
    let before = before.unwrap_or(&empty);
    let count = |key: &str| after[key].as_array().map_or(0, Vec::len);
    let facts = ChangeFacts {
        mission: after["mission"].as_str(),
        classification,
        version_from: (version > 1).then_some(version - 1),
        version_to: version,
        status_from: before.get("status").and_then(Value::as_str),
        status_to: after["status"].as_str(),
        fields: snapshot::changed_fields(before, &after),
        counts: vec![
            ("incidents", count("incidents")),
            ("steps", count("steps")),
            ("accused", count("accused")),
            ("documents", count("documents")),
        ],
        snapshot_sha256: digest,
        author: Some(changed_by),
    };
    Ok(facts.details())
}
