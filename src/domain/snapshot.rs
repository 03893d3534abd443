//! Records that prove themselves without showing their content.
//!
//! A record's snapshot is everything about it that a user or a workflow can change, as canonical
//! JSON (keys sorted, no spaces: serde_json's own map keeps keys in order). The audit record of a
//! change carries the snapshot's SHA-256 and no content, so an auditor can prove what a record
//! was at every step without reading it, and `audit verify` finds a snapshot or a row changed
//! past the service.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// The SHA-256 of a snapshot's canonical text, in hex.
pub fn digest(snapshot_text: &str) -> String {
    hex::encode(Sha256::digest(snapshot_text.as_bytes()))
}

/// The canonical text of a snapshot.
pub fn canonical(snapshot: &Value) -> String {
    snapshot.to_string()
}

/// The names of the top-level fields whose values differ between two snapshots, sorted.
pub fn changed_fields(before: &Value, after: &Value) -> Vec<String> {
    let empty = Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let mut names: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|key| before.get(*key) != after.get(*key))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

/// What an audit record says of a change to a record: who-did-what facts only. The version
/// numbers, the names of the fields changed, lifecycle codes, and the hash of the record as it
/// became; never the values themselves.
#[derive(Debug, Clone, Default)]
pub struct ChangeFacts<'a> {
    pub mission: Option<&'a str>,
    pub classification: Option<&'a str>,
    pub version_from: Option<i64>,
    pub version_to: i64,
    pub status_from: Option<&'a str>,
    pub status_to: Option<&'a str>,
    pub fields: Vec<String>,
    /// Counts a reader may know (victims, accused persons, ...), by name.
    pub counts: Vec<(&'static str, usize)>,
    pub snapshot_sha256: String,
    /// The account that wrote the version, when it is not the one acting (the import writes as
    /// the dataset's account): the history's authorship, which the two-person rule reads, is
    /// proved by the trail too.
    pub author: Option<&'a str>,
}

impl ChangeFacts<'_> {
    /// The audit record's details.
    pub fn details(&self) -> Value {
        let mut details = json!({
            "version_from": self.version_from,
            "version_to": self.version_to,
            "fields": self.fields,
            "snapshot_sha256": self.snapshot_sha256,
        });
        let map = details.as_object_mut().expect("an object");
        for (key, value) in [
            ("mission", self.mission),
            ("classification", self.classification),
            ("status_from", self.status_from),
            ("status_to", self.status_to),
            ("author", self.author),
        ] {
            if let Some(value) = value {
                map.insert(key.to_string(), json!(value));
            }
        }
        for (name, count) in &self.counts {
            map.insert((*name).to_string(), json!(count));
        }
        details
    }
}

/// An account's snapshot: what decides what its user may see and do (not counters such as
/// failed sign-ins, nor the language of the pages).
pub fn account(
    role: &str,
    clearance: &str,
    missions: &[String],
    all_missions: bool,
    disabled: bool,
    state: Option<&str>,
) -> Value {
    let mut missions = missions.to_vec();
    missions.sort();
    let mut snapshot = json!({
        "role": role,
        "clearance": clearance,
        "missions": missions,
        "all_missions": all_missions,
        "disabled": disabled,
    });
    // Only a focal point speaks for a State: the other accounts' snapshots stay as they were
    // before States had accounts, so the records that prove them still do.
    if let Some(state) = state {
        snapshot["state"] = json!(state);
    }
    snapshot
}

/// The snapshot hash and the version an audit record's details claim, if they claim one.
pub fn claimed(details: &Value) -> Option<(i64, &str)> {
    let version = details.get("version_to")?.as_i64()?;
    let hash = details.get("snapshot_sha256")?.as_str()?;
    Some((version, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_content_gives_the_same_digest_whatever_the_key_order() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":[1,2]}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":[1,2],"b":1}"#).unwrap();
        assert_eq!(canonical(&a), r#"{"a":[1,2],"b":1}"#);
        assert_eq!(digest(&canonical(&a)), digest(&canonical(&b)));
        assert_ne!(digest("{}"), digest("{ }"));
    }

    #[test]
    fn details_name_fields_but_hold_no_values() {
        let before = json!({ "summary": "Ambush near Bambari", "place": "Bambari", "n": 1 });
        let after = json!({ "summary": "Ambush north of Bambari", "place": "Bambari", "x": 2 });
        let facts = ChangeFacts {
            mission: Some("MINUSCA"),
            version_from: Some(1),
            version_to: 2,
            fields: changed_fields(&before, &after),
            snapshot_sha256: digest(&canonical(&after)),
            ..Default::default()
        };
        let details = facts.details();
        assert_eq!(details["fields"], json!(["n", "summary", "x"]));
        assert_eq!(claimed(&details), Some((2, facts.snapshot_sha256.as_str())));
        let text = details.to_string();
        assert!(!text.contains("Bambari"), "{text}");
    }
}
