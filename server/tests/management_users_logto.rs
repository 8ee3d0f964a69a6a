//! Users as Logto's `packages/integration-tests/src/tests/api/admin-user.test.ts` manages
//! them: importing password digests (so people migrate with their passwords), verifying
//! passwords, and the codes for an unknown user.

mod common;

use serde_json::{json, Value};

async fn create(server: &common::TestServer, management: &reqwest::Client, body: Value) -> (u16, Value) {
    let response = management.post(server.url("/api/users")).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn verify(server: &common::TestServer, management: &reqwest::Client, id: &str, password: &str) -> (u16, Value) {
    call(server, management, "POST", &format!("/api/users/{id}/password/verify"), json!({"password": password})).await
}

on_both_databases! {
    async fn users_move_over_with_their_password_digests(server) {
        let management = server.management_client().await;
        // MD5("password"), as in Logto's test.
        let (status, user) = create(&server, &management, json!({"username": "md5_user", "passwordDigest": "5f4dcc3b5aa765d61d8327deb882cf99", "passwordAlgorithm": "MD5"})).await;
        assert_eq!(status, 200, "{user}");
        let id = user["id"].as_str().unwrap().to_owned();
        assert_eq!(verify(&server, &management, &id, "password").await.0, 204);
        assert_eq!(verify(&server, &management, &id, "Password").await.1["code"], "session.invalid_credentials");

        let bcrypted = bcrypt::hash("a bcrypt secret", 4).unwrap();
        let sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; // "test"
        for (username, digest, algorithm, password) in [("bcrypt_user", bcrypted.as_str(), "Bcrypt", "a bcrypt secret"), ("sha_user", sha256, "SHA256", "test")] {
            let (status, user) = create(&server, &management, json!({"username": username, "passwordDigest": digest, "passwordAlgorithm": algorithm})).await;
            assert_eq!(status, 200, "{user}");
            assert_eq!(verify(&server, &management, user["id"].as_str().unwrap(), password).await.0, 204, "{algorithm}");
        }
        let (status, body) = create(&server, &management, json!({"username": "odd", "passwordDigest": "abc", "passwordAlgorithm": "ROT13"})).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));

        // The first sign-in with the imported password replaces the digest with Argon2id.
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (status, _) = server.call(&browser, "POST", "/api/experience/verification/password", Some(json!({"identifier": {"type": "username", "value": "md5_user"}, "password": "password"}))).await;
        assert_eq!(status, 200);
        let stored = identity::users::find_by_id(&server.state.store, &id).await.unwrap().unwrap().password.unwrap();
        assert_eq!(stored.method, "Argon2id");
        assert!(stored.hash.starts_with("$argon2id$"));
        assert_eq!(verify(&server, &management, &id, "password").await.0, 204, "still the same password");

        // Verifying an empty password is malformed; an unknown user is Logto's 404.
        let (status, body) = verify(&server, &management, &id, "").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));
        let unknown = management.get(server.url("/api/users/invalid-user-id")).send().await.unwrap();
        assert_eq!(unknown.status(), 404);
        assert_eq!(unknown.json::<Value>().await.unwrap()["code"], "entity.not_found");

        // `includeSsoIdentities` adds the (for now always empty) list, as Logto's Console asks.
        let plain: Value = management.get(server.url(&format!("/api/users/{id}"))).send().await.unwrap().json().await.unwrap();
        assert!(plain.get("ssoIdentities").is_none());
        let with_sso: Value = management.get(server.url(&format!("/api/users/{id}?includeSsoIdentities=true"))).send().await.unwrap().json().await.unwrap();
        assert_eq!(with_sso["ssoIdentities"], serde_json::json!([]));
        assert_eq!(with_sso["id"], plain["id"]);
    }
}

async fn call(server: &common::TestServer, management: &reqwest::Client, method: &str, path: &str, body: Value) -> (u16, Value) {
    let response = management.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), server.url(path)).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

