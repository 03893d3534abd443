//! A case's documents: uploaded, downloaded against their recorded hash, and checked whole.

use super::*;

/// An uploaded file: its bytes and the name the client gave it (kept for display only).
pub struct Upload {
    pub bytes: Vec<u8>,
    pub file_name: Option<String>,
}

/// Keeps letters, digits, dots, dashes and underscores of a client's file name (for the
/// download's suggested name only: files are stored under their hash).
pub(super) fn clean_file_name(name: Option<&str>) -> String {
    let base = name.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "document".to_string()
    } else {
        cleaned
    }
}

pub fn add_document(
    conn: &mut DbConnection,
    user: &Actor,
    case_id: &str,
    fields: DocumentFields,
    upload: Upload,
    files: &FileStore,
    now: NaiveDateTime,
) -> AppResult<DocumentRow> {
    Case::changeable(conn, user, case_id, "cases.documents.add", now)?;
    let media_type =
        rules::document_media_type(&upload.bytes).ok_or(AppError::UnsupportedFileType)?;
    let sha256 = files.save(&upload.bytes).map_err(AppError::internal)?;
    let row = DocumentRow {
        id: Uuid::now_v7().to_string(),
        case_id: case_id.to_string(),
        title: fields.title,
        kind: fields.kind,
        document_date: fields.date,
        media_type: media_type.to_string(),
        size_bytes: upload.bytes.len() as i64,
        sha256,
        file_name: clean_file_name(upload.file_name.as_deref()),
        uploaded_by: user.id.clone(),
        uploaded_at: now,
        shared_with: "[]".to_string(),
        version: 1,
        proposal_id: None,
    };
    write_transaction(conn, |conn| {
        store::find(conn, case_id)?.ok_or(AppError::NotFound)?;
        let before = case_versions::snapshot_of(conn, case_id)?;
        store::insert_document(conn, &row)?;
        let mut details = case_versions::record(
            conn,
            &user.id,
            case_id,
            before.as_ref(),
            "document.add",
            now,
        )?;
        details["document_id"] = json!(row.id);
        details["kind"] = json!(row.kind);
        details["media_type"] = json!(row.media_type);
        details["size_bytes"] = json!(row.size_bytes);
        details["sha256"] = json!(row.sha256);
        audit::append(
            conn,
            &user.audit(now),
            "case.document.add",
            "case",
            Some(case_id),
            details,
        )?;
        Ok::<_, AppError>(())
    })?;
    Ok(row)
}

/// Shares a document with the States named (ISO3 codes of States that exist today; an empty
/// list shares it with none), when `expected_version` is still its version: a legal officer of
/// the case's mission, recorded as a new version of the case.
pub fn share_document(
    conn: &mut DbConnection,
    user: &Actor,
    case_id: &str,
    document_id: &str,
    expected_version: i64,
    states: Vec<String>,
    now: NaiveDateTime,
) -> AppResult<DocumentRow> {
    let attempted = "cases.documents.share";
    Case::changeable(conn, user, case_id, attempted, now)?;
    let states = rules::check_shared_with(states).map_err(AppError::Validation)?;
    let listed = serde_json::to_string(&states).map_err(AppError::internal)?;
    // No such document: 404, recorded, before anything is written.
    if store::find_document(conn, case_id, document_id)?.is_none() {
        return Err(Case::hide(conn, user, attempted, document_id, now));
    }
    write_transaction(conn, |conn| {
        store::lock(conn, case_id)?;
        let current =
            store::find_document(conn, case_id, document_id)?.ok_or(AppError::NotFound)?;
        let before = case_versions::snapshot_of(conn, case_id)?;
        if !store::share_document(conn, document_id, expected_version, &listed)? {
            return Err(AppError::Conflict(format!(
                "The document was changed since you read it (version {expected_version}; now {}). Read it again.",
                current.version
            )));
        }
        let mut details = case_versions::record(
            conn,
            &user.id,
            case_id,
            before.as_ref(),
            "document.share",
            now,
        )?;
        details["document_id"] = json!(document_id);
        details["shared_with"] = json!({ "from": current.shared_with(), "to": states });
        details["document_version_from"] = json!(current.version);
        audit::append(
            conn,
            &user.audit(now),
            "case.document.share",
            "case",
            Some(case_id),
            details,
        )?;
        store::find_document(conn, case_id, document_id)?.ok_or(AppError::NotFound)
    })
}

