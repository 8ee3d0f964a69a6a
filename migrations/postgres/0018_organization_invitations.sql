-- Organization invitations (spec §13): an email address invited into an organization with
-- roles, until it is accepted, revoked or its time is up. One pending invitation per address
-- and organization. `message_sends` records other messages sent to an address (invitation
-- emails) so they share the per-recipient send limit with verification codes.
CREATE TABLE organization_invitations (
    id TEXT PRIMARY KEY NOT NULL,
    inviter_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    -- Lower case.
    invitee TEXT NOT NULL,
    accepted_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- Pending | Accepted | Revoked | Expired
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX organization_invitations_pending ON organization_invitations (organization_id, invitee) WHERE status = 'Pending';
CREATE INDEX organization_invitations_invitee ON organization_invitations (invitee);

CREATE TABLE organization_invitation_roles (
    organization_invitation_id TEXT NOT NULL REFERENCES organization_invitations (id) ON DELETE CASCADE,
    organization_role_id TEXT NOT NULL REFERENCES organization_roles (id) ON DELETE CASCADE,
    PRIMARY KEY (organization_invitation_id, organization_role_id)
);

CREATE TABLE message_sends (
    -- `email:<lower case address>` or `phone:<number>`, as verification codes count them.
    recipient TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX message_sends_recipient ON message_sends (recipient, created_at);
