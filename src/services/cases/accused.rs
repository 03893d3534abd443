//! The persons accused in a case: their charges, verdicts and sentences.

use super::*;

pub(super) fn accused_row(
    id: &str,
    case_id: &str,
    accused: &Accused,
    now: NaiveDateTime,
) -> AccusedRow {
    let sentence = accused.sentence.clone().unwrap_or_default();
    AccusedRow {
        id: id.to_string(),
        case_id: case_id.to_string(),
        name: accused.name.clone(),
        affiliation: accused.affiliation.clone(),
        status: accused.status.clone(),
        charges: accused.charges.clone(),
        verdict: accused.verdict.clone(),
        verdict_on: accused.verdict_on,
        sentence_type: sentence.sentence_type,
        sentence_months: sentence.months,
        sentence_details: sentence.details,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

impl From<&AccusedRow> for Accused {
    fn from(row: &AccusedRow) -> Accused {
        Accused {
            name: row.name.clone(),
            affiliation: row.affiliation.clone(),
            status: row.status.clone(),
            charges: row.charges.clone(),
            verdict: row.verdict.clone(),
            verdict_on: row.verdict_on,
            sentence: row.sentence_type.as_ref().map(|t| Sentence {
                sentence_type: Some(t.clone()),
                months: row.sentence_months,
                details: row.sentence_details.clone(),
            }),
        }
    }
}

/// The audit trail records what changed about an accused person, but never their name.
/// The names of an accused person's fields that a change touched (never their values).
pub(super) fn accused_fields(before: &Accused, after: &Accused) -> Vec<String> {
    let as_json =
        |accused: &Accused| serde_json::to_value(accused.to_input()).unwrap_or(Value::Null);
    crate::domain::snapshot::changed_fields(&as_json(before), &as_json(after))
}

/// The day the case's timeline first reached a judgment, if it did.
pub(super) fn judgment_reached_on(
    conn: &mut DbConnection,
    case_id: &str,
) -> AppResult<Option<NaiveDate>> {
    let timeline = store::transitions(conn, case_id)?;
    let steps = timeline
        .iter()
        .map(|step| {
            Ok((
                CaseStatus::try_from(step.to_status.as_str())?,
                step.effective_on,
            ))
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(rules::judgment_reached_on(steps))
}

pub fn add_accused(
    conn: &mut DbConnection,
    user: &Actor,
    case_id: &str,
    input: AccusedInput,
    now: NaiveDateTime,
) -> AppResult<(AccusedRow, bool)> {
    let current = Case::changeable(conn, user, case_id, "cases.accused.add", now)?;
    let id = Uuid::now_v7().to_string();
    let row = write_transaction(conn, |conn| {
        store::find(conn, case_id)?.ok_or(AppError::NotFound)?;
        let judged = judgment_reached_on(conn, case_id)?;
        let accused = rules::validate_accused(&input, judged, None, now.date())
            .map_err(AppError::Validation)?;
        let row = accused_row(&id, case_id, &accused, now);
        let before = case_versions::snapshot_of(conn, case_id)?;
        store::insert_accused(conn, &row)?;
        let mut details =
            case_versions::record(conn, &user.id, case_id, before.as_ref(), "accused.add", now)?;
        details["accused_id"] = json!(id);
        audit::append(
            conn,
            &user.audit(now),
            "case.accused.add",
            "case",
            Some(case_id),
            details,
        )?;
        Ok::<_, AppError>(row)
    })?;
    Ok((
        row,
        user.viewer().sees_personal_data(&current.row.mission_code),
    ))
}

pub fn update_accused(
    conn: &mut DbConnection,
    user: &Actor,
    case_id: &str,
    accused_id: &str,
    changes: AccusedChanges,
    expected_version: i64,
    now: NaiveDateTime,
) -> AppResult<(AccusedRow, bool)> {
    let current = Case::changeable(conn, user, case_id, "cases.accused.update", now)?;
    let stored = store::find_accused(conn, case_id, accused_id)?.ok_or(AppError::NotFound)?;
    let stale_accused = || {
        AppError::Conflict(format!(
            "The accused person's record was changed since you read it (version {expected_version}). Read it again."
        ))
    };
    if stored.version != expected_version {
        return Err(stale_accused());
    }
    let input = changes.applied_to(Accused::from(&stored).to_input());
    let row = write_transaction(conn, |conn| {
        let stored = store::find_accused(conn, case_id, accused_id)?.ok_or(AppError::NotFound)?;
        if stored.version != expected_version {
            return Err(stale_accused());
        }
        let judged = judgment_reached_on(conn, case_id)?;
        let accused = rules::validate_accused(&input, judged, Some(&stored.verdict), now.date())
            .map_err(AppError::Validation)?;
        let mut row = accused_row(accused_id, case_id, &accused, now);
        row.version = expected_version + 1;
        row.created_at = stored.created_at;
        let before = case_versions::snapshot_of(conn, case_id)?;
        if !store::update_accused(conn, &row, expected_version)? {
            return Err(stale_accused());
        }
        let mut details = case_versions::record(
            conn,
            &user.id,
            case_id,
            before.as_ref(),
            "accused.update",
            now,
        )?;
        details["accused_id"] = json!(accused_id);
        details["accused_fields"] = json!(accused_fields(&Accused::from(&stored), &accused));
        audit::append(
            conn,
            &user.audit(now),
            "case.accused.update",
            "case",
            Some(case_id),
            details,
        )?;
        Ok(row)
    })?;
    Ok((
        row,
        user.viewer().sees_personal_data(&current.row.mission_code),
    ))
}
