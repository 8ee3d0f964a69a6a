//! Operator tools as Logto's tests use them: application secrets (`packages/integration-tests/
//! src/tests/api/application/application.secrets.test.ts`) and the manual unblock of locked
//! identifiers (`experience-api/basic-sentinel.test.ts`,
//! `experience-api/sentinel-identifier-normalization.test.ts`).

mod common;

use serde_json::{json, Value};

async fn call(server: &common::TestServer, client: &reqwest::Client, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    server.call(client, method, path, body).await
}

on_both_databases! {
    async fn application_secrets_are_created_listed_and_deleted_as_logto_does(server) {
        let management = server.management_client().await;
        let mut apps = std::collections::BTreeMap::new();
        for app_type in ["Traditional", "MachineToMachine", "SPA", "Native"] {
            let (status, app) = call(&server, &management, "POST", "/api/applications", Some(json!({"name": app_type, "type": app_type, "oidcClientMetadata": {"redirectUris": ["https://app.example.com/callback"], "postLogoutRedirectUris": []}}))).await;
            assert_eq!(status, 200, "{app}");
            apps.insert(app_type, app["id"].as_str().unwrap().to_owned());
        }
        for (app_type, id) in &apps {
            let (status, body) = call(&server, &management, "POST", &format!("/api/applications/{id}/secrets"), Some(json!({"name": "first"}))).await;
            if matches!(*app_type, "Traditional" | "MachineToMachine") {
                assert_eq!((status, body["applicationId"].as_str(), body["name"].as_str()), (201, Some(id.as_str()), Some("first")), "{body}");
            } else {
                assert_eq!((status, body["code"].as_str()), (422, Some("entity.db_constraint_violated")), "{app_type}: public clients hold no secret");
            }
        }
        let m2m = &apps["MachineToMachine"];
        let path = format!("/api/applications/{m2m}/secrets");
        let (status, body) = call(&server, &management, "POST", &path, Some(json!({"name": "first"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("application.secret_name_exists")));
        assert_eq!(call(&server, &management, "POST", "/api/applications/invalid/secrets", Some(json!({"name": "x"}))).await.0, 404);
        assert_eq!(call(&server, &management, "POST", &path, Some(json!({"name": ""}))).await.0, 400);
        let past = identity::clock::Clock::now_ms(&server.clock) - 1000;
        assert_eq!(call(&server, &management, "POST", &path, Some(json!({"name": "late", "expiresAt": past}))).await.0, 400);

        let soon = identity::clock::Clock::now_ms(&server.clock) + 1000;
        let (_, second) = call(&server, &management, "POST", &path, Some(json!({"name": "second", "expiresAt": soon}))).await;
        let (status, listed) = call(&server, &management, "GET", &path, None).await;
        assert_eq!(status, 200);
        let listed = listed.as_array().unwrap().clone();
        assert_eq!(listed.len(), 2);
        // Listed as created, but for the value: it is kept hashed and was shown once.
        let mut expected = second.clone();
        expected.as_object_mut().unwrap().remove("value");
        assert!(listed.contains(&expected), "{listed:?} has {expected}");
        assert!(second["value"].as_str().is_some_and(|v| v.len() >= 32));
        assert!(listed.iter().all(|s| s.get("value").is_none()));
        for name in ["first", "second"] {
            assert_eq!(call(&server, &management, "DELETE", &format!("{path}/{name}"), None).await.0, 204);
        }
        assert_eq!(call(&server, &management, "GET", &path, None).await.1, json!([]));
    }

    async fn an_operator_unblocks_a_locked_identifier_however_it_is_typed(server) {
        server.sign_in_experience(json!({"sentinelPolicy": {"maxAttempts": 2, "lockoutDuration": 60}})).await;
        server.user("alice", "Correct-Horse-9").await;
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let attempt = |kind: &'static str, value: &'static str| {
            let (server, browser) = (&server, &browser);
            async move {
                server.call(browser, "POST", "/api/experience/verification/password",
                    Some(json!({"identifier": {"type": kind, "value": value}, "password": "Wrong-Guess-1"}))).await.1["code"].clone()
            }
        };
        let management = server.management_client().await;
        let unblock = |targets: Value| {
            let (server, management) = (&server, &management);
            async move { call(server, management, "POST", "/api/sentinel-activities/delete", Some(json!({"targetType": "User", "targets": targets}))).await }
        };
        for (kind, value, typed) in [("username", "alice", "alice"), ("email", "alice@example.com", "ALICE@example.COM")] {
            assert_eq!(attempt(kind, value).await, "session.invalid_credentials");
            assert_eq!(attempt(kind, value).await, "session.verification_blocked_too_many_attempts");
            assert_eq!(attempt(kind, value).await, "session.verification_blocked_too_many_attempts", "{kind}: still locked");
            assert_eq!(unblock(json!([typed])).await.0, 204);
            assert_eq!(attempt(kind, value).await, "session.invalid_credentials", "{kind}: unblocked by {typed}");
        }
        for bad in [json!([]), json!([""]), json!(vec!["x"; 101])] {
            assert_eq!(unblock(bad).await.1["code"], "guard.invalid_input");
        }
        let (status, _) = call(&server, &management, "POST", "/api/sentinel-activities/delete", Some(json!({"targetType": "Machine", "targets": ["alice"]}))).await;
        assert_eq!(status, 400);
    }
}
