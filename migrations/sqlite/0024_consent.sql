-- Third-party applications ask the user's consent (spec §9). What an operator lets each one
-- ask for: OIDC user scopes by name, API resource scopes (for the user's own roles, or for
-- their roles in organizations they pick), and organization scopes.
CREATE TABLE application_user_consent_user_scopes (
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_scope TEXT NOT NULL,
    PRIMARY KEY (application_id, user_scope)
);

-- kind: 'resource' (granted by the user's roles) or 'organization-resource' (by their
-- organization roles in a consented organization).
CREATE TABLE application_user_consent_resource_scopes (
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    scope_id TEXT NOT NULL REFERENCES scopes (id) ON DELETE CASCADE,
    PRIMARY KEY (application_id, kind, scope_id)
);

CREATE TABLE application_user_consent_organization_scopes (
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    organization_scope_id TEXT NOT NULL REFERENCES organization_scopes (id) ON DELETE CASCADE,
    PRIMARY KEY (application_id, organization_scope_id)
);

-- The organizations a user let a third-party application act in. Leaving an
-- organization withdraws it (the composite foreign key).
CREATE TABLE application_user_consent_organizations (
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (application_id, user_id, organization_id),
    FOREIGN KEY (organization_id, user_id) REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE
);
CREATE INDEX application_user_consent_organizations_user ON application_user_consent_organizations (user_id);

-- What a user consented to give an application, remembered beyond the session: asked
-- again only for something new, or with prompt=consent. `scopes` is JSON:
-- {"oidc": [names], "resources": {"<indicator>": [names]}}.
CREATE TABLE oidc_consents (
    account_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, client_id)
);

-- How an application presents itself on the consent page (Logto's application sign-in
-- experience): its display name, logos (`branding` JSON: logoUrl, darkLogoUrl) and links.
CREATE TABLE application_sign_in_experiences (
    application_id TEXT PRIMARY KEY NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    display_name TEXT,
    branding TEXT NOT NULL DEFAULT '{}',
    terms_of_use_url TEXT,
    privacy_policy_url TEXT
);

-- An interaction that only asks consent belongs to a live session (no sign-in in it);
-- `consented_at` marks the consent given in this interaction.
ALTER TABLE oidc_interactions ADD COLUMN session_uid TEXT;
ALTER TABLE oidc_interactions ADD COLUMN consented_at BIGINT;