/// A document's bytes, checked against the hash recorded at upload. Needs clearance
/// `confidential`; every download, and every failed check, is recorded.
pub fn download_document(
    conn: &mut DbConnection,
    user: &Actor,
    case_id: &str,
    document_id: &str,
    files: &FileStore,
    now: NaiveDateTime,
) -> AppResult<(DocumentRow, Vec<u8>)> {
    let attempted = "cases.documents.download";
    Case::visible(conn, user, case_id, attempted, now)?;
    let Some(row) = store::find_document(conn, case_id, document_id)? else {
        return Err(Case::hide(conn, user, attempted, document_id, now));
    };
    check_may_download(conn, user, case_id, attempted, now)?;
    read_checked(conn, user, case_id, row, files, now)
}

/// Downloading a case's documents needs clearance `confidential`, whoever reads (403,
/// recorded).
pub(crate) fn check_may_download(
    conn: &mut DbConnection,
    user: &Actor,
    case_id: &str,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    if user.clearance < Clearance::Confidential {
        return Err(Case::forbid(
            conn,
            user,
            attempted,
            Some(case_id),
            now,
            "Downloading case documents needs clearance `confidential` or higher.",
        ));
    }
    Ok(())
}

/// The document's bytes, checked against the hash recorded at upload, for a reader the guard
/// let through; the download, or the failed check, recorded.
pub(crate) fn read_checked(
    conn: &mut DbConnection,
    user: &Actor,
    case_id: &str,
    row: DocumentRow,
    files: &FileStore,
    now: NaiveDateTime,
) -> AppResult<(DocumentRow, Vec<u8>)> {
    match files.read_checked(&row.sha256) {
        Ok(bytes) => {
            audit::append_alone(
                conn,
                &user.audit(now),
                "case.document.download",
                "case",
                Some(case_id),
                json!({ "document_id": row.id, "sha256": row.sha256 }),
            )?;
            Ok((row, bytes))
        }
        Err(FileProblem::Unreadable(error)) => Err(AppError::internal(format!(
            "document {} unreadable: {error}",
            row.id
        ))),
        Err(problem) => {
            tracing::error!(
                document_id = %row.id,
                case_id = %case_id,
                problem = %problem,
                "document integrity failure: the stored file does not match its recorded hash"
            );
            audit::append_alone(
                conn,
                &user.audit(now),
                "case.document.integrity_failure",
                "case",
                Some(case_id),
                json!({ "document_id": row.id, "sha256": row.sha256, "problem": problem.to_string() }),
            )?;
            Err(AppError::IntegrityFailure)
        }
    }
}

/// A document whose file is missing or altered.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FailedDocument {
    pub document_id: String,
    pub case_id: String,
    pub sha256: String,
    pub problem: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DocumentCheck {
    pub intact: bool,
    pub checked: u64,
    pub failed: Vec<FailedDocument>,
}

/// Rehashes every stored document against the hash recorded at its upload.
pub fn check_documents(conn: &mut DbConnection, files: &FileStore) -> AppResult<DocumentCheck> {
    let mut checked = 0;
    let mut failed = Vec::new();
    let mut after = String::new();
    loop {
        let batch = store::documents_after(conn, &after, 500)?;
        let Some(last) = batch.last() else { break };
        after = last.id.clone();
        for row in batch {
            checked += 1;
            if let Err(problem) = files.read_checked(&row.sha256) {
                failed.push(FailedDocument {
                    document_id: row.id,
                    case_id: row.case_id,
                    sha256: row.sha256,
                    problem: problem.to_string(),
                });
            }
        }
    }
    Ok(DocumentCheck {
        intact: failed.is_empty(),
        checked,
        failed,
    })
}
