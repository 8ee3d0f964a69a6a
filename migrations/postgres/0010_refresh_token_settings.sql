-- Logto's customClientMetadata.rotateRefreshToken and refreshTokenTtlInDays, per application.
ALTER TABLE applications ADD COLUMN rotate_refresh_token BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE applications ADD COLUMN refresh_token_ttl_days BIGINT NOT NULL DEFAULT 14;
