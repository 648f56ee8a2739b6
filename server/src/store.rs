//! The event log: the only durable state. The world is rebuilt from it at start.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use preflight_core::split::forget::{forget_command, forget_event, FORGOTTEN};
use preflight_core::{Actor, Command, EnvironmentId, Event, OrganisationId, Sha256, Timestamp};
use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};
use serde::Serialize;

/// Where events are kept. Implementations are blocking; async callers go through
/// `tokio::task::spawn_blocking`.
pub trait Store: Send + Sync + 'static {
    /// Appends events in order, atomically, and returns the version of the last one
    /// (the version of the log after the append).
    /// `content_of` names, for each event, the organisation whose document
    /// content it carries (see [`Store::forget_organisation`]).
    fn append(
        &self,
        events: &[Event],
        content_of: &[Option<OrganisationId>],
        recorded_at_ms: i64,
    ) -> Result<u64, StoreError>;

    /// Every event, oldest first.
    fn load_all(&self) -> Result<Vec<Event>, StoreError> {
        self.load_after(0)
    }

    /// The events after `version`, oldest first.
    fn load_after(&self, version: u64) -> Result<Vec<Event>, StoreError>;

    /// Records a group of decided commands in one transaction: the events of the
    /// accepted ones and an audit entry for each, accepted or refused. Returns the
    /// log's version after them. Nothing is written if anything fails.
    fn record(&self, batch: &[Recorded]) -> Result<u64, StoreError>;

    /// Upkeep between two groups of commands, on the writer's thread, after the
    /// previous group was answered (the SQLite store starts its write-ahead log
    /// over here when it has grown long).
    fn between_groups(&self) {}

    /// Upkeep before the first group, when nothing else writes: the SQLite
    /// store copies its whole write-ahead log into the database and empties it
    /// (after seeding a large world it holds the whole world).
    fn settle(&self) {}

    /// A page of the audit log of `environment`, newest first, before entry `before`.
    fn audit(
        &self,
        environment: EnvironmentId,
        before: Option<i64>,
        limit: u32,
        outcome: Option<&str>,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    /// Rewrites every record that carries `organisation`'s document content into
    /// its forgotten form (`preflight_core::split::forget`), so that nothing the store
    /// keeps can give that content back (DOMAIN §7). The only rewrite of the log.
    fn forget_organisation(&self, organisation: OrganisationId) -> Result<Forgotten, StoreError>;

    /// The contents (SHA-256) of `organisation`'s documents that the log still
    /// names: empty once the organisation is forgotten.
    fn content_digests(&self, organisation: OrganisationId) -> Result<Vec<Sha256>, StoreError>;
}

/// What [`Store::forget_organisation`] rewrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub events: usize,
    pub commands: usize,
}

/// A decided command, as the writer hands it to the store.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub at: Timestamp,
    pub actor: Actor,
    pub command: Command,
    /// The organisation whose document content the command carries, if any.
    pub content_of: Option<OrganisationId>,
    pub outcome: RecordedOutcome,
    /// The environments whose Administrators may read this entry.
    pub environments: Vec<EnvironmentId>,
}

/// Accepted with its events, or refused with the error.
#[derive(Clone, Debug)]
pub enum RecordedOutcome {
    Accepted {
        events: Vec<Event>,
        /// For each event, the organisation whose document content it carries.
        content_of: Vec<Option<OrganisationId>>,
        version: u64,
    },
    Refused {
        code: String,
        message: String,
    },
}

/// One entry of the audit log (DOMAIN §8).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    pub actor: Actor,
    pub command: Command,
    /// `accepted` or `refused`.
    pub outcome: String,
    pub code: Option<String>,
    pub message: Option<String>,
    /// The world's version after the command, if accepted.
    pub version: Option<u64>,
    /// The name of the user who acted: an environment's own log keeps the
    /// names of those who acted in it, also after a partnership with their
    /// environment ended (DOMAIN §1). Filled in when the log is read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgresql: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("event {version} is not valid JSON for this build: {source}")]
    Decode {
        version: i64,
        source: serde_json::Error,
    },
    #[error("cannot encode an event: {0}")]
    Encode(serde_json::Error),
    #[error("cannot create the data directory `{path}`: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("the connection lock was poisoned by a panic")]
    Poisoned,
    #[error("{0}")]
    Failed(String),
}

