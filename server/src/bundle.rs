//! Export bundles on disk and on the wire (DOMAIN §7, option 2): the platform's
//! signing key, the deterministic tar archive an export streams, and the reading
//! and verification of an uploaded one.
//!
//! What a bundle holds and how its manifest is checked is the core's
//! (`preflight_core::model::bundle`); this module adds what needs I/O: the Ed25519 key
//! kept in the data directory, the archive's bytes, and the documents' bytes.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _};
use preflight_core::model::bundle::{
    BundleCheck, BundleError, Manifest, MANIFEST_FILE, SIGNATURE_FILE,
};
use preflight_core::Sha256;
use sha2::Digest as _;

use crate::blobs::Blobs;

/// The key file's name in the data directory.
const KEY_FILE: &str = "bundle-signing.key";
/// A manifest larger than this is refused before it is read.
const MAX_MANIFEST_BYTES: u64 = 256 << 20;
const BLOCK: u64 = 512;

/// The platform's bundle-signing key.
pub struct Signer {
    key: SigningKey,
}

impl Signer {
    /// The key in `dir`, made (from the operating system's randomness) and kept
    /// readable only by its owner on first use.
    /// The platform's key kept in PostgreSQL (`platform_keys`), made on first
    /// use: servers starting together agree on the first one written.
    pub fn load_or_create_in(pool: &crate::postgres::Pool) -> io::Result<Signer> {
        let failed = |e: &dyn std::fmt::Display| {
            io::Error::other(format!("the signing key in PostgreSQL: {e}"))
        };
        let mut client = pool.get().map_err(|e| failed(&e))?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| io::Error::other(e.to_string()))?;
        client
            .execute(
                "INSERT INTO platform_keys (name, secret) VALUES ('bundle-signing', $1) ON CONFLICT DO NOTHING",
                &[&seed.as_slice()],
            )
            .map_err(|e| failed(&e))?;
        let stored: Vec<u8> = client
            .query_one(
                "SELECT secret FROM platform_keys WHERE name = 'bundle-signing'",
                &[],
            )
            .map_err(|e| failed(&e))?
            .get(0);
        let seed: [u8; 32] = stored
            .as_slice()
            .try_into()
            .map_err(|_| failed(&"the stored key is not 32 bytes"))?;
        Ok(Signer {
            key: SigningKey::from_bytes(&seed),
        })
    }

    pub fn load_or_create(dir: &Path) -> io::Result<Signer> {
        let path = dir.join(KEY_FILE);
        match fs::read(&path) {
            Ok(bytes) => {
                let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{} is not a 32-byte Ed25519 key", path.display()),
                    )
                })?;
                Ok(Signer {
                    key: SigningKey::from_bytes(&seed),
                })
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed).map_err(|e| io::Error::other(e.to_string()))?;
                fs::create_dir_all(dir)?;
                let temporary = dir.join(format!(".{KEY_FILE}.tmp"));
                // A stale one from a crash may have other permissions.
                match fs::remove_file(&temporary) {
                    Ok(()) => {}
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                    Err(error) => return Err(error),
                }
                {
                    let mut options = fs::OpenOptions::new();
                    options.write(true).create_new(true);
                    #[cfg(unix)]
                    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                    let mut file = options.open(&temporary)?;
                    file.write_all(&seed)?;
                    file.sync_all()?;
                }
                fs::rename(&temporary, &path)?;
                // Losing the key would make every bundle exported so far
                // unimportable: its name is made durable too.
                fs::File::open(dir)?.sync_all()?;
                Ok(Signer {
                    key: SigningKey::from_bytes(&seed),
                })
            }
            Err(error) => Err(error),
        }
    }

    /// The signature of `bytes`.
    pub fn sign(&self, bytes: &[u8]) -> [u8; 64] {
        self.key.sign(bytes).to_bytes()
    }

    /// Whether `signature` is this platform's signature of `bytes`.
    pub fn verify(&self, bytes: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        self.key.verifying_key().verify(bytes, &signature).is_ok()
    }
}

/// Where an entry's bytes come from.
#[derive(Clone, Debug)]
pub enum Source {
    Inline(Vec<u8>),
    Blob(Sha256),
}

/// One entry of the archive.
#[derive(Clone, Debug)]
pub struct Entry {
    pub name: String,
    pub size: u64,
    pub source: Source,
}

