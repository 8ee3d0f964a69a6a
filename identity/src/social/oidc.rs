//! The OpenID Connect client side (the `openidconnect` crate), for the generic `oidc`
//! connector and the presets built on it (Google, GitLab, Apple). The upstream's endpoints
//! and keys come from its discovery document, or from explicit endpoints and a JWKS URL as
//! Logto's OIDC connector takes them. Each sign-in carries our `state`, a fresh nonce and a
//! PKCE verifier, which the callback must match; the ID token is validated (signature,
//! issuer, audience, expiry, nonce) and the claims come from userinfo when the upstream has
//! it. An email counts only when the upstream says it is verified (or the operator says to
//! trust the upstream's addresses).

use std::str::FromStr;

use openidconnect::core::{
    CoreClient, CoreGenderClaim, CoreIdToken, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AuthUrl, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EmptyAdditionalClaims, EmptyAdditionalProviderMetadata, IdTokenClaims, IssuerUrl,
    JsonWebKeySetUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, ResponseTypes, Scope, TokenResponse, TokenUrl, UserInfoClaims, UserInfoUrl,
};
use serde_json::{Map, Value};

use super::{http, upstream, Pending, SocialError, SocialUser, Started};
use crate::token_vault::UpstreamTokens;

/// Where the upstream's endpoints come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Endpoints {
    Discovery { issuer: String },
    /// Logto's shape: no discovery; the ID token's issuer is checked only when given.
    Explicit { authorization: String, token: String, userinfo: Option<String>, jwks: String, issuer: Option<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct OidcSettings {
    pub endpoints: Endpoints,
    pub client_id: String,
    /// `None`: a public client (Apple's ID token arrives with the callback).
    pub client_secret: Option<String>,
    pub scope: String,
    pub extra_params: Vec<(String, String)>,
    /// The hybrid `code id_token` flow posted back to us, the ID token read from the callback.
    pub id_token_in_callback: bool,
    pub trust_unverified_email: bool,
}

type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn url<T>(value: &str, make: impl FnOnce(String) -> Result<T, openidconnect::url::ParseError>) -> Result<T, SocialError> {
    make(value.to_owned()).map_err(|_| SocialError::InvalidConfig(format!("{value} is not a URL")))
}

async fn metadata(settings: &OidcSettings, http: &openidconnect::reqwest::Client) -> Result<(CoreProviderMetadata, bool), SocialError> {
    match &settings.endpoints {
        Endpoints::Discovery { issuer } => Ok((CoreProviderMetadata::discover_async(url(issuer, IssuerUrl::new)?, http).await.map_err(upstream)?, true)),
        Endpoints::Explicit { authorization, token, userinfo, jwks, issuer } => {
            let jwks_url = url(jwks, JsonWebKeySetUrl::new)?;
            let keys = CoreJsonWebKeySet::fetch_async(&jwks_url, http).await.map_err(upstream)?;
            // Without a configured issuer the ID token's `iss` is not checked (Logto's behaviour);
            // the placeholder is never compared.
            let issuer_url = url(issuer.as_deref().unwrap_or(authorization), IssuerUrl::new)?;
            let metadata = CoreProviderMetadata::new(
                issuer_url,
                url(authorization, AuthUrl::new)?,
                jwks_url,
                vec![ResponseTypes::new(vec![CoreResponseType::Code])],
                vec![CoreSubjectIdentifierType::Public],
                vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, CoreJwsSigningAlgorithm::EcdsaP256Sha256],
                EmptyAdditionalProviderMetadata {},
            )
            .set_token_endpoint(Some(url(token, TokenUrl::new)?))
            .set_userinfo_endpoint(userinfo.as_deref().map(|u| url(u, UserInfoUrl::new)).transpose()?)
            .set_jwks(keys);
            Ok((metadata, issuer.is_some()))
        }
    }
}

async fn client(settings: &OidcSettings, redirect_uri: Option<&str>, http: &openidconnect::reqwest::Client) -> Result<(Client, bool), SocialError> {
    let (metadata, check_issuer) = metadata(settings, http).await?;
    let secret = settings.client_secret.clone().map(ClientSecret::new);
    let mut client = CoreClient::from_provider_metadata(metadata, ClientId::new(settings.client_id.clone()), secret);
    if let Some(redirect_uri) = redirect_uri {
        client = client.set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(|_| SocialError::InvalidConfig("redirectUri must be a URL".into()))?);
    }
    Ok((client, check_issuer))
}

/// The upstream's authorization URL for this sign-in (`state` is the caller's).
pub async fn start(settings: &OidcSettings, redirect_uri: &str, state: &str) -> Result<Started, SocialError> {
    let http = http()?;
    let (client, _) = client(settings, Some(redirect_uri), &http).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = state.to_owned();
    let flow = if settings.id_token_in_callback { AuthenticationFlow::Hybrid(vec![CoreResponseType::IdToken]) } else { AuthenticationFlow::AuthorizationCode };
    let mut request = client.authorize_url(flow, move || CsrfToken::new(state), Nonce::new_random).set_pkce_challenge(challenge);
    for scope in settings.scope.split_whitespace().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.to_owned()));
    }
    for (name, value) in &settings.extra_params {
        request = request.add_extra_param(name.clone(), value.clone());
    }
    let (url, _, nonce) = request.url();
    Ok(Started { authorization_uri: url.to_string(), nonce: Some(nonce.secret().clone()), pkce_verifier: Some(verifier.secret().clone()) })
}

