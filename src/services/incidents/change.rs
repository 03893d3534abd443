//! Changing an incident: edits and amendments, submission, verification and withdrawal.

use super::*;

/// The status after the move, or 409 when the lifecycle does not allow it now.
pub(super) fn check_status(
    incident: &Incident,
    action: Move,
    has_reason: bool,
) -> AppResult<Status> {
    incident::next_status(incident.status()?, action, has_reason).map_err(AppError::Conflict)
}

/// The incident as stored now, inside a write transaction.
pub(super) fn reload(conn: &mut DbConnection, id: &str) -> AppResult<Incident> {
    let (row, children) = store::find_with_children(conn, id)?.ok_or(AppError::NotFound)?;
    Incident::try_from((row, children))
}

pub(super) fn save(
    conn: &mut DbConnection,
    incident: &mut Incident,
    expected_version: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    incident.row.version = expected_version + 1;
    incident.row.updated_at = now;
    if !store::update(conn, &incident.row, expected_version)? {
        return Err(AppError::Conflict(format!(
            "The incident was changed since you read it (version {expected_version}). Read it again."
        )));
    }
    Ok(())
}

/// A partial update: the fields sent replace the stored ones (lists whole); `null` clears.
#[allow(clippy::too_many_arguments)]
pub fn update(
    conn: &mut DbConnection,
    missions: &RecentMissions,
    user: &Actor,
    id: &str,
    changes: IncidentChanges,
    expected_version: i64,
    reason: Option<String>,
    now: NaiveDateTime,
) -> AppResult<Incident> {
    let current = Incident::changeable(conn, user, id, "incidents.update", now)?;
    let stale = || {
        AppError::Conflict(format!(
            "The incident was changed since you read it (version {expected_version}). Read it again."
        ))
    };
    if current.row.version != expected_version {
        return Err(stale());
    }
    let amendment = current.status()? == Status::Verified;
    let reason = check_reason(reason, false)?;
    if amendment && reason.is_none() {
        return Err(AppError::invalid(
            "reason",
            "is required: a verified incident is changed by an amendment that says why",
        ));
    }
    check_status(&current, Move::Edit, true)?;
    let input = changes.applied_to(current.data.to_input());
    if input.mission.as_deref() != Some(current.data.mission.as_str())
        && current.row.reference.is_some()
    {
        return Err(AppError::invalid(
            "mission",
            "cannot change once the incident has a reference",
        ));
    }
    let data = prepare(
        conn,
        missions,
        user,
        &input,
        id,
        Some(&current.data),
        "incidents.update",
        now,
    )?;
    // A case's timeline never precedes its attacks: a correction cannot move this incident
    // after a step already recorded in a case on it.
    if let Some(first_step) = crate::store::cases::first_step_on_incident(conn, id)?
        && data.occurred_at.date() > first_step
    {
        return Err(AppError::invalid(
            "occurred_at",
            format!(
                "must not be after {first_step}: a case on this incident records a step on that day"
            ),
        ));
    }

    write_transaction(conn, |conn| {
        let mut incident = reload(conn, id)?;
        // The merge above started from `current`; it still holds only if nobody changed it.
        if incident.row.version != expected_version {
            return Err(stale());
        }
        check_status(&incident, Move::Edit, reason.is_some())?;
        let before = snapshot(&incident.row, &incident.data);
        fill_row(&mut incident.row, &data);
        incident.data = data;
        if amendment {
            // Nobody has yet stood behind the amended content: it waits for a second officer.
            incident.row.status = Status::Submitted.code().to_string();
            incident.row.verified_by = None;
            incident.row.verified_at = None;
        }
        save(conn, &mut incident, expected_version, now)?;
        store::replace_children(conn, id, &children_of(id, &incident.data)).map_err(|e| {
            if is_unique_violation(&e) {
                AppError::Conflict(
                    "A casualty id of this incident is already recorded.".to_string(),
                )
            } else {
                e.into()
            }
        })?;
        let action = if amendment { "amend" } else { "update" };
        let details = record_version(
            conn,
            user,
            Some(&before),
            &incident,
            action,
            reason.as_deref(),
        )?;
        audit::append(
            conn,
            &user.audit(now),
            &format!("incident.{action}"),
            "incident",
            Some(id),
            details,
        )?;
        Ok(incident)
    })
}

pub(super) fn check_reason(reason: Option<String>, required: bool) -> AppResult<Option<String>> {
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    match &reason {
        None if required => Err(AppError::invalid("reason", "is required")),
        Some(r) => text_length(r, 1, 2000)
            .map(|_| reason.clone())
            .map_err(|m| AppError::invalid("reason", m)),
        None => Ok(None),
    }
}

