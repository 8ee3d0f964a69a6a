//! What the hosted pages are told about the sign-in experience and the current
//! authorization request (`app::context::PageContext`), built from the engine.

use std::sync::Arc;

use app::context::{PageContext, PageContextLoader};
use identity::oidc::Provider;
use identity::sign_in_experience::{IdentifierKind, SignInExperience};

/// `demo_app`: whether the demo application is on (pages visited outside a sign-in offer it).
pub fn loader(provider: Provider, demo_app: bool) -> PageContextLoader {
    PageContextLoader(Arc::new(move |cookie: Option<String>| {
        let provider = provider.clone();
        Box::pin(async move { build(&provider, cookie.as_deref(), demo_app).await })
    }))
}

async fn build(provider: &Provider, cookie: Option<&str>, demo_app: bool) -> PageContext {
    let sie = match provider.sign_in_experience().await {
        Ok(sie) => sie,
        Err(err) => {
            tracing::error!(error = %err, "cannot read the sign-in experience; showing defaults");
            SignInExperience::default()
        }
    };
    let interaction = match cookie {
        Some(cookie) => identity::oidc::interaction::find_by_cookie(provider, cookie).await.ok().flatten(),
        None => None,
    };
    let params = interaction.as_ref().map(|i| &i.params);
    let name = |kind: &IdentifierKind| match kind {
        IdentifierKind::Username => "username".to_owned(),
        IdentifierKind::Email => "email".to_owned(),
        IdentifierKind::Phone => "phone".to_owned(),
    };
    let methods = |pick: fn(&identity::sign_in_experience::SignInMethod) -> bool| -> Vec<String> {
        sie.sign_in.methods.iter().filter(|m| pick(m)).map(|m| name(&m.identifier)).collect()
    };
    // `organization_id` (spec §13): the organization's own logos, where it has them.
    let organization = match params.and_then(|p| p.extra.get("organization_id")) {
        Some(id) => identity::organizations::find(&provider.store, id).await.ok().flatten(),
        None => None,
    };
    let organization_logo = |key: &str| organization.as_ref().and_then(|o| o.branding.get(key)).and_then(|v| v.as_str()).map(str::to_owned);
    let (logo_url, dark_logo_url) = match (organization_logo("logoUrl"), organization_logo("darkLogoUrl")) {
        (None, None) => (sie.branding.logo_url.clone(), sie.branding.dark_logo_url.clone()),
        logos => logos,
    };
    let language = params.and_then(|p| p.ui_locales.as_deref()).and_then(|l| l.split_whitespace().next()).unwrap_or("en").to_owned();
    let social_connectors = identity::social::offered(provider, &sie)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| app::context::SocialButton { name: c.display_name(&language), logo: Some(c.logo()), id: c.id })
        .collect();
    let sso_connectors = identity::sso::offered(provider, &sie)
        .await
        .unwrap_or_default()
        .iter()
        .map(|c| {
            let public = c.to_public_json();
            let field = |key: &str| public[key].as_str().unwrap_or_default().to_owned();
            app::context::SocialButton { id: c.id.clone(), name: field("connectorName"), logo: Some(field("logo")) }
        })
        .collect();
    PageContext {
        social_connectors,
        sso_connectors,
        sign_in_mode: format!("{:?}", sie.sign_in_mode),
        sign_up_identifiers: sie.sign_up.identifiers.iter().map(name).collect(),
        sign_up_password: sie.sign_up.password,
        password_sign_in: methods(|m| m.password),
        code_sign_in: methods(|m| m.verification_code),
        forgot_password: [IdentifierKind::Email, IdentifierKind::Phone].iter().filter(|k| sie.allows_password_reset_by(**k)).map(name).collect(),
        terms_of_use_url: sie.terms_of_use_url.clone(),
        privacy_policy_url: sie.privacy_policy_url.clone(),
        agree_to_terms: format!("{:?}", sie.agree_to_terms_policy),
        logo_url,
        dark_logo_url,
        primary_color: sie.color.primary_color.clone(),
        dark_primary_color: sie.color.dark_primary_color.clone(),
        custom_css: sie.custom_css.clone(),
        password_min_length: sie.password_policy.length.min,
        login_hint: params.and_then(|p| p.login_hint.clone()),
        // `identifier`: a space-separated subset of username, email and phone (invalid ones ignored).
        identifier_filter: params
            .and_then(|p| p.extra.get("identifier"))
            .map(|list| list.split_whitespace().filter(|i| matches!(*i, "username" | "email" | "phone")).map(str::to_owned).collect())
            .unwrap_or_default(),
        in_interaction: interaction.is_some(),
        issuer: format!("{}/oidc", provider.endpoint),
        demo_app,
        passkey_button: sie.passkey_sign_in.enabled && sie.passkey_sign_in.show_passkey_button,
        passkey_autofill: sie.passkey_sign_in.enabled && sie.passkey_sign_in.allow_autofill,
        sign_in_link: sie.offers_sign_in_link(),
    }
}

/// The MFA and passkey pages' data: the pending authenticator enrolment (`totp`), fresh
/// backup codes (`backup-codes`) or a started WebAuthn ceremony, for the interaction behind
/// the cookie.
pub fn mfa_loader(provider: Provider) -> app::context::MfaPageLoader {
    app::context::MfaPageLoader(Arc::new(move |cookie: Option<String>, kind: String| {
        let provider = provider.clone();
        Box::pin(async move {
            let result = match kind.as_str() {
                "totp" => identity::experience::mfa::totp_enrolment(&provider, cookie.as_deref()).await,
                "backup-codes" => identity::experience::mfa::generate_backup_codes(&provider, cookie.as_deref()).await,
                "passkey-registration" => identity::experience::passkey::start_registration(&provider, cookie.as_deref()).await,
                "passkey-authentication" => identity::experience::passkey::start_authentication(&provider, cookie.as_deref()).await,
                "passkey-sign-in" => identity::experience::passkey::preflight_sign_in(&provider, cookie.as_deref()).await,
                _ => return Err("unknown page".to_owned()),
            };
            result.map_err(|e| identity::ErrorCode::code(&e).to_owned())
        })
    }))
}
