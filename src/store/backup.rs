//! Backups of a registry on SQLite: one archive (tar) holding a consistent copy of the database,
//! taken while servers go on writing, and the case documents. PostgreSQL is backed up with its
//! own tools (see `docs/operations.md`).

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use diesel::RunQueryDsl;
use diesel::sql_types::Text;

use super::files::FileStore;
use crate::db::DbConnection;

/// The database's name inside the archive.
const DATABASE_ENTRY: &str = "registry.sqlite3";
/// The folder of the documents inside the archive, laid out as the document folder is.
const DOCUMENTS_ENTRY: &str = "documents";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} exists already; a backup never overwrites a file")]
    FileExists(String),
    #[error("the database is not empty: {0}; restore into a fresh database (move this one away)")]
    NotFresh(String),
    #[error("{0} is not a backup of the registry: {1}")]
    NotABackup(String, String),
    #[error("the database could not be copied: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("{0}")]
    Io(#[from] io::Error),
}

pub struct Report {
    pub database_bytes: u64,
    pub documents: usize,
}

/// Writes the archive to `file`. The database is copied first, as of one moment (`VACUUM INTO`
/// reads in one transaction, so writers go on meanwhile), then the documents: a document is
/// stored before the record naming it commits, so every document the copy names is there.
/// The archive appears under its name only once it is whole and on disk.
pub fn backup(
    conn: &mut DbConnection,
    documents: &FileStore,
    file: &Path,
) -> Result<Report, BackupError> {
    if file.exists() {
        return Err(BackupError::FileExists(file.display().to_string()));
    }
    let copy = beside(file, "database");
    let partial = beside(file, "partial");
    let written = (|| {
        diesel::sql_query("VACUUM INTO ?")
            .bind::<Text, _>(copy.to_string_lossy().into_owned())
            .execute(conn)?;
        let mut archive = tar::Builder::new(File::create(&partial)?);
        archive.append_path_with_name(&copy, DATABASE_ENTRY)?;
        let stored = documents.stored()?;
        for (sha256, path) in &stored {
            let name = format!("{DOCUMENTS_ENTRY}/{}/{sha256}", &sha256[..2]);
            archive.append_path_with_name(path, name)?;
        }
        archive.into_inner()?.sync_all()?;
        let report = Report {
            database_bytes: fs::metadata(&copy)?.len(),
            documents: stored.len(),
        };
        fs::rename(&partial, file)?;
        sync_folder_of(file)?;
        Ok(report)
    })();
    let _ = fs::remove_file(&copy);
    if written.is_err() {
        let _ = fs::remove_file(&partial);
    }
    written
}

/// Restores an archive `backup` wrote: the database into `database` (which must not exist yet,
/// or be empty), the documents into the document folder (a document already there is the same
/// content, as files are named by their hash).
pub fn restore(
    archive_file: &Path,
    database: &Path,
    documents: &FileStore,
) -> Result<Report, BackupError> {
    if fs::metadata(database).is_ok_and(|found| found.len() > 0) {
        return Err(BackupError::NotFresh(database.display().to_string()));
    }
    let not_a_backup =
        |why: &str| BackupError::NotABackup(archive_file.display().to_string(), why.to_string());
    let incoming = beside(database, "restoring");
    let mut report = Report {
        database_bytes: 0,
        documents: 0,
    };
    let mut archive = tar::Archive::new(File::open(archive_file)?);
    let unpacked = (|| {
        let entries = archive
            .entries()
            .map_err(|_| not_a_backup("not an archive"))?;
        for entry in entries {
            let mut entry = entry.map_err(|_| not_a_backup("the archive is damaged"))?;
            let name = entry.path()?.to_string_lossy().into_owned();
            if name == DATABASE_ENTRY {
                entry.unpack(&incoming)?;
                report.database_bytes = fs::metadata(&incoming)?.len();
                continue;
            }
            // Only `documents/ab/abcdef…` becomes a path: never one an archive made up.
            let sha256 = name
                .strip_prefix(DOCUMENTS_ENTRY)
                .and_then(|rest| rest.strip_prefix('/'))
                .and_then(|rest| rest.split_once('/'))
                .and_then(|(shard, sha256)| sha256.starts_with(shard).then_some(sha256));
            let Some(path) = sha256.and_then(|sha256| documents.path_for(sha256)) else {
                return Err(not_a_backup(&format!("unexpected entry `{name}`")));
            };
            if !path.exists() {
                if let Some(shard) = path.parent() {
                    fs::create_dir_all(shard)?;
                }
                entry.unpack(&path)?;
            }
            report.documents += 1;
        }
        if report.database_bytes == 0 {
            return Err(not_a_backup("it holds no database"));
        }
        fs::rename(&incoming, database)?;
        sync_folder_of(database)?;
        Ok(())
    })();
    if unpacked.is_err() {
        let _ = fs::remove_file(&incoming);
    }
    unpacked.map(|()| report)
}

/// A working file next to `file`, so that the final rename stays on one file system.
fn beside(file: &Path, purpose: &str) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{purpose}"));
    file.with_file_name(name)
}

/// Makes a rename in the folder durable.
fn sync_folder_of(file: &Path) -> io::Result<()> {
    match file
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    {
        Some(folder) => File::open(folder)?.sync_all(),
        None => File::open(".")?.sync_all(),
    }
}
