//! `/oidc/*`: thin adapters from HTTP to `identity::oidc`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use base64::Engine;
use identity::oidc::authorize::{self, AuthorizeError, AuthorizeOutcome};
use identity::oidc::end_session::{self, EndSessionRequest};
use identity::oidc::grants::{self, TokenRequest};
use identity::oidc::{discovery, introspection, userinfo, ClientAuthentication, OidcError};
use serde_json::json;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use super::cookies;
use super::error::OAuthError;
use crate::AppState;

pub fn routes(state: &AppState) -> Router<AppState> {
    // Public documents: any origin may read them.
    let public = Router::new()
        .route("/oidc/.well-known/openid-configuration", get(configuration))
        .route("/oidc/.well-known/oauth-authorization-server", get(configuration))
        .route("/.well-known/openid-configuration", get(configuration))
        .route("/oidc/jwks", get(jwks))
        .layer(CorsLayer::new().allow_origin(Any).allow_methods([Method::GET]));
    // What browser apps (SPAs) call with tokens: only origins an application registered.
    let store = state.store.clone();
    let registered_origins = AllowOrigin::async_predicate(move |origin: HeaderValue, _parts| {
        let store = store.clone();
        async move {
            let Ok(origin) = origin.to_str() else { return false };
            identity::applications::origin_allowed(&store, origin).await.unwrap_or(false)
        }
    });
    let for_apps = Router::new()
        .route("/oidc/token", post(token))
        .route("/oidc/me", get(me).post(me))
        .route("/oidc/token/introspection", post(introspect))
        .route("/oidc/token/revocation", post(revoke))
        .layer(
            CorsLayer::new()
                .allow_origin(registered_origins)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
                .max_age(std::time::Duration::from_secs(600)),
        );
    Router::new()
        .route("/oidc/auth", get(auth_query).post(auth_form))
        .route("/oidc/auth/{uid}", get(resume))
        .route("/oidc/session/end", get(end_session_query).post(end_session_form))
        .route("/oidc/session/end/confirm", axum::routing::post(confirm_end_session))
        .route("/oidc/session/end/success", get(|| async { Redirect::to("/signed-out") }))
        .merge(public)
        .merge(for_apps)
}

async fn configuration(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(discovery::configuration(&state.provider))
}

async fn jwks(State(state): State<AppState>) -> Result<Response, OAuthError> {
    let keys = state.provider.keys.published(state.provider.clock.as_ref()).await.map_err(OidcError::from)?;
    let cache_control = format!("public, max-age={}", identity::oidc::keys::JWKS_MAX_AGE.as_secs());
    Ok(([(header::CACHE_CONTROL, cache_control)], Json(keys.jwks(state.provider.now_ms()))).into_response())
}

async fn auth_query(State(state): State<AppState>, jar: CookieJar, RawQuery(query): RawQuery) -> Response {
    authorize_response(&state, jar, parse_pairs(query.unwrap_or_default().as_bytes())).await
}

/// `POST /oidc/auth` takes form bodies only, as oidc-provider (Logto's engine) does: a JSON
/// body's parameters cannot be trusted to name the client, so the error is shown to the
/// user rather than sent to a redirect URI.
async fn auth_form(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, body: Bytes) -> Response {
    if media_type(&headers).is_some_and(|m| m != "application/x-www-form-urlencoded") {
        return error_page(&OidcError::invalid_request("only application/x-www-form-urlencoded content-type bodies are supported on POST /auth"));
    }
    authorize_response(&state, jar, parse_pairs(&body)).await
}

async fn authorize_response(state: &AppState, jar: CookieJar, pairs: Vec<(String, String)>) -> Response {
    let session = cookies::value(&jar, cookies::SESSION).map(str::to_owned);
    let outcome = authorize::authorize(&state.provider, &pairs, session.as_deref()).await;
    outcome_response(state, jar, outcome)
}

async fn resume(State(state): State<AppState>, jar: CookieJar, Path(uid): Path<String>) -> Response {
    let cookie = cookies::value(&jar, cookies::INTERACTION).map(str::to_owned);
    let outcome = authorize::resume(&state.provider, &uid, cookie.as_deref()).await;
    outcome_response(&state, jar, outcome)
}

