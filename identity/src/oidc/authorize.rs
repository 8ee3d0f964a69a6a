//! `/oidc/auth`: validate an authorization request, then either answer at once with a code
//! (a live session, SSO) or start an interaction that the hosted sign-in pages complete.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::session::{self, Session};
use super::store::{self, InteractionRow, TokenRow};
use super::{ttl, OidcError, Provider, OIDC_SCOPES};
use crate::applications::{self, Application};
use crate::crypto;

/// A validated authorization request, as stored with its interaction.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuthorizationParams {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
    pub resources: Vec<String>,
    /// Parameters the hosted pages read (`first_screen`, `identifier`, `direct_sign_in`, …).
    pub extra: BTreeMap<String, String>,
}

impl AuthorizationParams {
    fn prompts(&self, prompt: &str) -> bool {
        self.prompt.iter().any(|p| p == prompt)
    }
}

#[derive(Debug)]
pub enum AuthorizeError {
    /// Must not be sent to the client (unknown client, unregistered redirect URI, expired
    /// interaction): shown to the user instead.
    Display(OidcError),
    /// Sent back to the client's redirect URI.
    Redirect { location: String },
}

impl From<sqlx::Error> for AuthorizeError {
    fn from(err: sqlx::Error) -> Self {
        AuthorizeError::Display(OidcError::Storage(err))
    }
}

impl From<OidcError> for AuthorizeError {
    fn from(err: OidcError) -> Self {
        AuthorizeError::Display(err)
    }
}

#[derive(Debug)]
pub enum AuthorizeOutcome {
    /// Back to the client with `code`, `state` and `iss`; `session_cookie` is a newly
    /// started IdP session to set.
    Code { location: String, session_cookie: Option<String> },
    /// Sign-in needed: set the interaction cookie (`cookie_token`) and go to `location`.
    Interaction { uid: String, cookie_token: String, location: String, params: Box<AuthorizationParams> },
}

/// `GET|POST /oidc/auth`. `query` is the request's parameters in order; `session_cookie`
/// the browser's `_session` cookie, if any.
pub async fn authorize(
    provider: &Provider,
    query: &[(String, String)],
    session_cookie: Option<&str>,
) -> Result<AuthorizeOutcome, AuthorizeError> {
    let (app, params) = validate(provider, query).await?;
    let session = match session_cookie {
        Some(cookie) => session::find(provider, cookie).await?,
        None => None,
    };
    let needs_login = match &session {
        None => true,
        Some(s) => params.prompts("login") || params.max_age.is_some_and(|max| (provider.now_ms() - s.auth_time) / 1000 > max),
    };
    if let (false, Some(s), Some(token)) = (needs_login, &session, params.extra.get("one_time_token")) {
        if let Some(landing) = magic_link_with_session(provider, &params, &s.account_id, token).await? {
            return start_interaction_at(provider, params, Some(landing)).await;
        }
    }
    if !needs_login {
        let session = session.expect("checked above");
        if super::consent::required(provider, &app, &params, &session.account_id).await? {
            if params.prompts("none") {
                return Err(redirect_error(provider, &params, OidcError::new("consent_required", "End-User consent is required")));
            }
            return ask_consent(provider, params, &session).await;
        }
        let scope = granted_scope(provider, &app, &params, &session.account_id).await?;
        let mut tx = provider.store.begin_write().await?;
        let location = issue_code(provider, &mut tx, &app, &params, &session, &scope).await?;
        tx.commit().await?;
        return Ok(AuthorizeOutcome::Code { location, session_cookie: None });
    }
    if params.prompts("none") {
        return Err(redirect_error(provider, &params, OidcError::new("login_required", "End-User authentication is required")));
    }
    start_interaction(provider, params).await
}

