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
    // (OIDC connectors also send a nonce, which the ID token must carry back.)
    assert!(uri.starts_with(&upstream.issuer) && uri.contains("code_challenge=") && uri.contains("state=state-abc"), "{uri}");
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
        // The person said no at the upstream; an answer without a code is unusable.
        let state = data["state"].clone();
        let (status, body) = verify(&server, &browser, &connector, &id, &serde_json::Map::from_iter([("error".to_owned(), json!("access_denied")), ("state".to_owned(), state.clone())])).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("connector.authorization_failed")), "{body}");
        let (status, body) = verify(&server, &browser, &connector, &id, &serde_json::Map::from_iter([("state".to_owned(), state)])).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("connector.invalid_response")), "{body}");
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

/// A connector from a Management API body; answers its id.
async fn create_connector(server: &common::TestServer, body: Value) -> String {
    let m = server.management_client().await;
    let (status, created) = server.call(&m, "POST", "/api/connectors", Some(body)).await;
    assert_eq!(status, 200, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

/// Through the upstream, verified: the browser (in the interaction) and the record's id.
async fn verified(server: &common::TestServer, upstream: &common::upstream::OidcUpstream, connector: &str, login: &str) -> (reqwest::Client, String) {
    let (browser, id, data) = through_upstream(server, upstream, connector, login).await;
    let (status, body) = verify(server, &browser, connector, &id, &data).await;
    assert_eq!(status, 200, "{body}");
    (browser, id)
}

async fn user_count(server: &common::TestServer) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(server.state.store.pool()).await.unwrap()
}

on_both_databases! {
    // The generic OAuth 2.0 connector against the same independent provider, read through a
    // profile map (`sub`, and an address only with `email_verified`), and the generic OIDC
    // connector configured as Logto's is (explicit endpoints and a JWKS URL, no discovery).
    async fn the_oauth2_connector_and_explicit_oidc_endpoints_sign_people_in(server) {
        server.sign_in_experience(json!({"signUp": {"identifiers": ["email"], "password": true, "verify": true}})).await;
        let upstream = common::upstream::OidcUpstream::start(CLIENT_ID, CLIENT_SECRET, &[&server.url("/callback/upstream")], accounts());
        let issuer = upstream.issuer.clone();
        let oauth2 = create_connector(&server, json!({"connectorId": "oauth2", "metadata": {"target": "upstream", "name": {"en": "Upstream"}},
            "config": {"authorizationEndpoint": format!("{issuer}/auth"), "tokenEndpoint": format!("{issuer}/token"), "userInfoEndpoint": format!("{issuer}/me"),
                "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "scope": "openid email profile", "profileMap": {"id": "sub", "emailVerified": "email_verified"}}})).await;
        let (browser, id) = verified(&server, &upstream, &oauth2, "grace").await;
        assert_eq!(server.call(&browser, "PUT", "/api/experience/interaction-event", Some(json!({"interactionEvent": "Register"}))).await.0, 204);
        let (status, body) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(server.submit(&browser).await.0, 200);
        let grace = identity::users::find_by_email(&server.state.store, "grace@upstream.example").await.unwrap().expect("the verified address, through the profile map");
        assert_eq!(grace.name.as_deref(), Some("Grace Hopper"));

        // The same upstream through Logto's explicit-endpoint OIDC shape (same target, same
        // subject) finds the same account.
        let m = server.management_client().await;
        server.call(&m, "DELETE", &format!("/api/connectors/{oauth2}"), None).await;
        let explicit = create_connector(&server, json!({"connectorId": "oidc", "metadata": {"target": "upstream"},
            "config": {"authorizationEndpoint": format!("{issuer}/auth"), "tokenEndpoint": format!("{issuer}/token"), "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
                "scope": "openid email profile", "idTokenVerificationConfig": {"jwksUri": format!("{issuer}/jwks"), "issuer": issuer}}})).await;
        let (browser, id) = verified(&server, &upstream, &explicit, "grace").await;
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await.0, 204, "the same identity (target and sub): the same account");
        assert_eq!(server.submit(&browser).await.0, 200);
        assert_eq!(user_count(&server).await, 1);

        // An ID token from another issuer than the one configured is refused.
        server.call(&m, "PATCH", &format!("/api/connectors/{explicit}"), Some(json!({"config": {"idTokenVerificationConfig": {"jwksUri": format!("{issuer}/jwks"), "issuer": "https://someone-else.example"}}}))).await;
        let (browser, id, data) = through_upstream(&server, &upstream, &explicit, "grace").await;
        let (status, body) = verify(&server, &browser, &explicit, &id, &data).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("connector.general")), "{body}");

        // Misconfigurations are named before they are saved.
        for (config, says) in [
            (json!({"authorizationEndpoint": "https://a.example/auth", "tokenEndpoint": "https://a.example/token", "clientId": "c", "clientSecret": "s"}), "jwksUri"),
            (json!({"issuer": "https://a.example", "clientId": "c"}), "clientSecret"),
        ] {
            let (status, body) = server.call(&m, "POST", "/api/connectors", Some(json!({"connectorId": "oidc", "config": config, "metadata": {"target": "other"}}))).await;
            assert_eq!((status, body["code"].as_str()), (400, Some("connector.invalid_config")), "{body}");
            assert!(body["message"].as_str().unwrap().contains(says), "{body}");
        }
        let (status, body) = server.call(&m, "POST", "/api/connectors", Some(json!({"connectorId": "oauth2", "metadata": {"target": "other"},
            "config": {"authorizationEndpoint": "https://a.example/auth", "tokenEndpoint": "https://a.example/token", "userInfoEndpoint": "https://a.example/me", "clientId": "c", "clientSecret": "s", "tokenEndpointAuthMethod": "client_secret_jwt"}}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("connector.invalid_config")), "{body}");
    }

    // A social identity nobody has, whose verified address has an account: named as
    // `relatedUser`, then linked with `linkSocialIdentity` (also when only sign-in is open),
    // and from then on it signs in to that account — with its name synced when the connector
    // says so. An identity can also be added to a signed-in account (`POST /profile social`),
    // but not one another account has.
    async fn a_social_identity_links_to_the_account_with_its_address(server) {
        let ada = server.user("ada", "Correct-Horse-9").await;
        server.sign_in_experience(json!({"signInMode": "SignIn"})).await;
        let upstream = common::upstream::OidcUpstream::start(CLIENT_ID, CLIENT_SECRET, &[&server.url("/callback/upstream")], accounts());
        let connector = connector(&server, &upstream.issuer).await;
        let m = server.management_client().await;
        server.call(&m, "PATCH", &format!("/api/connectors/{connector}"), Some(json!({"syncProfile": true}))).await;

        let (browser, id) = verified(&server, &upstream, &connector, "ada").await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await;
        assert_eq!((status, &body["data"]["relatedUser"]), (404, &json!({"type": "email", "value": "ada@example.com"})), "{body}");
        let (status, body) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id, "linkSocialIdentity": true}))).await;
        assert_eq!(status, 204, "{body}");
        let linked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_social_identities").fetch_one(server.state.store.pool()).await.unwrap();
        assert_eq!(linked, 0, "nothing is written before submit");
        assert_eq!(server.submit(&browser).await.0, 200);
        let (_, user) = server.call(&m, "GET", &format!("/api/users/{ada}"), None).await;
        assert_eq!((&user["identities"]["upstream"]["userId"], &user["name"]), (&json!("ada"), &json!("Ada")), "linked, and the upstream's name synced: {user}");

        let (browser, id) = verified(&server, &upstream, &connector, "ada").await;
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await.0, 204, "the identity signs in now");
        assert_eq!(server.submit(&browser).await.0, 200);

        // Grace signs in with a password, then adds her upstream identity to her account.
        let grace = server.user("grace", "Correct-Horse-9").await;
        let (browser, id) = verified(&server, &upstream, &connector, "grace").await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile", Some(json!({"type": "social", "verificationId": id}))).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("session.identifier_not_found")), "only for an identified account: {body}");
        let (_, password) = server.call(&browser, "POST", "/api/experience/verification/password", Some(json!({"identifier": {"type": "username", "value": "grace"}, "password": "Correct-Horse-9"}))).await;
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": password["verificationId"]}))).await.0, 204);
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile", Some(json!({"type": "social", "verificationId": "nope"}))).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(server.call(&browser, "POST", "/api/experience/profile", Some(json!({"type": "social", "verificationId": id}))).await.0, 204);
        assert_eq!(server.submit(&browser).await.0, 200);
        let (_, user) = server.call(&m, "GET", &format!("/api/users/{grace}"), None).await;
        assert_eq!(user["identities"]["upstream"]["userId"], json!("grace"), "{user}");

        // Ada's upstream identity cannot be added to Grace's account.
        let (browser, id) = verified(&server, &upstream, &connector, "ada").await;
        server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": password_record(&server, &browser, "grace").await}))).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile", Some(json!({"type": "social", "verificationId": id}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.identity_already_in_use")), "{body}");
        assert_eq!(user_count(&server).await, 2, "nobody was created");
    }

    // The hosted pages: a new identity whose address has an account lands on the
    // link-or-create page, whose "Link" signs in to that account; with automatic linking the
    // callback links at once. An upstream's form post (Apple's) goes on as a GET.
    async fn the_hosted_callback_offers_to_link_or_links_automatically(server) {
        server.app(identity::applications::AppType::Spa, "spa").await;
        server.user("ada", "Correct-Horse-9").await;
        let m = server.management_client().await;
        let placeholder = json!({"connectorId": "oidc", "config": {"issuer": "http://127.0.0.1:9", "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}, "metadata": {"target": "upstream", "name": {"en": "Upstream ID"}}});
        let (_, created) = server.call(&m, "POST", "/api/connectors", Some(placeholder)).await;
        let connector = created["id"].as_str().unwrap().to_owned();
        let callback = server.url(&format!("/callback/{connector}"));
        let upstream = common::upstream::OidcUpstream::start(CLIENT_ID, CLIENT_SECRET, &[&callback], accounts());
        server.call(&m, "PATCH", &format!("/api/connectors/{connector}"), Some(json!({"config": {"issuer": upstream.issuer}}))).await;

        let through = |browser: reqwest::Client| {
            let (server, upstream, connector, callback) = (&server, &upstream, connector.clone(), callback.clone());
            async move {
                let response = browser.post(server.url(&format!("/sign-in/social/{connector}"))).form(&[("locale", "en")]).send().await.unwrap();
                let to_upstream = response.headers()["location"].to_str().unwrap().to_owned();
                let upstream_browser = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
                let back = upstream.sign_in(&upstream_browser, &to_upstream, "ada", &callback).await;
                let response = browser.get(&back).send().await.unwrap();
                (browser, response.headers()["location"].to_str().unwrap().to_owned())
            }
        };
        let (browser, next) = through(server.browser_in_interaction().await).await;
        assert!(next.starts_with("/social/link?") && next.contains("to=ada%40example.com"), "{next}");
        let page = browser.get(server.url(&next)).header("accept", "text/html").send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Your Upstream ID account uses ada@example.com") && page.contains("/social/register"), "link, or create another account");
        let response = browser.post(server.url("/social/link")).form(&[("locale", "en")]).send().await.unwrap();
        let next = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(next.contains("/oidc/auth/"), "signed in to Ada's account: {next}");
        let code = server.code_from(&browser, &next).await;
        let tokens = server.exchange_code("spa", &code).await;
        let ada = identity::users::find_by_email(&server.state.store, "ada@example.com").await.unwrap().unwrap();
        assert_eq!(server.verify_jwt(tokens["id_token"].as_str().unwrap(), "spa").await["sub"], json!(ada.id));

        // Unlinked again, with automatic linking on: straight through.
        server.call(&m, "DELETE", &format!("/api/users/{}/identities/upstream", ada.id), None).await;
        server.sign_in_experience(json!({"socialSignIn": {"automaticAccountLinking": true}})).await;
        let (_, next) = through(server.browser_in_interaction().await).await;
        assert!(next.contains("/oidc/auth/"), "linked without asking: {next}");
        let (_, user) = server.call(&m, "GET", &format!("/api/users/{}", ada.id), None).await;
        assert_eq!(user["identities"]["upstream"]["userId"], json!("ada"));
        assert_eq!(user_count(&server).await, 1);

        // A form post to the callback comes back as a top-level GET with the same answer.
        let response = server.browser().post(server.url(&format!("/callback/{connector}"))).form(&[("code", "c0de"), ("state", "st&te")]).send().await.unwrap();
        assert_eq!((response.status().as_u16(), response.headers()["location"].to_str().unwrap()), (303, format!("/callback/{connector}?code=c0de&state=st%26te").as_str()));
    }

    // Presets need only what the vendor hands out: their authorization URIs point at the
    // vendor with its scopes, PKCE and our state. The public sign-in experience lists the
    // connectors the sign-in page offers, in the operator's order.
    async fn presets_send_people_to_their_vendor_and_the_sign_in_experience_lists_them(server) {
        let github = create_connector(&server, json!({"connectorId": "github-universal", "config": {"clientId": "gh-client", "clientSecret": "gh-secret"}})).await;
        let discord = create_connector(&server, json!({"connectorId": "discord-universal", "config": {"clientId": "dc-client", "clientSecret": "dc-secret"}})).await;
        let microsoft = create_connector(&server, json!({"connectorId": "azuread-universal", "config": {"clientId": "ms-client", "clientSecret": "ms-secret", "tenantId": "contoso.onmicrosoft.com"}})).await;
        let m = server.management_client().await;
        let (_, shown) = server.call(&m, "GET", &format!("/api/connectors/{github}"), None).await;
        assert_eq!((&shown["target"], &shown["logo"], &shown["config"]["clientSecret"]), (&json!("github"), &json!("/connectors/github.svg"), &json!("********")), "{shown}");
        let (status, body) = server.call(&m, "POST", "/api/connectors", Some(json!({"connectorId": "github-universal", "config": {"clientId": "again", "clientSecret": "s"}}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("connector.multiple_target_with_same_platform")), "one GitHub per tenant");

        for (connector, vendor, scope) in [
            (&github, "https://github.com/login/oauth/authorize?", "scope=read%3Auser+user%3Aemail"),
            (&discord, "https://discord.com/oauth2/authorize?", "scope=identify+email"),
            (&microsoft, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?", "scope=User.Read"),
        ] {
            let browser = server.browser_in_interaction().await;
            server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
            let (status, started) = server.call(&browser, "POST", &format!("/api/experience/verification/social/{connector}/authorization-uri"), Some(json!({"state": "st4te", "redirectUri": "https://app.example/callback"}))).await;
            assert_eq!(status, 200, "{started}");
            let uri = started["authorizationUri"].as_str().unwrap();
            assert!(uri.starts_with(vendor) && uri.contains(scope) && uri.contains("state=st4te") && uri.contains("code_challenge_method=S256") && uri.contains("redirect_uri=https%3A%2F%2Fapp.example%2Fcallback"), "{uri}");
        }

        let anonymous = reqwest::Client::new();
        let listed = |body: Value| body["socialConnectors"].as_array().unwrap().iter().map(|c| c["target"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        let (_, public) = server.call(&anonymous, "GET", "/api/.well-known/sign-in-exp", None).await;
        let mut all = listed(public.clone());
        all.sort();
        assert_eq!(all, ["azuread", "discord", "github"], "every connector, until the operator chooses");
        let shown = public["socialConnectors"].as_array().unwrap().iter().find(|c| c["target"] == "github").unwrap().clone();
        assert_eq!((&shown["name"], &shown["logo"]), (&json!({"en": "GitHub"}), &json!("/connectors/github.svg")));
        assert!(shown.get("config").is_none(), "no configuration in public");
        server.sign_in_experience(json!({"socialSignInConnectorTargets": ["azuread", "github", "gone"]})).await;
        let (_, public) = server.call(&anonymous, "GET", "/api/.well-known/sign-in-exp", None).await;
        assert_eq!(listed(public), ["azuread", "github"], "the operator's choice and order");
        let html = server.browser_in_interaction().await.get(server.url("/register")).header("accept", "text/html").send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Continue with Microsoft") && !html.contains("Continue with Discord"), "the register page offers them too");
    }
}

/// A verified password record for `username` in this interaction.
async fn password_record(server: &common::TestServer, browser: &reqwest::Client, username: &str) -> String {
    let (_, body) = server.call(browser, "POST", "/api/experience/verification/password", Some(json!({"identifier": {"type": "username", "value": username}, "password": "Correct-Horse-9"}))).await;
    body["verificationId"].as_str().unwrap().to_owned()
}

on_both_databases! {
    // The Account API side (spec §11, §12): a social verification record started and verified
    // through the upstream, bound once with a fresh proof, shown in `GET /api/my-account`, and
    // removed — but never the last way to sign in. The Management API links by upstream id.
    async fn people_connect_and_disconnect_social_identities_through_the_account_api(server) {
        server.app(identity::applications::AppType::Spa, "spa").await;
        let ada = server.user("ada", "Correct-Horse-9").await;
        let m = server.management_client().await;
        server.call(&m, "PATCH", "/api/account-center", Some(json!({"enabled": true, "fields": {"social": "Edit"}}))).await;
        let upstream = common::upstream::OidcUpstream::start(CLIENT_ID, CLIENT_SECRET, &[&server.url("/callback/upstream")], accounts());
        let connector = connector(&server, &upstream.issuer).await;
        let code = server.authorize(&server.browser(), "spa", "ada", "Correct-Horse-9", &[("scope", "openid identities")]).await;
        let token = server.exchange_code("spa", &code).await["access_token"].as_str().unwrap().to_owned();
        let bearer = |method: &str, path: &str, body: Option<Value>, proof: Option<&str>| {
            let mut request = server.http.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), server.url(path)).bearer_auth(&token);
            if let Some(body) = body {
                request = request.json(&body);
            }
            if let Some(proof) = proof {
                request = request.header("logto-verification-id", proof);
            }
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let text = response.text().await.unwrap();
                (status, if text.is_empty() { Value::Null } else { serde_json::from_str::<Value>(&text).unwrap() })
            }
        };

        let callback = server.url("/callback/upstream");
        let (status, started) = bearer("POST", "/api/verifications/social", Some(json!({"connectorId": connector, "state": "acct-state", "redirectUri": callback})), None).await;
        assert_eq!(status, 201, "{started}");
        let record = started["verificationRecordId"].as_str().unwrap().to_owned();
        let upstream_browser = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let back = upstream.sign_in(&upstream_browser, started["authorizationUri"].as_str().unwrap(), "ada", &callback).await;
        let data: serde_json::Map<String, Value> = form_urlencoded::parse(back.split_once('?').unwrap().1.as_bytes()).map(|(k, v)| (k.into_owned(), json!(v))).collect();
        let mut forged = data.clone();
        forged.insert("state".into(), json!("other"));
        let (status, body) = bearer("POST", "/api/verifications/social/verify", Some(json!({"verificationRecordId": record, "connectorData": forged})), None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.state_mismatch")));
        let (status, body) = bearer("POST", "/api/verifications/social/verify", Some(json!({"verificationRecordId": record, "connectorData": data})), None).await;
        assert_eq!((status, &body["verificationRecordId"]), (200, &json!(record)), "{body}");

        let link = json!({"newIdentifierVerificationRecordId": record});
        let (status, body) = bearer("POST", "/api/my-account/identities", Some(link.clone()), None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("verification_record.permission_denied")), "a password account proves itself first");
        let (_, proof) = bearer("POST", "/api/verifications/password", Some(json!({"password": "Correct-Horse-9"})), None).await;
        let proof = proof["verificationRecordId"].as_str().unwrap().to_owned();
        assert_eq!(bearer("POST", "/api/my-account/identities", Some(link.clone()), Some(&proof)).await.0, 204);
        let (status, body) = bearer("POST", "/api/my-account/identities", Some(link), Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("verification_record.not_found")), "a record binds once");
        let (_, me) = bearer("GET", "/api/my-account", None, None).await;
        assert_eq!(me["identities"]["upstream"]["userId"], json!("ada"), "{me}");

        // The identity signs Ada in now, on its own.
        let (browser, id) = verified(&server, &upstream, &connector, "ada").await;
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await.0, 204);

        assert_eq!(bearer("DELETE", "/api/my-account/identities/nothing-here", None, Some(&proof)).await.0, 404);
        assert_eq!(bearer("DELETE", "/api/my-account/identities/upstream", None, Some(&proof)).await.0, 204);
        let (_, me) = bearer("GET", "/api/my-account", None, None).await;
        assert_eq!(me["identities"], json!({}));

        // An account whose only way in is its identity keeps it.
        let (status, body) = server.call(&m, "PUT", "/api/users/{id}/identities/upstream".replace("{id}", &ada).as_str(), Some(json!({"socialUserId": "ada", "socialUserInfo": {"email": "ada@example.com"}}))).await;
        assert_eq!((status, &body["upstream"]["userId"]), (200, &json!("ada")), "{body}");
        let (status, body) = server.call(&m, "PUT", "/api/users/{id}/identities/nowhere".replace("{id}", &ada).as_str(), Some(json!({"socialUserId": "x"}))).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("user.identity_not_exist")));
        sqlx::query("UPDATE users SET username = NULL, primary_email = NULL, password_encrypted = NULL WHERE id = $1").bind(&ada).execute(server.state.store.pool()).await.unwrap();
        let (status, body) = bearer("DELETE", "/api/my-account/identities/upstream", None, None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("user.last_sign_in_method_required")), "{body}");
    }
}

