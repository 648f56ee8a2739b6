-- Document bytes by SHA-256 (`server/src/blobs.rs`), and the platform's own
-- keys (the Ed25519 key that signs export bundles), so that a server needs
-- nothing but the database.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    bytes BYTEA NOT NULL
);
CREATE TABLE platform_keys (
    name TEXT PRIMARY KEY,
    secret BYTEA NOT NULL
);
