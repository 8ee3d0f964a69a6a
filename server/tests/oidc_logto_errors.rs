//! How the provider's endpoints refuse a request, as Logto's clients and SDKs read it:
//! client authentication at the token endpoint (mirrors Logto's
//! `packages/integration-tests/src/tests/api/oidc/client-authentication.test.ts`), the
//! `code`/`message` beside OAuth's `error`/`error_description` (spec §0; `@logto/js` raises
//! `LogtoRequestError` from them), and JSON errors for what the router itself refuses (as
//! Logto's `koa-oidc-unrecognized-route` turns provider misses into `invalid_request`).

mod common;

use base64::Engine;
use identity::applications::AppType;
use serde_json::{json, Value};

async fn token_error(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn basic(value: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(value))
}

on_both_databases! {
    async fn client_authentication_is_refused_as_logto_refuses_it(server) {
        let (app, secret) = server.app(AppType::MachineToMachine, "job").await;
        let secret = secret.unwrap();
        let post = |authorization: Option<String>, body: Vec<(&'static str, String)>| {
            let server = &server;
            async move {
                let mut form = vec![("grant_type", "client_credentials".to_owned())];
                form.extend(body);
                let mut request = server.http.post(server.url("/oidc/token")).form(&form);
                if let Some(value) = authorization {
                    request = request.header("authorization", value);
                }
                token_error(request.send().await.unwrap()).await
            }
        };

        let (status, body) = post(None, vec![]).await;
        assert_eq!((status, body["error"].as_str(), body["error_description"].as_str()), (400, Some("invalid_request"), Some("no client authentication mechanism provided")));
        assert_eq!((body["code"].as_str(), body["message"].as_str()), (Some("oidc.invalid_request"), Some("no client authentication mechanism provided")));

        let (status, body) = post(Some("Basic invalid".into()), vec![]).await;
        assert_eq!((status, body["error_description"].as_str()), (400, Some("invalid authorization header value format")));

        let (status, body) = post(Some(basic(&format!("{app}:invalid"))), vec![("client_id", "invalid".into())]).await;
        assert_eq!((status, body["error"].as_str(), body["error_description"].as_str()), (400, Some("invalid_request"), Some("mismatch in body and authorization client ids")));

        // A wrong secret and an unknown client are one answer, with Logto's code.
        let (status, wrong) = post(Some(basic(&format!("{app}:not-the-secret"))), vec![]).await;
        let (_, unknown) = post(Some(basic("nobody:not-the-secret")), vec![]).await;
        assert_eq!((status, wrong["code"].as_str()), (401, Some("oidc.invalid_client")));
        assert_eq!(wrong, unknown);

        // A named secret past its expiry says so.
        let management = server.management_client().await;
        let resource = "https://jobs.example.com";
        let created = management.post(server.url("/api/resources")).json(&json!({"name": "Jobs", "indicator": resource})).send().await.unwrap();
        assert_eq!(created.status(), 201);
        let with_resource = || vec![("resource", resource.to_owned())];
        let expires_at = 1_800_000_000_000i64 + 50;
        let created: Value = management.post(server.url(&format!("/api/applications/{app}/secrets")))
            .json(&json!({"name": "short-lived", "expiresAt": expires_at})).send().await.unwrap().json().await.unwrap();
        let named = created["value"].as_str().expect("the secret's value").to_owned();
        let (status, body) = post(Some(basic(&format!("{app}:{named}"))), with_resource()).await;
        assert_eq!(status, 200, "valid until it expires: {body}");
        server.clock.advance_ms(100);
        let (status, body) = post(Some(basic(&format!("{app}:{named}"))), with_resource()).await;
        assert_eq!((status, body["error"].as_str(), body["error_description"].as_str()), (400, Some("invalid_request"), Some("client secret has expired")));

        // Both mechanisms (legacy primary secret): in the header, and in the body.
        let (status, granted) = post(Some(basic(&format!("{app}:{secret}"))), with_resource()).await;
        assert_eq!((status, granted["token_type"].as_str()), (200, Some("Bearer")));
        // No role grants this app anything: the answer has no `scope` at all.
        assert!(granted.get("scope").is_none(), "{granted}");
        let mut in_body = vec![("client_id", app.clone()), ("client_secret", secret.clone())];
        in_body.extend(with_resource());
        let (status, _) = post(None, in_body).await;
        assert_eq!(status, 200);
    }

    async fn protocol_errors_carry_logtos_code_and_message(server) {
        let (app, _) = server.app(AppType::Spa, "spa").await;
        let (status, body) = token_error(server.token(&[("grant_type", "authorization_code"), ("client_id", &app), ("code", "no-such-code"), ("redirect_uri", common::REDIRECT), ("code_verifier", common::VERIFIER)]).await).await;
        assert_eq!((status, body["error"].as_str(), body["code"].as_str()), (400, Some("invalid_grant"), Some("oidc.invalid_grant")));
        assert_eq!(body["message"], body["error_description"]);
        let (status, body) = token_error(server.token(&[("grant_type", "password"), ("client_id", &app)]).await).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("oidc.unsupported_grant_type")));
        let me = server.http.get(server.url("/oidc/me")).bearer_auth("not-a-token").send().await.unwrap();
        let (status, body) = token_error(me).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("oidc.invalid_token")));
    }
}

