-- The event log and the audit log (DOMAIN §8), as the SQLite store keeps them.
CREATE TABLE events (
    version BIGINT PRIMARY KEY,
    recorded_at_ms BIGINT NOT NULL,
    payload TEXT NOT NULL,
    -- The organisation whose document content the event carries (DOMAIN §7).
    content_of TEXT
);
CREATE INDEX events_content_of ON events (content_of) WHERE content_of IS NOT NULL;

CREATE TABLE commands (
    id BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    command TEXT NOT NULL,
    outcome TEXT NOT NULL,
    code TEXT,
    message TEXT,
    version BIGINT,
    content_of TEXT
);
CREATE INDEX commands_content_of ON commands (content_of) WHERE content_of IS NOT NULL;

CREATE TABLE command_environments (
    command_id BIGINT NOT NULL,
    environment TEXT NOT NULL,
    PRIMARY KEY (environment, command_id)
);
