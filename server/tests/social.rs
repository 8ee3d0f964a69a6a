//! Social sign-in (spec §5) through a real, independent OpenID Provider on loopback
//! (panva's `oidc-provider`): the generic OIDC connector in the Management API, the Experience
//! API's authorization URI and verification, and identification — a new identity registers,
//! the same identity signs in again, an identity whose verified address belongs to an account
//! is told about it, and an answer for another sign-in is refused.

mod common;

use serde_json::{json, Value};

const CLIENT_ID: &str = "vestibule-test";
const CLIENT_SECRET: &str = "upstream-client-secret-0123456789";

fn accounts() -> Value {
    json!({
        "grace": {"email": "grace@upstream.example", "email_verified": true, "name": "Grace Hopper"},
        "ada": {"email": "ada@example.com", "email_verified": true, "name": "Ada"},
    })
}

/// The connector, created as an operator would.
async fn connector(server: &common::TestServer, issuer: &str) -> String {
    let m = server.management_client().await;
    let body = json!({"connectorId": "oidc", "config": {"issuer": issuer, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET},
        "metadata": {"target": "upstream", "name": {"en": "Upstream ID", "fr": "Upstream FR"}}});
    let (status, created) = server.call(&m, "POST", "/api/connectors", Some(body)).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!((&created["type"], &created["target"], &created["config"]["clientSecret"]), (&json!("Social"), &json!("upstream"), &json!("********")));
    created["id"].as_str().unwrap().to_owned()
}

/// PUT SignIn, the authorization URI, the upstream's own pages as `login`: answers the
/// browser (in the interaction), the record's id and the callback's parameters.
async fn through_upstream(server: &common::TestServer, upstream: &common::upstream::OidcUpstream, connector: &str, login: &str) -> (reqwest::Client, String, serde_json::Map<String, Value>) {
    let browser = server.browser_in_interaction().await;
    server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
    let callback = server.url("/callback/upstream");
    let (status, started) = server.call(&browser, "POST", &format!("/api/experience/verification/social/{connector}/authorization-uri"), Some(json!({"state": "state-abc", "redirectUri": callback}))).await;
    assert_eq!(status, 200, "{started}");
    let uri = started["authorizationUri"].as_str().unwrap();
    assert!(uri.starts_with(&upstream.issuer) && uri.contains("code_challenge=") && uri.contains("nonce=") && uri.contains("state=state-abc"), "{uri}");
    let upstream_browser = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let back = upstream.sign_in(&upstream_browser, uri, login, &callback).await;
    let query = back.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let data: serde_json::Map<String, Value> = form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))).collect();
    (browser, started["verificationId"].as_str().unwrap().to_owned(), data)
}

async fn verify(server: &common::TestServer, browser: &reqwest::Client, connector: &str, id: &str, data: &serde_json::Map<String, Value>) -> (u16, Value) {
    server.call(browser, "POST", &format!("/api/experience/verification/social/{connector}/verify"), Some(json!({"verificationId": id, "connectorData": data}))).await
}

