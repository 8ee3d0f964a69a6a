-- Security verification (spec §12): proofs, 10 minutes long, that an Account API caller just
-- verified their password (or a code). Named by the hash of an unguessable id; any node
-- honours them. A record proves nothing until `verified_at` is set.
CREATE TABLE verification_records (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Password | EmailVerificationCode | PhoneVerificationCode
    kind TEXT NOT NULL,
    -- Code records: the address the code went to, the code, and what the record may prove:
    -- UserPermissionValidation (the account's own address: a proof) or BindNewIdentifier.
    identifier TEXT,
    code_id TEXT,
    template TEXT,
    verified_at BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX verification_records_user ON verification_records (user_id);
