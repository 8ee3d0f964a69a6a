-- WebAuthn (spec §6). A credential id belongs to one user: the unique index refuses the same
-- authenticator registered twice, and finds the owner of a discoverable (passkey) sign-in.
ALTER TABLE mfa_verifications ADD COLUMN credential_id TEXT;
CREATE UNIQUE INDEX mfa_verifications_credential ON mfa_verifications (credential_id);

-- A started registration or authentication, kept in the database (not in one node's memory)
-- so that any node can finish it. Rows are consumed (deleted) by the first finish attempt.
CREATE TABLE webauthn_ceremonies (
    id TEXT PRIMARY KEY NOT NULL,
    -- Who may finish it: "interaction:<uid>" for the sign-in experience.
    owner TEXT NOT NULL,
    purpose TEXT NOT NULL,
    user_id TEXT,
    state TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX webauthn_ceremonies_expiry ON webauthn_ceremonies (expires_at);