/// A magic link opened where someone is already signed in (spec §8): someone else → the
/// switch-account page; the link's own person with the link still unused → the magic-link
/// page (it is used, and its organizations joined); a link already used → on as they are.
async fn magic_link_with_session(provider: &Provider, params: &AuthorizationParams, account_id: &str, token: &str) -> Result<Option<String>, AuthorizeError> {
    let hint = params.login_hint.clone().unwrap_or_default();
    let email = crate::users::find_by_id(&provider.store, account_id).await.ok().flatten().and_then(|u| u.primary_email);
    let landing = landing_page(params);
    if !email.is_some_and(|e| e.eq_ignore_ascii_case(hint.trim())) {
        return Ok(Some(landing.replacen("/one-time-token?", "/switch-account?", 1)));
    }
    let unused = crate::one_time_tokens::check(&provider.store, provider.clock.as_ref(), token, &hint).await.is_ok();
    Ok(unused.then_some(landing))
}

async fn start_interaction(provider: &Provider, params: AuthorizationParams) -> Result<AuthorizeOutcome, AuthorizeError> {
    start_interaction_at(provider, params, None).await
}

async fn start_interaction_at(provider: &Provider, params: AuthorizationParams, landing: Option<String>) -> Result<AuthorizeOutcome, AuthorizeError> {
    let location = landing.unwrap_or_else(|| landing_page(&params));
    new_interaction(provider, params, None, location).await
}

/// Someone signed in here whom a third-party application must ask first: an interaction
/// that belongs to their session and starts at the consent page.
async fn ask_consent(provider: &Provider, params: AuthorizationParams, session: &Session) -> Result<AuthorizeOutcome, AuthorizeError> {
    let location = consent_page(&params);
    new_interaction(provider, params, Some(session), location).await
}

async fn new_interaction(provider: &Provider, params: AuthorizationParams, session: Option<&Session>, location: String) -> Result<AuthorizeOutcome, AuthorizeError> {
    let uid = crate::ids::entity_id();
    let cookie_token = crypto::random_token();
    let now = provider.now_ms();
    let row = InteractionRow {
        uid: uid.clone(),
        cookie_hash: crypto::token_hash(&cookie_token),
        client_id: params.client_id.clone(),
        params: serde_json::to_string(&params).expect("params serialize"),
        experience: None,
        account_id: session.map(|s| s.account_id.clone()),
        login_at: session.map(|s| s.auth_time),
        session_uid: session.map(|s| s.uid.clone()),
        consented_at: None,
        expires_at: now + ttl::INTERACTION,
    };
    store::insert_interaction(&provider.store, &row, now).await?;
    log_interaction(provider, "Interaction.Create", &uid, None, &params).await;
    Ok(AuthorizeOutcome::Interaction { uid, cookie_token, location, params: Box::new(params) })
}

/// `/consent?app_id=…` (spec §2 step 3), in the request's language.
fn consent_page(params: &AuthorizationParams) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("app_id", &params.client_id);
    if let Some(locales) = params.ui_locales.as_deref().filter(|l| !l.is_empty()) {
        query.append_pair("ui_locales", locales);
    }
    format!("/consent?{}", query.finish())
}

/// Where the hosted pages start (spec §7): `first_screen` (or the deprecated
/// `interaction_mode`) picks the page; the hints the pages read follow in the query, in
/// Logto's order. `direct_sign_in` goes to `/direct/<method>/<target>` with the landing page
/// as `fallback`.
pub fn landing_page(params: &AuthorizationParams) -> String {
    let extra = |key: &str| params.extra.get(key).map(String::as_str);
    let screen = extra("first_screen").or(extra("interaction_mode")).unwrap_or("sign_in");
    // A magic link lands on its own page, whatever the first screen.
    let landing = if extra("one_time_token").is_some_and(|t| !t.is_empty()) { "/one-time-token" } else { match screen {
        "register" | "signUp" => "/register",
        "reset_password" => "/reset-password",
        "identifier:sign_in" => "/identifier-sign-in",
        "identifier:register" => "/identifier-register",
        "single_sign_on" => "/single-sign-on",
        _ => "/sign-in",
    } };
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("app_id", &params.client_id);
    let hints = [
        ("organization_id", extra("organization_id")),
        ("ui_locales", params.ui_locales.as_deref()),
        ("one_time_token", extra("one_time_token")),
        ("login_hint", params.login_hint.as_deref()),
        ("identifier", extra("identifier")),
    ];
    for (key, value) in hints {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            query.append_pair(key, value);
        }
    }
    if let Some((method, target)) = extra("direct_sign_in").and_then(|d| d.split_once(':')) {
        let valid = |s: &str| !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if matches!(method, "social" | "sso") && valid(target) {
            query.append_pair("fallback", landing.trim_start_matches('/'));
            return format!("/direct/{method}/{target}?{}", query.finish());
        }
    }
    format!("{landing}?{}", query.finish())
}

