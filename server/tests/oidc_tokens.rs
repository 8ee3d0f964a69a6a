//! The token endpoint's other grants and the token management endpoints.

mod common;

use common::*;
use identity::applications::AppType;
use identity::oidc::keys::Activation;
use identity::rbac::{self, RoleType};
use serde_json::Value;

const API: &str = "https://api.example.com";

/// Signs alice in with `offline_access` (which needs prompt=consent) and returns the tokens.
async fn offline_tokens(server: &TestServer, client_id: &str) -> Value {
    server.user("alice", "correct horse").await;
    let extra = [("scope", "openid profile offline_access"), ("prompt", "consent")];
    let code = server.authorize(&server.browser(), client_id, "alice", "correct horse", &extra).await;
    let tokens = server.exchange_code(client_id, &code).await;
    assert!(tokens["refresh_token"].is_string(), "offline_access yields a refresh token: {tokens}");
    tokens
}

const CHAINS: usize = 40;
const ROTATIONS: usize = 10;

async fn refresh(server: &TestServer, client_id: &str, refresh_token: &str) -> reqwest::Response {
    server.token(&[("grant_type", "refresh_token"), ("client_id", client_id), ("refresh_token", refresh_token)]).await
}

/// An M2M app and an API whose `read` scope a role grants; `with_role` decides whether the
/// app holds that role.
async fn m2m_with_api(server: &TestServer, with_role: bool) -> (String, String) {
    let (id, secret) = server.app(AppType::MachineToMachine, "machine").await;
    let store = &server.state.store;
    let resource = rbac::ensure_resource(store, &server.clock, "Orders API", API, 600, false).await.unwrap();
    rbac::ensure_scope(store, &server.clock, &resource, "read").await.unwrap();
    rbac::ensure_scope(store, &server.clock, &resource, "write").await.unwrap();
    let role = rbac::ensure_role(store, &server.clock, "reader", RoleType::MachineToMachine).await.unwrap();
    rbac::grant_scope_to_role(store, &role, API, "read").await.unwrap();
    if with_role {
        rbac::assign_role(store, &role, rbac::RoleHolder::Application(&id)).await.unwrap();
    }
    (id, secret.unwrap())
}

