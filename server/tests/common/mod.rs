//! Starts the real router on `127.0.0.1:0` over a fresh database, with helpers that act like
//! an application and a browser.

#![allow(dead_code)]

pub mod passkey;
pub mod sms;
pub mod smtp;
pub mod upstream;

use std::sync::Arc;

use identity::applications::{self, AppType, NewApplication};
use identity::clock::ManualClock;
use identity::testing::TestDatabase;
use identity::users::{self, NewUser};
use reqwest::header::LOCATION;
use serde_json::{json, Value};
use server::config::{Config, PasswordHashing};
use server::{AppState, Server};

pub const REDIRECT: &str = "https://app.example.com/callback";
pub const POST_LOGOUT: &str = "https://app.example.com/signed-out";
/// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A Management API access token from the node at `base` for the client `id` with `secret`
/// (client credentials), or what the token endpoint answered instead.
pub async fn management_token_at(base: &str, id: &str, secret: &str) -> Result<String, Value> {
    let body: Value = client()
        .post(format!("{base}/oidc/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("resource", identity::management::DEFAULT_INDICATOR), ("scope", "all")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().map(str::to_owned).ok_or(body)
}

pub struct TestServer {
    pub base: String,
    /// A client with no cookies that does not follow redirects (an application's back end).
    pub http: reqwest::Client,
    pub state: AppState,
    pub clock: ManualClock,
    /// The Management API client, made once (the first-run app's secret is shown only once).
    management: tokio::sync::OnceCell<reqwest::Client>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    _db: TestDatabase,
    _data: tempfile::TempDir,
}

impl TestServer {
    pub async fn on_sqlite() -> Self {
        Self::start(TestDatabase::sqlite().await).await
    }

    pub async fn on_postgres() -> Option<Self> {
        Some(Self::start(TestDatabase::postgres().await?).await)
    }

    pub async fn start(db: TestDatabase) -> Self {
        let url = db.url.clone();
        Self::start_node(db, &url, "127.0.0.1", None, |_| {}).await
    }

    /// A server with some settings changed from the tests' defaults (which turn the per-IP
    /// rate limits off: tests send many requests from one address).
    pub async fn with_config(db: TestDatabase, tune: impl FnOnce(&mut Config)) -> Self {
        let url = db.url.clone();
        Self::start_node(db, &url, "127.0.0.1", None, tune).await
    }

    /// A server whose public endpoint is `http://localhost:<port>`: WebAuthn needs a domain
    /// name as its relying party (browsers refuse IP addresses).
    pub async fn at_localhost(db: TestDatabase) -> Self {
        let url = db.url.clone();
        Self::start_node(db, &url, "localhost", None, |_| {}).await
    }

    /// Another node on the same database, secret and public endpoint (as behind a load
    /// balancer that sends each request to whichever node it likes).
    pub async fn peer_node(&self) -> Self {
        let db = match self.state.store.backend() {
            identity::Backend::Sqlite => TestDatabase::sqlite().await,
            identity::Backend::Postgres => TestDatabase::postgres().await.unwrap(),
        };
        let url = self.state.config.database_url();
        Self::start_node(db, &url, "localhost", Some(self.state.provider.endpoint.clone()), |_| {}).await
    }

    /// Another node on the same database and secret, as behind a load balancer.
    pub async fn second_node(&self) -> Self {
        let db = match self.state.store.backend() {
            identity::Backend::Sqlite => TestDatabase::sqlite().await,
            identity::Backend::Postgres => TestDatabase::postgres().await.unwrap(),
        };
        let url = self.state.config.database_url();
        Self::start_node(db, &url, "127.0.0.1", None, |_| {}).await
    }

    /// Starts a server on `url` (the database), reached as `http://<host>:<port>`, whose public
    /// endpoint is that address unless `endpoint` names another; `db` is only kept alive (and
    /// dropped) with it.
    async fn start_node(db: TestDatabase, url: &str, host: &str, endpoint: Option<String>, tune: impl FnOnce(&mut Config)) -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: Some(url.to_owned()),
            secret: Some("one secret shared by every node of the test cluster".to_owned()),
            data_dir: data.path().to_owned(),
            site_root: Some(data.path().join("site")),
            password_hashing: PasswordHashing::TestOnlyCheap,
            rate_limit_token_per_second: 0,
            rate_limit_interactive_per_second: 0,
            ..Config::default()
        };
        tune(&mut config);
        // A test that set a public endpoint keeps it (e.g. an https one behind a proxy).
        let endpoint = endpoint.or_else(|| (config.endpoint != Config::default().endpoint).then(|| config.endpoint.clone()));
        let clock = ManualClock::at(1_800_000_000_000);
        let mut server = Server::bind_with_clock(config, Arc::new(clock.clone())).await.expect("server starts");
        let base = format!("http://{host}:{}", server.local_addr.port());
        // Issuer and redirects name the address the test talks to.
        server.state.provider.endpoint = endpoint.unwrap_or_else(|| base.clone());
        let server = server.rebuild_router();
        let state = server.state.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.serve(async {
            let _ = rx.await;
        }));
        Self { base, http: client(), state, clock, management: tokio::sync::OnceCell::new(), _shutdown: tx, _db: db, _data: data }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn issuer(&self) -> String {
        format!("{}/oidc", self.base)
    }

    /// A browser: keeps cookies (respecting their paths), follows no redirects.
    pub fn browser(&self) -> reqwest::Client {
        client_builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    /// A Management API client: the first-run machine-to-machine app's access token rides
    /// along on every request (use with [`call`](Self::call)).
    pub async fn management_client(&self) -> reqwest::Client {
        self.management.get_or_init(|| self.new_management_client()).await.clone()
    }

    async fn new_management_client(&self) -> reqwest::Client {
        let client = identity::management::bootstrap_on_first_run(&self.state.store, &self.clock, identity::management::DEFAULT_INDICATOR).await.unwrap().expect("first run");
        let token: Value = self.http.post(self.url("/oidc/token")).basic_auth(&client.id, Some(&client.secret))
            .form(&[("grant_type", "client_credentials"), ("resource", identity::management::DEFAULT_INDICATOR), ("scope", "all")])
            .send().await.unwrap().json().await.unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {}", token["access_token"].as_str().expect("a token")).parse().unwrap());
        client_builder().default_headers(headers).build().unwrap()
    }

    pub async fn app(&self, app_type: AppType, id: &str) -> (String, Option<String>) {
        let created = applications::create(
            &self.state.store,
            &self.clock,
            NewApplication {
                id: Some(id.to_owned()),
                name: format!("{id} app"),
                app_type,
                secret: None,
                redirect_uris: vec![REDIRECT.to_owned()],
                post_logout_redirect_uris: vec![POST_LOGOUT.to_owned()],
                cors_allowed_origins: vec![],
                is_third_party: false,
                id_token_alg: None,
                description: None,
            },
        )
        .await
        .unwrap();
        (created.application.id, created.secret)
    }

    pub async fn user(&self, username: &str, password: &str) -> String {
        let hash = self.state.provider.passwords.hash(password).await;
        let new = NewUser {
            username: Some(username.to_owned()),
            primary_email: Some(format!("{username}@example.com")),
            name: Some(format!("{username} Example")),
            password: Some(hash),
            ..NewUser::default()
        };
        users::create(&self.state.store, &self.clock, new).await.unwrap().id
    }

    /// Changes the sign-in experience (a partial document) and drops the cached copy.
    pub async fn sign_in_experience(&self, patch: Value) {
        identity::sign_in_experience::update(&self.state.store, &self.clock, &patch).await.expect("valid sign-in experience");
        self.state.provider.caches.sign_in_experience.clear();
    }

    /// Starts a mail server and makes it Vestibule's email connector.
    pub async fn mail_server(&self) -> smtp::SmtpServer {
        let smtp = smtp::SmtpServer::start();
        identity::connectors::configure(&self.state.store, &self.clock, &smtp.connector()).await.unwrap();
        smtp
    }

    /// A browser that has started an authorization request (it holds the interaction cookie).
    pub async fn browser_in_interaction(&self) -> reqwest::Client {
        if self.state.provider.application("spa").await.unwrap().is_none() {
            self.app(identity::applications::AppType::Spa, "spa").await;
        }
        let browser = self.browser();
        self.begin(&browser, &self.auth_url("spa", &[])).await;
        browser
    }

    /// PUT SignIn, password, identification: a browser identified as `username` and ready to
    /// submit (MFA tests go on from here).
    pub async fn identified(&self, username: &str, password: &str) -> reqwest::Client {
        let browser = self.browser_in_interaction().await;
        self.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (_, body) = self
            .call(&browser, "POST", "/api/experience/verification/password", Some(json!({"identifier": {"type": "username", "value": username}, "password": password})))
            .await;
        let (status, _) = self.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": body["verificationId"]}))).await;
        assert_eq!(status, 204);
        browser
    }

    /// `POST /api/experience/submit`.
    pub async fn submit(&self, browser: &reqwest::Client) -> (u16, Value) {
        self.call(browser, "POST", "/api/experience/submit", None).await
    }

    /// A JSON call to the Experience API: status and body (`null` when empty).
    pub async fn call(&self, browser: &reqwest::Client, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = browser.request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) })
    }

    /// `/oidc/auth` for a public client with PKCE; `extra` adds or overrides parameters.
    pub fn auth_url(&self, client_id: &str, extra: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, &str)> = vec![
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid profile email"),
            ("state", "state-123"),
            ("nonce", "nonce-456"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ];
        for (k, v) in extra {
            params.retain(|(key, _)| key != k);
            if !v.is_empty() {
                params.push((k, v));
            }
        }
        let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
        self.url(&format!("/oidc/auth?{query}"))
    }

    /// Starts an authorization request in `browser`; returns the interaction's Location.
    pub async fn begin(&self, browser: &reqwest::Client, auth_url: &str) -> String {
        let response = browser.get(auth_url).send().await.unwrap();
        assert_eq!(response.status(), 303, "{:?}", response.text().await);
        response.headers()[LOCATION].to_str().unwrap().to_owned()
    }

    /// The Experience API's password sign-in, as the hosted page drives it; returns redirectTo.
    pub async fn experience_sign_in(&self, browser: &reqwest::Client, username: &str, password: &str) -> String {
        let put = browser.put(self.url("/api/experience")).json(&json!({"interactionEvent": "SignIn"})).send().await.unwrap();
        assert_eq!(put.status(), 204);
        let verification: Value = browser
            .post(self.url("/api/experience/verification/password"))
            .json(&json!({"identifier": {"type": "username", "value": username}, "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = verification["verificationId"].as_str().expect("verificationId").to_owned();
        let identified = browser.post(self.url("/api/experience/identification")).json(&json!({"verificationId": id})).send().await.unwrap();
        assert_eq!(identified.status(), 204);
        let submitted: Value = browser.post(self.url("/api/experience/submit")).send().await.unwrap().json().await.unwrap();
        submitted["redirectTo"].as_str().expect("redirectTo").to_owned()
    }

    /// Follows `url` once and returns the `code` it redirects to the client with.
    pub async fn code_from(&self, browser: &reqwest::Client, url: &str) -> String {
        let response = browser.get(url).send().await.unwrap();
        assert_eq!(response.status(), 303);
        let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(location.starts_with(REDIRECT), "{location}");
        let query = query_of(&location);
        assert_eq!(query_value(&query, "state").as_deref(), Some("state-123"));
        assert_eq!(query_value(&query, "iss").as_deref(), Some(self.issuer().as_str()));
        query_value(&query, "code").expect("code")
    }

    /// The whole browser part: authorization request, sign-in, back to the client.
    pub async fn authorize(&self, browser: &reqwest::Client, client_id: &str, username: &str, password: &str, extra: &[(&str, &str)]) -> String {
        let location = self.begin(browser, &self.auth_url(client_id, extra)).await;
        assert!(location.starts_with("/sign-in"), "{location}");
        let redirect_to = self.experience_sign_in(browser, username, password).await;
        self.code_from(browser, &redirect_to).await
    }

    /// [`authorize`](Self::authorize) for a third-party application: the sign-in, then the
    /// consent page's approval (`POST /api/interaction/consent`).
    pub async fn authorize_with_consent(&self, browser: &reqwest::Client, client_id: &str, username: &str, password: &str, extra: &[(&str, &str)]) -> String {
        let location = self.begin(browser, &self.auth_url(client_id, extra)).await;
        assert!(location.starts_with("/sign-in"), "{location}");
        let redirect_to = self.experience_sign_in(browser, username, password).await;
        let consent = browser.get(&redirect_to).send().await.unwrap();
        assert!(consent.headers()[LOCATION].to_str().unwrap().starts_with("/consent"));
        let (status, body) = self.call(browser, "POST", "/api/interaction/consent", Some(json!({}))).await;
        assert_eq!(status, 200, "{body}");
        self.code_from(browser, body["redirectTo"].as_str().unwrap()).await
    }

    pub async fn token(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(self.url("/oidc/token")).form(form).send().await.unwrap()
    }

    pub async fn exchange_code(&self, client_id: &str, code: &str) -> Value {
        let response = self
            .token(&[("grant_type", "authorization_code"), ("client_id", client_id), ("code", code), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)])
            .await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn jwks(&self) -> Value {
        self.http.get(self.url("/oidc/jwks")).send().await.unwrap().json().await.unwrap()
    }

    /// Verifies a JWT against the published JWKS and returns its claims.
    pub async fn verify_jwt(&self, token: &str, audience: &str) -> Value {
        let header = jsonwebtoken::decode_header(token).unwrap();
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(self.jwks().await).unwrap();
        let jwk = jwks.find(header.kid.as_deref().unwrap()).expect("kid published in JWKS");
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(header.alg);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[self.issuer()]);
        // Tokens are stamped with the test clock, far from the wall clock.
        validation.validate_exp = false;
        jsonwebtoken::decode::<Value>(token, &key, &validation).expect("valid signature and claims").claims
    }
}

/// `localhost` always means IPv4 loopback here, where the test servers listen (the URL's port
/// is the one used).
const LOOPBACK: std::net::SocketAddr = std::net::SocketAddr::V4(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 0));

