-- Personal access tokens (spec §15): named per user, exchanged at the token endpoint for
-- access tokens (token exchange). Only the hash of a token is kept; it is shown once.
CREATE TABLE personal_access_tokens (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    PRIMARY KEY (user_id, name)
);
CREATE UNIQUE INDEX personal_access_tokens_value_hash_key ON personal_access_tokens (value_hash);
