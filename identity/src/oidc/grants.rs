//! `/oidc/token`: the authorization_code, refresh_token and client_credentials grants
//! (spec §2, RFC 6749 §4.1.3, §6, §4.4), and the tokens they issue.

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::authorize::resource_scopes;
use super::store::{self, TokenRow};
use super::{authenticate_client, tokens, ttl, ClientAuthentication, OidcError, Provider, OIDC_SCOPES};
use crate::applications::{AppType, Application};
use crate::crypto;
use crate::rbac::{self, Resource};
use crate::users::{self, User};

#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub resources: Vec<String>,
    /// Token exchange (RFC 8693): the token to exchange and its type.
    pub subject_token: Option<String>,
    pub subject_token_type: Option<String>,
    /// An organization token (spec §13): for this organization.
    pub organization_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Omitted when nothing was granted (a client-credentials token without scopes), as
    /// oidc-provider does — but `""` on an organization's token, as Logto answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub token_type: &'static str,
    /// Whose tokens these are (none for client credentials): for the audit log only.
    #[serde(skip)]
    pub account_id: Option<String>,
}

/// `POST /oidc/token`, recorded in the audit log under Logto's keys
/// (`ExchangeTokenBy.AuthorizationCode`, `.RefreshToken`, `.ClientCredentials`, `.Unknown`),
/// failures with their error.
pub async fn exchange(provider: &Provider, auth: &ClientAuthentication, request: TokenRequest) -> Result<TokenResponse, OidcError> {
    let grant_type = request.grant_type.clone().unwrap_or_default();
    let result = exchange_unlogged(provider, auth, request).await;
    let exchanged_by = match grant_type.as_str() {
        "authorization_code" => "AuthorizationCode",
        "refresh_token" => "RefreshToken",
        ORGANIZATION_TOKEN => "OrganizationToken",
        "client_credentials" => "ClientCredentials",
        TOKEN_EXCHANGE => "TokenExchange",
        _ => "Unknown",
    };
    let key = format!("ExchangeTokenBy.{exchanged_by}");
    let (outcome, user_id, payload) = match &result {
        Ok(response) => (crate::audit::Outcome::Success, response.account_id.as_deref(), json!({ "params": { "grant_type": grant_type } })),
        Err(err) => (crate::audit::Outcome::Error, None, json!({ "params": { "grant_type": grant_type }, "error": err.logged() })),
    };
    let entry = crate::audit::Entry { key: &key, outcome, user_id, application_id: auth.client_id.as_deref(), payload };
    crate::audit::record(&provider.store, provider.clock.as_ref(), entry).await;
    result
}

async fn exchange_unlogged(provider: &Provider, auth: &ClientAuthentication, request: TokenRequest) -> Result<TokenResponse, OidcError> {
    let grant_type = request.grant_type.clone().ok_or_else(|| OidcError::invalid_request("missing required parameter 'grant_type'"))?;
    if !matches!(grant_type.as_str(), "authorization_code" | "refresh_token" | "client_credentials" | TOKEN_EXCHANGE | ORGANIZATION_TOKEN) {
        return Err(OidcError::new("unsupported_grant_type", format!("unsupported grant_type requested ({grant_type})")));
    }
    let app = authenticate_client(provider, auth).await?;
    let allowed = match (app.app_type, grant_type.as_str()) {
        // A personal access token is exchanged by a client that holds a secret.
        (AppType::MachineToMachine | AppType::Traditional, TOKEN_EXCHANGE) => true,
        (_, TOKEN_EXCHANGE) => false,
        (AppType::MachineToMachine, grant) => grant == "client_credentials",
        (_, grant) => grant != "client_credentials",
    };
    if !allowed {
        return Err(OidcError::new("unauthorized_client", "requested grant type is not allowed for this client"));
    }
    match grant_type.as_str() {
        "authorization_code" => authorization_code(provider, &app, request).await,
        "refresh_token" => refresh_token(provider, &app, request).await,
        ORGANIZATION_TOKEN => {
            if request.organization_id.is_none() {
                return Err(OidcError::invalid_request("missing required parameter 'organization_id'"));
            }
            refresh_token(provider, &app, request).await
        }
        TOKEN_EXCHANGE => token_exchange(provider, &app, request).await,
        _ => client_credentials(provider, &app, request).await,
    }
}

