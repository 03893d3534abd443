//! Reading incidents: one with its history, and lists.

use super::*;

/// `history`, each version with the username of who wrote it.
pub fn history_with_authors(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<Vec<(VersionRow, String)>> {
    let versions = history(conn, user, id, now)?;
    // One lookup per person, however many versions they wrote.
    let mut names: std::collections::HashMap<String, String> = Default::default();
    let mut named = Vec::with_capacity(versions.len());
    for version in versions {
        if !names.contains_key(&version.changed_by) {
            let name = crate::store::cases::username_of(conn, &version.changed_by)?
                .unwrap_or_else(|| version.changed_by.clone());
            names.insert(version.changed_by.clone(), name);
        }
        let who = names[&version.changed_by].clone();
        named.push((version, who));
    }
    Ok(named)
}

/// Every version, oldest first; without victims' names and units for those who may not see them.
pub fn history(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<Vec<VersionRow>> {
    let incident = Incident::visible(conn, user, id, "incidents.history", now)?;
    let personal = user.viewer().sees_personal_data(&incident.row.mission_code);
    let mut versions = store::versions(conn, id)?;
    // A version classified higher than the reader's clearance (before a downgrade) is withheld:
    // its number, time and author stay, its content does not; and the change that followed it
    // shows only the new values.
    let mut previous_hidden = false;
    for version in &mut versions {
        let classification = serde_json::from_str::<Value>(&version.snapshot)
            .ok()
            .and_then(|v| v["classification"].as_str().map(stored_classification))
            .unwrap_or_else(|| {
                tracing::error!(
                    incident = id,
                    version = version.version,
                    "a version's snapshot names no classification: withheld"
                );
                Clearance::StrictlyConfidential
            });
        let hidden = classification > user.clearance;
        if hidden {
            version.snapshot = json!({ "withheld": "classified above your clearance" }).to_string();
            version.changes = json!({}).to_string();
        } else if previous_hidden
            && let Ok(Value::Object(mut changes)) = serde_json::from_str::<Value>(&version.changes)
        {
            for change in changes.values_mut() {
                if let Value::Object(fields) = change {
                    fields.remove("from");
                }
            }
            version.changes = Value::Object(changes).to_string();
        }
        previous_hidden = hidden;
    }
    if !personal {
        for version in &mut versions {
            for text in [&mut version.changes, &mut version.snapshot] {
                if let Ok(mut value) = serde_json::from_str::<Value>(text) {
                    incident::redact_personal(&mut value);
                    *text = value.to_string();
                }
            }
        }
    }
    Ok(versions)
}

/// What a list asks for, as the client sent it.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub missions: Vec<String>,
    pub status: Option<String>,
    pub attack_type: Option<String>,
    pub classification: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub fatal: Option<bool>,
    /// Only those the user may verify: submitted, of their missions, none of their content
    /// written by the user since the last verification.
    pub awaiting_my_verification: bool,
    pub q: Option<String>,
    pub after: Option<(NaiveDateTime, String)>,
    pub limit: i64,
}

/// What a user may see of a list request, as the store's filter.
pub(crate) fn filter_for(user: &Actor, request: ListRequest) -> IncidentFilter {
    let viewer = user.viewer();
    IncidentFilter {
        state_part: None,
        missions: request.missions,
        viewer_missions: (!user.all_missions).then(|| user.missions.clone()),
        classifications_allowed: Clearance::ALL
            .into_iter()
            .filter(|c| *c <= viewer.clearance)
            .map(|c| c.code().to_string())
            .collect(),
        include_drafts: viewer.role == Role::SecurityOfficer,
        status: request.status,
        attack_type: request.attack_type,
        classification: request.classification,
        from: request.from,
        to: request.to,
        fatal: request.fatal,
        awaiting_verification_by: request.awaiting_my_verification.then(|| user.id.clone()),
        words: request
            .q
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_lowercase)
            .collect(),
        after: request.after,
    }
}

/// Only the missions' readers of incident content may list or export them (refusals are
/// recorded).
pub(crate) fn check_may_read(
    conn: &mut DbConnection,
    user: &Actor,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    Incident::require_lister(conn, user, attempted, now)
}

/// Incidents the user may see, newest first, one page (asks for one more to know if more follow).
pub fn list(
    conn: &mut DbConnection,
    user: &Actor,
    request: ListRequest,
    now: NaiveDateTime,
) -> AppResult<Vec<ListedIncident>> {
    Incident::require_lister(conn, user, "incidents.list", now)?;
    if request.awaiting_my_verification && user.role != Role::SecurityOfficer {
        // Only security officers verify.
        return Ok(Vec::new());
    }
    let limit = request.limit;
    Ok(store::list_page(
        conn,
        &filter_for(user, request),
        limit + 1,
    )?)
}
