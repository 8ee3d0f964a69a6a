-- Small JSON settings by key (e.g. `idToken`: the extended claims ID tokens carry).
CREATE TABLE configs (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
