//! Organizations in the Management API as Logto's tests use them
//! (`packages/integration-tests/src/tests/api/organization/`): the template — organization
//! scopes (`organization-scope.test.ts`) and roles (`organization-role.test.ts`) —,
//! organizations (`organization.test.ts`), their members (`organization-user.test.ts`) and
//! the members' roles (`organization-user.roles.test.ts`).

mod common;

use serde_json::{json, Value};

/// GET with the `Total-Number` header.
async fn list(server: &common::TestServer, management: &reqwest::Client, path: &str) -> (u16, Option<i64>, Value) {
    let response = management.get(server.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let total = response.headers().get("total-number").map(|v| v.to_str().unwrap().parse().unwrap());
    (status, total, response.json().await.unwrap())
}

fn code(body: &Value) -> Option<&str> {
    body["code"].as_str()
}

on_both_databases! {
    async fn organization_scopes_are_named_uniquely(server) {
        let m = server.management_client().await;
        let (status, read) = server.call(&m, "POST", "/api/organization-scopes", Some(json!({"name": "read:members", "description": "See the members"}))).await;
        assert_eq!(status, 201, "{read}");
        let (status, body) = server.call(&m, "POST", "/api/organization-scopes", Some(json!({"name": "read:members"}))).await;
        assert_eq!((status, code(&body)), (422, Some("entity.unique_integrity_violation")));
        for n in 0..25 {
            server.call(&m, "POST", "/api/organization-scopes", Some(json!({"name": format!("scope:{n:02}")}))).await;
        }
        let (status, total, first) = list(&server, &m, "/api/organization-scopes").await;
        assert_eq!((status, total, first.as_array().unwrap().len()), (200, Some(26), 20), "paginated by 20");
        let (_, _, second) = list(&server, &m, "/api/organization-scopes?page=2&page_size=10").await;
        assert_eq!(second[0], first[10]);
        let (_, _, found) = list(&server, &m, "/api/organization-scopes?q=members").await;
        assert_eq!(found, json!([read]));
        assert!(first.as_array().unwrap().iter().any(|s| s["description"].is_null()), "no description is null");

        let id = read["id"].as_str().unwrap();
        assert_eq!(server.call(&m, "GET", &format!("/api/organization-scopes/{id}"), None).await.1, read);
        let (status, body) = server.call(&m, "GET", "/api/organization-scopes/0", None).await;
        assert_eq!((status, code(&body)), (404, Some("entity.not_exists_with_id")));
        let (status, changed) = server.call(&m, "PATCH", &format!("/api/organization-scopes/{id}"), Some(json!({"name": "read:people", "description": null}))).await;
        assert_eq!((status, &changed["name"], &changed["description"]), (200, &json!("read:people"), &Value::Null));
        let (status, body) = server.call(&m, "PATCH", &format!("/api/organization-scopes/{id}"), Some(json!({"name": "scope:00"}))).await;
        assert_eq!((status, code(&body)), (422, Some("entity.unique_integrity_violation")));
        let (status, body) = server.call(&m, "PATCH", "/api/organization-scopes/0", Some(json!({"name": "x"}))).await;
        assert_eq!((status, code(&body)), (404, Some("entity.not_exists")));
        assert_eq!(server.call(&m, "DELETE", &format!("/api/organization-scopes/{id}"), None).await.0, 204);
        let (status, body) = server.call(&m, "DELETE", &format!("/api/organization-scopes/{id}"), None).await;
        assert_eq!((status, code(&body)), (404, Some("entity.not_found")));
        let (status, _) = server.call(&m, "POST", "/api/organization-scopes", Some(json!({"name": ""}))).await;
        assert_eq!(status, 400);
    }

    async fn organization_roles_grant_organization_and_api_scopes(server) {
        let m = server.management_client().await;
        let (_, scope) = server.call(&m, "POST", "/api/organization-scopes", Some(json!({"name": "manage:members"}))).await;
        let (_, resource) = server.call(&m, "POST", "/api/resources", Some(json!({"name": "Billing", "indicator": "https://billing.example.com"}))).await;
        let (_, api_scope) = server.call(&m, "POST", &format!("/api/resources/{}/scopes", resource["id"].as_str().unwrap()), Some(json!({"name": "read:invoices"}))).await;

        // Atomic: an unknown scope creates nothing.
        let (status, body) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "admin", "organizationScopeIds": [scope["id"], "unknown"]}))).await;
        assert_eq!((status, code(&body)), (422, Some("entity.relation_foreign_key_not_found")));
        assert_eq!(list(&server, &m, "/api/organization-roles").await.1, Some(0), "no role was left behind");
        let (status, admin) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "admin", "description": "Runs the place", "organizationScopeIds": [scope["id"]], "resourceScopeIds": [api_scope["id"]]}))).await;
        assert_eq!((status, &admin["type"]), (201, &json!("User")), "{admin}");
        assert!(admin.get("scopes").is_none(), "the create answer is the plain role");
        let (status, body) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "admin"}))).await;
        assert_eq!((status, code(&body)), (422, Some("entity.unique_integrity_violation")));
        let (status, _) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "bot", "type": "Robot"}))).await;
        assert_eq!(status, 400);

        let id = admin["id"].as_str().unwrap().to_owned();
        assert_eq!(server.call(&m, "GET", &format!("/api/organization-roles/{id}"), None).await.1, admin);
        let (status, body) = server.call(&m, "GET", "/api/organization-roles/unknown", None).await;
        assert_eq!((status, code(&body)), (404, Some("entity.not_found")));
        let (_, total, roles) = list(&server, &m, "/api/organization-roles?q=Runs").await;
        assert_eq!(total, Some(1));
        assert_eq!(roles[0]["scopes"], json!([{"id": scope["id"], "name": "manage:members"}]));
        assert_eq!(roles[0]["resourceScopes"], json!([{"id": api_scope["id"], "name": "read:invoices", "resource": {"id": resource["id"], "name": "Billing"}}]));
        assert_eq!(list(&server, &m, &format!("/api/organization-roles/{id}/scopes")).await.2[0]["name"], "manage:members");
        assert_eq!(list(&server, &m, &format!("/api/organization-roles/{id}/resource-scopes")).await.2[0]["name"], "read:invoices");

        // The scope relations: add (again is fine), unknown 422, replace, remove, remove again 404.
        let (_, other) = server.call(&m, "POST", "/api/organization-scopes", Some(json!({"name": "read:members"}))).await;
        let scopes = format!("/api/organization-roles/{id}/scopes");
        assert_eq!(server.call(&m, "POST", &scopes, Some(json!({"organizationScopeIds": [scope["id"], other["id"]]}))).await.0, 201);
        assert_eq!(list(&server, &m, &scopes).await.1, Some(2));
        let (status, body) = server.call(&m, "POST", &scopes, Some(json!({"organizationScopeIds": ["unknown"]}))).await;
        assert_eq!((status, code(&body)), (422, Some("entity.relation_foreign_key_not_found")));
        assert_eq!(server.call(&m, "POST", &scopes, Some(json!({"organizationScopeIds": []}))).await.0, 400);
        assert_eq!(server.call(&m, "PUT", &scopes, Some(json!({"organizationScopeIds": [other["id"]]}))).await.0, 204);
        assert_eq!(list(&server, &m, &scopes).await.2.as_array().unwrap().iter().map(|s| s["name"].clone()).collect::<Vec<_>>(), vec![json!("read:members")]);
        assert_eq!(server.call(&m, "DELETE", &format!("{scopes}/{}", other["id"].as_str().unwrap()), None).await.0, 204);
        let (status, body) = server.call(&m, "DELETE", &format!("{scopes}/{}", other["id"].as_str().unwrap()), None).await;
        assert_eq!((status, code(&body)), (404, Some("entity.not_found")));
        let resource_scopes = format!("/api/organization-roles/{id}/resource-scopes");
        let (status, body) = server.call(&m, "POST", &resource_scopes, Some(json!({"scopeIds": ["unknown"]}))).await;
        assert_eq!((status, code(&body)), (422, Some("entity.relation_foreign_key_not_found")));
        assert_eq!(server.call(&m, "PUT", &resource_scopes, Some(json!({"scopeIds": []}))).await.0, 204);
        assert_eq!(list(&server, &m, &resource_scopes).await.1, Some(0));

        let (status, renamed) = server.call(&m, "PATCH", &format!("/api/organization-roles/{id}"), Some(json!({"name": "owner", "type": "MachineToMachine"}))).await;
        assert_eq!((status, &renamed["name"], &renamed["type"]), (200, &json!("owner"), &json!("MachineToMachine")));
        assert_eq!(server.call(&m, "DELETE", &format!("/api/organization-roles/{id}"), None).await.0, 204);
        assert_eq!(server.call(&m, "DELETE", &format!("/api/organization-roles/{id}"), None).await.0, 404);
    }

    async fn organizations_are_created_listed_changed_and_deleted(server) {
        let m = server.management_client().await;
        let (status, created) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Acme", "customData": {"plan": "pro"}, "tenantId": "default"}))).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!((&created["description"], &created["isMfaRequired"], &created["branding"], &created["customData"]), (&Value::Null, &json!(false), &json!({}), &json!({"plan": "pro"})));
        assert_eq!(created["id"].as_str().unwrap().len(), 12);
        let (status, _) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Bad", "customData": "b"}))).await;
        assert_eq!(status, 400);
        let (status, _) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Bad", "branding": {"logoUrl": "javascript:alert(1)"}}))).await;
        assert_eq!(status, 400);
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(server.call(&m, "GET", &format!("/api/organizations/{id}"), None).await.1, created);
        let (_, _, listed) = list(&server, &m, "/api/organizations").await;
        assert!(listed[0].get("usersCount").is_none(), "only with showFeatured");

        let (status, changed) = server.call(&m, "PATCH", &format!("/api/organizations/{id}"), Some(json!({"description": "Rockets", "isMfaRequired": true, "branding": {"logoUrl": "https://acme.example/logo.svg"}}))).await;
        assert_eq!(status, 200);
        assert_eq!((&changed["name"], &changed["description"], &changed["isMfaRequired"], &changed["branding"]["logoUrl"]), (&json!("Acme"), &json!("Rockets"), &json!(true), &json!("https://acme.example/logo.svg")));
        let (status, body) = server.call(&m, "PATCH", "/api/organizations/unknown", Some(json!({"name": "x"}))).await;
        assert_eq!((status, code(&body)), (404, Some("entity.not_exists")));

        // Names may repeat; the list paginates and searches by name.
        for n in 0..24 {
            server.call(&m, "POST", "/api/organizations", Some(json!({"name": format!("Org {n:02}")}))).await;
        }
        let (_, total, first) = list(&server, &m, "/api/organizations").await;
        assert_eq!((total, first.as_array().unwrap().len()), (Some(25), 20));
        let (_, _, second) = list(&server, &m, "/api/organizations?page=2&page_size=10").await;
        assert_eq!(second[0], first[10]);
        assert_eq!(list(&server, &m, "/api/organizations?q=Org%201").await.1, Some(10));

        // showFeatured: member counts and up to three members.
        let mut ids = Vec::new();
        for name in ["ada", "grace", "hedy", "emmy", "marie"] {
            ids.push(server.user(name, "Correct-Horse-9").await);
        }
        server.call(&m, "POST", &format!("/api/organizations/{id}/users"), Some(json!({"userIds": ids}))).await;
        let (_, _, featured) = list(&server, &m, "/api/organizations?showFeatured=1&q=Acme").await;
        assert_eq!((&featured[0]["usersCount"], featured[0]["featuredUsers"].as_array().unwrap().len()), (&json!(5), 3));
        let (_, _, empty) = list(&server, &m, "/api/organizations?showFeatured=true&q=Org%2000").await;
        assert_eq!((&empty[0]["usersCount"], &empty[0]["featuredUsers"]), (&json!(0), &json!([])));

        assert_eq!(server.call(&m, "DELETE", &format!("/api/organizations/{id}"), None).await.0, 204);
        let (status, body) = server.call(&m, "GET", &format!("/api/organizations/{id}"), None).await;
        assert_eq!((status, code(&body)), (404, Some("entity.not_exists_with_id")));
        let (status, body) = server.call(&m, "DELETE", &format!("/api/organizations/{id}"), None).await;
        assert_eq!((status, code(&body)), (404, Some("entity.not_found")));
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organization_members WHERE organization_id = $1").bind(&id).fetch_one(server.state.store.pool()).await.unwrap();
        assert_eq!(left, 0, "its memberships went with it");
    }

    async fn members_join_leave_and_keep_their_roles(server) {
        let m = server.management_client().await;
        let (_, org) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Acme"}))).await;
        let org = org["id"].as_str().unwrap().to_owned();
        let users_path = format!("/api/organizations/{org}/users");
        let mut ids = Vec::new();
        for n in 0..30 {
            ids.push(server.user(&format!("member{n:02}"), "Correct-Horse-9").await);
        }
        assert_eq!(server.call(&m, "POST", &users_path, Some(json!({"userIds": []}))).await.0, 400);
        let (status, body) = server.call(&m, "POST", "/api/organizations/unknown/users", Some(json!({"userIds": [ids[0]]}))).await;
        assert_eq!((status, code(&body)), (422, Some("entity.relation_foreign_key_not_found")));
        let (status, body) = server.call(&m, "POST", &users_path, Some(json!({"userIds": [ids[0], "nobody"]}))).await;
        assert_eq!((status, code(&body)), (422, Some("entity.relation_foreign_key_not_found")));
        assert_eq!(list(&server, &m, &users_path).await.1, Some(0), "all or nothing");
        let (status, echoed) = server.call(&m, "POST", &users_path, Some(json!({"userIds": [ids[0], ids[0]]}))).await;
        assert_eq!((status, echoed), (201, json!({"userIds": [ids[0], ids[0]]})), "the ids as given");
        assert_eq!(server.call(&m, "POST", &users_path, Some(json!({"userIds": ids}))).await.0, 201, "adding members again is fine");
        let (_, total, page) = list(&server, &m, &users_path).await;
        assert_eq!((total, page.as_array().unwrap().len()), (Some(30), 20));
        let mut everyone = std::collections::BTreeSet::new();
        for (page, expected) in [(1, 12), (2, 12), (3, 6)] {
            let (_, total, members) = list(&server, &m, &format!("{users_path}?page={page}&page_size=12")).await;
            assert_eq!((total, members.as_array().unwrap().len()), (Some(30), expected));
            everyone.extend(members.as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()));
        }
        assert_eq!(everyone.len(), 30, "the pages hold every member once");
        let (_, total, found) = list(&server, &m, &format!("{users_path}?q=MEMBER1&page_size=5")).await;
        assert_eq!((total, found.as_array().unwrap().len()), (Some(10), 5), "the search is counted whole, the page cut");
        let (_, total, found) = list(&server, &m, &format!("{users_path}?q=member07")).await;
        assert_eq!(total, Some(1));
        assert!(found[0].get("hasPassword").is_none());
        assert_eq!((&found[0]["username"], &found[0]["organizationRoles"]), (&json!("member07"), &json!([])));

        // Roles, shown sorted by name.
        let (_, zeta) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "zeta"}))).await;
        let (_, alpha) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "alpha"}))).await;
        let roles_of = |user: &str| format!("{users_path}/{user}/roles");
        let (status, given) = server.call(&m, "POST", &roles_of(&ids[7]), Some(json!({"organizationRoleIds": [zeta["id"]], "organizationRoleNames": ["alpha"]}))).await;
        assert_eq!((status, given), (201, json!({"organizationRoleIds": [zeta["id"], alpha["id"]]})));
        let (_, _, found) = list(&server, &m, &format!("{users_path}?q=member07")).await;
        assert_eq!(found[0]["organizationRoles"], json!([{"id": alpha["id"], "name": "alpha"}, {"id": zeta["id"], "name": "zeta"}]));

        // PUT replaces the members: those who stay keep their roles, the others leave.
        assert_eq!(server.call(&m, "PUT", &users_path, Some(json!({"userIds": [ids[7], ids[8], ids[7]]}))).await.0, 204);
        let (_, total, stayed) = list(&server, &m, &users_path).await;
        assert_eq!(total, Some(2));
        let seven = stayed.as_array().unwrap().iter().find(|u| u["id"] == ids[7].as_str()).unwrap();
        assert_eq!(seven["organizationRoles"].as_array().unwrap().len(), 2, "survivors keep their roles");
        assert_eq!(server.call(&m, "DELETE", &format!("{users_path}/{}", ids[0]), None).await.0, 404, "not a member any more");
        assert_eq!(server.call(&m, "DELETE", &format!("{users_path}/{}", ids[7]), None).await.0, 204);
        let (status, body) = server.call(&m, "GET", &roles_of(&ids[7]), None).await;
        assert_eq!((status, code(&body)), (422, Some("organization.require_membership")), "leaving took the roles along");
        let roles_left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organization_member_roles WHERE user_id = $1").bind(&ids[7]).fetch_one(server.state.store.pool()).await.unwrap();
        assert_eq!(roles_left, 0);
        assert_eq!(server.call(&m, "PUT", &users_path, Some(json!({"userIds": []}))).await.0, 204);
        assert_eq!(list(&server, &m, &users_path).await.1, Some(0));
    }

    async fn member_roles_follow_logtos_rules(server) {
        let m = server.management_client().await;
        let (_, org) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Acme"}))).await;
        let (_, other_org) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Globex"}))).await;
        let (org, other_org) = (org["id"].as_str().unwrap().to_owned(), other_org["id"].as_str().unwrap().to_owned());
        let ada = server.user("ada", "Correct-Horse-9").await;
        let grace = server.user("grace", "Correct-Horse-9").await;
        let (_, read) = server.call(&m, "POST", "/api/organization-scopes", Some(json!({"name": "read:members"}))).await;
        let (_, write) = server.call(&m, "POST", "/api/organization-scopes", Some(json!({"name": "write:members"}))).await;
        let (_, viewer) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "viewer", "organizationScopeIds": [read["id"]]}))).await;
        let (_, editor) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "editor", "organizationScopeIds": [read["id"], write["id"]]}))).await;
        let (_, robot) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "robot", "type": "MachineToMachine"}))).await;
        let roles = format!("/api/organizations/{org}/users/{ada}/roles");

        let (status, body) = server.call(&m, "POST", &roles, Some(json!({"organizationRoleIds": [viewer["id"]]}))).await;
        assert_eq!((status, code(&body)), (422, Some("organization.require_membership")), "roles need a membership first");
        server.call(&m, "POST", &format!("/api/organizations/{org}/users"), Some(json!({"userIds": [ada, grace]}))).await;
        server.call(&m, "POST", &format!("/api/organizations/{other_org}/users"), Some(json!({"userIds": [ada]}))).await;
        let (status, body) = server.call(&m, "POST", &roles, Some(json!({"organizationRoleIds": ["unknown"]}))).await;
        assert_eq!((status, code(&body)), (422, Some("entity.relation_foreign_key_not_found")));
        let (status, body) = server.call(&m, "POST", &roles, Some(json!({"organizationRoleIds": [robot["id"]]}))).await;
        assert_eq!((status, code(&body)), (422, Some("entity.db_constraint_violated")), "machine roles are for applications");
        let (status, body) = server.call(&m, "POST", &roles, Some(json!({"organizationRoleNames": ["viewer", "nobody"]}))).await;
        assert_eq!((status, code(&body)), (422, Some("organization.role_names_not_found")));
        assert!(body["message"].as_str().unwrap().contains("nobody"));
        assert_eq!(server.call(&m, "POST", &roles, Some(json!({"organizationRoleIds": [viewer["id"]]}))).await.0, 201);
        assert_eq!(server.call(&m, "POST", &roles, Some(json!({"organizationRoleIds": [viewer["id"]]}))).await.0, 201, "again is fine");
        let (_, _, held) = list(&server, &m, &roles).await;
        assert_eq!(held.as_array().unwrap().iter().map(|r| r["name"].clone()).collect::<Vec<_>>(), vec![json!("viewer")]);
        let (_, total, _) = list(&server, &m, &format!("{roles}?page=1&page_size=10")).await;
        assert_eq!(total, Some(1), "paginated when asked");
        assert_eq!(list(&server, &m, &roles).await.1, None, "otherwise not");

        // Scopes: the union of the roles', each once; they follow role changes.
        let scopes = format!("/api/organizations/{org}/users/{ada}/scopes");
        assert_eq!(server.call(&m, "GET", &scopes, None).await.1.as_array().unwrap().len(), 1);
        assert_eq!(server.call(&m, "PUT", &roles, Some(json!({"organizationRoleNames": ["editor", "viewer"]}))).await.0, 204);
        let names: Vec<Value> = server.call(&m, "GET", &scopes, None).await.1.as_array().unwrap().iter().map(|s| s["name"].clone()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        let (status, body) = server.call(&m, "PUT", &roles, Some(json!({"organizationRoleNames": ["ghost"]}))).await;
        assert_eq!((status, code(&body)), (422, Some("organization.role_names_not_found")));

        // Several members at once; removing one role; unknown ones.
        assert_eq!(server.call(&m, "POST", &format!("/api/organizations/{org}/users/roles"), Some(json!({"userIds": [ada, grace], "organizationRoleIds": [viewer["id"]]}))).await.0, 201);
        let (status, body) = server.call(&m, "POST", &format!("/api/organizations/{org}/users/roles"), Some(json!({"userIds": ["nobody"], "organizationRoleIds": [viewer["id"]]}))).await;
        assert_eq!((status, code(&body)), (422, Some("entity.relation_foreign_key_not_found")));
        assert_eq!(server.call(&m, "DELETE", &format!("{roles}/{}", editor["id"].as_str().unwrap()), None).await.0, 204);
        let (status, body) = server.call(&m, "DELETE", &format!("{roles}/{}", editor["id"].as_str().unwrap()), None).await;
        assert_eq!((status, code(&body)), (404, Some("entity.not_found")));
        let (status, body) = server.call(&m, "DELETE", &format!("/api/organizations/{org}/users/nobody/roles/{}", viewer["id"].as_str().unwrap()), None).await;
        assert_eq!((status, code(&body)), (422, Some("organization.require_membership")));

        // A user's organizations, with their roles in each.
        let (status, mine) = server.call(&m, "GET", &format!("/api/users/{ada}/organizations"), None).await;
        assert_eq!(status, 200);
        let acme = mine.as_array().unwrap().iter().find(|o| o["id"] == org.as_str()).unwrap();
        let globex = mine.as_array().unwrap().iter().find(|o| o["id"] == other_org.as_str()).unwrap();
        assert_eq!(acme["organizationRoles"], json!([{"id": viewer["id"], "name": "viewer"}]));
        assert_eq!(globex["organizationRoles"], json!([]));
        let (status, _) = server.call(&m, "GET", "/api/users/nobody/organizations", None).await;
        assert_eq!(status, 404);

        // Deleting a user takes their memberships and roles along.
        assert_eq!(server.call(&m, "DELETE", &format!("/api/users/{ada}"), None).await.0, 204);
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organization_members WHERE user_id = $1").bind(&ada).fetch_one(server.state.store.pool()).await.unwrap();
        assert_eq!(left, 0);
    }
}

