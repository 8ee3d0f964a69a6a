//! `/api/users/:userId/sessions` and `/grants` in the Management API: what the Account API
//! shows a person of their own, an operator sees and ends.

mod common;

use identity::applications::AppType;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse";

on_both_databases! {
    async fn operators_see_and_end_a_persons_sessions_and_grants(server) {
        server.app(AppType::Spa, "spa").await;
        let alice = server.user("alice", PASSWORD).await;
        let browser = server.browser();
        let code = server.authorize(&browser, "spa", "alice", PASSWORD, &[("scope", "openid offline_access"), ("prompt", "consent")]).await;
        let tokens = server.exchange_code("spa", &code).await;
        let m = server.management_client().await;

        let (status, listed) = server.call(&m, "GET", &format!("/api/users/{alice}/sessions"), None).await;
        assert_eq!(status, 200, "{listed}");
        let sessions = listed["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 1);
        let uid = sessions[0]["payload"]["uid"].as_str().unwrap().to_owned();
        assert_eq!(sessions[0]["payload"]["accountId"], json!(alice));
        let grant_id = sessions[0]["payload"]["authorizations"]["spa"]["grantId"].as_str().expect("the app's grant in the session").to_owned();
        assert_eq!(server.call(&m, "GET", &format!("/api/users/{alice}/sessions/{uid}"), None).await, (200, sessions[0].clone()));

        let (_, grants) = server.call(&m, "GET", &format!("/api/users/{alice}/grants"), None).await;
        assert_eq!(grants["grants"].as_array().unwrap().iter().map(|g| g["id"].clone()).collect::<Vec<Value>>(), [json!(grant_id)]);
        assert_eq!(server.call(&m, "GET", &format!("/api/users/{alice}/grants?appType=thirdParty"), None).await.1, json!({"grants": []}));
        let (status, body) = server.call(&m, "GET", &format!("/api/users/{alice}/grants?appType=everyone"), None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));

        // Revoking the grant ends the app's refresh token; ending the session signs the browser out.
        assert_eq!(server.call(&m, "DELETE", &format!("/api/users/{alice}/grants/{grant_id}"), None).await.0, 204);
        let refreshed = server.token(&[("grant_type", "refresh_token"), ("client_id", "spa"), ("refresh_token", tokens["refresh_token"].as_str().unwrap())]).await;
        assert_eq!(refreshed.status(), 400);
        let (status, body) = server.call(&m, "DELETE", &format!("/api/users/{alice}/grants/{grant_id}"), None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("entity.not_found")));
        let (status, _) = server.call(&m, "DELETE", &format!("/api/users/{alice}/sessions/{uid}?revokeGrantsTarget=nobody"), None).await;
        assert_eq!(status, 400);
        assert_eq!(server.call(&m, "DELETE", &format!("/api/users/{alice}/sessions/{uid}?revokeGrantsTarget=all"), None).await.0, 204);
        let location = server.begin(&browser, &server.auth_url("spa", &[])).await;
        assert!(location.starts_with("/sign-in"), "signed out: {location}");
        assert_eq!(server.call(&m, "GET", &format!("/api/users/{alice}/sessions"), None).await.1, json!({"sessions": []}));
        let (status, body) = server.call(&m, "GET", &format!("/api/users/{alice}/sessions/{uid}"), None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("entity.not_found")));

        for path in ["/api/users/nobody/sessions", "/api/users/nobody/grants"] {
            let (status, body) = server.call(&m, "GET", path, None).await;
            assert_eq!((status, body["code"].as_str()), (404, Some("entity.not_found")), "{path}");
        }
        // Someone else's session cannot be ended through another user's path.
        let bob = server.user("bob", PASSWORD).await;
        let other = server.browser();
        server.authorize(&other, "spa", "bob", PASSWORD, &[]).await;
        let (_, bobs) = server.call(&m, "GET", &format!("/api/users/{bob}/sessions"), None).await;
        let bobs_uid = bobs["sessions"][0]["payload"]["uid"].as_str().unwrap().to_owned();
        assert_eq!(server.call(&m, "DELETE", &format!("/api/users/{alice}/sessions/{bobs_uid}"), None).await.0, 404);
        assert_eq!(server.call(&m, "GET", &format!("/api/users/{bob}/sessions"), None).await.1["sessions"].as_array().unwrap().len(), 1);
    }
}
