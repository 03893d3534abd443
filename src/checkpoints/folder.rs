//! The checkpoint folder. Checkpoints are appended to one file, `checkpoints.jsonl`, each line
//! flushed to disk before it is reported. The file is locked while a checkpoint is taken, so a
//! server and `audit checkpoint` run at the same moment write whole lines, in order, and each
//! reads the series from the line the other wrote last.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "checkpoints.jsonl";

/// Far more than a line takes; the last line is looked for within this end of the file.
const TAIL_BYTES: u64 = 64 * 1024;

/// The checkpoint file, locked until dropped.
pub struct LockedFile {
    file: File,
    path: PathBuf,
}

impl LockedFile {
    /// Opens (creating the folder and the file when missing) and waits for the lock.
    pub fn open(folder: &Path) -> io::Result<LockedFile> {
        let path = folder.join(FILE_NAME);
        let created = !path.exists();
        fs::create_dir_all(folder)?;
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)?;
        if created {
            // The new name must survive a crash as the lines in it do.
            File::open(folder)?.sync_all()?;
        }
        file.lock()?;
        Ok(LockedFile { file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last line, without its newline; `None` for an empty file.
    pub fn last_line(&mut self) -> io::Result<Option<String>> {
        let length = self.file.seek(SeekFrom::End(0))?;
        let start = length.saturating_sub(TAIL_BYTES);
        self.file.seek(SeekFrom::Start(start))?;
        // Bytes, not text: the tail may begin inside a character of an earlier line.
        let mut tail = Vec::new();
        self.file.read_to_end(&mut tail)?;
        if tail.is_empty() {
            return Ok(None);
        }
        let Some(body) = tail.strip_suffix(b"\n") else {
            return Err(io::Error::other(
                "it ends in an incomplete line (a write cut short?); move the file aside to \
                 go on, and keep it",
            ));
        };
        let last = match body.iter().rposition(|&byte| byte == b'\n') {
            Some(newline) => &body[newline + 1..],
            None if start == 0 => body,
            None => return Err(io::Error::other("its last line is far too long")),
        };
        String::from_utf8(last.to_vec())
            .map(Some)
            .map_err(|_| io::Error::other("its last line is not UTF-8"))
    }

    /// Every line, in order.
    pub fn lines(&mut self) -> io::Result<Vec<String>> {
        self.file.seek(SeekFrom::Start(0))?;
        let mut text = String::new();
        self.file.read_to_string(&mut text)?;
        Ok(text.lines().map(str::to_string).collect())
    }

    /// Appends one line and flushes it to disk.
    pub fn append(&mut self, line: &str) -> io::Result<()> {
        // One write, so that a crash leaves at worst this line incomplete.
        self.file.write_all(format!("{line}\n").as_bytes())?;
        self.file.sync_data()
    }
}

/// The lines of every file in `folder` (not below it), files in name order: what
/// `audit verify --checkpoints` checks. Each line comes with its file's name and number.
pub fn read_every_file(folder: &Path) -> io::Result<Vec<(String, usize, String)>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(folder)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    let mut lines = Vec::new();
    for path in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = fs::read_to_string(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        for (number, line) in text.lines().enumerate() {
            lines.push((name.clone(), number + 1, line.to_string()));
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_appended_and_the_last_is_read_back() {
        let folder = tempfile::tempdir().unwrap();
        let inner = folder.path().join("checkpoints");
        let mut file = LockedFile::open(&inner).unwrap();
        assert_eq!(file.last_line().unwrap(), None);
        file.append("{\"a\":1}").unwrap();
        assert_eq!(file.last_line().unwrap().as_deref(), Some("{\"a\":1}"));
        file.append("{\"b\":2}").unwrap();
        assert_eq!(file.last_line().unwrap().as_deref(), Some("{\"b\":2}"));
        assert_eq!(file.lines().unwrap().len(), 2);
        drop(file);
        let read = read_every_file(&inner).unwrap();
        assert_eq!(read[1], (FILE_NAME.to_string(), 2, "{\"b\":2}".to_string()));
    }

    #[test]
    fn the_last_line_is_found_when_the_tail_begins_inside_a_character() {
        let folder = tempfile::tempdir().unwrap();
        // An earlier line of accented reasons, long enough that the tail read begins inside it,
        // at every offset within a two-byte character.
        for padding in 0..2 {
            let early = format!("{}{}", "x".repeat(padding), "é".repeat(TAIL_BYTES as usize));
            fs::write(
                folder.path().join(FILE_NAME),
                format!("{early}\n{{\"b\":2}}\n"),
            )
            .unwrap();
            let mut file = LockedFile::open(folder.path()).unwrap();
            assert_eq!(file.last_line().unwrap().as_deref(), Some("{\"b\":2}"));
        }
    }

    #[test]
    fn an_incomplete_last_line_stops_the_next_checkpoint() {
        let folder = tempfile::tempdir().unwrap();
        fs::write(folder.path().join(FILE_NAME), "{\"a\":1}\n{\"b\"").unwrap();
        let mut file = LockedFile::open(folder.path()).unwrap();
        let error = file.last_line().unwrap_err().to_string();
        assert!(error.contains("incomplete"), "{error}");
    }
}
