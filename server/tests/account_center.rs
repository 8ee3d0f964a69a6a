//! The account center pages (`/account`) over HTTP: the page signs people in through its own
//! first-party client and shows their account; its forms post to server functions, called
//! here exactly as a browser without JavaScript or the hydrated page would. Deleting an
//! account — by the operator or by the person — leaves nothing of it behind.

mod common;

use identity::applications::AppType;
use serde_json::{json, Value};

const PASSWORD: &str = "Correct-Horse-9";

async fn enable_account_center(server: &common::TestServer, extra: Value) {
    let management = server.management_client().await;
    let fields: serde_json::Map<String, Value> = ["name", "avatar", "profile", "email", "phone", "password", "username", "mfa", "session"].iter().map(|f| (f.to_string(), json!("Edit"))).collect();
    let mut settings = json!({"enabled": true, "fields": fields});
    settings.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let (status, body) = server.call(&management, "PATCH", "/api/account-center", Some(settings)).await;
    assert_eq!(status, 200, "{body}");
}

/// A browser signed in at Vestibule as `username` (it holds the IdP session cookie).
async fn signed_in_browser(server: &common::TestServer, username: &str) -> reqwest::Client {
    let browser = server.browser();
    server.authorize(&browser, "spa", username, PASSWORD, &[]).await;
    browser
}

/// A server function called as the hydrated page calls it: the status, the `Location` it
/// asks the page to go to, and the body.
async fn server_fn(server: &common::TestServer, browser: &reqwest::Client, name: &str, form: &[(&str, &str)]) -> (u16, Option<String>, String) {
    let response = browser.post(server.url(&format!("/_vestibule/account/{name}"))).form(form).send().await.unwrap();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    (response.status().as_u16(), location, response.text().await.unwrap())
}

/// Whether `username` and `password` pass the password step of a sign-in.
async fn password_signs_in(server: &common::TestServer, username: &str, password: &str) -> bool {
    let browser = server.browser_in_interaction().await;
    server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
    let identifier = json!({"identifier": {"type": "username", "value": username}, "password": password});
    server.call(&browser, "POST", "/api/experience/verification/password", Some(identifier)).await.0 == 200
}

/// What still refers to the user, table by table (each should be 0 after a deletion).
async fn rows_left(server: &common::TestServer, user_id: &str) -> Vec<(&'static str, i64)> {
    let mut left = Vec::new();
    for (table, column) in [
        ("users", "id"),
        ("oidc_sessions", "account_id"),
        ("oidc_grants", "account_id"),
        ("oidc_tokens", "account_id"),
        ("oidc_interactions", "account_id"),
        ("mfa_verifications", "user_id"),
        ("webauthn_ceremonies", "user_id"),
        ("verification_records", "user_id"),
        ("personal_access_tokens", "user_id"),
        ("user_social_identities", "user_id"),
        ("users_roles", "user_id"),
        ("organization_members", "user_id"),
        ("organization_member_roles", "user_id"),
    ] {
        let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1")).bind(user_id).fetch_one(server.state.store.pool()).await.unwrap();
        left.push((table, count));
    }
    left
}

