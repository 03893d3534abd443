//! The audit trail: append, seal into the hash chain, verify, list.
//!
//! Why two steps: if every writer had to read the chain head and write the next hash, all writing
//! transactions would queue on that one row. Instead a writer inserts its record with a hash of
//! its own content (no shared row touched); a trigger queues it in `audit_pending`. The sealer, one at a
//! time (an advisory lock on PostgreSQL, the single writer on SQLite), links pending records into
//! `audit_chain` in batches. Verification recomputes both hashes from the start.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{
    audit_baseline_pending, audit_chain, audit_content_free, audit_log, audit_pending,
};
use crate::db::{DbConnection, on_own_backend, write_transaction};
use crate::domain::audit::{
    AuditContent, BrokenRecord, ChainVerifier, GENESIS_HASH, StoredLink, chain_hash, record_hash,
};

/// Any advisory-lock key will do as long as it is ours alone.
const SEAL_LOCK_KEY: i64 = 0x706b_725f_7365_616c;
const SEAL_BATCH: i64 = 1000;
const VERIFY_BATCH: i64 = 5000;

/// Who did something and from where; attached to every record a request writes.
#[derive(Debug, Clone, Default)]
pub struct AuditContext {
    pub actor_id: Option<String>,
    pub actor_username: Option<String>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub now: NaiveDateTime,
}