async fn authorization_code(provider: &Provider, app: &Application, request: TokenRequest) -> Result<TokenResponse, OidcError> {
    let invalid = || OidcError::invalid_grant("grant request is invalid");
    let code = request.code.as_deref().ok_or_else(|| OidcError::invalid_request("missing required parameter 'code'"))?;
    let row = store::find_token(&provider.store, &crypto::token_hash(code)).await?.ok_or_else(invalid)?;
    if row.kind != "authorization_code" || row.client_id != app.id || row.expires_at <= provider.now_ms() {
        return Err(invalid());
    }
    let grant_id = row.grant_id.clone().ok_or_else(invalid)?;
    // Everything read is read before the write transaction opens: on SQLite, a transaction
    // holding the write lock must never wait for a second pooled connection, which every
    // other waiting writer may be holding.
    let user = active_user(provider, row.account_id.as_deref()).await?;
    let resource = choose_resource(provider, &request.resources, &resources_of(&row.payload)).await?;
    let scope = super::split_scope(&row.scope);
    let plan = plan_tokens(provider, app, &user, &scope, resource, &row.payload).await?;
    let pkce_ok = match (row.payload["code_challenge"].as_str(), request.code_verifier.as_deref()) {
        (Some(challenge), Some(verifier)) => crypto::pkce_s256_matches(verifier, challenge),
        (None, None) => true,
        _ => false,
    };
    let proven = pkce_ok && request.redirect_uri.as_deref() == row.payload["redirect_uri"].as_str();
    let (response, minted) = mint_user_tokens(provider, app, &grant_id, &user, &scope, plan, &row.payload, true);
    // Spending the code and storing what it yields are one step: a failure while issuing
    // leaves the code usable for a retry, never half-spent. A wrong verifier or redirect URI
    // still spends the code (no guessing on one code) and stores nothing.
    if !store::spend_for(&provider.store, &row.hash, provider.now_ms(), if proven { &minted } else { &[] }).await? {
        // A replayed code may have been stolen: revoke everything it issued (RFC 6749 §4.1.2).
        store::revoke_grant(&provider.store, &grant_id).await?;
        return Err(OidcError::invalid_grant("authorization code already used; its tokens have been revoked"));
    }
    if !proven {
        return Err(if pkce_ok { invalid() } else { OidcError::invalid_grant("PKCE verification failed") });
    }
    Ok(response)
}

/// Creates, outside any transaction, a signing key that the tokens about to be issued need
/// (an RS256 client's first ID token): SQLite allows one writer at a time, and a key written
/// through another connection while our transaction holds the write lock would wait on it.
async fn prepare_keys(provider: &Provider, app: &Application) -> Result<(), OidcError> {
    provider.keys.signing_key(tokens::algorithm(&app.id_token_alg), provider.clock.as_ref()).await?;
    provider.keys.signing_key(jsonwebtoken::Algorithm::ES256, provider.clock.as_ref()).await?;
    Ok(())
}

