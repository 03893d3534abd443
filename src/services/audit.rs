//! The audit trail as auditors use it: its records, the proof that every record of the registry
//! is what the trail says it became, and the baseline that brings records written before that
//! proof existed under it.
//!
//! Each change's audit record carries the SHA-256 of the record's new snapshot (see
//! `domain::snapshot`). Checking the records means two things: every stored version snapshot
//! still has the hash its audit record claims, and every incident, case and account, as its rows
//! stand now, has the hash of the latest claim about it. A change made in the database past the
//! service breaks one or the other, and is named.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::{Value, json};

use crate::auth::{Actor, accounts, policy};
use crate::db::{DbConnection, write_transaction};
use crate::domain::access::{Clearance, Role};
use crate::domain::snapshot;
use crate::error::AppResult;
use crate::services::cases::{DocumentCheck, check_documents};
use crate::services::{assistance, case_versions, incidents};
use crate::store::Page;
use crate::store::audit::{self as store, AuditContext, VerifyReport};
use crate::store::files::FileStore;

use crate::store::assistance as assistance_store;
pub use crate::store::audit::{AuditFilter, AuditRecord};
use crate::store::cases as case_store;
use crate::store::incidents as incident_store;
use crate::store::users;

const BATCH: i64 = 500;
/// How many problems a check names before it stops listing them.
const PROBLEMS_NAMED: usize = 20;

/// What stands in for the details of a record written before audit records held no content,
/// for auditors not cleared strictly confidential.
pub const WITHHELD: &str = "details withheld: recorded before content-free auditing";

/// How many records the trail holds, for the monitoring.
pub fn length(conn: &mut DbConnection) -> AppResult<i64> {
    Ok(store::length(conn)?)
}

/// Only auditors read the trail and have it verified (403, recorded).
pub fn require_auditor(
    conn: &mut DbConnection,
    user: &Actor,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    policy::require_role(conn, user, &[Role::Auditor], attempted, now)
}

/// One page of the trail for an auditor, newest first; `actor` is looked up by username
/// (no such user, no records).
pub fn page(
    conn: &mut DbConnection,
    user: &Actor,
    mut filter: AuditFilter,
    actor: Option<&str>,
    limit: i64,
    now: NaiveDateTime,
) -> AppResult<Page<(AuditRecord, bool)>> {
    require_auditor(conn, user, "audit.list", now)?;
    if let Some(name) = actor {
        let found = users::find_by_username(conn, name)?;
        filter.actor_id = Some(found.map_or_else(|| "-".to_string(), |u| u.id));
    }
    let rows = list(conn, user, &filter, limit + 1)?;
    Ok(Page::from_overfetch(rows, limit as usize))
}

/// Everything `audit verify` checks, after sealing what is pending: the chain, every case
/// document against the hash recorded at its upload, and every record against its proof.
pub struct TrailCheck {
    pub chain: VerifyReport,
    pub documents: DocumentCheck,
    pub records: RecordCheck,
}

impl TrailCheck {
    pub fn intact(&self) -> bool {
        self.chain.intact && self.documents.intact && self.records.intact
    }
}

/// Seals what is pending, then checks the whole trail: for the command line, which has the
/// database itself.
pub fn verify_trail(conn: &mut DbConnection, files: &FileStore) -> AppResult<TrailCheck> {
    store::seal_pending(conn)?;
    Ok(TrailCheck {
        chain: store::verify(conn)?,
        documents: check_documents(conn, files)?,
        records: verify_records(conn)?,
    })
}

/// `verify_trail`, asked by an auditor.
pub fn verify_trail_for(
    conn: &mut DbConnection,
    user: &Actor,
    files: &FileStore,
    now: NaiveDateTime,
) -> AppResult<TrailCheck> {
    require_auditor(conn, user, "audit.verify", now)?;
    verify_trail(conn, files)
}