fn outcome_response(state: &AppState, jar: CookieJar, outcome: Result<AuthorizeOutcome, AuthorizeError>) -> Response {
    let secure = state.config.endpoint.starts_with("https://");
    match outcome {
        Ok(AuthorizeOutcome::Code { location, session_cookie }) => {
            let mut jar = jar.remove(cookies::removal(cookies::INTERACTION));
            if let Some(value) = session_cookie {
                jar = jar.add(cookies::secret_cookie(cookies::SESSION, value, secure));
            }
            (jar, Redirect::to(&location)).into_response()
        }
        Ok(AuthorizeOutcome::Interaction { cookie_token, location, params, .. }) => {
            let hints = json!({ "appId": params.client_id, "uiLocales": params.ui_locales }).to_string();
            let jar = jar
                .add(cookies::secret_cookie(cookies::INTERACTION, cookie_token, secure))
                .add(cookies::hint_cookie(hints, secure));
            (jar, Redirect::to(&location)).into_response()
        }
        Err(AuthorizeError::Redirect { location }) => Redirect::to(&location).into_response(),
        Err(AuthorizeError::Display(error)) => error_page(&error),
    }
}

/// Errors that must not reach the client's redirect URI are shown to the user.
fn error_page(error: &OidcError) -> Response {
    if error.error() == "server_error" {
        tracing::error!(error = %error, "authorization request failed");
    }
    let status = if error.error() == "server_error" { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::BAD_REQUEST };
    let body = app::error_page::render(error.error(), &error.description(), app::i18n::Locale::default());
    (status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response()
}

async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, OAuthError> {
    let params = parse_body(&headers, &body, "/token")?;
    let auth = client_authentication(&headers, &params)?;
    let request = TokenRequest {
        grant_type: single(&params, "grant_type")?,
        code: single(&params, "code")?,
        redirect_uri: single(&params, "redirect_uri")?,
        code_verifier: single(&params, "code_verifier")?,
        refresh_token: single(&params, "refresh_token")?,
        scope: single(&params, "scope")?,
        subject_token: single(&params, "subject_token")?,
        subject_token_type: single(&params, "subject_token_type")?,
        organization_id: single(&params, "organization_id")?,
        resources: params.iter().filter(|(k, _)| k == "resource").flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_owned())).filter(|s| !s.is_empty()).collect(),
    };
    let response = grants::exchange(&state.provider, &auth, request).await?;
    Ok(no_store(Json(response)))
}