impl AuditContext {
    /// For work done from the command line on the server itself.
    pub fn system(now: NaiveDateTime, what: &str) -> Self {
        AuditContext {
            actor_username: Some(format!("system:{what}")),
            now,
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditRecord {
    pub id: i64,
    pub occurred_at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor_username: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub details: String,
    pub record_hash: String,
}

impl AuditRecord {
    fn content(&self) -> AuditContent<'_> {
        AuditContent {
            occurred_at: self.occurred_at,
            actor_id: self.actor_id.as_deref(),
            actor_username: self.actor_username.as_deref(),
            action: &self.action,
            entity_type: &self.entity_type,
            entity_id: self.entity_id.as_deref(),
            request_id: self.request_id.as_deref(),
            client_addr: self.client_addr.as_deref(),
            details: &self.details,
        }
    }
}

/// A record ready to be written: its content and the hash of that content.
#[derive(Debug, Clone, Insertable, Serialize)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
pub struct NewAuditRecord {
    pub occurred_at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor_username: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub details: String,
    pub record_hash: String,
}

/// The record of one action, hashed; to be written inside the transaction of the change it
/// records (`insert`, or with an incident by `incidents::insert_recorded`).
pub fn new_record(
    context: &AuditContext,
    action: &str,
    entity_type: &str,
    entity_id: Option<&str>,
    details: serde_json::Value,
) -> NewAuditRecord {
    let details = details.to_string();
    let record_hash = record_hash(&AuditContent {
        occurred_at: context.now,
        actor_id: context.actor_id.as_deref(),
        actor_username: context.actor_username.as_deref(),
        action,
        entity_type,
        entity_id,
        request_id: context.request_id.as_deref(),
        client_addr: context.client_addr.as_deref(),
        details: &details,
    });
    NewAuditRecord {
        occurred_at: context.now,
        actor_id: context.actor_id.clone(),
        actor_username: context.actor_username.clone(),
        action: action.to_string(),
        entity_type: entity_type.to_string(),
        entity_id: entity_id.map(str::to_string),
        request_id: context.request_id.clone(),
        client_addr: context.client_addr.clone(),
        details,
        record_hash,
    }
}

/// Writes a record made by `new_record`.
pub fn insert(conn: &mut DbConnection, record: &NewAuditRecord) -> QueryResult<i64> {
    // A trigger queues the record in audit_pending for the sealer.
    on_own_backend!(conn, |own| diesel::insert_into(audit_log::table)
        .values(record)
        .returning(audit_log::id)
        .get_result(own))
}

/// Writes several records made by `new_record`: in one statement on PostgreSQL, one at a time
/// on SQLite (in the process, where a one-row insert stays prepared).
pub fn insert_many(conn: &mut DbConnection, records: &[NewAuditRecord]) -> QueryResult<()> {
    if records.is_empty() {
        return Ok(());
    }
    if let DbConnection::Postgres(pg) = conn {
        diesel::insert_into(audit_log::table)
            .values(records)
            .execute(pg)?;
        return Ok(());
    }
    for record in records {
        insert(conn, record)?;
    }
    Ok(())
}

/// Appends one record; call it inside the transaction of the change it records.
pub fn append(
    conn: &mut DbConnection,
    context: &AuditContext,
    action: &str,
    entity_type: &str,
    entity_id: Option<&str>,
    details: serde_json::Value,
) -> QueryResult<i64> {
    insert(
        conn,
        &new_record(context, action, entity_type, entity_id, details),
    )
}

/// Appends one record in a transaction of its own (for events that change nothing else, such
/// as a failed sign-in, a denied access or a focal point's read).
pub fn append_alone(
    conn: &mut DbConnection,
    context: &AuditContext,
    action: &str,
    entity_type: &str,
    entity_id: Option<&str>,
    details: serde_json::Value,
) -> QueryResult<i64> {
    if let DbConnection::Postgres(_) = conn {
        // On PostgreSQL one statement is a transaction of its own, the trigger's row queued for
        // the sealer included: no BEGIN and COMMIT to wait for on every audited read.
        return append(conn, context, action, entity_type, entity_id, details);
    }
    write_transaction(conn, |conn| {
        append(conn, context, action, entity_type, entity_id, details)
    })
}

/// Links every pending record into the chain; returns how many were sealed.
pub fn seal_pending(conn: &mut DbConnection) -> QueryResult<usize> {
    let mut sealed = 0;
    loop {
        let batch = seal_batch(conn)?;
        sealed += batch;
        if batch < SEAL_BATCH as usize {
            return Ok(sealed);
        }
    }
}

fn seal_batch(conn: &mut DbConnection) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        if let DbConnection::Postgres(_) = conn {
            // One sealer at a time across every server; the others wait here, not the writers.
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({SEAL_LOCK_KEY})"))
                .execute(conn)?;
        }
        // The waiting ids first, then their records by id: joined in one statement, PostgreSQL
        // chose a merge join that walked the whole trail (a million records after a baseline)
        // at every pass to find a few, as SQLite did when ordered by the trail's key.
        let waiting: Vec<i64> = audit_pending::table
            .select(audit_pending::audit_id)
            .order(audit_pending::audit_id.asc())
            .limit(SEAL_BATCH)
            .load(conn)?;
        let pending: Vec<(i64, String)> = audit_log::table
            .filter(audit_log::id.eq_any(&waiting))
            .select((audit_log::id, audit_log::record_hash))
            .order(audit_log::id.asc())
            .load(conn)?;
        if pending.is_empty() {
            return Ok(0);
        }
        let head: Option<(i64, String)> = audit_chain::table
            .select((audit_chain::seq, audit_chain::chain_hash))
            .order(audit_chain::seq.desc())
            .first(conn)
            .optional()?;
        let (mut seq, mut previous) = head.unwrap_or((0, GENESIS_HASH.to_string()));
        let mut links = Vec::with_capacity(pending.len());
        for (audit_id, hash) in &pending {
            seq += 1;
            previous = chain_hash(&previous, *audit_id, hash);
            links.push((
                audit_chain::seq.eq(seq),
                audit_chain::audit_id.eq(*audit_id),
                audit_chain::chain_hash.eq(previous.clone()),
            ));
        }
        insert_links(conn, &links)?;
        let ids: Vec<i64> = pending.iter().map(|(id, _)| *id).collect();
        diesel::delete(audit_pending::table.filter(audit_pending::audit_id.eq_any(&ids)))
            .execute(conn)?;
        Ok(pending.len())
    })
}

/// One link of the chain, as inserted.
type Link = (
    diesel::dsl::Eq<audit_chain::seq, i64>,
    diesel::dsl::Eq<audit_chain::audit_id, i64>,
    diesel::dsl::Eq<audit_chain::chain_hash, String>,
);

