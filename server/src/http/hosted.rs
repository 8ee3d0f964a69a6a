//! The hosted pages' forms (they work without JavaScript): each post runs one
//! `identity::experience::hosted` flow and redirects to the next page, or back to the form
//! with the error's code (explained there in the user's language). Passwords and codes are
//! never echoed back or logged.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use identity::experience::hosted::{self, CodeFlow, Next};
use identity::experience::ExperienceError;
use identity::ErrorCode;
use serde::Deserialize;

use super::cookies;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in", post(sign_in))
        .route("/sign-in/code", post(sign_in_code))
        .route("/register", post(register))
        .route("/verify-code", post(verify_code))
        .route("/verify-code/resend", post(resend_code))
        .route("/continue", post(complete_profile))
        .route("/continue/code", post(profile_code))
        .route("/reset-password", post(reset_password))
        .route("/reset-password/new", post(new_password))
        .route("/mfa/verify", post(verify_mfa))
        .route("/mfa/bind/totp", post(bind_totp))
        .route("/mfa/skip", post(skip_mfa))
        .route("/mfa/backup-codes", post(confirm_backup_codes))
        .route("/sign-in/passkey", post(sign_in_with_passkey))
        .route("/mfa/verify/passkey", post(verify_mfa_with_passkey))
        .route("/mfa/bind/passkey", post(bind_mfa_passkey))
        .route("/passkey/create", post(create_sign_in_passkey))
        .route("/passkey/skip", post(skip_passkey))
        .route("/one-time-token", post(use_one_time_token))
        .route("/sign-in/link", post(sign_in_link))
        .route("/sign-in/social/{connector_id}", post(start_social))
        .route("/callback/{connector_id}", get(social_callback).post(social_form_post))
        .route("/social/link", post(link_social))
        .route("/social/register", post(register_social_instead))
        .route("/direct/{method}/{target}", get(direct_sign_in))
        .route("/single-sign-on", post(single_sign_on))
        .route("/sign-in/sso/{connector_id}", post(start_sso))
        .route("/callback/sso/{connector_id}", get(sso_callback))
        .route("/consent", post(approve_consent))
        .route("/consent/cancel", post(refuse_consent))
}

/// The consent page's "Authorize": on with the authorization request, or back to the page
/// with the reason. `organization_ids` repeats, one per organization ticked.
async fn approve_consent(State(state): State<AppState>, jar: CookieJar, body: String) -> Redirect {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let organization_ids: Vec<String> = pairs.iter().filter(|(k, _)| k == "organization_ids").map(|(_, v)| v.clone()).collect();
    match identity::oidc::consent::approve(&state.provider, cookies::value(&jar, cookies::INTERACTION), &organization_ids).await {
        Ok(location) => Redirect::to(&location),
        Err(err) => {
            let locale = pairs.iter().find(|(k, _)| k == "locale").map(|(_, v)| v.as_str()).filter(|l| super::is_language_tag(l));
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("error", err.code());
            if let Some(locale) = locale {
                query.append_pair("ui_locales", locale);
            }
            Redirect::to(&format!("/consent?{}", query.finish()))
        }
    }
}

/// "Cancel": the application hears `access_denied`.
async fn refuse_consent(State(state): State<AppState>, jar: CookieJar) -> Redirect {
    match identity::oidc::consent::refuse(&state.provider, cookies::value(&jar, cookies::INTERACTION)).await {
        Ok(location) => Redirect::to(&location),
        Err(err) => Redirect::to(&format!("/consent?error={}", err.code())),
    }
}

/// Every form's fields; each form sends the ones it has.
#[derive(Deserialize, Default)]
pub struct HostedForm {
    #[serde(default, alias = "username")]
    identifier: String,
    #[serde(default)]
    new_username: Option<String>,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    agree: Option<String>,
    /// The profile page's list of what is missing, kept when the page comes back with an error.
    #[serde(default)]
    missing: String,
    /// MFA pages: the factors offered, and the one used (`Totp` or `BackupCode`).
    #[serde(default)]
    factors: String,
    #[serde(default)]
    factor: String,
    #[serde(default)]
    skippable: String,
    /// The binding page shows the suggestion of a factor beside a passkey.
    #[serde(default)]
    suggestion: String,
    #[serde(default)]
    locale: Option<String>,
    /// Passkey forms: the ceremony the page started and the browser's answer to it
    /// (`PublicKeyCredential.toJSON()`, filled in by the page's script).
    #[serde(default)]
    verification_id: String,
    #[serde(default)]
    credential: String,
    /// The magic-link page: the link's one-time token (its address is `identifier`).
    #[serde(default)]
    one_time_token: String,
}

