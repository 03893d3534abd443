//! The `Idempotency-Key` of a creating request, with the hash of the body it came with: the
//! API's header, or the key a page's form carries.

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::services::idempotency::IdempotencyKey;

/// The key of a request to record an incident: the API's body, or what a page's form sent.
/// serde_json keeps object keys sorted: the same body always hashes the same.
pub fn of_incident(key: String, sent: &impl Serialize) -> IdempotencyKey {
    let text = serde_json::to_string(sent).unwrap_or_default();
    let request_hash = hex::encode(Sha256::digest(text));
    IdempotencyKey { key, request_hash }
}

/// The key of a request to open a case. The kind is part of the hash, so that one key cannot
/// answer for an incident and a case.
pub fn of_case(key: String, body: &Map<String, Value>) -> IdempotencyKey {
    let canonical = format!("case\n{}", Value::Object(body.clone()));
    let request_hash = hex::encode(Sha256::digest(canonical));
    IdempotencyKey { key, request_hash }
}

/// The key of a request to record assistance (its kind is part of the hash, as for a case).
pub fn of_assistance(key: String, sent: &impl Serialize) -> IdempotencyKey {
    let text = format!(
        "assistance\n{}",
        serde_json::to_string(sent).unwrap_or_default()
    );
    let request_hash = hex::encode(Sha256::digest(text));
    IdempotencyKey { key, request_hash }
}