async fn refresh_token(provider: &Provider, app: &Application, request: TokenRequest) -> Result<TokenResponse, OidcError> {
    let invalid = || OidcError::invalid_grant("grant request is invalid");
    let token = request.refresh_token.as_deref().ok_or_else(|| OidcError::invalid_request("missing required parameter 'refresh_token'"))?;
    let row = store::find_token(&provider.store, &crypto::token_hash(token)).await?.ok_or_else(invalid)?;
    let now = provider.now_ms();
    if row.kind != "refresh_token" || row.client_id != app.id || row.expires_at <= now {
        return Err(invalid());
    }
    let grant_id = row.grant_id.clone().ok_or_else(invalid)?;
    // Rotation with reuse detection: a rotated token is accepted again only for a few
    // seconds (concurrent refreshes); later reuse means it leaked, so the grant is revoked.
    if row.consumed_at.is_some_and(|consumed_at| now - consumed_at > ttl::REFRESH_REUSE_GRACE) {
        store::revoke_grant(&provider.store, &grant_id).await?;
        return Err(OidcError::invalid_grant("refresh token already used; the grant has been revoked"));
    }
    let original_scope = super::split_scope(&row.scope);
    let scope = match request.scope.as_deref() {
        Some(requested) => {
            let requested = super::split_scope(requested);
            if let Some(extra) = requested.iter().find(|s| !original_scope.contains(s)) {
                return Err(OidcError::new("invalid_scope", format!("refresh token missing requested scope: {extra}")));
            }
            requested
        }
        None => original_scope.clone(),
    };
    let user = active_user(provider, row.account_id.as_deref()).await?;
    let plan = match request.organization_id.as_deref() {
        Some(organization_id) => {
            if !super::consent::organization_allowed(provider, app, &user.id, organization_id).await? {
                return Err(OidcError::Forbidden { error: "access_denied", description: "organization access is not granted to the application".into() });
            }
            let organization = OrganizationRequest { id: organization_id, original: &original_scope, authorized: resources_of(&row.payload) };
            organization_token(provider, app, &user, &scope, &request.resources, organization).await?
        }
        None => {
            let resource = choose_resource(provider, &request.resources, &resources_of(&row.payload)).await?;
            plan_tokens(provider, app, &user, &scope, resource, &row.payload).await?
        }
    };
    let with_refresh = app.rotate_refresh_token && scope.iter().any(|s| s == "offline_access");
    let (mut response, minted) = mint_user_tokens(provider, app, &grant_id, &user, &scope, plan, &row.payload, with_refresh);
    // Without rotation (`rotateRefreshToken: false`) the same refresh token serves until it
    // expires: nothing is spent, and it is answered again. (Losing the race to spend it to a
    // concurrent refresh is within the grace period.)
    let spent = (app.rotate_refresh_token && row.consumed_at.is_none()).then_some(row.hash.as_str());
    store::rotate_tokens(&provider.store, spent, now, &minted).await?;
    if !app.rotate_refresh_token {
        response.refresh_token = Some(token.to_owned());
    }
    Ok(response)
}

pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// Logto's earlier grant for organization tokens: a refresh token and `organization_id`, as
/// `refresh_token` with `organization_id` now does.
pub const ORGANIZATION_TOKEN: &str = "urn:logto:grant-type:organization_token";
/// The reserved resource whose "scopes" are the organization scopes (spec §2): requesting it
/// at sign-in lets organization tokens carry them.
pub const ORGANIZATIONS_RESOURCE: &str = "urn:logto:resource:organizations";

/// What an organization token request names: the organization, and what the refresh token
/// was granted (its scopes and authorized resources).
struct OrganizationRequest<'a> {
    id: &'a str,
    original: &'a [String],
    authorized: Vec<String>,
}

