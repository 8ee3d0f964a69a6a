//! The Account API (`/api/my-account/*`) and security verification (`/api/verifications/*`):
//! thin adapters over `identity::account`. Callers are named by their own access token, from
//! any origin (the account center of an application's own front end calls it).

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use identity::account::{self, AccountChanges, AccountError, Caller};
use identity::sign_in_experience::IdentifierKind;
use serde::Deserialize;
use serde_json::{Map, Value};
use tower_http::cors::{Any, CorsLayer};

use super::error::ApiError;
use super::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/my-account", get(my_account).patch(update_account))
        .route("/api/my-account/profile", patch(update_profile))
        .route("/api/my-account/password", post(set_password))
        .route("/api/my-account/primary-email", post(set_primary_email).delete(remove_primary_email))
        .route("/api/my-account/primary-phone", post(set_primary_phone).delete(remove_primary_phone))
        .route("/api/my-account/mfa-verifications", get(mfa_factors).post(bind_mfa))
        .route("/api/my-account/mfa-verifications/totp-secret/generate", post(generate_totp_secret))
        .route("/api/my-account/mfa-verifications/backup-codes/generate", post(generate_backup_codes))
        .route("/api/my-account/mfa-verifications/backup-codes", get(backup_codes))
        .route("/api/my-account/mfa-verifications/{id}", axum::routing::delete(remove_mfa))
        .route("/api/my-account/mfa-verifications/{id}/name", patch(rename_passkey))
        .route("/api/my-account/mfa-settings", get(mfa_settings).patch(update_mfa_settings))
        .route("/api/my-account/logto-configs", get(logto_configs).patch(update_logto_configs))
        .route("/api/my-account/sessions", get(list_sessions))
        .route("/api/my-account/sessions/{id}", axum::routing::delete(end_session))
        .route("/api/my-account/grants", get(list_grants))
        .route("/api/my-account/grants/{id}", axum::routing::delete(revoke_grant))
        .route("/api/my-account/identities", post(add_identity).put(replace_identity))
        .route("/api/my-account/identities/{target}", axum::routing::delete(remove_identity))
        .route("/api/my-account/identities/{target}/access-token", get(social_access_token).put(replace_social_access_token))
        .route("/api/my-account/sso-identities/{connectorId}/access-token", get(sso_access_token))
        .route(account::identities::ACCOUNT_CENTER_CALLBACK, get(account_center_social_callback))
        .route("/api/verifications/social", post(start_social_verification))
        .route("/api/verifications/social/verify", post(verify_social))
        .route("/api/verifications/password", post(verify_password))
        .route("/api/verifications/verification-code", post(send_code))
        .route("/api/verifications/verification-code/verify", post(verify_code))
        .route("/api/verifications/web-authn/registration", post(start_passkey_registration))
        .route("/api/verifications/web-authn/registration/verify", post(verify_passkey_registration))
        .layer(CorsLayer::new().allow_origin(Any).allow_methods(Any).allow_headers(Any))
}

/// The caller, from `Authorization: Bearer <access token>`.
struct Account(Caller);

impl FromRequestParts<AppState> for Account {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let authorization = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        Ok(Account(account::authenticate(&state.provider, authorization).await.map_err(refused)?))
    }
}

/// The `logto-verification-id` header: a fresh verification record's id.
struct Proof(Option<String>);

impl FromRequestParts<AppState> for Proof {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        Ok(Proof(parts.headers.get("logto-verification-id").and_then(|v| v.to_str().ok()).map(str::to_owned)))
    }
}

/// Logto answers a write the token's scopes do not cover with 400, not 401.
fn refused(err: AccountError) -> ApiError {
    let bad_request = matches!(err, AccountError::ScopeMissing(_) | AccountError::IdentityTargetLinked);
    let data = match &err {
        AccountError::PasswordRejected(issues) => Some(serde_json::json!({ "result": false, "issues": issues.iter().map(|i| i.to_json()).collect::<Vec<_>>() })),
        _ => None,
    };
    let error = ApiError::from_code(&err).with_data(data);
    if bad_request { error.with_status(StatusCode::BAD_REQUEST) } else { error }
}

