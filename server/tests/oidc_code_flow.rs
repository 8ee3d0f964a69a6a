//! The authorization code flow end to end through the real router, as an application and a
//! browser see it: `/oidc/auth` → Experience API → code → tokens.

mod common;

use common::*;
use identity::applications::AppType;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::{json, Value};

on_both_databases! {
    async fn code_with_pkce_yields_verifiable_tokens_and_userinfo(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let user_id = server.user("alice", "correct horse").await;
        let browser = server.browser();

        let code = server.authorize(&browser, &client_id, "alice", "correct horse", &[]).await;
        let tokens = server.exchange_code(&client_id, &code).await;
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 3600);
        assert!(tokens.get("refresh_token").is_none(), "no offline_access, no refresh token");

        let id_token = server.verify_jwt(tokens["id_token"].as_str().unwrap(), &client_id).await;
        assert_eq!(id_token["sub"], user_id);
        assert_eq!(id_token["nonce"], "nonce-456");
        assert_eq!(id_token["username"], "alice");
        assert_eq!(id_token["email"], "alice@example.com");
        assert_eq!(id_token["email_verified"], true);

        let access_token = tokens["access_token"].as_str().unwrap();
        assert!(!access_token.contains('.') && access_token.len() >= 43, "opaque without a resource");
        let me: Value = server.http.get(server.url("/oidc/me")).bearer_auth(access_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["sub"], user_id);
        assert_eq!(me["name"], "alice Example");
        assert_eq!(me["email"], "alice@example.com");
    }

    async fn a_wrong_code_verifier_is_refused(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        server.user("alice", "correct horse").await;
        let code = server.authorize(&server.browser(), &client_id, "alice", "correct horse", &[]).await;
        let response = server
            .token(&[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", REDIRECT), ("code_verifier", "not-the-verifier-that-was-hashed-into-challenge")])
            .await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant");
        // The attempt spent the code: no second guess, not even the right one.
        let retry = server
            .token(&[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)])
            .await;
        assert_eq!(retry.status(), 400);
    }

    async fn a_replayed_code_is_refused_and_revokes_what_it_issued(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        server.user("alice", "correct horse").await;
        let code = server.authorize(&server.browser(), &client_id, "alice", "correct horse", &[]).await;
        let tokens = server.exchange_code(&client_id, &code).await;
        let access_token = tokens["access_token"].as_str().unwrap();

        let replay = server
            .token(&[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)])
            .await;
        assert_eq!(replay.status(), 400);
        assert_eq!(replay.json::<Value>().await.unwrap()["error"], "invalid_grant");

        let me = server.http.get(server.url("/oidc/me")).bearer_auth(access_token).send().await.unwrap();
        assert_eq!(me.status(), 401, "the first exchange's access token was revoked");
    }

    async fn an_unregistered_redirect_uri_shows_an_error_page_instead_of_redirecting(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let url = server.auth_url(&client_id, &[("redirect_uri", "https://evil.example.com/callback")]);
        let response = server.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.headers().get(LOCATION).is_none());
        assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"data-error-code="invalid_redirect_uri""#), "{html}");

        // A near miss is no match either: matching is exact.
        let url = server.auth_url(&client_id, &[("redirect_uri", "https://app.example.com/callback/")]);
        assert_eq!(server.http.get(url).send().await.unwrap().status(), 400);
    }

    async fn an_unknown_client_shows_an_error_page(server) {
        let response = server.http.get(server.auth_url("no-such-client", &[])).send().await.unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.headers().get(LOCATION).is_none());
        assert!(response.text().await.unwrap().contains("invalid_client"));
    }

    async fn authorization_requests_may_be_posted(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let url = server.auth_url(&client_id, &[]);
        let (_, query) = url.split_once('?').unwrap();
        let response = server.http.post(server.url("/oidc/auth")).header("content-type", "application/x-www-form-urlencoded").body(query.to_owned()).send().await.unwrap();
        assert_eq!(response.status(), 303);
        assert!(response.headers()[LOCATION].to_str().unwrap().starts_with("/sign-in"));
        // The sign-in page learns the language the application asked for.
        let french = server.http.get(server.auth_url(&client_id, &[("ui_locales", "fr-CA en")])).send().await.unwrap();
        assert_eq!(french.headers()[LOCATION], "/sign-in?app_id=spa&ui_locales=fr-CA+en");
        let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        let interaction = cookies.iter().find(|c| c.starts_with("_interaction=")).expect("interaction cookie");
        assert!(interaction.contains("HttpOnly") && interaction.contains("SameSite=Lax") && interaction.contains("Path=/"), "{interaction}");
    }

    async fn public_clients_must_use_pkce(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let url = server.auth_url(&client_id, &[("code_challenge", ""), ("code_challenge_method", "")]);
        let response = server.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 303);
        let query = query_of(response.headers()[LOCATION].to_str().unwrap());
        assert_eq!(query_value(&query, "error").as_deref(), Some("invalid_request"));
        assert_eq!(query_value(&query, "state").as_deref(), Some("state-123"));
    }

    async fn prompt_none_without_a_session_answers_login_required(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let response = server.http.get(server.auth_url(&client_id, &[("prompt", "none")])).send().await.unwrap();
        assert_eq!(response.status(), 303);
        let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(location.starts_with(REDIRECT));
        assert_eq!(query_value(&query_of(&location), "error").as_deref(), Some("login_required"));
    }

    async fn a_second_application_signs_in_without_a_prompt(server) {
        let (first, _) = server.app(AppType::Spa, "first").await;
        let (second, _) = server.app(AppType::Spa, "second").await;
        let user_id = server.user("alice", "correct horse").await;
        let browser = server.browser();
        server.authorize(&browser, &first, "alice", "correct horse", &[]).await;

        // Same browser, another application: straight back with a code (SSO).
        let code = server.code_from(&browser, &server.auth_url(&second, &[])).await;
        let tokens = server.exchange_code(&second, &code).await;
        let claims = server.verify_jwt(tokens["id_token"].as_str().unwrap(), &second).await;
        assert_eq!(claims["sub"], user_id);

        // prompt=none works too, now that there is a session.
        server.code_from(&browser, &server.auth_url(&second, &[("prompt", "none")])).await;
    }

    async fn prompt_login_asks_again_despite_a_session(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        server.user("alice", "correct horse").await;
        let browser = server.browser();
        server.authorize(&browser, &client_id, "alice", "correct horse", &[]).await;
        let location = server.begin(&browser, &server.auth_url(&client_id, &[("prompt", "login")])).await;
        assert!(location.starts_with("/sign-in"));
    }

    async fn max_age_forces_a_fresh_sign_in(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        server.user("alice", "correct horse").await;
        let browser = server.browser();
        server.authorize(&browser, &client_id, "alice", "correct horse", &[]).await;
        server.clock.advance_ms(120_000);
        let location = server.begin(&browser, &server.auth_url(&client_id, &[("max_age", "60")])).await;
        assert!(location.starts_with("/sign-in"));
    }

    async fn ending_the_session_makes_the_next_authorization_ask_again(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        server.user("alice", "correct horse").await;
        let browser = server.browser();
        let code = server.authorize(&browser, &client_id, "alice", "correct horse", &[]).await;
        let tokens = server.exchange_code(&client_id, &code).await;

        let end = browser
            .get(server.url("/oidc/session/end"))
            .query(&[("id_token_hint", tokens["id_token"].as_str().unwrap()), ("post_logout_redirect_uri", POST_LOGOUT), ("state", "bye")])
            .send()
            .await
            .unwrap();
        let xsrf = confirmation_form(end).await;
        // The request alone (say, an image on another site) ends nothing.
        let location = server.begin(&browser, &server.auth_url(&client_id, &[])).await;
        assert!(!location.starts_with("/sign-in"), "still signed in before the confirmation: {location}");

        let confirm = |xsrf: String| browser.post(server.url("/oidc/session/end/confirm")).form(&[("xsrf", xsrf), ("logout", "yes".into())]).send();
        let confirmed = confirm(xsrf.clone()).await.unwrap();
        assert_eq!(confirmed.status(), 303);
        assert_eq!(confirmed.headers()[LOCATION], format!("{POST_LOGOUT}?state=bye"));
        assert_eq!(confirm(xsrf).await.unwrap().status(), 400, "the form is used once");

        let location = server.begin(&browser, &server.auth_url(&client_id, &[])).await;
        assert!(location.starts_with("/sign-in"), "signed out: asked to sign in again");
        let me = server.http.get(server.url("/oidc/me")).bearer_auth(tokens["access_token"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(me.status(), 401, "online tokens end with the session");
    }

    async fn a_sign_out_without_a_post_logout_uri_ends_on_the_signed_out_page(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        server.user("alice", "correct horse").await;
        let browser = server.browser();
        server.authorize(&browser, &client_id, "alice", "correct horse", &[]).await;
        // The account center's button posts the form without parameters.
        let xsrf = confirmation_form(browser.post(server.url("/oidc/session/end")).form(&[("ui_locales", "fr")]).send().await.unwrap()).await;
        let confirmed = browser.post(server.url("/oidc/session/end/confirm")).form(&[("xsrf", xsrf.as_str()), ("logout", "yes")]).send().await.unwrap();
        assert_eq!((confirmed.status().as_u16(), confirmed.headers()[LOCATION].to_str().unwrap()), (303, "/oidc/session/end/success"));
        let success = browser.get(server.url("/oidc/session/end/success")).send().await.unwrap();
        assert_eq!((success.status().as_u16(), success.headers()[LOCATION].to_str().unwrap()), (303, "/signed-out"));
        assert!(server.begin(&browser, &server.auth_url(&client_id, &[])).await.starts_with("/sign-in"));

        // A confirmation page left open past ten minutes has expired; nothing else is ended.
        server.authorize(&browser, &client_id, "alice", "correct horse", &[]).await;
        let xsrf = confirmation_form(browser.get(server.url("/oidc/session/end")).send().await.unwrap()).await;
        server.clock.advance_ms(11 * 60 * 1000);
        let late = browser.post(server.url("/oidc/session/end/confirm")).form(&[("xsrf", xsrf.as_str())]).send().await.unwrap();
        assert_eq!(late.status(), 400);
        assert!(late.text().await.unwrap().contains("xsrf token invalid"));
        let forged = browser.post(server.url("/oidc/session/end/confirm")).form(&[("xsrf", "made-up")]).send().await.unwrap();
        assert_eq!(forged.status(), 400);
    }

    async fn an_unregistered_post_logout_uri_is_refused(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let response = server
            .http
            .get(server.url("/oidc/session/end"))
            .query(&[("client_id", client_id.as_str()), ("post_logout_redirect_uri", "https://evil.example.com/")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.headers().get(LOCATION).is_none());
    }

    async fn the_hosted_form_signs_in_without_javascript(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        server.user("alice", "correct horse").await;
        let browser = server.browser();
        server.begin(&browser, &server.auth_url(&client_id, &[])).await;

        let wrong = browser.post(server.url("/sign-in")).form(&[("username", "alice"), ("password", "wrong")]).send().await.unwrap();
        assert_eq!(wrong.status(), 303);
        assert_eq!(wrong.headers()[LOCATION], "/sign-in?error=session.invalid_credentials&entered=alice");

        let right = browser.post(server.url("/sign-in")).form(&[("username", "alice"), ("password", "correct horse")]).send().await.unwrap();
        assert_eq!(right.status(), 303);
        let resume = right.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(resume.starts_with(&server.url("/oidc/auth/")));
        let code = server.code_from(&browser, &resume).await;
        server.exchange_code(&client_id, &code).await;
    }

    async fn traditional_apps_authenticate_with_their_secret(server) {
        let (client_id, secret) = server.app(AppType::Traditional, "web").await;
        server.user("alice", "correct horse").await;
        let code = server.authorize(&server.browser(), &client_id, "alice", "correct horse", &[]).await;
        let base = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)];

        let wrong = server.http.post(server.url("/oidc/token")).basic_auth(&client_id, Some("wrong")).form(&base).send().await.unwrap();
        assert_eq!(wrong.status(), 401);
        assert_eq!(wrong.json::<Value>().await.unwrap()["error"], "invalid_client");

        let right = server.http.post(server.url("/oidc/token")).basic_auth(&client_id, secret.as_deref()).form(&base).send().await.unwrap();
        assert_eq!(right.status(), 200, "a failed client authentication does not burn the code");

        // client_secret_post: the same credentials in the body.
        let code = server.authorize(&server.browser(), &client_id, "alice", "correct horse", &[]).await;
        let secret = secret.unwrap();
        let posted = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER), ("client_id", client_id.as_str()), ("client_secret", secret.as_str())];
        assert_eq!(server.token(&posted).await.status(), 200);
        // Both mechanisms at once is refused.
        let code = server.authorize(&server.browser(), &client_id, "alice", "correct horse", &[]).await;
        let both = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER), ("client_secret", secret.as_str())];
        let response = server.http.post(server.url("/oidc/token")).basic_auth(&client_id, Some(&secret)).form(&both).send().await.unwrap();
        assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_request");
    }
}