impl HostedForm {
    fn agreed(&self) -> bool {
        self.agree.is_some()
    }

    /// The browser's WebAuthn answer; anything unreadable fails verification like a wrong one.
    fn credential(&self) -> serde_json::Value {
        serde_json::from_str(&self.credential).unwrap_or(serde_json::Value::Null)
    }
}

/// The flow's context for one request.
struct Step<'a> {
    cookie: Option<&'a str>,
    language: Option<String>,
}

impl<'a> Step<'a> {
    fn new(jar: &'a CookieJar, headers: &HeaderMap, form: &HostedForm) -> Self {
        let language = form.locale.clone().filter(|l| super::is_language_tag(l)).or_else(|| super::preferred_language(headers));
        Self { cookie: cookies::value(jar, cookies::INTERACTION), language }
    }
}

async fn sign_in(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::sign_in_with_password(&state.provider, step.cookie, &form.identifier, &form.password, form.agreed()).await;
    respond(&step, result, "/sign-in", &[("entered", &form.identifier)])
}

async fn sign_in_code(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::send_code_for(&state.provider, step.cookie, CodeFlow::SignIn, &form.identifier, form.agreed(), step.language.as_deref()).await;
    respond(&step, result, "/sign-in/code", &[("entered", &form.identifier)])
}

async fn register(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = match form.new_username.as_deref() {
        Some(username) => hosted::register_with_username(&state.provider, step.cookie, username, &form.password, form.agreed()).await,
        None => hosted::send_code_for(&state.provider, step.cookie, CodeFlow::Register, &form.identifier, form.agreed(), step.language.as_deref()).await,
    };
    let kept = form.new_username.as_deref().unwrap_or(&form.identifier);
    respond(&step, result, "/register", &[("entered", kept)])
}

/// "Continue with …": to the upstream, or back to the sign-in form with the reason.
async fn start_social(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, axum::extract::Path(connector_id): axum::extract::Path<String>, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::start_social(&state.provider, step.cookie, &connector_id, form.agreed()).await.map(Next::Upstream);
    respond(&step, result, "/sign-in", &[])
}

type CallbackQuery = axum::extract::Query<std::collections::BTreeMap<String, String>>;

/// What an upstream sent back to a callback, as the Experience API's `connectorData`.
fn upstream_answer(axum::extract::Query(answer): CallbackQuery) -> serde_json::Map<String, serde_json::Value> {
    answer.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect()
}

/// The upstream's answer (`code` and `state`, or `error`), whatever else it sends.
async fn social_callback(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    axum::extract::Path(connector_id): axum::extract::Path<String>,
    query: CallbackQuery,
) -> Redirect {
    let step = Step::new(&jar, &headers, &HostedForm::default());
    let result = hosted::finish_social(&state.provider, step.cookie, &connector_id, &upstream_answer(query)).await;
    respond(&step, result, "/sign-in", &[])
}

/// An upstream that answers with a form post (Apple's `response_mode=form_post`) comes from
/// another site, so the browser sends no SameSite=Lax interaction cookie with it: the answer
/// goes on to the same address as a top-level GET, which carries the cookie (as Logto does).
async fn social_form_post(axum::extract::Path(connector_id): axum::extract::Path<String>, Form(answer): Form<std::collections::BTreeMap<String, String>>) -> Redirect {
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(answer.iter()).finish();
    let connector = form_urlencoded::byte_serialize(connector_id.as_bytes()).collect::<String>();
    Redirect::to(&format!("/callback/{connector}?{query}"))
}

/// The `/single-sign-on` page's work email: to its organization's identity provider.
async fn single_sign_on(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::sign_in_with_sso_email(&state.provider, step.cookie, &form.identifier, form.agreed()).await;
    respond(&step, result, "/single-sign-on", &[("entered", &form.identifier)])
}

/// One connector chosen among the address's organization's identity providers.
async fn start_sso(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, axum::extract::Path(connector_id): axum::extract::Path<String>, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let idp_session = cookies::value(&jar, identity::sso::idp_initiated::SESSION_COOKIE);
    let result = hosted::start_sso(&state.provider, step.cookie, &connector_id, form.agreed(), idp_session).await.map(Next::Upstream);
    respond(&step, result, "/single-sign-on", &[("entered", &form.identifier)])
}

