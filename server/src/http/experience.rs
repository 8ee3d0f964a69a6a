//! `/api/experience/*`: thin adapters from HTTP to `identity::experience`. Every call finds
//! its interaction through the `_interaction` cookie.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use identity::experience::{self, Identified, Identifier, InteractionEvent, ProfileInput};
use serde::Deserialize;
use serde_json::{json, Value};

use super::cookies;
use super::error::ApiError;
use super::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/experience", put(start))
        .route("/api/experience/interaction-event", put(set_event))
        .route("/api/experience/interaction", get(current))
        .route("/api/experience/verification/password", post(verify_password))
        .route("/api/experience/verification/verification-code", post(send_code))
        .route("/api/experience/verification/verification-code/verify", post(verify_code))
        .route("/api/experience/verification/new-password-identity", post(new_password_identity))
        .route("/api/experience/verification/one-time-token/verify", post(verify_one_time_token))
        .route("/api/experience/verification/social/{connector_id}/authorization-uri", post(social_authorization_uri))
        .route("/api/experience/verification/social/{connector_id}/verify", post(verify_social))
        .route("/api/experience/verification/sso/{connector_id}/authorization-uri", post(sso_authorization_uri))
        .route("/api/experience/verification/sso/{connector_id}/verify", post(verify_sso))
        .route("/api/authn/single-sign-on/saml/{connector_id}", post(saml_assertion_consumer))
        .route("/api/experience/identification", post(identify))
        // POST is Logto's; PATCH is accepted too (the same partial update).
        .route("/api/experience/profile", post(add_profile).patch(add_profile))
        .route("/api/experience/profile/password", put(reset_password))
        .route("/api/experience/submit", post(submit))
        .route("/api/interaction/consent", get(consent_info).post(consent))
        .route("/api/experience/verification/totp/secret", post(create_totp_secret))
        .route("/api/experience/verification/totp/verify", post(verify_totp))
        .route("/api/experience/verification/backup-code/generate", post(generate_backup_codes))
        .route("/api/experience/verification/backup-code/verify", post(verify_backup_code))
        .route("/api/experience/profile/mfa", post(bind_mfa))
        .route("/api/experience/profile/mfa/mfa-skipped", post(skip_mfa))
        .route("/api/experience/profile/mfa/mfa-enabled", post(choose_mfa))
        .route("/api/experience/profile/mfa/mfa-suggestion-skipped", post(skip_mfa_suggestion))
        .route("/api/experience/profile/mfa/passkey", post(bind_passkey_for_sign_in))
        .route("/api/experience/profile/mfa/passkey-skipped", post(skip_passkey))
        .route("/api/experience/verification/web-authn/registration", post(start_web_authn_registration))
        .route("/api/experience/verification/web-authn/registration/verify", post(verify_web_authn_registration))
        .route("/api/experience/verification/web-authn/authentication", post(start_web_authn_authentication))
        .route("/api/experience/verification/web-authn/authentication/verify", post(verify_web_authn_authentication))
        .route("/api/experience/preflight/sign-in-passkey/authentication", post(preflight_passkey_sign_in))
        .route("/api/experience/verification/sign-in-passkey/authentication", post(start_passkey_sign_in))
        .route("/api/experience/verification/sign-in-passkey/authentication/verify", post(verify_passkey_sign_in))
        // The same endpoints under the names newer Logto releases use.
        .route("/api/experience/preflight/sign-in-web-authn/authentication", post(preflight_passkey_sign_in))
        .route("/api/experience/verification/sign-in-web-authn/authentication", post(start_passkey_sign_in))
        .route("/api/experience/verification/sign-in-web-authn/authentication/verify", post(verify_passkey_sign_in))
        .route("/api/.well-known/sign-in-exp", get(public_sign_in_experience))
        .route("/api/experience/sso-connectors", get(sso_connectors_for_email))
}

