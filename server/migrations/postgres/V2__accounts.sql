-- Credentials, as the SQLite file keeps them (`server/src/accounts.rs`).
CREATE TABLE credentials (
    email TEXT PRIMARY KEY,
    subject TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX sessions_subject ON sessions (subject);
CREATE TABLE key_secrets (
    secret_hash TEXT PRIMARY KEY,
    key_id TEXT NOT NULL UNIQUE
);
CREATE TABLE invitation_secrets (
    secret_hash TEXT PRIMARY KEY,
    invitation_id TEXT NOT NULL UNIQUE
);
CREATE TABLE devices (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
);
