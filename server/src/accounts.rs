//! Credentials: passwords, sessions, devices, connection-key secrets.
//!
//! The world knows who users are and what they may do; it never holds a secret.
//! Secrets live here, in their own tables of the same SQLite file: passwords as
//! argon2id hashes, session tokens, device tokens and connection keys as SHA-256
//! hashes (they are 256-bit random values, so a fast hash is enough and lookups
//! stay cheap). Hashing and checking passwords is `crate::passwords`' job;
//! throttling sign-ins is `crate::throttle`'s.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::Argon2;
use preflight_core::{KeyId, UserId};
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};

/// Who a session or a password belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    User(UserId),
    Support { email: String },
}

impl Subject {
    fn encode(&self) -> String {
        match self {
            Subject::User(id) => format!("user:{}", id.0),
            Subject::Support { email } => format!("support:{email}"),
        }
    }

    fn decode(text: &str) -> Option<Subject> {
        if let Some(id) = text.strip_prefix("user:") {
            return uuid::Uuid::parse_str(id)
                .ok()
                .map(|u| Subject::User(UserId(u)));
        }
        text.strip_prefix("support:").map(|email| Subject::Support {
            email: email.to_string(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgresql: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("no PostgreSQL connection: {0}")]
    Pool(String),
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("no random source: {0}")]
    Random(String),
    #[error("a lock was poisoned by a panic")]
    Poisoned,
}

/// How long a session lasts without use.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// How long a browser that signed in stays a known device of the account.
pub const DEVICE_TTL: Duration = Duration::from_secs(180 * 24 * 3600);

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS credentials (
        email TEXT PRIMARY KEY,
        subject TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS sessions (
        token_hash TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        expires_ms INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS key_secrets (
        secret_hash TEXT PRIMARY KEY,
        key_id TEXT NOT NULL UNIQUE
    );
    CREATE TABLE IF NOT EXISTS invitation_secrets (
        secret_hash TEXT PRIMARY KEY,
        invitation_id TEXT NOT NULL UNIQUE
    );
    CREATE TABLE IF NOT EXISTS devices (
        token_hash TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        expires_ms INTEGER NOT NULL
    );
";

/// A session that ended, told to whatever serves it (the live event stream).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// One session, by its token's hash (signing out).
    Session(String),
    /// Every session of a subject (a user disabled).
    Subject(Subject),
}

/// See the module documentation.
pub struct Accounts {
    db: Db,
    sessions: Mutex<HashMap<String, (Subject, i64)>>,
    ended: tokio::sync::broadcast::Sender<Ended>,
}

/// Where the credential tables are: the SQLite file, or PostgreSQL (the same
/// tables, `migrations/postgres/V2__accounts.sql`). Statements are written
/// once, with `$1`… placeholders, which both read in order.
enum Db {
    Sqlite(Mutex<Connection>),
    Postgres(crate::postgres::Pool),
}

/// A value bound to or read from a statement.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Text(String),
    Int(i64),
}

impl Value {
    fn text(self) -> Option<String> {
        match self {
            Value::Text(text) => Some(text),
            Value::Int(_) => None,
        }
    }

    fn int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            Value::Text(_) => None,
        }
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Value::Text(text) => text.to_sql(),
            Value::Int(n) => n.to_sql(),
        }
    }
}

fn text(value: impl Into<String>) -> Value {
    Value::Text(value.into())
}

impl postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Text(text) => text.to_sql(ty, out),
            Value::Int(n) => n.to_sql(ty, out),
        }
    }

    fn accepts(ty: &postgres::types::Type) -> bool {
        <String as postgres::types::ToSql>::accepts(ty)
            || <i64 as postgres::types::ToSql>::accepts(ty)
    }

    postgres::types::to_sql_checked!();
}

/// A pooled connection and `values` bound for it.
fn on_postgres<'v>(
    pool: &crate::postgres::Pool,
    values: &'v [Value],
) -> Result<
    (
        crate::postgres::Connection,
        Vec<&'v (dyn postgres::types::ToSql + Sync)>,
    ),
    AccountError,
> {
    let client = pool.get().map_err(|e| AccountError::Pool(e.to_string()))?;
    Ok((client, values.iter().map(|v| v as _).collect()))
}

impl Db {
    fn execute(&self, sql: &str, values: &[Value]) -> Result<(), AccountError> {
        match self {
            Db::Sqlite(connection) => {
                let connection = connection.lock().map_err(|_| AccountError::Poisoned)?;
                connection.execute(sql, rusqlite::params_from_iter(values))?;
            }
            Db::Postgres(pool) => {
                let (mut client, bound) = on_postgres(pool, values)?;
                client.execute(sql, &bound)?;
            }
        }
        Ok(())
    }

