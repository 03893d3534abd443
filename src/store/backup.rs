//! Backups of a registry on SQLite: one archive (tar) holding a consistent copy of the database,
//! taken while servers go on writing, and the case documents. PostgreSQL is backed up with its
//! own tools (see `docs/operations.md`).

use std::fs::{self, File};
use std::io::{self, Read};
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
    let copy = beside(file, ".database");
    let partial = beside(file, ".partial");
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
    // A database moved away without its write-ahead log would have that log replayed into the
    // restored one.
    for file in [
        database.to_path_buf(),
        beside(database, "-wal"),
        beside(database, "-shm"),
    ] {
        if fs::metadata(&file).is_ok_and(|found| found.len() > 0) {
            return Err(BackupError::NotFresh(file.display().to_string()));
        }
    }
    let not_a_backup =
        |why: &str| BackupError::NotABackup(archive_file.display().to_string(), why.to_string());
    let incoming = beside(database, ".restoring");
    let mut report = Report {
        database_bytes: 0,
        documents: 0,
    };
    let opened = File::open(archive_file)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", archive_file.display())))?;
    let mut archive = tar::Archive::new(opened);
    let unpacked = (|| {
        let entries = archive
            .entries()
            .map_err(|_| not_a_backup("not an archive"))?;
        for entry in entries {
            let mut entry = entry.map_err(|_| not_a_backup("the archive is damaged"))?;
            let name = entry.path()?.to_string_lossy().into_owned();
            // Files only: a link or a device in an archive could point anywhere.
            if !entry.header().entry_type().is_file() {
                return Err(not_a_backup(&format!("`{name}` is not a plain file")));
            }
            if name == DATABASE_ENTRY {
                entry.unpack(&incoming)?;
                File::open(&incoming)?.sync_all()?;
                report.database_bytes = fs::metadata(&incoming)?.len();
                continue;
            }
            // Only `documents/ab/abcdef…` is a document, stored under the hash of what it holds.
            let sha256 = name
                .strip_prefix(DOCUMENTS_ENTRY)
                .and_then(|rest| rest.strip_prefix('/'))
                .and_then(|rest| rest.split_once('/'))
                .and_then(|(shard, sha256)| sha256.starts_with(shard).then_some(sha256))
                .filter(|sha256| documents.path_for(sha256).is_some())
                .ok_or_else(|| not_a_backup(&format!("unexpected entry `{name}`")))?;
            let mut content = Vec::new();
            entry.read_to_end(&mut content)?;
            if documents.save(&content)? != sha256 {
                return Err(not_a_backup(&format!("`{name}` does not match its hash")));
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

/// The file next to `file` whose name ends in `suffix`: working files (so that the final rename
/// stays on one file system), and SQLite's `-wal` and `-shm`.
fn beside(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
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
