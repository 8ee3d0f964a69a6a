//! The social connector factories, by Logto's `connectorId`: the two generic protocols
//! (`oidc`, `oauth2`) and presets that are those protocols with a vendor's endpoints, scopes
//! and claims filled in. A preset takes only what the vendor's console hands out (a client id
//! and secret, an optional scope, Microsoft's tenant); everything else is fixed here.

use serde_json::{Map, Value};

use super::oauth2::{AuthMethod, OAuth2Settings, ProfileMap, Quirk};
use super::oidc::{Endpoints, OidcSettings};
use super::SocialError;

/// How a connector talks to its upstream.
#[derive(Debug, Clone, PartialEq)]
pub enum Protocol {
    Oidc(OidcSettings),
    OAuth2(OAuth2Settings),
}

/// A kind of social connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Factory {
    /// Logto's `connectorId`.
    pub id: &'static str,
    /// The default `target` (the key of the identity in `users.identities`).
    pub target: &'static str,
    pub name: &'static str,
    /// Served from the site root; an operator's `metadata.logo` replaces it.
    pub logo: &'static str,
    /// Generic protocols are `isStandard` in Logto: several may exist, each its own target.
    pub is_standard: bool,
    /// The configuration keys, for `/api/connector-factories`.
    pub config_keys: &'static [&'static str],
}

pub const FACTORIES: [Factory; 8] = [
    Factory { id: "oidc", target: "oidc", name: "OpenID Connect", logo: "/connectors/oidc.svg", is_standard: true,
        config_keys: &["issuer", "authorizationEndpoint", "tokenEndpoint", "userInfoEndpoint", "idTokenVerificationConfig", "clientId", "clientSecret", "scope", "authRequestOptionalConfig", "trustUnverifiedEmail"] },
    Factory { id: "oauth2", target: "oauth2", name: "OAuth 2.0", logo: "/connectors/oauth2.svg", is_standard: true,
        config_keys: &["authorizationEndpoint", "tokenEndpoint", "userInfoEndpoint", "clientId", "clientSecret", "tokenEndpointAuthMethod", "scope", "profileMap", "trustUnverifiedEmail", "customConfig"] },
    Factory { id: "google-universal", target: "google", name: "Google", logo: "/connectors/google.svg", is_standard: false, config_keys: &["clientId", "clientSecret", "scope", "prompts"] },
    Factory { id: "github-universal", target: "github", name: "GitHub", logo: "/connectors/github.svg", is_standard: false, config_keys: &["clientId", "clientSecret", "scope"] },
    Factory { id: "azuread-universal", target: "azuread", name: "Microsoft", logo: "/connectors/microsoft.svg", is_standard: false,
        config_keys: &["clientId", "clientSecret", "tenantId", "cloudInstance", "scope"] },
    Factory { id: "gitlab-universal", target: "gitlab", name: "GitLab", logo: "/connectors/gitlab.svg", is_standard: false, config_keys: &["clientId", "clientSecret", "scope"] },
    Factory { id: "discord-universal", target: "discord", name: "Discord", logo: "/connectors/discord.svg", is_standard: false, config_keys: &["clientId", "clientSecret", "scope"] },
    Factory { id: "apple-universal", target: "apple", name: "Apple", logo: "/connectors/apple.svg", is_standard: false, config_keys: &["clientId", "scope"] },
];

pub fn factory(id: &str) -> Option<&'static Factory> {
    FACTORIES.iter().find(|f| f.id == id)
}

fn invalid(message: impl Into<String>) -> SocialError {
    SocialError::InvalidConfig(message.into())
}

/// A string setting; `None` when absent or empty.
fn text(config: &Map<String, Value>, key: &str) -> Result<Option<String>, SocialError> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(invalid(format!("{key} is a string"))),
    }
}

fn required(config: &Map<String, Value>, key: &str) -> Result<String, SocialError> {
    text(config, key)?.ok_or_else(|| invalid(format!("{key} is required")))
}

