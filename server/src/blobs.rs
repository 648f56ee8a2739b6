//! Document bytes, outside the event log, addressed by their SHA-256.
//!
//! The world keeps a document's metadata and digest; the bytes live here, one file
//! per digest, written to a temporary name, synced and renamed, so that a digest
//! that is present always names complete bytes. Identical documents share a file.
//!
//! Deleting is the exception (a removed organisation's documents, DOMAIN §7),
//! and a file may be shared: whoever stores bytes for a document it is about to
//! record holds [`Blobs::keep`] until the record is durable, and the erasure
//! holds [`Blobs::sweep`] while it decides what no document uses and deletes it.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use preflight_core::Sha256;
use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

/// Numbers temporary files, so that two writers of the same bytes never share one.
static NEXT_TEMPORARY: AtomicU64 = AtomicU64::new(0);

/// See the module documentation.
#[derive(Clone)]
pub struct Blobs {
    dir: PathBuf,
    /// On PostgreSQL, the bytes are rows of `blobs` instead of files.
    postgres: Option<crate::postgres::Pool>,
    gate: Arc<RwLock<()>>,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.postgres {
            Some(_) => f.write_str("Blobs(PostgreSQL)"),
            None => write!(f, "Blobs({})", self.dir.display()),
        }
    }
}

fn database_error(error: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("document bytes in PostgreSQL: {error}"))
}

impl Blobs {
    /// Blobs under `dir` (created when first written).
    pub fn new(dir: PathBuf) -> Blobs {
        Blobs {
            dir,
            postgres: None,
            gate: Arc::new(RwLock::new(())),
        }
    }

    /// Blobs as rows of PostgreSQL's `blobs` table (written in the same
    /// durable way: a digest present always names complete bytes).
    pub fn in_postgres(pool: crate::postgres::Pool) -> Blobs {
        Blobs {
            dir: PathBuf::new(),
            postgres: Some(pool),
            gate: Arc::new(RwLock::new(())),
        }
    }

    fn client(&self) -> std::io::Result<Option<crate::postgres::Connection>> {
        match &self.postgres {
            Some(pool) => pool.get().map(Some).map_err(database_error),
            None => Ok(None),
        }
    }

    /// Held from storing a document's bytes until its record is durable: no
    /// erasure deletes them meanwhile.
    pub async fn keep(&self) -> OwnedRwLockReadGuard<()> {
        Arc::clone(&self.gate).read_owned().await
    }

    /// Held by an erasure while it decides which bytes no document uses and
    /// deletes them.
    pub async fn sweep(&self) -> OwnedRwLockWriteGuard<()> {
        Arc::clone(&self.gate).write_owned().await
    }