on_both_databases! {
    // Role assignment as Logto answers it (admin-user.roles.test.ts,
    // application/application.roles.test.ts): POST → 201 {roleIds, addedRoleIds}, PUT →
    // {roleIds}, nothing to add → 400, roles only for machine-to-machine applications.
    async fn role_assignments_answer_with_what_changed(server) {
        let management = server.management_client().await;
        let (_, user) = create(&server, &management, json!({"username": "holder"})).await;
        let user = user["id"].as_str().unwrap().to_owned();
        let mut user_roles = Vec::new();
        for name in ["reader", "writer"] {
            let (_, role) = call(&server, &management, "POST", "/api/roles", json!({"name": name, "description": name})).await;
            user_roles.push(role["id"].as_str().unwrap().to_owned());
        }
        let path = format!("/api/users/{user}/roles");
        let (status, body) = call(&server, &management, "POST", &path, json!({"roleIds": [user_roles[0]]})).await;
        assert_eq!((status, body.clone()), (201, json!({"roleIds": [user_roles[0]], "addedRoleIds": [user_roles[0]]})));
        let (status, body) = call(&server, &management, "POST", &path, json!({"roleIds": [user_roles[0], user_roles[1]]})).await;
        assert_eq!((status, body["addedRoleIds"].clone()), (201, json!([user_roles[1]])), "only the new one is added");
        let (status, body) = call(&server, &management, "POST", &path, json!({"roleIds": []})).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));
        let (status, body) = call(&server, &management, "PUT", &path, json!({"roleIds": [user_roles[1]]})).await;
        assert_eq!((status, body), (200, json!({"roleIds": [user_roles[1]]})));
        let (_, held) = call(&server, &management, "GET", &path, Value::Null).await;
        assert_eq!(held.as_array().map(Vec::len), Some(1));

        let (_, m2m_role) = call(&server, &management, "POST", "/api/roles", json!({"name": "jobs", "description": "jobs", "type": "MachineToMachine"})).await;
        let m2m_role = m2m_role["id"].as_str().unwrap().to_owned();

        // A default role is given to users the Management API creates, as to registered ones.
        let (_, default_role) = call(&server, &management, "POST", "/api/roles", json!({"name": "member", "description": "everyone", "isDefault": true})).await;
        let (_, newcomer) = create(&server, &management, json!({"username": "newcomer"})).await;
        let (_, held) = call(&server, &management, "GET", &format!("/api/users/{}/roles", newcomer["id"].as_str().unwrap()), Value::Null).await;
        assert_eq!(held.as_array().map(|roles| roles.iter().map(|r| r["id"].clone()).collect::<Vec<_>>()), Some(vec![default_role["id"].clone()]));
        let (m2m, _) = server.app(identity::applications::AppType::MachineToMachine, "job").await;
        let (spa, _) = server.app(identity::applications::AppType::Spa, "web").await;
        let (status, body) = call(&server, &management, "POST", &format!("/api/applications/{spa}/roles"), json!({"roleIds": [m2m_role]})).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("application.invalid_type")));
        let (status, body) = call(&server, &management, "POST", &format!("/api/applications/{m2m}/roles"), json!({"roleIds": [m2m_role]})).await;
        assert_eq!((status, body["addedRoleIds"].clone()), (201, json!([m2m_role])));
        let (status, body) = call(&server, &management, "PUT", &format!("/api/applications/{m2m}/roles"), json!({"roleIds": []})).await;
        assert_eq!((status, body), (200, json!({"roleIds": []})));
        let (_, held) = call(&server, &management, "GET", &format!("/api/applications/{m2m}/roles"), Value::Null).await;
        assert_eq!(held, json!([]));
    }
}

on_both_databases! {
    // The Management API resource has Logto's fixed ids (its tests and scripts use
    // `defaultManagementApi.resource.id`), and it cannot be changed.
    async fn the_management_api_resource_has_logtos_ids(server) {
        let management = server.management_client().await;
        let (status, resource) = call(&server, &management, "GET", "/api/resources/management-api", Value::Null).await;
        assert_eq!((status, resource["indicator"].as_str()), (200, Some("https://default.logto.app/api")));
        let (_, scopes) = call(&server, &management, "GET", "/api/resources/management-api/scopes", Value::Null).await;
        assert_eq!(scopes[0]["id"], "management-api-all");
        assert_eq!(scopes[0]["name"], "all");
        let (status, body) = call(&server, &management, "PATCH", "/api/resources/management-api", json!({"name": "Mine"})).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("resource.cannot_modify_management_api")));
        // Setting up again (another node, or `vestibule bootstrap`) changes nothing.
        identity::management::ensure_client(&server.state.store, &server.clock, identity::management::DEFAULT_INDICATOR, Some("ops".into()), "a-provisioned-secret-of-some-length").await.unwrap();
        let (_, resources) = call(&server, &management, "GET", "/api/resources", Value::Null).await;
        assert_eq!(resources.as_array().unwrap().iter().filter(|r| r["indicator"] == "https://default.logto.app/api").count(), 1);
    }
}

