-- Users (spec §1). Times are milliseconds since the Unix epoch; JSON is stored as text;
-- flags are INTEGER 0/1 (SQLite has no boolean, and sqlx's Any driver rejects the BOOLEAN affinity).
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT,
    primary_email TEXT,
    primary_phone TEXT,
    password_encrypted TEXT,
    password_encryption_method TEXT,
    name TEXT,
    avatar TEXT,
    profile TEXT NOT NULL DEFAULT '{}',
    identities TEXT NOT NULL DEFAULT '{}',
    custom_data TEXT NOT NULL DEFAULT '{}',
    logto_config TEXT NOT NULL DEFAULT '{}',
    is_suspended INTEGER NOT NULL DEFAULT 0,
    is_password_expired INTEGER NOT NULL DEFAULT 0,
    last_sign_in_at BIGINT,
    password_updated_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX users_username_key ON users (username);
-- Emails match case-insensitively (spec §0), so uniqueness does too.
CREATE UNIQUE INDEX users_primary_email_key ON users (lower(primary_email));
CREATE UNIQUE INDEX users_primary_phone_key ON users (primary_phone);
CREATE INDEX users_created_at ON users (created_at);