impl StoreError {
    /// Whether another connection held the database for longer than the busy
    /// timeout: the write did nothing and may be tried again.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(error, _))
                if matches!(
                    error.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                )
        )
    }
}

/// An event log in one SQLite file: WAL mode, `synchronous=FULL`, one row per event.
///
/// Every write transaction begins IMMEDIATE, taking the write lock at once: a
/// transaction that began as a read could not become a write after another
/// connection (the credentials', `crate::accounts`) wrote, and SQLite would
/// refuse it at once instead of waiting its busy timeout.
///
/// The write-ahead log is copied back into the database by a background thread
/// on its own connection (a passive checkpoint every [`CHECKPOINT_EVERY`]), not
/// by SQLite's automatic checkpoint, which runs inside the committing write and
/// would show in the latency of the commands of that group.
pub struct SqliteStore {
    connection: Mutex<Connection>,
    /// Stops the checkpointer when the store goes.
    checkpointer: Option<Arc<AtomicBool>>,
    /// Set by the checkpointer when the log is long and it has just copied all
    /// of it but the last few groups: the writer finishes the copy between two
    /// groups, and the next group starts the log over.
    restart_due: Arc<AtomicBool>,
}

/// How often the background thread checkpoints the write-ahead log.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// The length of the write-ahead log, in pages, past which the checkpointer
/// makes SQLite start it over (65,536 pages of 4 KiB: 256 MiB).
const RESTART_AFTER_FRAMES: i64 = 65_536;

/// What the write-ahead log file is cut back to when SQLite starts it over.
const WAL_SIZE_LIMIT: i64 = 256 << 20;

impl Drop for SqliteStore {
    fn drop(&mut self) {
        if let Some(running) = &self.checkpointer {
            running.store(false, Ordering::Relaxed);
        }
    }
}

/// Checkpoints `path`'s write-ahead log from a thread of its own until `running`
/// turns false. A passive checkpoint never waits for the writer. When the log
/// is long and a pass copied all of it, `restart_due` asks the writer to finish
/// the copy between two groups (see [`Store::between_groups`]).
fn start_checkpointer(path: &Path, restart_due: Arc<AtomicBool>) -> Option<Arc<AtomicBool>> {
    let connection = match Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(connection) => connection,
        Err(error) => {
            tracing::warn!(%error, "no background checkpointer; SQLite checkpoints as it writes");
            return None;
        }
    };
    let running = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&running);
    let spawned = std::thread::Builder::new()
        .name("preflight-checkpoint".into())
        .spawn(move || {
            while flag.load(Ordering::Relaxed) {
                std::thread::sleep(CHECKPOINT_EVERY);
                match passive_checkpoint(&connection) {
                    Ok((frames, copied)) => {
                        if frames >= RESTART_AFTER_FRAMES && copied == frames {
                            restart_due.store(true, Ordering::Release);
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "a background checkpoint failed; the next one retries");
                    }
                }
            }
        });
    match spawned {
        Ok(_) => Some(running),
        Err(error) => {
            tracing::warn!(%error, "cannot start the checkpoint thread");
            None
        }
    }
}

/// Copies the whole write-ahead log into the database and empties the file.
/// A reader (the background checkpointer) can hold it for a moment: then
/// SQLite answers busy at once, and this tries again for up to five seconds.
/// Whether it was emptied.
fn empty_log(connection: &Connection) -> rusqlite::Result<bool> {
    for _ in 0..250 {
        let busy = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
            row.get::<_, i64>(0)
        })?;
        if busy == 0 {
            return Ok(true);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(false)
}

