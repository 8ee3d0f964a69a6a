-- OpenID provider: applications, RBAC, signing keys and the provider's own state
-- (interactions, sessions, grants, tokens). Bearer secrets are stored as SHA-256 hashes.

CREATE TABLE applications (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    secret_hash TEXT,
    redirect_uris TEXT NOT NULL DEFAULT '[]',
    post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]',
    cors_allowed_origins TEXT NOT NULL DEFAULT '[]',
    is_third_party INTEGER NOT NULL DEFAULT 0,
    id_token_signed_response_alg TEXT NOT NULL DEFAULT 'ES256',
    created_at BIGINT NOT NULL
);

CREATE TABLE resources (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    indicator TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    access_token_ttl BIGINT NOT NULL DEFAULT 3600,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX resources_indicator_key ON resources (indicator);

CREATE TABLE scopes (
    id TEXT PRIMARY KEY NOT NULL,
    resource_id TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX scopes_resource_name_key ON scopes (resource_id, name);

CREATE TABLE roles (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    type TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX roles_name_key ON roles (name);

CREATE TABLE roles_scopes (
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    scope_id TEXT NOT NULL REFERENCES scopes (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, scope_id)
);

CREATE TABLE users_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);

CREATE TABLE applications_roles (
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (application_id, role_id)
);

CREATE TABLE oidc_signing_keys (
    id TEXT PRIMARY KEY NOT NULL,
    alg TEXT NOT NULL,
    private_key_sealed TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE oidc_interactions (
    uid TEXT PRIMARY KEY NOT NULL,
    cookie_hash TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    params TEXT NOT NULL,
    experience TEXT,
    account_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    login_at BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE oidc_sessions (
    uid TEXT PRIMARY KEY NOT NULL,
    cookie_hash TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX oidc_sessions_cookie_key ON oidc_sessions (cookie_hash);

CREATE TABLE oidc_grants (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    account_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    session_uid TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_grants_session ON oidc_grants (session_uid);

CREATE TABLE oidc_tokens (
    hash TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    grant_id TEXT REFERENCES oidc_grants (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    account_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    resource TEXT,
    payload TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    consumed_at BIGINT
);
CREATE INDEX oidc_tokens_grant ON oidc_tokens (grant_id);
