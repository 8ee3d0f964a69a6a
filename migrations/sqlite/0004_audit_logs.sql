-- The audit log (GET /api/logs): Management API writes and sign-in events — who (user,
-- application), what (key, payload), when and the result.
CREATE TABLE logs (
    id TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL,
    result TEXT NOT NULL,
    user_id TEXT,
    application_id TEXT,
    payload TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE INDEX logs_created_at ON logs (created_at);
CREATE INDEX logs_key_created_at ON logs (key, created_at);
CREATE INDEX logs_user_created_at ON logs (user_id, created_at);
