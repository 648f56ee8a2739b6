//! The event log and the audit log in PostgreSQL (≥ 15), for deployments of
//! several replicas on one database: the same [`Store`] as SQLite's, the same
//! rows, the schema applied at start by refinery's versioned migrations
//! (`server/migrations/postgres/`).
//!
//! Log positions are gap-free and in commit order: a write takes the next
//! versions under `LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE`, which lets
//! readers read and makes a second writer wait until the first commits, so no
//! reader can see version n + 1 before version n.

use std::str::FromStr;
use std::time::Duration;

use postgres::{NoTls, Transaction};
use preflight_core::{EnvironmentId, Event, OrganisationId, Sha256, Timestamp};
use r2d2_postgres::PostgresConnectionManager;

use crate::store::{
    decode, digests_named, forgotten_command, forgotten_event, organisation_text, AuditEntry,
    Forgotten, Recorded, RecordedOutcome, Store, StoreError,
};

refinery::embed_migrations!("migrations/postgres");

/// The oldest PostgreSQL the store runs on.
const OLDEST: i32 = 150_000;

/// The advisory lock that makes migrations one at a time.
const MIGRATION_LOCK: i64 = 0x7072_6566_6c69_6768; // "preflig"

/// How many connections a replica keeps: its writer, and readers of the audit
/// log.
const POOL_SIZE: u32 = 4;

/// A replica's connections to the database.
pub type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// One of them, taken from the pool.
pub type Connection = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