/// A page of the trail, newest first, with whether each record is sealed yet. Records written
/// before content-free auditing may hold content: their details reach only auditors cleared
/// strictly confidential.
pub fn list(
    conn: &mut DbConnection,
    user: &Actor,
    filter: &AuditFilter,
    limit: i64,
) -> AppResult<Vec<(AuditRecord, bool)>> {
    let mut records = store::list(conn, filter, limit)?;
    let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
    let sealed = store::sealed_ids(conn, &ids)?;
    if user.clearance < Clearance::StrictlyConfidential {
        let first = store::first_content_free(conn)?;
        for record in records.iter_mut().filter(|r| r.id < first) {
            // The hash too: with it, a short detail could be guessed and confirmed.
            record.details = json!({ "withheld": WITHHELD }).to_string();
            record.record_hash = "withheld".to_string();
        }
    }
    Ok(records
        .into_iter()
        .map(|record| {
            let is_sealed = sealed.contains(&record.id);
            (record, is_sealed)
        })
        .collect())
}

/// A record of the registry that the trail does not prove.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordProblem {
    pub entity_type: String,
    pub entity_id: String,
    /// The version concerned, when one is.
    pub version: Option<i64>,
    pub problem: String,
}

/// The outcome of checking every record against the trail.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct RecordCheck {
    pub intact: bool,
    /// Incidents, cases and accounts checked against their latest snapshot hash.
    pub records_checked: u64,
    /// Stored version snapshots rehashed against their audit records.
    pub snapshots_checked: u64,
    /// How many problems were found.
    pub problems_found: u64,
    /// The first problems found (at most 20).
    pub problems: Vec<RecordProblem>,
}

impl RecordCheck {
    fn problem(&mut self, entity_type: &str, entity_id: &str, version: Option<i64>, what: &str) {
        self.problems_found += 1;
        if self.problems.len() < PROBLEMS_NAMED {
            self.problems.push(RecordProblem {
                entity_type: entity_type.to_string(),
                entity_id: entity_id.to_string(),
                version,
                problem: what.to_string(),
            });
        }
    }
}

/// The latest claim about a record: its version and its snapshot's hash.
type Latest = HashMap<(String, String), (i64, String)>;

/// Rehashes every stored snapshot against its audit record, and every record's current rows
/// against the latest hash the trail holds for it.
pub fn verify_records(conn: &mut DbConnection) -> AppResult<RecordCheck> {
    let mut check = RecordCheck::default();
    let latest = check_stored_snapshots(conn, &mut check)?;
    check_current_rows(conn, latest, &mut check)?;
    check.intact = check.problems.is_empty();
    Ok(check)
}

/// Walks the trail's claims in order: each version snapshot an incident or case stores must have
/// the hash its change's record claims. Answers the latest claim about each record.
fn check_stored_snapshots(conn: &mut DbConnection, check: &mut RecordCheck) -> AppResult<Latest> {
    let mut latest = Latest::new();
    let mut after = 0;
    loop {
        let records = store::claims_after(conn, after, BATCH)?;
        let Some(last) = records.last() else {
            return Ok(latest);
        };
        after = last.id;
        let mut stored_claims: Vec<StoredClaim> = Vec::new();
        for record in &records {
            let Some(entity_id) = &record.entity_id else {
                continue;
            };
            let Ok(details) = serde_json::from_str::<Value>(&record.details) else {
                continue;
            };
            let Some((version, hash)) = snapshot::claimed(&details) else {
                continue;
            };
            let key = (record.entity_type.clone(), entity_id.clone());
            let baseline = record.action == "audit.baseline";
            // A baseline is only for records nothing proved yet: one after a proof would
            // bless whatever the rows had become meanwhile.
            if baseline && latest.contains_key(&key) {
                check.problem(
                    &record.entity_type,
                    entity_id,
                    Some(version),
                    "a baseline was written after the record was already proved",
                );
            }
            latest.insert(key, (version, hash.to_string()));
            // A baseline proves the rows as they stood, not a stored version.
            if !baseline && record.entity_type != "user" {
                stored_claims.push(StoredClaim {
                    kind: record.entity_type.clone(),
                    id: entity_id.clone(),
                    version,
                    hash: hash.to_string(),
                    action: record.action.clone(),
                    author: details
                        .get("author")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                });
            }
        }
        for kind in ["incident", "case", "assistance"] {
            let claims: Vec<&StoredClaim> =
                stored_claims.iter().filter(|c| c.kind == kind).collect();
            if !claims.is_empty() {
                check_claims(conn, kind, &claims, check)?;
            }
        }
    }
}

