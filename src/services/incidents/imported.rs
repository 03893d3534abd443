//! Incidents and victims the UN fatalities dataset brings in.

use super::*;

/// Records an incident of the official fatalities dataset: verified at once, by the account
/// that stands for the dataset, with its version and audit record, in the caller's transaction.
pub(crate) fn record_imported(
    conn: &mut DbConnection,
    context: &audit::AuditContext,
    reporter_id: &str,
    data: &IncidentData,
    reason: &str,
    now: NaiveDateTime,
) -> AppResult<IncidentRow> {
    let id = Uuid::now_v7().to_string();
    let mut row = blank_row(&id, reporter_id, now);
    fill_row(&mut row, data);
    let year = row.occurred_at.year();
    let number = next_reference_number(conn, ReferenceCounter::Incidents, &row.mission_code, year)?;
    row.reference = Some(incident::reference(&row.mission_code, year, number));
    row.status = Status::Verified.code().to_string();
    row.verified_by = Some(reporter_id.to_string());
    row.verified_at = Some(now);
    row.last_verified_version = Some(row.version);
    refresh_search_text(&mut row);
    let (version, details) = new_version(reporter_id, None, &row, data, "import", Some(reason));
    let record = audit::new_record(context, "incident.import", "incident", Some(&id), details);
    store::insert_recorded(conn, &row, &children_of(&id, data), &version, &record)?;
    Ok(row)
}

/// Adds deaths that a later edition of the official dataset lists to the incident of their
/// day, as a new version (in the caller's transaction).
#[allow(clippy::too_many_arguments)]
pub(crate) fn add_imported_victims(
    conn: &mut DbConnection,
    context: &audit::AuditContext,
    reporter_id: &str,
    incident_id: &str,
    victims: &[Victim],
    summary_and_narrative: Option<(String, String)>,
    reason: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let mut incident = reload(conn, incident_id)?;
    let before = snapshot(&incident.row, &incident.data);
    incident.data.victims.extend(victims.iter().cloned());
    if let Some((summary, narrative)) = summary_and_narrative {
        incident.data.summary = summary;
        incident.data.narrative = narrative;
    }
    let data = incident.data.clone();
    fill_row(&mut incident.row, &data);
    let expected = incident.row.version;
    // The official source stands behind the deaths it adds: a verified incident of the import
    // stays verified by the dataset's account, at its new version. One amended by an officer
    // still waits for a second officer, the import's deaths included.
    if incident.status()? == Status::Verified {
        incident.row.last_verified_version = Some(expected + 1);
        incident.row.verified_by = Some(reporter_id.to_string());
        incident.row.verified_at = Some(now);
    }
    save(conn, &mut incident, expected, now)?;
    store::replace_children(conn, incident_id, &children_of(incident_id, &incident.data))?;
    let (version, details) = new_version(
        reporter_id,
        Some(&before),
        &incident.row,
        &incident.data,
        "import",
        Some(reason),
    );
    store::insert_version(conn, &version)?;
    audit::append(
        conn,
        context,
        "incident.import",
        "incident",
        Some(incident_id),
        details,
    )?;
    Ok(())
}