async fn client_credentials(server: &TestServer, id: &str, secret: &str, scope: &str) -> reqwest::Response {
    server
        .http
        .post(server.url("/oidc/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("resource", API), ("scope", scope)])
        .send()
        .await
        .unwrap()
}

on_both_databases! {
    async fn refresh_tokens_rotate_and_a_late_reuse_revokes_the_grant(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let first = offline_tokens(&server, &client_id).await;
        let old_refresh = first["refresh_token"].as_str().unwrap();

        let rotated: Value = refresh(&server, &client_id, old_refresh).await.json().await.unwrap();
        let new_refresh = rotated["refresh_token"].as_str().expect("a new refresh token");
        assert_ne!(new_refresh, old_refresh);
        server.verify_jwt(rotated["id_token"].as_str().unwrap(), &client_id).await;

        // Within the grace period (concurrent refreshes) the old token still works …
        assert_eq!(refresh(&server, &client_id, old_refresh).await.status(), 200);
        // … after it, reuse means the token leaked: refused, and the whole grant revoked.
        server.clock.advance_ms(5_000);
        let reuse = refresh(&server, &client_id, old_refresh).await;
        assert_eq!(reuse.status(), 400);
        assert_eq!(reuse.json::<Value>().await.unwrap()["error"], "invalid_grant");
        assert_eq!(refresh(&server, &client_id, new_refresh).await.status(), 400, "the descendant died with the grant");
    }

    async fn concurrent_exchanges_and_rotations_all_succeed(server) {
        // Many clients at once is where SQLite's single writer bites: every exchange and
        // rotation must wait its turn; none may fail with "database is locked".
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        server.user("alice", "correct horse").await;
        let extra = [("scope", "openid profile offline_access"), ("prompt", "consent")];
        let mut codes = Vec::new();
        for _ in 0..CHAINS {
            codes.push(server.authorize(&server.browser(), &client_id, "alice", "correct horse", &extra).await);
        }
        let mut tasks = tokio::task::JoinSet::new();
        for code in codes {
            let (http, url, client_id) = (server.http.clone(), server.url("/oidc/token"), client_id.clone());
            tasks.spawn(async move {
                let post = |form: Vec<(&'static str, String)>| {
                    let (http, url) = (http.clone(), url.clone());
                    async move {
                        let response = http.post(&url).form(&form).send().await.unwrap();
                        let status = response.status();
                        let body: Value = response.json().await.unwrap();
                        assert_eq!(status, 200, "{body}");
                        body["refresh_token"].as_str().unwrap().to_owned()
                    }
                };
                let mut token = post(vec![
                    ("grant_type", "authorization_code".into()),
                    ("client_id", client_id.clone()),
                    ("code", code),
                    ("redirect_uri", REDIRECT.into()),
                    ("code_verifier", VERIFIER.into()),
                ])
                .await;
                for _ in 0..ROTATIONS {
                    token = post(vec![("grant_type", "refresh_token".into()), ("client_id", client_id.clone()), ("refresh_token", token)]).await;
                }
            });
        }
        let mut finished = 0;
        while let Some(result) = tasks.join_next().await {
            result.expect("every exchange and rotation succeeded");
            finished += 1;
        }
        assert_eq!(finished, CHAINS);
    }

    async fn refresh_cannot_widen_the_scope(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let tokens = offline_tokens(&server, &client_id).await;
        let response = server
            .token(&[("grant_type", "refresh_token"), ("client_id", &client_id), ("refresh_token", tokens["refresh_token"].as_str().unwrap()), ("scope", "openid email")])
            .await;
        assert_eq!(response.status(), 400);
        assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_scope");
    }

    async fn without_consent_prompt_offline_access_is_dropped(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        server.user("alice", "correct horse").await;
        let code = server.authorize(&server.browser(), &client_id, "alice", "correct horse", &[("scope", "openid offline_access")]).await;
        let tokens = server.exchange_code(&client_id, &code).await;
        assert!(tokens.get("refresh_token").is_none());
    }

    async fn client_credentials_grants_the_scopes_of_the_apps_roles(server) {
        let (id, secret) = m2m_with_api(&server, true).await;
        let response = client_credentials(&server, &id, &secret, "read write").await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["scope"], "read", "write is not granted by any role");
        assert_eq!(body["expires_in"], 600);
        assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
        let token = body["access_token"].as_str().unwrap();
        assert_eq!(jsonwebtoken::decode_header(token).unwrap().typ.as_deref(), Some("at+jwt"));
        let claims = server.verify_jwt(token, API).await;
        assert_eq!(claims["sub"], id);
        assert_eq!(claims["client_id"], id);
        assert_eq!(claims["scope"], "read");
    }

    async fn client_credentials_without_the_role_gets_no_scope(server) {
        let (id, secret) = m2m_with_api(&server, false).await;
        let body: Value = client_credentials(&server, &id, &secret, "read").await.json().await.unwrap();
        assert!(body.get("scope").is_none(), "nothing granted, no scope member (as oidc-provider answers): {body}");
        let claims = server.verify_jwt(body["access_token"].as_str().unwrap(), API).await;
        assert!(claims.get("scope").is_none(), "nor a scope claim, as Logto's client-credentials-grant.test.ts: {claims}");
    }

    async fn client_credentials_needs_a_known_resource_and_a_valid_secret(server) {
        let (id, secret) = m2m_with_api(&server, true).await;
        let no_resource = server.http.post(server.url("/oidc/token")).basic_auth(&id, Some(&secret)).form(&[("grant_type", "client_credentials")]).send().await.unwrap();
        assert_eq!(no_resource.json::<Value>().await.unwrap()["error"], "invalid_target");
        let unknown = server
            .http
            .post(server.url("/oidc/token"))
            .basic_auth(&id, Some(&secret))
            .form(&[("grant_type", "client_credentials"), ("resource", "https://unknown.example.com")])
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.json::<Value>().await.unwrap()["error"], "invalid_target");
        let wrong_secret = client_credentials(&server, &id, "not-the-secret", "read").await;
        assert_eq!(wrong_secret.status(), 401);
    }

    async fn a_user_app_cannot_use_client_credentials(server) {
        let (id, secret) = server.app(AppType::Traditional, "web").await;
        let response = server.http.post(server.url("/oidc/token")).basic_auth(&id, secret.as_deref()).form(&[("grant_type", "client_credentials")]).send().await.unwrap();
        assert_eq!(response.json::<Value>().await.unwrap()["error"], "unauthorized_client");
    }

    async fn introspection_tells_live_revoked_and_expired_tokens_apart(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let tokens = offline_tokens(&server, &client_id).await;
        let access = tokens["access_token"].as_str().unwrap();
        let introspect = |token: String| {
            let server = &server;
            let client_id = client_id.clone();
            async move {
                let response = server.http.post(server.url("/oidc/token/introspection")).form(&[("client_id", client_id.as_str()), ("token", token.as_str())]).send().await.unwrap();
                assert_eq!(response.status(), 200);
                response.json::<Value>().await.unwrap()
            }
        };
        let live = introspect(access.to_owned()).await;
        assert_eq!(live["active"], true);
        assert_eq!(live["client_id"], client_id);
        assert!(live["scope"].as_str().unwrap().contains("openid"));
        assert!(live["sub"].is_string());

        server.clock.advance_ms(3_601_000);
        assert_eq!(introspect(access.to_owned()).await["active"], false, "expired after an hour");
        let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(introspect(refresh_token.clone()).await["active"], true, "refresh tokens live longer");

        let revoked = server.http.post(server.url("/oidc/token/revocation")).form(&[("client_id", client_id.as_str()), ("token", refresh_token.as_str())]).send().await.unwrap();
        assert_eq!(revoked.status(), 200);
        assert_eq!(introspect(refresh_token).await["active"], false, "revoked");
        assert_eq!(introspect("never-issued".to_owned()).await["active"], false);
    }

    async fn revoking_an_access_token_kills_its_refresh_token(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let tokens = offline_tokens(&server, &client_id).await;
        let access = tokens["access_token"].as_str().unwrap();
        let response = server.http.post(server.url("/oidc/token/revocation")).form(&[("client_id", client_id.as_str()), ("token", access)]).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(server.http.get(server.url("/oidc/me")).bearer_auth(access).send().await.unwrap().status(), 401);
        assert_eq!(refresh(&server, &client_id, tokens["refresh_token"].as_str().unwrap()).await.status(), 400);
    }

    async fn another_client_cannot_revoke_or_read_my_tokens(server) {
        let (mine, _) = server.app(AppType::Spa, "mine").await;
        let (theirs, _) = server.app(AppType::Spa, "theirs").await;
        let tokens = offline_tokens(&server, &mine).await;
        let access = tokens["access_token"].as_str().unwrap();
        let introspected: Value = server.http.post(server.url("/oidc/token/introspection")).form(&[("client_id", theirs.as_str()), ("token", access)]).send().await.unwrap().json().await.unwrap();
        assert_eq!(introspected["active"], false);
        let revoke = server.http.post(server.url("/oidc/token/revocation")).form(&[("client_id", theirs.as_str()), ("token", access)]).send().await.unwrap();
        assert_eq!(revoke.status(), 200, "answered like any unknown token");
        assert_eq!(server.http.get(server.url("/oidc/me")).bearer_auth(access).send().await.unwrap().status(), 200, "and nothing happened");
    }

    async fn jwt_access_tokens_are_not_introspected(server) {
        let (id, secret) = m2m_with_api(&server, true).await;
        let body: Value = client_credentials(&server, &id, &secret, "read").await.json().await.unwrap();
        let response = server
            .http
            .post(server.url("/oidc/token/introspection"))
            .basic_auth(&id, Some(&secret))
            .form(&[("token", body["access_token"].as_str().unwrap())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(response.json::<Value>().await.unwrap()["error"], "unsupported_token_type");
    }

    async fn user_tokens_for_a_resource_are_jwts_with_the_users_role_scopes(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let user_id = server.user("alice", "correct horse").await;
        let store = &server.state.store;
        let resource = rbac::ensure_resource(store, &server.clock, "Orders API", API, 3600, false).await.unwrap();
        rbac::ensure_scope(store, &server.clock, &resource, "read").await.unwrap();
        rbac::ensure_scope(store, &server.clock, &resource, "write").await.unwrap();
        let role = rbac::ensure_role(store, &server.clock, "customer", RoleType::User).await.unwrap();
        rbac::grant_scope_to_role(store, &role, API, "read").await.unwrap();
        rbac::assign_role(store, &role, rbac::RoleHolder::User(&user_id)).await.unwrap();

        let extra = [("scope", "openid read write"), ("resource", API)];
        let code = server.authorize(&server.browser(), &client_id, "alice", "correct horse", &extra).await;
        let response = server
            .token(&[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER), ("resource", API)])
            .await;
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["scope"], "read");
        let claims = server.verify_jwt(body["access_token"].as_str().unwrap(), API).await;
        assert_eq!(claims["sub"], user_id);
        assert_eq!(claims["scope"], "read");
    }

    async fn token_requests_with_bad_input_get_oauth_errors(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![], "invalid_request"),
            (vec![("grant_type", "password")], "unsupported_grant_type"),
            (vec![("grant_type", "authorization_code"), ("client_id", "nobody")], "invalid_client"),
            (vec![("grant_type", "authorization_code"), ("client_id", client_id.as_str()), ("code", "forged")], "invalid_grant"),
            (vec![("grant_type", "refresh_token"), ("client_id", client_id.as_str()), ("refresh_token", "forged")], "invalid_grant"),
            (vec![("grant_type", "authorization_code"), ("grant_type", "refresh_token")], "invalid_request"),
            (vec![("grant_type", "authorization_code\0")], "invalid_request"),
        ];
        for (form, error) in cases {
            let response = server.token(&form).await;
            assert!(response.status().is_client_error(), "{form:?}");
            assert_eq!(response.json::<Value>().await.unwrap()["error"], error, "{form:?}");
        }
        let json_body = server.http.post(server.url("/oidc/token")).header("content-type", "application/json").body("{not json").send().await.unwrap();
        assert_eq!(json_body.status(), 400);
    }

    async fn after_a_key_rotation_old_tokens_still_verify_and_new_ones_use_the_new_key(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let tokens = offline_tokens(&server, &client_id).await;
        let old_id_token = tokens["id_token"].as_str().unwrap();
        let old_kid = jsonwebtoken::decode_header(old_id_token).unwrap().kid.unwrap();

        let new_kid = server.state.provider.keys.rotate(&server.clock, Activation::Scheduled).await.unwrap().remove(0);
        let jwks = server.jwks().await;
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2, "the coming and the current ES256 key");
        let refreshed: Value = refresh(&server, &client_id, tokens["refresh_token"].as_str().unwrap()).await.json().await.unwrap();
        let id_token = refreshed["id_token"].as_str().unwrap();
        assert_eq!(jsonwebtoken::decode_header(id_token).unwrap().kid.unwrap(), old_kid, "relying parties may still have the old JWKS");

        server.clock.advance_ms(identity::oidc::keys::PUBLISH_AHEAD.as_millis() as i64);
        server.verify_jwt(old_id_token, &client_id).await;
        let rotated: Value = refresh(&server, &client_id, refreshed["refresh_token"].as_str().unwrap()).await.json().await.unwrap();
        let new_id_token = rotated["id_token"].as_str().unwrap();
        assert_eq!(jsonwebtoken::decode_header(new_id_token).unwrap().kid.unwrap(), new_kid);
        server.verify_jwt(new_id_token, &client_id).await;
        assert_eq!(server.jwks().await["keys"].as_array().unwrap().len(), 2, "current and previous");
    }

    async fn clients_that_ask_for_rs256_get_rs256_id_tokens(server) {
        let created = identity::applications::create(
            &server.state.store,
            &server.clock,
            identity::applications::NewApplication {
                id: Some("legacy".into()),
                name: "Legacy RP".into(),
                app_type: AppType::Spa,
                secret: None,
                redirect_uris: vec![REDIRECT.into()],
                post_logout_redirect_uris: vec![],
                cors_allowed_origins: vec![],
                is_third_party: false,
                id_token_alg: Some("RS256".into()),
                description: None,
            },
        )
        .await
        .unwrap();
        let tokens = offline_tokens(&server, &created.application.id).await;
        let id_token = tokens["id_token"].as_str().unwrap();
        assert_eq!(jsonwebtoken::decode_header(id_token).unwrap().alg, jsonwebtoken::Algorithm::RS256);
        server.verify_jwt(id_token, "legacy").await;
        let algs: Vec<String> = server.jwks().await["keys"].as_array().unwrap().iter().map(|k| k["alg"].as_str().unwrap().to_owned()).collect();
        assert_eq!(algs, ["ES256", "RS256"]);
    }
}