/// Copies what it can of the write-ahead log into the database without waiting
/// for the writer: the frames the log holds, and how many of them are copied.
fn passive_checkpoint(connection: &Connection) -> rusqlite::Result<(i64, i64)> {
    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
    })
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS events (
        version INTEGER PRIMARY KEY,
        recorded_at_ms INTEGER NOT NULL,
        payload TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS commands (
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        command TEXT NOT NULL,
        outcome TEXT NOT NULL,
        code TEXT,
        message TEXT,
        version INTEGER
    );
    CREATE TABLE IF NOT EXISTS command_environments (
        command_id INTEGER NOT NULL,
        environment TEXT NOT NULL,
        PRIMARY KEY (environment, command_id)
    );
";

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`; `:memory:` is allowed.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::DataDir {
                path: parent.display().to_string(),
                source,
            })?;
        }
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // `journal_mode` answers with the mode now in force, so it is queried, not executed.
        let _mode: String =
            connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        // What is deleted or rewritten is overwritten on disk, not just unlinked.
        connection.pragma_update(None, "secure_delete", "ON")?;
        connection.execute_batch(SCHEMA)?;
        migrate(&connection)?;
        // An in-memory database has no file another connection could open.
        let in_memory = path.as_os_str() == ":memory:";
        let restart_due = Arc::new(AtomicBool::new(false));
        let checkpointer = if in_memory {
            None
        } else {
            start_checkpointer(path, Arc::clone(&restart_due))
        };
        if checkpointer.is_some() {
            connection.pragma_update(None, "wal_autocheckpoint", 0)?;
        }
        connection.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        Ok(SqliteStore {
            connection: Mutex::new(connection),
            checkpointer,
            restart_due,
        })
    }

    fn connection(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.connection.lock().map_err(|_| StoreError::Poisoned)
    }
}

const INSERT_EVENT: &str =
    "INSERT INTO events (version, recorded_at_ms, payload, content_of) VALUES (?1, ?2, ?3, ?4)";

/// Adds the `content_of` columns to a log written before they existed (its old
/// rows name no organisation, so removal cannot find them: such a log predates
/// removal).
fn migrate(connection: &Connection) -> Result<(), StoreError> {
    for table in ["events", "commands"] {
        let has_column = connection
            .prepare(&format!(
                "SELECT 1 FROM pragma_table_info('{table}') WHERE name = 'content_of'"
            ))?
            .exists([])?;
        if !has_column {
            connection
                .execute_batch(&format!("ALTER TABLE {table} ADD COLUMN content_of TEXT;"))?;
        }
        connection.execute_batch(&format!(
            "CREATE INDEX IF NOT EXISTS {table}_content_of ON {table} (content_of) WHERE content_of IS NOT NULL;"
        ))?;
    }
    Ok(())
}

/// How both stores write the organisation a row's content belongs to.
pub(crate) fn organisation_text(organisation: Option<&OrganisationId>) -> Option<String> {
    organisation.map(|o| o.0.to_string())
}

/// A stored JSON row (an event, an actor, a command) read back; `id` names
/// the row in the error.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(id: i64, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Decode {
        version: id,
        source,
    })
}

/// An event row's payload as the log keeps it once its organisation is
/// forgotten (`preflight_core::split::forget`).
pub(crate) fn forgotten_event(version: i64, payload: &str) -> Result<String, StoreError> {
    let event: Event = decode(version, payload)?;
    serde_json::to_string(&forget_event(&event)).map_err(StoreError::Encode)
}

/// An audit row's command and message once its organisation is forgotten (a
/// refusal's message may quote the document).
pub(crate) fn forgotten_command(
    id: i64,
    command: &str,
    message: Option<&str>,
) -> Result<(String, Option<String>), StoreError> {
    let command: Command = decode(id, command)?;
    let command = serde_json::to_string(&forget_command(&command)).map_err(StoreError::Encode)?;
    Ok((command, message.map(|_| FORGOTTEN.to_string())))
}

/// The contents (SHA-256) the event rows `(version, payload)` name, sorted,
/// once each.
pub(crate) fn digests_named<'a>(
    rows: impl IntoIterator<Item = (i64, &'a str)>,
) -> Result<Vec<Sha256>, StoreError> {
    let mut out = Vec::new();
    for (version, payload) in rows {
        if let Event::DocumentAdded { document } = decode(version, payload)? {
            if document.sha256 != Sha256::default() {
                out.push(document.sha256);
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The version of the last stored event (0 when there is none).
fn last_version(connection: &Connection) -> Result<i64, StoreError> {
    Ok(
        connection.query_row("SELECT COALESCE(MAX(version), 0) FROM events", [], |row| {
            row.get(0)
        })?,
    )
}

impl Store for SqliteStore {
    fn append(
        &self,
        events: &[Event],
        content_of: &[Option<OrganisationId>],
        recorded_at_ms: i64,
    ) -> Result<u64, StoreError> {
        let payloads = events
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::Encode)?;
        let mut connection = self.connection()?;
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut version = last_version(&transaction)?;
        {
            let mut insert = transaction.prepare_cached(INSERT_EVENT)?;
            for (index, payload) in payloads.iter().enumerate() {
                version += 1;
                let owner = organisation_text(content_of.get(index).and_then(Option::as_ref));
                insert.execute(params![version, recorded_at_ms, payload, owner])?;
            }
        }
        transaction.commit()?;
        // INVARIANT: versions start at 1 and only grow, so the value is never negative.
        Ok(u64::try_from(version).unwrap_or_default())
    }

    fn load_after(&self, after: u64) -> Result<Vec<Event>, StoreError> {
        let connection = self.connection()?;
        let mut select = connection
            .prepare("SELECT version, payload FROM events WHERE version > ?1 ORDER BY version")?;
        let rows = select.query_map(params![i64::try_from(after).unwrap_or(i64::MAX)], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut events = Vec::new();
        for row in rows {
            let (version, payload) = row?;
            events.push(decode(version, &payload)?);
        }
        Ok(events)
    }

    /// Under a steady stream of commits the background checkpointer never
    /// catches up with the last frame, so SQLite never starts the log over and
    /// it grows without end (gigabytes after a minute of load, every commit
    /// slower with it). When it is long and the checkpointer has just copied
    /// nearly all of it, the writer copies the rest here, between two groups,
    /// where no other write can add to it: the next group then writes from the
    /// log's start. What is left is a few groups' worth of pages.
    fn between_groups(&self) {
        if !self.restart_due.swap(false, Ordering::AcqRel) {
            return;
        }
        let Ok(connection) = self.connection() else {
            return;
        };
        if let Err(error) = passive_checkpoint(&connection) {
            tracing::debug!(%error, "the writer's checkpoint gave way to the background one");
        }
    }

    fn settle(&self) {
        let Ok(connection) = self.connection() else {
            return;
        };
        match empty_log(&connection) {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                "the write-ahead log stays long until the next checkpoint: another reader held it"
            ),
            Err(error) => {
                tracing::warn!(%error, "the write-ahead log stays as it is until the next checkpoint");
            }
        }
    }

    fn record(&self, batch: &[Recorded]) -> Result<u64, StoreError> {
        let mut connection = self.connection()?;
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut version = last_version(&transaction)?;
        {
            let mut insert_event = transaction.prepare_cached(INSERT_EVENT)?;
            let mut insert_command = transaction.prepare_cached(
                "INSERT INTO commands (at_ms, actor, command, outcome, code, message, version, content_of)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let mut insert_environment = transaction.prepare_cached(
                "INSERT OR IGNORE INTO command_environments (command_id, environment) VALUES (?1, ?2)",
            )?;
            for recorded in batch {
                let actor = serde_json::to_string(&recorded.actor).map_err(StoreError::Encode)?;
                let command =
                    serde_json::to_string(&recorded.command).map_err(StoreError::Encode)?;
                let (outcome, code, message, after) = match &recorded.outcome {
                    RecordedOutcome::Accepted {
                        events, content_of, ..
                    } => {
                        for (index, event) in events.iter().enumerate() {
                            version += 1;
                            let payload =
                                serde_json::to_string(event).map_err(StoreError::Encode)?;
                            let owner =
                                organisation_text(content_of.get(index).and_then(Option::as_ref));
                            insert_event.execute(params![
                                version,
                                recorded.at.0,
                                payload,
                                owner
                            ])?;
                        }
                        ("accepted", None, None, Some(version))
                    }
                    RecordedOutcome::Refused { code, message } => {
                        ("refused", Some(code.as_str()), Some(message.as_str()), None)
                    }
                };
                insert_command.execute(params![
                    recorded.at.0,
                    actor,
                    command,
                    outcome,
                    code,
                    message,
                    after,
                    organisation_text(recorded.content_of.as_ref())
                ])?;
                let id = transaction.last_insert_rowid();
                for environment in &recorded.environments {
                    insert_environment.execute(params![id, environment.0.to_string()])?;
                }
            }
        }
        transaction.commit()?;
        Ok(u64::try_from(version).unwrap_or_default())
    }

    fn content_digests(&self, organisation: OrganisationId) -> Result<Vec<Sha256>, StoreError> {
        let connection = self.connection()?;
        let mut events =
            connection.prepare("SELECT version, payload FROM events WHERE content_of = ?1")?;
        let rows = events
            .query_map(params![organisation.0.to_string()], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        digests_named(
            rows.iter()
                .map(|(version, payload)| (*version, payload.as_str())),
        )
    }

    fn forget_organisation(&self, organisation: OrganisationId) -> Result<Forgotten, StoreError> {
        let owner = organisation.0.to_string();
        let mut forgotten = Forgotten::default();
        let mut connection = self.connection()?;
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut events =
                transaction.prepare("SELECT version, payload FROM events WHERE content_of = ?1")?;
            let rows = events
                .query_map(params![owner], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut update =
                transaction.prepare("UPDATE events SET payload = ?2 WHERE version = ?1")?;
            for (version, payload) in rows {
                update.execute(params![version, forgotten_event(version, &payload)?])?;
                forgotten.events += 1;
            }
            let mut commands = transaction
                .prepare("SELECT id, command, message FROM commands WHERE content_of = ?1")?;
            let rows = commands
                .query_map(params![owner], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, Option<String>>(2)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut update = transaction
                .prepare("UPDATE commands SET command = ?2, message = ?3 WHERE id = ?1")?;
            for (id, command, message) in rows {
                let (command, message) = forgotten_command(id, &command, message.as_deref())?;
                update.execute(params![id, command, message])?;
                forgotten.commands += 1;
            }
        }
        transaction.commit()?;
        // The write-ahead log still holds the pages as they were: copy them back
        // and empty it, so the old content survives in no file.
        if empty_log(&connection)? {
            return Ok(forgotten);
        }
        Err(StoreError::Failed(
            "the write-ahead log could not be emptied after forgetting: the rows are rewritten, but old pages remain until the next full checkpoint".into(),
        ))
    }

    fn audit(
        &self,
        environment: EnvironmentId,
        before: Option<i64>,
        limit: u32,
        outcome: Option<&str>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let connection = self.connection()?;
        let mut select = connection.prepare_cached(
            "SELECT c.id, c.at_ms, c.actor, c.command, c.outcome, c.code, c.message, c.version
             FROM command_environments e JOIN commands c ON c.id = e.command_id
             WHERE e.environment = ?1 AND c.id < ?2 AND (?3 IS NULL OR c.outcome = ?3)
             ORDER BY c.id DESC LIMIT ?4",
        )?;
        let rows = select.query_map(
            params![
                environment.0.to_string(),
                before.unwrap_or(i64::MAX),
                outcome,
                limit
            ],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, Option<String>>(6)?,
                    row.get::<_, Option<i64>>(7)?,
                ))
            },
        )?;
        let mut entries = Vec::new();
        for row in rows {
            let (id, at, actor, command, outcome, code, message, version) = row?;
            let actor = decode(id, &actor)?;
            let command = decode(id, &command)?;
            entries.push(AuditEntry {
                id,
                at: Timestamp(at),
                actor,
                command,
                outcome,
                code,
                message,
                version: version.and_then(|v| u64::try_from(v).ok()),
                actor_name: None,
            });
        }
        Ok(entries)
    }
}
