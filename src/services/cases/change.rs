//! Changing a case: its descriptive fields, and its moves along the lifecycle.

use super::*;

pub(super) fn stale(expected_version: i64) -> AppError {
    AppError::Conflict(format!(
        "The case was changed since you read it (version {expected_version}). Read it again."
    ))
}

/// Writes the row as the next version, or 409 when someone else changed it first.
pub(super) fn save(
    conn: &mut DbConnection,
    row: &mut CaseRow,
    now: NaiveDateTime,
) -> AppResult<()> {
    let expected = row.version;
    row.version = expected + 1;
    row.updated_at = now;
    if !store::update(conn, row, expected)? {
        return Err(stale(expected));
    }
    Ok(())
}

/// A partial update of the descriptive fields and the linked incidents; `null` clears.
pub fn update(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    changes: CaseChanges,
    expected_version: i64,
    now: NaiveDateTime,
) -> AppResult<CaseDetail> {
    let current = Case::changeable(conn, user, id, "cases.update", now)?;
    if current.row.version != expected_version {
        return Err(stale(expected_version));
    }
    let withheld = current
        .incidents
        .iter()
        .any(|i| classification_of(i) > user.clearance);
    let changes_links = changes.changes_links();
    let input = changes.applied_to(current.fields().to_input());
    let validated = rules::validate_case(&input);
    let mut errors = validated.as_ref().err().cloned().unwrap_or_default();
    if changes_links && withheld {
        errors.push(FieldError::new(
            "incident_ids",
            "cannot be changed by you: the case links incidents classified above your clearance",
        ));
    }
    let linked_ids: Vec<String> = current.incidents.iter().map(|i| i.id.clone()).collect();
    let added = check_new_links(
        conn,
        user,
        &input.incident_ids,
        &linked_ids,
        Some(current.row.mission_code.clone()),
        &mut errors,
    )?;
    let kept = current
        .incidents
        .iter()
        .filter(|i| input.incident_ids.contains(&i.id));
    let earliest = kept.chain(added.iter()).map(|i| i.occurred_at.date()).min();
    let first_step = store::transitions(conn, id)?
        .iter()
        .map(|step| step.effective_on)
        .min();
    if changes_links
        && let (Some(earliest), Some(first_step)) = (earliest, first_step)
        && earliest > first_step
    {
        errors.push(FieldError::new(
            "incident_ids",
            format!(
                "the timeline starts on {first_step}, before the earliest of these incidents ({earliest})"
            ),
        ));
    }
    if let Some(lead) = input
        .lead_officer
        .as_deref()
        .map(str::trim)
        .filter(|l| *l != current.row.lead_officer)
    {
        check_lead_officer(conn, lead, &current.row.mission_code, &mut errors)?;
    }
    let fields = match validated {
        Ok(mut fields) if errors.is_empty() => {
            if fields.lead_officer.is_none() {
                fields.lead_officer = Some(current.row.lead_officer.clone());
            }
            fields
        }
        _ => return Err(AppError::Validation(errors)),
    };

    write_transaction(conn, |conn| {
        store::hold_for_linking(conn, &fields.incident_ids)?;
        let mut case = load(conn, id)?.ok_or(AppError::NotFound)?;
        if case.row.version != expected_version {
            return Err(stale(expected_version));
        }
        let before = case_versions::snapshot_of(conn, id)?;
        let former_host = case.row.jurisdiction_state.clone();
        fill_row(&mut case.row, &fields)?;
        save(conn, &mut case.row, now)?;
        // The former host State's courts no longer hold the case: what it proposed is withdrawn.
        if case.row.jurisdiction_state != former_host {
            let new_host = case.row.jurisdiction_state.as_deref();
            proposals::withdraw_for_new_host(conn, user, id, new_host, now)?;
        }
        let old_ids: Vec<&String> = case.incidents.iter().map(|i| &i.id).collect();
        if old_ids.len() != fields.incident_ids.len()
            || fields.incident_ids.iter().any(|i| !old_ids.contains(&i))
        {
            store::set_incidents(conn, id, &fields.incident_ids)?;
        }
        let details = case_versions::record(conn, &user.id, id, before.as_ref(), "update", now)?;
        audit::append(
            conn,
            &user.audit(now),
            "case.update",
            "case",
            Some(id),
            details,
        )?;
        Ok(())
    })?;
    get(conn, user, id, now)
}

