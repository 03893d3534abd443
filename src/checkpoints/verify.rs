//! `audit verify --checkpoints DIR --public-key FILE`: recomputes the chain as plain verify does
//! and checks every checkpoint line of every file in DIR against it, with the public key alone.

use std::path::Path;

use crate::db::DbConnection;
use crate::domain::checkpoint::{self, Entry, Failure, Place, RecomputedChain, Summary};
use crate::store::audit::{self, VerifyReport};

use super::{folder, keys};

/// What the check found.
pub struct FolderReport {
    /// The chain as plain verify reports it.
    pub chain: VerifyReport,
    pub lines: usize,
    pub outcome: Result<Summary, Failure>,
}

impl FolderReport {
    pub fn intact(&self) -> bool {
        self.chain.intact && self.outcome.is_ok()
    }
}

/// Checks the chain of `conn` against the checkpoints in `dir`. Only reads: the connection may
/// be read-only. An error when the key or the folder cannot be read, or holds no checkpoint.
pub fn verify_folder(
    conn: &mut DbConnection,
    dir: &Path,
    public_key: &Path,
) -> Result<FolderReport, String> {
    let key = keys::load_public_key(public_key).map_err(|e| e.to_string())?;
    let lines = folder::read_every_file(dir)
        .map_err(|e| format!("the checkpoint folder {}: {e}", dir.display()))?;
    if lines.is_empty() {
        return Err(format!(
            "the checkpoint folder {} holds no checkpoint to check against",
            dir.display()
        ));
    }
    let entries: Vec<Entry> = lines
        .into_iter()
        .map(|(file, line, text)| Entry {
            place: Place { file, line },
            read: checkpoint::read_line(&text, &key),
        })
        .collect();
    let wanted = checkpoint::seqs_named(&entries);
    let mut recomputed = RecomputedChain::default();
    let chain = audit::verify_noting(conn, |seq, head| {
        if wanted.contains(&seq) {
            recomputed.heads.insert(seq, head.to_string());
        }
    })
    .map_err(|e| e.to_string())?;
    recomputed.verified = chain.records_checked as i64;
    recomputed.broken = chain.first_broken.is_some();
    Ok(FolderReport {
        outcome: checkpoint::check(&entries, &recomputed),
        lines: entries.len(),
        chain,
    })
}
