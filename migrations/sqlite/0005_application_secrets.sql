-- Additional named client secrets (Management API `/api/applications/:id/secrets`), stored as
-- SHA-256 hashes; the plaintext is shown once, when created. An application authenticates
-- with its primary secret or any unexpired one of these.
CREATE TABLE application_secrets (
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    PRIMARY KEY (application_id, name)
);

ALTER TABLE applications ADD COLUMN description TEXT;
