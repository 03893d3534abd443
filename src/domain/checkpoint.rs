//! Signed checkpoints of the audit chain, kept outside the database.
//!
//! The hash chain shows a change only to someone who knows an earlier head: whoever can write
//! to the database can change a record and recompute every hash after it. A checkpoint is the
//! head (`seq`, `head_hash`) signed with an Ed25519 key the database never holds, appended to a
//! file elsewhere. Checking the chain against the checkpoints shows a rewrite, or a trail cut
//! short, however consistent the rewritten chain is.
//!
//! One checkpoint is one line of JSON, `{"series":…,"seq":…,"head_hash":…,"signed_at":…,
//! "signature":…}`; the first line of a series started after a restore also carries
//! `follows_series`, `follows_seq`, `kept_seq` and `reason`, after `signed_at`. The signature
//! covers exactly the same JSON without `signature`: the keys in that order, no spaces.
//!
//! A series is checked against its own stretch of the chain. When a later series follows it,
//! the old one is checked only up to `kept_seq`, the last of its checkpoints that the restored
//! chain still gave when the new series began; its checkpoints after that were replaced with
//! the chain they described, and are counted as superseded.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::audit::GENESIS_HASH;

/// What a checkpoint says. The order of the fields is the order of the signed bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Which series the checkpoint belongs to: a UUID, new after a restore.
    pub series: String,
    /// The chain's length when signed (0: no record yet).
    pub seq: i64,
    /// The chain hash of link `seq` (the genesis hash for 0).
    pub head_hash: String,
    /// When it was signed, RFC 3339 in UTC.
    pub signed_at: String,
    /// The first line of a new series: the series it follows...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows_series: Option<String>,
    /// ...that series' last checkpoint...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows_seq: Option<i64>,
    /// ...the last of them the chain still gave, up to which that series is checked...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_seq: Option<i64>,
    /// ...and why a new series began, in the operator's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A checkpoint with its signature: the line as written.
#[derive(Serialize, Deserialize)]
struct SignedLine {
    #[serde(flatten)]
    checkpoint: Checkpoint,
    signature: String,
}

impl Checkpoint {
    /// The bytes the signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        // Strings and integers only: serialising cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The line to append (without its newline).
    pub fn sign(self, key: &SigningKey) -> String {
        let signature = BASE64.encode(key.sign(&self.signed_bytes()).to_bytes());
        serde_json::to_string(&SignedLine {
            checkpoint: self,
            signature,
        })
        .unwrap_or_default()
    }
}

/// Why a line is not a good checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    #[error("the line is not a checkpoint: {0}")]
    Malformed(String),
    #[error(
        "the line is not written as the registry writes checkpoints (fields, order or spacing)"
    )]
    NotAsWritten,
    #[error("the signature does not match the public key")]
    BadSignature,
}

/// Reads one line and checks its signature. The line must be exactly as the registry wrote it,
/// so that the bytes an outside party checks are the bytes the signature covers.
pub fn read_line(line: &str, key: &VerifyingKey) -> Result<Checkpoint, LineProblem> {
    let signed: SignedLine =
        serde_json::from_str(line).map_err(|e| LineProblem::Malformed(e.to_string()))?;
    if serde_json::to_string(&signed).ok().as_deref() != Some(line) {
        return Err(LineProblem::NotAsWritten);
    }
    let bytes = BASE64
        .decode(&signed.signature)
        .map_err(|_| LineProblem::BadSignature)?;
    let signature = Signature::from_slice(&bytes).map_err(|_| LineProblem::BadSignature)?;
    key.verify(&signed.checkpoint.signed_bytes(), &signature)
        .map_err(|_| LineProblem::BadSignature)?;
    Ok(signed.checkpoint)
}

/// Where a line was read, to name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: String,
    pub line: usize,
}

/// One line of a checkpoint file, read.
#[derive(Debug, Clone)]
pub struct Entry {
    pub place: Place,
    pub read: Result<Checkpoint, LineProblem>,
}

/// The chain as recomputed from the database.
#[derive(Debug, Clone, Default)]
pub struct RecomputedChain {
    /// Links that verified, from the start: the chain's length when it is intact.
    pub verified: i64,
    /// Whether recomputing stopped at a bad link rather than at the end.
    pub broken: bool,
    /// The recomputed chain hash at each seq a checkpoint names (up to `verified`).
    pub heads: BTreeMap<i64, String>,
}