/// Where `/direct/<method>/<target>?…&fallback=<page>` goes while no social or SSO
/// connector can take it: the landing page it names (one of the hosted first screens), with
/// the other hints kept.
pub fn direct_sign_in_fallback(query: &str) -> String {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let fallback = pairs.iter().find(|(k, _)| k == "fallback").map(|(_, v)| v.as_str()).unwrap_or("sign-in");
    let page = match fallback {
        "register" | "reset-password" | "identifier-sign-in" | "identifier-register" => fallback,
        _ => "sign-in",
    };
    let rest = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs.iter().filter(|(k, _)| k != "fallback")).finish();
    if rest.is_empty() { format!("/{page}") } else { format!("/{page}?{rest}") }
}

/// `GET /oidc/auth/<uid>`: after the Experience API's submit, start the IdP session and
/// answer the original request with a code. An unfinished interaction goes back to sign-in.
pub async fn resume(provider: &Provider, uid: &str, interaction_cookie: Option<&str>) -> Result<AuthorizeOutcome, AuthorizeError> {
    let not_found = || AuthorizeError::Display(OidcError::new("invalid_request", "interaction session not found"));
    let interaction = store::find_interaction(&provider.store, uid).await?.ok_or_else(not_found)?;
    let cookie_ok = interaction_cookie.is_some_and(|c| crypto::constant_time_eq(&crypto::token_hash(c), &interaction.cookie_hash));
    if !cookie_ok || interaction.expires_at <= provider.now_ms() {
        return Err(not_found());
    }
    let params: AuthorizationParams = serde_json::from_str(&interaction.params).map_err(|_| not_found())?;
    let (Some(account_id), Some(login_at)) = (interaction.account_id.clone(), interaction.login_at) else {
        return Ok(AuthorizeOutcome::Interaction {
            uid: interaction.uid,
            cookie_token: interaction_cookie.unwrap_or_default().to_owned(),
            location: "/sign-in".to_owned(),
            params: Box::new(params),
        });
    };
    let app = applications::find(&provider.store, &params.client_id).await.map_err(OidcError::from)?.ok_or_else(not_found)?;
    // An interaction that only asked consent goes on in the session it belongs to.
    let existing_session = match &interaction.session_uid {
        Some(session_uid) => Some(session::find_by_uid(provider, session_uid).await?.filter(|s| s.account_id == account_id).ok_or_else(not_found)?),
        None => None,
    };
    if interaction.consented_at.is_none() && super::consent::required(provider, &app, &params, &account_id).await? {
        return Ok(AuthorizeOutcome::Interaction {
            uid: interaction.uid,
            cookie_token: interaction_cookie.unwrap_or_default().to_owned(),
            location: consent_page(&params),
            params: Box::new(params),
        });
    }
    let scope = granted_scope(provider, &app, &params, &account_id).await?;
    // Session, grant, code and the interaction's end are one change: all or nothing.
    let mut tx = provider.store.begin_write().await?;
    let (session, session_cookie) = match existing_session {
        Some(session) => (session, None),
        None => {
            let (session, cookie) = session::start(provider, &mut tx, &account_id, login_at).await?;
            (session, Some(cookie))
        }
    };
    let location = issue_code(provider, &mut tx, &app, &params, &session, &scope).await?;
    store::delete_interaction(&mut tx, uid).await?;
    tx.commit().await?;
    log_interaction(provider, "Interaction.End", uid, Some(&account_id), &params).await;
    Ok(AuthorizeOutcome::Code { location, session_cookie })
}

/// Logto's `Interaction.Create` / `Interaction.End` entries: an interaction started by
/// `/oidc/auth`, and its end when the code goes back to the application.
async fn log_interaction(provider: &Provider, key: &str, uid: &str, user_id: Option<&str>, params: &AuthorizationParams) {
    let payload = serde_json::json!({
        "interactionId": uid,
        "params": { "client_id": params.client_id, "redirect_uri": params.redirect_uri, "scope": params.scope.join(" "), "prompt": params.prompt.join(" ") },
    });
    let entry = crate::audit::Entry { key, outcome: crate::audit::Outcome::Success, user_id, application_id: Some(&params.client_id), payload };
    crate::audit::record(&provider.store, provider.clock.as_ref(), entry).await;
}