#[tokio::test]
async fn browsers_may_call_the_token_endpoint_only_from_registered_origins() {
    let server = TestServer::on_sqlite().await;
    server.app(AppType::Spa, "spa").await; // redirect URI on https://app.example.com
    let preflight = |origin: &'static str| {
        let server = &server;
        async move {
            server
                .http
                .request(reqwest::Method::OPTIONS, server.url("/oidc/token"))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .send()
                .await
                .unwrap()
        }
    };
    let allowed = preflight("https://app.example.com").await;
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example.com");
    let refused = preflight("https://evil.example.com").await;
    assert!(refused.headers().get("access-control-allow-origin").is_none());
    let lookalike = preflight("https://app.example.co").await;
    assert!(lookalike.headers().get("access-control-allow-origin").is_none(), "a prefix is not a match");

    let jwks = server.http.get(server.url("/oidc/jwks")).header("origin", "https://anyone.example").send().await.unwrap();
    assert_eq!(jwks.headers()["access-control-allow-origin"], "*");
}

/// A storage failure while issuing tokens rolls the exchange back: the code is not spent and
/// a retry succeeds. (The failure is injected with a SQLite trigger.)
#[tokio::test]
async fn a_failed_exchange_leaves_the_code_usable() {
    let server = TestServer::on_sqlite().await;
    let (client_id, _) = server.app(AppType::Spa, "spa").await;
    server.user("alice", "correct horse").await;
    let code = server.authorize(&server.browser(), &client_id, "alice", "correct horse", &[]).await;
    sqlx::query("CREATE TRIGGER injected_failure BEFORE INSERT ON oidc_tokens WHEN NEW.kind = 'access_token' BEGIN SELECT RAISE(ABORT, 'injected'); END")
        .execute(server.state.store.pool())
        .await
        .unwrap();
    let form = [("grant_type", "authorization_code"), ("client_id", client_id.as_str()), ("code", code.as_str()), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)];
    let failed = server.token(&form).await;
    assert_eq!(failed.status(), 500);
    assert_eq!(failed.json::<Value>().await.unwrap()["error"], "server_error");

    sqlx::query("DROP TRIGGER injected_failure").execute(server.state.store.pool()).await.unwrap();
    assert_eq!(server.token(&form).await.status(), 200, "the code survived the failed attempt");
}