/// Node A answers `/oidc/auth`, node B runs the sign-in and issues the code, node A
/// exchanges it: nothing lives only in one process.
#[tokio::test]
async fn two_nodes_on_one_postgres_serve_one_flow() {
    let Some(a) = TestServer::on_postgres().await else { return };
    let b = a.second_node().await;
    let (client_id, _) = a.app(AppType::Spa, "spa").await;
    a.user("alice", "correct horse").await;
    let browser = a.browser();
    a.begin(&browser, &a.auth_url(&client_id, &[])).await;

    // The browser's cookies were set for node A's host; both nodes share 127.0.0.1, and a
    // cookie jar keys cookies by host, so node B receives them as a load balancer would pass.
    let redirect_to = b.experience_sign_in(&browser, "alice", "correct horse").await;
    let on_b = redirect_to.replace(&a.base, &b.base);
    let code = b.code_from(&browser, &on_b).await;
    let tokens = a.exchange_code(&client_id, &code).await;
    let me = b.http.get(b.url("/oidc/me")).bearer_auth(tokens["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(me.status(), 200);
}

#[tokio::test]
async fn discovery_lists_the_endpoints_and_keys_it_serves() {
    let server = TestServer::on_sqlite().await;
    for path in ["/oidc/.well-known/openid-configuration", "/.well-known/openid-configuration"] {
        let doc: Value = server.http.get(server.url(path)).send().await.unwrap().json().await.unwrap();
        assert_eq!(doc["issuer"], server.issuer());
        assert_eq!(doc["token_endpoint"], format!("{}/token", server.issuer()));
        assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    }
    let jwks = server.jwks().await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["alg"], "ES256");
    assert!(keys[0].get("d").is_none(), "no private part published");
}

/// The confirmation page of `/oidc/session/end` (Logto's "Sign Out" page): its form posts the
/// xsrf token to `/oidc/session/end/confirm`, and its one script (the auto-submit) carries
/// the nonce the page's CSP allows. Answers the token.
async fn confirmation_form(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 200);
    let policy = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"action="/oidc/session/end/confirm""#) && page.contains(r#"name="logout" value="yes""#), "{page}");
    let nonce = page.split(r#"<script nonce=""#).nth(1).and_then(|rest| rest.split('"').next()).expect("the auto-submit script");
    assert!(policy.contains(&format!("'nonce-{nonce}'")), "{policy}");
    page.split(r#"name="xsrf" value=""#).nth(1).and_then(|rest| rest.split('"').next()).expect("the xsrf token").to_owned()
}