pub(super) fn submit_loaded(
    conn: &mut DbConnection,
    user: &Actor,
    mut incident: Incident,
    now: NaiveDateTime,
) -> AppResult<Incident> {
    check_status(&incident, Move::Submit, false)?;
    let before = snapshot(&incident.row, &incident.data);
    let year = incident.row.occurred_at.year();
    let number = next_reference_number(
        conn,
        ReferenceCounter::Incidents,
        &incident.row.mission_code,
        year,
    )?;
    incident.row.reference = Some(incident::reference(
        &incident.row.mission_code,
        year,
        number,
    ));
    incident.row.status = Status::Submitted.code().to_string();
    incident.row.reported_at = now;
    refresh_search_text(&mut incident.row);
    let expected = incident.row.version;
    save(conn, &mut incident, expected, now)?;
    let details = record_version(conn, user, Some(&before), &incident, "submit", None)?;
    audit::append(
        conn,
        &user.audit(now),
        "incident.submit",
        "incident",
        Some(&incident.row.id),
        details,
    )?;
    Ok(incident)
}

pub fn submit(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<Incident> {
    IncidentRow::changeable(conn, user, id, "incidents.submit", now)?;
    write_transaction(conn, |conn| {
        let incident = reload(conn, id)?;
        submit_loaded(conn, user, incident, now)
    })
}

/// Who wrote content of this incident since it was last verified, from its history.
pub(super) fn writers_since_verified(
    conn: &mut DbConnection,
    row: &IncidentRow,
) -> AppResult<std::collections::BTreeSet<String>> {
    let history = store::authorship(conn, &row.id)?;
    let steps = history
        .iter()
        .map(|(version, action, by)| verification::Step {
            version: *version,
            action,
            by,
        });
    Ok(
        verification::writers_since(steps, row.last_verified_version)
            .into_iter()
            .map(str::to_string)
            .collect(),
    )
}

/// Whether this user may verify the incident now: a security officer of its mission, the
/// incident submitted, and none of its content written by them since it was last verified.
pub fn may_verify(conn: &mut DbConnection, user: &Actor, row: &IncidentRow) -> AppResult<bool> {
    if !user.viewer().can_write_incident(&row.mission_code)
        || row.status != Status::Submitted.code()
    {
        return Ok(false);
    }
    Ok(!writers_since_verified(conn, row)?.contains(&user.id))
}

/// Verifies the version `expected_version` of a submitted incident (409 when it is no longer
/// the stored one), under the two-person rule (403 for anyone who wrote content since the last
/// verification).
pub fn verify(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    expected_version: i64,
    now: NaiveDateTime,
) -> AppResult<Incident> {
    let current = IncidentRow::changeable(conn, user, id, "incidents.verify", now)?;
    let stale = || {
        AppError::Conflict(format!(
            "The incident was changed since you read it (version {expected_version}); read it again before you verify it."
        ))
    };
    let refused = |conn: &mut DbConnection, row: &IncidentRow| -> AppResult<Option<&'static str>> {
        let writers = writers_since_verified(conn, row)?;
        let writers = writers.iter().map(String::as_str).collect();
        Ok(verification::refusal(&user.id, &writers))
    };
    if current.version == expected_version
        && current.status == Status::Submitted.code()
        && let Some(why) = refused(conn, &current)?
    {
        return Err(Incident::forbid(
            conn,
            user,
            "incidents.verify",
            Some(id),
            now,
            why,
        ));
    }
    let verified = write_transaction(conn, |conn| {
        let mut incident = reload(conn, id)?;
        check_status(&incident, Move::Verify, false)?;
        if incident.row.version != expected_version {
            return Err(stale());
        }
        // Checked again inside the transaction: the history cannot have grown since the
        // version was compared, but the rule is cheap and this keeps it in one place.
        if let Some(why) = refused(conn, &incident.row)? {
            return Err(AppError::Forbidden(why.to_string()));
        }
        let before = snapshot(&incident.row, &incident.data);
        incident.row.status = Status::Verified.code().to_string();
        incident.row.verified_by = Some(user.id.clone());
        incident.row.verified_at = Some(now);
        incident.row.last_verified_version = Some(expected_version + 1);
        save(conn, &mut incident, expected_version, now)?;
        let details = record_version(conn, user, Some(&before), &incident, "verify", None)?;
        audit::append(
            conn,
            &user.audit(now),
            "incident.verify",
            "incident",
            Some(id),
            details,
        )?;
        Ok(incident)
    });
    match verified {
        // A refusal found inside the transaction is recorded outside it, so it is not undone.
        Err(AppError::Forbidden(why)) => Err(Incident::forbid(
            conn,
            user,
            "incidents.verify",
            Some(id),
            now,
            &why,
        )),
        other => other,
    }
}

pub fn withdraw(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    reason: Option<String>,
    now: NaiveDateTime,
) -> AppResult<Incident> {
    IncidentRow::changeable(conn, user, id, "incidents.withdraw", now)?;
    let reason = check_reason(reason, true)?;
    write_transaction(conn, |conn| {
        let mut incident = reload(conn, id)?;
        check_status(&incident, Move::Withdraw, true)?;
        let before = snapshot(&incident.row, &incident.data);
        incident.row.status = Status::Withdrawn.code().to_string();
        incident.row.withdrawn_reason = reason.clone();
        let expected = incident.row.version;
        save(conn, &mut incident, expected, now)?;
        let details = record_version(
            conn,
            user,
            Some(&before),
            &incident,
            "withdraw",
            reason.as_deref(),
        )?;
        audit::append(
            conn,
            &user.audit(now),
            "incident.withdraw",
            "incident",
            Some(id),
            details,
        )?;
        Ok(incident)
    })
}
