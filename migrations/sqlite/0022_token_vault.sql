-- Token storage (Logto's secret vault for federated token sets): when a connector's
-- `enableTokenStorage` is on, the tokens its upstream gave at sign-in are kept, sealed
-- with the at-rest key, beside the identity they came with. A token set goes when its
-- identity goes (unlinked, replaced, the account deleted). `metadata` is in the clear:
-- {scope?, expiresAt? (seconds), tokenType?, hasRefreshToken}.
ALTER TABLE social_connectors ADD COLUMN enable_token_storage INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sso_connectors ADD COLUMN enable_token_storage INTEGER NOT NULL DEFAULT 0;

CREATE TABLE social_token_sets (
    id TEXT PRIMARY KEY NOT NULL,
    target TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sealed TEXT NOT NULL,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (target, identity_id) REFERENCES user_social_identities (target, identity_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX social_token_sets_identity ON social_token_sets (target, identity_id);

CREATE TABLE sso_token_sets (
    id TEXT PRIMARY KEY NOT NULL,
    sso_identity_id TEXT NOT NULL UNIQUE REFERENCES user_sso_identities (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sealed TEXT NOT NULL,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- `POST /api/connectors/:id/authorization-uri`, a back end's own linking flow (then
-- `POST /api/users/:id/identities`): what the upstream's callback must match (nonce, PKCE
-- verifier), kept under the hash of the caller's `state` until used once or expired.
CREATE TABLE social_connector_sessions (
    state_hash TEXT PRIMARY KEY NOT NULL,
    connector_id TEXT NOT NULL REFERENCES social_connectors (id) ON DELETE CASCADE,
    pending TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX social_connector_sessions_expiry ON social_connector_sessions (expires_at);