/// Gives the user (`ada`) a row in every table that refers to accounts (memberships too); answers a live
/// access token and refresh token.
async fn with_everything(server: &common::TestServer, user_id: &str) -> (String, String) {
    let management = server.management_client().await;
    enable_account_center(server, json!({})).await;
    let (_, role) = server.call(&management, "POST", "/api/roles", Some(json!({"name": "reader", "description": "reads"}))).await;
    server.call(&management, "POST", &format!("/api/users/{user_id}/roles"), Some(json!({"roleIds": [role["id"]]}))).await;
    server.call(&management, "POST", &format!("/api/users/{user_id}/personal-access-tokens"), Some(json!({"name": "cli"}))).await;
    let upstream = json!({"connectorId": "oidc", "config": {"issuer": "https://id.example", "clientId": "c", "clientSecret": "s"}, "metadata": {"target": "upstream"}});
    server.call(&management, "POST", "/api/connectors", Some(upstream)).await;
    let (status, _) = server.call(&management, "PUT", &format!("/api/users/{user_id}/identities/upstream"), Some(json!({"socialUserId": "ada-upstream"}))).await;
    assert_eq!(status, 200);
    let (_, organization) = server.call(&management, "POST", "/api/organizations", Some(json!({"name": "Acme"}))).await;
    let members = format!("/api/organizations/{}/users", organization["id"].as_str().unwrap());
    server.call(&management, "POST", &members, Some(json!({"userIds": [user_id]}))).await;
    server.call(&management, "POST", "/api/organization-roles", Some(json!({"name": "member"}))).await;
    server.call(&management, "POST", &format!("{members}/{user_id}/roles"), Some(json!({"organizationRoleNames": ["member"]}))).await;
    let code = server.authorize(&server.browser(), "spa", "ada", PASSWORD, &[("scope", "openid offline_access"), ("prompt", "consent")]).await;
    let tokens = server.exchange_code("spa", &code).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let record = server.http.post(server.url("/api/verifications/password")).bearer_auth(&access).json(&json!({"password": PASSWORD})).send().await.unwrap();
    assert_eq!(record.status(), 201);
    identity::mfa::add_totp(&server.state.store, &server.clock, &server.state.provider.at_rest, user_id, None).await.unwrap();
    let before: Vec<_> = rows_left(server, user_id).await.into_iter().filter(|(table, n)| *n == 0 && !["webauthn_ceremonies", "oidc_interactions"].contains(table)).collect();
    assert_eq!(before, vec![], "every table refers to the user before the deletion");
    (access, tokens["refresh_token"].as_str().unwrap().to_owned())
}

