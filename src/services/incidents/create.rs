//! Recording an incident: a draft, or submitted at once; retried safely with an idempotency key.

use super::*;

/// Only security officers record incidents (refusals are recorded).
pub fn check_may_create(
    conn: &mut DbConnection,
    user: &Actor,
    now: NaiveDateTime,
) -> AppResult<()> {
    Incident::require_reader(conn, user, "incidents.create", now)?;
    if user.role != Role::SecurityOfficer {
        return Err(Incident::forbid(
            conn,
            user,
            "incidents.create",
            None,
            now,
            "Only security officers record incidents.",
        ));
    }
    Ok(())
}

/// Creates a draft (or a submitted incident when the body says `"submit": true`).
pub fn create(
    conn: &mut DbConnection,
    missions: &RecentMissions,
    user: &Actor,
    request: CreateRequest,
    now: NaiveDateTime,
) -> AppResult<Created> {
    check_may_create(conn, user, now)?;
    let CreateRequest {
        input,
        submit,
        idempotency: key,
    } = request;
    // A retry is answered before anything else is checked: its first answer was a success.
    let key = key.as_ref();
    if let Some(earlier) = idempotency::earlier(conn, user, key, "incident")? {
        return replay(conn, user, &earlier, now);
    }
    let id = Uuid::now_v7().to_string();
    let data = match prepare(
        conn,
        missions,
        user,
        &input,
        &id,
        None,
        "incidents.create",
        now,
    ) {
        Ok(data) => data,
        Err(error) => {
            // A request with the same key may have committed meanwhile (its casualty ids are
            // then "in use"): answer as it did.
            if let Some(earlier) = idempotency::earlier(conn, user, key, "incident")? {
                return replay(conn, user, &earlier, now);
            }
            return Err(error);
        }
    };
    idempotency::at_most_twice(|| {
        write_transaction(conn, |conn| {
            create_once(conn, user, &id, &data, submit, key, now)
        })
    })
}

/// The incident an earlier request with the same key made, answered as a read would answer
/// it now (404 when the user may no longer see it).
pub(super) fn replay(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<Created> {
    Ok(Created {
        incident: Incident::visible(conn, user, id, "incidents.create", now)?,
        replayed: true,
    })
}

pub(super) fn create_once(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    data: &IncidentData,
    submit: bool,
    key: Option<&IdempotencyKey>,
    now: NaiveDateTime,
) -> Result<Created, Attempt> {
    if let Some(earlier) = idempotency::claim(conn, user, key, "incident", id, now)? {
        return Ok(replay(conn, user, &earlier, now)?);
    }

    let mut row = blank_row(id, &user.id, now);
    fill_row(&mut row, data);
    let mut incident = Incident {
        row,
        data: data.clone(),
    };
    let (version, details) = new_version(&user.id, None, &incident.row, data, "create", None);
    let record = audit::new_record(
        &user.audit(now),
        "incident.create",
        "incident",
        Some(id),
        details,
    );
    let children = children_of(id, data);
    store::insert_recorded(conn, &incident.row, &children, &version, &record).map_err(|e| {
        if is_unique_violation(&e) {
            AppError::Conflict("A casualty id of this incident is already recorded.".to_string())
        } else {
            e.into()
        }
    })?;
    if submit {
        incident = submit_loaded(conn, user, incident, now)?;
    }
    Ok(Created {
        incident,
        replayed: false,
    })
}

/// A draft row with no content yet, reported now by `reporter_id`.
pub(super) fn blank_row(id: &str, reporter_id: &str, now: NaiveDateTime) -> IncidentRow {
    IncidentRow {
        id: id.to_string(),
        reference: None,
        mission_code: String::new(),
        status: Status::Draft.code().to_string(),
        classification: String::new(),
        occurred_at: now,
        time_precision: String::new(),
        occurred_until: None,
        reported_at: now,
        reported_by: reporter_id.to_string(),
        place_name: None,
        admin1: None,
        admin2: None,
        latitude: None,
        longitude: None,
        geo_precision: String::new(),
        location_type: String::new(),
        attack_type: String::new(),
        weapons: String::new(),
        summary: String::new(),
        narrative: String::new(),
        verified_by: None,
        verified_at: None,
        withdrawn_reason: None,
        killed: 0,
        injured: 0,
        abducted: 0,
        missing: 0,
        search_text: String::new(),
        version: 1,
        created_at: now,
        updated_at: now,
        last_verified_version: None,
    }
}
