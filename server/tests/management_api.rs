//! The Management API with a real token (client credentials for the Management API
//! resource), on SQLite and PostgreSQL: users, the sign-in experience, the audit log, and the
//! OpenAPI document.

mod common;

use reqwest::header::{AUTHORIZATION, LINK};
use serde_json::{json, Value};

/// Bootstraps the management client as `serve` does on first run, and gets a token for it.
async fn management_token(server: &common::TestServer) -> String {
    let client = identity::management::bootstrap_on_first_run(&server.state.store, &server.clock, identity::management::DEFAULT_INDICATOR)
        .await
        .unwrap()
        .expect("a first run creates the client");
    assert!(identity::management::bootstrap_on_first_run(&server.state.store, &server.clock, identity::management::DEFAULT_INDICATOR).await.unwrap().is_none(), "only once");
    let response = server
        .http
        .post(server.url("/oidc/token"))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[("grant_type", "client_credentials"), ("resource", identity::management::DEFAULT_INDICATOR), ("scope", "all")])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned()
}

async fn api(server: &common::TestServer, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = server.http.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), server.url(path)).header(AUTHORIZATION, format!("Bearer {token}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let text = response.text().await.unwrap();
    (status, headers, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) })
}

on_both_databases! {
    async fn tokens_are_required_and_checked(server) {
        let (status, _, body) = api(&server, "", "GET", "/api/users", None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("auth.unauthorized")));
        let response = server.http.get(server.url("/api/users")).send().await.unwrap();
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "auth.authorization_header_missing");
        // A valid token for another resource, or without `all`, is not enough.
        let token = management_token(&server).await;
        let (id, secret) = server.app(identity::applications::AppType::MachineToMachine, "other").await;
        identity::rbac::ensure_resource(&server.state.store, &server.clock, "Other", "https://api.example.com", 3600, false).await.unwrap();
        let resource = identity::rbac::find_resource(&server.state.store, "https://api.example.com").await.unwrap().unwrap();
        identity::rbac::ensure_scope(&server.state.store, &server.clock, &resource, "all").await.unwrap();
        let role = identity::rbac::ensure_role(&server.state.store, &server.clock, "other", identity::rbac::RoleType::MachineToMachine).await.unwrap();
        identity::rbac::grant_scope_to_role(&server.state.store, &role, "https://api.example.com", "all").await.unwrap();
        identity::rbac::assign_role(&server.state.store, &role, identity::rbac::RoleHolder::Application(&id)).await.unwrap();
        let other: Value = server.http.post(server.url("/oidc/token")).basic_auth(&id, secret.as_deref())
            .form(&[("grant_type", "client_credentials"), ("resource", "https://api.example.com"), ("scope", "all")])
            .send().await.unwrap().json().await.unwrap();
        let (status, _, _) = api(&server, other["access_token"].as_str().unwrap(), "GET", "/api/users", None).await;
        assert_eq!(status, 401, "wrong audience");
        let (status, _, _) = api(&server, &token, "GET", "/api/users", None).await;
        assert_eq!(status, 200);
        // A token for the Management API without `all` is forbidden.
        let management = identity::rbac::find_resource(&server.state.store, identity::management::DEFAULT_INDICATOR).await.unwrap().unwrap();
        identity::rbac::ensure_scope(&server.state.store, &server.clock, &management, "read").await.unwrap();
        let reader = identity::rbac::ensure_role(&server.state.store, &server.clock, "reader", identity::rbac::RoleType::MachineToMachine).await.unwrap();
        identity::rbac::grant_scope_to_role(&server.state.store, &reader, identity::management::DEFAULT_INDICATOR, "read").await.unwrap();
        let (reader_app, reader_secret) = server.app(identity::applications::AppType::MachineToMachine, "reader-app").await;
        identity::rbac::assign_role(&server.state.store, &reader, identity::rbac::RoleHolder::Application(&reader_app)).await.unwrap();
        let limited: Value = server.http.post(server.url("/oidc/token")).basic_auth(&reader_app, reader_secret.as_deref())
            .form(&[("grant_type", "client_credentials"), ("resource", identity::management::DEFAULT_INDICATOR), ("scope", "read")])
            .send().await.unwrap().json().await.unwrap();
        let (status, _, body) = api(&server, limited["access_token"].as_str().unwrap(), "GET", "/api/users", None).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("auth.forbidden")));
        // Expired tokens are refused.
        server.clock.advance_ms(3_601_000);
        let (status, _, _) = api(&server, &token, "GET", "/api/users", None).await;
        assert_eq!(status, 401);
    }

    async fn users_are_created_listed_updated_and_deleted(server) {
        let token = management_token(&server).await;
        let (status, _, ada) = api(&server, &token, "POST", "/api/users",
            Some(json!({"username": "ada", "primaryEmail": "Ada@Example.com", "password": "x", "name": "Ada", "customData": {"plan": "pro"}}))).await;
        assert_eq!(status, 200, "{ada}");
        assert_eq!(ada["hasPassword"], true);
        assert!(ada.get("passwordEncrypted").is_none() && !ada.to_string().contains("argon2"), "no hash: {ada}");
        let id = ada["id"].as_str().unwrap().to_owned();
        let (status, _, body) = api(&server, &token, "POST", "/api/users", Some(json!({"primaryEmail": "ada@example.com"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.email_already_in_use")));
        let (status, _, body) = api(&server, &token, "POST", "/api/users", Some(json!({"username": "9 lives"}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));
        let (status, _, body) = api(&server, &token, "POST", "/api/users", Some(json!({"unknown": 1}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));
        for i in 0..4 {
            api(&server, &token, "POST", "/api/users", Some(json!({"username": format!("user{i}")}))).await;
        }

        let (status, headers, page) = api(&server, &token, "GET", "/api/users?page=2&page_size=2", None).await;
        assert_eq!(status, 200);
        assert_eq!(headers["total-number"], "5");
        assert_eq!(page.as_array().unwrap().len(), 2);
        let link = headers[LINK].to_str().unwrap();
        assert!(link.contains("page=3&page_size=2>; rel=\"next\"") && link.contains("page=1&page_size=2>; rel=\"prev\""), "{link}");
        let (_, headers, found) = api(&server, &token, "GET", "/api/users?search=%25ADA%40example%25", None).await;
        assert_eq!(headers["total-number"], "1");
        assert_eq!(found[0]["id"], id.as_str());
        let (status, _, body) = api(&server, &token, "GET", "/api/users?page=0", None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));
        // A page number whose offset would overflow is refused, not a crash.
        for path in ["/api/users?page=9223372036854775807&page_size=100", "/api/roles?page=9223372036854775807", "/api/logs?page=99999999999"] {
            let (status, _, body) = api(&server, &token, "GET", path, None).await;
            assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")), "{path}");
        }

        let (status, _, updated) = api(&server, &token, "PATCH", &format!("/api/users/{id}"), Some(json!({"name": "Ada Lovelace", "primaryEmail": null}))).await;
        assert_eq!(status, 200);
        assert_eq!(updated["name"], "Ada Lovelace");
        assert_eq!(updated["primaryEmail"], Value::Null);
        assert_eq!(updated["customData"], json!({"plan": "pro"}), "untouched fields stay");
        let (status, _, body) = api(&server, &token, "PATCH", &format!("/api/users/{id}"), Some(json!({}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("entity.invalid_input")));
        let (status, _, body) = api(&server, &token, "PATCH", &format!("/api/users/{id}"), Some(json!({"username": "user1"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.username_already_in_use")));

        let (status, _, profile) = api(&server, &token, "PATCH", &format!("/api/users/{id}/profile"), Some(json!({"profile": {"givenName": "Ada", "website": "https://ada.example"}}))).await;
        assert_eq!(status, 200);
        assert_eq!(profile, json!({"givenName": "Ada", "website": "https://ada.example"}));
        let (_, _, profile) = api(&server, &token, "PATCH", &format!("/api/users/{id}/profile"), Some(json!({"profile": {"website": null}}))).await;
        assert_eq!(profile, json!({"givenName": "Ada"}));
        let (status, _, body) = api(&server, &token, "PATCH", &format!("/api/users/{id}/profile"), Some(json!({"profile": {"shoeSize": 42}}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));
        let (_, _, data) = api(&server, &token, "PATCH", &format!("/api/users/{id}/custom-data"), Some(json!({"customData": {"theme": "dark"}}))).await;
        assert_eq!(data, json!({"plan": "pro", "theme": "dark"}));
        assert_eq!(api(&server, &token, "GET", &format!("/api/users/{id}/custom-data"), None).await.2, data);
        // A number near f64's precision limit comes back as the number that was stored (the
        // fuzzer's find: serde_json's default parser may read it one ULP off).
        let large: Value = serde_json::from_str(r#"{"customData": {"score": 999999999999899999922}}"#).unwrap();
        let (_, _, data) = api(&server, &token, "PATCH", &format!("/api/users/{id}/custom-data"), Some(large.clone())).await;
        assert_eq!(data["score"], large["customData"]["score"]);
        assert_eq!(api(&server, &token, "GET", &format!("/api/users/{id}/custom-data"), None).await.2["score"], large["customData"]["score"]);

        assert_eq!(api(&server, &token, "PATCH", &format!("/api/users/{id}/password"), Some(json!({"password": "Quite-New-Pass-9"}))).await.0, 200);
        assert_eq!(api(&server, &token, "POST", &format!("/api/users/{id}/password/verify"), Some(json!({"password": "Quite-New-Pass-9"}))).await.0, 204);
        let (status, _, body) = api(&server, &token, "POST", &format!("/api/users/{id}/password/verify"), Some(json!({"password": "x"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("session.invalid_credentials")));
        assert_eq!(api(&server, &token, "GET", &format!("/api/users/{id}/has-password"), None).await.2, json!({"hasPassword": true}));

        let (_, _, suspended) = api(&server, &token, "PATCH", &format!("/api/users/{id}/is-suspended"), Some(json!({"isSuspended": true}))).await;
        assert_eq!(suspended["isSuspended"], true);
        // A suspended user cannot sign in.
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/password",
            Some(json!({"identifier": {"type": "username", "value": "ada"}, "password": "Quite-New-Pass-9"}))).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("user.suspended")));

        assert_eq!(api(&server, &token, "DELETE", &format!("/api/users/{id}"), None).await.0, 204);
        let (status, _, body) = api(&server, &token, "GET", &format!("/api/users/{id}"), None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("entity.not_found")));
        assert_eq!(api(&server, &token, "DELETE", &format!("/api/users/{id}"), None).await.0, 404);
    }

    async fn the_sign_in_experience_is_managed_and_applied(server) {
        let token = management_token(&server).await;
        let (status, _, sie) = api(&server, &token, "GET", "/api/sign-in-exp", None).await;
        assert_eq!(status, 200);
        assert_eq!(sie["signInMode"], "SignInAndRegister");
        let (status, _, body) = api(&server, &token, "PATCH", "/api/sign-in-exp",
            Some(json!({"signUp": {"identifiers": ["email"], "password": false, "verify": false}}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("sign_in_experiences.passwordless_requires_verify")));
        let (status, _, sie) = api(&server, &token, "PATCH", "/api/sign-in-exp", Some(json!({"signInMode": "SignIn", "passwordPolicy": {"length": {"min": 12, "max": 256}}}))).await;
        assert_eq!(status, 200, "{sie}");
        assert_eq!(sie["passwordPolicy"]["length"]["min"], 12);
        assert_eq!(sie["passwordPolicy"]["rejects"]["pwned"], true, "nested keys merge");
        // The change applies at once on this node: registration is now refused.
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (status, _) = server.call(&browser, "PUT", "/api/experience/interaction-event", Some(json!({"interactionEvent": "Register"}))).await;
        assert_eq!(status, 403);
        // A weak password is a 400 with the issues (as Logto's sign-in-experience.test.ts reads it).
        let (status, _, check) = api(&server, &token, "POST", "/api/sign-in-exp/default/check-password", Some(json!({"password": "Maple-Orbit"}))).await;
        assert_eq!(status, 400);
        assert_eq!(check, json!({"result": false, "issues": [{"code": "password_rejected.too_short", "interpolation": {"min": 12}}]}));
        let (status, _, check) = api(&server, &token, "POST", "/api/sign-in-exp/default/check-password", Some(json!({"password": "Maple-Orbit-72!"}))).await;
        assert_eq!((status, check["result"].as_bool()), (200, Some(true)));

        // Logto's fields that Vestibule does not act on yet are kept and read back, as its
        // Console writes them; anything else is still a mistake.
        let logto_only = json!({"supportEmail": "help@example.com", "usernamePolicy": {"caseSensitive": true}, "adaptiveMfa": {"enabled": false}, "passwordExpiration": {"enabled": false, "validPeriodDays": 90}});
        let (status, _, sie) = api(&server, &token, "PATCH", "/api/sign-in-exp", Some(logto_only.clone())).await;
        assert_eq!(status, 200, "{sie}");
        let (_, _, read) = api(&server, &token, "GET", "/api/sign-in-exp", None).await;
        for (key, value) in logto_only.as_object().unwrap() {
            assert_eq!(&read[key], value, "{key} is read back");
        }
        assert_eq!(read["signInMode"], "SignIn", "the rest is untouched");
        let (status, _, body) = api(&server, &token, "PATCH", "/api/sign-in-exp", Some(json!({"signInMod": "Register"}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")), "a typo is refused");
    }

    async fn writes_and_sign_ins_are_in_the_audit_log(server) {
        let token = management_token(&server).await;
        // Entries are ordered by time (milliseconds): let the test clock tick between them.
        server.clock.advance_ms(5);
        let (_, _, user) = api(&server, &token, "POST", "/api/users", Some(json!({"username": "logged", "password": "Maple-Orbit-72!"}))).await;
        let user_id = user["id"].as_str().unwrap().to_owned();
        api(&server, &token, "GET", "/api/users", None).await;
        server.clock.advance_ms(5);
        let browser = server.browser_in_interaction().await;
        server.clock.advance_ms(5);
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        server.call(&browser, "POST", "/api/experience/verification/password",
            Some(json!({"identifier": {"type": "username", "value": "logged"}, "password": "wrong"}))).await;
        server.clock.advance_ms(5);
        server.experience_sign_in(&browser, "logged", "Maple-Orbit-72!").await;

        let (status, headers, logs) = api(&server, &token, "GET", "/api/logs", None).await;
        assert_eq!(status, 200);
        let keys: Vec<&str> = logs.as_array().unwrap().iter().map(|l| l["key"].as_str().unwrap()).collect();
        assert_eq!(keys, vec!["Interaction.SignIn.Submit", "Interaction.SignIn.Verification.Password.Submit", "Interaction.Create", "ManagementApi.POST", "ExchangeTokenBy.ClientCredentials"], "newest first; reads are not logged");
        assert_eq!(headers["total-number"], "5");
        let write = &logs[3]["payload"];
        assert_eq!((write["path"].as_str(), write["status"].as_u64(), write["result"].as_str()), (Some("/api/users"), Some(200), Some("Success")));
        assert!(write["applicationId"].is_string(), "who: the calling application");
        assert_eq!(logs[1]["payload"]["result"], "Error");
        let (_, _, mine) = api(&server, &token, "GET", &format!("/api/logs?userId={user_id}"), None).await;
        assert_eq!(mine.as_array().unwrap().len(), 2);
        let (_, _, submits) = api(&server, &token, "GET", "/api/logs?logKey=Interaction.SignIn.Submit", None).await;
        assert_eq!(submits[0]["payload"]["applicationId"], "spa");
    }

    async fn resources_scopes_and_roles_grant_access(server) {
        let token = management_token(&server).await;
        let (status, _, resource) = api(&server, &token, "POST", "/api/resources", Some(json!({"name": "Items", "indicator": "https://api.example.com"}))).await;
        assert_eq!(status, 201, "{resource}");
        let rid = resource["id"].as_str().unwrap().to_owned();
        let (status, _, body) = api(&server, &token, "POST", "/api/resources", Some(json!({"name": "Again", "indicator": "https://api.example.com"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("resource.resource_identifier_in_use")));
        let (status, _, body) = api(&server, &token, "POST", &format!("/api/resources/{rid}/scopes"), Some(json!({"name": "read items"}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("scope.name_with_space")));
        let (status, _, scope) = api(&server, &token, "POST", &format!("/api/resources/{rid}/scopes"), Some(json!({"name": "read:items"}))).await;
        assert_eq!(status, 201);
        let sid = scope["id"].as_str().unwrap().to_owned();
        let (status, _, body) = api(&server, &token, "POST", &format!("/api/resources/{rid}/scopes"), Some(json!({"name": "read:items"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("scope.name_exists")));

        let (status, _, reader) = api(&server, &token, "POST", "/api/roles", Some(json!({"name": "reader", "type": "MachineToMachine", "scopeIds": [sid]}))).await;
        assert_eq!(status, 200, "{reader}");
        let reader_id = reader["id"].as_str().unwrap().to_owned();
        let (status, _, body) = api(&server, &token, "POST", "/api/roles", Some(json!({"name": "reader"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("role.name_in_use")));
        let (app_id, secret) = server.app(identity::applications::AppType::MachineToMachine, "worker").await;
        assert_eq!(api(&server, &token, "POST", &format!("/api/roles/{reader_id}/applications"), Some(json!({"applicationIds": [app_id]}))).await.0, 201);
        let issued: Value = server.http.post(server.url("/oidc/token")).basic_auth(&app_id, secret.as_deref())
            .form(&[("grant_type", "client_credentials"), ("resource", "https://api.example.com"), ("scope", "read:items")])
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(issued["scope"], "read:items", "the role grants the scope: {issued}");
        let (_, headers, page) = api(&server, &token, "GET", "/api/roles?page=2&page_size=1", None).await;
        assert_eq!((headers["total-number"].to_str().unwrap(), page.as_array().unwrap().len()), ("2", 1), "the management role and reader");
        let (_, headers, _) = api(&server, &token, "GET", "/api/resources", None).await;
        assert_eq!(headers["total-number"], "2");
        let (_, _, apps) = api(&server, &token, "GET", &format!("/api/roles/{reader_id}/applications"), None).await;
        assert_eq!(apps[0]["id"], "worker");

        let (_, _, user) = api(&server, &token, "POST", "/api/users", Some(json!({"username": "rolf"}))).await;
        let uid = user["id"].as_str().unwrap().to_owned();
        let (status, _, body) = api(&server, &token, "POST", &format!("/api/users/{uid}/roles"), Some(json!({"roleIds": [reader_id]}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.invalid_role_type")));
        let (_, _, viewer) = api(&server, &token, "POST", "/api/roles", Some(json!({"name": "viewer", "scopeIds": [sid]}))).await;
        let viewer_id = viewer["id"].as_str().unwrap().to_owned();
        assert_eq!(api(&server, &token, "POST", &format!("/api/users/{uid}/roles"), Some(json!({"roleIds": [viewer_id]}))).await.0, 201);
        let (_, _, roles) = api(&server, &token, "GET", &format!("/api/users/{uid}/roles"), None).await;
        assert_eq!(roles[0]["name"], "viewer");
        let (_, _, holders) = api(&server, &token, "GET", &format!("/api/roles/{viewer_id}/users"), None).await;
        assert_eq!(holders[0]["id"], uid.as_str());
        // One unknown user in the list: nobody is assigned.
        let (_, _, other) = api(&server, &token, "POST", "/api/users", Some(json!({"username": "other_user"}))).await;
        let (status, _, body) = api(&server, &token, "POST", &format!("/api/roles/{viewer_id}/users"), Some(json!({"userIds": [other["id"], "no-such-user"]}))).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("entity.not_exists_with_id")));
        let (_, _, holders) = api(&server, &token, "GET", &format!("/api/roles/{viewer_id}/users"), None).await;
        assert_eq!(holders.as_array().unwrap().len(), 1, "all or nothing: {holders}");
        assert_eq!(api(&server, &token, "PUT", &format!("/api/users/{uid}/roles"), Some(json!({"roleIds": []}))).await.0, 200);
        assert_eq!(api(&server, &token, "GET", &format!("/api/users/{uid}/roles"), None).await.2, json!([]));

        let (_, _, scopes) = api(&server, &token, "GET", &format!("/api/roles/{reader_id}/scopes"), None).await;
        assert_eq!(scopes[0]["name"], "read:items");
        assert_eq!(api(&server, &token, "DELETE", &format!("/api/roles/{reader_id}/scopes/{sid}"), None).await.0, 204);
        let (_, _, renamed) = api(&server, &token, "PATCH", &format!("/api/resources/{rid}"), Some(json!({"name": "Catalogue", "accessTokenTtl": 600}))).await;
        assert_eq!((renamed["name"].as_str(), renamed["accessTokenTtl"].as_i64(), renamed["indicator"].as_str()), (Some("Catalogue"), Some(600), Some("https://api.example.com")));
        let (_, _, all) = api(&server, &token, "GET", "/api/resources", None).await;
        let management = all.as_array().unwrap().iter().find(|r| r["indicator"] == identity::management::DEFAULT_INDICATOR).unwrap();
        let (status, _, body) = api(&server, &token, "PATCH", &format!("/api/resources/{}", management["id"].as_str().unwrap()), Some(json!({"name": "Mine"}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("resource.cannot_modify_management_api")));
        assert_eq!(api(&server, &token, "DELETE", &format!("/api/resources/{rid}"), None).await.0, 204);
        assert_eq!(api(&server, &token, "GET", &format!("/api/resources/{rid}"), None).await.0, 404);
    }

    async fn applications_are_managed_with_their_secrets_and_roles(server) {
        let token = management_token(&server).await;
        let (status, _, spa) = api(&server, &token, "POST", "/api/applications",
            Some(json!({"name": "Web", "type": "SPA", "oidcClientMetadata": {"redirectUris": ["https://web.example.com/cb"]}}))).await;
        assert_eq!(status, 200, "{spa}");
        assert_eq!(spa["secret"], Value::Null, "public clients have no secret");
        let (status, _, body) = api(&server, &token, "POST", "/api/applications", Some(json!({"name": "Bad", "type": "MachineToMachine", "isThirdParty": true}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("application.invalid_third_party_application_type")));
        let (status, _, body) = api(&server, &token, "POST", "/api/applications", Some(json!({"name": "Bad", "type": "Desktop"}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));

        let (_, _, worker) = api(&server, &token, "POST", "/api/applications", Some(json!({"name": "Worker", "type": "MachineToMachine", "description": "batch jobs"}))).await;
        let (app_id, primary) = (worker["id"].as_str().unwrap().to_owned(), worker["secret"].as_str().unwrap().to_owned());
        assert_eq!(worker["description"], "batch jobs");
        let (_, _, resource) = api(&server, &token, "POST", "/api/resources", Some(json!({"name": "Jobs", "indicator": "https://jobs.example.com"}))).await;
        let (_, _, scope) = api(&server, &token, "POST", &format!("/api/resources/{}/scopes", resource["id"].as_str().unwrap()), Some(json!({"name": "run"}))).await;
        let (_, _, role) = api(&server, &token, "POST", "/api/roles", Some(json!({"name": "runner", "type": "MachineToMachine", "scopeIds": [scope["id"]]}))).await;
        let (_, _, user_role) = api(&server, &token, "POST", "/api/roles", Some(json!({"name": "person"}))).await;
        let (status, _, body) = api(&server, &token, "POST", &format!("/api/applications/{app_id}/roles"), Some(json!({"roleIds": [user_role["id"]]}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("application.invalid_role_type")));
        assert_eq!(api(&server, &token, "POST", &format!("/api/applications/{app_id}/roles"), Some(json!({"roleIds": [role["id"]]}))).await.0, 201);
        let (_, _, roles) = api(&server, &token, "GET", &format!("/api/applications/{app_id}/roles"), None).await;
        assert_eq!(roles[0]["name"], "runner");

        let grant = |secret: String| {
            let (server, app_id) = (&server, app_id.clone());
            async move {
                server.http.post(server.url("/oidc/token")).basic_auth(&app_id, Some(secret))
                    .form(&[("grant_type", "client_credentials"), ("resource", "https://jobs.example.com"), ("scope", "run")])
                    .send().await.unwrap().status().as_u16()
            }
        };
        assert_eq!(grant(primary.clone()).await, 200);
        let (status, _, secret) = api(&server, &token, "POST", &format!("/api/applications/{app_id}/secrets"), Some(json!({"name": "rotation"}))).await;
        assert_eq!(status, 201);
        let extra = secret["value"].as_str().unwrap().to_owned();
        assert_eq!(grant(extra.clone()).await, 200, "the additional secret works too");
        let (_, _, listed) = api(&server, &token, "GET", &format!("/api/applications/{app_id}/secrets"), None).await;
        assert_eq!(listed[0]["name"], "rotation");
        assert!(listed[0].get("value").is_none() && !listed.to_string().contains(&extra), "values are shown once");
        let (status, _, body) = api(&server, &token, "POST", &format!("/api/applications/{app_id}/secrets"), Some(json!({"name": "rotation"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("application.secret_name_exists")));
        assert_eq!(api(&server, &token, "DELETE", &format!("/api/applications/{app_id}/secrets/rotation"), None).await.0, 204);
        assert_eq!(grant(extra).await, 401, "a deleted secret stops working");

        let spa_id = spa["id"].as_str().unwrap();
        let (status, _, updated) = api(&server, &token, "PATCH", &format!("/api/applications/{spa_id}"),
            Some(json!({"name": "Web app", "oidcClientMetadata": {"redirectUris": ["https://web.example.com/callback"]}, "customClientMetadata": {"corsAllowedOrigins": ["https://web.example.com"]}}))).await;
        assert_eq!(status, 200);
        assert_eq!(updated["oidcClientMetadata"]["redirectUris"], json!(["https://web.example.com/callback"]));
        let (status, _, body) = api(&server, &token, "PATCH", &format!("/api/applications/{spa_id}"), Some(json!({"oidcClientMetadata": {"redirectUris": ["not a uri"]}}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("application.invalid_redirect_uri")));
        // The new redirect URI is the only one accepted now.
        let old = server.http.get(server.auth_url(spa_id, &[("redirect_uri", "https://web.example.com/cb")])).send().await.unwrap();
        assert_eq!(old.status(), 400);
        assert_eq!(api(&server, &token, "DELETE", &format!("/api/applications/{app_id}"), None).await.0, 204);
        assert_eq!(grant(primary).await, 401);
        assert_eq!(api(&server, &token, "GET", &format!("/api/applications/{app_id}"), None).await.0, 404);
    }

    async fn connectors_are_configured_tested_and_used(server) {
        let token = management_token(&server).await;
        let smtp = common::smtp::SmtpServer::start_with_auth();
        let config = json!({"host": "127.0.0.1", "port": smtp.port, "security": "none", "fromEmail": "no-reply@vestibule.test",
            "username": "mailer", "password": "s3cret-pass"});
        // Test a configuration before saving it: the message arrives.
        let (status, _, body) = api(&server, &token, "POST", "/api/connectors/smtp/test", Some(json!({"email": "ops@example.com", "config": config}))).await;
        assert_eq!(status, 204, "{body}");
        assert!(smtp.last_to("ops@example.com").await.subject().starts_with("[Test]"));
        let (status, _, body) = api(&server, &token, "POST", "/api/connectors/smtp/test", Some(json!({"email": "ops@example.com", "config": {"host": "127.0.0.1", "port": 1, "security": "none", "fromEmail": "x@y.z"}}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("connector.general")), "an unreachable server is reported");
        let mut wrong = config.clone();
        wrong["password"] = json!("not-the-password");
        let (status, _, body) = api(&server, &token, "POST", "/api/connectors/smtp/test", Some(json!({"email": "ops@example.com", "config": wrong}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("connector.general")), "rejected credentials are reported: {body}");
        let (status, _, body) = api(&server, &token, "POST", "/api/connectors", Some(json!({"connectorId": "smtp", "config": {"host": "127.0.0.1"}}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("connector.invalid_config")));

        let (status, _, created) = api(&server, &token, "POST", "/api/connectors", Some(json!({"connectorId": "smtp", "config": config}))).await;
        assert_eq!(status, 200, "{created}");
        assert_eq!(created["config"]["password"], "********", "secrets are never returned");
        assert_eq!(created["type"], "Email");
        let id = created["id"].as_str().unwrap().to_owned();
        // As in Logto's connector.test.ts, a second email connector replaces the first (a new id, one left).
        let (status, _, replacing) = api(&server, &token, "POST", "/api/connectors", Some(json!({"connectorId": "smtp", "config": config}))).await;
        assert_eq!(status, 200);
        assert_ne!(replacing["id"], created["id"]);
        let (_, _, listed) = api(&server, &token, "GET", "/api/connectors", None).await;
        assert_eq!(listed.as_array().map(Vec::len), Some(1));
        assert_eq!(api(&server, &token, "GET", &format!("/api/connectors/{id}"), None).await.0, 404, "the first is gone");
        let id = replacing["id"].as_str().unwrap().to_owned();
        let (status, _, body) = api(&server, &token, "POST", "/api/connectors", Some(json!({"connectorId": "sendgrid-email", "config": {}}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("connector.not_found_with_connector_id")));
        let (status, _, factory) = api(&server, &token, "GET", "/api/connector-factories/smtp", None).await;
        assert_eq!((status, factory["type"].as_str()), (200, Some("Email")));
        assert_eq!(api(&server, &token, "GET", "/api/connector-factories/nope", None).await.0, 404);
        let (_, _, updated) = api(&server, &token, "PATCH", &format!("/api/connectors/{id}"), Some(json!({"config": {"fromName": "Example", "password": "********"}}))).await;
        assert_eq!(updated["config"]["fromName"], "Example");
        let stored = identity::connectors::find(&server.state.store, identity::connectors::ConnectorKind::Email).await.unwrap().unwrap();
        assert!(matches!(stored, identity::connectors::ConnectorConfig::Smtp(ref c) if c.password.as_deref() == Some("s3cret-pass")), "the masked password kept the stored one");

        // Sign-in codes now go through it.
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await;
        server.call(&browser, "POST", "/api/experience/verification/verification-code",
            Some(json!({"identifier": {"type": "email", "value": "new@example.com"}, "interactionEvent": "Register"}))).await;
        smtp.last_to("new@example.com").await;
        assert_eq!(api(&server, &token, "DELETE", &format!("/api/connectors/{id}"), None).await.0, 204);
        assert_eq!(api(&server, &token, "GET", "/api/connectors", None).await.2, json!([]));
        let (_, _, factories) = api(&server, &token, "GET", "/api/connector-factories", None).await;
        let ids: Vec<&str> = factories.as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["smtp", "http-sms", "oidc", "oauth2", "google-universal", "github-universal", "azuread-universal", "gitlab-universal", "discord-universal", "apple-universal"],
            "email, SMS, the generic OIDC and OAuth 2.0 social connectors and their presets");
    }

    async fn id_token_claims_follow_the_configuration(server) {
        let token = management_token(&server).await;
        assert_eq!(api(&server, &token, "GET", "/api/configs/id-token", None).await.2, json!({"enabledExtendedClaims": ["roles", "organizations", "organization_roles"]}), "as Logto's new tenants");
        let (status, _, body) = api(&server, &token, "PUT", "/api/configs/id-token", Some(json!({"enabledExtendedClaims": ["shoe_size"]}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));
        let (status, _, _) = api(&server, &token, "PUT", "/api/configs/id-token", Some(json!({"enabledExtendedClaims": ["custom_data"]}))).await;
        assert_eq!(status, 200);
        let (client_id, _) = server.app(identity::applications::AppType::Spa, "spa").await;
        let user_id = server.user("carol", "Maple-Orbit-72!").await;
        api(&server, &token, "PATCH", &format!("/api/users/{user_id}/custom-data"), Some(json!({"customData": {"tier": "gold"}}))).await;
        let browser = server.browser();
        let code = server.authorize(&browser, &client_id, "carol", "Maple-Orbit-72!", &[("scope", "openid custom_data roles")]).await;
        let tokens = server.exchange_code(&client_id, &code).await;
        let claims = server.verify_jwt(tokens["id_token"].as_str().unwrap(), &client_id).await;
        assert_eq!(claims["custom_data"], json!({"tier": "gold"}));
        assert!(claims.get("roles").is_none(), "roles are no longer enabled: {claims}");

        // Identities and MFA factors: none yet, and the endpoints say so.
        assert_eq!(api(&server, &token, "GET", &format!("/api/users/{user_id}/all-identities"), None).await.2, json!({"socialIdentities": [], "ssoIdentities": []}));
        assert_eq!(api(&server, &token, "GET", &format!("/api/users/{user_id}/mfa-verifications"), None).await.2, json!([]));
        let (status, _, body) = api(&server, &token, "DELETE", &format!("/api/users/{user_id}/identities/google"), None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("user.identity_not_exist")));
    }

    async fn the_openapi_document_lists_every_management_route(server) {
        let token = management_token(&server).await;
        let document: Value = server.http.get(server.url("/api/swagger.json")).send().await.unwrap().json().await.unwrap();
        assert!(document["openapi"].as_str().unwrap().starts_with("3."));
        let paths = document["paths"].as_object().unwrap();
        for expected in ["/api/users", "/api/users/{userId}", "/api/users/{userId}/password", "/api/users/{userId}/password/verify",
            "/api/users/{userId}/has-password", "/api/users/{userId}/is-suspended", "/api/users/{userId}/custom-data",
            "/api/sign-in-exp", "/api/sign-in-exp/default/check-password", "/api/logs", "/api/users/{userId}/roles",
            "/api/users/{userId}/roles/{roleId}", "/api/resources", "/api/resources/{resourceId}", "/api/resources/{resourceId}/is-default",
            "/api/resources/{resourceId}/scopes", "/api/resources/{resourceId}/scopes/{scopeId}", "/api/roles", "/api/roles/{roleId}",
            "/api/roles/{roleId}/scopes", "/api/roles/{roleId}/scopes/{scopeId}", "/api/roles/{roleId}/users", "/api/roles/{roleId}/users/{userId}",
            "/api/roles/{roleId}/applications", "/api/roles/{roleId}/applications/{applicationId}", "/api/applications",
            "/api/applications/{applicationId}", "/api/applications/{applicationId}/secrets", "/api/applications/{applicationId}/secrets/{name}",
            "/api/applications/{applicationId}/roles", "/api/applications/{applicationId}/roles/{roleId}", "/api/connectors",
            "/api/connectors/{id}", "/api/connectors/{factoryId}/test", "/api/connector-factories", "/api/connector-factories/{id}", "/api/configs/id-token",
            "/api/users/{userId}/all-identities", "/api/users/{userId}/identities/{target}", "/api/users/{userId}/mfa-verifications",
            "/api/users/{userId}/mfa-verifications/{verificationId}", "/api/users/{userId}/profile", "/api/sso-connector-providers", "/api/sso-connectors",
            "/api/sso-connectors/{id}"] {
            assert!(paths.contains_key(expected), "{expected} missing from the document");
        }
        for expected in ["/api/organizations", "/api/organizations/{id}/users/{userId}/roles", "/api/organization-roles/{id}/resource-scopes",
            "/api/organization-scopes/{id}", "/api/organizations/{id}/jit/email-domains", "/api/organizations/{id}/applications/{applicationId}/roles"] {
            assert!(paths.contains_key(expected), "{expected} missing from the document");
        }
        // Operation ids name one operation each (client generators key on them).
        let mut ids: Vec<&str> = paths.values().flat_map(|ops| ops.as_object().unwrap().values()).filter_map(|op| op["operationId"].as_str()).collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "duplicate operation ids");
        // Every documented operation is routed: it answers with something other than 404/405
        // for an existing user.
        let (_, _, user) = api(&server, &token, "POST", "/api/users", Some(json!({"username": "probe"}))).await;
        let id = user["id"].as_str().unwrap();
        for (path, operations) in paths {
            for method in operations.as_object().unwrap().keys() {
                // Deleting the probe (or resetting the configuration) would change what the
                // other probes see.
                if method == "delete" || method == "patch" && path == "/api/sign-in-exp" || method == "put" && path == "/api/configs/id-token" {
                    continue;
                }
                let (status, _, body) = api(&server, &token, &method.to_uppercase(), &path.replace("{userId}", id), Some(json!({}))).await;
                // A routed operation may answer 404 for an unknown id, but with its own error
                // code; the router's own 404 says `request.route_not_found`.
                let routed = status != 405 && (status != 404 || (body["code"].is_string() && body["code"] != "request.route_not_found"));
                assert!(routed, "{method} {path} answered {status}");
            }
        }
    }
}

on_both_databases! {
    // A Management API token is only as good as the application it was issued to: once the
    // application is deleted, its still-unexpired token is refused.
    async fn a_deleted_applications_management_token_stops_working(server) {
        let operator = management_token(&server).await;
        let (status, _, app) = api(&server, &operator, "POST", "/api/applications", Some(json!({"name": "ops bot", "type": "MachineToMachine"}))).await;
        assert_eq!(status, 200, "{app}");
        let id = app["id"].as_str().unwrap().to_owned();
        let (_, _, roles) = api(&server, &operator, "GET", "/api/roles?type=MachineToMachine", None).await;
        let admin_role = roles.as_array().unwrap().iter().find(|r| r["name"] != json!("")).map(|r| r["id"].clone()).unwrap();
        assert_eq!(api(&server, &operator, "POST", &format!("/api/applications/{id}/roles"), Some(json!({"roleIds": [admin_role]}))).await.0, 201);
        let response = server.http.post(server.url("/oidc/token")).basic_auth(&id, app["secret"].as_str())
            .form(&[("grant_type", "client_credentials"), ("resource", identity::management::DEFAULT_INDICATOR), ("scope", "all")]).send().await.unwrap();
        let grant: Value = response.json().await.unwrap();
        let bot = grant["access_token"].as_str().expect("a token").to_owned();
        assert_eq!(api(&server, &bot, "GET", "/api/users", None).await.0, 200);
        assert_eq!(api(&server, &operator, "DELETE", &format!("/api/applications/{id}"), None).await.0, 204);
        let (status, _, body) = api(&server, &bot, "GET", "/api/users", None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("auth.unauthorized")), "the deleted app's token is refused");
        assert_eq!(api(&server, &operator, "GET", "/api/users", None).await.0, 200, "others' are not");
    }
}

async fn token_with(server: &common::TestServer, id: &str, secret: &str) -> Result<String, Value> {
    common::management_token_at(&server.base, id, secret).await
}

on_both_databases! {
    async fn a_deleted_secret_voids_every_token_issued_before_it(server) {
        let ops = identity::management::ensure_client(&server.state.store, &server.clock, identity::management::DEFAULT_INDICATOR, Some("ops".into()), "ops-main-secret-0123456789").await.unwrap();
        let main = token_with(&server, &ops, "ops-main-secret-0123456789").await.unwrap();
        let (status, _, spare) = api(&server, &main, "POST", "/api/applications/ops/secrets", Some(json!({"name": "spare"}))).await;
        assert_eq!(status, 201);
        let with_spare = token_with(&server, &ops, spare["value"].as_str().unwrap()).await.unwrap();
        assert_eq!(api(&server, &with_spare, "GET", "/api/users", None).await.0, 200);

        server.clock.advance_ms(2_000);
        assert_eq!(api(&server, &main, "DELETE", "/api/applications/ops/secrets/spare", None).await.0, 204);
        for (token, which) in [(&with_spare, "minted with the deleted secret"), (&main, "minted before the deletion")] {
            let (status, _, body) = api(&server, token, "GET", "/api/users", None).await;
            assert_eq!((status, body["code"].as_str()), (401, Some("auth.unauthorized")), "a token {which}");
        }
        assert_eq!(token_with(&server, &ops, spare["value"].as_str().unwrap()).await.unwrap_err()["error"], "invalid_client");
        let fresh = token_with(&server, &ops, "ops-main-secret-0123456789").await.unwrap();
        assert_eq!(api(&server, &fresh, "GET", "/api/users", None).await.0, 200, "a token minted since works");
    }

    async fn a_replaced_secret_voids_the_tokens_of_the_old_one_and_the_same_secret_changes_nothing(server) {
        let indicator = identity::management::DEFAULT_INDICATOR;
        let ops = identity::management::ensure_client(&server.state.store, &server.clock, indicator, Some("ops".into()), "ops-old-secret-0123456789").await.unwrap();
        let old = token_with(&server, &ops, "ops-old-secret-0123456789").await.unwrap();
        server.clock.advance_ms(2_000);
        // `vestibule bootstrap` run again with the same secret: nothing ends.
        identity::management::ensure_client(&server.state.store, &server.clock, indicator, Some("ops".into()), "ops-old-secret-0123456789").await.unwrap();
        server.state.provider.caches.applications.clear();
        assert_eq!(api(&server, &old, "GET", "/api/users", None).await.0, 200);

        identity::management::ensure_client(&server.state.store, &server.clock, indicator, Some("ops".into()), "ops-new-secret-0123456789").await.unwrap();
        server.state.provider.caches.applications.clear();
        assert_eq!(api(&server, &old, "GET", "/api/users", None).await.0, 401, "the old secret's token ended with it");
        let new = token_with(&server, &ops, "ops-new-secret-0123456789").await.unwrap();
        assert_eq!(api(&server, &new, "GET", "/api/users", None).await.0, 200);
    }
}