/// An organization token (Logto's `organization-token-grant.test.ts`): a JWT for
/// `urn:logto:organization:<id>` with the requested organization scopes the user's roles
/// there grant — or, with `resource`, for that API with the API scopes their organization
/// roles grant there (claim `organization_id`). Only for members (`access_denied`), only with
/// `urn:logto:scope:organizations` granted (`insufficient_scope`), and only with MFA set up
/// when the organization requires it. No ID token.
async fn organization_token(provider: &Provider, app: &Application, user: &User, scope: &[String], resources: &[String], organization: OrganizationRequest<'_>) -> Result<TokenPlan, OidcError> {
    if !organization.original.iter().any(|s| s == super::ORGANIZATIONS_SCOPE) {
        return Err(OidcError::new("insufficient_scope", "refresh token missing required scope"));
    }
    let denied = || OidcError::new("access_denied", "user is not a member of the organization");
    let store = &provider.store;
    let org = crate::organizations::joined(store, organization.id, &user.id).await.map_err(organization_failure)?.ok_or_else(denied)?;
    if org.is_mfa_required {
        let factors = crate::mfa::factors(store, &user.id).await.map_err(|e| match e {
            crate::mfa::MfaError::Storage(e) => OidcError::Storage(e),
            other => OidcError::new("server_error", other.to_string()),
        })?;
        if factors.is_empty() {
            return Err(OidcError::new("access_denied", "the organization requires multi-factor authentication, which the user has not set up"));
        }
    }
    prepare_keys(provider, app).await?;
    let requested = resource_scopes(scope).cloned().collect::<Vec<_>>();
    let organization_audience = resources.is_empty();
    let (audience, granted, ttl, claim) = match resources {
        [] => {
            // Organization scopes only when the organizations resource was authorized.
            let available: Vec<String> = if organization.authorized.iter().any(|r| r == ORGANIZATIONS_RESOURCE) {
                crate::organizations::members::scopes(store, &org.id, &user.id).await.map_err(organization_failure)?.into_iter().map(|s| s.name).collect()
            } else {
                Vec::new()
            };
            (format!("urn:logto:organization:{}", org.id), requested.into_iter().filter(|s| available.contains(s)).collect::<Vec<_>>(), 3600, None)
        }
        [indicator] => {
            let resource = choose_resource(provider, resources, &organization.authorized).await?.ok_or_else(|| unknown_resource(indicator))?;
            let available = crate::organizations::members::resource_scopes(store, &org.id, &user.id, &resource.id).await.map_err(organization_failure)?;
            (resource.indicator.clone(), requested.into_iter().filter(|s| available.contains(s)).collect(), resource.access_token_ttl, Some(org.id.as_str()))
        }
        _ => return Err(OidcError::new("invalid_target", "only a single resource indicator value is allowed")),
    };
    let token = signed_access_token(provider, app, &user.id, &audience, ttl, &granted, claim).await?;
    Ok(TokenPlan { jwt_access_token: Some((token, ttl)), resource_scopes: granted, id_token: None, empty_scope_shown: organization_audience })
}

fn organization_failure(err: crate::organizations::OrganizationError) -> OidcError {
    match err {
        crate::organizations::OrganizationError::Storage(e) => OidcError::Storage(e),
        other => OidcError::new("server_error", other.to_string()),
    }
}
pub const PERSONAL_ACCESS_TOKEN_TYPE: &str = "urn:logto:token-type:personal_access_token";

/// Token exchange of a personal access token (Logto's
/// `oidc/token-exchange/personal-access-token.test.ts`): the token's owner gets an access token
/// for the requested OIDC scopes (opaque, or a JWT for `resource` with their scopes on it). No
/// refresh token: the personal access token itself is reusable until it expires.
async fn token_exchange(provider: &Provider, app: &Application, request: TokenRequest) -> Result<TokenResponse, OidcError> {
    let subject = request.subject_token.as_deref().ok_or_else(|| OidcError::invalid_request("missing required parameter 'subject_token'"))?;
    match request.subject_token_type.as_deref() {
        Some(PERSONAL_ACCESS_TOKEN_TYPE) => {}
        Some(_) => return Err(OidcError::invalid_request("unsupported subject_token_type")),
        None => return Err(OidcError::invalid_request("missing required parameter 'subject_token_type'")),
    }
    let owner = crate::personal_access_tokens::owner(&provider.store, provider.clock.as_ref(), subject).await?;
    let user = active_user(provider, owner.as_deref()).await?;
    let scope: Vec<String> = super::split_scope(request.scope.as_deref().unwrap_or("openid")).into_iter().filter(|s| OIDC_SCOPES.contains(&s.as_str()) && s != "offline_access").collect();
    let resource = match request.resources.as_slice() {
        [] => provider.resource(None).await?,
        [one] => Some(provider.resource(Some(one)).await?.ok_or_else(|| unknown_resource(one))?),
        _ => return Err(OidcError::new("invalid_target", "only a single resource indicator value is allowed")),
    };
    let plan = plan_tokens(provider, app, &user, &scope, resource, &json!({})).await?;
    // Not an ID token: nobody signed in.
    let plan = TokenPlan { id_token: None, ..plan };
    let grant_id = crate::ids::entity_id();
    let mut tx = provider.store.begin_write().await?;
    store::insert_grant(&mut tx, &grant_id, &app.id, Some(&user.id), None, provider.now_ms()).await?;
    let (response, minted) = mint_user_tokens(provider, app, &grant_id, &user, &scope, plan, &json!({}), false);
    store::insert_tokens(&mut tx, &minted).await?;
    tx.commit().await?;
    Ok(response)
}