/// Moves a case along its timeline. Two moves from the same status: the first wins, the
/// second finds the case moved (or, with `version`, changed) and gets 409.
pub fn transition(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    input: TransitionInput,
    now: NaiveDateTime,
) -> AppResult<CaseDetail> {
    Case::changeable(conn, user, id, "cases.transition", now)?;
    write_transaction(conn, |conn| {
        let mut case = load(conn, id)?.ok_or(AppError::NotFound)?;
        if let Some(expected) = input.version
            && expected != case.row.version
        {
            return Err(stale(expected));
        }
        let before = case_versions::snapshot_of(conn, id)?;
        let step = check_step(conn, &case, &input, now.date())?;
        record_step(conn, &mut case, step, &user.id, None, now)?;
        let details =
            case_versions::record(conn, &user.id, id, before.as_ref(), "transition", now)?;
        audit::append(
            conn,
            &user.audit(now),
            "case.transition",
            "case",
            Some(id),
            details,
        )?;
        Ok(())
    })?;
    get(conn, user, id, now)
}

/// Checks a step against the case as it stands: the lifecycle (409 with the moves it allows)
/// and the timeline's dates (422).
pub(super) fn check_step(
    conn: &mut DbConnection,
    case: &Case,
    input: &TransitionInput,
    today: NaiveDate,
) -> AppResult<rules::Transition> {
    let timeline = store::transitions(conn, &case.row.id)?;
    // The opening (no `from`) is not a transition: earlier steps may be recorded after it.
    let previous = timeline
        .iter()
        .filter(|step| step.from_status.is_some())
        .map(|step| step.effective_on)
        .max();
    rules::validate_transition(
        input,
        case.status()?,
        case.earliest_incident_on(),
        previous,
        today,
    )
    .map_err(|refusal| match refusal {
        TransitionRefusal::Invalid(errors) => AppError::Validation(errors),
        TransitionRefusal::NotAllowed { from, allowed } => {
            let codes: Vec<String> = allowed.iter().map(|s| s.code().to_string()).collect();
            AppError::MoveNotAllowed {
                detail: if codes.is_empty() {
                    format!("The case is {}: it can no longer move.", from.code())
                } else {
                    format!(
                        "A case that is {} can move only to: {}.",
                        from.code(),
                        codes.join(", ")
                    )
                },
                allowed: codes,
            }
        }
    })
}

/// Moves the case and records the checked step, entered by `entered_by` (from an accepted
/// proposal when `proposal_id` says which). Inside the caller's transaction.
pub(super) fn record_step(
    conn: &mut DbConnection,
    case: &mut Case,
    step: rules::Transition,
    entered_by: &str,
    proposal_id: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let position = store::transitions(conn, &case.row.id)?.len() as i32;
    case.row.status = step.to.code().to_string();
    case.row.closure_reason = step.closure_reason.clone();
    case.row.last_moved_on = step.effective_on;
    refresh_derived(&mut case.row)?;
    save(conn, &mut case.row, now)?;
    store::insert_transition(
        conn,
        &TransitionRow {
            case_id: case.row.id.clone(),
            position,
            from_status: Some(step.from.code().to_string()),
            to_status: step.to.code().to_string(),
            effective_on: step.effective_on,
            note: step.note,
            closure_reason: step.closure_reason,
            entered_by: entered_by.to_string(),
            entered_at: now,
            note_shared: step.note_shared,
            proposal_id: proposal_id.map(str::to_string),
        },
    )?;
    Ok(())
}

/// Shares a step's note with the States concerned, or makes it the mission's own again: a
/// legal officer of the mission, on the case's current version (409 otherwise), recorded as a
/// new version of the case.
pub fn share_step_note(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    position: i32,
    expected_version: i64,
    shared: bool,
    now: NaiveDateTime,
) -> AppResult<CaseDetail> {
    let attempted = "cases.steps.share";
    Case::changeable(conn, user, id, attempted, now)?;
    let step_of = |conn: &mut DbConnection| -> AppResult<Option<TransitionRow>> {
        Ok(store::transitions(conn, id)?
            .into_iter()
            .find(|step| step.position == position))
    };
    // No such step: 404, recorded, before anything is written.
    if step_of(conn)?.is_none() {
        return Err(Case::hide(conn, user, attempted, id, now));
    }
    write_transaction(conn, |conn| {
        let mut case = load(conn, id)?.ok_or(AppError::NotFound)?;
        if expected_version != case.row.version {
            return Err(stale(expected_version));
        }
        let step = step_of(conn)?.ok_or(AppError::NotFound)?;
        if shared && step.note.is_none() {
            return Err(AppError::invalid(
                "note_shared",
                "is only for a step with a note",
            ));
        }
        let before = case_versions::snapshot_of(conn, id)?;
        save(conn, &mut case.row, now)?;
        store::share_step_note(conn, id, position, shared)?;
        let mut details =
            case_versions::record(conn, &user.id, id, before.as_ref(), "step.share", now)?;
        details["position"] = json!(position);
        details["note_shared"] = json!({ "from": step.note_shared, "to": shared });
        audit::append(
            conn,
            &user.audit(now),
            "case.step.share",
            "case",
            Some(id),
            details,
        )?;
        Ok(())
    })?;
    get(conn, user, id, now)
}
