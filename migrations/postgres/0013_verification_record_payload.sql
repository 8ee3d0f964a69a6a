-- A WebAuthn registration verified through the Account API (spec §12) waits here, as a
-- verification record, until the person binds it: the new credential (public data only)
-- and the browser that made it.
ALTER TABLE verification_records ADD COLUMN payload TEXT;