/// Checks the request in the order that decides where an error may go: the client and
/// redirect URI first (errors shown to the user), then everything else (errors sent back).
async fn validate(provider: &Provider, query: &[(String, String)]) -> Result<(Application, AuthorizationParams), AuthorizeError> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    let mut duplicated = None;
    for (key, value) in query {
        if key != "resource" && map.insert(key.clone(), value.clone()).is_some() {
            duplicated = Some(key.clone());
        }
    }
    let display = |error, description: &str| AuthorizeError::Display(OidcError::new(error, description));
    // RFC 6749 §3.1: a repeated parameter is an invalid request; with the client or its
    // redirect URI in doubt, nothing may be sent back to a redirect URI.
    if let Some(key) = duplicated.as_deref().filter(|key| matches!(*key, "client_id" | "redirect_uri")) {
        return Err(display("invalid_request", &format!("'{key}' parameter must not be provided twice")));
    }
    let client_id = map.get("client_id").ok_or_else(|| display("invalid_request", "missing required parameter 'client_id'"))?;
    let app = applications::find(&provider.store, client_id)
        .await
        .map_err(OidcError::from)?
        .ok_or_else(|| display("invalid_client", "client is invalid"))?;
    let redirect_uri = map.get("redirect_uri").ok_or_else(|| display("invalid_request", "missing required parameter 'redirect_uri'"))?;
    if !app.has_redirect_uri(redirect_uri) {
        return Err(display("invalid_redirect_uri", "redirect_uri did not match any of the client's registered redirect_uris"));
    }

    // `resource` may repeat, and `resource=a,b` is split (spec §2).
    let resources: Vec<String> = query
        .iter()
        .filter(|(k, _)| k == "resource")
        .flat_map(|(_, v)| v.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned))
        .collect();
    const PROTOCOL_PARAMETERS: [&str; 14] = [
        "client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method",
        "prompt", "max_age", "login_hint", "ui_locales", "response_mode", "resource",
    ];
    let params = AuthorizationParams {
        client_id: client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        scope: super::split_scope(map.get("scope").map(String::as_str).unwrap_or_default()),
        state: map.get("state").cloned(),
        nonce: map.get("nonce").cloned(),
        code_challenge: map.get("code_challenge").cloned(),
        prompt: super::split_scope(map.get("prompt").map(String::as_str).unwrap_or_default()),
        max_age: None,
        login_hint: map.get("login_hint").cloned(),
        ui_locales: map.get("ui_locales").cloned(),
        resources,
        extra: map.iter().filter(|(k, _)| !PROTOCOL_PARAMETERS.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect(),
    };
    let back = |error: OidcError| redirect_error(provider, &params, error);

    if let Some(key) = duplicated {
        return Err(back(OidcError::invalid_request(format!("'{key}' parameter must not be provided twice"))));
    }
    match map.get("response_type").map(String::as_str) {
        Some("code") => {}
        Some(_) => return Err(back(OidcError::new("unsupported_response_type", "unsupported response_type requested"))),
        None => return Err(back(OidcError::invalid_request("missing required parameter 'response_type'"))),
    }
    if app.app_type == crate::applications::AppType::MachineToMachine {
        return Err(back(OidcError::new("unauthorized_client", "requested response_type is not allowed for this client")));
    }
    if map.get("response_mode").is_some_and(|m| m != "query") {
        return Err(back(OidcError::invalid_request("only response_mode=query is supported")));
    }
    if !params.scope.iter().any(|s| s == "openid") {
        return Err(back(OidcError::invalid_request("openid scope must be requested")));
    }
    match (&params.code_challenge, map.get("code_challenge_method").map(String::as_str)) {
        (Some(_), Some("S256")) => {}
        (Some(_), _) => return Err(back(OidcError::invalid_request("only S256 code_challenge_method is supported"))),
        (None, Some(_)) => return Err(back(OidcError::invalid_request("code_challenge_method without code_challenge"))),
        (None, None) if app.app_type.is_public() => {
            return Err(back(OidcError::invalid_request("Authorization Server policy requires PKCE to be used for this request")));
        }
        (None, None) => {}
    }
    if params.prompts("none") && params.prompt.len() > 1 {
        return Err(back(OidcError::invalid_request("prompt none must only be used alone")));
    }
    if let Some(unknown) = params.prompt.iter().find(|p| !["none", "login", "consent"].contains(&p.as_str())) {
        return Err(back(OidcError::invalid_request(format!("unsupported prompt value requested: {unknown}"))));
    }
    let max_age = match map.get("max_age") {
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| back(OidcError::invalid_request("invalid max_age")))?),
        None => None,
    };
    for indicator in params.resources.iter().filter(|r| *r != super::grants::ORGANIZATIONS_RESOURCE) {
        if crate::rbac::find_resource(&provider.store, indicator).await.map_err(OidcError::from)?.is_none() {
            return Err(back(OidcError::new("invalid_target", format!("resource indicator is missing, or unknown: {indicator}"))));
        }
    }
    Ok((app, AuthorizationParams { max_age, ..params }))
}