/// `scope` as the response says it: absent when nothing was granted.
fn granted_scope(scope: &[String]) -> Option<String> {
    (!scope.is_empty()).then(|| scope.join(" "))
}

async fn client_credentials(provider: &Provider, app: &Application, request: TokenRequest) -> Result<TokenResponse, OidcError> {
    let resource = match request.resources.as_slice() {
        // An organization's own token needs no resource.
        [] if request.organization_id.is_some() => None,
        [] => provider.resource(None).await?,
        [one] => Some(provider.resource(Some(one)).await?.ok_or_else(|| unknown_resource(one))?),
        _ => return Err(OidcError::new("invalid_target", "only a single resource indicator value is allowed")),
    };
    if let Some(organization_id) = request.organization_id.as_deref() {
        return organization_client_credentials(provider, app, organization_id, resource, request.scope.as_deref()).await;
    }
    let resource = resource.ok_or_else(|| OidcError::new("invalid_target", "both `resource` and `organization_id` are not provided"))?;
    let available = provider.application_scopes(&app.id, &resource.id).await?;
    let scope: Vec<String> = match request.scope.as_deref() {
        Some(requested) => super::split_scope(requested).into_iter().filter(|s| available.contains(s)).collect(),
        None => available,
    };
    let (access_token, expires_in) = jwt_access_token(provider, app, &app.id, &resource, &scope).await?;
    Ok(TokenResponse { access_token, expires_in, id_token: None, refresh_token: None, scope: granted_scope(&scope), token_type: "Bearer", account_id: None })
}

/// Client credentials for an organization the application is in (Logto's
/// `client-credentials-grant.test.ts`): a token for the organization with the organization
/// scopes its roles there grant, or with `resource` for that API with the API scopes they
/// grant and the `organization_id` claim. Only requested scopes, when any are named.
async fn organization_client_credentials(provider: &Provider, app: &Application, organization_id: &str, resource: Option<Resource>, requested: Option<&str>) -> Result<TokenResponse, OidcError> {
    use crate::organizations::applications;
    if !applications::contains(&provider.store, organization_id, &app.id).await? {
        return Err(OidcError::Forbidden { error: "access_denied", description: "app has not associated with the organization".into() });
    }
    let narrow = |available: Vec<String>| -> Vec<String> {
        match requested {
            Some(requested) => super::split_scope(requested).into_iter().filter(|s| available.contains(s)).collect(),
            None => available,
        }
    };
    let (token, expires_in, scope) = match resource {
        None => {
            let scope = narrow(applications::scopes(&provider.store, organization_id, &app.id).await?);
            let token = signed_access_token(provider, app, &app.id, &format!("urn:logto:organization:{organization_id}"), 3600, &scope, None).await?;
            // An organization token always says its scope, even empty.
            (token, 3600, Some(scope.join(" ")))
        }
        Some(resource) => {
            let scope = narrow(applications::resource_scopes(&provider.store, organization_id, &app.id, &resource.id).await?);
            let token = signed_access_token(provider, app, &app.id, &resource.indicator, resource.access_token_ttl, &scope, Some(organization_id)).await?;
            (token, resource.access_token_ttl, granted_scope(&scope))
        }
    };
    Ok(TokenResponse { access_token: token, expires_in, id_token: None, refresh_token: None, scope, token_type: "Bearer", account_id: None })
}

/// Everything issuing needs that is not a write: the resource and the user's scopes on it,
/// and the signed JWTs. Prepared before the write transaction (see `authorization_code`), so
/// the transaction holds SQLite's write lock only for its inserts, not for reads or ECDSA.
struct TokenPlan {
    jwt_access_token: Option<(String, i64)>,
    resource_scopes: Vec<String>,
    id_token: Option<String>,
    /// An organization's token says its scope even when empty (`""`), as Logto answers.
    empty_scope_shown: bool,
}