impl Entry {
    /// The header's bytes: a ustar header with fixed owner, mode and time, so the
    /// same manifest always gives the same archive.
    pub fn header(&self) -> [u8; 512] {
        let mut header = tar::Header::new_ustar();
        // Names are `manifest.json`, `manifest.sig` or `documents/<64 hex>`: short
        // and plain, so setting them cannot fail.
        let _ = header.set_path(&self.name);
        header.set_size(self.size);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        *header.as_bytes()
    }

    /// Zero bytes after the content, to the next block.
    pub fn padding(&self) -> usize {
        ((BLOCK - self.size % BLOCK) % BLOCK) as usize
    }

    /// The entry's length in the archive.
    pub fn archived_len(&self) -> u64 {
        BLOCK + self.size + self.padding() as u64
    }
}

/// The entries of the bundle of `manifest`, in order, and the archive's length.
pub fn entries(manifest: &Manifest, signer: &Signer) -> (Vec<Entry>, u64) {
    let bytes = manifest.to_bytes();
    let signature = signer.sign(&bytes).to_vec();
    let mut entries = vec![
        Entry {
            name: MANIFEST_FILE.into(),
            size: bytes.len() as u64,
            source: Source::Inline(bytes),
        },
        Entry {
            name: SIGNATURE_FILE.into(),
            size: signature.len() as u64,
            source: Source::Inline(signature),
        },
    ];
    for (name, (digest, size)) in manifest.files() {
        entries.push(Entry {
            name,
            size,
            source: Source::Blob(digest),
        });
    }
    let len = entries.iter().map(Entry::archived_len).sum::<u64>() + 2 * BLOCK;
    (entries, len)
}

/// An entry's bytes: header, content and padding.
pub fn entry_bytes(entry: &Entry, blobs: &Blobs) -> io::Result<Vec<u8>> {
    let content = match &entry.source {
        Source::Inline(bytes) => bytes.clone(),
        Source::Blob(digest) => blobs.get(digest)?.ok_or_else(|| {
            io::Error::other(format!(
                "the bytes of document content {digest} are missing"
            ))
        })?,
    };
    if content.len() as u64 != entry.size {
        return Err(io::Error::other(format!(
            "{} has {} bytes, the manifest says {}",
            entry.name,
            content.len(),
            entry.size
        )));
    }
    let mut out = Vec::with_capacity(entry.archived_len() as usize);
    out.extend_from_slice(&entry.header());
    out.extend_from_slice(&content);
    out.resize(out.len() + entry.padding(), 0);
    Ok(out)
}

/// The end of an archive: two zero blocks.
pub fn trailer() -> Vec<u8> {
    vec![0; 2 * BLOCK as usize]
}

/// The whole bundle of `manifest` in memory (tests and benchmarks; the server
/// streams it entry by entry).
pub fn write_all(manifest: &Manifest, signer: &Signer, blobs: &Blobs) -> io::Result<Vec<u8>> {
    let (entries, len) = entries(manifest, signer);
    let mut out = Vec::with_capacity(len as usize);
    for entry in &entries {
        out.extend(entry_bytes(entry, blobs)?);
    }
    out.extend(trailer());
    Ok(out)
}

/// Why reading a bundle failed: the bundle's fault, or the server's.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error("cannot store a document of the bundle: {0}")]
    Io(#[from] io::Error),
}

/// Reading an archive failed: a short file is a truncated bundle, anything
/// else is not a bundle. (The `tar` crate says a file that ends inside a
/// 512-byte block only in words.)
fn unreadable(error: io::Error) -> BundleError {
    if error.kind() == io::ErrorKind::UnexpectedEof
        || error.to_string().contains("failed to read entire block")
    {
        BundleError::Incomplete("the bundle ends early: it is truncated".into())
    } else {
        BundleError::Malformed(format!("not a readable tar archive: {error}"))
    }
}

fn read_small(entry: &mut impl Read, limit: u64) -> Result<Vec<u8>, BundleError> {
    let mut bytes = Vec::new();
    entry
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(BundleError::Malformed("the manifest is too large".into()));
    }
    Ok(bytes)
}