/// Routing and body refusals never come back as text or as the HTML 404 page.
#[tokio::test]
async fn the_routers_refusals_are_json_on_the_apis() {
    let server = common::TestServer::on_sqlite().await;
    let unknown_oidc = server.http.get(server.url("/oidc/no-such-endpoint")).send().await.unwrap();
    let (status, body) = token_error(unknown_oidc).await;
    assert_eq!((status, body["error"].as_str(), body["code"].as_str()), (404, Some("invalid_request"), Some("oidc.invalid_request")));
    assert_eq!(body["error_description"], "unrecognized route or not allowed method (GET on /oidc/no-such-endpoint)");

    let wrong_method = server.http.delete(server.url("/oidc/token")).send().await.unwrap();
    let (status, body) = token_error(wrong_method).await;
    assert_eq!((status, body["code"].as_str()), (405, Some("oidc.invalid_request")));

    let unknown_api = server.http.get(server.url("/api/no-such-thing")).send().await.unwrap();
    assert_eq!(unknown_api.headers()["content-type"], "application/json");
    let (status, body) = token_error(unknown_api).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("request.route_not_found")));

    // Three megabytes of form to the token endpoint: refused before it is read, in JSON.
    let huge = "a".repeat(3 * 1024 * 1024);
    let oversized = server.http.post(server.url("/oidc/token")).header("content-type", "application/x-www-form-urlencoded").body(format!("grant_type=client_credentials&junk={huge}")).send().await.unwrap();
    let (status, body) = token_error(oversized).await;
    assert_eq!((status, body["code"].as_str()), (413, Some("oidc.invalid_request")));
    let oversized = server.http.put(server.url("/api/experience")).header("content-type", "application/json").body(format!("{{\"junk\": \"{huge}\"}}")).send().await.unwrap();
    let (status, body) = token_error(oversized).await;
    assert_eq!((status, body["code"].as_str()), (413, Some("guard.invalid_input")));

    // Pages keep their friendly HTML 404.
    let page = server.http.get(server.url("/no-such-page")).send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
}

/// Without an email connector, production answers as Logto does (501 `connector.not_found`)
/// and keeps nothing; the dev outbox (the default, for trying Vestibule) logs the message.
#[tokio::test]
async fn without_a_connector_production_refuses_to_send() {
    let server = common::TestServer::with_config(identity::testing::TestDatabase::sqlite().await, |config| config.dev_outbox = false).await;
    server.sign_in_experience(json!({"signUp": {"identifiers": ["email"], "password": false, "verify": true}, "signIn": {"methods": [{"identifier": "email", "password": false, "verificationCode": true, "isPasswordPrimary": false}]}})).await;
    let browser = server.browser_in_interaction().await;
    server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await;
    let (status, body) = server.call(&browser, "POST", "/api/experience/verification/verification-code",
        Some(json!({"identifier": {"type": "email", "value": "new@example.com"}, "interactionEvent": "Register"}))).await;
    assert_eq!((status, body["code"].as_str()), (501, Some("connector.not_found")));
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM verification_codes").fetch_one(server.state.store.pool()).await.unwrap();
    assert_eq!(kept, 0, "a code nobody could receive is not kept");
}

on_both_databases! {
    // RFC 6749 §3.1, as Logto answers it: a repeated `client_id` is refused on the page, and
    // nothing is sent to a redirect URI.
    async fn a_repeated_client_id_is_an_invalid_request(server) {
        let (app, _) = server.app(AppType::Spa, "spa").await;
        let url = format!("{}&client_id={app}", server.auth_url(&app, &[]));
        let response = server.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none());
        let page = response.text().await.unwrap();
        assert!(page.contains("invalid_request") && page.contains("'client_id' parameter must not be provided twice"), "{page}");
    }

    // Logto reads JSON at the token endpoints only (content-type-json.test.ts); a JSON body at
    // the authorization endpoint is refused by oidc-provider, on the page: the parameters that
    // would name a redirect URI were never read.
    async fn a_json_authorization_request_is_refused_on_the_page(server) {
        let (app, _) = server.app(AppType::Spa, "spa").await;
        let params: serde_json::Map<String, Value> = common::query_of(&server.auth_url(&app, &[])).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        let response = server.http.post(server.url("/oidc/auth")).json(&params).send().await.unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none());
        let page = response.text().await.unwrap();
        assert!(page.contains("only application/x-www-form-urlencoded content-type bodies are supported on POST /auth"), "{page}");
        // The same parameters as a form start the sign-in.
        let form: Vec<(String, String)> = params.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
        let response = server.http.post(server.url("/oidc/auth")).form(&form).send().await.unwrap();
        assert_eq!(response.status(), 303);
        assert!(response.headers()["location"].to_str().unwrap().starts_with("/sign-in"));
    }
}

on_both_databases! {
    // As Logto's oidc/content-type-json.test.ts: JSON bodies are read at the token endpoint,
    // other media types are refused by name.
    async fn the_token_endpoint_reads_json_and_refuses_other_media_types(server) {
        let (app, _) = server.app(AppType::Spa, "spa").await;
        let post = |content_type: &'static str, body: Value| {
            let server = &server;
            async move { token_error(server.http.post(server.url("/oidc/token")).header("content-type", content_type).body(body.to_string()).send().await.unwrap()).await }
        };
        let (status, body) = post("application/json", json!({"client_id": app})).await;
        assert_eq!((status, body["error_description"].as_str()), (400, Some("missing required parameter 'grant_type'")));
        let (_, body) = post("application/json; charset=utf-8", json!({"client_id": app, "grant_type": "refresh_token"})).await;
        assert_eq!(body["error_description"], "missing required parameter 'refresh_token'");
        let (status, body) = post("application/json1", json!({"client_id": app})).await;
        assert_eq!((status, body["error_description"].as_str()), (400, Some("only application/x-www-form-urlencoded content-type bodies are supported on POST /token")));
    }
}