    /// Deletes the temporary files a crash left behind (run once at start-up, in
    /// the background: a blob directory can hold a million files).
    pub fn remove_leftovers(&self) -> std::io::Result<usize> {
        if self.postgres.is_some() {
            return Ok(0);
        }
        let mut removed = 0;
        let Ok(shards) = fs::read_dir(&self.dir) else {
            return Ok(0);
        };
        for shard in shards.filter_map(Result::ok) {
            if !shard.path().is_dir() {
                continue;
            }
            for file in fs::read_dir(shard.path())?.filter_map(Result::ok) {
                let name = file.file_name().to_string_lossy().to_string();
                if name.starts_with('.') && name.ends_with(".tmp") {
                    fs::remove_file(file.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    fn path(&self, digest: &Sha256) -> PathBuf {
        let hex = digest.to_hex();
        self.dir.join(&hex[..2]).join(hex)
    }

    /// Where the bytes with `digest` go, and the temporary file they are first
    /// written to; `None` when they are stored already.
    fn destination(&self, digest: &Sha256) -> std::io::Result<Option<(PathBuf, PathBuf, PathBuf)>> {
        let path = self.path(digest);
        if path.is_file() {
            return Ok(None);
        }
        let parent = path
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| self.dir.clone());
        fs::create_dir_all(&parent)?;
        let n = NEXT_TEMPORARY.fetch_add(1, Ordering::Relaxed);
        let temporary = parent.join(format!(
            ".{}.{}.{n}.tmp",
            digest.to_hex(),
            std::process::id()
        ));
        Ok(Some((temporary, path, parent)))
    }

    /// Stores `bytes`; returns their digest.
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<Sha256> {
        let digest = Sha256::of(bytes);
        if let Some(mut client) = self.client()? {
            client
                .execute(
                    "INSERT INTO blobs (sha256, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&digest.to_hex(), &bytes],
                )
                .map_err(database_error)?;
            return Ok(digest);
        }
        let Some((temporary, path, parent)) = self.destination(&digest)? else {
            return Ok(digest);
        };
        {
            let mut file = fs::File::create_new(&temporary)?;
            file.write_all(bytes)?;
            file.sync_all()?;
        }
        fs::rename(&temporary, &path)?;
        if let Ok(directory) = fs::File::open(&parent) {
            let _ = directory.sync_all();
        }
        Ok(digest)
    }

    /// Stores many documents at once (an import): each is written to a
    /// temporary file, then one flush of the file system makes them all durable,
    /// then they are renamed and flushed again. Syncing each file on its own costs
    /// two disk flushes per document; this costs two in all. A crash midway
    /// leaves only temporary files, never a digest naming incomplete bytes.
    pub fn put_many<'a>(
        &self,
        documents: impl IntoIterator<Item = &'a [u8]>,
    ) -> std::io::Result<Vec<Sha256>> {
        if let Some(mut client) = self.client()? {
            // One transaction: all of them durable at its commit, or none.
            let mut transaction = client.transaction().map_err(database_error)?;
            let mut digests = Vec::new();
            for bytes in documents {
                let digest = Sha256::of(bytes);
                transaction
                    .execute(
                        "INSERT INTO blobs (sha256, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        &[&digest.to_hex(), &bytes],
                    )
                    .map_err(database_error)?;
                digests.push(digest);
            }
            transaction.commit().map_err(database_error)?;
            return Ok(digests);
        }
        let mut written = Vec::new();
        let mut digests = Vec::new();
        for bytes in documents {
            let digest = Sha256::of(bytes);
            digests.push(digest);
            let Some((temporary, path, _)) = self.destination(&digest)? else {
                continue;
            };
            fs::File::create_new(&temporary)?.write_all(bytes)?;
            written.push((temporary, path));
        }
        if written.is_empty() {
            return Ok(digests);
        }
        let directory = fs::File::open(&self.dir)?;
        rustix::fs::syncfs(&directory)?;
        for (temporary, path) in &written {
            fs::rename(temporary, path)?;
        }
        rustix::fs::syncfs(&directory)?;
        Ok(digests)
    }

    /// Whether the bytes with `digest` are stored.
    pub fn has(&self, digest: &Sha256) -> bool {
        match self.client() {
            Ok(Some(mut client)) => client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = $1)",
                    &[&digest.to_hex()],
                )
                .is_ok_and(|row| row.get::<_, bool>(0)),
            Ok(None) => self.path(digest).is_file(),
            Err(_) => false,
        }
    }

    /// The bytes with `digest`, if stored.
    pub fn get(&self, digest: &Sha256) -> std::io::Result<Option<Vec<u8>>> {
        if let Some(mut client) = self.client()? {
            return Ok(client
                .query_opt(
                    "SELECT bytes FROM blobs WHERE sha256 = $1",
                    &[&digest.to_hex()],
                )
                .map_err(database_error)?
                .map(|row| row.get(0)));
        }
        match fs::read(self.path(digest)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Deletes the bytes with `digest`, if stored (DOMAIN §7: a removed
    /// organisation's documents). The caller makes sure no document still has them.
    pub fn delete(&self, digest: &Sha256) -> std::io::Result<bool> {
        if let Some(mut client) = self.client()? {
            let n = client
                .execute("DELETE FROM blobs WHERE sha256 = $1", &[&digest.to_hex()])
                .map_err(database_error)?;
            return Ok(n > 0);
        }
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
