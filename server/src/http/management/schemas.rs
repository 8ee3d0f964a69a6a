//! Response bodies as the OpenAPI document declares them, named and shaped as Logto's
//! (`User`, `Application`, `Role`, …). Handlers build these bodies from engine types; the
//! browser suite checks live responses against these schemas, so they cannot drift apart
//! unnoticed.

#![allow(dead_code)] // Read by utoipa's derive only.

use serde_json::Value;
use utoipa::ToSchema;

/// Every error: a stable `code` (`user.username_already_in_use`, …) and a message.
#[derive(ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    code: String,
    message: String,
    /// Details for some codes (the password policy's issues, …).
    data: Option<Value>,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    id: String,
    username: Option<String>,
    primary_email: Option<String>,
    primary_phone: Option<String>,
    name: Option<String>,
    avatar: Option<String>,
    custom_data: Object,
    identities: Object,
    profile: Object,
    application_id: Option<String>,
    is_suspended: bool,
    has_password: bool,
    /// Epoch milliseconds, as every time here.
    last_sign_in_at: Option<i64>,
    password_updated_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    /// With `includeSsoIdentities=true` only.
    sso_identities: Option<Vec<Object>>,
}

/// A JSON object whose members the caller chooses.
#[derive(ToSchema)]
#[schema(as = JsonObject)]
pub struct Object(std::collections::BTreeMap<String, Value>);

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OidcClientMetadata {
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    backchannel_logout_uri: Option<String>,
    backchannel_logout_session_required: bool,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomClientMetadata {
    cors_allowed_origins: Vec<String>,
    id_token_signed_response_alg: Option<String>,
    rotate_refresh_token: bool,
    #[schema(minimum = 1, maximum = 90)]
    refresh_token_ttl_in_days: i64,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    id: String,
    name: String,
    description: Option<String>,
    /// `Native`, `SPA`, `Traditional` or `MachineToMachine`.
    #[serde(rename = "type")]
    app_type: String,
    is_third_party: bool,
    oidc_client_metadata: OidcClientMetadata,
    custom_client_metadata: CustomClientMetadata,
    created_at: i64,
    /// On creation only, for confidential clients: the secret, shown once.
    secret: Option<String>,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSecret {
    application_id: String,
    name: String,
    created_at: i64,
    expires_at: Option<i64>,
    /// In the create response only: the secret itself (it is stored hashed).
    value: Option<String>,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    id: String,
    name: String,
    description: Option<String>,
    /// `User` or `MachineToMachine`.
    #[serde(rename = "type")]
    role_type: String,
    is_default: bool,
}

/// Who holds a role now, and which of them this request added.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    role_ids: Vec<String>,
    added_role_ids: Option<Vec<String>>,
}

/// An application holding a role.
#[derive(ToSchema)]
pub struct RoleApplication {
    id: String,
    name: String,
    #[serde(rename = "type")]
    app_type: String,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    id: String,
    name: String,
    indicator: String,
    is_default: bool,
    /// Seconds.
    access_token_ttl: i64,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Scope {
    id: String,
    resource_id: String,
    name: String,
    description: Option<String>,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Log {
    id: String,
    /// Logto's log key: `Interaction.Create`, `ExchangeTokenBy.RefreshToken`, …
    key: String,
    /// `key`, `result` (`Success` / `Error`), `userId`, `applicationId` and the event's details.
    payload: Object,
    created_at: i64,
}

/// A configured connector; secrets in `config` are masked.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Connector {
    id: String,
    connector_id: String,
    /// `Email` or `Sms`.
    #[serde(rename = "type")]
    kind: String,
    config: Object,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorFactory {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    /// `{en: …}`.
    #[schema(value_type = Object)]
    name: serde_json::Value,
    logo: Option<String>,
    target: Option<String>,
    is_standard: Option<bool>,
    config_keys: Vec<String>,
}

/// The sign-in experience document (Logto's `SignInExperience`).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignInExperience {
    id: String,
    sign_in_mode: String,
    sign_up: Object,
    sign_in: Object,
    password_policy: Object,
    sentinel_policy: Object,
    branding: Object,
    language_info: Object,
}

#[derive(ToSchema)]
pub struct PasswordCheck {
    result: bool,
    issues: Vec<Object>,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HasPassword {
    has_password: bool,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AllIdentities {
    social_identities: Vec<Object>,
    sso_identities: Vec<Object>,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MfaVerification {
    id: String,
    /// `Totp`, `WebAuthn` or `BackupCode`.
    #[serde(rename = "type")]
    factor: String,
    created_at: i64,
    last_used_at: Option<i64>,
    remain_codes: Option<i64>,
    agent: Option<String>,
    name: Option<String>,
}

/// A new factor's secret (TOTP) or codes (backup codes), shown once.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewMfaVerification {
    #[serde(rename = "type")]
    factor: String,
    secret: Option<String>,
    secret_qr_code: Option<String>,
    codes: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdTokenConfig {
    enabled_extended_claims: Vec<String>,
}

/// `Off`, `ReadOnly` or `Edit`.
#[derive(ToSchema)]
pub enum Control {
    Off,
    ReadOnly,
    Edit,
}

/// Each field's control; a field left out is `Off`.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountCenterFields {
    name: Option<Control>,
    avatar: Option<Control>,
    profile: Option<Control>,
    email: Option<Control>,
    phone: Option<Control>,
    password: Option<Control>,
    username: Option<Control>,
    social: Option<Control>,
    custom_data: Option<Control>,
    mfa: Option<Control>,
    passkey: Option<Control>,
    session: Option<Control>,
    trusted_device: Option<Control>,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountCenter {
    enabled: Option<bool>,
    fields: Option<AccountCenterFields>,
    webauthn_related_origins: Option<Vec<String>>,
    delete_account_url: Option<String>,
    custom_css: Option<String>,
    profile_fields: Option<Value>,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonalAccessToken {
    user_id: String,
    name: String,
    created_at: i64,
    expires_at: Option<i64>,
    /// In the create response only: the token itself (it is stored hashed).
    value: Option<String>,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    id: String,
    name: String,
    description: Option<String>,
    custom_data: Object,
    is_mfa_required: bool,
    /// `logoUrl`, `darkLogoUrl`, `favicon`, `darkFavicon`.
    branding: Object,
    created_at: i64,
    /// With `showFeatured` only.
    users_count: Option<i64>,
    featured_users: Option<Vec<Object>>,
}

#[derive(ToSchema)]
pub struct OrganizationScope {
    id: String,
    name: String,
    description: Option<String>,
}

#[derive(ToSchema)]
pub struct OrganizationRole {
    id: String,
    name: String,
    description: Option<String>,
    /// `User` or `MachineToMachine`.
    #[serde(rename = "type")]
    role_type: String,
}

/// `{id, name}`.
#[derive(ToSchema)]
pub struct NamedRef {
    id: String,
    name: String,
}

/// A role as the list shows it: with the organization scopes and API-resource scopes it grants.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationRoleWithScopes {
    id: String,
    name: String,
    description: Option<String>,
    #[serde(rename = "type")]
    role_type: String,
    scopes: Vec<NamedRef>,
    /// `{id, name, resource: {id, name}}`.
    resource_scopes: Vec<Object>,
}

/// A member: the user and their roles in the organization.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationMember {
    id: String,
    username: Option<String>,
    primary_email: Option<String>,
    primary_phone: Option<String>,
    name: Option<String>,
    avatar: Option<String>,
    custom_data: Object,
    identities: Object,
    profile: Object,
    application_id: Option<String>,
    is_suspended: bool,
    last_sign_in_at: Option<i64>,
    password_updated_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    organization_roles: Vec<NamedRef>,
}

/// An organization of a user's, with their roles in it.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserOrganization {
    id: String,
    name: String,
    description: Option<String>,
    custom_data: Object,
    is_mfa_required: bool,
    branding: Object,
    created_at: i64,
    organization_roles: Vec<NamedRef>,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OneTimeToken {
    id: String,
    email: String,
    /// In the create and verify answers only.
    token: Option<String>,
    /// `{jitOrganizationIds?, interactionEvent?}`.
    context: Object,
    /// `active`, `consumed`, `revoked` or `expired`.
    status: String,
    created_at: i64,
    expires_at: i64,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationInvitation {
    id: String,
    inviter_id: Option<String>,
    /// The invited email address (lower case).
    invitee: String,
    accepted_user_id: Option<String>,
    organization_id: String,
    /// `Pending`, `Accepted`, `Revoked` or `Expired`.
    status: String,
    created_at: i64,
    updated_at: i64,
    expires_at: i64,
    organization_roles: Vec<NamedRef>,
}

/// `{id, name, indicator}` of an API resource.
#[derive(ToSchema)]
pub struct ResourceRef {
    id: String,
    name: String,
    indicator: String,
}

/// An API resource and some of its scopes.
#[derive(ToSchema)]
pub struct ResourceScopes {
    resource: ResourceRef,
    scopes: Vec<OrganizationScope>,
}

/// What a third-party application may ask users to consent to.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsentScopes {
    /// `profile`, `email`, `organizations`, …
    user_scopes: Vec<String>,
    resource_scopes: Vec<ResourceScopes>,
    organization_scopes: Vec<OrganizationScope>,
    organization_resource_scopes: Vec<ResourceScopes>,
}

/// The organizations a user let a third-party application act in.
#[derive(ToSchema)]
pub struct ConsentOrganizations {
    organizations: Vec<Organization>,
}

/// How an application presents itself on the consent page.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSignInExperience {
    application_id: String,
    display_name: Option<String>,
    /// `logoUrl`, `darkLogoUrl`.
    branding: Object,
    terms_of_use_url: Option<String>,
    privacy_policy_url: Option<String>,
}
