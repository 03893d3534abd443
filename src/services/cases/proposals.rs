//! Progress a host State reports on a case (a step, a next action, an accused person's status,
//! a document): proposed by the State's focal point, then accepted by a legal officer of the
//! mission, when the case's rules are applied again, or declined with a reason the focal point
//! reads. What is accepted says where it came from.

use super::*;
use crate::auth::policy;
use crate::domain::case::{
    MAX_PENDING_PER_CASE, ProposalInput, ProposalKind, ProposalStatus, ProposedChange,
    WITHDRAWN_ON_JURISDICTION_CHANGE, check_decline_reason, check_proposal,
};
use crate::services::member_states;
use crate::store::proposals::{self as proposal_store, ProposalRow};

/// A proposal with what it changes and who proposed and decided it.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub row: ProposalRow,
    pub change: ProposedChange,
    pub proposed_by_username: Option<String>,
    pub decided_by_username: Option<String>,
}

/// A pending proposal in a legal officer's queue.
#[derive(Debug, Clone)]
pub struct Queued {
    pub proposal: Proposal,
    pub case_reference: String,
    pub mission: String,
}

/// An accepted proposal, as the step or document it became names it: "reported by the focal
/// point of this State, accepted by this legal officer".
#[derive(Debug, Clone)]
pub struct Provenance {
    pub proposal_id: String,
    pub state: String,
    pub reported_by: Option<String>,
    pub accepted_by: Option<String>,
}

/// Where a case's accepted proposals came from.
pub(super) fn provenance(conn: &mut DbConnection, case_id: &str) -> AppResult<Vec<Provenance>> {
    let accepted = proposal_store::of_case(conn, case_id, None)?
        .into_iter()
        .filter(|p| p.status == ProposalStatus::Accepted.code());
    let mut found = Vec::new();
    for row in accepted {
        let proposal = proposal_of(conn, row)?;
        found.push(Provenance {
            proposal_id: proposal.row.id,
            state: proposal.row.state,
            reported_by: proposal.proposed_by_username,
            accepted_by: proposal.decided_by_username,
        });
    }
    Ok(found)
}

/// What a host State's focal point proposes.
pub enum Proposed {
    /// A step, a next action or an accused person's status.
    Change(ProposalInput),
    /// A document, with its file.
    Document(DocumentFields, Upload),
}

fn proposal_of(conn: &mut DbConnection, row: ProposalRow) -> AppResult<Proposal> {
    let change = serde_json::from_str(&row.content).map_err(AppError::internal)?;
    let proposed_by_username = store::username_of(conn, &row.proposed_by)?;
    let decided_by_username = match &row.decided_by {
        Some(id) => store::username_of(conn, id)?,
        None => None,
    };
    Ok(Proposal {
        row,
        change,
        proposed_by_username,
        decided_by_username,
    })
}

/// For handlers: the reader speaks for the case's host State (404 or 403, recorded,
/// otherwise). Called before a body is read.
pub fn check_may_propose(
    conn: &mut DbConnection,
    user: &Actor,
    case_id: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    member_states::hosted_case(conn, user, case_id, "cases.proposals.create", now).map(|_| ())
}