/// An absolute http(s) URL setting.
fn url_setting(config: &Map<String, Value>, key: &str) -> Result<Option<String>, SocialError> {
    let Some(value) = text(config, key)? else { return Ok(None) };
    match url::Url::parse(&value) {
        Ok(url) if matches!(url.scheme(), "https" | "http") && url.host().is_some() => Ok(Some(value)),
        _ => Err(invalid(format!("{key} must be an http(s) URL"))),
    }
}

fn required_url(config: &Map<String, Value>, key: &str) -> Result<String, SocialError> {
    url_setting(config, key)?.ok_or_else(|| invalid(format!("{key} is required")))
}

fn flag(config: &Map<String, Value>, key: &str) -> Result<bool, SocialError> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(invalid(format!("{key} is true or false"))),
    }
}

/// Extra authorization-request parameters from a string map (`authRequestOptionalConfig`,
/// `customConfig`): only strings, and never the ones the flow itself sets.
fn extra_params(config: &Map<String, Value>, key: &str) -> Result<Vec<(String, String)>, SocialError> {
    const OWN: [&str; 8] = ["client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method"];
    let Some(value) = config.get(key).filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
    let object = value.as_object().ok_or_else(|| invalid(format!("{key} is an object")))?;
    object
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            // Logto's `authRequestOptionalConfig` is camelCase (`maxAge`, `loginHint`); the wire is snake_case.
            let name: String = k.chars().flat_map(|c| if c.is_ascii_uppercase() { vec!['_', c.to_ascii_lowercase()] } else { vec![c] }).collect();
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return Err(invalid(format!("{key}.{k} is a string"))),
            };
            if OWN.contains(&name.as_str()) { Err(invalid(format!("{key} cannot set {name}"))) } else { Ok((name, value)) }
        })
        .collect()
}

fn scope_with_openid(scope: Option<String>, default: &str) -> String {
    let scope = scope.unwrap_or_else(|| default.to_owned());
    if scope.split_whitespace().any(|s| s == "openid") { scope } else { format!("openid {scope}") }
}

