//! Real upstream identity providers for the social and enterprise SSO tests, on loopback:
//! `tests/upstream/oidc-provider.mjs` runs panva's `oidc-provider` (npm) — an independent,
//! certified OpenID Provider — with one client and the accounts a test gives it. A browser
//! signs in on its own pages (`sign_in`) as a person would.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub struct OidcUpstream {
    child: Child,
    pub issuer: String,
}

impl OidcUpstream {
    /// Starts the provider with this client (`client_secret_post`) and `accounts`
    /// (`{login: {email, email_verified, name, picture}}`).
    pub fn start(client_id: &str, client_secret: &str, redirect_uris: &[&str], accounts: Value) -> Self {
        Self::start_with(client_id, client_secret, redirect_uris, accounts, false)
    }

    /// [`start`](Self::start), and with `refresh_tokens` every code grant gives a refresh token too.
    pub fn start_with(client_id: &str, client_secret: &str, redirect_uris: &[&str], accounts: Value, refresh_tokens: bool) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/upstream/oidc-provider.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .env("UPSTREAM_CLIENT_ID", client_id)
            .env("UPSTREAM_CLIENT_SECRET", client_secret)
            .env("UPSTREAM_REDIRECT_URIS", redirect_uris.join(" "))
            .env("UPSTREAM_ACCOUNTS", accounts.to_string())
            .env("UPSTREAM_REFRESH_TOKENS", if refresh_tokens { "1" } else { "0" })
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs the upstream OpenID Provider (npm packages installed)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("listening ").unwrap_or_else(|| panic!("the upstream did not start: {line:?}"));
        Self { child, issuer: format!("http://127.0.0.1:{port}") }
    }

    /// Follows `authorization_uri` through the upstream's own pages as `login` (its login form,
    /// then its consent form) and answers where it sends the browser back: our callback URL.
    pub async fn sign_in(&self, browser: &reqwest::Client, authorization_uri: &str, login: &str, callback: &str) -> String {
        let mut location = authorization_uri.to_owned();
        for _ in 0..12 {
            if location.starts_with(callback) {
                return location;
            }
            let url = if location.starts_with('/') { format!("{}{location}", self.issuer) } else { location.clone() };
            let response = browser.get(&url).send().await.unwrap();
            if response.status().is_redirection() {
                location = response.headers()["location"].to_str().unwrap().to_owned();
                continue;
            }
            let page = response.text().await.unwrap();
            let action = between(&page, "action=\"", "\"").unwrap_or_else(|| panic!("no form on the upstream's page: {page}"));
            let mut form: Vec<(String, String)> = hidden_inputs(&page);
            if page.contains("name=\"login\"") {
                form.push(("login".into(), login.into()));
                form.push(("password".into(), "any password".into()));
            }
            let target = if action.starts_with('/') { format!("{}{action}", self.issuer) } else { action };
            let response = browser.post(&target).form(&form).send().await.unwrap();
            assert!(response.status().is_redirection(), "the upstream refused the form: {}", response.status());
            location = response.headers()["location"].to_str().unwrap().to_owned();
        }
        panic!("the upstream never sent the browser back to {callback}");
    }
}

fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(text[from..to].replace("&amp;", "&"))
}

fn hidden_inputs(page: &str) -> Vec<(String, String)> {
    page.split("<input").skip(1).filter(|i| i.contains("type=\"hidden\"")).filter_map(|i| Some((between(i, "name=\"", "\"")?, between(i, "value=\"", "\"").unwrap_or_default()))).collect()
}

impl Drop for OidcUpstream {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// A real SAML 2.0 identity provider: `tests/upstream/saml-idp.mjs` runs samlify (npm) with
/// a fresh RSA key and certificate (made with the `openssl` CLI), for one service provider
/// (a connector's entity id and ACS URL) and the accounts a test gives it
/// (`{login: {email, name}}`).
#[allow(dead_code)]
pub struct SamlIdp {
    child: Child,
    _keys: tempfile::TempDir,
    pub base: String,
    pub entity_id: String,
    pub metadata_url: String,
    /// The signing certificate, PEM.
    pub certificate: String,
}

/// What the IdP's auto-submitting form posts to the service provider.
#[allow(dead_code)]
pub struct SamlPost {
    pub action: String,
    pub saml_response: String,
    pub relay_state: Option<String>,
}

#[allow(dead_code)]
impl SamlIdp {
    pub fn start(sp_entity_id: &str, acs_url: &str, accounts: Value) -> Self {
        let keys = tempfile::tempdir().unwrap();
        let (key, cert) = (keys.path().join("idp.key"), keys.path().join("idp.crt"));
        let made = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-idp", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .expect("the openssl CLI makes the IdP's certificate");
        assert!(made.success());
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/upstream/saml-idp.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .env("SAML_IDP_KEY", &key)
            .env("SAML_IDP_CERT", &cert)
            .env("SAML_SP_ENTITY_ID", sp_entity_id)
            .env("SAML_SP_ACS", acs_url)
            .env("SAML_ACCOUNTS", accounts.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the SAML identity provider (npm packages installed)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("listening ").unwrap_or_else(|| panic!("the SAML IdP did not start: {line:?}"));
        let base = format!("http://127.0.0.1:{port}");
        Self { child, certificate: std::fs::read_to_string(&cert).unwrap(), entity_id: format!("{base}/metadata"), metadata_url: format!("{base}/metadata"), base, _keys: keys }
    }

    /// Follows `authorization_uri` (our AuthnRequest) to the IdP's login form, signs in as
    /// `login` (asking for a flawed answer with another `variant` than `ok`), and answers
    /// the form the IdP's page would post to the service provider.
    pub async fn sign_in(&self, authorization_uri: &str, login: &str, variant: &str) -> SamlPost {
        let browser = reqwest::Client::new();
        let page = browser.get(authorization_uri).send().await.unwrap().text().await.unwrap();
        let mut form = hidden_inputs(&page);
        assert!(!form.is_empty(), "the IdP did not take the request: {page}");
        form.push(("login".into(), login.into()));
        form.push(("variant".into(), variant.into()));
        let answer = browser.post(format!("{}/sso/login", self.base)).form(&form).send().await.unwrap().text().await.unwrap();
        saml_post(&answer)
    }

    /// A sign-in the IdP starts itself (its portal's tile for the application).
    pub async fn start_sign_in(&self, login: &str) -> SamlPost {
        let answer = reqwest::get(format!("{}/idp-initiated?login={login}", self.base)).await.unwrap().text().await.unwrap();
        saml_post(&answer)
    }
}

fn saml_post(page: &str) -> SamlPost {
    let inputs = hidden_inputs(page);
    let field = |name: &str| inputs.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    SamlPost {
        action: between(page, "action=\"", "\"").unwrap_or_else(|| panic!("no form on the IdP's answer: {page}")),
        saml_response: field("SAMLResponse").unwrap_or_else(|| panic!("no SAMLResponse: {page}")),
        relay_state: field("RelayState"),
    }
}

impl Drop for SamlIdp {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
