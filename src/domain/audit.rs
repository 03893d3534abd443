//! The audit trail's hashes.
//!
//! Each record gets a `record_hash`: SHA-256 over its content, computed by the writer in the same
//! transaction as the change. Sealing then links records into a chain in `audit_chain`:
//! `chain_hash = SHA-256(previous chain_hash, audit id, record_hash)`. Changing a record breaks its
//! record hash; replacing both breaks the chain from that link on; so a change anywhere is found
//! by recomputing everything from the start.

use chrono::NaiveDateTime;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The chain's starting point, before the first link.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a record says: everything but its database id, which is only known after the insert
/// and is bound into the chain link instead.
#[derive(Debug, Clone, Serialize)]
pub struct AuditContent<'a> {
    pub occurred_at: NaiveDateTime,
    pub actor_id: Option<&'a str>,
    pub actor_username: Option<&'a str>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub client_addr: Option<&'a str>,
    /// The JSON details exactly as stored (hashed as text, so no re-serialisation can change it).
    pub details: &'a str,
}

pub fn record_hash(content: &AuditContent) -> String {
    // A JSON array in a fixed order, with the time at microsecond precision as both databases
    // store it: the same content always gives the same bytes.
    let canonical = serde_json::json!([
        content
            .occurred_at
            .format("%Y-%m-%dT%H:%M:%S%.6f")
            .to_string(),
        content.actor_id,
        content.actor_username,
        content.action,
        content.entity_type,
        content.entity_id,
        content.request_id,
        content.client_addr,
        content.details,
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

pub fn chain_hash(previous: &str, audit_id: i64, record_hash: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(previous.as_bytes());
    hasher.update(b"|");
    hasher.update(audit_id.to_string().as_bytes());
    hasher.update(b"|");
    hasher.update(record_hash.as_bytes());
    hex::encode(hasher.finalize())
}

/// What changed between two JSON objects, field by field (lists compared whole), as
/// `{field: {from, to}}`: the `changes` of audit records and incident versions.
pub fn changes(before: &serde_json::Value, after: &serde_json::Value) -> serde_json::Value {
    let mut changed = serde_json::Map::new();
    if let (Some(before), Some(after)) = (before.as_object(), after.as_object()) {
        for (key, new) in after {
            let old = before.get(key).unwrap_or(&serde_json::Value::Null);
            if old != new {
                changed.insert(key.clone(), serde_json::json!({ "from": old, "to": new }));
            }
        }
    }
    serde_json::Value::Object(changed)
}

/// One link of the chain as stored, with its record as stored.
pub struct StoredLink<'a> {
    pub seq: i64,
    pub audit_id: i64,
    pub chain_hash: &'a str,
    pub stored_record_hash: &'a str,
    pub content: AuditContent<'a>,
}

/// Why a record fails verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BrokenRecord {
    pub sequence: i64,
    pub reason: String,
}

/// Walks the chain link by link, in `seq` order, from the genesis hash.
pub struct ChainVerifier {
    expected_seq: i64,
    previous: String,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            expected_seq: 1,
            previous: GENESIS_HASH.to_string(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    pub fn check(&mut self, link: &StoredLink) -> Result<(), BrokenRecord> {
        let broken = |reason: &str| BrokenRecord {
            sequence: link.audit_id,
            reason: reason.to_string(),
        };
        if link.seq != self.expected_seq {
            return Err(broken("a link of the chain is missing before this record"));
        }
        let recomputed = record_hash(&link.content);
        if recomputed != link.stored_record_hash {
            return Err(broken("the record's content does not match its hash"));
        }
        let expected_chain = chain_hash(&self.previous, link.audit_id, &recomputed);
        if expected_chain != link.chain_hash {
            return Err(broken(
                "the chain hash does not follow from the previous record",
            ));
        }
        self.previous = expected_chain;
        self.expected_seq += 1;
        self.checked += 1;
        Ok(())
    }

    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// The hash of the last link checked: writing it down elsewhere anchors the whole chain.
    pub fn head_hash(&self) -> &str {
        &self.previous
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(details: &str) -> AuditContent<'_> {
        AuditContent {
            occurred_at: NaiveDateTime::parse_from_str(
                "2026-11-28 10:00:00.123456",
                "%Y-%m-%d %H:%M:%S%.f",
            )
            .unwrap(),
            actor_id: Some("u1"),
            actor_username: Some("admin"),
            action: "user.create",
            entity_type: "user",
            entity_id: Some("u2"),
            request_id: None,
            client_addr: Some("127.0.0.1"),
            details,
        }
    }

    fn chain(details: &[&str]) -> Vec<(i64, String, String)> {
        let mut previous = GENESIS_HASH.to_string();
        let mut links = Vec::new();
        for (i, d) in details.iter().enumerate() {
            let id = i as i64 + 10;
            let record = record_hash(&content(d));
            previous = chain_hash(&previous, id, &record);
            links.push((id, record, previous.clone()));
        }
        links
    }

    fn verify(details: &[&str], links: &[(i64, String, String)]) -> Result<u64, BrokenRecord> {
        let mut verifier = ChainVerifier::default();
        for (i, (id, record, chain)) in links.iter().enumerate() {
            verifier.check(&StoredLink {
                seq: i as i64 + 1,
                audit_id: *id,
                chain_hash: chain,
                stored_record_hash: record,
                content: content(details[i]),
            })?;
        }
        Ok(verifier.checked())
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let details = ["{}", "{\"a\":1}", "{\"b\":2}"];
        assert_eq!(verify(&details, &chain(&details)), Ok(3));
    }

    #[test]
    fn a_changed_record_is_named() {
        let details = ["{}", "{\"a\":1}", "{\"b\":2}"];
        let links = chain(&details);
        let tampered = ["{}", "{\"a\":2}", "{\"b\":2}"];
        let broken = verify(&tampered, &links).unwrap_err();
        assert_eq!(broken.sequence, 11);
        assert!(broken.reason.contains("content"));
    }

    #[test]
    fn a_rehashed_record_breaks_the_chain() {
        let details = ["{}", "{\"a\":1}", "{\"b\":2}"];
        let mut links = chain(&details);
        let tampered = ["{}", "{\"a\":2}", "{\"b\":2}"];
        links[1].1 = record_hash(&content(tampered[1]));
        let broken = verify(&tampered, &links).unwrap_err();
        assert_eq!(broken.sequence, 11);
        assert!(broken.reason.contains("chain"));
    }

    #[test]
    fn the_hash_covers_every_field() {
        let base = record_hash(&content("{}"));
        let mut other = content("{}");
        other.client_addr = Some("10.0.0.1");
        assert_ne!(record_hash(&other), base);
        let mut other = content("{}");
        other.occurred_at += chrono::Duration::microseconds(1);
        assert_ne!(record_hash(&other), base);
    }
}
