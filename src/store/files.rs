//! Document files, kept outside the database in one folder and addressed by their SHA-256:
//! `FOLDER/ab/abcdef…` for the hash `abcdef…`. A name given by a client never becomes a path;
//! the same content is kept once however often it is uploaded.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct FileStore {
    folder: PathBuf,
}

/// Why a stored file cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum FileProblem {
    #[error("the file is missing")]
    Missing,
    #[error("the file's content no longer matches its recorded SHA-256 (now {actual})")]
    Altered { actual: String },
    #[error("the file cannot be read: {0}")]
    Unreadable(io::Error),
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl FileStore {
    pub fn new(folder: impl Into<PathBuf>) -> Self {
        FileStore {
            folder: folder.into(),
        }
    }

    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Where the file of this hash lives. Only a well-formed hash makes a path.
    fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        is_sha256_hex(sha256).then(|| self.folder.join(&sha256[..2]).join(sha256))
    }

    /// Stores the bytes durably and returns their SHA-256. The file is written under a temporary
    /// name, flushed to disk, then renamed into place, so a crash never leaves half a file under
    /// a hash.
    pub fn save(&self, bytes: &[u8]) -> io::Result<String> {
        let sha256 = sha256_hex(bytes);
        let path = self
            .path_of(&sha256)
            .ok_or_else(|| io::Error::other("hash is not hexadecimal"))?;
        if self.read_checked(&sha256).is_ok() {
            return Ok(sha256);
        }
        let shard = path.parent().unwrap_or(&self.folder).to_path_buf();
        fs::create_dir_all(&shard)?;
        let temporary = shard.join(format!(".upload-{}", uuid::Uuid::now_v7().simple()));
        let written = (|| {
            let mut file = File::create(&temporary)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&temporary, &path)?;
            File::open(&shard)?.sync_all()
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        written.map(|()| sha256)
    }

    /// The file's bytes, provided they still hash to `sha256`.
    pub fn read_checked(&self, sha256: &str) -> Result<Vec<u8>, FileProblem> {
        let path = self.path_of(sha256).ok_or(FileProblem::Missing)?;
        let bytes = fs::read(&path).map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => FileProblem::Missing,
            _ => FileProblem::Unreadable(error),
        })?;
        let actual = sha256_hex(&bytes);
        if actual != sha256 {
            return Err(FileProblem::Altered { actual });
        }
        Ok(bytes)
    }

    /// Every stored file, by hash (a file being written, under its temporary name, is not one).
    pub fn stored(&self) -> io::Result<Vec<(String, PathBuf)>> {
        let mut files = Vec::new();
        let shards = match fs::read_dir(&self.folder) {
            Ok(shards) => shards,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(files),
            Err(error) => return Err(error),
        };
        for shard in shards {
            let shard = shard?;
            if !shard.file_type()?.is_dir() {
                continue;
            }
            for entry in fs::read_dir(shard.path())? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if self.path_of(&name).as_deref() == Some(entry.path().as_path()) {
                    files.push((name, entry.path()));
                }
            }
        }
        Ok(files)
    }

    /// The path of a stored file, for tests and tools that must reach it directly.
    pub fn path_for(&self, sha256: &str) -> Option<PathBuf> {
        self.path_of(sha256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_by_hash_and_detects_changes() {
        let folder = tempfile::tempdir().unwrap();
        let store = FileStore::new(folder.path());
        let hash = store.save(b"indictment").unwrap();
        assert_eq!(hash, sha256_hex(b"indictment"));
        assert_eq!(store.read_checked(&hash).unwrap(), b"indictment");
        // The same content again is the same file.
        assert_eq!(store.save(b"indictment").unwrap(), hash);

        let path = store.path_for(&hash).unwrap();
        assert!(path.starts_with(folder.path()));
        fs::write(&path, b"indictment, altered").unwrap();
        assert!(matches!(
            store.read_checked(&hash),
            Err(FileProblem::Altered { .. })
        ));
        // Saving the true content again repairs it.
        store.save(b"indictment").unwrap();
        assert!(store.read_checked(&hash).is_ok());

        fs::remove_file(&path).unwrap();
        assert!(matches!(
            store.read_checked(&hash),
            Err(FileProblem::Missing)
        ));
        assert!(store.path_for("../../etc/passwd").is_none());
    }
}
