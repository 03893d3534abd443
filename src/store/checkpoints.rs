//! What a signed checkpoint reads of the audit chain: its head, and the hash stored at a link.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::audit_chain;
use crate::domain::audit::GENESIS_HASH;

/// The last link: its seq and chain hash; (0, the genesis hash) for an empty chain.
pub fn head(conn: &mut DbConnection) -> QueryResult<(i64, String)> {
    let head: Option<(i64, String)> = audit_chain::table
        .select((audit_chain::seq, audit_chain::chain_hash))
        .order(audit_chain::seq.desc())
        .first(conn)
        .optional()?;
    Ok(head.unwrap_or((0, GENESIS_HASH.to_string())))
}

/// The chain hash stored at link `seq`, as stored (not recomputed): `None` past the end.
pub fn hash_at(conn: &mut DbConnection, seq: i64) -> QueryResult<Option<String>> {
    if seq == 0 {
        return Ok(Some(GENESIS_HASH.to_string()));
    }
    audit_chain::table
        .filter(audit_chain::seq.eq(seq))
        .select(audit_chain::chain_hash)
        .first(conn)
        .optional()
}