async fn me(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, OAuthError> {
    let from_body = parse_pairs(&body).into_iter().find(|(k, _)| k == "access_token").map(|(_, v)| v);
    let token = bearer(&headers).or(from_body);
    let claims = userinfo::userinfo(&state.provider, token.as_deref()).await?;
    Ok(no_store(Json(claims)))
}

async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, OAuthError> {
    let params = parse_body(&headers, &body, "/token/introspection")?;
    let auth = client_authentication(&headers, &params)?;
    let token = single(&params, "token")?;
    Ok(no_store(Json(introspection::introspect(&state.provider, &auth, token.as_deref()).await?)))
}

async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, OAuthError> {
    let params = parse_body(&headers, &body, "/token/revocation")?;
    let auth = client_authentication(&headers, &params)?;
    let token = single(&params, "token")?;
    introspection::revoke(&state.provider, &auth, token.as_deref()).await?;
    Ok(StatusCode::OK.into_response())
}

async fn end_session_query(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    end_session_response(&state, &headers, parse_pairs(query.unwrap_or_default().as_bytes())).await
}

async fn end_session_form(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    end_session_response(&state, &headers, parse_pairs(&body)).await
}

/// The validated request answers the confirmation page (nothing is ended yet).
async fn end_session_response(state: &AppState, headers: &HeaderMap, params: Vec<(String, String)>) -> Response {
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let request = EndSessionRequest {
        id_token_hint: get("id_token_hint"),
        post_logout_redirect_uri: get("post_logout_redirect_uri"),
        state: get("state"),
        client_id: get("client_id"),
    };
    match end_session::request(&state.provider, request).await {
        Ok(xsrf) => {
            let nonce = identity::crypto::random_token();
            let locale = get("ui_locales")
                .and_then(|tags| app::i18n::Locale::from_ui_locales(&tags))
                .or_else(|| super::preferred_language(headers).and_then(|tag| app::i18n::Locale::from_tag(&tag)))
                .unwrap_or_default();
            let policy = super::security_headers::page_policy(&nonce);
            let page = Html(app::sign_out_page::render(&xsrf, &nonce, locale));
            ([(header::CACHE_CONTROL, "no-store".to_owned()), (header::CONTENT_SECURITY_POLICY, policy)], page).into_response()
        }
        Err(error) => error_page(&error),
    }
}

/// `POST /oidc/session/end/confirm {xsrf, logout}`: the confirmation page's form.
async fn confirm_end_session(State(state): State<AppState>, jar: CookieJar, body: Bytes) -> Response {
    let params = parse_pairs(&body);
    let xsrf = params.iter().find(|(k, _)| k == "xsrf").map(|(_, v)| v.as_str()).unwrap_or_default();
    let session = cookies::value(&jar, cookies::SESSION).map(str::to_owned);
    match end_session::confirm(&state.provider, xsrf, session.as_deref()).await {
        Ok(location) => {
            let jar = jar.remove(cookies::removal(cookies::SESSION));
            (jar, Redirect::to(location.as_deref().unwrap_or("/oidc/session/end/success"))).into_response()
        }
        Err(error) => error_page(&error),
    }
}

fn no_store(body: impl IntoResponse) -> Response {
    ([(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")], body).into_response()
}

/// The request's media type without parameters, lower-cased (`application/json`).
fn media_type(headers: &HeaderMap) -> Option<String> {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
}

fn parse_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

/// Form or JSON bodies (spec §2: `/oidc/token` also accepts JSON); NUL bytes are refused.
/// A POST body as form pairs: `application/x-www-form-urlencoded` (or no content type), or
/// JSON as Logto also accepts it. Any other media type is refused, as oidc-provider does,
/// naming the endpoint (`POST /token`).
fn parse_body(headers: &HeaderMap, body: &Bytes, endpoint: &str) -> Result<Vec<(String, String)>, OAuthError> {
    let is_json = match media_type(headers).as_deref() {
        None | Some("application/x-www-form-urlencoded") => false,
        Some("application/json") => true,
        Some(_) => {
            return Err(OidcError::invalid_request(format!("only application/x-www-form-urlencoded content-type bodies are supported on POST {endpoint}")).into());
        }
    };
    let pairs = if is_json {
        let value: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(body).map_err(|_| OidcError::invalid_request("request body is not valid JSON"))?;
        value
            .into_iter()
            .flat_map(|(k, v)| match v {
                serde_json::Value::String(s) => vec![(k, s)],
                serde_json::Value::Array(items) => items.into_iter().filter_map(|i| i.as_str().map(|s| (k.clone(), s.to_owned()))).collect(),
                other => vec![(k, other.to_string())],
            })
            .collect()
    } else {
        parse_pairs(body)
    };
    if pairs.iter().any(|(k, v)| k.contains('\0') || v.contains('\0')) {
        return Err(OidcError::invalid_request("request contains NUL bytes").into());
    }
    Ok(pairs)
}

/// One value of a parameter; sending it twice is an error (RFC 6749 §3.1).
fn single(params: &[(String, String)], name: &str) -> Result<Option<String>, OAuthError> {
    let mut values = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone());
    let first = values.next();
    if values.next().is_some() {
        return Err(OidcError::invalid_request(format!("'{name}' parameter must not be provided twice")).into());
    }
    Ok(first.filter(|v| !v.is_empty()))
}

/// `client_secret_basic` (RFC 6749 §2.3.1: both parts form-urlencoded) or the body's
/// `client_id`/`client_secret`; using both at once is refused.
fn client_authentication(headers: &HeaderMap, params: &[(String, String)]) -> Result<ClientAuthentication, OAuthError> {
    let body_id = single(params, "client_id")?;
    let body_secret = single(params, "client_secret")?;
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")));
    let Some(encoded) = basic else {
        return Ok(ClientAuthentication { client_id: body_id, client_secret: body_secret, basic: false });
    };
    let invalid = || OAuthError(OidcError::invalid_request("invalid authorization header value format"));
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| invalid())?;
    let decoded = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(invalid)?;
    let decode = |s: &str| form_urlencoded::parse(format!("v={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default();
    let (id, secret) = (decode(id), decode(secret));
    if body_id.as_ref().is_some_and(|b| *b != id) {
        return Err(OidcError::invalid_request("mismatch in body and authorization client ids").into());
    }
    if body_secret.is_some() {
        return Err(OidcError::invalid_request("client authentication must only be provided using one mechanism").into());
    }
    Ok(ClientAuthentication { client_id: Some(id), client_secret: Some(secret), basic: true })
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim().to_owned()).filter(|t| !t.is_empty())
}
