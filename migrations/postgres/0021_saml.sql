-- SAML 2.0 enterprise SSO (spec §5). Each assertion is used once: its ID is kept until it
-- expires, so a replayed SAMLResponse is refused on every node.
CREATE TABLE saml_assertions_used (
    assertion_id TEXT PRIMARY KEY NOT NULL,
    sso_connector_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX saml_assertions_used_expiry ON saml_assertions_used (expires_at);

-- IdP-initiated sign-in: the connector's configuration (Logto's
-- `sso_connector_idp_initiated_auth_configs`), and the assertions that arrived unasked,
-- kept until the browser that brought one starts its authorization request (the
-- `_logto_idp_saml_sso_session_id` cookie names the row by its hash).
CREATE TABLE sso_connector_idp_initiated_auth_configs (
    sso_connector_id TEXT PRIMARY KEY NOT NULL REFERENCES sso_connectors (id) ON DELETE CASCADE,
    default_application_id TEXT NOT NULL,
    redirect_uri TEXT,
    -- {scope?, …}
    auth_parameters TEXT NOT NULL DEFAULT '{}',
    auto_send_authorization_request BOOLEAN NOT NULL DEFAULT FALSE,
    client_idp_initiated_auth_callback_uri TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE idp_initiated_saml_sso_sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    sso_connector_id TEXT NOT NULL REFERENCES sso_connectors (id) ON DELETE CASCADE,
    -- who the assertion names (an SsoUser)
    assertion_user TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Just-in-time provisioning by enterprise SSO (Logto's `organization_jit_sso_connectors`):
-- whoever signs in through one of these connectors joins the organization with its JIT roles.
CREATE TABLE organization_jit_sso_connectors (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    sso_connector_id TEXT NOT NULL REFERENCES sso_connectors (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, sso_connector_id)
);
CREATE INDEX organization_jit_sso_connectors_connector ON organization_jit_sso_connectors (sso_connector_id);