on_both_databases! {
    async fn a_social_identity_registers_then_signs_in_again(server) {
        server.app(identity::applications::AppType::Spa, "spa").await;
        server.sign_in_experience(json!({"signUp": {"identifiers": ["email"], "password": true, "verify": true}})).await;
        let upstream = common::upstream::OidcUpstream::start(CLIENT_ID, CLIENT_SECRET, &[&server.url("/callback/upstream")], accounts());
        let connector = connector(&server, &upstream.issuer).await;
        let stored: String = sqlx::query_scalar("SELECT config FROM social_connectors WHERE id = $1").bind(&connector).fetch_one(server.state.store.pool()).await.unwrap();
        assert!(!stored.contains(CLIENT_SECRET), "the client secret is sealed at rest");

        let (browser, id, data) = through_upstream(&server, &upstream, &connector, "grace").await;
        let mut forged = data.clone();
        forged.insert("state".into(), json!("someone-elses-state"));
        let (status, body) = verify(&server, &browser, &connector, &id, &forged).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.state_mismatch")), "an answer for another sign-in");
        let (status, verified) = verify(&server, &browser, &connector, &id, &data).await;
        assert_eq!((status, &verified["verificationId"]), (200, &json!(id)), "{verified}");

        let (status, body) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("user.identity_not_exist")), "{body}");
        assert!(body.get("data").is_none_or(|d| d.get("relatedUser").is_none()), "nobody has grace's address");
        assert_eq!(server.call(&browser, "PUT", "/api/experience/interaction-event", Some(json!({"interactionEvent": "Register"}))).await.0, 204);
        let (status, body) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await;
        assert_eq!(status, 201, "registered (the identity stands in for a password): {body}");
        let (status, submitted) = server.submit(&browser).await;
        assert_eq!(status, 200, "{submitted}");
        let grace = identity::users::find_by_email(&server.state.store, "grace@upstream.example").await.unwrap().expect("the upstream's verified address");
        assert_eq!(grace.name.as_deref(), Some("Grace Hopper"));
        assert!(grace.password.is_none());

        // The same upstream identity, another day: the same account.
        let (browser, id, data) = through_upstream(&server, &upstream, &connector, "grace").await;
        assert_eq!(verify(&server, &browser, &connector, &id, &data).await.0, 200);
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await.0, 204);
        let (status, submitted) = server.submit(&browser).await;
        assert_eq!(status, 200, "{submitted}");
        let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE primary_email = $1").bind("grace@upstream.example").fetch_one(server.state.store.pool()).await.unwrap();
        assert_eq!(accounts, 1);
        let code = server.code_from(&browser, submitted["redirectTo"].as_str().unwrap()).await;
        let tokens = server.exchange_code("spa", &code).await;
        assert_eq!(server.verify_jwt(tokens["id_token"].as_str().unwrap(), "spa").await["sub"], json!(grace.id));

        // The Management API shows the identity, and unlinks it.
        let m = server.management_client().await;
        let (_, user) = server.call(&m, "GET", &format!("/api/users/{}", grace.id), None).await;
        assert_eq!(user["identities"]["upstream"]["userId"], json!("grace"), "{user}");
        assert_eq!(user["identities"]["upstream"]["details"]["email"], json!("grace@upstream.example"));
        let (_, all) = server.call(&m, "GET", &format!("/api/users/{}/all-identities", grace.id), None).await;
        assert_eq!(all["socialIdentities"][0]["target"], json!("upstream"));
        assert_eq!(server.call(&m, "DELETE", &format!("/api/users/{}/identities/upstream", grace.id), None).await.0, 204);
        let (status, body) = server.call(&m, "DELETE", &format!("/api/users/{}/identities/upstream", grace.id), None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("user.identity_not_exist")));
        assert_eq!(server.call(&m, "GET", &format!("/api/users/{}", grace.id), None).await.1["identities"], json!({}));
    }

    async fn an_upstream_address_that_has_an_account_is_named_and_a_used_code_verifies_nothing(server) {
        server.user("ada", "Correct-Horse-9").await;
        let upstream = common::upstream::OidcUpstream::start(CLIENT_ID, CLIENT_SECRET, &[&server.url("/callback/upstream")], accounts());
        let connector = connector(&server, &upstream.issuer).await;
        let (browser, id, data) = through_upstream(&server, &upstream, &connector, "ada").await;
        assert_eq!(verify(&server, &browser, &connector, &id, &data).await.0, 200);
        let (status, body) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await;
        assert_eq!((status, &body["data"]["relatedUser"]), (404, &json!({"type": "email", "value": "ada@example.com"})), "{body}");

        // The upstream's code works once: a second verification with it fails upstream.
        let (status, body) = verify(&server, &browser, &connector, &id, &data).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("connector.general")), "{body}");
        let (status, body) = verify(&server, &browser, "not-a-connector", &id, &data).await;
        assert_eq!(status, 404, "{body}");
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/social/nope/authorization-uri", Some(json!({"state": "s", "redirectUri": "https://app.example/cb"}))).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("entity.not_exists_with_id")));
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(server.state.store.pool()).await.unwrap();
        assert_eq!(users, 1, "nobody was created");

        // Connectors are listed with the message connectors, changed and deleted.
        let m = server.management_client().await;
        let (_, all) = server.call(&m, "GET", "/api/connectors", None).await;
        assert!(all.as_array().unwrap().iter().any(|c| c["id"] == json!(connector)));
        let (status, changed) = server.call(&m, "PATCH", &format!("/api/connectors/{connector}"), Some(json!({"config": {"clientSecret": "********", "scope": "openid email"}, "syncProfile": true}))).await;
        assert_eq!((status, &changed["config"]["scope"], &changed["syncProfile"]), (200, &json!("openid email"), &json!(true)), "{changed}");
        let (status, body) = server.call(&m, "POST", "/api/connectors", Some(json!({"connectorId": "oidc", "config": {"issuer": upstream.issuer, "clientId": "x", "clientSecret": "y"}, "metadata": {"target": "upstream"}}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("connector.multiple_target_with_same_platform")));
        let (status, body) = server.call(&m, "POST", "/api/connectors", Some(json!({"connectorId": "oidc", "config": {"issuer": "not a url", "clientId": "x", "clientSecret": "y"}, "metadata": {"target": "other"}}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("connector.invalid_config")));
        assert_eq!(server.call(&m, "DELETE", &format!("/api/connectors/{connector}"), None).await.0, 204);
        assert_eq!(server.call(&m, "GET", &format!("/api/connectors/{connector}"), None).await.0, 404);
    }
}

