//! Snapshots of the world, so that start-up replays only the events after the
//! latest one.
//!
//! A snapshot is the world serialised as MessagePack (`rmp-serde`: compact,
//! and quicker to write and read than JSON for a million documents) to
//! `snapshot-<version>.msgpack` in the data directory. It is written by a background thread from a clone of the world
//! (cheap: the world's maps share their storage), to a temporary file that is
//! synced and then renamed, so a crash never leaves a half-written snapshot under
//! a real name. Older snapshots are removed once a newer one is in place. The
//! event log stays the source of truth: an unreadable snapshot is skipped.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use preflight_core::World;

/// The snapshot files' extension; files of another format are not read.
const EXTENSION: &str = "msgpack";

/// By default, write a snapshot after this many events since the last one.
pub const SNAPSHOT_EVERY: u64 = 100_000;

fn name(version: u64) -> String {
    format!("snapshot-{version:020}.{EXTENSION}")
}

/// The file a snapshot is written to before it is renamed to [`name`].
fn temporary_name(version: u64) -> String {
    format!(".{}.tmp", name(version))
}

/// Deletes the snapshots a crash left half written in `dir` (they may hold
/// documents removed since).
pub fn remove_unfinished(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let file = entry.file_name().to_string_lossy().to_string();
        if file.starts_with(".snapshot-") && file.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The latest snapshot in `dir`: its version and path.
pub fn latest(dir: &Path) -> Option<(u64, PathBuf)> {
    fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let file = entry.file_name().to_string_lossy().to_string();
            let version = file
                .strip_prefix("snapshot-")?
                .strip_suffix(EXTENSION)?
                .strip_suffix('.')?
                .parse()
                .ok()?;
            Some((version, entry.path()))
        })
        .max_by_key(|(version, _)| *version)
}

/// Reads a snapshot.
pub fn load(path: &Path) -> Result<World, String> {
    let file = fs::File::open(path).map_err(|e| e.to_string())?;
    rmp_serde::decode::from_read(BufReader::new(file)).map_err(|e| e.to_string())
}

/// How much of a snapshot is written between two flushes to the disk.
const PACE_BYTES: usize = 512 << 10;
/// The pause after each flush.
const PACE_PAUSE: Duration = Duration::from_millis(10);

/// A file written in paced steps: every [`PACE_BYTES`] it is flushed to the disk
/// and the thread pauses. A snapshot of a large world is hundreds of megabytes;
/// written in one go, the disk's queue fills and every command's commit waits
/// behind it. Flushed a little at a time, the commits slip in between.
struct Paced {
    file: fs::File,
    unsynced: usize,
}

impl Paced {
    fn new(file: fs::File) -> Paced {
        Paced { file, unsynced: 0 }
    }
}