impl RecomputedChain {
    fn head_at(&self, seq: i64) -> Option<&str> {
        if seq == 0 {
            return Some(GENESIS_HASH);
        }
        self.heads.get(&seq).map(String::as_str)
    }
}

/// The seqs whose recomputed chain hash the check needs.
pub fn seqs_named(entries: &[Entry]) -> BTreeSet<i64> {
    entries
        .iter()
        .filter_map(|entry| entry.read.as_ref().ok())
        .map(|checkpoint| checkpoint.seq)
        .filter(|seq| *seq > 0)
        .collect()
}

/// The first checkpoint the database no longer reproduces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub place: Place,
    pub series: Option<String>,
    pub seq: Option<i64>,
    pub reason: String,
}

/// A new series, as the check saw it: said so that a reader sees every restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handover {
    pub from_series: String,
    pub to_series: String,
    pub kept_seq: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Checkpoints that the chain reproduces.
    pub held: usize,
    /// Checkpoints of an old series past its `kept_seq`, replaced by a restore.
    pub superseded: usize,
    pub series: usize,
    pub handovers: Vec<Handover>,
}

/// Checks every checkpoint, in the order read, against the recomputed chain.
pub fn check(entries: &[Entry], chain: &RecomputedChain) -> Result<Summary, Failure> {
    let read: Vec<(&Place, &Checkpoint)> = entries
        .iter()
        .map(|entry| match &entry.read {
            Ok(checkpoint) => Ok((&entry.place, checkpoint)),
            Err(problem) => Err(Failure {
                place: entry.place.clone(),
                series: None,
                seq: None,
                reason: problem.to_string(),
            }),
        })
        .collect::<Result<_, _>>()?;
    let mut last_seq: HashMap<&str, i64> = HashMap::new();
    for (_, checkpoint) in &read {
        let last = last_seq.entry(&checkpoint.series).or_insert(checkpoint.seq);
        *last = (*last).max(checkpoint.seq);
    }
    // Where each series that another follows stops being checked.
    let mut kept_to: HashMap<&str, i64> = HashMap::new();
    let mut summary = Summary {
        series: last_seq.len(),
        ..Summary::default()
    };
    for (place, checkpoint) in &read {
        let Some(old) = checkpoint.follows_series.as_deref() else {
            continue;
        };
        let fail = |reason: String| Failure {
            place: (*place).clone(),
            series: Some(checkpoint.series.clone()),
            seq: Some(checkpoint.seq),
            reason,
        };
        let (Some(follows_seq), Some(kept_seq)) = (checkpoint.follows_seq, checkpoint.kept_seq)
        else {
            return Err(fail(
                "it names the series it follows without follows_seq and kept_seq".to_string(),
            ));
        };
        match last_seq.get(old) {
            None => {
                return Err(fail(format!(
                    "it follows series {old}, which no checkpoint file holds"
                )));
            }
            Some(&last) if last != follows_seq => {
                return Err(fail(format!(
                    "it follows series {old} at checkpoint {follows_seq}, but that series' last \
                     checkpoint is {last}"
                )));
            }
            Some(_) => {}
        }
        let kept = kept_to.entry(old).or_insert(kept_seq);
        *kept = (*kept).min(kept_seq);
        summary.handovers.push(Handover {
            from_series: old.to_string(),
            to_series: checkpoint.series.clone(),
            kept_seq,
            reason: checkpoint.reason.clone().unwrap_or_default(),
        });
    }
    for (place, checkpoint) in &read {
        if kept_to
            .get(checkpoint.series.as_str())
            .is_some_and(|kept| checkpoint.seq > *kept)
        {
            summary.superseded += 1;
            continue;
        }
        let fail = |reason: String| Failure {
            place: (*place).clone(),
            series: Some(checkpoint.series.clone()),
            seq: Some(checkpoint.seq),
            reason,
        };
        if checkpoint.seq > chain.verified {
            return Err(fail(if chain.broken {
                format!(
                    "the chain is broken after link {}, before this checkpoint",
                    chain.verified
                )
            } else {
                format!(
                    "the chain has {} links, fewer than this checkpoint: the trail was cut short",
                    chain.verified
                )
            }));
        }
        if chain.head_at(checkpoint.seq) != Some(checkpoint.head_hash.as_str()) {
            return Err(fail(
                "the chain at this seq no longer gives its head hash: the trail was rewritten"
                    .to_string(),
            ));
        }
        summary.held += 1;
    }
    Ok(summary)
}

