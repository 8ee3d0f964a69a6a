-- Social sign-in (spec §5): connectors to upstream identity providers, and the identities
-- people have there. `users.identities` keeps Logto's JSON view of them; this table is what
-- sign-in looks them up by: one account per upstream identity, one identity per account and
-- connector target. The connector's client secret is sealed (AES-256-GCM) inside `config`.
CREATE TABLE social_connectors (
    id TEXT PRIMARY KEY NOT NULL,
    connector_id TEXT NOT NULL,
    target TEXT NOT NULL,
    -- {name: {<language>: text}, logo, logoDark}
    metadata TEXT NOT NULL DEFAULT '{}',
    config TEXT NOT NULL,
    sync_profile BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX social_connectors_target ON social_connectors (target);

CREATE TABLE user_social_identities (
    target TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    details TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (target, identity_id)
);
CREATE UNIQUE INDEX user_social_identities_user ON user_social_identities (user_id, target);