/// Proposes a change to a case whose host State the focal point speaks for. The case's rules
/// are checked now (and again at acceptance). The same proposal sent again while it waits (a
/// retry over a bad link) answers the one stored, with `false`.
pub fn propose(
    conn: &mut DbConnection,
    user: &Actor,
    case_id: &str,
    proposed: Proposed,
    files: &FileStore,
    now: NaiveDateTime,
) -> AppResult<(Proposal, bool)> {
    let attempted = "cases.proposals.create";
    let case_row = member_states::hosted_case(conn, user, case_id, attempted, now)?;
    let state = user.state.clone().unwrap_or_default();
    let case = load(conn, case_id)?.ok_or(AppError::NotFound)?;
    let (kind, change) = match proposed {
        Proposed::Change(input) => {
            let (kind, change) = check_proposal(&input).map_err(AppError::Validation)?;
            let change = match kind {
                ProposalKind::Step => {
                    let step = check_step(conn, &case, &input.step_input(), now.date())?;
                    ProposedChange::step(&step)
                }
                ProposalKind::AccusedStatus => {
                    check_accused_status(conn, case_id, &change)?;
                    change
                }
                _ => change,
            };
            (kind, change)
        }
        Proposed::Document(fields, upload) => {
            let media_type =
                rules::document_media_type(&upload.bytes).ok_or(AppError::UnsupportedFileType)?;
            let sha256 = files.save(&upload.bytes).map_err(AppError::internal)?;
            let change = ProposedChange {
                title: Some(fields.title),
                document_kind: Some(fields.kind),
                document_date: fields.date,
                media_type: Some(media_type.to_string()),
                size_bytes: Some(upload.bytes.len() as i64),
                sha256: Some(sha256),
                file_name: Some(clean_file_name(upload.file_name.as_deref())),
                ..ProposedChange::default()
            };
            (ProposalKind::Document, change)
        }
    };
    let content = serde_json::to_string(&change).map_err(AppError::internal)?;
    let row = ProposalRow {
        id: Uuid::now_v7().to_string(),
        case_id: case_id.to_string(),
        state: state.clone(),
        kind: kind.code().to_string(),
        content,
        status: ProposalStatus::Pending.code().to_string(),
        proposed_by: user.id.clone(),
        proposed_at: now,
        decided_by: None,
        decided_at: None,
        reason: None,
        applied_version: None,
    };
    let (row, created) = write_transaction(conn, |conn| {
        // One proposal at a time per case, so that a retry finds the first one stored.
        store::lock(conn, case_id)?;
        let waiting: Vec<ProposalRow> = proposal_store::of_case(conn, case_id, Some(&state))?
            .into_iter()
            .filter(|p| p.status == ProposalStatus::Pending.code())
            .collect();
        if let Some(same) = waiting
            .iter()
            .find(|p| p.kind == row.kind && p.content == row.content)
        {
            return Ok((same.clone(), false));
        }
        if waiting.len() >= MAX_PENDING_PER_CASE {
            return Err(AppError::Conflict(format!(
                "{} proposals of your State already wait on this case; wait for the mission's answer.",
                waiting.len()
            )));
        }
        proposal_store::insert(conn, &row)?;
        audit::append(
            conn,
            &user.audit(now),
            "case.proposal.create",
            "case",
            Some(case_id),
            json!({
                "proposal_id": row.id,
                "kind": row.kind,
                "state": row.state,
                "mission": case_row.mission_code,
            }),
        )?;
        Ok::<_, AppError>((row.clone(), true))
    })?;
    Ok((proposal_of(conn, row)?, created))
}

/// An accused person of the case, and a status other than theirs now (422 otherwise).
fn check_accused_status(
    conn: &mut DbConnection,
    case_id: &str,
    change: &ProposedChange,
) -> AppResult<AccusedRow> {
    let accused_id = change.accused_id.as_deref().unwrap_or_default();
    let Some(accused) = store::find_accused(conn, case_id, accused_id)? else {
        return Err(AppError::invalid(
            "accused_id",
            "is not an accused person of this case",
        ));
    };
    if change.accused_status.as_deref() == Some(accused.status.as_str()) {
        return Err(AppError::invalid(
            "accused_status",
            "is already the person's status",
        ));
    }
    Ok(accused)
}

