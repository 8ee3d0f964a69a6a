-- Several nodes on one database behave as one.

-- A rotated-in signing key is published in the JWKS before any node signs with it: it
-- becomes current at `activates_at` (created_at plus longer than the JWKS may be cached),
-- the same instant on every node. Keys that exist already were active when created.
ALTER TABLE oidc_signing_keys ADD COLUMN activates_at BIGINT NOT NULL DEFAULT 0;
UPDATE oidc_signing_keys SET activates_at = created_at;

-- First-run set-up done by exactly one of several nodes starting together: the node whose
-- claim is in the table does it, the others wait for its result. A claim expires, so a
-- node that died holding one does not block the others for ever.
CREATE TABLE first_run_claims (
    name TEXT PRIMARY KEY NOT NULL,
    claimed_until BIGINT NOT NULL
);

-- Bumped by every change of the sign-in experience: each node checks it before using its
-- cached copy, so a security setting changed on one node holds on all of them at once.
ALTER TABLE sign_in_experiences ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

-- When an application's credentials last changed (a secret deleted or replaced): tokens
-- issued to it before then are refused wherever Vestibule checks a bearer token.
ALTER TABLE applications ADD COLUMN credentials_rotated_at BIGINT;
