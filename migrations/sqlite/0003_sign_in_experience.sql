-- The sign-in experience (spec §1 `sign_in_experiences`, §3 protection): its configuration,
-- the email/SMS connectors that deliver codes, the codes themselves and the sentinel's
-- record of failed verifications. All of it is shared state, so it lives here, not in memory.

-- One row, id 'default'; the configuration is one JSON document (the Management API's shape).
CREATE TABLE sign_in_experiences (
    id TEXT PRIMARY KEY NOT NULL,
    config TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Email and SMS connectors: at most one of each kind delivers messages.
CREATE TABLE connectors (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    connector_id TEXT NOT NULL,
    config TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX connectors_kind_key ON connectors (kind);

-- One-time codes sent by email or SMS. The code is stored hashed; `delivered` is false for
-- codes recorded but not sent (unknown recipients, so answers reveal nothing), which still
-- count against the recipient's send limit.
CREATE TABLE verification_codes (
    id TEXT PRIMARY KEY NOT NULL,
    interaction_uid TEXT,
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    try_count BIGINT NOT NULL DEFAULT 0,
    consumed_at BIGINT,
    delivered INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX verification_codes_recipient_created ON verification_codes (recipient, created_at);

-- Failed verifications per identifier (hashed) and counter group; the lockout reads the
-- last hour of them.
CREATE TABLE sentinel_activities (
    id TEXT PRIMARY KEY NOT NULL,
    target_hash TEXT NOT NULL,
    action_group TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sentinel_activities_target ON sentinel_activities (target_hash, action_group, created_at);