/// The protocol a factory's configuration describes, or why the configuration is unusable.
pub fn protocol(factory_id: &str, config: &Map<String, Value>) -> Result<Protocol, SocialError> {
    let client_id = || required(config, "clientId");
    let client_secret = || required(config, "clientSecret");
    let scope = || text(config, "scope");
    match factory_id {
        "oidc" => {
            let endpoints = match url_setting(config, "issuer")? {
                Some(issuer) => Endpoints::Discovery { issuer },
                None => {
                    let verification = config.get("idTokenVerificationConfig").and_then(Value::as_object).cloned().unwrap_or_default();
                    Endpoints::Explicit {
                        authorization: required_url(config, "authorizationEndpoint").map_err(|_| invalid("issuer (for discovery) or authorizationEndpoint is required"))?,
                        token: required_url(config, "tokenEndpoint")?,
                        userinfo: url_setting(config, "userInfoEndpoint")?,
                        jwks: required_url(&verification, "jwksUri").map_err(|_| invalid("idTokenVerificationConfig.jwksUri is required without an issuer"))?,
                        issuer: text(&verification, "issuer")?,
                    }
                }
            };
            Ok(Protocol::Oidc(OidcSettings {
                endpoints,
                client_id: client_id()?,
                client_secret: Some(client_secret()?),
                scope: scope_with_openid(scope()?, "openid profile email"),
                extra_params: extra_params(config, "authRequestOptionalConfig")?,
                id_token_in_callback: false,
                trust_unverified_email: flag(config, "trustUnverifiedEmail")?,
            }))
        }
        "oauth2" => {
            let auth_method = match text(config, "tokenEndpointAuthMethod")?.as_deref() {
                None | Some("client_secret_post") => AuthMethod::Post,
                Some("client_secret_basic") => AuthMethod::Basic,
                Some(other) => return Err(invalid(format!("tokenEndpointAuthMethod {other} is not supported (client_secret_post or client_secret_basic)"))),
            };
            let profile_map = match config.get("profileMap") {
                None | Some(Value::Null) => ProfileMap::default(),
                Some(value) => serde_json::from_value(value.clone()).map_err(|e| invalid(format!("profileMap: {e}")))?,
            };
            Ok(Protocol::OAuth2(OAuth2Settings {
                authorization: required_url(config, "authorizationEndpoint")?,
                token: required_url(config, "tokenEndpoint")?,
                userinfo: required_url(config, "userInfoEndpoint")?,
                client_id: client_id()?,
                client_secret: client_secret()?,
                auth_method,
                scope: scope()?.unwrap_or_default(),
                profile_map,
                trust_unverified_email: flag(config, "trustUnverifiedEmail")?,
                extra_params: extra_params(config, "customConfig")?,
                quirk: Quirk::None,
            }))
        }
        "google-universal" => {
            let mut extra = Vec::new();
            if let Some(prompts) = config.get("prompts").and_then(Value::as_array) {
                let prompts: Vec<&str> = prompts.iter().filter_map(Value::as_str).collect();
                if !prompts.is_empty() {
                    extra.push(("prompt".to_owned(), prompts.join(" ")));
                }
            }
            vendor_oidc(config, "https://accounts.google.com", Some(client_secret()?), "openid profile email", extra)
        }
        "gitlab-universal" => vendor_oidc(config, "https://gitlab.com", Some(client_secret()?), "openid profile email", Vec::new()),
        // Apple needs no secret here: the ID token comes with the callback (a form post), and
        // its signature, issuer, audience and nonce are what is checked.
        "apple-universal" => vendor_oidc(config, "https://appleid.apple.com", None, "openid name email", vec![("response_mode".into(), "form_post".into())]),
        "github-universal" => vendor_oauth2(
            config,
            ["https://github.com/login/oauth/authorize".into(), "https://github.com/login/oauth/access_token".into(), "https://api.github.com/user".into()],
            "read:user user:email",
            ["id", "email", "name", "avatar_url"],
            None,
            Quirk::GitHub,
        ),
        "discord-universal" => vendor_oauth2(
            config,
            ["https://discord.com/oauth2/authorize".into(), "https://discord.com/api/oauth2/token".into(), "https://discord.com/api/users/@me".into()],
            "identify email",
            ["id", "email", "global_name", "avatar"],
            Some("verified"),
            Quirk::Discord,
        ),
        // Microsoft's multi-tenant issuer is a template (`…/{tenantid}/v2.0`), which ID-token
        // validation cannot match, so this is OAuth 2.0 with Microsoft Graph's `/me`. Graph's
        // `mail` is whatever the tenant's administrator typed: it is not a verified address.
        "azuread-universal" => {
            let cloud = url_setting(config, "cloudInstance")?.unwrap_or_else(|| "https://login.microsoftonline.com".into());
            let tenant = text(config, "tenantId")?.unwrap_or_else(|| "common".into());
            if !tenant.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
                return Err(invalid("tenantId is a tenant id, a domain, common, organizations or consumers"));
            }
            let base = format!("{}/{tenant}/oauth2/v2.0", cloud.trim_end_matches('/'));
            let endpoints = [format!("{base}/authorize"), format!("{base}/token"), "https://graph.microsoft.com/v1.0/me".into()];
            vendor_oauth2(config, endpoints, "User.Read", ["id", "mail", "displayName", "avatar"], None, Quirk::None)
        }
        other => Err(invalid(format!("unknown social connector {other}"))),
    }
}

/// A vendor's OpenID Provider, found by discovery. Without a client secret, the ID token
/// arrives with the callback (the hybrid flow).
fn vendor_oidc(config: &Map<String, Value>, issuer: &str, client_secret: Option<String>, default_scope: &str, extra_params: Vec<(String, String)>) -> Result<Protocol, SocialError> {
    Ok(Protocol::Oidc(OidcSettings {
        endpoints: Endpoints::Discovery { issuer: issuer.to_owned() },
        client_id: required(config, "clientId")?,
        id_token_in_callback: client_secret.is_none(),
        client_secret,
        scope: scope_with_openid(text(config, "scope")?, default_scope),
        extra_params,
        trust_unverified_email: false,
    }))
}

