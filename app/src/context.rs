//! What the hosted pages need to know about this sign-in: the sign-in experience
//! configuration (identifiers, modes, terms, branding) and the authorization request's hints
//! (`login_hint`, `identifier`). Loaded once per page by a server function, so hydration and
//! client-side navigation see the same data the server rendered with.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageContext {
    /// `SignIn`, `Register` or `SignInAndRegister`.
    pub sign_in_mode: String,
    /// `username`, `email`, `phone`.
    pub sign_up_identifiers: Vec<String>,
    pub sign_up_password: bool,
    /// Identifiers that sign in with a password / with a code.
    pub password_sign_in: Vec<String>,
    pub code_sign_in: Vec<String>,
    /// `email` and/or `phone`.
    pub forgot_password: Vec<String>,
    pub terms_of_use_url: Option<String>,
    pub privacy_policy_url: Option<String>,
    /// `Automatic`, `ManualRegistrationOnly` or `Manual`.
    pub agree_to_terms: String,
    pub logo_url: Option<String>,
    pub dark_logo_url: Option<String>,
    pub primary_color: String,
    pub dark_primary_color: String,
    pub custom_css: Option<String>,
    pub password_min_length: usize,
    pub login_hint: Option<String>,
    /// The `identifier` authentication parameter: the identifiers the first page may offer.
    pub identifier_filter: Vec<String>,
    /// Whether the browser is inside an authorization request.
    pub in_interaction: bool,
    /// `<endpoint>/oidc`, shown to developers who open a page outside a sign-in.
    pub issuer: String,
    /// Whether the demo application can be offered (`/demo-app`).
    pub demo_app: bool,
    /// Passkey sign-in: a "Sign in with a passkey" button, and passkeys offered in the
    /// identifier field's autofill.
    pub passkey_button: bool,
    pub passkey_autofill: bool,
    /// "Email me a sign-in link" beside the code form (the operator's `magicLinkSignIn`).
    pub sign_in_link: bool,
    /// "Continue with …" buttons, one per social connector.
    pub social_connectors: Vec<SocialButton>,
    /// The enterprise SSO connectors offered (`/single-sign-on` and its link on sign-in).
    pub sso_connectors: Vec<SocialButton>,
}

/// A social connector as the sign-in page offers it.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct SocialButton {
    pub id: String,
    pub name: String,
    pub logo: Option<String>,
}

impl Default for PageContext {
    fn default() -> Self {
        Self {
            sign_in_mode: "SignInAndRegister".into(),
            sign_up_identifiers: vec!["username".into()],
            sign_up_password: true,
            password_sign_in: vec!["username".into(), "email".into()],
            code_sign_in: vec!["email".into()],
            forgot_password: vec!["email".into(), "phone".into()],
            terms_of_use_url: None,
            privacy_policy_url: None,
            agree_to_terms: "Automatic".into(),
            logo_url: None,
            dark_logo_url: None,
            primary_color: "#4F46E5".into(),
            dark_primary_color: "#818CF8".into(),
            custom_css: None,
            password_min_length: 8,
            login_hint: None,
            identifier_filter: vec![],
            in_interaction: false,
            issuer: String::new(),
            demo_app: false,
            passkey_button: false,
            passkey_autofill: false,
            sign_in_link: false,
            social_connectors: Vec::new(),
            sso_connectors: Vec::new(),
        }
    }
}

impl PageContext {
    pub fn registration_open(&self) -> bool {
        self.sign_in_mode != "SignIn"
    }

    pub fn sign_in_open(&self) -> bool {
        self.sign_in_mode != "Register"
    }

    pub fn has_terms(&self) -> bool {
        self.terms_of_use_url.is_some() || self.privacy_policy_url.is_some()
    }

    pub fn registration_needs_agreement(&self) -> bool {
        self.has_terms() && self.agree_to_terms != "Automatic"
    }

    pub fn sign_in_needs_agreement(&self) -> bool {
        self.has_terms() && self.agree_to_terms == "Manual"
    }