/// A case's proposals: all of them for its mission's legal officers; its own for a focal point
/// of the proposing State (that read recorded, as every read of a focal point).
pub fn list(
    conn: &mut DbConnection,
    user: &Actor,
    case_id: &str,
    now: NaiveDateTime,
) -> AppResult<Vec<Proposal>> {
    let attempted = "cases.proposals.list";
    let rows = if user.role == Role::StateFocalPoint {
        member_states::visible_case(conn, user, case_id, attempted, now)?;
        let rows = proposal_store::of_case(conn, case_id, user.state.as_deref())?;
        let ids: Vec<&String> = rows.iter().map(|p| &p.id).collect();
        member_states::record_read(
            conn,
            user,
            now,
            "case",
            Some(case_id),
            json!({ "proposals": ids }),
        )?;
        rows
    } else {
        Case::changeable(conn, user, case_id, attempted, now)?;
        proposal_store::of_case(conn, case_id, None)?
    };
    rows.into_iter().map(|row| proposal_of(conn, row)).collect()
}

/// A pending proposal a legal officer of its case's mission may decide, other than one of
/// their own: 404 when there is no such proposal or its case is not theirs to see, 403 when
/// they may not change the case, 409 when it was already decided.
fn decidable(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<ProposalRow> {
    let Some(row) = proposal_store::find(conn, id)? else {
        return Err(policy::hide(conn, user, attempted, ("proposal", id), now));
    };
    Case::changeable(conn, user, &row.case_id, attempted, now)?;
    if row.proposed_by == user.id {
        return Err(Case::forbid(
            conn,
            user,
            attempted,
            Some(&row.case_id),
            now,
            "Nobody accepts or declines their own proposal.",
        ));
    }
    pending(row)
}

fn pending(row: ProposalRow) -> AppResult<ProposalRow> {
    if row.status != ProposalStatus::Pending.code() {
        return Err(AppError::Conflict(format!(
            "The proposal is already {}.",
            row.status
        )));
    }
    Ok(row)
}

/// Accepts a proposal: the change is applied to the case under the case's rules as they stand
/// now (a move no longer allowed: 409 with the moves allowed; a step or status that no longer
/// fits: 409), and the proposal stays pending when it is refused. What is applied names the
/// proposal it came from.
pub fn accept(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<Proposal> {
    let row = decidable(conn, user, id, "proposals.accept", now)?;
    let case_id = row.case_id.clone();
    let accepted = write_transaction(conn, |conn| {
        store::lock(conn, &case_id)?;
        let row = pending(proposal_store::find(conn, id)?.ok_or(AppError::NotFound)?)?;
        let change: ProposedChange =
            serde_json::from_str(&row.content).map_err(AppError::internal)?;
        let mut case = load(conn, &case_id)?.ok_or(AppError::NotFound)?;
        let before = case_versions::snapshot_of(conn, &case_id)?;
        apply(conn, user, &mut case, &row, &change, now).map_err(no_longer_holds)?;
        let mut details = case_versions::record(
            conn,
            &user.id,
            &case_id,
            before.as_ref(),
            "proposal.accept",
            now,
        )?;
        let version = store::latest_version(conn, &case_id)?;
        let status = ProposalStatus::Accepted.code();
        if !proposal_store::decide(conn, id, status, Some(&user.id), now, None, Some(version))? {
            return Err(AppError::Conflict(
                "The proposal was decided meanwhile.".into(),
            ));
        }
        details["proposal_id"] = json!(id);
        details["kind"] = json!(row.kind);
        details["state"] = json!(row.state);
        details["proposed_by"] = json!(row.proposed_by);
        audit::append(
            conn,
            &user.audit(now),
            "case.proposal.accept",
            "case",
            Some(&case_id),
            details,
        )?;
        proposal_store::find(conn, id)?.ok_or(AppError::NotFound)
    })?;
    proposal_of(conn, accepted)
}

/// A proposal whose fields no longer fit the case is a conflict with the case as it stands,
/// not a fault of the request that accepts it.
fn no_longer_holds(error: AppError) -> AppError {
    match error {
        AppError::Validation(errors) => AppError::Conflict(format!(
            "The proposal no longer fits the case: {}. Decline it, with the reason.",
            errors
                .iter()
                .map(|e| format!("`{}` {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        )),
        other => other,
    }
}

/// Applies the proposed change to the loaded case, inside the caller's transaction.
fn apply(
    conn: &mut DbConnection,
    user: &Actor,
    case: &mut Case,
    proposal: &ProposalRow,
    change: &ProposedChange,
    now: NaiveDateTime,
) -> AppResult<()> {
    let kind = ProposalKind::from_code(&proposal.kind)
        .ok_or_else(|| AppError::internal(format!("unknown proposal kind {}", proposal.kind)))?;
    match kind {
        ProposalKind::Step => {
            let step = check_step(conn, case, &change.transition_input(), now.date())?;
            record_step(conn, case, step, &user.id, Some(&proposal.id), now)
        }
        ProposalKind::NextAction => {
            case.row.next_action = change.next_action.clone();
            case.row.next_action_due = change.next_action_due;
            // As every new next action: the mission's own until a legal officer shares it.
            case.row.next_action_shared = false;
            refresh_derived(&mut case.row)?;
            save(conn, &mut case.row, now)
        }
        ProposalKind::AccusedStatus => {
            let stored = check_accused_status(conn, &case.row.id, change)?;
            let mut accused = Accused::from(&stored);
            accused.status = change.accused_status.clone().unwrap_or_default();
            let judged = judgment_reached_on(conn, &case.row.id)?;
            let accused = rules::validate_accused(
                &accused.to_input(),
                judged,
                Some(&stored.verdict),
                now.date(),
            )
            .map_err(AppError::Validation)?;
            let mut row = accused_row(&stored.id, &case.row.id, &accused, now);
            row.version = stored.version + 1;
            row.created_at = stored.created_at;
            if !store::update_accused(conn, &row, stored.version)? {
                return Err(AppError::Conflict(
                    "The accused person's record was changed meanwhile.".into(),
                ));
            }
            Ok(())
        }
        ProposalKind::Document => {
            let missing = || AppError::internal("a document proposal without its file");
            store::insert_document(
                conn,
                &DocumentRow {
                    id: Uuid::now_v7().to_string(),
                    case_id: case.row.id.clone(),
                    title: change.title.clone().ok_or_else(missing)?,
                    kind: change.document_kind.clone().ok_or_else(missing)?,
                    document_date: change.document_date,
                    media_type: change.media_type.clone().ok_or_else(missing)?,
                    size_bytes: change.size_bytes.ok_or_else(missing)?,
                    sha256: change.sha256.clone().ok_or_else(missing)?,
                    file_name: change.file_name.clone().ok_or_else(missing)?,
                    uploaded_by: proposal.proposed_by.clone(),
                    uploaded_at: now,
                    shared_with: "[]".to_string(),
                    version: 1,
                    proposal_id: Some(proposal.id.clone()),
                },
            )?;
            Ok(())
        }
    }
}

/// Declines a proposal with a reason the focal point reads.
pub fn decline(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    reason: Option<String>,
    now: NaiveDateTime,
) -> AppResult<Proposal> {
    let row = decidable(conn, user, id, "proposals.decline", now)?;
    let reason = check_decline_reason(reason.as_deref()).map_err(AppError::Validation)?;
    let declined = write_transaction(conn, |conn| {
        let status = ProposalStatus::Declined.code();
        if !proposal_store::decide(conn, id, status, Some(&user.id), now, Some(&reason), None)? {
            return Err(AppError::Conflict(
                "The proposal was decided meanwhile.".into(),
            ));
        }
        audit::append(
            conn,
            &user.audit(now),
            "case.proposal.decline",
            "case",
            Some(&row.case_id),
            json!({ "proposal_id": id, "kind": row.kind, "state": row.state }),
        )?;
        proposal_store::find(conn, id)?.ok_or(AppError::NotFound)
    })?;
    proposal_of(conn, declined)
}

/// When a case's host State changes, the former State's pending proposals are withdrawn
/// ("jurisdiction changed"), recorded. Inside the caller's transaction.
pub(super) fn withdraw_for_new_host(
    conn: &mut DbConnection,
    user: &Actor,
    case_id: &str,
    new_host: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let ids = proposal_store::pending_ids(conn, case_id, new_host)?;
    if ids.is_empty() {
        return Ok(());
    }
    let status = ProposalStatus::Withdrawn.code();
    for id in &ids {
        proposal_store::decide(
            conn,
            id,
            status,
            None,
            now,
            Some(WITHDRAWN_ON_JURISDICTION_CHANGE),
            None,
        )?;
    }
    audit::append(
        conn,
        &user.audit(now),
        "case.proposal.withdraw",
        "case",
        Some(case_id),
        json!({ "proposal_ids": ids, "reason": WITHDRAWN_ON_JURISDICTION_CHANGE }),
    )?;
    Ok(())
}

/// A proposed document's file, for the legal officers who decide on it and the focal points of
/// the proposing State; clearance `confidential`, as every document.
pub fn download_document(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    files: &FileStore,
    now: NaiveDateTime,
) -> AppResult<(DocumentRow, Vec<u8>)> {
    let attempted = "proposals.document.download";
    let row = proposal_store::find(conn, id)?;
    let theirs = |row: &ProposalRow| {
        user.role != Role::StateFocalPoint || user.state.as_deref() == Some(row.state.as_str())
    };
    let Some(row) = row.filter(|r| r.kind == ProposalKind::Document.code() && theirs(r)) else {
        return Err(policy::hide(conn, user, attempted, ("proposal", id), now));
    };
    let case = if user.role == Role::StateFocalPoint {
        member_states::visible_case(conn, user, &row.case_id, attempted, now)?
    } else {
        Case::changeable(conn, user, &row.case_id, attempted, now)?.row
    };
    check_may_download(conn, user, &case.id, attempted, now)?;
    let change: ProposedChange = serde_json::from_str(&row.content).map_err(AppError::internal)?;
    let document = DocumentRow {
        id: row.id.clone(),
        case_id: row.case_id.clone(),
        title: change.title.unwrap_or_default(),
        kind: change.document_kind.unwrap_or_default(),
        document_date: change.document_date,
        media_type: change.media_type.unwrap_or_default(),
        size_bytes: change.size_bytes.unwrap_or_default(),
        sha256: change.sha256.unwrap_or_default(),
        file_name: change.file_name.unwrap_or_default(),
        uploaded_by: row.proposed_by.clone(),
        uploaded_at: row.proposed_at,
        shared_with: "[]".to_string(),
        version: 1,
        proposal_id: Some(row.id.clone()),
    };
    read_checked(conn, user, &case.id, document, files, now)
}

/// The pending proposals on the cases of the missions a legal officer works on, oldest first.
pub fn queue(conn: &mut DbConnection, user: &Actor, now: NaiveDateTime) -> AppResult<Vec<Queued>> {
    if user.role != Role::LegalOfficer {
        return Err(policy::forbid(
            conn,
            user,
            "proposals.queue",
            ("case", None),
            now,
            "The mission's legal officers decide on the States' proposals.",
        ));
    }
    let missions = (!user.all_missions).then_some(user.missions.as_slice());
    let rows = proposal_store::pending_in_missions(conn, missions, 500)?;
    let mut queued = Vec::with_capacity(rows.len());
    for (row, case_reference, mission) in rows {
        // Only the cases this officer may see: a case's incidents may be above their clearance.
        let Some(case) = load(conn, &row.case_id)? else {
            continue;
        };
        if !case.may_see(user) {
            continue;
        }
        queued.push(Queued {
            proposal: proposal_of(conn, row)?,
            case_reference,
            mission,
        });
    }
    Ok(queued)
}

/// How many proposals wait on each of these cases (for the badge of the cases' list).
pub fn pending_counts(
    conn: &mut DbConnection,
    case_ids: &[String],
) -> AppResult<Vec<(String, i64)>> {
    Ok(proposal_store::pending_counts(conn, case_ids)?)
}