/// A vendor's OAuth 2.0 endpoints (authorization, token, user) and where its user endpoint
/// keeps the id, email, name and avatar (`email_verified`: the field that vouches for the
/// address).
fn vendor_oauth2(
    config: &Map<String, Value>,
    [authorization, token, userinfo]: [String; 3],
    default_scope: &str,
    [id, email, name, avatar]: [&str; 4],
    email_verified: Option<&str>,
    quirk: Quirk,
) -> Result<Protocol, SocialError> {
    Ok(Protocol::OAuth2(OAuth2Settings {
        authorization,
        token,
        userinfo,
        client_id: required(config, "clientId")?,
        client_secret: required(config, "clientSecret")?,
        auth_method: AuthMethod::Post,
        scope: text(config, "scope")?.unwrap_or_else(|| default_scope.to_owned()),
        profile_map: ProfileMap { id: id.into(), email: email.into(), email_verified: email_verified.map(Into::into), phone: None, name: name.into(), avatar: avatar.into() },
        trust_unverified_email: false,
        extra_params: Vec::new(),
        quirk,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn every_preset_needs_only_what_its_vendor_hands_out() {
        let credentials = config(json!({"clientId": "id", "clientSecret": "secret"}));
        for factory in FACTORIES.iter().filter(|f| !f.is_standard) {
            assert!(protocol(factory.id, &credentials).is_ok(), "{}", factory.id);
            assert!(matches!(protocol(factory.id, &Map::new()), Err(SocialError::InvalidConfig(_))), "{} without a client id", factory.id);
        }
        assert!(protocol("apple-universal", &config(json!({"clientId": "com.example.web"}))).is_ok(), "Apple has no secret");
    }

    #[test]
    fn the_generic_oidc_connector_takes_an_issuer_or_logtos_explicit_endpoints() {
        let Protocol::Oidc(discovered) = protocol("oidc", &config(json!({"issuer": "https://id.example", "clientId": "c", "clientSecret": "s", "scope": "email"}))).unwrap() else { panic!() };
        assert_eq!(discovered.scope, "openid email", "openid is always asked");
        let explicit = config(json!({"authorizationEndpoint": "https://id.example/auth", "tokenEndpoint": "https://id.example/token", "clientId": "c", "clientSecret": "s",
            "scope": "openid", "idTokenVerificationConfig": {"jwksUri": "https://id.example/jwks"}, "authRequestOptionalConfig": {"prompt": "login", "maxAge": 60}}));
        let Protocol::Oidc(explicit) = protocol("oidc", &explicit).unwrap() else { panic!() };
        assert!(matches!(explicit.endpoints, Endpoints::Explicit { .. }));
        let mut extra = explicit.extra_params.clone();
        extra.sort();
        assert_eq!(extra, vec![("max_age".to_owned(), "60".to_owned()), ("prompt".to_owned(), "login".to_owned())]);
        let missing_jwks = config(json!({"authorizationEndpoint": "https://id.example/auth", "tokenEndpoint": "https://id.example/token", "clientId": "c", "clientSecret": "s"}));
        assert!(matches!(protocol("oidc", &missing_jwks), Err(SocialError::InvalidConfig(m)) if m.contains("jwksUri")));
        let hijack = config(json!({"issuer": "https://id.example", "clientId": "c", "clientSecret": "s", "authRequestOptionalConfig": {"redirectUri": "https://evil.example"}}));
        assert!(protocol("oidc", &hijack).is_err(), "the flow's own parameters cannot be overridden");
    }

    #[test]
    fn microsofts_tenant_is_part_of_its_endpoints_and_nothing_else() {
        let Protocol::OAuth2(settings) = protocol("azuread-universal", &config(json!({"clientId": "c", "clientSecret": "s", "tenantId": "contoso.onmicrosoft.com"}))).unwrap() else { panic!() };
        assert_eq!(settings.authorization, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize");
        assert!(protocol("azuread-universal", &config(json!({"clientId": "c", "clientSecret": "s", "tenantId": "x/../../evil"}))).is_err());
    }
}