fn interaction(jar: &CookieJar) -> Option<&str> {
    cookies::value(jar, cookies::INTERACTION)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventBody {
    interaction_event: InteractionEvent,
    /// Vestibule's addition: registration under a manual terms policy needs it.
    #[serde(default)]
    agree_to_terms: bool,
}

async fn start(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<EventBody>) -> Result<StatusCode, ApiError> {
    experience::start(&state.provider, interaction(&jar), body.interaction_event, body.agree_to_terms).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_event(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<EventBody>) -> Result<StatusCode, ApiError> {
    experience::set_event(&state.provider, interaction(&jar), body.interaction_event, body.agree_to_terms).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn current(State(state): State<AppState>, jar: CookieJar) -> Result<Json<Value>, ApiError> {
    Ok(Json(experience::current(&state.provider, interaction(&jar)).await?))
}

#[derive(Deserialize)]
struct PasswordBody {
    identifier: Identifier,
    password: String,
}

async fn verify_password(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<PasswordBody>) -> Result<Json<Value>, ApiError> {
    let id = experience::verify_password(&state.provider, interaction(&jar), body.identifier, &body.password).await?;
    Ok(Json(json!({ "verificationId": id })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendCodeBody {
    identifier: Identifier,
    interaction_event: InteractionEvent,
}

async fn send_code(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, JsonBody(body): JsonBody<SendCodeBody>) -> Result<Json<Value>, ApiError> {
    let language = super::preferred_language(&headers);
    let id = experience::send_code(&state.provider, interaction(&jar), body.identifier, body.interaction_event, language.as_deref()).await?;
    Ok(Json(json!({ "verificationId": id })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyCodeBody {
    identifier: Identifier,
    verification_id: String,
    code: String,
}

async fn verify_code(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<VerifyCodeBody>) -> Result<Json<Value>, ApiError> {
    let id = experience::verify_code(&state.provider, interaction(&jar), body.identifier, &body.verification_id, &body.code).await?;
    Ok(Json(json!({ "verificationId": id })))
}

async fn new_password_identity(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<PasswordBody>) -> Result<Json<Value>, ApiError> {
    let id = experience::new_password_identity(&state.provider, interaction(&jar), body.identifier, &body.password).await?;
    Ok(Json(json!({ "verificationId": id })))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct IdentificationBody {
    verification_id: Option<String>,
    #[serde(default)]
    link_social_identity: bool,
}

async fn identify(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<IdentificationBody>) -> Result<StatusCode, ApiError> {
    match experience::identify_linking(&state.provider, interaction(&jar), body.verification_id.as_deref(), body.link_social_identity).await? {
        Identified::Existing => Ok(StatusCode::NO_CONTENT),
        Identified::Registered => Ok(StatusCode::CREATED),
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
enum ProfileBody {
    Username { value: String },
    Password { value: String },
    #[serde(rename_all = "camelCase")]
    Email { verification_id: String },
    #[serde(rename_all = "camelCase")]
    Phone { verification_id: String },
    #[serde(rename_all = "camelCase")]
    Social { verification_id: String },
}

async fn add_profile(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<ProfileBody>) -> Result<StatusCode, ApiError> {
    let input = match body {
        ProfileBody::Username { value } => ProfileInput::Username(value),
        ProfileBody::Password { value } => ProfileInput::Password(value),
        ProfileBody::Email { verification_id } => ProfileInput::Email { verification_id },
        ProfileBody::Phone { verification_id } => ProfileInput::Phone { verification_id },
        ProfileBody::Social { verification_id } => ProfileInput::Social { verification_id },
    };
    experience::add_profile(&state.provider, interaction(&jar), input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct NewPasswordBody {
    password: String,
}

async fn reset_password(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<NewPasswordBody>) -> Result<StatusCode, ApiError> {
    experience::reset_password(&state.provider, interaction(&jar), &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn submit(State(state): State<AppState>, jar: CookieJar) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    match experience::submit(&state.provider, interaction(&jar)).await? {
        Some(redirect_to) => Ok(Json(json!({ "redirectTo": redirect_to })).into_response()),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `GET /api/interaction/consent` (spec §9): what a third-party application asks.
async fn consent_info(State(state): State<AppState>, jar: CookieJar) -> Result<Json<identity::oidc::consent::ConsentInfo>, ApiError> {
    Ok(Json(identity::oidc::consent::info(&state.provider, interaction(&jar)).await.map_err(|e| ApiError::from_code(&e))?))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ConsentBody {
    #[serde(default)]
    organization_ids: Vec<String>,
}

/// `POST /api/interaction/consent {organizationIds?}`: the user agrees; on to `redirectTo`.
async fn consent(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<ConsentBody>) -> Result<Json<Value>, ApiError> {
    let redirect_to = identity::oidc::consent::approve(&state.provider, interaction(&jar), &body.organization_ids).await.map_err(|e| ApiError::from_code(&e))?;
    Ok(Json(json!({ "redirectTo": redirect_to })))
}

#[derive(Deserialize)]
struct EmailQuery {
    email: Option<String>,
}

/// `GET /api/experience/sso-connectors?email=`: the enterprise connectors for the address's
/// domain (no interaction needed: the identifier page asks as the person types).
async fn sso_connectors_for_email(State(state): State<AppState>, axum::extract::Query(query): axum::extract::Query<EmailQuery>) -> Result<Json<Value>, ApiError> {
    let sie = state.provider.sign_in_experience().await.map_err(|e| ApiError::from_code(&e))?;
    let found = identity::sso::for_email(&state.provider, &sie, query.email.as_deref().unwrap_or_default()).await.map_err(|e| ApiError::from_code(&e))?;
    Ok(Json(json!({ "connectorIds": found.iter().map(|c| &c.id).collect::<Vec<_>>() })))
}

/// `GET /api/.well-known/sign-in-exp`: what sign-in pages (ours or a customer's) need.
async fn public_sign_in_experience(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let sie = state.provider.sign_in_experience().await.map_err(|e| ApiError::from_code(&e))?;
    let mut body = serde_json::to_value(&sie).expect("configuration serializes");
    body["forgotPassword"] = json!({
        "email": sie.allows_password_reset_by(identity::sign_in_experience::IdentifierKind::Email),
        "phone": sie.allows_password_reset_by(identity::sign_in_experience::IdentifierKind::Phone),
    });
    let offered = identity::social::offered(&state.provider, &sie).await.map_err(|e| ApiError::from_code(&e))?;
    body["socialConnectors"] = offered.iter().map(|c| c.to_public_json()).collect();
    let sso = identity::sso::offered(&state.provider, &sie).await.map_err(|e| ApiError::from_code(&e))?;
    body["ssoConnectors"] = sso.iter().map(|c| c.to_public_json()).collect();
    Ok(Json(body))
}

async fn create_totp_secret(State(state): State<AppState>, jar: CookieJar) -> Result<Json<Value>, ApiError> {
    Ok(Json(experience::mfa::create_totp_secret(&state.provider, interaction(&jar)).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MfaCodeBody {
    code: String,
    verification_id: Option<String>,
}

async fn verify_totp(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<MfaCodeBody>) -> Result<Json<Value>, ApiError> {
    let id = experience::mfa::verify_totp(&state.provider, interaction(&jar), &body.code, body.verification_id.as_deref()).await?;
    Ok(Json(json!({ "verificationId": id })))
}

async fn generate_backup_codes(State(state): State<AppState>, jar: CookieJar) -> Result<Json<Value>, ApiError> {
    Ok(Json(experience::mfa::generate_backup_codes(&state.provider, interaction(&jar)).await?))
}

async fn verify_backup_code(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<MfaCodeBody>) -> Result<Json<Value>, ApiError> {
    let id = experience::mfa::verify_backup_code(&state.provider, interaction(&jar), &body.code).await?;
    Ok(Json(json!({ "verificationId": id })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BindMfaBody {
    #[serde(rename = "type")]
    factor: identity::mfa::MfaFactor,
    verification_id: String,
}

async fn bind_mfa(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<BindMfaBody>) -> Result<StatusCode, ApiError> {
    experience::mfa::bind(&state.provider, interaction(&jar), body.factor, &body.verification_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn skip_mfa(State(state): State<AppState>, jar: CookieJar) -> Result<StatusCode, ApiError> {
    experience::mfa::skip(&state.provider, interaction(&jar)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn choose_mfa(State(state): State<AppState>, jar: CookieJar) -> Result<StatusCode, ApiError> {
    experience::mfa::choose_mfa(&state.provider, interaction(&jar)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn skip_mfa_suggestion(State(state): State<AppState>, jar: CookieJar) -> Result<StatusCode, ApiError> {
    experience::mfa::skip_suggestion(&state.provider, interaction(&jar)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerificationIdBody {
    verification_id: String,
}

async fn bind_passkey_for_sign_in(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<VerificationIdBody>) -> Result<StatusCode, ApiError> {
    experience::passkey::bind_for_sign_in(&state.provider, interaction(&jar), &body.verification_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn skip_passkey(State(state): State<AppState>, jar: CookieJar) -> Result<StatusCode, ApiError> {
    experience::passkey::skip_for_sign_in(&state.provider, interaction(&jar)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A WebAuthn answer: the browser's `PublicKeyCredential.toJSON()`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebAuthnAnswer {
    verification_id: Option<String>,
    payload: Value,
}

impl WebAuthnAnswer {
    fn id(&self) -> Result<&str, ApiError> {
        self.verification_id.as_deref().ok_or_else(|| ApiError::invalid_input("verificationId is required"))
    }
}

async fn start_web_authn_registration(State(state): State<AppState>, jar: CookieJar) -> Result<Json<Value>, ApiError> {
    Ok(Json(experience::passkey::start_registration(&state.provider, interaction(&jar)).await?))
}

async fn verify_web_authn_registration(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, JsonBody(body): JsonBody<WebAuthnAnswer>) -> Result<Json<Value>, ApiError> {
    let id = experience::passkey::verify_registration(&state.provider, interaction(&jar), body.id()?, &body.payload, super::hosted::user_agent(&headers)).await?;
    Ok(Json(json!({ "verificationId": id })))
}

async fn start_web_authn_authentication(State(state): State<AppState>, jar: CookieJar) -> Result<Json<Value>, ApiError> {
    Ok(Json(experience::passkey::start_authentication(&state.provider, interaction(&jar)).await?))
}

async fn verify_web_authn_authentication(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<WebAuthnAnswer>) -> Result<Json<Value>, ApiError> {
    let id = experience::passkey::verify_authentication(&state.provider, interaction(&jar), body.id()?, &body.payload).await?;
    Ok(Json(json!({ "verificationId": id })))
}

async fn preflight_passkey_sign_in(State(state): State<AppState>, jar: CookieJar) -> Result<Json<Value>, ApiError> {
    Ok(Json(experience::passkey::preflight_sign_in(&state.provider, interaction(&jar)).await?))
}

#[derive(Deserialize)]
struct PasskeySignInBody {
    identifier: Identifier,
}

async fn start_passkey_sign_in(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<PasskeySignInBody>) -> Result<Json<Value>, ApiError> {
    Ok(Json(experience::passkey::start_sign_in(&state.provider, interaction(&jar), &body.identifier).await?))
}

async fn verify_passkey_sign_in(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<WebAuthnAnswer>) -> Result<Json<Value>, ApiError> {
    let id = experience::passkey::verify_sign_in(&state.provider, interaction(&jar), body.verification_id.as_deref(), &body.payload).await?;
    Ok(Json(json!({ "verificationId": id })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OneTimeTokenBody {
    identifier: Identifier,
    token: String,
}

async fn verify_one_time_token(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<OneTimeTokenBody>) -> Result<Json<Value>, ApiError> {
    let id = experience::one_time_token::verify(&state.provider, interaction(&jar), body.identifier, &body.token).await?;
    Ok(Json(json!({ "verificationId": id })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SocialStart {
    state: String,
    redirect_uri: String,
}

async fn social_authorization_uri(
    State(state): State<AppState>,
    jar: CookieJar,
    axum::extract::Path(connector_id): axum::extract::Path<String>,
    JsonBody(body): JsonBody<SocialStart>,
) -> Result<Json<Value>, ApiError> {
    let (uri, id) = experience::social::authorization_uri(&state.provider, interaction(&jar), &connector_id, &body.state, &body.redirect_uri).await?;
    Ok(Json(json!({ "authorizationUri": uri, "verificationId": id })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SocialAnswer {
    connector_data: serde_json::Map<String, Value>,
    verification_id: String,
}

async fn verify_social(
    State(state): State<AppState>,
    jar: CookieJar,
    axum::extract::Path(connector_id): axum::extract::Path<String>,
    JsonBody(body): JsonBody<SocialAnswer>,
) -> Result<Json<Value>, ApiError> {
    let id = experience::social::verify(&state.provider, interaction(&jar), &connector_id, &body.verification_id, &body.connector_data).await?;
    Ok(Json(json!({ "verificationId": id })))
}

async fn sso_authorization_uri(
    State(state): State<AppState>,
    jar: CookieJar,
    axum::extract::Path(connector_id): axum::extract::Path<String>,
    JsonBody(body): JsonBody<SocialStart>,
) -> Result<Json<Value>, ApiError> {
    let idp_session = cookies::value(&jar, identity::sso::idp_initiated::SESSION_COOKIE);
    let (uri, id) = experience::sso::authorization_uri(&state.provider, interaction(&jar), &connector_id, &body.state, &body.redirect_uri, idp_session).await?;
    Ok(Json(json!({ "authorizationUri": uri, "verificationId": id })))
}

async fn verify_sso(
    State(state): State<AppState>,
    jar: CookieJar,
    axum::extract::Path(connector_id): axum::extract::Path<String>,
    JsonBody(body): JsonBody<SocialAnswer>,
) -> Result<Json<Value>, ApiError> {
    let id = experience::sso::verify(&state.provider, interaction(&jar), &connector_id, &body.verification_id, &body.connector_data).await?;
    Ok(Json(json!({ "verificationId": id })))
}

/// The HTTP-POST binding's form.
#[derive(Deserialize)]
struct SamlPost {
    #[serde(rename = "SAMLResponse")]
    saml_response: String,
    #[serde(rename = "RelayState", default)]
    relay_state: Option<String>,
}

/// The SAML assertion consumer service: the IdP's answer, posted by the browser from the
/// IdP's site. A browser that is refused lands on the single sign-on page, which explains
/// why in its language; other clients get the error itself.
async fn saml_assertion_consumer(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    axum::extract::Path(connector_id): axum::extract::Path<String>,
    form: Result<axum::Form<SamlPost>, axum::extract::rejection::FormRejection>,
) -> Result<(CookieJar, axum::response::Redirect), ApiError> {
    // A post without a SAMLResponse is the sender's mistake, answered with a stable code.
    let axum::Form(form) = form.map_err(|_| ApiError::invalid_input("the HTTP-POST binding's SAMLResponse is required"))?;
    let relay_state = form.relay_state.as_deref().filter(|r| !r.is_empty()).unwrap_or_default();
    let result = experience::sso::consume_saml_response(&state.provider, &connector_id, &form.saml_response, relay_state).await;
    let wants_page = headers.get(axum::http::header::ACCEPT).and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    match result {
        Ok(experience::sso::AcsOutcome::Continue(location)) => Ok((jar, axum::response::Redirect::to(&location))),
        // Lax, not Logto's Strict: the cookie must ride the redirects that follow the IdP's
        // cross-site post, up to our sign-in page, which uses it.
        Ok(experience::sso::AcsOutcome::IdpInitiated { session_token, location }) => {
            let secure = state.provider.endpoint.starts_with("https://");
            Ok((jar.add(cookies::secret_cookie(identity::sso::idp_initiated::SESSION_COOKIE, session_token, secure)), axum::response::Redirect::to(&location)))
        }
        Err(err) if wants_page && !matches!(err, experience::ExperienceError::Provider(_)) => {
            Ok((jar, axum::response::Redirect::to(&format!("/single-sign-on?error={}", identity::ErrorCode::code(&err)))))
        }
        Err(err) => Err(err.into()),
    }
}
