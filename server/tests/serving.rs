//! The serving layer as a client meets it: per-IP rate limits, slow clients dropped, and the
//! security headers on every page. (Storage plays no part here: SQLite only.)

mod common;

use std::time::{Duration, Instant};

use common::TestServer;
use identity::testing::TestDatabase;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn wrong_secret(server: &TestServer, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = server.http.post(server.url("/oidc/token")).basic_auth("no-such-app", Some("guess"))
        .form(&[("grant_type", "client_credentials")]);
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_client_guessing_secrets_is_slowed_down() {
    let server = TestServer::with_config(TestDatabase::sqlite().await, |config| {
        config.rate_limit_token_per_second = 1;
        config.rate_limit_token_burst = 5;
        config.rate_limit_interactive_per_second = 1;
        config.rate_limit_interactive_burst = 3;
    }).await;
    for _ in 0..5 {
        assert_eq!(wrong_secret(&server, None).await.status(), 401);
    }
    let limited = wrong_secret(&server, None).await;
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "Retry-After {retry_after}");
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(body["code"], "request.too_many_requests");
    assert_eq!(body["error"], "too_many_requests");
    // Without trusted proxies, a forged X-Forwarded-For does not buy a fresh budget.
    assert_eq!(wrong_secret(&server, Some("203.0.113.9")).await.status(), 429);

    // The sign-in surface has its own budget; what is not guessable stays open.
    for _ in 0..3 {
        assert_ne!(server.http.put(server.url("/api/experience")).json(&serde_json::json!({"interactionEvent": "SignIn"})).send().await.unwrap().status(), 429);
    }
    let limited = server.http.put(server.url("/api/experience")).json(&serde_json::json!({"interactionEvent": "SignIn"})).send().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.json::<serde_json::Value>().await.unwrap()["code"], "request.too_many_requests");
    assert_eq!(server.http.get(server.url("/oidc/jwks")).send().await.unwrap().status(), 200);
    assert_eq!(server.http.get(server.url("/sign-in")).send().await.unwrap().status(), 200);

    // The budget refills at the configured rate.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(wrong_secret(&server, None).await.status(), 401);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_budget() {
    let server = TestServer::with_config(TestDatabase::sqlite().await, |config| {
        config.rate_limit_token_per_second = 1;
        config.rate_limit_token_burst = 2;
        config.trusted_proxies = 1;
    }).await;
    for _ in 0..2 {
        assert_eq!(wrong_secret(&server, Some("198.51.100.1")).await.status(), 401);
    }
    assert_eq!(wrong_secret(&server, Some("198.51.100.1")).await.status(), 429);
    // Another client behind the same proxy; a prefix the client wrote itself is skipped.
    assert_eq!(wrong_secret(&server, Some("198.51.100.2")).await.status(), 401);
    assert_eq!(wrong_secret(&server, Some("10.9.9.9, 198.51.100.1")).await.status(), 429);
}

/// Reads until the server closes the connection; returns what it sent and when it closed.
async fn until_closed(mut stream: TcpStream, limit: Duration) -> (String, Option<Duration>) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit.saturating_sub(started.elapsed()), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&received).into_owned(), Some(started.elapsed())),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => return (String::from_utf8_lossy(&received).into_owned(), None),
        }
    }
}

#[tokio::test]
async fn slow_clients_are_disconnected_after_the_read_timeout() {
    let server = TestServer::with_config(TestDatabase::sqlite().await, |config| config.read_timeout_seconds = 1).await;
    let address = server.base.trim_start_matches("http://").to_owned();

    // Half a request head, then silence.
    let mut half_head = TcpStream::connect(&address).await.unwrap();
    half_head.write_all(b"GET /api/status HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let (_, closed) = until_closed(half_head, Duration::from_secs(15)).await;
    assert!(closed.is_some(), "a half-sent head must not hold the connection open");

    // A body shorter than its Content-Length.
    let mut short_body = TcpStream::connect(&address).await.unwrap();
    short_body.write_all(b"POST /oidc/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type").await.unwrap();
    let (answer, closed) = until_closed(short_body, Duration::from_secs(15)).await;
    assert!(closed.is_some(), "a body that never completes must not hold the connection open");
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "answered with a client error if at all: {answer}");

    // A silent connection is dropped too; a prompt client on a kept-alive connection is served.
    let silent = TcpStream::connect(&address).await.unwrap();
    assert!(until_closed(silent, Duration::from_secs(15)).await.1.is_some());
    let mut prompt = TcpStream::connect(&address).await.unwrap();
    prompt.write_all(b"GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut first = [0u8; 12];
    prompt.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 204");
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_with_their_scripts_nonce() {
    let server = TestServer::on_sqlite().await;
    let page = server.http.get(server.url("/sign-in")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(headers.get("strict-transport-security").is_none(), "no HSTS over plain http");
    let policy = headers["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.split(';').any(|d| d.trim().starts_with("script-src") && d.contains("'unsafe-inline'")), "{policy}");
    let nonce = policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce").to_owned();
    let html = page.text().await.unwrap();
    // Every inline script of the page carries this response's nonce, so it runs; others don't.
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(!scripts.is_empty());
    for script in scripts {
        let tag = script.split('>').next().unwrap();
        assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "script without the nonce: <script{tag}>");
    }
    // A new response, a new nonce.
    let again = server.http.get(server.url("/sign-in")).send().await.unwrap();
    assert!(!again.headers()["content-security-policy"].to_str().unwrap().contains(&nonce));
    // The 404 page is a page too.
    let missing = server.http.get(server.url("/no-such-page")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers()["content-security-policy"].to_str().unwrap().contains("'nonce-"));
    // APIs are not pages, but never sniffed.
    let api = server.http.get(server.url("/oidc/jwks")).send().await.unwrap();
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    assert!(api.headers().get("x-frame-options").is_none());
}

#[tokio::test]
async fn an_https_endpoint_gets_hsts_and_secure_cookies() {
    let server = TestServer::with_config(TestDatabase::sqlite().await, |config| config.endpoint = "https://id.example.com".into()).await;
    let (app, _) = server.app(identity::applications::AppType::Traditional, "web").await;
    let page = server.http.get(server.url("/sign-in")).send().await.unwrap();
    assert_eq!(page.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
    let auth = server.http.get(server.url(&format!("/oidc/auth?client_id={}&redirect_uri={}&response_type=code&scope=openid&code_challenge={}&code_challenge_method=S256", app, common::REDIRECT, common::CHALLENGE))).send().await.unwrap();
    let cookies: Vec<String> = auth.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(!cookies.is_empty());
    for cookie in cookies {
        assert!(cookie.contains("Secure"), "{cookie}");
    }
}