pub struct PostgresStore {
    pool: Pool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`),
    /// refuses a PostgreSQL older than 15, and applies the migrations not
    /// yet applied. Every way this can fail is one line in the error.
    pub fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        Ok(PostgresStore::on(pool(url)?))
    }

    /// The store on connections already opened (and migrated) by [`pool`].
    pub fn on(pool: Pool) -> PostgresStore {
        PostgresStore { pool }
    }

    fn client(&self) -> Result<Connection, StoreError> {
        self.pool
            .get()
            .map_err(|error| StoreError::Failed(format!("no PostgreSQL connection: {error}")))
    }
}

/// The connections to `url`, once the database is checked (PostgreSQL 15 or
/// newer) and migrated (one replica at a time). Every way this can fail is
/// one line in the error.
pub fn pool(url: &str) -> Result<Pool, StoreError> {
    let config = postgres::Config::from_str(url)
        .map_err(|error| StoreError::Failed(format!("the PostgreSQL URL is not one: {error}")))?;
    let mut client = config.connect(NoTls).map_err(|error| {
        StoreError::Failed(format!(
            "cannot connect to PostgreSQL: {}",
            one_line(&error)
        ))
    })?;
    let version: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])?
        .get(0);
    if version < OLDEST {
        return Err(StoreError::Failed(format!(
            "PostgreSQL {}.{} is too old: 15 or newer is needed",
            version / 10_000,
            version % 10_000
        )));
    }
    // Replicas starting together migrate one at a time: the others wait
    // here, then find nothing left to apply.
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let migrated = migrations::runner().run(&mut client);
    client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])?;
    migrated
        .map_err(|error| StoreError::Failed(format!("migrating the schema failed: {error}")))?;
    drop(client);
    r2d2::Pool::builder()
        .max_size(POOL_SIZE)
        .connection_timeout(Duration::from_secs(10))
        .build(PostgresConnectionManager::new(config, NoTls))
        .map_err(|error| StoreError::Failed(format!("cannot open connections: {error}")))
}

/// How many times, 100 ms apart, a starting server tries to claim the writer's
/// lock.
const CLAIM_TRIES: u32 = 50;

/// The advisory lock the one writing server holds.
const WRITER_LOCK: i64 = 0x7072_6566_6c69_6777; // "preflgw"

/// The claim of the one server that writes to a database, held on a
/// connection of its own for as long as the server runs. Until replicas
/// decide writes together (issue 22), a second server on the same database
/// is refused at start rather than allowed to interleave its writes.
pub struct Writer {
    _client: std::sync::Mutex<postgres::Client>,
}

impl Writer {
    pub fn claim(url: &str) -> Result<Writer, StoreError> {
        let mut client = postgres::Client::connect(url, NoTls).map_err(|error| {
            StoreError::Failed(format!(
                "cannot connect to PostgreSQL: {}",
                one_line(&error)
            ))
        })?;
        // A writer killed a moment ago holds the claim until PostgreSQL sees
        // its connection close: a restart waits a little for that.
        let mut claimed = false;
        for _ in 0..CLAIM_TRIES {
            claimed = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&WRITER_LOCK])?
                .get(0);
            if claimed {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if !claimed {
            return Err(StoreError::Failed(
                "another server already writes to this PostgreSQL database: one server per database until replicas come".into(),
            ));
        }
        Ok(Writer {
            _client: std::sync::Mutex::new(client),
        })
    }
}

/// An error's chain on one line (the driver's top error is often just "error
/// connecting to server").
fn one_line(error: &postgres::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// Takes the log for writing (see the module documentation) and answers its
/// last version (0 when empty).
fn take_log(transaction: &mut Transaction<'_>) -> Result<i64, StoreError> {
    transaction.batch_execute("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")?;
    Ok(transaction
        .query_one("SELECT COALESCE(MAX(version), 0) FROM events", &[])?
        .get(0))
}

const INSERT_EVENT: &str =
    "INSERT INTO events (version, recorded_at_ms, payload, content_of) VALUES ($1, $2, $3, $4)";

impl Store for PostgresStore {
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
        let mut client = self.client()?;
        let mut transaction = client.transaction()?;
        let mut version = take_log(&mut transaction)?;
        let insert = transaction.prepare(INSERT_EVENT)?;
        for (index, payload) in payloads.iter().enumerate() {
            version += 1;
            let owner = organisation_text(content_of.get(index).and_then(Option::as_ref));
            transaction.execute(&insert, &[&version, &recorded_at_ms, payload, &owner])?;
        }
        transaction.commit()?;
        Ok(u64::try_from(version).unwrap_or_default())
    }

    fn load_after(&self, after: u64) -> Result<Vec<Event>, StoreError> {
        let mut client = self.client()?;
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let rows = client.query(
            "SELECT version, payload FROM events WHERE version > $1 ORDER BY version",
            &[&after],
        )?;
        rows.iter()
            .map(|row| decode(row.get(0), row.get(1)))
            .collect()
    }

    fn record(&self, batch: &[Recorded]) -> Result<u64, StoreError> {
        let mut client = self.client()?;
        let mut transaction = client.transaction()?;
        let mut version = take_log(&mut transaction)?;
        // Audit entries are numbered under the same lock, in commit order.
        let mut id: i64 = transaction
            .query_one("SELECT COALESCE(MAX(id), 0) FROM commands", &[])?
            .get(0);
        let insert_event = transaction.prepare(INSERT_EVENT)?;
        let insert_command = transaction.prepare(
            "INSERT INTO commands (id, at_ms, actor, command, outcome, code, message, version, content_of)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )?;
        let insert_environment = transaction.prepare(
            "INSERT INTO command_environments (command_id, environment) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
        )?;
        for recorded in batch {
            let actor = serde_json::to_string(&recorded.actor).map_err(StoreError::Encode)?;
            let command = serde_json::to_string(&recorded.command).map_err(StoreError::Encode)?;
            let (outcome, code, message, after) = match &recorded.outcome {
                RecordedOutcome::Accepted {
                    events, content_of, ..
                } => {
                    for (index, event) in events.iter().enumerate() {
                        version += 1;
                        let payload = serde_json::to_string(event).map_err(StoreError::Encode)?;
                        let owner =
                            organisation_text(content_of.get(index).and_then(Option::as_ref));
                        transaction.execute(
                            &insert_event,
                            &[&version, &recorded.at.0, &payload, &owner],
                        )?;
                    }
                    ("accepted", None, None, Some(version))
                }
                RecordedOutcome::Refused { code, message } => {
                    ("refused", Some(code.as_str()), Some(message.as_str()), None)
                }
            };
            id += 1;
            let owner = organisation_text(recorded.content_of.as_ref());
            transaction.execute(
                &insert_command,
                &[
                    &id,
                    &recorded.at.0,
                    &actor,
                    &command,
                    &outcome,
                    &code,
                    &message,
                    &after,
                    &owner,
                ],
            )?;
            for environment in &recorded.environments {
                transaction.execute(&insert_environment, &[&id, &environment.0.to_string()])?;
            }
        }
        transaction.commit()?;
        Ok(u64::try_from(version).unwrap_or_default())
    }

    fn audit(
        &self,
        environment: EnvironmentId,
        before: Option<i64>,
        limit: u32,
        outcome: Option<&str>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut client = self.client()?;
        let rows = client.query(
            "SELECT c.id, c.at_ms, c.actor, c.command, c.outcome, c.code, c.message, c.version
             FROM command_environments e JOIN commands c ON c.id = e.command_id
             WHERE e.environment = $1 AND c.id < $2 AND ($3::text IS NULL OR c.outcome = $3)
             ORDER BY c.id DESC LIMIT $4",
            &[
                &environment.0.to_string(),
                &before.unwrap_or(i64::MAX),
                &outcome,
                &i64::from(limit),
            ],
        )?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.get(0);
                let version: Option<i64> = row.get(7);
                Ok(AuditEntry {
                    id,
                    at: Timestamp(row.get(1)),
                    actor: decode(id, row.get(2))?,
                    command: decode(id, row.get(3))?,
                    outcome: row.get(4),
                    code: row.get(5),
                    message: row.get(6),
                    version: version.and_then(|v| u64::try_from(v).ok()),
                    actor_name: None,
                })
            })
            .collect()
    }

    /// Rewrites the rows as SQLite's store does, then says what is not done:
    /// PostgreSQL keeps the old row versions and its write-ahead log keeps
    /// the old pages, so rewriting cannot be reported as erasure.
    fn forget_organisation(&self, organisation: OrganisationId) -> Result<Forgotten, StoreError> {
        let owner = organisation.0.to_string();
        let mut forgotten = Forgotten::default();
        let mut client = self.client()?;
        let mut transaction = client.transaction()?;
        for row in transaction.query(
            "SELECT version, payload FROM events WHERE content_of = $1",
            &[&owner],
        )? {
            let version: i64 = row.get(0);
            let payload = forgotten_event(version, row.get(1))?;
            transaction.execute(
                "UPDATE events SET payload = $2 WHERE version = $1",
                &[&version, &payload],
            )?;
            forgotten.events += 1;
        }
        for row in transaction.query(
            "SELECT id, command, message FROM commands WHERE content_of = $1",
            &[&owner],
        )? {
            let id: i64 = row.get(0);
            let (command, message) = forgotten_command(id, row.get(1), row.get(2))?;
            transaction.execute(
                "UPDATE commands SET command = $2, message = $3 WHERE id = $1",
                &[&id, &command, &message],
            )?;
            forgotten.commands += 1;
        }
        transaction.commit()?;
        Err(StoreError::Failed(format!(
            "{} events and {} audit entries are rewritten, but PostgreSQL keeps their old row versions and its write-ahead log the old pages: erasure on PostgreSQL is not complete",
            forgotten.events, forgotten.commands
        )))
    }

    fn content_digests(&self, organisation: OrganisationId) -> Result<Vec<Sha256>, StoreError> {
        let mut client = self.client()?;
        let rows = client.query(
            "SELECT version, payload FROM events WHERE content_of = $1",
            &[&organisation.0.to_string()],
        )?;
        digests_named(rows.iter().map(|row| (row.get(0), row.get(1))))
    }
}