fn verified(value: Option<String>, verified: Option<bool>, trust: bool) -> Option<String> {
    value.filter(|_| trust || verified == Some(true))
}

fn from_claims(target: &str, claims: &IdTokenClaims<EmptyAdditionalClaims, CoreGenderClaim>, trust: bool) -> SocialUser {
    SocialUser {
        target: target.to_owned(),
        id: claims.subject().to_string(),
        email: verified(claims.email().map(|e| e.to_string()), claims.email_verified(), trust),
        phone: verified(claims.phone_number().map(|p| p.to_string()), claims.phone_number_verified(), trust),
        name: claims.name().and_then(|n| n.get(None)).map(|n| n.to_string()),
        avatar: claims.picture().and_then(|p| p.get(None)).map(|p| p.to_string()),
        tokens: None,
    }
}

/// Says who signed in upstream: redeems the callback's `code`, or (Apple) reads the ID token
/// the callback carries. The upstream's tokens come along when it gave any.
pub async fn finish(settings: &OidcSettings, target: &str, pending: &Pending, data: &Map<String, Value>) -> Result<(SocialUser, Option<UpstreamTokens>), SocialError> {
    let http = http()?;
    let (client, check_issuer) = client(settings, Some(&pending.redirect_uri), &http).await?;
    let verifier = client.id_token_verifier().require_issuer_match(check_issuer);
    let nonce = Nonce::new(pending.nonce.clone().unwrap_or_default());
    let field = |key: &str| data.get(key).and_then(Value::as_str);
    let trust = settings.trust_unverified_email;
    if settings.id_token_in_callback {
        let raw = field("id_token").ok_or(SocialError::InvalidResponse("the callback carries no id_token"))?;
        let id_token = CoreIdToken::from_str(raw).map_err(|_| SocialError::InvalidResponse("the id_token is not a JWT"))?;
        let claims = id_token.claims(&verifier, &nonce).map_err(upstream)?;
        let mut user = from_claims(target, claims, trust);
        // Apple sends the person's name once, beside the token, on the first sign-in.
        if let Some(name) = field("user").and_then(|u| serde_json::from_str::<Value>(u).ok()).and_then(|u| u.get("name").cloned()) {
            let parts: Vec<&str> = ["firstName", "lastName"].iter().filter_map(|k| name.get(*k).and_then(Value::as_str)).collect();
            if !parts.is_empty() {
                user.name = Some(parts.join(" "));
            }
        }
        return Ok((user, None));
    }
    let code = field("code").ok_or(SocialError::InvalidResponse("the callback carries no code"))?;
    let mut exchange = client.exchange_code(AuthorizationCode::new(code.to_owned())).map_err(upstream)?;
    if let Some(pkce) = &pending.pkce_verifier {
        exchange = exchange.set_pkce_verifier(PkceCodeVerifier::new(pkce.clone()));
    }
    let tokens = exchange.request_async(&http).await.map_err(upstream)?;
    let id_token = tokens.id_token().ok_or(SocialError::InvalidResponse("the identity provider sent no ID token"))?;
    let claims = id_token.claims(&verifier, &nonce).map_err(upstream)?;
    let subject = claims.subject().clone();
    let mut user = from_claims(target, claims, trust);
    // Userinfo, when the upstream has one, says more than a minimal ID token.
    if let Ok(request) = client.user_info(tokens.access_token().to_owned(), Some(subject)) {
        let info: UserInfoClaims<EmptyAdditionalClaims, CoreGenderClaim> = request.request_async(&http).await.map_err(upstream)?;
        user.email = verified(info.email().map(|e| e.to_string()), info.email_verified(), trust).or(user.email);
        user.phone = verified(info.phone_number().map(|p| p.to_string()), info.phone_number_verified(), trust).or(user.phone);
        user.name = info.name().and_then(|n| n.get(None)).map(|n| n.to_string()).or(user.name);
        user.avatar = info.picture().and_then(|p| p.get(None)).map(|p| p.to_string()).or(user.avatar);
    }
    Ok((user, Some(upstream_tokens(&tokens))))
}

fn upstream_tokens(tokens: &openidconnect::core::CoreTokenResponse) -> UpstreamTokens {
    UpstreamTokens {
        access_token: tokens.access_token().secret().clone(),
        refresh_token: tokens.refresh_token().map(|t| t.secret().clone()),
        id_token: tokens.id_token().map(|t| t.to_string()),
        expires_in: tokens.expires_in().map(|d| d.as_secs()),
        scope: tokens.scopes().map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
        token_type: Some(bearer(tokens.token_type().as_ref())),
    }
}

/// `Bearer`, as RFC 6750 spells it, whatever case the upstream used.
pub(crate) fn bearer(token_type: &str) -> String {
    if token_type.eq_ignore_ascii_case("bearer") { "Bearer".to_owned() } else { token_type.to_owned() }
}

/// The refresh-token grant at the upstream's token endpoint (token storage renewing an
/// expired access token).
pub async fn refresh(settings: &OidcSettings, refresh_token: &str) -> Result<UpstreamTokens, SocialError> {
    let http = http()?;
    let (client, _) = client(settings, None, &http).await?;
    let token = openidconnect::RefreshToken::new(refresh_token.to_owned());
    let tokens = client.exchange_refresh_token(&token).map_err(upstream)?.request_async(&http).await.map_err(upstream)?;
    Ok(upstream_tokens(&tokens))
}