async fn my_account(State(state): State<AppState>, Account(caller): Account) -> Result<Json<Value>, ApiError> {
    Ok(Json(account::view(&caller, identities(&state, &caller).await?)))
}

async fn identities(state: &AppState, caller: &Caller) -> Result<Option<(Value, Value)>, ApiError> {
    if !account::shows_identities(caller) {
        return Ok(None);
    }
    Ok(Some(account::identities::view(&state.provider, caller).await.map_err(refused)?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StartSocial {
    connector_id: String,
    state: String,
    redirect_uri: String,
    /// Asked of the upstream instead of the connector's own scope (say, to grant more for
    /// token storage).
    #[serde(default)]
    scope: Option<String>,
}

async fn start_social_verification(State(state): State<AppState>, Account(caller): Account, JsonBody(body): JsonBody<StartSocial>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (record, uri) = account::identities::start(&state.provider, &caller, &body.connector_id, &body.state, &body.redirect_uri, body.scope.as_deref()).await.map_err(refused)?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "verificationRecordId": record.verification_record_id, "authorizationUri": uri, "expiresAt": record.expires_at }))))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VerifySocial {
    verification_record_id: String,
    connector_data: Map<String, Value>,
}

async fn verify_social(State(state): State<AppState>, Account(caller): Account, JsonBody(body): JsonBody<VerifySocial>) -> Result<Json<Value>, ApiError> {
    let id = account::identities::verify(&state.provider, &caller, &body.verification_record_id, &body.connector_data).await.map_err(refused)?;
    Ok(Json(serde_json::json!({ "verificationRecordId": id })))
}

