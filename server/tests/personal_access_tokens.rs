//! Personal access tokens as Logto's tests use them: managed per user through the Management
//! API (`packages/integration-tests/src/tests/api/admin-user.personal-access-tokens.test.ts`)
//! and exchanged at the token endpoint by a confidential application
//! (`oidc/token-exchange/personal-access-token.test.ts`).

mod common;

use identity::applications::AppType;
use identity::clock::Clock;
use serde_json::{json, Value};

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const PAT: &str = "urn:logto:token-type:personal_access_token";

on_both_databases! {
    async fn tokens_are_created_listed_renamed_and_deleted(server) {
        let management = server.management_client().await;
        let user = server.user("ada", "Correct-Horse-9").await;
        let path = format!("/api/users/{user}/personal-access-tokens");
        let (status, first) = server.call(&management, "POST", &path, Some(json!({"name": "ci", "expiresAt": server.clock.now_ms() + 1000}))).await;
        assert_eq!((status, first["userId"].as_str(), first["name"].as_str()), (201, Some(user.as_str()), Some("ci")), "{first}");
        assert!(first["value"].as_str().is_some_and(|v| v.starts_with("pat_")));
        let (status, body) = server.call(&management, "POST", &path, Some(json!({"name": "ci"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.personal_access_token_name_exists")));
        assert_eq!(server.call(&management, "POST", "/api/users/invalid/personal-access-tokens", Some(json!({"name": "x"}))).await.0, 404);
        assert_eq!(server.call(&management, "POST", &path, Some(json!({"name": ""}))).await.0, 400);
        assert_eq!(server.call(&management, "POST", &path, Some(json!({"name": "late", "expiresAt": server.clock.now_ms() - 1000}))).await.0, 400);

        let (_, second) = server.call(&management, "POST", &path, Some(json!({"name": "laptop"}))).await;
        let (_, listed) = server.call(&management, "GET", &path, None).await;
        let without_value = |mut token: Value| {
            token.as_object_mut().unwrap().remove("value");
            token
        };
        assert_eq!(listed, json!([without_value(first.clone()), without_value(second.clone())]), "listed as created, without the values (kept hashed)");

        let (status, renamed) = server.call(&management, "PATCH", &format!("{path}/laptop"), Some(json!({"name": "desktop"}))).await;
        assert_eq!((status, renamed["name"].as_str(), renamed["userId"].as_str()), (200, Some("desktop"), Some(user.as_str())));
        let (status, body) = server.call(&management, "PATCH", &path, Some(json!({"currentName": "desktop", "name": "ci"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.personal_access_token_name_exists")));
        assert_eq!(server.call(&management, "PATCH", &path, Some(json!({"currentName": "desktop", "name": "workstation"}))).await.0, 200);
        assert_eq!(server.call(&management, "DELETE", &format!("{path}/ci"), None).await.0, 204);
        assert_eq!(server.call(&management, "POST", &format!("{path}/delete"), Some(json!({"name": "workstation"}))).await.0, 204);
        assert_eq!(server.call(&management, "POST", &format!("{path}/delete"), Some(json!({"name": "workstation"}))).await.0, 404);
        assert_eq!(server.call(&management, "GET", &path, None).await.1, json!([]));
    }

    async fn a_confidential_application_exchanges_a_token_for_access_tokens(server) {
        let management = server.management_client().await;
        let user = server.user("ada", "Correct-Horse-9").await;
        let (app, secret) = server.app(AppType::Traditional, "scripts").await;
        let secret = secret.unwrap();
        let (_, created) = server.call(&management, "POST", &format!("/api/users/{user}/personal-access-tokens"), Some(json!({"name": "cli"}))).await;
        let pat = created["value"].as_str().unwrap().to_owned();
        let exchange = |subject: String, extra: Vec<(&'static str, &'static str)>, authenticated: bool| {
            let (server, app, secret) = (&server, app.clone(), secret.clone());
            async move {
                let mut form = vec![("grant_type", TOKEN_EXCHANGE.to_owned()), ("subject_token", subject), ("subject_token_type", PAT.to_owned())];
                form.extend(extra.into_iter().map(|(k, v)| (k, v.to_owned())));
                let mut request = server.http.post(server.url("/oidc/token"));
                request = if authenticated { request.basic_auth(&app, Some(&secret)) } else { form.push(("client_id", app.clone())); request };
                let response = request.form(&form).send().await.unwrap();
                (response.status().as_u16(), response.json::<Value>().await.unwrap())
            }
        };

        let (status, tokens) = exchange(pat.clone(), vec![("scope", "openid profile")], true).await;
        assert_eq!(status, 200, "{tokens}");
        assert_eq!((tokens["token_type"].as_str(), tokens["scope"].as_str()), (Some("Bearer"), Some("openid profile")));
        assert!(tokens["expires_in"].as_i64().is_some() && tokens.get("refresh_token").is_none() && tokens.get("id_token").is_none());
        let introspected: Value = server.http.post(server.url("/oidc/token/introspection")).basic_auth(&app, Some(&secret))
            .form(&[("token", tokens["access_token"].as_str().unwrap()), ("token_type_hint", "access_token")]).send().await.unwrap().json().await.unwrap();
        assert_eq!((introspected["active"].as_bool(), introspected["sub"].as_str()), (Some(true), Some(user.as_str())));
        assert_eq!(exchange(pat.clone(), vec![], true).await.0, 200, "a token is exchanged again and again");

        // For an API resource: a JWT for the user, with the user's (here: no) scopes on it.
        let created = management.post(server.url("/api/resources")).json(&json!({"name": "Foo", "indicator": "https://foo.example.com/api"})).send().await.unwrap();
        assert_eq!(created.status(), 201);
        let (status, tokens) = exchange(pat.clone(), vec![("resource", "https://foo.example.com/api")], true).await;
        assert_eq!(status, 200, "{tokens}");
        let claims = server.verify_jwt(tokens["access_token"].as_str().unwrap(), "https://foo.example.com/api").await;
        assert_eq!((claims["sub"].as_str(), claims.get("scope")), (Some(user.as_str()), None), "no scopes, no scope claim");

        // No secret, an unknown or expired token: refused.
        let (status, body) = exchange(pat.clone(), vec![], false).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "{body}");
        let (status, body) = exchange("invalid_pat".into(), vec![], true).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("oidc.invalid_grant")));
        let (_, short) = server.call(&management, "POST", &format!("/api/users/{user}/personal-access-tokens"), Some(json!({"name": "short", "expiresAt": server.clock.now_ms() + 100}))).await;
        server.clock.advance_ms(200);
        let (status, body) = exchange(short["value"].as_str().unwrap().to_owned(), vec![], true).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
        // A public client cannot exchange at all, and discovery names the grant.
        let (spa, _) = server.app(AppType::Spa, "spa").await;
        let response = server.http.post(server.url("/oidc/token")).form(&[("grant_type", TOKEN_EXCHANGE), ("client_id", spa.as_str()), ("subject_token", pat.as_str()), ("subject_token_type", PAT)]).send().await.unwrap();
        assert_eq!(response.json::<Value>().await.unwrap()["error"], "unauthorized_client");
        let discovery: Value = server.http.get(server.url("/oidc/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
        assert!(discovery["grant_types_supported"].as_array().unwrap().iter().any(|g| g == TOKEN_EXCHANGE));
        // Deleting the user's token ends its use.
        server.call(&management, "DELETE", &format!("/api/users/{user}/personal-access-tokens/cli"), None).await;
        assert_eq!(exchange(pat, vec![], true).await.0, 400);
    }
}
