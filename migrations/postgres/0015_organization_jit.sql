-- Just-in-time provisioning (spec §13): people who register with a verified email address at
-- one of an organization's domains join it, with its JIT roles.
CREATE TABLE organization_jit_email_domains (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- Lower case.
    email_domain TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, email_domain)
);
CREATE INDEX organization_jit_email_domains_domain ON organization_jit_email_domains (email_domain);

CREATE TABLE organization_jit_roles (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    organization_role_id TEXT NOT NULL REFERENCES organization_roles (id) ON DELETE CASCADE,
    PRIMARY KEY (organization_id, organization_role_id)
);