on_both_databases! {
    // The Console's list filters (role.test.ts, application/application.test.ts): roles by type,
    // search and "not yet held"; applications by types.
    async fn roles_and_applications_are_filtered_as_the_console_asks(server) {
        let management = server.management_client().await;
        let mut ids = Vec::new();
        for (name, kind) in [("Editors", "User"), ("Auditors", "User"), ("Batch jobs", "MachineToMachine")] {
            let (_, role) = call(&server, &management, "POST", "/api/roles", json!({"name": name, "description": format!("{name} role"), "type": kind})).await;
            ids.push(role["id"].as_str().unwrap().to_owned());
        }
        let names = |found: &Value| found.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        let (_, found) = call(&server, &management, "GET", "/api/roles?type=MachineToMachine&search=%25batch%25", Value::Null).await;
        assert_eq!(names(&found), vec!["Batch jobs"]);
        let (_, found) = call(&server, &management, "GET", "/api/roles?type=User&search=itor", Value::Null).await;
        let mut both = names(&found);
        both.sort();
        assert_eq!(both, vec!["Auditors", "Editors"]);
        let (_, user) = create(&server, &management, json!({"username": "ed"})).await;
        let user = user["id"].as_str().unwrap().to_owned();
        call(&server, &management, "POST", &format!("/api/users/{user}/roles"), json!({"roleIds": [ids[0]]})).await;
        let (_, found) = call(&server, &management, "GET", &format!("/api/roles?type=User&excludeUserId={user}"), Value::Null).await;
        assert!(!names(&found).contains(&"Editors".to_owned()) && names(&found).contains(&"Auditors".to_owned()));
        let (status, body) = call(&server, &management, "GET", "/api/roles?type=Robot", Value::Null).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));

        server.app(identity::applications::AppType::Spa, "web").await;
        server.app(identity::applications::AppType::MachineToMachine, "job").await;
        let (_, found) = call(&server, &management, "GET", "/api/applications?types=SPA&types=Native", Value::Null).await;
        assert_eq!(found.as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect::<Vec<_>>(), vec!["web"]);
        let (_, found) = call(&server, &management, "GET", "/api/applications?types=MachineToMachine&search=job", Value::Null).await;
        assert_eq!(found.as_array().unwrap().len(), 1);
    }
}

on_both_databases! {
    // Phone numbers as admin-user.test.ts and admin-user.phone-number.test.ts expect: stored without the trunk 0 after the
    // country code, a number in either form conflicts with the other, invalid ones are 422.
    async fn phone_numbers_are_normalised_and_checked(server) {
        let management = server.management_client().await;
        let (status, user) = create(&server, &management, json!({"primaryPhone": "610412345678"})).await;
        assert_eq!(status, 200, "{user}");
        assert_eq!(user["primaryPhone"], "61412345678");
        for other_form in ["61412345678", "+61 0412 345 678"] {
            let (status, body) = create(&server, &management, json!({"primaryPhone": other_form})).await;
            assert_eq!((status, body["code"].as_str()), (422, Some("user.phone_already_in_use")), "{other_form}");
        }
        let (_, another) = create(&server, &management, json!({"username": "another"})).await;
        let (status, body) = call(&server, &management, "PATCH", &format!("/api/users/{}", another["id"].as_str().unwrap()), json!({"primaryPhone": "61412345678"})).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.phone_already_in_use")));
        let (status, updated) = call(&server, &management, "PATCH", &format!("/api/users/{}", user["id"].as_str().unwrap()), json!({"primaryPhone": "61412345678"})).await;
        assert_eq!((status, updated["primaryPhone"].as_str()), (200, Some("61412345678")), "the owner may set it in the other form");
        let (status, body) = create(&server, &management, json!({"primaryPhone": "12345"})).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.invalid_phone")));
    }
}
