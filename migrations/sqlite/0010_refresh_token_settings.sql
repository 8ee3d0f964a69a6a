-- Logto's customClientMetadata.rotateRefreshToken and refreshTokenTtlInDays, per application.
ALTER TABLE applications ADD COLUMN rotate_refresh_token INTEGER NOT NULL DEFAULT 1;
ALTER TABLE applications ADD COLUMN refresh_token_ttl_days INTEGER NOT NULL DEFAULT 14;