    /// `list` narrowed by the `identifier` parameter (ignored when nothing would remain).
    pub fn filtered(&self, list: &[String]) -> Vec<String> {
        let narrowed: Vec<String> = list.iter().filter(|i| self.identifier_filter.contains(i)).cloned().collect();
        if narrowed.is_empty() { list.to_vec() } else { narrowed }
    }

    /// The CSS that brands the pages: colour variables, then the operator's own CSS.
    pub fn brand_css(&self) -> String {
        format!(
            ":root{{--brand:{};--brand-dark:{};}}{}",
            self.primary_color,
            self.dark_primary_color,
            self.custom_css.as_deref().unwrap_or("")
        )
    }
}

/// Builds the context on the server from the `_interaction` cookie (provided by the server).
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct PageContextLoader(
    pub std::sync::Arc<dyn Fn(Option<String>) -> std::pin::Pin<Box<dyn std::future::Future<Output = PageContext> + Send>> + Send + Sync>,
);

#[server(prefix = "/_vestibule", endpoint = "page-context")]
pub async fn load_page_context() -> Result<PageContext, ServerFnError> {
    let loader = use_context::<PageContextLoader>().ok_or_else(|| ServerFnError::new("no page context loader"))?;
    Ok((loader.0)(request_cookie("_interaction")).await)
}

/// Loads an MFA page's data on the server (`totp`: the enrolment; `backup-codes`: new codes;
/// `passkey-registration`, `passkey-authentication`, `passkey-sign-in`: a WebAuthn ceremony).
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct MfaPageLoader(
    #[allow(clippy::type_complexity)]
    pub std::sync::Arc<dyn Fn(Option<String>, String) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<serde_json::Value, String>> + Send>> + Send + Sync>,
);

/// The data of an MFA page: an authenticator enrolment, new backup codes, or a started
/// WebAuthn ceremony (its id and the options for the browser, as JSON).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MfaPageData {
    pub secret: Option<String>,
    pub qr_code: Option<String>,
    pub codes: Vec<String>,
    pub verification_id: Option<String>,
    pub webauthn_options: Option<String>,
    /// The engine's error code when the page cannot be shown (e.g. no signed-in user).
    pub error: Option<String>,
}

#[server(prefix = "/_vestibule", endpoint = "mfa-page")]
pub async fn load_mfa_page(kind: String) -> Result<MfaPageData, ServerFnError> {
    let loader = use_context::<MfaPageLoader>().ok_or_else(|| ServerFnError::new("no MFA page loader"))?;
    let cookie = request_cookie("_interaction");
    Ok(match (loader.0)(cookie, kind).await {
        Ok(value) => MfaPageData {
            secret: value["secret"].as_str().map(str::to_owned),
            qr_code: value["secretQrCode"].as_str().map(str::to_owned),
            codes: value["codes"].as_array().map(|c| c.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect()).unwrap_or_default(),
            verification_id: value["verificationId"].as_str().map(str::to_owned),
            webauthn_options: [&value["registrationOptions"], &value["authenticationOptions"]].into_iter().find(|o| o.is_object()).map(|o| o.to_string()),
            error: None,
        },
        Err(code) => MfaPageData { error: Some(code), ..MfaPageData::default() },
    })
}

/// A cookie of the request being served (`_interaction`, `_session`, …).
#[cfg(feature = "ssr")]
pub fn request_cookie(name: &str) -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    let prefix = format!("{name}=");
    parts.headers.get_all(http::header::COOKIE).iter().filter_map(|h| h.to_str().ok()).flat_map(|h| h.split(';')).map(str::trim).find_map(|pair| pair.strip_prefix(prefix.as_str()).map(str::to_owned)).filter(|v| !v.is_empty())
}

/// A header of the request being served (e.g. `user-agent`).
#[cfg(feature = "ssr")]
pub fn request_header(name: &str) -> Option<String> {
    use_context::<http::request::Parts>()?.headers.get(name)?.to_str().ok().map(str::to_owned)
}
