//! One server per data directory.
//!
//! Two processes on one directory would each hold the world in memory and
//! decide commands on their own copy: both accept writes at the same version,
//! and the log stops describing one world. The server therefore takes an
//! exclusive `flock` on `preflight.lock` in the data directory before it opens
//! anything there, and holds it for as long as it runs. The kernel releases it
//! when the process ends, however it ends (a `kill -9` too), so a stale file
//! never blocks a restart. The file holds the holder's process id, so that a
//! second server can say which process it is.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rustix::fs::{flock, FlockOperation};

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "preflight.lock";

/// The lock on a data directory, held while this value lives.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    path: PathBuf,
}

/// Why the data directory could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the data directory `{dir}` is in use by another Preflight server ({holder}): stop it first, or give this one another --data"
    )]
    InUse { dir: String, holder: String },
    #[error("cannot lock the data directory `{dir}`: {source}")]
    Io { dir: String, source: std::io::Error },
}

impl DataDirLock {
    /// Locks `dir` (creating it if needed), or says who holds it.
    pub fn acquire(dir: &Path) -> Result<DataDirLock, LockError> {
        let io = |source: std::io::Error| LockError::Io {
            dir: dir.display().to_string(),
            source,
        };
        fs::create_dir_all(dir).map_err(io)?;
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        if let Err(error) = flock(&file, FlockOperation::NonBlockingLockExclusive) {
            if error == rustix::io::Errno::WOULDBLOCK {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let holder = match text.trim().parse::<u32>() {
                    Ok(pid) => format!("process {pid}"),
                    Err(_) => "a process that is starting".to_string(),
                };
                return Err(LockError::InUse {
                    dir: dir.display().to_string(),
                    holder,
                });
            }
            return Err(io(error.into()));
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(DataDirLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path()).unwrap();
        // A second open file description conflicts even within one process.
        let error = DataDirLock::acquire(dir.path()).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains(&format!("process {}", std::process::id())),
            "{message}"
        );
        drop(first);
        DataDirLock::acquire(dir.path()).unwrap();
    }
}