on_both_databases! {
    // Spec §2 "Claims" and §13: the organization scopes put the user's organizations and
    // roles in the ID token (enabled by default, as for Logto's new tenants) and userinfo.
    async fn organization_claims_name_the_users_organizations_and_roles(server) {
        let m = server.management_client().await;
        server.app(identity::applications::AppType::Spa, "spa").await;
        let ada = server.user("ada", "Correct-Horse-9").await;
        let (_, acme) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Acme", "description": "Rockets"}))).await;
        let (_, globex) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Globex"}))).await;
        server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "admin"}))).await;
        for org in [&acme, &globex] {
            server.call(&m, "POST", &format!("/api/organizations/{}/users", org["id"].as_str().unwrap()), Some(json!({"userIds": [ada]}))).await;
            server.clock.advance_ms(1000);
        }
        server.call(&m, "POST", &format!("/api/organizations/{}/users/{ada}/roles", acme["id"].as_str().unwrap()), Some(json!({"organizationRoleNames": ["admin"]}))).await;

        let (_, discovery) = server.call(&server.http, "GET", "/oidc/.well-known/openid-configuration", None).await;
        assert!(discovery["scopes_supported"].as_array().unwrap().contains(&json!("urn:logto:scope:organizations")));
        assert!(discovery["claims_supported"].as_array().unwrap().contains(&json!("organization_roles")));

        let scope = "openid urn:logto:scope:organizations urn:logto:scope:organization_roles";
        let code = server.authorize(&server.browser(), "spa", "ada", "Correct-Horse-9", &[("scope", scope)]).await;
        let tokens = server.exchange_code("spa", &code).await;
        let claims = server.verify_jwt(tokens["id_token"].as_str().unwrap(), "spa").await;
        let (acme_id, globex_id) = (acme["id"].as_str().unwrap(), globex["id"].as_str().unwrap());
        assert_eq!(claims["organizations"], json!([acme_id, globex_id]), "{claims}");
        assert_eq!(claims["organization_data"], json!([{"id": acme_id, "name": "Acme", "description": "Rockets"}, {"id": globex_id, "name": "Globex", "description": null}]));
        assert_eq!(claims["organization_roles"], json!([format!("{acme_id}:admin")]));
        let me: Value = server.http.get(server.url("/oidc/me")).bearer_auth(tokens["access_token"].as_str().unwrap()).send().await.unwrap().json().await.unwrap();
        assert_eq!((&me["organizations"], &me["organization_roles"]), (&claims["organizations"], &claims["organization_roles"]));

        // Without the scopes, no organization claims; turned off for ID tokens, userinfo still has them.
        let code = server.authorize(&server.browser(), "spa", "ada", "Correct-Horse-9", &[("scope", "openid")]).await;
        let plain = server.verify_jwt(server.exchange_code("spa", &code).await["id_token"].as_str().unwrap(), "spa").await;
        assert!(plain.get("organizations").is_none() && plain.get("organization_roles").is_none());
        server.call(&m, "PUT", "/api/configs/id-token", Some(json!({"enabledExtendedClaims": ["roles"]}))).await;
        let code = server.authorize(&server.browser(), "spa", "ada", "Correct-Horse-9", &[("scope", scope)]).await;
        let tokens = server.exchange_code("spa", &code).await;
        assert!(server.verify_jwt(tokens["id_token"].as_str().unwrap(), "spa").await.get("organizations").is_none());
        let me: Value = server.http.get(server.url("/oidc/me")).bearer_auth(tokens["access_token"].as_str().unwrap()).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["organizations"], json!([acme_id, globex_id]));
    }
}

