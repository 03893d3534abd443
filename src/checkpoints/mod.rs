//! Signed checkpoints of the audit chain, written outside the database (the format and the
//! rules: `domain::checkpoint`). A server with `audit_signing_key` and `audit_checkpoint_folder`
//! signs the chain head every `audit_checkpoint_interval_seconds` when it moved;
//! `audit checkpoint` signs it when asked, and after a restore starts a new series.

pub mod folder;
pub mod keys;
pub mod verify;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use chrono::{NaiveDateTime, SecondsFormat};
use ed25519_dalek::SigningKey;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{DbConnection, DbPool};
use crate::domain::checkpoint::{Checkpoint, last_kept, read_line};
use crate::store;
use folder::LockedFile;
use keys::KeyError;

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("checkpoint folder or file {0}: {1}")]
    File(String, std::io::Error),
    #[error(
        "{line} of {file} is not a checkpoint signed by this key ({why}); a new key needs a new \
         checkpoint folder"
    )]
    NotOurs {
        file: String,
        line: String,
        why: String,
    },
    #[error(
        "the audit chain no longer gives checkpoint {seq} of series {series}: it was rewritten, \
         or restored from a backup. If it was restored, start a new series: \
         peacekeeper-registry audit checkpoint --new-series --reason \"…\""
    )]
    NotReproduced { series: String, seq: i64 },
    #[error("the database: {0}")]
    Database(#[from] diesel::result::Error),
}

/// Signs checkpoints with the configured key into the configured folder.
pub struct Checkpointer {
    key: SigningKey,
    folder: PathBuf,
}

/// Which checkpoint to write.
enum Take<'a> {
    /// Only when the head moved since the last checkpoint (the server's timer).
    IfMoved,
    /// Now, in the current series.
    Now,
    /// Now, as the first line of a new series, for this reason.
    NewSeries(&'a str),
}

impl Checkpointer {
    /// The settings' checkpointer, or `None` when checkpoints are off. Refuses a key that group
    /// or others can read. (The settings' own check made sure both settings or neither are set.)
    pub fn from_settings(settings: &Settings) -> Result<Option<Checkpointer>, CheckpointError> {
        if settings.audit_signing_key.is_empty() {
            return Ok(None);
        }
        let key = keys::load_signing_key(settings.audit_signing_key.as_ref())?;
        let folder = PathBuf::from(&settings.audit_checkpoint_folder);
        std::fs::create_dir_all(&folder)
            .map_err(|e| CheckpointError::File(folder.display().to_string(), e))?;
        Ok(Some(Checkpointer { key, folder }))
    }

    /// Signs the head if it moved since the last checkpoint; the checkpoint written, if any.
    pub fn sign_if_moved(
        &self,
        conn: &mut DbConnection,
        now: NaiveDateTime,
    ) -> Result<Option<Checkpoint>, CheckpointError> {
        self.take(conn, now, Take::IfMoved)
    }

    /// Signs the head now, in the current series (a first series if there is none).
    pub fn sign_now(
        &self,
        conn: &mut DbConnection,
        now: NaiveDateTime,
    ) -> Result<Checkpoint, CheckpointError> {
        Ok(self.take(conn, now, Take::Now)?.expect("always written"))
    }

    /// Signs the head now as the first checkpoint of a new series, which names the last
    /// checkpoint of the old one and the last of them the chain still gives.
    pub fn start_series(
        &self,
        conn: &mut DbConnection,
        now: NaiveDateTime,
        reason: &str,
    ) -> Result<Checkpoint, CheckpointError> {
        Ok(self
            .take(conn, now, Take::NewSeries(reason))?
            .expect("always written"))
    }