/// The identity provider's answer (`code` and `state`, or `error`).
async fn sso_callback(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    axum::extract::Path(connector_id): axum::extract::Path<String>,
    query: CallbackQuery,
) -> Redirect {
    let step = Step::new(&jar, &headers, &HostedForm::default());
    let result = hosted::finish_sso(&state.provider, step.cookie, &connector_id, &upstream_answer(query)).await;
    respond(&step, result, "/single-sign-on", &[])
}

/// The link-or-create page's two buttons.
async fn link_social(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::link_social(&state.provider, step.cookie).await;
    respond(&step, result, "/sign-in", &[])
}

async fn register_social_instead(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::register_social_instead(&state.provider, step.cookie).await;
    respond(&step, result, "/sign-in", &[])
}

async fn sign_in_link(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::send_sign_in_link(&state.provider, step.cookie, &form.identifier, form.agreed(), step.language.as_deref()).await;
    // The link's button sits beside the code form's.
    respond(&step, result, "/sign-in/code", &[("entered", &form.identifier)])
}

/// The magic-link page's button: the link is used only when the person asks (a mail
/// scanner following the link uses nothing).
async fn use_one_time_token(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::use_one_time_token(&state.provider, step.cookie, &form.identifier, &form.one_time_token, form.agreed()).await;
    respond(&step, result, "/one-time-token", &[("one_time_token", &form.one_time_token), ("login_hint", &form.identifier)])
}

async fn verify_code(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::submit_code(&state.provider, step.cookie, &form.code).await;
    respond(&step, result, "/verify-code", &[("to", &form.identifier)])
}

async fn resend_code(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::resend_code(&state.provider, step.cookie, step.language.as_deref()).await;
    respond(&step, result, "/verify-code", &[("to", &form.identifier)])
}

async fn complete_profile(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let password = (!form.password.is_empty()).then_some(form.password.as_str());
    let result = hosted::complete_profile(&state.provider, step.cookie, form.new_username.as_deref(), password).await;
    respond(&step, result, "/continue", &[("missing", &form.missing)])
}

async fn profile_code(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::send_profile_code(&state.provider, step.cookie, &form.identifier, step.language.as_deref()).await;
    respond(&step, result, "/continue", &[("missing", &form.missing), ("entered", &form.identifier)])
}

async fn reset_password(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::send_code_for(&state.provider, step.cookie, CodeFlow::ResetPassword, &form.identifier, false, step.language.as_deref()).await;
    respond(&step, result, "/reset-password", &[("entered", &form.identifier)])
}

async fn new_password(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::set_new_password(&state.provider, step.cookie, &form.password).await;
    respond(&step, result, "/reset-password/new", &[])
}

async fn verify_mfa(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let factor = if form.factor == "BackupCode" { identity::mfa::MfaFactor::BackupCode } else { identity::mfa::MfaFactor::Totp };
    let result = hosted::verify_mfa(&state.provider, step.cookie, factor, &form.code).await;
    respond(&step, result, "/mfa/verify", &[("factors", &form.factors), ("method", &form.factor)])
}

async fn bind_totp(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::bind_totp(&state.provider, step.cookie, &form.code).await;
    respond(&step, result, "/mfa/bind", &[("factors", &form.factors), ("skippable", &form.skippable), ("suggestion", &form.suggestion)])
}

async fn skip_mfa(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::skip_mfa(&state.provider, step.cookie, form.suggestion == "true").await;
    respond(&step, result, "/mfa/bind", &[("factors", &form.factors), ("skippable", &form.skippable), ("suggestion", &form.suggestion)])
}

async fn confirm_backup_codes(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::confirm_backup_codes(&state.provider, step.cookie).await;
    respond(&step, result, "/mfa/backup-codes", &[])
}

async fn sign_in_with_passkey(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::sign_in_with_passkey(&state.provider, step.cookie, &form.verification_id, &form.credential(), form.agreed()).await;
    respond(&step, result, "/sign-in", &[])
}

async fn verify_mfa_with_passkey(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::verify_mfa_with_passkey(&state.provider, step.cookie, &form.verification_id, &form.credential()).await;
    respond(&step, result, "/mfa/verify", &[("factors", &form.factors), ("method", "WebAuthn")])
}

