//! The Experience API's status and error codes for password sign-in (spec §3).

mod common;

use identity::applications::AppType;
use serde_json::{json, Value};

async fn code_and_body(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

on_both_databases! {
    async fn calls_without_an_interaction_cookie_are_session_not_found(server) {
        let (status, body) = code_and_body(server.http.put(server.url("/api/experience")).json(&json!({"interactionEvent": "SignIn"})).send().await.unwrap()).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.not_found")));
    }

    async fn calls_before_put_are_interaction_not_found(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let browser = server.browser();
        server.begin(&browser, &server.auth_url(&client_id, &[])).await;
        let response = browser
            .post(server.url("/api/experience/verification/password"))
            .json(&json!({"identifier": {"type": "username", "value": "alice"}, "password": "x"}))
            .send()
            .await
            .unwrap();
        let (status, body) = code_and_body(response).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("session.interaction_not_found")));
    }

    async fn wrong_passwords_and_unknown_users_look_the_same(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        server.user("alice", "correct horse").await;
        let browser = server.browser();
        server.begin(&browser, &server.auth_url(&client_id, &[])).await;
        browser.put(server.url("/api/experience")).json(&json!({"interactionEvent": "SignIn"})).send().await.unwrap();
        for (username, password) in [("alice", "wrong"), ("nobody", "correct horse")] {
            let response = browser
                .post(server.url("/api/experience/verification/password"))
                .json(&json!({"identifier": {"type": "username", "value": username}, "password": password}))
                .send()
                .await
                .unwrap();
            let (status, body) = code_and_body(response).await;
            assert_eq!((status, body["code"].as_str()), (422, Some("session.invalid_credentials")), "{username}");
        }
    }

    async fn email_identifiers_sign_in_whatever_their_case(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        server.user("alice", "correct horse").await;
        let browser = server.browser();
        server.begin(&browser, &server.auth_url(&client_id, &[])).await;
        browser.put(server.url("/api/experience")).json(&json!({"interactionEvent": "SignIn"})).send().await.unwrap();
        let response = browser
            .post(server.url("/api/experience/verification/password"))
            .json(&json!({"identifier": {"type": "email", "value": "ALICE@example.com"}, "password": "correct horse"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    async fn identification_and_submit_check_their_preconditions(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let browser = server.browser();
        server.begin(&browser, &server.auth_url(&client_id, &[])).await;
        browser.put(server.url("/api/experience")).json(&json!({"interactionEvent": "SignIn"})).send().await.unwrap();

        let (status, body) = code_and_body(browser.post(server.url("/api/experience/identification")).json(&json!({})).send().await.unwrap()).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));
        let (status, body) = code_and_body(browser.post(server.url("/api/experience/identification")).json(&json!({"verificationId": "nope"})).send().await.unwrap()).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("session.verification_session_not_found")));
        let (status, body) = code_and_body(browser.post(server.url("/api/experience/submit")).send().await.unwrap()).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("session.identifier_not_found")));
    }

    async fn malformed_bodies_are_invalid_input_not_server_errors(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let browser = server.browser();
        server.begin(&browser, &server.auth_url(&client_id, &[])).await;
        for body in ["{", "[]", r#"{"interactionEvent": "Teleport"}"#, &"x".repeat(100_000)] {
            let response = browser.put(server.url("/api/experience")).header("content-type", "application/json").body(body.to_owned()).send().await.unwrap();
            let (status, json) = code_and_body(response).await;
            assert_eq!((status, json["code"].as_str()), (400, Some("guard.invalid_input")), "{}", &body[..body.len().min(40)]);
        }
    }
}