/// On PostgreSQL a batch of links goes in one statement (`SEAL_BATCH` rows of three values stay
/// far below its 65,535 a statement); SQLite, in the process, takes them one row at a time: a
/// one-row insert stays prepared, where diesel compiles a multi-row insert anew at every run.
fn insert_links(conn: &mut DbConnection, links: &[Link]) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::insert_into(audit_chain::table)
            .values(links)
            .execute(pg)?;
        return Ok(());
    }
    for link in links {
        diesel::insert_into(audit_chain::table)
            .values(link.clone())
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub intact: bool,
    pub records_checked: u64,
    /// The last link's hash: noted down elsewhere, it lets a later check prove nothing was rewritten.
    pub head_hash: String,
    pub first_broken: Option<BrokenRecord>,
}

/// Recomputes every record hash and every link from the start of the chain.
pub fn verify(conn: &mut DbConnection) -> QueryResult<VerifyReport> {
    verify_noting(conn, |_, _| {})
}

/// As `verify`, telling `on_link` the seq and recomputed chain hash of each link that verifies
/// (signed checkpoints are checked against them).
pub fn verify_noting(
    conn: &mut DbConnection,
    mut on_link: impl FnMut(i64, &str),
) -> QueryResult<VerifyReport> {
    let mut verifier = ChainVerifier::default();
    let mut after_seq = 0_i64;
    let mut first_broken = None;
    'batches: loop {
        let rows: Vec<(i64, String, AuditRecord)> = audit_chain::table
            .inner_join(audit_log::table)
            .filter(audit_chain::seq.gt(after_seq))
            .order(audit_chain::seq.asc())
            .limit(VERIFY_BATCH)
            .select((
                audit_chain::seq,
                audit_chain::chain_hash,
                AuditRecord::as_select(),
            ))
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after_seq = last.0;
        for (seq, chain, record) in &rows {
            let link = StoredLink {
                seq: *seq,
                audit_id: record.id,
                chain_hash: chain,
                stored_record_hash: &record.record_hash,
                content: record.content(),
            };
            if let Err(broken) = verifier.check(&link) {
                first_broken = Some(broken);
                break 'batches;
            }
            on_link(*seq, verifier.head_hash());
        }
    }
    if first_broken.is_none() {
        // Every record must be in the chain, or still waiting for the sealer.
        let unchained: Option<i64> = audit_log::table
            .left_join(audit_chain::table)
            .filter(audit_chain::seq.is_null())
            .filter(diesel::dsl::not(
                audit_log::id.eq_any(audit_pending::table.select(audit_pending::audit_id)),
            ))
            .select(audit_log::id)
            .order(audit_log::id.asc())
            .first(conn)
            .optional()?;
        first_broken = unchained.map(|id| BrokenRecord {
            sequence: id,
            reason: "the record is not in the chain".to_string(),
        });
    }
    Ok(VerifyReport {
        intact: first_broken.is_none(),
        records_checked: verifier.checked(),
        head_hash: verifier.head_hash().to_string(),
        first_broken,
    })
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    /// Continue after (older than) this record.
    pub before_id: Option<i64>,
}

