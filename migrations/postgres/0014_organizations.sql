-- Organizations (spec §13): the template every organization shares — organization scopes and
-- roles (which may also grant API-resource scopes) — then organizations, their members, and
-- each member's roles in each. Deleting an organization, a member, a user, a role or a scope
-- takes its relations with it (the cascades below).
CREATE TABLE organization_scopes (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX organization_scopes_name_key ON organization_scopes (name);

CREATE TABLE organization_roles (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    -- User | MachineToMachine
    type TEXT NOT NULL DEFAULT 'User',
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX organization_roles_name_key ON organization_roles (name);

CREATE TABLE organization_role_scopes (
    organization_role_id TEXT NOT NULL REFERENCES organization_roles (id) ON DELETE CASCADE,
    organization_scope_id TEXT NOT NULL REFERENCES organization_scopes (id) ON DELETE CASCADE,
    PRIMARY KEY (organization_role_id, organization_scope_id)
);

CREATE TABLE organization_role_resource_scopes (
    organization_role_id TEXT NOT NULL REFERENCES organization_roles (id) ON DELETE CASCADE,
    scope_id TEXT NOT NULL REFERENCES scopes (id) ON DELETE CASCADE,
    PRIMARY KEY (organization_role_id, scope_id)
);

CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    custom_data TEXT NOT NULL DEFAULT '{}',
    is_mfa_required BOOLEAN NOT NULL DEFAULT FALSE,
    branding TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE INDEX organizations_created_at ON organizations (created_at);

CREATE TABLE organization_members (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The order members joined in (lists keep it).
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX organization_members_user ON organization_members (user_id);

-- A member's roles in an organization: only while they are a member (the composite key).
CREATE TABLE organization_member_roles (
    organization_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    organization_role_id TEXT NOT NULL REFERENCES organization_roles (id) ON DELETE CASCADE,
    PRIMARY KEY (organization_id, user_id, organization_role_id),
    FOREIGN KEY (organization_id, user_id) REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE
);
