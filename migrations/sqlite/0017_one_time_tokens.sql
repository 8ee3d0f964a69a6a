-- One-time tokens (spec §8): the secret of a magic link, for one email address, used once.
-- Only the token's hash is kept; it is shown when created.
CREATE TABLE one_time_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    -- Lower case.
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    -- {jitOrganizationIds?, interactionEvent?}
    context TEXT NOT NULL DEFAULT '{}',
    -- active | consumed | revoked | expired
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX one_time_tokens_token_hash ON one_time_tokens (token_hash);
CREATE INDEX one_time_tokens_email ON one_time_tokens (email);