/// Newest first.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    limit: i64,
) -> QueryResult<Vec<AuditRecord>> {
    let mut query = audit_log::table
        .select(AuditRecord::as_select())
        .into_boxed();
    if let Some(entity_type) = &filter.entity_type {
        query = query.filter(audit_log::entity_type.eq(entity_type.clone()));
    }
    if let Some(entity_id) = &filter.entity_id {
        query = query.filter(audit_log::entity_id.eq(entity_id.clone()));
    }
    if let Some(actor_id) = &filter.actor_id {
        query = query.filter(audit_log::actor_id.eq(actor_id.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::action.eq(action.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::occurred_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_log::occurred_at.lt(to));
    }
    if let Some(before_id) = filter.before_id {
        query = query.filter(audit_log::id.lt(before_id));
    }
    query.order(audit_log::id.desc()).limit(limit).load(conn)
}

/// The records after `after_id` that claim a snapshot hash, by id, a batch at a time.
pub fn claims_after(
    conn: &mut DbConnection,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<AuditRecord>> {
    audit_log::table
        .filter(audit_log::id.gt(after_id))
        .filter(audit_log::details.like("%\"snapshot_sha256\"%"))
        .order(audit_log::id.asc())
        .limit(limit)
        .select(AuditRecord::as_select())
        .load(conn)
}

/// Which of these records of one kind an audit record already proves (claims a snapshot hash).
pub fn proven_among(
    conn: &mut DbConnection,
    entity_type: &str,
    ids: &[String],
) -> QueryResult<Vec<String>> {
    audit_log::table
        .filter(audit_log::entity_type.eq(entity_type))
        .filter(audit_log::entity_id.eq_any(ids))
        .filter(audit_log::details.like("%\"snapshot_sha256\"%"))
        .select(audit_log::entity_id.assume_not_null())
        .distinct()
        .load(conn)
}

/// The first record whose details hold no content; those before it may.
pub fn first_content_free(conn: &mut DbConnection) -> QueryResult<i64> {
    let first: Option<i64> = audit_content_free::table
        .select(audit_content_free::first_record)
        .first(conn)
        .optional()?;
    Ok(first.unwrap_or(0))
}

/// Records that wait for their `audit.baseline`, a batch of one kind at a time.
pub fn baseline_pending(
    conn: &mut DbConnection,
    entity_type: &str,
    limit: i64,
) -> QueryResult<Vec<String>> {
    audit_baseline_pending::table
        .filter(audit_baseline_pending::entity_type.eq(entity_type))
        .order(audit_baseline_pending::entity_id.asc())
        .limit(limit)
        .select(audit_baseline_pending::entity_id)
        .load(conn)
}

pub fn baseline_done(
    conn: &mut DbConnection,
    entity_type: &str,
    ids: &[String],
) -> QueryResult<()> {
    diesel::delete(
        audit_baseline_pending::table
            .filter(audit_baseline_pending::entity_type.eq(entity_type))
            .filter(audit_baseline_pending::entity_id.eq_any(ids)),
    )
    .execute(conn)?;
    Ok(())
}

/// Puts every incident, case and account on the baseline's list (those already on it stay).
pub fn queue_everything_for_baseline(conn: &mut DbConnection) -> QueryResult<()> {
    let ignore = match conn {
        DbConnection::Postgres(_) => ("INSERT INTO", "ON CONFLICT DO NOTHING"),
        DbConnection::Sqlite(_) => ("INSERT OR IGNORE INTO", ""),
    };
    for (kind, table) in [
        ("incident", "incidents"),
        ("case", "cases"),
        ("user", "users"),
    ] {
        diesel::sql_query(format!(
            "{} audit_baseline_pending (entity_type, entity_id) SELECT '{kind}', id FROM {table} {}",
            ignore.0, ignore.1
        ))
        .execute(conn)?;
    }
    Ok(())
}

/// After a baseline of many records. PostgreSQL's planner statistics of the trail's tables
/// describe them as they were before, a few thousand records, and it would plan the sealer's
/// and the summaries' queries for that. SQLite's write-ahead log holds every page the baseline
/// wrote until it is folded into the database, and every read looks there first.
pub fn refresh_statistics(conn: &mut DbConnection) -> QueryResult<()> {
    let statement = match conn {
        DbConnection::Postgres(_) => {
            "ANALYZE audit_log, audit_chain, audit_pending, audit_baseline_pending"
        }
        DbConnection::Sqlite(_) => "PRAGMA wal_checkpoint(TRUNCATE)",
    };
    diesel::sql_query(statement).execute(conn)?;
    Ok(())
}

/// Is this record in the chain yet?
/// How many records the trail holds.
pub fn length(conn: &mut DbConnection) -> QueryResult<i64> {
    audit_log::table.count().get_result(conn)
}

pub fn sealed_ids(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<i64>> {
    audit_chain::table
        .filter(audit_chain::audit_id.eq_any(ids))
        .select(audit_chain::audit_id)
        .load(conn)
}