/// Of a series' checkpoints (in the order written), the last one that the chain still gives,
/// stopping at the first it does not: the `kept_seq` of a series that follows it.
pub fn last_kept<'a>(
    series: impl IntoIterator<Item = &'a Checkpoint>,
    mut head_at: impl FnMut(i64) -> Option<String>,
) -> i64 {
    let mut kept = 0;
    for checkpoint in series {
        if head_at(checkpoint.seq).as_deref() != Some(checkpoint.head_hash.as_str()) {
            break;
        }
        kept = checkpoint.seq;
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn at(series: &str, seq: i64, head: &str) -> Checkpoint {
        Checkpoint {
            series: series.to_string(),
            seq,
            head_hash: head.to_string(),
            signed_at: "2026-12-08T10:00:00Z".to_string(),
            follows_series: None,
            follows_seq: None,
            kept_seq: None,
            reason: None,
        }
    }

    fn entries(checkpoints: &[Checkpoint]) -> Vec<Entry> {
        checkpoints
            .iter()
            .enumerate()
            .map(|(i, checkpoint)| Entry {
                place: Place {
                    file: "checkpoints.jsonl".to_string(),
                    line: i + 1,
                },
                read: Ok(checkpoint.clone()),
            })
            .collect()
    }

    fn chain(heads: &[(i64, &str)], verified: i64) -> RecomputedChain {
        RecomputedChain {
            verified,
            broken: false,
            heads: heads.iter().map(|(s, h)| (*s, h.to_string())).collect(),
        }
    }

    #[test]
    fn the_signed_bytes_are_the_line_without_its_signature() {
        let line = at("s1", 3, "abc").sign(&key(1));
        assert!(
            line.starts_with(
                r#"{"series":"s1","seq":3,"head_hash":"abc","signed_at":"2026-12-08T10:00:00Z","signature":""#
            ),
            "{line}"
        );
        let signed = String::from_utf8(at("s1", 3, "abc").signed_bytes()).unwrap();
        let (without, _) = line.rsplit_once(r#","signature":"#).unwrap();
        assert_eq!(format!("{without}}}"), signed);
        assert_eq!(
            read_line(&line, &key(1).verifying_key()),
            Ok(at("s1", 3, "abc"))
        );
    }

    #[test]
    fn a_new_series_signs_its_link_to_the_old_one_in_order() {
        let mut first = at("s2", 5, "abc");
        first.follows_series = Some("s1".to_string());
        first.follows_seq = Some(9);
        first.kept_seq = Some(4);
        first.reason = Some("restored \"from\" backup".to_string());
        let line = first.clone().sign(&key(1));
        assert!(
            line.contains(
                r#""signed_at":"2026-12-08T10:00:00Z","follows_series":"s1","follows_seq":9,"kept_seq":4,"reason":"restored \"from\" backup","signature":"#
            ),
            "{line}"
        );
        assert_eq!(read_line(&line, &key(1).verifying_key()), Ok(first));
    }

    #[test]
    fn another_key_a_changed_byte_or_another_layout_is_refused() {
        let line = at("s1", 3, "abc").sign(&key(1));
        assert_eq!(
            read_line(&line, &key(2).verifying_key()),
            Err(LineProblem::BadSignature)
        );
        let changed = line.replace("\"seq\":3", "\"seq\":4");
        assert_eq!(
            read_line(&changed, &key(1).verifying_key()),
            Err(LineProblem::BadSignature)
        );
        let spaced = line.replace("\"seq\":3", "\"seq\": 3");
        assert_eq!(
            read_line(&spaced, &key(1).verifying_key()),
            Err(LineProblem::NotAsWritten)
        );
        let extra = line.replace("{\"series\"", "{\"x\":1,\"series\"");
        assert_eq!(
            read_line(&extra, &key(1).verifying_key()),
            Err(LineProblem::NotAsWritten)
        );
        assert!(matches!(
            read_line(&line[..line.len() - 2], &key(1).verifying_key()),
            Err(LineProblem::Malformed(_))
        ));
    }

    #[test]
    fn checkpoints_the_chain_gives_hold() {
        let read = entries(&[
            at("s1", 0, GENESIS_HASH),
            at("s1", 2, "h2"),
            at("s1", 3, "h3"),
        ]);
        let summary = check(&read, &chain(&[(2, "h2"), (3, "h3")], 3)).unwrap();
        assert_eq!(summary.held, 3);
        assert_eq!(summary.series, 1);
    }

    #[test]
    fn a_rewritten_chain_is_named_at_the_first_checkpoint_it_no_longer_gives() {
        let read = entries(&[at("s1", 2, "h2"), at("s1", 3, "h3")]);
        let failure = check(&read, &chain(&[(2, "h2"), (3, "other")], 3)).unwrap_err();
        assert_eq!(failure.series.as_deref(), Some("s1"));
        assert_eq!(failure.seq, Some(3));
        assert_eq!(failure.place.line, 2);
        assert!(failure.reason.contains("rewritten"));
    }

    #[test]
    fn a_chain_shorter_than_a_checkpoint_was_cut_short() {
        let read = entries(&[at("s1", 2, "h2"), at("s1", 3, "h3")]);
        let failure = check(&read, &chain(&[(2, "h2")], 2)).unwrap_err();
        assert_eq!(failure.seq, Some(3));
        assert!(failure.reason.contains("cut short"), "{}", failure.reason);
    }

    #[test]
    fn a_bad_line_fails_wherever_it_is() {
        let mut read = entries(&[at("s1", 2, "h2")]);
        read.push(Entry {
            place: Place {
                file: "checkpoints.jsonl".to_string(),
                line: 2,
            },
            read: Err(LineProblem::BadSignature),
        });
        let failure = check(&read, &chain(&[(2, "h2")], 2)).unwrap_err();
        assert_eq!(failure.place.line, 2);
        assert!(failure.reason.contains("signature"));
    }

    fn restored(kept_seq: i64, follows_seq: i64) -> Checkpoint {
        let mut first = at("s2", 4, "n4");
        first.follows_series = Some("s1".to_string());
        first.follows_seq = Some(follows_seq);
        first.kept_seq = Some(kept_seq);
        first.reason = Some("restored from backup".to_string());
        first
    }

    #[test]
    fn an_old_series_is_checked_only_up_to_what_the_restore_kept() {
        // s1 signed 2 and 6; the restore kept the chain up to 3, and new records followed.
        let read = entries(&[
            at("s1", 2, "h2"),
            at("s1", 6, "h6"),
            restored(2, 6),
            at("s2", 7, "n7"),
        ]);
        let after_restore = chain(&[(2, "h2"), (4, "n4"), (6, "n6"), (7, "n7")], 7);
        let summary = check(&read, &after_restore).unwrap();
        assert_eq!(summary.held, 3);
        assert_eq!(summary.superseded, 1);
        assert_eq!(summary.handovers[0].reason, "restored from backup");

        // What the restore kept must still hold.
        let rewritten = chain(&[(2, "x2"), (4, "n4"), (6, "n6"), (7, "n7")], 7);
        assert_eq!(check(&read, &rewritten).unwrap_err().seq, Some(2));
        // And the new series is checked to its end.
        let cut = chain(&[(2, "h2"), (4, "n4"), (6, "n6")], 6);
        assert_eq!(check(&read, &cut).unwrap_err().seq, Some(7));
    }

    #[test]
    fn a_new_series_must_name_the_old_series_last_checkpoint() {
        let chain = chain(&[(2, "h2"), (4, "n4")], 4);
        let lost_tail = entries(&[at("s1", 2, "h2"), restored(2, 6)]);
        let failure = check(&lost_tail, &chain).unwrap_err();
        assert_eq!(failure.series.as_deref(), Some("s2"));
        assert!(failure.reason.contains("last checkpoint is 2"));
        let lost_series = entries(&[restored(2, 6)]);
        assert!(
            check(&lost_series, &chain)
                .unwrap_err()
                .reason
                .contains("no checkpoint file holds")
        );
    }

    #[test]
    fn the_kept_seq_is_the_last_checkpoint_still_given() {
        let series = [at("s1", 2, "h2"), at("s1", 4, "h4"), at("s1", 6, "h6")];
        let heads: BTreeMap<i64, &str> = [(2, "h2"), (4, "h4"), (6, "other")].into();
        let head_at = |seq| heads.get(&seq).map(|h| h.to_string());
        assert_eq!(last_kept(&series, head_at), 4);
        assert_eq!(last_kept(&series, |_| None), 0);
    }
}