/// Reads the archive at `path` and checks it whole: the manifest first, signed
/// by `signer`, its own digest right, then every file it names, each with the
/// SHA-256 it gives, and nothing else. Stores nothing.
pub fn verify(path: &Path, signer: &Signer) -> Result<Manifest, BundleError> {
    let file = fs::File::open(path).map_err(unreadable)?;
    let mut archive = tar::Archive::new(io::BufReader::with_capacity(1 << 20, file));
    let mut entries = archive.entries().map_err(unreadable)?;
    let mut next = |what: &str| -> Result<tar::Entry<'_, io::BufReader<fs::File>>, BundleError> {
        match entries.next() {
            Some(entry) => entry.map_err(unreadable),
            None => Err(BundleError::Malformed(format!(
                "the bundle has no {what}: it is not an export of this platform"
            ))),
        }
    };
    let mut manifest_entry = next("manifest")?;
    if entry_name(&manifest_entry)? != MANIFEST_FILE {
        return Err(BundleError::Malformed(format!(
            "the bundle does not start with {MANIFEST_FILE}"
        )));
    }
    let manifest_bytes = read_small(&mut manifest_entry, MAX_MANIFEST_BYTES)?;
    drop(manifest_entry);
    let mut signature_entry = next("signature")?;
    if entry_name(&signature_entry)? != SIGNATURE_FILE {
        return Err(BundleError::Unsigned(format!(
            "the bundle has no {SIGNATURE_FILE} after its manifest"
        )));
    }
    let signature = read_small(&mut signature_entry, 64)?;
    drop(signature_entry);
    if !signer.verify(&manifest_bytes, &signature) {
        return Err(BundleError::Unsigned(
            "the manifest's signature is not this platform's: the bundle was edited, or exported elsewhere".into(),
        ));
    }
    let manifest = Manifest::parse(&manifest_bytes)?;
    let mut check = BundleCheck::new(manifest);
    for entry in entries {
        let mut entry = entry.map_err(unreadable)?;
        let name = entry_name(&entry)?;
        if !check.expects(&name) {
            return Err(BundleError::Tampered(format!(
                "the bundle holds `{name}`, which its manifest does not name"
            )));
        }
        let declared = entry.size();
        let mut hasher = sha2::Sha256::new();
        let size = io::copy(&mut entry, &mut HashWriter(&mut hasher)).map_err(unreadable)?;
        if size < declared {
            return Err(BundleError::Incomplete(format!(
                "the bundle ends inside `{name}`: it is truncated"
            )));
        }
        check.file(&name, Sha256(hasher.finalize().into()), size)?;
    }
    check.finish()
}

/// Stores the documents of a verified bundle's archive into `blobs`; each is
/// digested again as it is stored.
pub fn store_documents(path: &Path, manifest: &Manifest, blobs: &Blobs) -> Result<(), ReadError> {
    // Stored in batches, each made durable at once (see `Blobs::put_many`).
    const BATCH_BYTES: usize = 64 << 20;
    let files = manifest.files();
    let file = fs::File::open(path)?;
    let mut archive = tar::Archive::new(io::BufReader::with_capacity(1 << 20, file));
    let mut batch: Vec<(String, Sha256, Vec<u8>)> = Vec::new();
    let mut batch_bytes = 0;
    let flush = |batch: &mut Vec<(String, Sha256, Vec<u8>)>| -> Result<(), ReadError> {
        let stored = blobs.put_many(batch.iter().map(|(_, _, bytes)| bytes.as_slice()))?;
        for ((name, digest, _), stored) in batch.iter().zip(stored) {
            if stored != *digest {
                return Err(
                    BundleError::Tampered(format!("`{name}` changed while it was read")).into(),
                );
            }
        }
        batch.clear();
        Ok(())
    };
    for entry in archive.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        let name = entry_name(&entry)?;
        let Some((digest, _)) = files.get(&name) else {
            continue;
        };
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut bytes).map_err(unreadable)?;
        batch_bytes += bytes.len();
        batch.push((name, *digest, bytes));
        if batch_bytes >= BATCH_BYTES {
            flush(&mut batch)?;
            batch_bytes = 0;
        }
    }
    flush(&mut batch)
}

fn entry_name<R: Read>(entry: &tar::Entry<'_, R>) -> Result<String, BundleError> {
    let path = entry
        .path()
        .map_err(|e| BundleError::Malformed(format!("an entry's name is unreadable: {e}")))?;
    Ok(path.to_string_lossy().into_owned())
}

struct HashWriter<'a>(&'a mut sha2::Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A temporary file for an upload, removed when dropped.
pub struct Upload {
    pub path: PathBuf,
}

impl Upload {
    pub fn new(dir: &Path) -> io::Result<(Upload, fs::File)> {
        fs::create_dir_all(dir)?;
        let mut name = [0u8; 16];
        getrandom::fill(&mut name).map_err(|e| io::Error::other(e.to_string()))?;
        let path = dir.join(format!("upload-{}.tar", hex::encode(name)));
        let file = fs::File::create(&path)?;
        Ok((Upload { path }, file))
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