/// The upstream's answer to a connection started in the account center: checked here (the
/// person is named by the IdP session), then the page asks to finish with the proof.
async fn account_center_social_callback(
    State(state): State<AppState>,
    jar: axum_extra::extract::CookieJar,
    axum::extract::Query(answer): axum::extract::Query<std::collections::BTreeMap<String, String>>,
) -> axum::response::Redirect {
    let answer: Map<String, Value> = answer.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    let cookie = |name: &str| jar.get(name).map(|c| c.value().to_owned());
    let verified = async {
        let caller = account::authenticate_session(&state.provider, cookie(super::cookies::SESSION).as_deref()).await?;
        let record = cookie(account::identities::ACCOUNT_CENTER_RECORD_COOKIE).unwrap_or_default();
        account::identities::verify(&state.provider, &caller, &record, &answer).await
    };
    match verified.await {
        Ok(_) => axum::response::Redirect::to("/account?link=social#connected"),
        Err(err) => {
            let code = identity::ErrorCode::code(&err);
            axum::response::Redirect::to(&format!("/account?social_error={}#connected", form_urlencoded::byte_serialize(code.as_bytes()).collect::<String>()))
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewIdentity {
    new_identifier_verification_record_id: String,
}

async fn add_identity(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof, JsonBody(body): JsonBody<NewIdentity>) -> Result<StatusCode, ApiError> {
    account::identities::link(&state.provider, &caller, proof.as_deref(), &body.new_identifier_verification_record_id, false).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn replace_identity(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof, JsonBody(body): JsonBody<NewIdentity>) -> Result<StatusCode, ApiError> {
    account::identities::link(&state.provider, &caller, proof.as_deref(), &body.new_identifier_verification_record_id, true).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_identity(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof, axum::extract::Path(target): axum::extract::Path<String>) -> Result<StatusCode, ApiError> {
    account::identities::unlink(&state.provider, &caller, proof.as_deref(), &target).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn social_access_token(State(state): State<AppState>, Account(caller): Account, axum::extract::Path(target): axum::extract::Path<String>) -> Result<Json<Value>, ApiError> {
    let holder = identity::token_vault::Holder::Social { target: &target };
    Ok(Json(account::identities::access_token(&state.provider, &caller, holder).await.map_err(refused)?))
}

async fn sso_access_token(State(state): State<AppState>, Account(caller): Account, axum::extract::Path(connector_id): axum::extract::Path<String>) -> Result<Json<Value>, ApiError> {
    let holder = identity::token_vault::Holder::Sso { connector_id: &connector_id };
    Ok(Json(account::identities::access_token(&state.provider, &caller, holder).await.map_err(refused)?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VerificationRecordId {
    verification_record_id: String,
}

async fn replace_social_access_token(
    State(state): State<AppState>,
    Account(caller): Account,
    axum::extract::Path(target): axum::extract::Path<String>,
    JsonBody(body): JsonBody<VerificationRecordId>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(account::identities::replace_access_token(&state.provider, &caller, &target, &body.verification_record_id).await.map_err(refused)?))
}

/// `absent` → unchanged, `null` → cleared, a string → set.
fn optional_text(body: &Map<String, Value>, key: &str) -> Result<Option<Option<String>>, ApiError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.len() <= 2048 => Ok(Some(Some(s.clone()))),
        Some(_) => Err(ApiError::invalid_input(format!("{key} must be a string (at most 2,048 bytes) or null"))),
    }
}

async fn update_account(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof, JsonBody(body): JsonBody<Map<String, Value>>) -> Result<Json<Value>, ApiError> {
    if let Some(unknown) = body.keys().find(|k| !["name", "avatar", "username", "customData"].contains(&k.as_str())) {
        return Err(ApiError::invalid_input(format!("unknown field {unknown}")));
    }
    let custom_data = match body.get("customData") {
        None => None,
        Some(Value::Object(data)) => Some(data.clone()),
        Some(_) => return Err(ApiError::invalid_input("customData must be an object")),
    };
    let changes = AccountChanges { name: optional_text(&body, "name")?, avatar: optional_text(&body, "avatar")?, username: optional_text(&body, "username")?, custom_data };
    let user = account::update(&state.provider, &caller, proof.as_deref(), changes).await.map_err(refused)?;
    let caller = Caller { user, ..caller };
    Ok(Json(account::view(&caller, identities(&state, &caller).await?)))
}

async fn update_profile(State(state): State<AppState>, Account(caller): Account, JsonBody(fields): JsonBody<Map<String, Value>>) -> Result<Json<identity::users::Profile>, ApiError> {
    Ok(Json(account::update_profile(&state.provider, &caller, fields).await.map_err(refused)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

async fn set_password(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof, JsonBody(body): JsonBody<PasswordBody>) -> Result<StatusCode, ApiError> {
    account::set_password(&state.provider, &caller, proof.as_deref(), &body.password).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn verify_password(State(state): State<AppState>, Account(caller): Account, JsonBody(body): JsonBody<PasswordBody>) -> Result<(StatusCode, Json<account::verification::CreatedRecord>), ApiError> {
    let record = account::verification::verify_password(&state.provider, &caller, &body.password).await.map_err(refused)?;
    Ok((StatusCode::CREATED, Json(record)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewEmail {
    email: String,
    new_identifier_verification_record_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewPhone {
    phone: String,
    new_identifier_verification_record_id: String,
}

async fn set_primary_email(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof, JsonBody(body): JsonBody<NewEmail>) -> Result<StatusCode, ApiError> {
    account::set_primary_identifier(&state.provider, &caller, proof.as_deref(), IdentifierKind::Email, &body.email, &body.new_identifier_verification_record_id).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_primary_phone(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof, JsonBody(body): JsonBody<NewPhone>) -> Result<StatusCode, ApiError> {
    account::set_primary_identifier(&state.provider, &caller, proof.as_deref(), IdentifierKind::Phone, &body.phone, &body.new_identifier_verification_record_id).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_primary_email(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof) -> Result<StatusCode, ApiError> {
    account::remove_primary_identifier(&state.provider, &caller, proof.as_deref(), IdentifierKind::Email).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_primary_phone(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof) -> Result<StatusCode, ApiError> {
    account::remove_primary_identifier(&state.provider, &caller, proof.as_deref(), IdentifierKind::Phone).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `{type: "email" | "phone", value}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeIdentifier {
    #[serde(rename = "type")]
    kind: IdentifierKind,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SendCode {
    identifier: CodeIdentifier,
    /// Logto's `BindMfa` / `UserPermissionValidation`; the address decides what the record proves.
    #[allow(dead_code)]
    template_type: Option<String>,
}

async fn send_code(State(state): State<AppState>, Account(caller): Account, JsonBody(body): JsonBody<SendCode>) -> Result<(StatusCode, Json<account::verification::CreatedRecord>), ApiError> {
    let record = account::verification::send_code(&state.provider, &caller, body.identifier.kind, &body.identifier.value, None).await.map_err(refused)?;
    Ok((StatusCode::CREATED, Json(record)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VerifyCode {
    identifier: CodeIdentifier,
    verification_id: String,
    code: String,
}

async fn verify_code(State(state): State<AppState>, Account(caller): Account, JsonBody(body): JsonBody<VerifyCode>) -> Result<Json<Value>, ApiError> {
    let id = account::verification::verify_code(&state.provider, &caller, body.identifier.kind, &body.identifier.value, &body.verification_id, &body.code).await.map_err(refused)?;
    Ok(Json(serde_json::json!({ "verificationRecordId": id })))
}

async fn mfa_factors(State(state): State<AppState>, Account(caller): Account) -> Result<Json<Vec<identity::mfa::BoundFactor>>, ApiError> {
    Ok(Json(account::mfa::factors(&state.provider, &caller).await.map_err(refused)?))
}

async fn generate_totp_secret(State(state): State<AppState>, Account(caller): Account) -> Result<Json<Value>, ApiError> {
    let (secret, qr) = account::mfa::generate_totp_secret(&state.provider, &caller).await.map_err(refused)?;
    Ok(Json(serde_json::json!({ "secret": secret, "secretQrCode": qr })))
}

async fn generate_backup_codes(State(state): State<AppState>, Account(caller): Account) -> Result<Json<Value>, ApiError> {
    let codes = account::mfa::generate_backup_codes(&state.provider, &caller).await.map_err(refused)?;
    Ok(Json(serde_json::json!({ "codes": codes })))
}

/// `{type: "Totp", secret, code?}`, `{type: "BackupCode", codes}` or `{type: "WebAuthn",
/// newIdentifierVerificationRecordId, name?}`.
#[derive(Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum NewFactor {
    Totp { secret: String, code: Option<String> },
    BackupCode { codes: Vec<String> },
    WebAuthn {
        #[serde(rename = "newIdentifierVerificationRecordId")]
        record: String,
        name: Option<String>,
    },
}

async fn bind_mfa(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof, JsonBody(body): JsonBody<NewFactor>) -> Result<StatusCode, ApiError> {
    match body {
        NewFactor::Totp { secret, code } => account::mfa::bind_totp(&state.provider, &caller, proof.as_deref(), &secret, code.as_deref()).await,
        NewFactor::BackupCode { codes } => account::mfa::bind_backup_codes(&state.provider, &caller, proof.as_deref(), &codes).await,
        NewFactor::WebAuthn { record, name } => account::passkeys::bind(&state.provider, &caller, proof.as_deref(), &record, name.as_deref()).await,
    }
    .map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_mfa(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof, axum::extract::Path(id): axum::extract::Path<String>) -> Result<StatusCode, ApiError> {
    account::mfa::remove(&state.provider, &caller, proof.as_deref(), &id).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_sessions(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof) -> Result<Json<Value>, ApiError> {
    Ok(Json(account::sessions::list(&state.provider, &caller, proof.as_deref()).await.map_err(refused)?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EndSession {
    /// `all` or `firstParty`; without it, tokens with `offline_access` live on.
    revoke_grants_target: Option<String>,
}

async fn end_session(
    State(state): State<AppState>,
    Account(caller): Account,
    Proof(proof): Proof,
    axum::extract::Path(id): axum::extract::Path<String>,
    axum::extract::Query(query): axum::extract::Query<EndSession>,
) -> Result<StatusCode, ApiError> {
    let revoke = account::sessions::RevokeGrants::from_query(query.revoke_grants_target.as_deref()).ok_or_else(|| ApiError::invalid_input("revokeGrantsTarget is all or firstParty"))?;
    account::sessions::end(&state.provider, &caller, proof.as_deref(), &id, revoke).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GrantFilter {
    /// `firstParty` or `thirdParty`; without it, every grant.
    app_type: Option<String>,
}

async fn list_grants(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof, axum::extract::Query(filter): axum::extract::Query<GrantFilter>) -> Result<Json<Value>, ApiError> {
    let app_type = account::sessions::AppType::from_query(filter.app_type.as_deref()).ok_or_else(|| ApiError::invalid_input("appType is firstParty or thirdParty"))?;
    Ok(Json(account::sessions::grants(&state.provider, &caller, proof.as_deref(), app_type).await.map_err(refused)?))
}

async fn revoke_grant(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof, axum::extract::Path(id): axum::extract::Path<String>) -> Result<StatusCode, ApiError> {
    account::sessions::revoke_grant(&state.provider, &caller, proof.as_deref(), &id).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn mfa_settings(State(state): State<AppState>, Account(caller): Account) -> Result<Json<Value>, ApiError> {
    let skip = account::mfa::skips_verification(&state.provider, &caller).await.map_err(refused)?;
    Ok(Json(serde_json::json!({ "skipMfaOnSignIn": skip })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MfaSettings {
    skip_mfa_on_sign_in: bool,
}

async fn update_mfa_settings(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof, JsonBody(body): JsonBody<MfaSettings>) -> Result<Json<Value>, ApiError> {
    let skip = account::mfa::set_skip_verification(&state.provider, &caller, proof.as_deref(), body.skip_mfa_on_sign_in).await.map_err(refused)?;
    Ok(Json(serde_json::json!({ "skipMfaOnSignIn": skip })))
}

async fn logto_configs(State(state): State<AppState>, Account(caller): Account) -> Result<Json<Value>, ApiError> {
    Ok(Json(account::mfa::logto_configs(&state.provider, &caller).await.map_err(refused)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Skipped {
    skipped: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LogtoConfigs {
    mfa: Option<Skipped>,
    passkey_sign_in: Option<Skipped>,
}

async fn update_logto_configs(State(state): State<AppState>, Account(caller): Account, JsonBody(body): JsonBody<LogtoConfigs>) -> Result<Json<Value>, ApiError> {
    let (mfa, passkey) = (body.mfa.map(|m| m.skipped), body.passkey_sign_in.map(|p| p.skipped));
    Ok(Json(account::mfa::update_logto_configs(&state.provider, &caller, mfa, passkey).await.map_err(refused)?))
}

/// Never the codes (they are stored hashed): a 404, as Logto answers an account without any.
async fn backup_codes(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof) -> Result<Json<Value>, ApiError> {
    let codes = account::mfa::backup_codes(&state.provider, &caller, proof.as_deref()).await.map_err(|err| {
        let not_found = matches!(err, AccountError::RecordNotFound);
        let error = refused(err);
        if not_found { error.with_status(StatusCode::NOT_FOUND) } else { error }
    })?;
    Ok(Json(serde_json::json!({ "codes": codes })))
}

async fn start_passkey_registration(State(state): State<AppState>, Account(caller): Account) -> Result<(StatusCode, Json<Value>), ApiError> {
    Ok((StatusCode::CREATED, Json(account::passkeys::start_registration(&state.provider, &caller).await.map_err(refused)?)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PasskeyAnswer {
    verification_record_id: String,
    payload: Value,
}

async fn verify_passkey_registration(State(state): State<AppState>, Account(caller): Account, headers: axum::http::HeaderMap, JsonBody(body): JsonBody<PasskeyAnswer>) -> Result<Json<Value>, ApiError> {
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let record = account::passkeys::verify_registration(&state.provider, &caller, &body.verification_record_id, &body.payload, agent).await.map_err(refused)?;
    Ok(Json(serde_json::json!({ "verificationRecordId": record.verification_record_id })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasskeyName {
    name: String,
}

async fn rename_passkey(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof, axum::extract::Path(id): axum::extract::Path<String>, JsonBody(body): JsonBody<PasskeyName>) -> Result<StatusCode, ApiError> {
    account::passkeys::rename(&state.provider, &caller, proof.as_deref(), &id, &body.name).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}