/// A client that calls with `Authorization: Bearer <token>` (an Account API caller).
pub fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    client_builder().default_headers(headers).build().unwrap()
}

pub fn client() -> reqwest::Client {
    client_builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Every test client reaches `localhost` on loopback and gives up on a request after a
/// minute: a server that never answers fails the test at that request instead of hanging
/// the suite.
fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().resolve("localhost", LOOPBACK).timeout(std::time::Duration::from_secs(60))
}

pub fn query_of(location: &str) -> Vec<(String, String)> {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

pub fn query_value(query: &[(String, String)], key: &str) -> Option<String> {
    query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

/// Declares each scenario twice, on SQLite and on PostgreSQL, each with a fresh server.
#[macro_export]
macro_rules! on_both_databases {
    // Servers whose public endpoint is `http://localhost:<port>` (WebAuthn needs a domain).
    (at localhost: $(async fn $name:ident($server:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test]
                async fn sqlite() {
                    let $server = common::TestServer::at_localhost(identity::testing::TestDatabase::sqlite().await).await;
                    $body
                }

                #[tokio::test]
                async fn postgres() {
                    let Some(db) = identity::testing::TestDatabase::postgres().await else { return };
                    let $server = common::TestServer::at_localhost(db).await;
                    $body
                }
            }
        )*
    };
    ($(async fn $name:ident($server:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test]
                async fn sqlite() {
                    let $server = common::TestServer::on_sqlite().await;
                    $body
                }

                #[tokio::test]
                async fn postgres() {
                    let Some($server) = common::TestServer::on_postgres().await else { return };
                    $body
                }
            }
        )*
    };
}
