//! Document bytes, outside the event log, addressed by their SHA-256.
//!
//! The world keeps a document's metadata and digest; the bytes live here, one file
//! per digest, written to a temporary name, synced and renamed, so that a digest
//! that is present always names complete bytes. Identical documents share a file.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use preflight_core::Sha256;

/// See the module documentation.
#[derive(Clone, Debug)]
pub struct Blobs {
    dir: PathBuf,
}

impl Blobs {
    /// Blobs under `dir` (created when first written).
    pub fn new(dir: PathBuf) -> Blobs {
        Blobs { dir }
    }

    fn path(&self, digest: &Sha256) -> PathBuf {
        let hex = digest.to_hex();
        self.dir.join(&hex[..2]).join(hex)
    }

    /// Stores `bytes`; returns their digest.
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<Sha256> {
        let digest = Sha256::of(bytes);
        let path = self.path(&digest);
        if path.is_file() {
            return Ok(digest);
        }
        let parent = path
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| self.dir.clone());
        fs::create_dir_all(&parent)?;
        let temporary = parent.join(format!(".{}.tmp", digest.to_hex()));
        {
            let mut file = fs::File::create(&temporary)?;
            file.write_all(bytes)?;
            file.sync_all()?;
        }
        fs::rename(&temporary, &path)?;
        if let Ok(directory) = fs::File::open(&parent) {
            let _ = directory.sync_all();
        }
        Ok(digest)
    }

    /// The bytes with `digest`, if stored.
    pub fn get(&self, digest: &Sha256) -> std::io::Result<Option<Vec<u8>>> {
        match fs::read(self.path(digest)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Deletes the bytes with `digest`, if stored (DOMAIN §7: a removed
    /// organisation's documents). The caller makes sure no document still has them.
    pub fn delete(&self, digest: &Sha256) -> std::io::Result<bool> {
        let path = self.path(digest);
        match fs::remove_file(&path) {
            Ok(()) => {
                if let Some(parent) = path.parent() {
                    if let Ok(directory) = fs::File::open(parent) {
                        let _ = directory.sync_all();
                    }
                }
                Ok(true)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(error),
        }
    }
}