/// What an audit record claims of a stored version: its hash, and who wrote it with what action.
struct StoredClaim {
    kind: String,
    id: String,
    version: i64,
    hash: String,
    action: String,
    author: Option<String>,
}

/// Each claimed version, as stored, must hash as claimed, and be the action of the record's
/// kind and the author the record names (the two-person rule reads them).
fn check_claims(
    conn: &mut DbConnection,
    kind: &str,
    claims: &[&StoredClaim],
    check: &mut RecordCheck,
) -> AppResult<()> {
    let ids: Vec<String> = claims.iter().map(|c| c.id.clone()).collect();
    let stored: HashMap<(String, i64), (String, String, String)> = match kind {
        "incident" => incident_store::snapshots_of(conn, &ids)?,
        "case" => case_store::versions_of(conn, &ids)?
            .into_iter()
            .map(|v| (v.case_id, v.version, v.action, v.changed_by, v.snapshot))
            .collect(),
        _ => assistance_store::versions_of(conn, &ids)?
            .into_iter()
            .map(|v| {
                (
                    v.assistance_id,
                    v.version,
                    v.action,
                    v.changed_by,
                    v.snapshot,
                )
            })
            .collect(),
    }
    .into_iter()
    .map(|(id, version, action, author, text)| ((id, version), (action, author, text)))
    .collect();
    for claim in claims {
        check.snapshots_checked += 1;
        let (id, version) = (&claim.id, Some(claim.version));
        let Some((action, author, text)) = stored.get(&(claim.id.clone(), claim.version)) else {
            check.problem(kind, id, version, "the version is missing");
            continue;
        };
        if snapshot::digest(text) != claim.hash {
            check.problem(
                kind,
                id,
                version,
                "the stored version differs from what its audit record proves",
            );
        } else if claim.action != format!("{kind}.{action}")
            || claim
                .author
                .as_ref()
                .is_some_and(|claimed| claimed != author)
        {
            check.problem(
                kind,
                id,
                version,
                "the stored version's author or action differs from its audit record",
            );
        }
    }
    Ok(())
}