async fn plan_tokens(provider: &Provider, app: &Application, user: &User, scope: &[String], resource: Option<Resource>, origin: &Value) -> Result<TokenPlan, OidcError> {
    prepare_keys(provider, app).await?;
    let resource_scopes = match &resource {
        Some(resource) => {
            let allowed = rbac::user_scopes(&provider.store, &user.id, &resource.id).await?;
            resource_scopes(scope).filter(|s| allowed.contains(s)).cloned().collect()
        }
        None => Vec::new(),
    };
    let id_token = if scope.iter().any(|s| s == "openid") {
        let oidc_scope: Vec<String> = scope.iter().filter(|s| OIDC_SCOPES.contains(&s.as_str())).cloned().collect();
        let claims = id_token_claims(provider, app, user, &oidc_scope, origin).await?;
        Some(tokens::sign(provider, tokens::algorithm(&app.id_token_alg), "JWT", &claims).await?)
    } else {
        None
    };
    let jwt_access_token = match &resource {
        Some(resource) => Some(jwt_access_token(provider, app, &user.id, resource, &resource_scopes).await?),
        None => None,
    };
    Ok(TokenPlan { jwt_access_token, resource_scopes, id_token, empty_scope_shown: false })
}

/// Access token (JWT for a resource, opaque otherwise), ID token with `openid`, refresh
/// token with `offline_access`: the response, and the rows of its opaque tokens for the
/// caller to store with whatever they spend. Reads, signs and writes nothing (it runs where
/// SQLite's write lock may be held).
#[allow(clippy::too_many_arguments)]
fn mint_user_tokens(
    provider: &Provider,
    app: &Application,
    grant_id: &str,
    user: &User,
    scope: &[String],
    plan: TokenPlan,
    origin: &Value,
    with_refresh: bool,
) -> (TokenResponse, Vec<TokenRow>) {
    let oidc_scope: Vec<String> = scope.iter().filter(|s| OIDC_SCOPES.contains(&s.as_str())).cloned().collect();
    let new_token = |kind: &str, scope: &[String], payload: Value, lifetime_ms: i64| {
        let now = provider.now_ms();
        let token = crypto::random_token();
        let row = TokenRow {
            hash: crypto::token_hash(&token),
            kind: kind.to_owned(),
            grant_id: Some(grant_id.to_owned()),
            client_id: app.id.clone(),
            account_id: Some(user.id.clone()),
            scope: scope.join(" "),
            resource: None,
            payload,
            created_at: now,
            expires_at: now + lifetime_ms,
            consumed_at: None,
        };
        (token, row)
    };
    let mut rows = Vec::with_capacity(2);
    let empty_scope_shown = plan.empty_scope_shown;
    let (access_token, expires_in, granted) = match plan.jwt_access_token {
        Some((token, expires_in)) => (token, expires_in, plan.resource_scopes),
        None => {
            let (token, row) = new_token("access_token", &oidc_scope, json!({}), ttl::ACCESS_TOKEN);
            rows.push(row);
            (token, ttl::ACCESS_TOKEN / 1000, oidc_scope.clone())
        }
    };
    let refresh_token = (with_refresh && scope.iter().any(|s| s == "offline_access")).then(|| {
        let payload = json!({ "auth_time": origin["auth_time"], "sid": origin["sid"], "resources": origin["resources"] });
        let (token, row) = new_token("refresh_token", scope, payload, app.refresh_token_ttl_days * 86_400_000);
        rows.push(row);
        token
    });
    let scope = if empty_scope_shown { Some(granted.join(" ")) } else { granted_scope(&granted) };
    (TokenResponse { access_token, expires_in, id_token: plan.id_token, refresh_token, scope, token_type: "Bearer", account_id: Some(user.id.clone()) }, rows)
}