fn redirect_error(provider: &Provider, params: &AuthorizationParams, error: OidcError) -> AuthorizeError {
    let mut pairs = vec![("error", error.error().to_owned()), ("error_description", error.description())];
    if let Some(state) = &params.state {
        pairs.push(("state", state.clone()));
    }
    pairs.push(("iss", provider.issuer()));
    AuthorizeError::Redirect { location: append_query(&params.redirect_uri, &pairs) }
}

/// The scopes a code carries: as asked, but `offline_access` only when consent was
/// prompted for (spec §2), and for a third-party application only what the user consented
/// to. Read before the code's write transaction opens.
async fn granted_scope(provider: &Provider, app: &Application, params: &AuthorizationParams, account_id: &str) -> Result<Vec<String>, OidcError> {
    let scope = params.scope.iter().filter(|s| *s != "offline_access" || params.prompts("consent")).cloned().collect();
    super::consent::narrow(provider, app, params, account_id, scope).await
}

/// Grants `scope` and returns the client's redirect with a single-use code.
async fn issue_code(
    provider: &Provider,
    conn: &mut sqlx::AnyConnection,
    app: &Application,
    params: &AuthorizationParams,
    session: &Session,
    scope: &[String],
) -> Result<String, OidcError> {
    let now = provider.now_ms();
    let grant_id = crate::ids::entity_id();
    store::insert_grant(conn, &grant_id, &app.id, Some(&session.account_id), Some(&session.uid), now).await?;
    let code = crypto::random_token();
    store::insert_token(
        conn,
        &TokenRow {
            hash: crypto::token_hash(&code),
            kind: "authorization_code".to_owned(),
            grant_id: Some(grant_id),
            client_id: app.id.clone(),
            account_id: Some(session.account_id.clone()),
            scope: scope.join(" "),
            resource: None,
            payload: serde_json::json!({
                "redirect_uri": params.redirect_uri,
                "code_challenge": params.code_challenge,
                "nonce": params.nonce,
                "auth_time": session.auth_time,
                "sid": session.uid,
                "resources": params.resources,
            }),
            created_at: now,
            expires_at: now + ttl::AUTHORIZATION_CODE,
            consumed_at: None,
        },
    )
    .await?;
    let mut pairs = vec![("code", code)];
    if let Some(state) = &params.state {
        pairs.push(("state", state.clone()));
    }
    pairs.push(("iss", provider.issuer()));
    Ok(append_query(&params.redirect_uri, &pairs))
}

/// The redirect URI exactly as registered, with parameters appended to its query.
pub fn append_query(uri: &str, pairs: &[(&str, String)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        serializer.append_pair(key, value);
    }
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{}", serializer.finish())
}

/// Scopes a client may receive that are not the provider's own: API resource scopes.
pub fn resource_scopes(scope: &[String]) -> impl Iterator<Item = &String> {
    scope.iter().filter(|s| !OIDC_SCOPES.contains(&s.as_str()))
}