on_both_databases! {
    // The hosted pages without JavaScript: the sign-in page's "Continue with …" form, the
    // upstream's own pages, `/callback/<id>`, and back to the application — registered the
    // first time, the same account the second.
    async fn the_sign_in_page_continues_with_a_social_connector(server) {
        server.app(identity::applications::AppType::Spa, "spa").await;
        server.sign_in_experience(json!({"signUp": {"identifiers": ["email"], "password": true, "verify": true}})).await;
        let callback_prefix = server.url("/callback/");
        let upstream_redirect = |connector: &str| format!("{callback_prefix}{connector}");
        // The connector id is only known once created: start the upstream after it, for that callback.
        let m = server.management_client().await;
        let placeholder = json!({"connectorId": "oidc", "config": {"issuer": "http://127.0.0.1:9", "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}, "metadata": {"target": "upstream", "name": {"en": "Upstream ID"}}});
        let (_, created) = server.call(&m, "POST", "/api/connectors", Some(placeholder)).await;
        let connector = created["id"].as_str().unwrap().to_owned();
        let upstream = common::upstream::OidcUpstream::start(CLIENT_ID, CLIENT_SECRET, &[&upstream_redirect(&connector)], accounts());
        server.call(&m, "PATCH", &format!("/api/connectors/{connector}"), Some(json!({"config": {"issuer": upstream.issuer}}))).await;

        for round in 0..2 {
            let browser = server.browser_in_interaction().await;
            let html = browser.get(server.url("/sign-in")).header("accept", "text/html").send().await.unwrap().text().await.unwrap();
            assert!(html.contains("Continue with Upstream ID") && html.contains(&format!("/sign-in/social/{connector}")), "the button is on the page");
            let response = browser.post(server.url(&format!("/sign-in/social/{connector}"))).form(&[("locale", "en")]).send().await.unwrap();
            let to_upstream = response.headers()["location"].to_str().unwrap().to_owned();
            assert!(to_upstream.starts_with(&upstream.issuer), "{to_upstream}");
            let upstream_browser = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
            let back = upstream.sign_in(&upstream_browser, &to_upstream, "grace", &upstream_redirect(&connector)).await;
            let response = browser.get(&back).send().await.unwrap();
            let next = response.headers()["location"].to_str().unwrap().to_owned();
            assert!(next.contains("/oidc/auth/"), "round {round}: {next}");
            let code = server.code_from(&browser, &next).await;
            let tokens = server.exchange_code("spa", &code).await;
            let sub = server.verify_jwt(tokens["id_token"].as_str().unwrap(), "spa").await["sub"].clone();
            let grace = identity::users::find_by_email(&server.state.store, "grace@upstream.example").await.unwrap().unwrap();
            assert_eq!(sub, json!(grace.id));
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(server.state.store.pool()).await.unwrap();
        assert_eq!(count, 1, "one account, signed in twice");

        // `direct_sign_in=social:<target>` goes straight to the upstream; an unknown target falls back.
        let browser = server.browser();
        let landing = server.begin(&browser, &server.auth_url("spa", &[("direct_sign_in", "social:upstream")])).await;
        assert!(landing.starts_with("/direct/social/upstream?"), "{landing}");
        let response = browser.get(server.url(&landing)).send().await.unwrap();
        assert!(response.headers()["location"].to_str().unwrap().starts_with(&upstream.issuer), "straight to the upstream");
        let landing = server.begin(&browser, &server.auth_url("spa", &[("direct_sign_in", "social:nobody")])).await;
        let response = browser.get(server.url(&landing)).send().await.unwrap();
        assert!(response.headers()["location"].to_str().unwrap().starts_with("/sign-in"), "an unknown target falls back");

        // An answer that does not belong to this browser's sign-in is explained, not used.
        let browser = server.browser_in_interaction().await;
        browser.post(server.url(&format!("/sign-in/social/{connector}"))).form(&[("locale", "en")]).send().await.unwrap();
        let response = browser.get(server.url(&format!("/callback/{connector}?code=stolen&state=forged"))).send().await.unwrap();
        assert_eq!(response.headers()["location"], "/sign-in?error=session.state_mismatch");
    }
}
