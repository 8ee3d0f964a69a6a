//! The OAuth 2.0 client side (the `oauth2` crate), for the generic `oauth2` connector and the
//! presets built on it (GitHub, Discord, Microsoft): the authorization-code grant with PKCE
//! and our `state`, then the upstream's user endpoint read through a profile map. OAuth 2.0
//! has no ID token, so who the person is rests on the access token the token endpoint gave
//! us over TLS; an email counts only when the map names a field that says it is verified,
//! or the operator says to trust the upstream's addresses.

use ::oauth2::basic::BasicClient;
use ::oauth2::{AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{http, upstream, Pending, SocialError, SocialUser, Started};
use crate::token_vault::UpstreamTokens;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// `client_secret_post` (Logto's default).
    Post,
    /// `client_secret_basic`.
    Basic,
}

/// Which fields of the user endpoint's answer say what (dotted paths reach into objects).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileMap {
    #[serde(default = "id")]
    pub id: String,
    #[serde(default = "email")]
    pub email: String,
    /// A field that is `true` when the upstream verified the address.
    #[serde(default)]
    pub email_verified: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default = "name")]
    pub name: String,
    #[serde(default = "avatar")]
    pub avatar: String,
}

fn id() -> String {
    "id".into()
}
fn email() -> String {
    "email".into()
}
fn name() -> String {
    "name".into()
}
fn avatar() -> String {
    "avatar".into()
}

impl Default for ProfileMap {
    fn default() -> Self {
        Self { id: id(), email: email(), email_verified: None, phone: Some("phone".into()), name: name(), avatar: avatar() }
    }
}

/// What a vendor does differently from the generic flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quirk {
    None,
    /// GitHub shows only verified addresses publicly; without one, `/user/emails` has the
    /// primary address and whether it is verified.
    GitHub,
    /// Discord's `avatar` is a hash on its CDN, and `global_name` may be empty.
    Discord,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OAuth2Settings {
    pub authorization: String,
    pub token: String,
    pub userinfo: String,
    pub client_id: String,
    pub client_secret: String,
    pub auth_method: AuthMethod,
    pub scope: String,
    pub profile_map: ProfileMap,
    pub trust_unverified_email: bool,
    pub extra_params: Vec<(String, String)>,
    pub quirk: Quirk,
}

/// A client with its authorization and token endpoints set.
type Client = ::oauth2::Client<
    ::oauth2::basic::BasicErrorResponse,
    ::oauth2::basic::BasicTokenResponse,
    ::oauth2::basic::BasicTokenIntrospectionResponse,
    ::oauth2::StandardRevocableToken,
    ::oauth2::basic::BasicRevocationErrorResponse,
    ::oauth2::EndpointSet,
    ::oauth2::EndpointNotSet,
    ::oauth2::EndpointNotSet,
    ::oauth2::EndpointNotSet,
    ::oauth2::EndpointSet,
>;

fn client(settings: &OAuth2Settings, redirect_uri: Option<&str>) -> Result<Client, SocialError> {
    let invalid = |what: &str| SocialError::InvalidConfig(format!("{what} must be a URL"));
    let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_client_secret(ClientSecret::new(settings.client_secret.clone()))
        .set_auth_uri(AuthUrl::new(settings.authorization.clone()).map_err(|_| invalid("authorizationEndpoint"))?)
        .set_token_uri(TokenUrl::new(settings.token.clone()).map_err(|_| invalid("tokenEndpoint"))?)
        .set_auth_type(match settings.auth_method {
            AuthMethod::Post => AuthType::RequestBody,
            AuthMethod::Basic => AuthType::BasicAuth,
        });
    Ok(match redirect_uri {
        Some(uri) => client.set_redirect_uri(RedirectUrl::new(uri.to_owned()).map_err(|_| invalid("redirectUri"))?),
        None => client,
    })
}

fn upstream_tokens(tokens: &::oauth2::basic::BasicTokenResponse) -> UpstreamTokens {
    UpstreamTokens {
        access_token: tokens.access_token().secret().clone(),
        refresh_token: tokens.refresh_token().map(|t| t.secret().clone()),
        id_token: None,
        expires_in: tokens.expires_in().map(|d| d.as_secs()),
        scope: tokens.scopes().map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
        token_type: Some(super::oidc::bearer(tokens.token_type().as_ref())),
    }
}