on_both_databases! {
    async fn the_page_signs_people_in_and_shows_their_account(server) {
        server.app(AppType::Spa, "spa").await;
        server.user("ada", PASSWORD).await;
        let anonymous = server.browser();
        let response = anonymous.get(server.url("/account")).header("accept", "text/html").send().await.unwrap();
        assert_eq!((response.status().as_u16(), response.headers()["location"].to_str().unwrap()), (302, "/account/sign-in"), "nobody is signed in");
        let response = anonymous.get(server.url("/account/sign-in")).send().await.unwrap();
        let to = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.contains("/oidc/auth?client_id=account-center") && to.contains("code_challenge_method=S256"), "{to}");

        // Through the hosted sign-in and back: the callback redeems the code, /account shows.
        let location = server.begin(&anonymous, &to).await;
        assert!(location.starts_with("/sign-in"), "{location}");
        let redirect_to = server.experience_sign_in(&anonymous, "ada", PASSWORD).await;
        let resumed = anonymous.get(&redirect_to).send().await.unwrap();
        let callback = resumed.headers()["location"].to_str().unwrap().to_owned();
        assert!(callback.contains("/account/callback?code="), "{callback}");
        let back = anonymous.get(&callback).send().await.unwrap();
        assert_eq!(back.headers()["location"], "/account");
        let page = anonymous.get(server.url("/account")).send().await.unwrap();
        assert_eq!(page.status(), 200, "the account center is off: explained, not an error page");
        let html = page.text().await.unwrap();
        assert!(html.contains("account_center.not_enabled"), "{html}");

        enable_account_center(&server, json!({})).await;
        let html = anonymous.get(server.url("/account")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains(r#"data-testid="account-center""#) && html.contains("ada@example.com"), "{html}");
        let forged = anonymous.get(server.url("/account/callback?code=stolen&state=forged")).send().await.unwrap();
        assert_eq!(forged.headers()["location"], "/account", "a callback it did not start changes nothing");
    }

    async fn the_forms_change_the_account_behind_a_fresh_proof(server) {
        server.app(AppType::Spa, "spa").await;
        server.user("ada", PASSWORD).await;
        server.user("grace", PASSWORD).await;
        enable_account_center(&server, json!({})).await;
        let browser = signed_in_browser(&server, "ada").await;

        let (status, location, _) = server_fn(&server, &browser, "profile", &[("name", "Ada Lovelace"), ("username", "ada"), ("avatar", "")]).await;
        assert_eq!((status, location.as_deref()), (200, Some("/account?done=profile#profile")));
        let html = browser.get(server.url("/account")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Ada Lovelace"));

        // A new username, a new password: not without a proof; a wrong password proves nothing.
        let (status, _, body) = server_fn(&server, &browser, "profile", &[("name", "Ada Lovelace"), ("username", "countess")]).await;
        assert_eq!((status, body.as_str()), (401, "ServerError|verification_record.permission_denied"));
        let (status, _, body) = server_fn(&server, &browser, "password", &[("password", "An0ther-Secret!")]).await;
        assert_eq!((status, body.as_str()), (401, "ServerError|verification_record.permission_denied"));
        let (status, _, body) = server_fn(&server, &browser, "verify-password", &[("password", "wrong")]).await;
        assert_eq!((status, body.as_str()), (422, "ServerError|session.invalid_credentials"));
        let (status, _, body) = server_fn(&server, &browser, "verify-password", &[("password", PASSWORD)]).await;
        assert_eq!(status, 200, "{body}");
        let (status, _, body) = server_fn(&server, &browser, "profile", &[("name", "Ada Lovelace"), ("username", "grace")]).await;
        assert_eq!((status, body.as_str()), (422, "ServerError|user.username_already_in_use"));
        let (status, _, body) = server_fn(&server, &browser, "password", &[("password", "short")]).await;
        assert_eq!(status, 422);
        assert!(body.starts_with("ServerError|password.rejected|"), "the reasons come along: {body}");
        assert_eq!(server_fn(&server, &browser, "password", &[("password", "An0ther-Secret!")]).await.0, 200);
        assert!(!password_signs_in(&server, "ada", PASSWORD).await, "the old password no longer signs in");
        assert!(password_signs_in(&server, "ada", "An0ther-Secret!").await);

        // Malformed calls are the caller's fault, never a 500.
        let (status, _, body) = server_fn(&server, &browser, "password", &[]).await;
        assert_eq!(status, 400, "{body}");
        let (status, _, _) = server_fn(&server, &browser, "remove-address", &[("kind", "fax")]).await;
        assert_eq!(status, 400);
        let (status, _, _) = server_fn(&server, &server.browser(), "profile", &[("name", "Mallory")]).await;
        assert_eq!(status, 401, "nobody signed in");
        let cross_site = browser.post(server.url("/_vestibule/account/profile")).header("sec-fetch-site", "cross-site").form(&[("name", "Mallory")]).send().await.unwrap();
        assert_eq!(cross_site.status(), 403, "another site cannot post the forms");
    }

    async fn tokens_are_created_shown_once_and_revoked(server) {
        server.app(AppType::Spa, "spa").await;
        server.user("ada", PASSWORD).await;
        enable_account_center(&server, json!({})).await;
        let browser = signed_in_browser(&server, "ada").await;
        let (status, _, body) = server_fn(&server, &browser, "create-token", &[("name", "laptop"), ("days", "30")]).await;
        assert_eq!((status, body.as_str()), (401, "ServerError|verification_record.permission_denied"));
        server_fn(&server, &browser, "verify-password", &[("password", PASSWORD)]).await;
        assert_eq!(server_fn(&server, &browser, "create-token", &[("name", "laptop"), ("days", "0")]).await.0, 400);
        assert_eq!(server_fn(&server, &browser, "create-token", &[("name", "laptop"), ("days", "30")]).await.0, 200);
        let (status, _, body) = server_fn(&server, &browser, "create-token", &[("name", "laptop"), ("days", "never")]).await;
        assert_eq!((status, body.as_str()), (422, "ServerError|user.personal_access_token_name_exists"));

        let first = browser.get(server.url("/account")).send().await.unwrap().text().await.unwrap();
        let value = first.split(r#"data-testid="new-token""#).nth(1).and_then(|rest| rest.split('>').nth(1)).and_then(|rest| rest.split('<').next()).unwrap_or_else(|| panic!("the new token is shown: {first}")).to_owned();
        assert!(value.starts_with("pat_"), "{value}");
        let again = browser.get(server.url("/account")).send().await.unwrap().text().await.unwrap();
        assert!(!again.contains(&value), "shown once only");
        assert!(again.contains("laptop"));

        assert_eq!(server_fn(&server, &browser, "revoke-token", &[("name", "laptop")]).await.0, 200);
        assert_eq!(server_fn(&server, &browser, "revoke-token", &[("name", "laptop")]).await.0, 404);
        let (app, secret) = server.app(AppType::Traditional, "scripts").await;
        let exchanged = server.http.post(server.url("/oidc/token")).basic_auth(app, secret)
            .form(&[("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"), ("subject_token", value.as_str()), ("subject_token_type", "urn:logto:token-type:personal_access_token")])
            .send().await.unwrap();
        assert_eq!(exchanged.status(), 400, "a revoked token exchanges for nothing");
    }

    async fn an_operator_deletion_leaves_nothing_behind(server) {
        server.app(AppType::Spa, "spa").await;
        let user = server.user("ada", PASSWORD).await;
        let (access, refresh) = with_everything(&server, &user).await;
        let management = server.management_client().await;
        assert_eq!(server.call(&management, "DELETE", &format!("/api/users/{user}"), None).await.0, 204);
        assert_eq!(rows_left(&server, &user).await.into_iter().filter(|(_, n)| *n > 0).collect::<Vec<_>>(), vec![]);
        assert_eq!(server.http.get(server.url("/oidc/me")).bearer_auth(&access).send().await.unwrap().status(), 401, "its access token is dead");
        let refreshed = server.token(&[("grant_type", "refresh_token"), ("client_id", "spa"), ("refresh_token", &refresh)]).await;
        assert_eq!(refreshed.status(), 400);
        let (_, logs) = server.call(&management, "GET", &format!("/api/logs?userId={user}"), None).await;
        assert!(logs.as_array().unwrap().iter().any(|log| log["key"] == "User.Delete"), "{logs}");
    }

    async fn people_delete_their_own_account_when_the_operator_allows_it(server) {
        server.app(AppType::Spa, "spa").await;
        let user = server.user("ada", PASSWORD).await;
        let (access, _) = with_everything(&server, &user).await;
        let browser = signed_in_browser(&server, "ada").await;
        server_fn(&server, &browser, "verify-password", &[("password", PASSWORD)]).await;
        let (status, _, body) = server_fn(&server, &browser, "delete", &[("confirm", "yes")]).await;
        assert_eq!((status, body.as_str()), (400, "ServerError|account_center.field_not_editable"), "off unless the operator allows it");

        enable_account_center(&server, json!({"selfServiceDeletion": true})).await;
        let fresh = signed_in_browser(&server, "ada").await;
        let (status, _, body) = server_fn(&server, &fresh, "delete", &[("confirm", "yes")]).await;
        assert_eq!((status, body.as_str()), (401, "ServerError|verification_record.permission_denied"), "a fresh proof first");
        let (status, _, body) = server_fn(&server, &browser, "delete", &[]).await;
        assert_eq!((status, body.as_str()), (400, "ServerError|account.confirmation_required"));
        assert_eq!(rows_left(&server, &user).await[0], ("users", 1), "nothing happened yet");
        let (status, location, _) = server_fn(&server, &browser, "delete", &[("confirm", "yes")]).await;
        assert_eq!((status, location.as_deref()), (200, Some("/account/deleted")));

        assert_eq!(rows_left(&server, &user).await.into_iter().filter(|(_, n)| *n > 0).collect::<Vec<_>>(), vec![]);
        assert_eq!(server.http.get(server.url("/oidc/me")).bearer_auth(&access).send().await.unwrap().status(), 401);
        assert!(!password_signs_in(&server, "ada", PASSWORD).await, "signing in fails");
        let response = browser.get(server.url("/account")).header("accept", "text/html").send().await.unwrap();
        assert_eq!((response.status().as_u16(), response.headers()["location"].to_str().unwrap()), (302, "/account/sign-in"), "the session went with the account");
    }
}
