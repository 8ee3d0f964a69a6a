-- OpenID Connect Back-Channel Logout 1.0: where each application hears that a session it
-- was in has ended, and whether the logout token must carry the session id.
ALTER TABLE applications ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE applications ADD COLUMN backchannel_logout_session_required INTEGER NOT NULL DEFAULT 0;

-- Logout notifications still to deliver. A row is written in the same transaction that
-- ends the session, so a node that dies before sending loses nothing; any node sends it
-- (claiming it by moving next_attempt_at), retries with backoff, and deletes it once the
-- application answered 2xx or the attempts ran out. The token is signed at each attempt
-- (fresh iat/exp), with the row id as its jti.
CREATE TABLE backchannel_logouts (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    uri TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- Only when the application requires it.
    sid TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_error TEXT
);
CREATE INDEX backchannel_logouts_due ON backchannel_logouts (next_attempt_at);