/// The refresh-token grant at the upstream's token endpoint.
pub async fn refresh(settings: &OAuth2Settings, refresh_token: &str) -> Result<UpstreamTokens, SocialError> {
    let http = http()?;
    let token = ::oauth2::RefreshToken::new(refresh_token.to_owned());
    let tokens = client(settings, None)?.exchange_refresh_token(&token).request_async(&http).await.map_err(upstream)?;
    Ok(upstream_tokens(&tokens))
}

pub fn start(settings: &OAuth2Settings, redirect_uri: &str, state: &str) -> Result<Started, SocialError> {
    let client = client(settings, Some(redirect_uri))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = state.to_owned();
    let mut request = client.authorize_url(move || CsrfToken::new(state)).set_pkce_challenge(challenge);
    for scope in settings.scope.split_whitespace() {
        request = request.add_scope(Scope::new(scope.to_owned()));
    }
    for (name, value) in &settings.extra_params {
        request = request.add_extra_param(name.clone(), value.clone());
    }
    let (url, _) = request.url();
    Ok(Started { authorization_uri: url.to_string(), nonce: None, pkce_verifier: Some(verifier.secret().clone()) })
}

/// The value at a dotted path, as text (upstream ids are often numbers).
fn at(profile: &Value, path: &str) -> Option<String> {
    let value = path.split('.').try_fold(profile, |v, key| v.get(key))?;
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Maps the user endpoint's answer to who the person is.
pub fn map_profile(settings: &OAuth2Settings, target: &str, profile: &Value) -> Result<SocialUser, SocialError> {
    let map = &settings.profile_map;
    let id = at(profile, &map.id).ok_or(SocialError::InvalidResponse("the user endpoint's answer has no id"))?;
    let says_verified = map.email_verified.as_deref().is_some_and(|field| {
        let flag = field.split('.').try_fold(profile, |v, key| v.get(key));
        matches!(flag, Some(Value::Bool(true))) || matches!(flag, Some(Value::String(s)) if s == "true")
    });
    let trusted = |value: Option<String>, verified: bool| value.filter(|_| settings.trust_unverified_email || verified);
    let mut user = SocialUser {
        target: target.to_owned(),
        id,
        email: trusted(at(profile, &map.email), says_verified || settings.quirk == Quirk::GitHub),
        phone: trusted(map.phone.as_deref().and_then(|p| at(profile, p)), false),
        name: at(profile, &map.name),
        avatar: at(profile, &map.avatar),
        tokens: None,
    };
    if settings.quirk == Quirk::Discord {
        user.name = user.name.or_else(|| at(profile, "username"));
        user.avatar = user.avatar.map(|hash| format!("https://cdn.discordapp.com/avatars/{}/{hash}.png", user.id));
    }
    Ok(user)
}

async fn get_json(http: &openidconnect::reqwest::Client, url: &str, access_token: &str) -> Result<Value, SocialError> {
    let response = http.get(url).bearer_auth(access_token).header("accept", "application/json").send().await.map_err(upstream)?;
    if !response.status().is_success() {
        return Err(SocialError::Upstream(format!("{url} answered {}", response.status())));
    }
    response.json().await.map_err(|_| SocialError::InvalidResponse("the user endpoint did not answer JSON"))
}

pub async fn finish(settings: &OAuth2Settings, target: &str, pending: &Pending, data: &Map<String, Value>) -> Result<(SocialUser, Option<UpstreamTokens>), SocialError> {
    let code = data.get("code").and_then(Value::as_str).ok_or(SocialError::InvalidResponse("the callback carries no code"))?;
    let http = http()?;
    let client = client(settings, Some(&pending.redirect_uri))?;
    let mut exchange = client.exchange_code(AuthorizationCode::new(code.to_owned()));
    if let Some(pkce) = &pending.pkce_verifier {
        exchange = exchange.set_pkce_verifier(PkceCodeVerifier::new(pkce.clone()));
    }
    let tokens = exchange.request_async(&http).await.map_err(upstream)?;
    let access_token = tokens.access_token().secret();
    let profile = get_json(&http, &settings.userinfo, access_token).await?;
    let mut user = map_profile(settings, target, &profile)?;
    if settings.quirk == Quirk::GitHub && user.email.is_none() {
        // Without the user:email scope this is a 404 or 403: then there is no address.
        if let Ok(Value::Array(emails)) = get_json(&http, "https://api.github.com/user/emails", access_token).await {
            user.email = emails
                .iter()
                .find(|e| e.get("primary") == Some(&Value::Bool(true)) && e.get("verified") == Some(&Value::Bool(true)))
                .and_then(|e| e.get("email").and_then(Value::as_str).map(str::to_owned));
        }
    }
    Ok((user, Some(upstream_tokens(&tokens))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::social::factories::{protocol, Protocol};
    use serde_json::json;

    fn settings(factory: &str) -> OAuth2Settings {
        match protocol(factory, json!({"clientId": "c", "clientSecret": "s"}).as_object().unwrap()).unwrap() {
            Protocol::OAuth2(settings) => settings,
            Protocol::Oidc(_) => panic!("{factory} is OAuth 2.0"),
        }
    }

    #[test]
    fn github_users_are_their_numeric_id_and_public_address() {
        // The shape of GitHub's `GET /user` (docs.github.com, "Get the authenticated user").
        let profile = json!({"login": "octocat", "id": 583231, "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4", "name": "The Octocat", "email": "octocat@github.com"});
        let user = map_profile(&settings("github-universal"), "github", &profile).unwrap();
        assert_eq!((user.id.as_str(), user.email.as_deref(), user.name.as_deref()), ("583231", Some("octocat@github.com"), Some("The Octocat")));
        assert_eq!(user.avatar.as_deref(), Some("https://avatars.githubusercontent.com/u/583231?v=4"));
    }

    #[test]
    fn discord_addresses_count_only_when_verified_and_avatars_are_cdn_urls() {
        // The shape of Discord's `GET /users/@me` (discord.com/developers, "User Object").
        let mut profile = json!({"id": "80351110224678912", "username": "nelly", "global_name": null, "avatar": "8342729096ea3675442027381ff50dfe", "email": "nelly@discord.com", "verified": true});
        let user = map_profile(&settings("discord-universal"), "discord", &profile).unwrap();
        assert_eq!((user.email.as_deref(), user.name.as_deref()), (Some("nelly@discord.com"), Some("nelly")));
        assert_eq!(user.avatar.as_deref(), Some("https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"));
        profile["verified"] = json!(false);
        assert_eq!(map_profile(&settings("discord-universal"), "discord", &profile).unwrap().email, None);
    }

    #[test]
    fn microsoft_graph_mail_is_not_taken_as_verified() {
        // The shape of Microsoft Graph's `GET /me`: `mail` is set by the tenant, not proven.
        let profile = json!({"id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd", "displayName": "Adele Vance", "mail": "AdeleV@contoso.com", "userPrincipalName": "AdeleV@contoso.com"});
        let user = map_profile(&settings("azuread-universal"), "azuread", &profile).unwrap();
        assert_eq!((user.id.as_str(), user.name.as_deref(), user.email), ("87d349ed-44d7-43e1-9a83-5f2406dee5bd", Some("Adele Vance"), None));
    }

    #[test]
    fn a_profile_without_an_id_is_an_invalid_response() {
        assert!(matches!(map_profile(&settings("github-universal"), "github", &json!({"login": "x"})), Err(SocialError::InvalidResponse(_))));
        let nested = OAuth2Settings { profile_map: serde_json::from_value(json!({"id": "data.uid", "email": "data.mail", "emailVerified": "data.ok"})).unwrap(), ..settings("github-universal") };
        let nested = OAuth2Settings { quirk: Quirk::None, ..nested };
        let user = map_profile(&nested, "x", &json!({"data": {"uid": 7, "mail": "a@b.example", "ok": "true"}})).unwrap();
        assert_eq!((user.id.as_str(), user.email.as_deref()), ("7", Some("a@b.example")));
    }
}
