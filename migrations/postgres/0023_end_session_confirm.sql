-- RP-initiated logout asks the browser to confirm, as Logto does (`/oidc/session/end` →
-- its form → `POST /oidc/session/end/confirm`), so that a cross-site GET signs nobody out.
-- The validated request (where to go afterwards) waits here under the hash of the form's
-- xsrf token until that form is posted, once, or it expires.
CREATE TABLE end_session_requests (
    xsrf_hash TEXT PRIMARY KEY NOT NULL,
    location TEXT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX end_session_requests_expiry ON end_session_requests (expires_at);
