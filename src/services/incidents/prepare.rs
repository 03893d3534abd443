//! An incident as written, checked against the rules and the registry, ready to store.

use super::*;

/// Turns an incident as written into one ready to store, or refuses it: 403 (recorded) when the
/// user may not write in its mission; otherwise one 422 listing every problem at once, those of
/// the fields and those only the registry can see (an unknown or closed mission, a
/// classification above the author's clearance, a casualty id recorded elsewhere).
/// `current` is the stored incident's content: records of a closed mission can still be corrected,
/// and the casualty ids already on it stay as they are.
#[allow(clippy::too_many_arguments)]
pub(super) fn prepare(
    conn: &mut DbConnection,
    missions: &RecentMissions,
    user: &Actor,
    input: &IncidentInput,
    incident_id: &str,
    current: Option<&IncidentData>,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<IncidentData> {
    let current_mission = current.map(|data| data.mission.as_str());
    let existing_ids: Vec<String> = current
        .map(|data| {
            data.victims
                .iter()
                .filter_map(|v| v.casualty_id.clone())
                .collect()
        })
        .unwrap_or_default();
    let validated = incident::validate(input, now);
    let mut errors = validated.as_ref().err().cloned().unwrap_or_default();

    // Casualty ids are checked only against a mission the registry knows and the user writes in.
    let mut mission_known = false;
    if let Some(code) = input.mission.as_deref().filter(|m| !m.is_empty()) {
        match missions.find(conn, code)? {
            None => errors.push(FieldError::new(
                "mission",
                format!("`{code}` is not a mission"),
            )),
            Some(mission) => {
                if !user.viewer().can_write_incident(code) {
                    return Err(Incident::forbid(
                        conn,
                        user,
                        attempted,
                        Some(incident_id),
                        now,
                        &format!("Only security officers of {code} record its incidents."),
                    ));
                }
                mission_known = true;
                if !mission.active && current_mission != Some(code) {
                    errors.push(FieldError::new(
                        "mission",
                        format!("`{code}` is no longer active"),
                    ));
                }
            }
        }
    }
    if let Some(classification) = input
        .classification
        .as_deref()
        .and_then(Clearance::from_code)
        && classification > user.clearance
    {
        errors.push(FieldError::new("classification", "is above your clearance"));
    }
    let ids: Vec<(usize, String)> = input
        .victims
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let id = v.casualty_id.as_deref()?.trim();
            (!id.is_empty()).then(|| (i, id.to_string()))
        })
        .collect();
    // An id new in this change must be of the incident's own mission (the ids already on it,
    // the official dataset's among them, stay as they are), so that only one's own mission's
    // ids can be found taken.
    let mission = input.mission.as_deref().unwrap_or_default();
    let mut wanted: Vec<(usize, String)> = Vec::new();
    for (i, id) in ids.into_iter().filter(|_| mission_known) {
        if existing_ids.contains(&id) {
            continue;
        }
        if casualty_id::fits(mission, &id) {
            wanted.push((i, id));
        } else {
            errors.push(FieldError::new(
                format!("victims[{i}].casualty_id"),
                format!("must read {mission}-YYYY-MM-NNNNN: a UN casualty id of the incident's own mission"),
            ));
        }
    }
    if !wanted.is_empty() {
        let asked: Vec<String> = wanted.iter().map(|(_, id)| id.clone()).collect();
        let holders = store::holders_of_casualty_ids(conn, &asked, incident_id)?;
        for (i, id) in &wanted {
            let Some(holder) = holders.iter().find(|h| &h.casualty_id == id) else {
                continue;
            };
            // The other incident is named only to those who may read it.
            let seen = user.viewer().can_see_incident(
                &holder.mission_code,
                holder.status == Status::Draft.code(),
                stored_classification(&holder.classification),
            );
            let message = match (&holder.reference, seen) {
                (Some(reference), true) => {
                    format!("is already recorded for a victim of {reference}")
                }
                _ => "is already recorded for a victim of another incident".to_string(),
            };
            errors.push(FieldError::new(
                format!("victims[{i}].casualty_id"),
                message,
            ));
        }
    }
    match validated {
        Ok(data) if errors.is_empty() => Ok(data),
        _ => Err(AppError::Validation(errors)),
    }
}
