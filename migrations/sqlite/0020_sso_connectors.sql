-- Enterprise SSO (spec §5): connectors to an organization's identity provider (OIDC or SAML),
-- the email domains that route to each, and the identities people have there. The client
-- secret is sealed (AES-256-GCM) inside `config`. An identity is keyed by its issuer and the
-- issuer's id for the person, as Logto keys `user_sso_identities`.
CREATE TABLE sso_connectors (
    id TEXT PRIMARY KEY NOT NULL,
    provider_name TEXT NOT NULL,
    connector_name TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    -- JSON array of lower-case domains
    domains TEXT NOT NULL DEFAULT '[]',
    -- {displayName, logo, darkLogo}
    branding TEXT NOT NULL DEFAULT '{}',
    sync_profile INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sso_connectors_name ON sso_connectors (connector_name);

CREATE TABLE user_sso_identities (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sso_connector_id TEXT NOT NULL REFERENCES sso_connectors (id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX user_sso_identities_issuer ON user_sso_identities (issuer, identity_id);
CREATE INDEX user_sso_identities_user ON user_sso_identities (user_id);