async fn id_token_claims(provider: &Provider, app: &Application, user: &User, scope: &[String], origin: &Value) -> Result<Map<String, Value>, OidcError> {
    let now_s = provider.now_ms() / 1000;
    let config = provider.id_token_config().await?;
    let mut claims: Map<String, Value> = super::claims::for_scopes(&provider.store, user, scope, Some(&config)).await?;
    claims.insert("sub".into(), json!(user.id));
    claims.insert("iss".into(), json!(provider.issuer()));
    claims.insert("aud".into(), json!(app.id));
    claims.insert("iat".into(), json!(now_s));
    claims.insert("exp".into(), json!(now_s + ttl::ID_TOKEN / 1000));
    if let Some(auth_time) = origin["auth_time"].as_i64() {
        claims.insert("auth_time".into(), json!(auth_time / 1000));
    }
    if let Some(nonce) = origin["nonce"].as_str() {
        claims.insert("nonce".into(), json!(nonce));
    }
    if let Some(sid) = origin["sid"].as_str() {
        claims.insert("sid".into(), json!(sid));
    }
    Ok(claims)
}

async fn jwt_access_token(provider: &Provider, app: &Application, subject: &str, resource: &Resource, scope: &[String]) -> Result<(String, i64), OidcError> {
    let token = signed_access_token(provider, app, subject, &resource.indicator, resource.access_token_ttl, scope, None).await?;
    Ok((token, resource.access_token_ttl))
}

/// A JWT access token (`typ at+jwt`) for `audience`, with `organization_id` when it is an
/// organization's API-resource token.
async fn signed_access_token(provider: &Provider, app: &Application, subject: &str, audience: &str, ttl_s: i64, scope: &[String], organization_id: Option<&str>) -> Result<String, OidcError> {
    let now_s = provider.now_ms() / 1000;
    let mut claims = Map::new();
    claims.insert("jti".into(), json!(crate::ids::entity_id()));
    claims.insert("sub".into(), json!(subject));
    claims.insert("iat".into(), json!(now_s));
    claims.insert("exp".into(), json!(now_s + ttl_s));
    // Logto leaves an empty `scope` out of API tokens, and keeps it in organization tokens.
    if !scope.is_empty() || audience.starts_with("urn:logto:organization:") {
        claims.insert("scope".into(), json!(scope.join(" ")));
    }
    claims.insert("client_id".into(), json!(app.id));
    claims.insert("iss".into(), json!(provider.issuer()));
    claims.insert("aud".into(), json!(audience));
    if let Some(organization_id) = organization_id {
        claims.insert("organization_id".into(), json!(organization_id));
    }
    tokens::sign(provider, jsonwebtoken::Algorithm::ES256, "at+jwt", &claims).await
}

/// The token request's resource must have been authorized; without one, the default
/// resource applies if there is one, else an opaque (userinfo) token is issued.
async fn choose_resource(provider: &Provider, requested: &[String], authorized: &[String]) -> Result<Option<Resource>, OidcError> {
    match requested {
        [] => provider.resource(None).await,
        [one] => {
            let resource = provider.resource(Some(one)).await?.ok_or_else(|| unknown_resource(one))?;
            if !authorized.contains(one) && !resource.is_default {
                return Err(OidcError::new("invalid_target", "resource was not authorized for this grant"));
            }
            Ok(Some(resource))
        }
        _ => Err(OidcError::new("invalid_target", "only a single resource indicator value is allowed")),
    }
}

fn resources_of(payload: &Value) -> Vec<String> {
    payload["resources"].as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

fn unknown_resource(indicator: &str) -> OidcError {
    OidcError::new("invalid_target", format!("resource indicator is missing, or unknown: {indicator}"))
}

/// Deleted or suspended users get no more tokens.
async fn active_user(provider: &Provider, account_id: Option<&str>) -> Result<User, OidcError> {
    let id = account_id.ok_or_else(|| OidcError::invalid_grant("grant request is invalid"))?;
    match users::find_by_id(&provider.store, id).await? {
        Some(user) if !user.is_suspended => Ok(user),
        _ => Err(OidcError::invalid_grant("grant request is invalid")),
    }
}