    /// The first row's `columns` values, if there is a row.
    fn row(
        &self,
        sql: &str,
        values: &[Value],
        columns: usize,
    ) -> Result<Option<Vec<Value>>, AccountError> {
        match self {
            Db::Sqlite(connection) => {
                let connection = connection.lock().map_err(|_| AccountError::Poisoned)?;
                Ok(connection
                    .query_row(sql, rusqlite::params_from_iter(values), |row| {
                        (0..columns)
                            .map(|i| {
                                Ok(match row.get_ref(i)? {
                                    rusqlite::types::ValueRef::Integer(n) => Value::Int(n),
                                    other => Value::Text(other.as_str()?.to_string()),
                                })
                            })
                            .collect::<rusqlite::Result<Vec<_>>>()
                    })
                    .optional()?)
            }
            Db::Postgres(pool) => {
                let (mut client, bound) = on_postgres(pool, values)?;
                let Some(row) = client.query_opt(sql, &bound)? else {
                    return Ok(None);
                };
                let mut out = Vec::with_capacity(columns);
                for i in 0..columns {
                    let is_int = row
                        .columns()
                        .get(i)
                        .is_some_and(|c| *c.type_() == postgres::types::Type::INT8);
                    out.push(if is_int {
                        Value::Int(row.try_get(i)?)
                    } else {
                        Value::Text(row.try_get(i)?)
                    });
                }
                Ok(Some(out))
            }
        }
    }
}

/// A 256-bit random secret, as 64 hex digits.
pub fn new_secret() -> Result<String, AccountError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AccountError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// The hash a secret is kept and looked up by.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn now_ms() -> i64 {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// An argon2id hash of `password` (slow on purpose: run it off the async runtime).
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AccountError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccountError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// A hash no password matches, verified against unknown emails so that a wrong
/// email takes as long as a wrong password.
pub const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1LmZ0hXvUqIq1Wf2n+0zq5XPpQ2Y2pNQ1F2c3u1sL3Q";

