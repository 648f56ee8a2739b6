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
use std::sync::Mutex;
use std::time::Duration;

use preflight_core::World;

/// The snapshot files' extension; files of another format are not read.
const EXTENSION: &str = "msgpack";

/// By default, write a snapshot after this many events since the last one.
pub const SNAPSHOT_EVERY: u64 = 100_000;

fn name(version: u64) -> String {
    format!("snapshot-{version:020}.{EXTENSION}")
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
    let temporary = dir.join(format!(".{}.tmp", name(world.version())));
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

/// Writes a snapshot on a background thread.
pub fn write_in_background(dir: PathBuf, world: World) {
    let spawned = std::thread::Builder::new().name("preflight-snapshot".into()).spawn(move || {
        // Serialising a large world takes seconds of processor time: give way to
        // the threads that answer requests, so that a snapshot never shows in
        // their latency. (Without the permission to lower it, run as is.)
        if let Err(error) = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min) {
            tracing::debug!(?error, "the snapshot thread keeps its priority");
        }
        match write(&dir, &world) {
            Ok(path) => tracing::info!(version = world.version(), path = %path.display(), "snapshot written"),
            Err(error) => tracing::warn!(%error, "writing a snapshot failed; the event log is still complete"),
        }
    });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start the snapshot thread");
    }
}