    fn take(
        &self,
        conn: &mut DbConnection,
        now: NaiveDateTime,
        take: Take,
    ) -> Result<Option<Checkpoint>, CheckpointError> {
        let file_error =
            |e| CheckpointError::File(self.folder.join(folder::FILE_NAME).display().to_string(), e);
        let mut file = LockedFile::open(&self.folder).map_err(file_error)?;
        let last = match file.last_line().map_err(file_error)? {
            Some(line) => Some(self.read_own(&file, &line)?),
            None => None,
        };
        let (seq, head_hash) = store::checkpoints::head(conn)?;
        let mut checkpoint = Checkpoint {
            series: uuid::Uuid::now_v7().to_string(),
            seq,
            head_hash,
            signed_at: now.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true),
            follows_series: None,
            follows_seq: None,
            kept_seq: None,
            reason: None,
        };
        match (take, last) {
            (Take::NewSeries(reason), last) => {
                checkpoint.reason = Some(reason.to_string());
                if let Some(last) = last {
                    checkpoint.kept_seq = Some(self.kept_of(conn, &mut file, &last.series)?);
                    checkpoint.follows_seq = Some(last.seq);
                    checkpoint.follows_series = Some(last.series);
                }
            }
            (take, Some(last)) => {
                let moved =
                    (last.seq, last.head_hash.as_str()) != (seq, checkpoint.head_hash.as_str());
                if matches!(take, Take::IfMoved) && !moved {
                    return Ok(None);
                }
                // Signing a rewritten or restored chain into the old series would only make that
                // series contradict itself.
                if store::checkpoints::hash_at(conn, last.seq)?.as_deref()
                    != Some(last.head_hash.as_str())
                {
                    return Err(CheckpointError::NotReproduced {
                        series: last.series,
                        seq: last.seq,
                    });
                }
                checkpoint.series = last.series;
            }
            (Take::IfMoved, None) if seq == 0 => return Ok(None),
            (_, None) => {}
        }
        let line = checkpoint.clone().sign(&self.key);
        file.append(&line).map_err(file_error)?;
        // The log carries every checkpoint off the machine as well.
        tracing::info!(checkpoint = %line, "audit checkpoint signed");
        Ok(Some(checkpoint))
    }

    /// Reads a line this key wrote.
    fn read_own(&self, file: &LockedFile, line: &str) -> Result<Checkpoint, CheckpointError> {
        read_line(line, &self.key.verifying_key()).map_err(|problem| CheckpointError::NotOurs {
            file: file.path().display().to_string(),
            line: "the last line".to_string(),
            why: problem.to_string(),
        })
    }

    /// The last checkpoint of `series` in the file that the chain still gives, in the order
    /// written, stopping at the first it does not.
    fn kept_of(
        &self,
        conn: &mut DbConnection,
        file: &mut LockedFile,
        series: &str,
    ) -> Result<i64, CheckpointError> {
        let key = self.key.verifying_key();
        let mut old = Vec::new();
        for (number, line) in file
            .lines()
            .map_err(|e| CheckpointError::File(file.path().display().to_string(), e))?
            .iter()
            .enumerate()
        {
            let checkpoint = read_line(line, &key).map_err(|problem| CheckpointError::NotOurs {
                file: file.path().display().to_string(),
                line: format!("line {}", number + 1),
                why: problem.to_string(),
            })?;
            if checkpoint.series == series {
                old.push(checkpoint);
            }
        }
        let mut stored = BTreeMap::new();
        for checkpoint in &old {
            stored.insert(
                checkpoint.seq,
                store::checkpoints::hash_at(conn, checkpoint.seq)?,
            );
        }
        Ok(last_kept(&old, |seq| stored.get(&seq).cloned().flatten()))
    }
}

/// The server's loop: every `every`, seals what is pending and signs the head if it moved.
pub async fn sign_every(
    pool: DbPool,
    checkpointer: Arc<Checkpointer>,
    every: Duration,
    clock: Arc<dyn Clock>,
) {
    let mut ticks = actix_web::rt::time::interval(every);
    loop {
        ticks.tick().await;
        let (pool, checkpointer, clock) =
            (pool.clone(), Arc::clone(&checkpointer), Arc::clone(&clock));
        let signed = web::block(move || -> Result<_, String> {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            store::audit::seal_pending(&mut conn).map_err(|e| e.to_string())?;
            checkpointer
                .sign_if_moved(&mut conn, clock.now())
                .map_err(|e| e.to_string())
        })
        .await;
        match signed {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %e, "signing an audit checkpoint failed; will retry")
            }
            Err(e) => tracing::error!(error = %e, "signing an audit checkpoint failed; will retry"),
        }
    }
}