on_both_databases! {
    // Logto's customClientMetadata (oidc/refresh-token-grant.test.ts): rotateRefreshToken=false keeps one refresh token for its
    // lifetime; refreshTokenTtlInDays sets that lifetime (1–90, checked before anything is
    // written).
    async fn refresh_tokens_follow_the_applications_settings(server) {
        let (spa, _) = server.app(AppType::Spa, "spa").await;
        let management = server.management_client().await;
        let patched: Value = management.patch(server.url(&format!("/api/applications/{spa}")))
            .json(&serde_json::json!({"customClientMetadata": {"rotateRefreshToken": false, "refreshTokenTtlInDays": 2}})).send().await.unwrap().json().await.unwrap();
        assert_eq!((patched["customClientMetadata"]["rotateRefreshToken"].as_bool(), patched["customClientMetadata"]["refreshTokenTtlInDays"].as_i64()), (Some(false), Some(2)));
        server.state.provider.caches.applications.clear();
        let tokens = offline_tokens(&server, &spa).await;
        let original = tokens["refresh_token"].as_str().unwrap().to_owned();
        for _ in 0..3 {
            let refreshed: Value = refresh(&server, &spa, &original).await.json().await.unwrap();
            assert_eq!(refreshed["refresh_token"].as_str(), Some(original.as_str()), "not rotated: {refreshed}");
            assert!(refreshed["access_token"].is_string());
        }
        let (status, body) = {
            let response = management.post(server.url("/api/applications"))
                .json(&serde_json::json!({"name": "Too long", "type": "SPA", "customClientMetadata": {"refreshTokenTtlInDays": 91}})).send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        };
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));
        let listed: Value = management.get(server.url("/api/applications?types=SPA")).send().await.unwrap().json().await.unwrap();
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "nothing was created");
        // A fresh application rotates, with the default 14 days.
        let created: Value = management.post(server.url("/api/applications")).json(&serde_json::json!({"name": "Default", "type": "Native"})).send().await.unwrap().json().await.unwrap();
        assert_eq!((created["customClientMetadata"]["rotateRefreshToken"].as_bool(), created["customClientMetadata"]["refreshTokenTtlInDays"].as_i64()), (Some(true), Some(14)));
        // (Last: the management token would expire with the clock moved two days on.)
        server.clock.advance_ms(2 * 86_400_000 + 1_000);
        let expired: Value = refresh(&server, &spa, &original).await.json().await.unwrap();
        assert_eq!(expired["error"], "invalid_grant", "two days, then gone");
    }
}

