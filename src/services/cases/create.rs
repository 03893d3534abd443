//! Opening a case on incidents of one mission; retried safely with an idempotency key.

use super::*;

/// Only legal officers open cases (refusals are recorded).
pub fn check_may_create(
    conn: &mut DbConnection,
    user: &Actor,
    now: NaiveDateTime,
) -> AppResult<()> {
    Case::require_reader(conn, user, "cases.create", now)?;
    if user.role != Role::LegalOfficer {
        return Err(Case::forbid(
            conn,
            user,
            "cases.create",
            None,
            now,
            "Only legal officers open cases.",
        ));
    }
    Ok(())
}

/// Checks incidents being linked to a case: each must exist and be visible to the user, be
/// submitted or verified, and belong to `mission` (or, for a new case, to the mission of the
/// first). Returns their rows and the problems, each named by its place in `incident_ids`.
pub(super) fn check_new_links(
    conn: &mut DbConnection,
    user: &Actor,
    all_ids: &[String],
    already_linked: &[String],
    mut mission: Option<String>,
    errors: &mut Vec<FieldError>,
) -> AppResult<Vec<IncidentRow>> {
    let mut rows = Vec::new();
    for (i, id) in all_ids.iter().enumerate() {
        if already_linked.contains(id) {
            continue;
        }
        let field = format!("incident_ids[{i}]");
        let row = incident_store::find(conn, id)?.filter(|row| {
            user.viewer().can_see_incident(
                &row.mission_code,
                row.status == IncidentStatus::Draft.code(),
                classification_of(row),
            )
        });
        let Some(row) = row else {
            errors.push(FieldError::new(field, "is not an incident you can see"));
            continue;
        };
        if row.status != IncidentStatus::Submitted.code()
            && row.status != IncidentStatus::Verified.code()
        {
            errors.push(FieldError::new(
                field,
                format!(
                    "must be a submitted or verified incident (this one is {})",
                    row.status
                ),
            ));
            continue;
        }
        match &mission {
            Some(expected) if *expected != row.mission_code => {
                errors.push(FieldError::new(
                    field,
                    format!(
                        "is an incident of {}; a case covers incidents of one mission ({expected})",
                        row.mission_code
                    ),
                ));
                continue;
            }
            Some(_) => {}
            None => mission = Some(row.mission_code.clone()),
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The lead officer must be an active legal officer who works on the mission.
pub(super) fn check_lead_officer(
    conn: &mut DbConnection,
    lead: &str,
    mission: &str,
    errors: &mut Vec<FieldError>,
) -> AppResult<()> {
    let fitting = match users::find_by_id(conn, lead)? {
        Some(user) if !user.disabled && user.role == Role::LegalOfficer.code() => {
            user.all_missions || users::missions_of(conn, lead)?.iter().any(|m| m == mission)
        }
        _ => false,
    };
    if !fitting {
        errors.push(FieldError::new(
            "lead_officer",
            format!("must be the id of an active legal officer who works on {mission}"),
        ));
    }
    Ok(())
}

/// A creating request: the case, the day it opened as the client wrote it (today when
/// absent), and the client's `Idempotency-Key` with the hash of what was sent.
pub struct CreateRequest {
    pub input: CaseInput,
    pub opened_on: Option<String>,
    pub idempotency: Option<IdempotencyKey>,
}

pub struct Created {
    pub case: CaseDetail,
    pub replayed: bool,
}

/// Opens a case on submitted or verified incidents of one mission. `opened_on` (optional,
/// default today) dates the first step of the timeline, for cases that began before the
/// registry knew of them.
pub fn create(
    conn: &mut DbConnection,
    user: &Actor,
    request: CreateRequest,
    now: NaiveDateTime,
) -> AppResult<Created> {
    check_may_create(conn, user, now)?;
    let CreateRequest {
        input,
        opened_on,
        idempotency: key,
    } = request;
    let key = key.as_ref();
    if let Some(earlier) = idempotency::earlier(conn, user, key, "case")? {
        return replay(conn, user, &earlier, now);
    }
    let today = now.date();
    let opened_on = opened_on.map_or(Ok(today), |text| rules::parse_date(&text));
    let validated = rules::validate_case(&input);
    let mut errors = validated.as_ref().err().cloned().unwrap_or_default();
    let linked = check_new_links(conn, user, &input.incident_ids, &[], None, &mut errors)?;
    let mission = linked.first().map(|i| i.mission_code.clone());
    if let Some(mission) = &mission
        && !user.viewer().can_write_case(mission)
    {
        return Err(Case::forbid(
            conn,
            user,
            "cases.create",
            None,
            now,
            &format!("Only legal officers of {mission} open its cases."),
        ));
    }
    match (&opened_on, earliest_on(&linked)) {
        (Err(message), _) => errors.push(FieldError::new("opened_on", message.clone())),
        (Ok(date), earliest) => {
            if let Err(message) =
                rules::check_effective_on(*date, earliest.unwrap_or(*date), None, today)
            {
                errors.push(FieldError::new("opened_on", message));
            }
        }
    }
    let lead = input
        .lead_officer
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map_or_else(|| user.id.clone(), str::to_string);
    if let Some(mission) = &mission {
        check_lead_officer(conn, &lead, mission, &mut errors)?;
    }
    let (mut fields, mission, opened_on) = match (validated, mission, opened_on) {
        (Ok(fields), Some(mission), Ok(opened_on)) if errors.is_empty() => {
            (fields, mission, opened_on)
        }
        _ => return Err(AppError::Validation(errors)),
    };
    fields.lead_officer = Some(lead);

    let id = Uuid::now_v7().to_string();
    let created_id = idempotency::at_most_twice(|| {
        write_transaction(conn, |conn| {
            create_once(conn, user, &id, &fields, &mission, opened_on, key, now)
        })
    })?;
    if created_id != id {
        return replay(conn, user, &created_id, now);
    }
    let case = load(conn, &created_id)?.ok_or(AppError::NotFound)?;
    Ok(Created {
        case: detail(conn, user, case)?,
        replayed: false,
    })
}

/// The case an earlier request with the same key made, answered as a read would answer it now.
pub(super) fn replay(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<Created> {
    let case = Case::visible(conn, user, id, "cases.create", now)?;
    Ok(Created {
        case: detail(conn, user, case)?,
        replayed: true,
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn create_once(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    fields: &CaseFields,
    mission: &str,
    opened_on: NaiveDate,
    key: Option<&IdempotencyKey>,
    now: NaiveDateTime,
) -> Result<String, Attempt> {
    if let Some(earlier) = idempotency::claim(conn, user, key, "case", id, now)? {
        return Ok(earlier);
    }
    let number = next_reference_number(conn, ReferenceCounter::Cases, mission, opened_on.year())?;
    let mut row = CaseRow {
        id: id.to_string(),
        reference: rules::reference(mission, opened_on.year(), number),
        mission_code: mission.to_string(),
        status: CaseStatus::Opened.code().to_string(),
        jurisdiction: String::new(),
        jurisdiction_state: None,
        authority: None,
        lead_officer: user.id.clone(),
        next_action: None,
        next_action_due: None,
        next_action_shared: false,
        urgency: opened_on,
        notes: None,
        closure_reason: None,
        opened_on,
        last_moved_on: opened_on,
        search_text: String::new(),
        version: 1,
        created_by: user.id.clone(),
        created_at: now,
        updated_at: now,
    };
    fill_row(&mut row, fields)?;
    store::hold_for_linking(conn, &fields.incident_ids)?;
    store::insert(conn, &row)?;
    store::set_incidents(conn, id, &fields.incident_ids)?;
    store::insert_transition(
        conn,
        &TransitionRow {
            case_id: id.to_string(),
            position: 0,
            from_status: None,
            to_status: CaseStatus::Opened.code().to_string(),
            effective_on: opened_on,
            note: None,
            closure_reason: None,
            entered_by: user.id.clone(),
            entered_at: now,
            note_shared: false,
            proposal_id: None,
        },
    )?;
    let details = case_versions::record(conn, &user.id, id, None, "create", now)?;
    audit::append(
        conn,
        &user.audit(now),
        "case.create",
        "case",
        Some(id),
        details,
    )?;
    Ok(id.to_string())
}