/// Registers `address` through the Experience API with a code sent over SMTP; answers the
/// new account's id.
async fn register_by_email(server: &common::TestServer, smtp: &common::smtp::SmtpServer, address: &str) -> String {
    let browser = server.browser_in_interaction().await;
    server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await;
    let identifier = json!({"type": "email", "value": address});
    let (status, sent) = server.call(&browser, "POST", "/api/experience/verification/verification-code", Some(json!({"identifier": identifier, "interactionEvent": "Register"}))).await;
    assert_eq!(status, 200, "{sent}");
    let code = smtp.last_to(address).await.code();
    let id = sent["verificationId"].clone();
    let (status, body) = server.call(&browser, "POST", "/api/experience/verification/verification-code/verify", Some(json!({"identifier": identifier, "verificationId": id, "code": code}))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await;
    assert_eq!(status, 201, "{body}");
    identity::users::find_by_email(&server.state.store, address).await.unwrap().expect("registered").id
}

on_both_databases! {
    // As Logto's organization-jit.test.ts and organization-email-domains.test.ts, then the
    // provisioning itself: registering with a verified address at the domain joins.
    async fn people_registering_at_an_organizations_domain_join_it(server) {
        let m = server.management_client().await;
        let smtp = server.mail_server().await;
        server.sign_in_experience(json!({"signUp": {"identifiers": ["email"], "password": false, "verify": true},
            "signIn": {"methods": [{"identifier": "email", "password": false, "verificationCode": true, "isPasswordPrimary": false}]}})).await;
        let (_, org) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Acme"}))).await;
        let org = org["id"].as_str().unwrap().to_owned();
        let domains = format!("/api/organizations/{org}/jit/email-domains");
        let (status, added) = server.call(&m, "POST", &domains, Some(json!({"emailDomain": "Acme.example"}))).await;
        assert_eq!((status, added), (201, json!({"organizationId": org, "emailDomain": "acme.example"})));
        let (status, body) = server.call(&m, "POST", &domains, Some(json!({"emailDomain": "acme.example"}))).await;
        assert_eq!((status, code(&body)), (422, Some("entity.unique_integrity_violation")));
        assert_eq!(server.call(&m, "POST", &domains, Some(json!({"emailDomain": "not a domain"}))).await.0, 400);
        assert_eq!(server.call(&m, "DELETE", &format!("{domains}/nowhere.example"), None).await.0, 404);
        let many: Vec<String> = (0..30).map(|n| format!("d{n:02}.example")).collect();
        assert_eq!(server.call(&m, "PUT", &domains, Some(json!({"emailDomains": many}))).await.0, 204);
        let (_, total, first) = list(&server, &m, &domains).await;
        let (_, _, second) = list(&server, &m, &format!("{domains}?page=2")).await;
        assert_eq!((total, first.as_array().unwrap().len(), second.as_array().unwrap().len()), (Some(30), 20, 10));
        assert_eq!((&first[0]["emailDomain"], &second[9]["emailDomain"]), (&json!("d00.example"), &json!("d29.example")), "in the order given");
        server.call(&m, "PUT", &domains, Some(json!({"emailDomains": ["acme.example"]}))).await;
        assert_eq!(server.call(&m, "GET", "/api/organizations/unknown/jit/email-domains", None).await.1, json!([]));

        let roles = format!("/api/organizations/{org}/jit/roles");
        let (_, member) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "member"}))).await;
        let (_, viewer) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "viewer"}))).await;
        let (status, body) = server.call(&m, "POST", &roles, Some(json!({"organizationRoleIds": ["unknown"]}))).await;
        assert_eq!((status, code(&body)), (422, Some("entity.relation_foreign_key_not_found")));
        assert_eq!(server.call(&m, "POST", &roles, Some(json!({"organizationRoleIds": [member["id"]]}))).await.0, 201);
        assert_eq!(server.call(&m, "POST", &roles, Some(json!({"organizationRoleIds": [member["id"], viewer["id"]]}))).await.0, 201, "those already there stay");
        assert_eq!(server.call(&m, "GET", &roles, None).await.1.as_array().unwrap().len(), 2);
        assert_eq!(server.call(&m, "DELETE", &format!("{roles}/{}", viewer["id"].as_str().unwrap()), None).await.0, 204);
        assert_eq!(server.call(&m, "DELETE", &format!("{roles}/{}", viewer["id"].as_str().unwrap()), None).await.0, 404);
        assert_eq!(server.call(&m, "GET", &roles, None).await.1, json!([member]));

        // Registering at the domain (whatever the case) joins with the JIT role; elsewhere not.
        let joined = register_by_email(&server, &smtp, "Wile.E@ACME.example").await;
        let (_, memberships) = server.call(&m, "GET", &format!("/api/users/{joined}/organizations"), None).await;
        assert_eq!((memberships.as_array().unwrap().len(), &memberships[0]["id"], &memberships[0]["organizationRoles"][0]["name"]), (1, &json!(org), &json!("member")), "{memberships}");
        let outsider = register_by_email(&server, &smtp, "road.runner@desert.example").await;
        assert_eq!(server.call(&m, "GET", &format!("/api/users/{outsider}/organizations"), None).await.1, json!([]));
        // Accounts made by the Management API are not provisioned.
        let (_, made) = server.call(&m, "POST", "/api/users", Some(json!({"primaryEmail": "coyote@acme.example"}))).await;
        assert_eq!(server.call(&m, "GET", &format!("/api/users/{}/organizations", made["id"].as_str().unwrap()), None).await.1, json!([]));
    }
}
