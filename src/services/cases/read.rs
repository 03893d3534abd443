//! Reading cases: one as a user may see it, and lists.

use super::*;

/// What a list asks for, as the client sent it.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub missions: Vec<String>,
    pub statuses: Vec<String>,
    pub lead_officer: Option<String>,
    pub jurisdiction: Option<String>,
    pub due_before: Option<NaiveDate>,
    pub stalled_days: Option<u32>,
    pub q: Option<String>,
    pub after: Option<(NaiveDate, String)>,
    pub limit: i64,
}

/// Cases the user may see, most urgent first, one page (one more row to know if more follow).
pub fn list(
    conn: &mut DbConnection,
    user: &Actor,
    request: ListRequest,
    now: NaiveDateTime,
) -> AppResult<Vec<CaseRow>> {
    Case::require_lister(conn, user, "cases.list", now)?;
    let filter = CaseFilter {
        opened_from: None,
        opened_to: None,
        state_part: None,
        missions: request.missions,
        viewer_missions: (!user.all_missions).then(|| user.missions.clone()),
        classifications_allowed: (user.clearance < Clearance::StrictlyConfidential).then(|| {
            Clearance::ALL
                .into_iter()
                .filter(|c| *c <= user.clearance)
                .map(|c| c.code().to_string())
                .collect()
        }),
        statuses: request.statuses,
        lead_officer: request.lead_officer,
        jurisdiction: request.jurisdiction,
        due_by: request.due_before,
        moved_before: request
            .stalled_days
            .map(|days| now.date() - chrono::Days::new(days.into())),
        words: request
            .q
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_lowercase)
            .collect(),
        after: request.after,
    };
    Ok(store::list(conn, &filter, request.limit + 1)?)
}

/// Whether the user, one of a mission's staff, may see this case (without a record of it:
/// for naming the cases another record links to).
pub(crate) fn sees(conn: &mut DbConnection, user: &Actor, id: &str) -> AppResult<Option<String>> {
    Ok(load(conn, id)?
        .filter(|case| case.may_see(user))
        .map(|case| case.row.mission_code))
}