impl Accounts {
    /// Opens the credential tables in the SQLite database at `path`.
    pub fn open(path: &Path) -> Result<Accounts, AccountError> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(5))?;
        let _mode: String =
            connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.execute_batch(SCHEMA)?;
        Ok(Accounts::on(Db::Sqlite(Mutex::new(connection))))
    }

    /// The credential tables in PostgreSQL, through a replica's connections
    /// ([`crate::postgres::pool`], which migrated them).
    pub fn on_postgres(pool: crate::postgres::Pool) -> Accounts {
        Accounts::on(Db::Postgres(pool))
    }

    fn on(db: Db) -> Accounts {
        Accounts {
            db,
            sessions: Mutex::new(HashMap::new()),
            ended: tokio::sync::broadcast::channel(256).0,
        }
    }

    /// Sets the password hash of `subject`, who logs in as `email`.
    pub fn set_password_hash(
        &self,
        subject: &Subject,
        email: &str,
        hash: &str,
    ) -> Result<(), AccountError> {
        let email = email.trim().to_lowercase();
        self.db.execute(
            "INSERT INTO credentials (email, subject, password_hash) VALUES ($1, $2, $3)
             ON CONFLICT (email) DO UPDATE SET subject = excluded.subject, password_hash = excluded.password_hash",
            &[text(email), text(subject.encode()), text(hash)],
        )
    }

    /// Whether anyone logs in as `email`.
    pub fn has_email(&self, email: &str) -> Result<bool, AccountError> {
        let email = email.trim().to_lowercase();
        Ok(self
            .db
            .row(
                "SELECT email FROM credentials WHERE email = $1",
                &[text(email)],
                1,
            )?
            .is_some())
    }

    /// The subject and password hash of whoever signs in as `email`.
    pub fn credentials(&self, email: &str) -> Result<Option<(Subject, String)>, AccountError> {
        let email = email.trim().to_lowercase();
        let row = self.db.row(
            "SELECT subject, password_hash FROM credentials WHERE email = $1",
            &[text(email)],
            2,
        )?;
        Ok(row.and_then(|row| {
            let mut row = row.into_iter();
            let subject = Subject::decode(&row.next()?.text()?)?;
            Some((subject, row.next()?.text()?))
        }))
    }

    /// Remembers a browser that signed in as `email`: the token it keeps in a
    /// cookie (see `crate::throttle`).
    pub fn remember_device(&self, email: &str) -> Result<String, AccountError> {
        let token = new_secret()?;
        let email = email.trim().to_lowercase();
        let now = now_ms();
        self.db.execute(
            "DELETE FROM devices WHERE expires_ms < $1",
            &[Value::Int(now)],
        )?;
        self.db.execute(
            "INSERT INTO devices (token_hash, email, expires_ms) VALUES ($1, $2, $3)",
            &[
                text(digest(&token)),
                text(email),
                Value::Int(now + DEVICE_TTL.as_millis() as i64),
            ],
        )?;
        Ok(token)
    }

    /// Whether `token` is a device that signed in as `email` before.
    pub fn is_known_device(&self, token: &str, email: &str) -> Result<bool, AccountError> {
        let email = email.trim().to_lowercase();
        Ok(self
            .db
            .row(
                "SELECT email FROM devices WHERE token_hash = $1 AND email = $2 AND expires_ms > $3",
                &[text(digest(token)), text(email), Value::Int(now_ms())],
                1,
            )?
            .is_some())
    }

    /// The sessions that end from now on.
    pub fn ended(&self) -> tokio::sync::broadcast::Receiver<Ended> {
        self.ended.subscribe()
    }

    /// Starts a session; returns its token (shown once, kept only as a hash).
    pub fn create_session(&self, subject: &Subject) -> Result<String, AccountError> {
        let token = new_secret()?;
        let expires = now_ms() + SESSION_TTL.as_millis() as i64;
        self.db.execute(
            "INSERT INTO sessions (token_hash, subject, expires_ms) VALUES ($1, $2, $3)",
            &[
                text(digest(&token)),
                text(subject.encode()),
                Value::Int(expires),
            ],
        )?;
        self.sessions
            .lock()
            .map_err(|_| AccountError::Poisoned)?
            .insert(digest(&token), (subject.clone(), expires));
        Ok(token)
    }

    /// The subject of a live session known in memory, without touching the
    /// database: `None` means "ask [`Accounts::session`]", not "no session".
    pub fn cached_session(&self, token: &str) -> Option<Option<Subject>> {
        let sessions = self.sessions.lock().ok()?;
        let (subject, expires) = sessions.get(&digest(token))?;
        Some((*expires > now_ms()).then(|| subject.clone()))
    }

    /// The subject of a live session.
    pub fn session(&self, token: &str) -> Result<Option<Subject>, AccountError> {
        let key = digest(token);
        let now = now_ms();
        if let Some((subject, expires)) = self
            .sessions
            .lock()
            .map_err(|_| AccountError::Poisoned)?
            .get(&key)
        {
            return Ok((*expires > now).then(|| subject.clone()));
        }
        let row = self.db.row(
            "SELECT subject, expires_ms FROM sessions WHERE token_hash = $1",
            &[text(key.clone())],
            2,
        )?;
        let Some((subject, expires)) = row.and_then(|row| {
            let mut row = row.into_iter();
            let subject = row.next()?.text()?;
            Some((subject, row.next()?.int()?))
        }) else {
            return Ok(None);
        };
        let Some(subject) = Subject::decode(&subject) else {
            return Ok(None);
        };
        self.sessions
            .lock()
            .map_err(|_| AccountError::Poisoned)?
            .insert(key, (subject.clone(), expires));
        Ok((expires > now).then_some(subject))
    }

    /// Ends one session; whatever it holds open is told.
    pub fn end_session(&self, token: &str) -> Result<(), AccountError> {
        let key = digest(token);
        self.sessions
            .lock()
            .map_err(|_| AccountError::Poisoned)?
            .remove(&key);
        self.db.execute(
            "DELETE FROM sessions WHERE token_hash = $1",
            &[text(key.clone())],
        )?;
        let _ = self.ended.send(Ended::Session(key));
        Ok(())
    }

    /// Ends every session of `subject` (a disabled user's, at once).
    pub fn end_sessions_of(&self, subject: &Subject) -> Result<(), AccountError> {
        self.sessions
            .lock()
            .map_err(|_| AccountError::Poisoned)?
            .retain(|_, (s, _)| s != subject);
        self.db.execute(
            "DELETE FROM sessions WHERE subject = $1",
            &[text(subject.encode())],
        )?;
        let _ = self.ended.send(Ended::Subject(subject.clone()));
        Ok(())
    }

    /// Keeps the hash of a connection key's secret.
    pub fn store_key_secret(&self, key: KeyId, secret: &str) -> Result<(), AccountError> {
        self.db.execute(
            "INSERT INTO key_secrets (secret_hash, key_id) VALUES ($1, $2)",
            &[text(digest(secret)), text(key.0.to_string())],
        )
    }

    /// The key a bearer secret belongs to.
    pub fn key_for_secret(&self, secret: &str) -> Result<Option<KeyId>, AccountError> {
        let id = self
            .db
            .row(
                "SELECT key_id FROM key_secrets WHERE secret_hash = $1",
                &[text(digest(secret))],
                1,
            )?
            .and_then(|row| row.into_iter().next()?.text());
        Ok(id.and_then(|id| uuid::Uuid::parse_str(&id).ok()).map(KeyId))
    }

    /// Keeps the hash of an invitation's secret.
    pub fn store_invitation_secret(
        &self,
        invitation: preflight_core::InvitationId,
        secret: &str,
    ) -> Result<(), AccountError> {
        self.db.execute(
            "INSERT INTO invitation_secrets (secret_hash, invitation_id) VALUES ($1, $2)",
            &[text(digest(secret)), text(invitation.0.to_string())],
        )
    }

    /// The invitation a secret opens.
    pub fn invitation_for_secret(
        &self,
        secret: &str,
    ) -> Result<Option<preflight_core::InvitationId>, AccountError> {
        let id = self
            .db
            .row(
                "SELECT invitation_id FROM invitation_secrets WHERE secret_hash = $1",
                &[text(digest(secret))],
                1,
            )?
            .and_then(|row| row.into_iter().next()?.text());
        Ok(id
            .and_then(|id| uuid::Uuid::parse_str(&id).ok())
            .map(preflight_core::InvitationId))
    }
}