pub(super) fn user_agent(headers: &HeaderMap) -> &str {
    headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn bind_mfa_passkey(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::create_passkey(&state.provider, step.cookie, &form.verification_id, &form.credential(), user_agent(&headers), false).await;
    respond(&step, result, "/mfa/bind", &[("factors", &form.factors), ("skippable", &form.skippable), ("suggestion", &form.suggestion), ("method", "WebAuthn")])
}

async fn create_sign_in_passkey(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::create_passkey(&state.provider, step.cookie, &form.verification_id, &form.credential(), user_agent(&headers), true).await;
    respond(&step, result, "/passkey", &[])
}

async fn skip_passkey(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, Form(form): Form<HostedForm>) -> Redirect {
    let step = Step::new(&jar, &headers, &form);
    let result = hosted::skip_passkey(&state.provider, step.cookie).await;
    respond(&step, result, "/passkey", &[])
}

fn factor_list(factors: &[identity::mfa::MfaFactor]) -> String {
    factors.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(",")
}

/// The next page, or the form again with `error` (and, for a rejected password, its
/// issues as `issue=code:value`). What the person typed comes back as `entered`, never as
/// `identifier`, which is the authentication parameter naming the allowed identifier types.
fn respond(step: &Step<'_>, result: Result<Next, ExperienceError>, form_page: &str, kept: &[(&str, &str)]) -> Redirect {
    let mut query = form_urlencoded::Serializer::new(String::new());
    let path = match result {
        Ok(Next::Continue(location) | Next::Upstream(location)) => return Redirect::to(&location),
        Ok(Next::ChooseSsoConnector { email, connectors }) => {
            query.append_pair("entered", &email);
            query.append_pair("connectors", &connectors.join(","));
            "/single-sign-on"
        }
        Ok(Next::EnterCode { to }) => {
            query.append_pair("to", &to);
            "/verify-code"
        }
        Ok(Next::CompleteProfile(missing)) => {
            let missing: Vec<String> = missing.iter().map(|m| serde_json::to_value(m).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()).collect();
            query.append_pair("missing", &missing.join(","));
            "/continue"
        }
        Ok(Next::ChooseNewPassword) => "/reset-password/new",
        Ok(Next::VerifyMfa(factors)) => {
            query.append_pair("factors", &factor_list(&factors));
            "/mfa/verify"
        }
        Ok(Next::BindMfa { factors, skippable, suggestion }) => {
            query.append_pair("factors", &factor_list(&factors));
            if skippable {
                query.append_pair("skippable", "true");
            }
            if suggestion {
                query.append_pair("suggestion", "true");
            }
            "/mfa/bind"
        }
        Ok(Next::SaveBackupCodes) => "/mfa/backup-codes",
        Ok(Next::CreatePasskey) => "/passkey",
        Ok(Next::SignInLinkSent { to }) => {
            query.append_pair("to", &to);
            "/sign-in/link-sent"
        }
        Ok(Next::PasswordReset) => {
            query.append_pair("notice", "password_reset");
            "/sign-in"
        }
        Ok(Next::LinkSocialIdentity { connector_id, related }) => {
            query.append_pair("connector", &connector_id);
            query.append_pair("to", &related);
            "/social/link"
        }
        Err(err) => {
            if err.code() == "unexpected" {
                tracing::error!(error = %err, "hosted form failed");
            }
            query.append_pair("error", err.code());
            if let ExperienceError::PasswordRejected(issues) = &err {
                for issue in issues {
                    let value = issue.interpolation.map(|(_, v)| format!(":{v}")).unwrap_or_default();
                    query.append_pair("issue", &format!("{}{value}", issue.code));
                }
            }
            for (name, value) in kept.iter().filter(|(_, v)| !v.is_empty() && v.len() <= 256) {
                query.append_pair(name, value);
            }
            form_page
        }
    };
    if let Some(language) = &step.language {
        query.append_pair("ui_locales", language);
    }
    let query = query.finish();
    Redirect::to(&if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") })
}

/// `/direct/<method>/<target>` (spec §7 `direct_sign_in`): `social:<target>` goes straight to
/// that social connector's upstream, `sso:<connectorId>` to that enterprise connector's
/// identity provider. A target that names no connector (or cannot start) falls back to the
/// page the request would otherwise have landed on, with the same hints.
pub async fn direct_sign_in(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    axum::extract::Path((method, target)): axum::extract::Path<(String, String)>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Redirect {
    let step = Step::new(&jar, &headers, &HostedForm::default());
    let upstream = match method.as_str() {
        "social" => hosted::start_direct_social(&state.provider, step.cookie, &target).await.ok(),
        "sso" => hosted::start_sso(&state.provider, step.cookie, &target, false, cookies::value(&jar, identity::sso::idp_initiated::SESSION_COOKIE)).await.ok(),
        _ => None,
    };
    match upstream {
        Some(upstream) => Redirect::to(&upstream),
        None => Redirect::to(&identity::oidc::authorize::direct_sign_in_fallback(query.as_deref().unwrap_or_default())),
    }
}