on_both_databases! {
    // The account center without JavaScript: after confirming it's them, a person connects
    // their upstream account (to the upstream's own pages and back to the account center's
    // callback), finishes with their proof, sees it connected, and disconnects it.
    async fn the_account_center_connects_and_disconnects_an_upstream_account(server) {
        server.app(identity::applications::AppType::Spa, "spa").await;
        server.user("ada", "Correct-Horse-9").await;
        let m = server.management_client().await;
        server.call(&m, "PATCH", "/api/account-center", Some(json!({"enabled": true, "fields": {"social": "Edit"}}))).await;
        let callback = server.url(identity::account::identities::ACCOUNT_CENTER_CALLBACK);
        let upstream = common::upstream::OidcUpstream::start(CLIENT_ID, CLIENT_SECRET, &[&callback], accounts());
        connector(&server, &upstream.issuer).await;
        let browser = server.browser();
        server.authorize(&browser, "spa", "ada", "Correct-Horse-9", &[]).await;
        let server_fn = |name: &str, form: Vec<(&'static str, String)>| {
            let request = browser.post(server.url(&format!("/_vestibule/account/{name}"))).form(&form);
            async move {
                let response = request.send().await.unwrap();
                let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
                (response.status().as_u16(), location, response.text().await.unwrap())
            }
        };
        let page_at = |path: &'static str| {
            let request = browser.get(server.url(path)).header("accept", "text/html");
            async move { request.send().await.unwrap().text().await.unwrap() }
        };
        let page = || page_at("/account");
        let before = page().await;
        assert!(before.contains("Connected accounts") && !before.contains("Not connected"), "confirm it's you first");

        let connector_id: String = sqlx::query_scalar("SELECT id FROM social_connectors").fetch_one(server.state.store.pool()).await.unwrap();
        server_fn("verify-password", vec![("password", "Correct-Horse-9".into())]).await;
        let (status, to_upstream, body) = server_fn("connect", vec![("connector_id", connector_id)]).await;
        let to_upstream = to_upstream.unwrap_or_else(|| panic!("{status} {body}"));
        assert!(to_upstream.starts_with(&upstream.issuer), "{to_upstream}");
        let upstream_browser = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let back = upstream.sign_in(&upstream_browser, &to_upstream, "ada", &callback).await;
        let response = browser.get(&back).send().await.unwrap();
        assert_eq!(response.headers()["location"], "/account?link=social#connected");
        assert!(page_at("/account?link=social").await.contains("Finish connecting"));
        let (_, location, _) = server_fn("finish-connect", vec![]).await;
        assert_eq!(location.as_deref(), Some("/account?done=connected#connected"));
        assert!(page().await.contains("Connected as ada@example.com"));
        let (_, location, _) = server_fn("disconnect", vec![("target", "upstream".into())]).await;
        assert_eq!(location.as_deref(), Some("/account?done=connected#connected"));
        assert!(page().await.contains("Not connected"));

        // An answer that does not belong to the started connection is explained on the page.
        let response = browser.get(format!("{callback}?code=x&state=forged")).send().await.unwrap();
        assert!(response.headers()["location"].to_str().unwrap().starts_with("/account?social_error="), "{:?}", response.headers()["location"]);
    }
}
