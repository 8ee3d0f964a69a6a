//! The generic OpenID Connect connector, the client side (the `openidconnect` crate): the
//! upstream's endpoints and keys come from its discovery document; each sign-in carries our
//! `state`, a fresh nonce and a PKCE verifier, which the callback must match; the ID token is
//! validated (signature, issuer, audience, expiry, nonce) and the claims come from userinfo
//! when the upstream has it. An email counts only when the upstream says it is verified.

use std::time::Duration;

use openidconnect::core::{CoreClient, CoreGenderClaim, CoreProviderMetadata, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EmptyAdditionalClaims, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse, UserInfoClaims,
};

use super::{SocialConnector, SocialError, SocialUser};

/// A sign-in sent to the upstream: where the browser goes, and what the callback must match.
pub struct Started {
    pub authorization_uri: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

fn upstream(err: impl std::fmt::Display) -> SocialError {
    SocialError::Upstream(err.to_string())
}

/// No redirects (a token endpoint that redirects is not followed anywhere), and a deadline.
fn http() -> Result<openidconnect::reqwest::Client, SocialError> {
    openidconnect::reqwest::Client::builder().redirect(openidconnect::reqwest::redirect::Policy::none()).timeout(Duration::from_secs(10)).build().map_err(upstream)
}

async fn client(connector: &SocialConnector, redirect_uri: &str, http: &openidconnect::reqwest::Client) -> Result<openidconnect::core::CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>, SocialError> {
    let config = &connector.config;
    let issuer = IssuerUrl::new(config.issuer.clone()).map_err(upstream)?;
    let metadata = CoreProviderMetadata::discover_async(issuer, http).await.map_err(upstream)?;
    let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|_| SocialError::InvalidConfig("redirectUri must be a URL".into()))?;
    Ok(CoreClient::from_provider_metadata(metadata, ClientId::new(config.client_id.clone()), Some(ClientSecret::new(config.client_secret.clone()))).set_redirect_uri(redirect))
}

/// The upstream's authorization URL for this sign-in (`state` is the caller's).
pub async fn start(connector: &SocialConnector, redirect_uri: &str, state: &str) -> Result<Started, SocialError> {
    let http = http()?;
    let client = client(connector, redirect_uri, &http).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = state.to_owned();
    let mut request = client.authorize_url(AuthenticationFlow::<CoreResponseType>::AuthorizationCode, move || CsrfToken::new(state), Nonce::new_random).set_pkce_challenge(challenge);
    for scope in connector.config.scope.split_whitespace().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.to_owned()));
    }
    let (url, _, nonce) = request.url();
    Ok(Started { authorization_uri: url.to_string(), nonce: nonce.secret().clone(), pkce_verifier: verifier.secret().clone() })
}

/// Redeems the callback's `code` and says who signed in upstream.
pub async fn finish(connector: &SocialConnector, redirect_uri: &str, code: &str, nonce: &str, pkce_verifier: &str) -> Result<SocialUser, SocialError> {
    let http = http()?;
    let client = client(connector, redirect_uri, &http).await?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(upstream)?
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
        .request_async(&http)
        .await
        .map_err(upstream)?;
    let id_token = tokens.id_token().ok_or_else(|| SocialError::Upstream("the identity provider sent no ID token".into()))?;
    let claims = id_token.claims(&client.id_token_verifier(), &Nonce::new(nonce.to_owned())).map_err(upstream)?;
    let subject = claims.subject().clone();
    let verified_email = |email: Option<String>, verified: Option<bool>| email.filter(|_| verified == Some(true));
    let mut user = SocialUser {
        target: connector.target.clone(),
        id: subject.to_string(),
        email: verified_email(claims.email().map(|e| e.to_string()), claims.email_verified()),
        name: claims.name().and_then(|n| n.get(None)).map(|n| n.to_string()),
        avatar: claims.picture().and_then(|p| p.get(None)).map(|p| p.to_string()),
    };
    // Userinfo, when the upstream has one, says more than a minimal ID token.
    if let Ok(request) = client.user_info(tokens.access_token().to_owned(), Some(subject)) {
        let info: UserInfoClaims<EmptyAdditionalClaims, CoreGenderClaim> = request.request_async(&http).await.map_err(upstream)?;
        user.email = verified_email(info.email().map(|e| e.to_string()), info.email_verified()).or(user.email);
        user.name = info.name().and_then(|n| n.get(None)).map(|n| n.to_string()).or(user.name);
        user.avatar = info.picture().and_then(|p| p.get(None)).map(|p| p.to_string()).or(user.avatar);
    }
    Ok(user)
}