/// Every incident, case, record of assistance, issued report and account as its rows stand must hash to the latest claim about it.
fn check_current_rows(
    conn: &mut DbConnection,
    mut latest: Latest,
    check: &mut RecordCheck,
) -> AppResult<()> {
    let mut compare = |check: &mut RecordCheck, kind: &str, id: &str, text: &str| {
        check.records_checked += 1;
        match latest.remove(&(kind.to_string(), id.to_string())) {
            None => check.problem(kind, id, None, "no audit record proves its content"),
            Some((version, hash)) if snapshot::digest(text) != hash => check.problem(
                kind,
                id,
                Some(version),
                "its rows differ from the latest version its audit records prove",
            ),
            Some(_) => {}
        }
    };
    let mut after = String::new();
    loop {
        let batch = incident_store::batch_after(conn, &after, BATCH)?;
        let Some((last, _)) = batch.last() else { break };
        after = last.id.clone();
        for (row, children) in batch {
            let id = row.id.clone();
            let text = incidents::current_snapshot(row, children)?;
            compare(check, "incident", &id, &text);
        }
    }
    let mut after = String::new();
    loop {
        let ids = case_store::ids_after(conn, &after, BATCH)?;
        let Some(last) = ids.last() else { break };
        after = last.clone();
        for id in ids {
            if let Some(text) = case_versions::current_snapshot(conn, &id)? {
                compare(check, "case", &id, &text);
            }
        }
    }
    let mut after = String::new();
    loop {
        let ids = assistance_store::ids_after(conn, &after, BATCH)?;
        let Some(last) = ids.last() else { break };
        after = last.clone();
        for id in ids {
            if let Some(text) = assistance::current_snapshot(conn, &id)? {
                compare(check, "assistance", &id, &text);
            }
        }
    }
    // An issued report is kept as issued: its text must still hash to what was issued.
    for (id, body) in crate::store::issued_reports::all_bodies(conn)? {
        compare(check, "report", &id, &body);
    }
    for id in users::all_ids(conn)? {
        if let Some(text) = accounts::current_snapshot(conn, &id)? {
            compare(check, "user", &id, &text);
        }
    }
    // What the trail proves and no row answers any more was removed past the service.
    let mut gone: Vec<_> = latest.into_iter().collect();
    gone.sort();
    for ((kind, id), (version, _)) in gone {
        check.problem(&kind, &id, Some(version), "the record is gone");
    }
    Ok(())
}

/// Appends an `audit.baseline` record for every record waiting for one that nothing proves yet,
/// in batches: the hash of its snapshot as its rows stand, so that records written before audit
/// records carried hashes (or loaded straight into the database) are proved from now on.
/// Answers how many it covered.
pub fn write_baseline(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<u64> {
    let context = AuditContext::system(now, "baseline");
    let mut covered = 0;
    for kind in ["incident", "case", "user"] {
        loop {
            let (taken, written) =
                write_transaction(conn, |conn| baseline_batch(conn, &context, kind))?;
            covered += written;
            if taken == 0 {
                break;
            }
        }
    }
    Ok(covered)
}

/// One batch of one kind's baseline, in one transaction: how many it took off the list (0: none
/// left) and how many baseline records it wrote.
fn baseline_batch(
    conn: &mut DbConnection,
    context: &AuditContext,
    kind: &str,
) -> AppResult<(u64, u64)> {
    let queued = store::baseline_pending(conn, kind, BATCH)?;
    if queued.is_empty() {
        return Ok((0, 0));
    }
    // Only what nothing proves yet: a proved record's rows are held to its proof, never blessed
    // again as they stand.
    let proven = store::proven_among(conn, kind, &queued)?;
    let ids: Vec<String> = queued
        .iter()
        .filter(|id| !proven.contains(id))
        .cloned()
        .collect();
    let mut snapshots: Vec<(String, i64, String)> = Vec::with_capacity(ids.len());
    match kind {
        "incident" => {
            for (row, children) in incident_store::batch_of(conn, &ids)? {
                let (id, version) = (row.id.clone(), row.version);
                snapshots.push((id, version, incidents::current_snapshot(row, children)?));
            }
        }
        "case" => {
            for id in &ids {
                if let Some(text) = case_versions::current_snapshot(conn, id)? {
                    let version = case_store::latest_version(conn, id)?;
                    snapshots.push((id.clone(), version, text));
                }
            }
        }
        _ => {
            for id in &ids {
                if let (Some(text), Some(user)) = (
                    accounts::current_snapshot(conn, id)?,
                    users::find_by_id(conn, id)?,
                ) {
                    snapshots.push((id.clone(), user.version, text));
                }
            }
        }
    }
    let records: Vec<_> = snapshots
        .iter()
        .map(|(id, version, text)| {
            store::new_record(
                context,
                "audit.baseline",
                kind,
                Some(id),
                json!({ "version_to": version, "snapshot_sha256": snapshot::digest(text) }),
            )
        })
        .collect();
    store::insert_many(conn, &records)?;
    store::baseline_done(conn, kind, &queued)?;
    Ok((queued.len() as u64, records.len() as u64))
}