on_both_databases! {
    // Suspending an account ends its sessions, grants and refresh tokens at once; reinstating
    // it brings none of them back.
    async fn suspension_ends_sessions_and_refresh_tokens_for_good(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        server.user("alice", "correct horse").await;
        let browser = server.browser();
        let extra = [("scope", "openid profile offline_access"), ("prompt", "consent")];
        let code = server.authorize(&browser, &client_id, "alice", "correct horse", &extra).await;
        let tokens = server.exchange_code(&client_id, &code).await;
        let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
        let alice = identity::users::find_by_username(&server.state.store, "alice").await.unwrap().unwrap().id;
        identity::users::set_suspended(&server.state.store, &server.clock, &alice, true).await.unwrap();
        assert_eq!(refresh(&server, &client_id, &refresh_token).await.status(), 400, "suspended: no tokens");
        identity::users::set_suspended(&server.state.store, &server.clock, &alice, false).await.unwrap();
        let response = refresh(&server, &client_id, &refresh_token).await;
        assert_eq!(response.status(), 400, "reinstated: the old refresh token is still gone");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant");
        // The browser's session went too: the next authorization request asks to sign in.
        let location = server.begin(&browser, &server.auth_url(&client_id, &[])).await;
        assert!(location.starts_with("/sign-in"), "{location}");
        let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oidc_sessions WHERE account_id = $1").bind(&alice).fetch_one(server.state.store.pool()).await.unwrap();
        assert_eq!(sessions, 0);
    }
}
