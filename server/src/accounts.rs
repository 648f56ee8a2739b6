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
use rusqlite::{params, Connection, OptionalExtension};
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
    connection: Mutex<Connection>,
    sessions: Mutex<HashMap<String, (Subject, i64)>>,
    ended: tokio::sync::broadcast::Sender<Ended>,
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
    /// Opens the credential tables in the database at `path`.
    pub fn open(path: &Path) -> Result<Accounts, AccountError> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(5))?;
        let _mode: String =
            connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.execute_batch(SCHEMA)?;
        Ok(Accounts {
            connection: Mutex::new(connection),
            sessions: Mutex::new(HashMap::new()),
            ended: tokio::sync::broadcast::channel(256).0,
        })
    }

    fn db(&self) -> Result<std::sync::MutexGuard<'_, Connection>, AccountError> {
        self.connection.lock().map_err(|_| AccountError::Poisoned)
    }

    /// Sets the password hash of `subject`, who logs in as `email`.
    pub fn set_password_hash(
        &self,
        subject: &Subject,
        email: &str,
        hash: &str,
    ) -> Result<(), AccountError> {
        let email = email.trim().to_lowercase();
        self.db()?.execute(
            "INSERT INTO credentials (email, subject, password_hash) VALUES (?1, ?2, ?3)
             ON CONFLICT(email) DO UPDATE SET subject = excluded.subject, password_hash = excluded.password_hash",
            params![email, subject.encode(), hash],
        )?;
        Ok(())
    }

    /// Whether anyone logs in as `email`.
    pub fn has_email(&self, email: &str) -> Result<bool, AccountError> {
        let email = email.trim().to_lowercase();
        Ok(self
            .db()?
            .query_row(
                "SELECT 1 FROM credentials WHERE email = ?1",
                params![email],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// The subject and password hash of whoever signs in as `email`.
    pub fn credentials(&self, email: &str) -> Result<Option<(Subject, String)>, AccountError> {
        let email = email.trim().to_lowercase();
        let row: Option<(String, String)> = self
            .db()?
            .query_row(
                "SELECT subject, password_hash FROM credentials WHERE email = ?1",
                params![email],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(row.and_then(|(subject, hash)| Subject::decode(&subject).map(|s| (s, hash))))
    }

    /// Remembers a browser that signed in as `email`: the token it keeps in a
    /// cookie (see `crate::throttle`).
    pub fn remember_device(&self, email: &str) -> Result<String, AccountError> {
        let token = new_secret()?;
        let email = email.trim().to_lowercase();
        let now = now_ms();
        let db = self.db()?;
        db.execute("DELETE FROM devices WHERE expires_ms < ?1", params![now])?;
        db.execute(
            "INSERT INTO devices (token_hash, email, expires_ms) VALUES (?1, ?2, ?3)",
            params![digest(&token), email, now + DEVICE_TTL.as_millis() as i64],
        )?;
        Ok(token)
    }

    /// Whether `token` is a device that signed in as `email` before.
    pub fn is_known_device(&self, token: &str, email: &str) -> Result<bool, AccountError> {
        let email = email.trim().to_lowercase();
        Ok(self
            .db()?
            .query_row(
                "SELECT 1 FROM devices WHERE token_hash = ?1 AND email = ?2 AND expires_ms > ?3",
                params![digest(token), email, now_ms()],
                |_| Ok(()),
            )
            .optional()?
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
        self.db()?.execute(
            "INSERT INTO sessions (token_hash, subject, expires_ms) VALUES (?1, ?2, ?3)",
            params![digest(&token), subject.encode(), expires],
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
        let row: Option<(String, i64)> = self
            .db()?
            .query_row(
                "SELECT subject, expires_ms FROM sessions WHERE token_hash = ?1",
                params![key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((subject, expires)) = row else {
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
        self.db()?
            .execute("DELETE FROM sessions WHERE token_hash = ?1", params![key])?;
        let _ = self.ended.send(Ended::Session(key));
        Ok(())
    }

    /// Ends every session of `subject` (a disabled user's, at once).
    pub fn end_sessions_of(&self, subject: &Subject) -> Result<(), AccountError> {
        self.sessions
            .lock()
            .map_err(|_| AccountError::Poisoned)?
            .retain(|_, (s, _)| s != subject);
        self.db()?.execute(
            "DELETE FROM sessions WHERE subject = ?1",
            params![subject.encode()],
        )?;
        let _ = self.ended.send(Ended::Subject(subject.clone()));
        Ok(())
    }

    /// Keeps the hash of a connection key's secret.
    pub fn store_key_secret(&self, key: KeyId, secret: &str) -> Result<(), AccountError> {
        self.db()?.execute(
            "INSERT INTO key_secrets (secret_hash, key_id) VALUES (?1, ?2)",
            params![digest(secret), key.0.to_string()],
        )?;
        Ok(())
    }

    /// The key a bearer secret belongs to.
    pub fn key_for_secret(&self, secret: &str) -> Result<Option<KeyId>, AccountError> {
        let id: Option<String> = self
            .db()?
            .query_row(
                "SELECT key_id FROM key_secrets WHERE secret_hash = ?1",
                params![digest(secret)],
                |row| row.get(0),
            )
            .optional()?;
        Ok(id.and_then(|id| uuid::Uuid::parse_str(&id).ok()).map(KeyId))
    }

    /// Keeps the hash of an invitation's secret.
    pub fn store_invitation_secret(
        &self,
        invitation: preflight_core::InvitationId,
        secret: &str,
    ) -> Result<(), AccountError> {
        self.db()?.execute(
            "INSERT INTO invitation_secrets (secret_hash, invitation_id) VALUES (?1, ?2)",
            params![digest(secret), invitation.0.to_string()],
        )?;
        Ok(())
    }

    /// The invitation a secret opens.
    pub fn invitation_for_secret(
        &self,
        secret: &str,
    ) -> Result<Option<preflight_core::InvitationId>, AccountError> {
        let id: Option<String> = self
            .db()?
            .query_row(
                "SELECT invitation_id FROM invitation_secrets WHERE secret_hash = ?1",
                params![digest(secret)],
                |row| row.get(0),
            )
            .optional()?;
        Ok(id
            .and_then(|id| uuid::Uuid::parse_str(&id).ok())
            .map(preflight_core::InvitationId))
    }
}