impl Write for Paced {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.file.write(bytes)?;
        self.unsynced += written;
        if self.unsynced >= PACE_BYTES {
            self.file.sync_data()?;
            self.unsynced = 0;
            std::thread::sleep(PACE_PAUSE);
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Per data directory, the version below which no snapshot may be kept: set
/// when an organisation is removed, because older snapshots hold its documents.
static FLOOR: Mutex<BTreeMap<PathBuf, u64>> = Mutex::new(BTreeMap::new());

fn floor() -> std::sync::MutexGuard<'static, BTreeMap<PathBuf, u64>> {
    FLOOR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Deletes every snapshot in `dir` older than `version`, and makes sure that
/// none written from an older world lands later (DOMAIN §7: after a removal no
/// file may hold the removed documents). Start-up then replays the log.
pub fn purge_before(dir: &Path, version: u64) -> std::io::Result<usize> {
    let mut floors = floor();
    let entry = floors.entry(dir.to_path_buf()).or_default();
    *entry = (*entry).max(version);
    let mut removed = 0;
    for entry in fs::read_dir(dir)?.filter_map(Result::ok) {
        let file = entry.file_name().to_string_lossy().to_string();
        let Some(v) = file
            .trim_start_matches('.')
            .strip_prefix("snapshot-")
            .and_then(|rest| rest.split('.').next())
            .and_then(|v| v.parse::<u64>().ok())
        else {
            continue;
        };
        if v < version {
            fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    if let Ok(directory) = fs::File::open(dir) {
        let _ = directory.sync_all();
    }
    Ok(removed)
}

/// Writes a snapshot of `world` into `dir` and removes older ones.
pub fn write(dir: &Path, world: &World) -> Result<PathBuf, String> {
    let final_path = dir.join(name(world.version()));
    let temporary = dir.join(temporary_name(world.version()));
    {
        let file = fs::File::create(&temporary).map_err(|e| e.to_string())?;
        let mut writer = BufWriter::with_capacity(1 << 20, Paced::new(file));
        rmp_serde::encode::write(&mut writer, world).map_err(|e| e.to_string())?;
        writer.flush().map_err(|e| e.to_string())?;
        writer
            .get_ref()
            .file
            .sync_all()
            .map_err(|e| e.to_string())?;
    }
    {
        // A removal since this world was taken: the snapshot would bring back
        // what it deleted.
        let floors = floor();
        if floors.get(dir).is_some_and(|f| world.version() < *f) {
            let _ = fs::remove_file(&temporary);
            return Err("an organisation was removed since this world was taken".into());
        }
        fs::rename(&temporary, &final_path).map_err(|e| e.to_string())?;
    }
    if let Ok(directory) = fs::File::open(dir) {
        let _ = directory.sync_all();
    }
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let file = entry.file_name().to_string_lossy().to_string();
            if file.starts_with("snapshot-") && path != final_path {
                let _ = fs::remove_file(path);
            }
        }
    }
    Ok(final_path)
}

/// Writes snapshots in the background, every so many events, one at a time.
///
/// A snapshot of a large world takes seconds to write at the pace that keeps
/// commits quick; when the next one falls due before the last is on disk, it
/// waits for it instead of starting a second writer beside it (two or three
/// at once used to share the disk with every commit).
pub struct Snapshotter {
    dir: PathBuf,
    every: u64,
    /// The version of the world the last snapshot was taken of.
    last: u64,
    writing: Arc<AtomicBool>,
}

/// What [`Snapshotter::after_commit`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Started {
    /// A snapshot of this world is being written.
    Yes,
    /// Fewer than `every` events since the last one.
    NotDue,
    /// Due, but the previous snapshot is still being written: the next commit
    /// after it is done starts one.
    Busy,
}

impl Snapshotter {
    /// Snapshots into `dir` every `every` events after `version`.
    pub fn new(dir: PathBuf, every: u64, version: u64) -> Snapshotter {
        Snapshotter {
            dir,
            every,
            last: version,
            writing: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Called after every durable group of commands with the world as it now is.
    pub fn after_commit(&mut self, world: &World) -> Started {
        if world.version() < self.last.saturating_add(self.every) {
            return Started::NotDue;
        }
        if self.writing.swap(true, Ordering::AcqRel) {
            return Started::Busy;
        }
        self.last = world.version();
        let dir = self.dir.clone();
        let world = world.clone();
        let writing = Arc::clone(&self.writing);
        let spawned = std::thread::Builder::new().name("preflight-snapshot".into()).spawn(move || {
            // Serialising a large world takes processor time: give way to the
            // threads that answer requests. (Without the permission to lower
            // it, run as is.)
            if let Err(error) = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min) {
                tracing::debug!(?error, "the snapshot thread keeps its priority");
            }
            match write(&dir, &world) {
                Ok(path) => tracing::info!(version = world.version(), path = %path.display(), "snapshot written"),
                Err(error) => tracing::warn!(%error, "writing a snapshot failed; the event log is still complete"),
            }
            writing.store(false, Ordering::Release);
        });
        if let Err(error) = spawned {
            tracing::warn!(%error, "cannot start the snapshot thread");
            self.writing.store(false, Ordering::Release);
        }
        Started::Yes
    }

    /// Whether a snapshot is being written now.
    pub fn is_writing(&self) -> bool {
        self.writing.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use preflight_core::Sha256;

    #[test]
    fn a_snapshot_falls_due_every_so_many_events_and_never_starts_beside_another() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let events = preflight_core::generate::demo().events;
        let mut world = World::default();
        for event in &events[..10] {
            world.apply(event);
        }
        let mut snapshots = Snapshotter::new(dir.path().to_path_buf(), 5, world.version());
        for event in &events[10..14] {
            world.apply(event);
        }
        assert_eq!(snapshots.after_commit(&world), Started::NotDue);
        world.apply(&events[14]);
        // Another snapshot is still being written: this one waits for it.
        snapshots.writing.store(true, Ordering::Release);
        assert_eq!(snapshots.after_commit(&world), Started::Busy);
        snapshots.writing.store(false, Ordering::Release);
        assert_eq!(snapshots.after_commit(&world), Started::Yes);
        while snapshots.is_writing() {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            latest(dir.path()).map(|(version, _)| version),
            Some(world.version())
        );
        assert_eq!(snapshots.after_commit(&world), Started::NotDue);
    }

    #[test]
    fn a_snapshot_loads_back_as_the_world_it_was_written_from() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let world = preflight_core::generate::demo().world;
        assert!(
            world.stats().documents > 0,
            "the demo world has documents and digests"
        );
        let path = write(dir.path(), &world).expect("a snapshot");
        assert_eq!(load(&path).expect("it loads"), world);
    }

    #[test]
    fn digests_are_bytes_in_a_snapshot_and_hex_text_from_older_snapshots_still_loads() {
        let digest = Sha256::of(b"an invoice");
        let bytes = rmp_serde::to_vec(&digest).expect("encodes");
        assert_eq!(
            bytes.len(),
            2 + 32,
            "a msgpack bin 8 header and the 32 bytes"
        );
        assert_eq!(rmp_serde::from_slice::<Sha256>(&bytes).ok(), Some(digest));
        let older = rmp_serde::to_vec(&digest.to_hex()).expect("encodes");
        assert_eq!(rmp_serde::from_slice::<Sha256>(&older).ok(), Some(digest));
        let short = rmp_serde::to_vec(&Bin(&[1, 2, 3])).expect("encodes");
        assert!(rmp_serde::from_slice::<Sha256>(&short).is_err());
    }

    /// Bytes as a msgpack bin, the way a truncated digest would look.
    struct Bin<'a>(&'a [u8]);

    impl serde::Serialize for Bin<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
}
