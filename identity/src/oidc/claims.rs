//! Claims about the user, by scope (spec §2 "Claims"). Null values are omitted.

use serde_json::{json, Map, Value};

use super::id_token_config::IdTokenConfig;
use crate::store::Store;
use crate::users::User;

/// Claims for `scopes`, excluding `sub`. For ID tokens (`id_token_config` given), the
/// extended claims (custom_data, identities, roles, organizations — with organization_data —
/// and organization_roles) appear only when that configuration enables them; userinfo always
/// returns them.
pub async fn for_scopes(store: &Store, user: &User, scopes: &[String], id_token_config: Option<&IdTokenConfig>) -> Result<Map<String, Value>, sqlx::Error> {
    let has = |s: &str| scopes.iter().any(|x| x == s);
    // An extended claim's scope (its own name, or Logto's URN for the organization claims).
    let scope_of = |claim: &str| match claim {
        "organizations" => super::ORGANIZATIONS_SCOPE,
        "organization_roles" => super::ORGANIZATION_ROLES_SCOPE,
        other => other,
    }
    .to_owned();
    let extended = |claim: &str| has(&scope_of(claim)) && id_token_config.is_none_or(|c| c.enables(claim));
    let mut claims = Map::new();
    let mut put = |key: &str, value: Value| {
        if !value.is_null() {
            claims.insert(key.to_owned(), value);
        }
    };
    if has("profile") {
        let p = &user.profile;
        put("name", json!(user.name));
        put("family_name", json!(p.family_name));
        put("given_name", json!(p.given_name));
        put("middle_name", json!(p.middle_name));
        put("nickname", json!(p.nickname));
        put("preferred_username", json!(p.preferred_username.clone().or_else(|| user.username.clone())));
        put("profile", json!(p.profile));
        put("picture", json!(user.avatar));
        put("website", json!(p.website));
        put("gender", json!(p.gender));
        put("birthdate", json!(p.birthdate));
        put("zoneinfo", json!(p.zoneinfo));
        put("locale", json!(p.locale));
        put("updated_at", json!(user.updated_at));
        put("username", json!(user.username));
        put("created_at", json!(user.created_at));
    }
    if has("email") {
        put("email", json!(user.primary_email));
        put("email_verified", json!(user.primary_email.is_some()));
    }
    if has("phone") {
        put("phone_number", json!(user.primary_phone));
        put("phone_number_verified", json!(user.primary_phone.is_some()));
    }
    if has("address") {
        put("address", user.profile.address.as_ref().map(|a| json!(a)).unwrap_or(Value::Null));
    }
    if extended("custom_data") {
        put("custom_data", Value::Object(user.custom_data.clone()));
    }
    if extended("identities") {
        put("identities", Value::Object(crate::social::identities_in(store, &user.id).await?));
        put("sso_identities", json!([]));
    }
    if extended("roles") {
        let roles = crate::rbac::user_role_names(store, &user.id).await.map_err(|e| match e {
            crate::rbac::RbacError::Storage(e) => e,
            _ => sqlx::Error::RowNotFound,
        })?;
        put("roles", json!(roles));
    }
    let (organizations, organization_roles) = (extended("organizations"), extended("organization_roles"));
    if organizations || organization_roles {
        let (joined, roles) = crate::organizations::members::claims_of(store, &user.id).await?;
        if organizations {
            put("organizations", json!(joined.iter().map(|o| &o.id).collect::<Vec<_>>()));
            put("organization_data", json!(joined.iter().map(|o| json!({ "id": o.id, "name": o.name, "description": o.description })).collect::<Vec<_>>()));
        }
        if organization_roles {
            put("organization_roles", json!(roles.iter().map(|(org, role)| format!("{org}:{role}")).collect::<Vec<_>>()));
        }
    }
    Ok(claims)
}
