-- MFA factors a user has bound (spec §6): TOTP (secret sealed with the master secret, last
-- used time step), backup codes (hashes, used-at). WebAuthn credentials arrive later.
CREATE TABLE mfa_verifications (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX mfa_verifications_user ON mfa_verifications (user_id, type);
