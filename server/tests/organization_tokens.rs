//! Organization tokens on the token endpoint (spec §13), as Logto's
//! `oidc/organization-token-grant.test.ts`, `oidc/organization-token.test.ts` and
//! `oidc/organization-api-resource.test.ts` expect: a refresh token plus `organization_id`
//! (with `grant_type=refresh_token`, or Logto's `urn:logto:grant-type:organization_token`)
//! gives a JWT for `urn:logto:organization:<id>` carrying the organization scopes the user's
//! roles there grant — within what the refresh token allows — or, with `resource`, a token
//! for that API with `organization_id`.

mod common;

use identity::applications::AppType;
use serde_json::{json, Value};

const PASSWORD: &str = "Correct-Horse-9";
const ORGANIZATION_TOKEN: &str = "urn:logto:grant-type:organization_token";

/// Signs `ada` in to `spa` with `scope` (plus `offline_access`), the organizations resource
/// unless `without_resource`; answers the refresh token.
async fn refresh_token(server: &common::TestServer, scope: &str, resources: &[&str]) -> String {
    let scope = format!("openid offline_access {scope}");
    let mut extra = vec![("scope", scope.as_str()), ("prompt", "consent")];
    extra.extend(resources.iter().map(|r| ("resource", *r)));
    let code = server.authorize(&server.browser(), "spa", "ada", PASSWORD, &extra).await;
    server.exchange_code("spa", &code).await["refresh_token"].as_str().expect("a refresh token").to_owned()
}

/// One organization-token request; the refresh token rotates, so the new one is kept.
async fn organization_token(server: &common::TestServer, refresh: &mut String, grant_type: &str, organization: Option<&str>, resource: Option<&str>) -> (u16, Value) {
    let mut form = vec![("grant_type", grant_type.to_owned()), ("client_id", "spa".to_owned()), ("refresh_token", refresh.clone())];
    if let Some(organization) = organization {
        form.push(("organization_id", organization.to_owned()));
    }
    if let Some(resource) = resource {
        form.push(("resource", resource.to_owned()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = server.token(&form).await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    if let Some(next) = body["refresh_token"].as_str() {
        *refresh = next.to_owned();
    }
    (status, body)
}

fn sorted_scopes(body: &Value) -> Vec<String> {
    let mut scopes: Vec<String> = body["scope"].as_str().unwrap_or_default().split_whitespace().map(str::to_owned).collect();
    scopes.sort();
    scopes
}

on_both_databases! {
    async fn organization_tokens_carry_the_scopes_of_the_users_roles_there(server) {
        let m = server.management_client().await;
        server.app(AppType::Spa, "spa").await;
        let ada = server.user("ada", PASSWORD).await;
        let mut orgs = Vec::new();
        for name in ["org1", "org2", "org3", "org4"] {
            orgs.push(server.call(&m, "POST", "/api/organizations", Some(json!({"name": name}))).await.1["id"].as_str().unwrap().to_owned());
        }
        for org in &orgs[..3] {
            server.call(&m, "POST", &format!("/api/organizations/{org}/users"), Some(json!({"userIds": [ada]}))).await;
        }
        let mut scope_ids = Vec::new();
        for name in ["scope1", "scope2", "scope3"] {
            scope_ids.push(server.call(&m, "POST", "/api/organization-scopes", Some(json!({"name": name}))).await.1["id"].clone());
        }
        let role = |name: &'static str, scopes: Vec<Value>| {
            let (server, m) = (&server, &m);
            async move { server.call(m, "POST", "/api/organization-roles", Some(json!({"name": name, "organizationScopeIds": scopes}))).await.1["id"].clone() }
        };
        let role1 = role("role1", vec![scope_ids[0].clone(), scope_ids[1].clone()]).await;
        let role2 = role("role2", vec![scope_ids[1].clone(), scope_ids[2].clone()]).await;
        role("role4", vec![]).await;
        for (org, roles) in [(&orgs[0], vec!["role1"]), (&orgs[1], vec!["role1", "role2"]), (&orgs[2], vec!["role4"])] {
            server.call(&m, "POST", &format!("/api/organizations/{org}/users/{ada}/roles"), Some(json!({"organizationRoleNames": roles}))).await;
        }

        let organizations = "urn:logto:resource:organizations";
        let mut refresh = refresh_token(&server, "urn:logto:scope:organizations scope1 scope2 scope3", &[organizations]).await;
        for (org, expected) in [(&orgs[0], vec!["scope1", "scope2"]), (&orgs[1], vec!["scope1", "scope2", "scope3"]), (&orgs[2], vec![])] {
            let (status, body) = organization_token(&server, &mut refresh, "refresh_token", Some(org), None).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(sorted_scopes(&body), expected, "{org}");
            assert_eq!((&body["expires_in"], &body["token_type"]), (&json!(3600), &json!("Bearer")));
            assert!(body.get("id_token").is_none() && body["refresh_token"].is_string());
            let claims = server.verify_jwt(body["access_token"].as_str().unwrap(), &format!("urn:logto:organization:{org}")).await;
            assert_eq!((&claims["sub"], &claims["client_id"], &claims["iss"]), (&json!(ada), &json!("spa"), &json!(server.issuer())));
            assert!(claims["jti"].is_string());
        }
        // Logto's earlier grant type answers the same; it needs organization_id.
        let (status, body) = organization_token(&server, &mut refresh, ORGANIZATION_TOKEN, Some(&orgs[0]), None).await;
        assert_eq!((status, sorted_scopes(&body)), (200, vec!["scope1".to_owned(), "scope2".to_owned()]));
        let (status, body) = organization_token(&server, &mut refresh, ORGANIZATION_TOKEN, None, None).await;
        assert_eq!((status, body["code"].as_str(), body["error_description"].as_str()), (400, Some("oidc.invalid_request"), Some("missing required parameter 'organization_id'")));

        // Not a member (or no such organization): access denied, until they join.
        for org in [orgs[3].as_str(), "1"] {
            let (status, body) = organization_token(&server, &mut refresh, "refresh_token", Some(org), None).await;
            assert_eq!((status, body["code"].as_str(), body["error_description"].as_str()), (400, Some("oidc.access_denied"), Some("user is not a member of the organization")));
        }
        server.call(&m, "POST", &format!("/api/organizations/{}/users", orgs[3]), Some(json!({"userIds": [ada]}))).await;
        assert_eq!(organization_token(&server, &mut refresh, "refresh_token", Some(&orgs[3]), None).await.0, 200);

        // Roles change: the next token follows.
        server.call(&m, "DELETE", &format!("/api/organizations/{}/users/{ada}/roles/{}", orgs[1], role1.as_str().unwrap()), None).await;
        server.call(&m, "DELETE", &format!("/api/organizations/{}/users/{ada}/roles/{}", orgs[1], role2.as_str().unwrap()), None).await;
        assert_eq!(sorted_scopes(&organization_token(&server, &mut refresh, "refresh_token", Some(&orgs[1]), None).await.1), Vec::<String>::new());

        // Down-scoped by the refresh token; no organization scopes without the resource.
        let mut narrow = refresh_token(&server, "urn:logto:scope:organizations scope1", &[organizations]).await;
        assert_eq!(sorted_scopes(&organization_token(&server, &mut narrow, "refresh_token", Some(&orgs[0]), None).await.1), vec!["scope1".to_owned()]);
        let mut unresourced = refresh_token(&server, "urn:logto:scope:organizations scope1 scope2", &[]).await;
        assert_eq!(sorted_scopes(&organization_token(&server, &mut unresourced, "refresh_token", Some(&orgs[0]), None).await.1), Vec::<String>::new());
        // Without the organizations scope: insufficient scope (403).
        let mut plain = refresh_token(&server, "", &[organizations]).await;
        let (status, body) = organization_token(&server, &mut plain, "refresh_token", Some(&orgs[0]), None).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("oidc.insufficient_scope")));

        // MFA required by the organization: only once the user has a factor.
        server.call(&m, "PATCH", &format!("/api/organizations/{}", orgs[0]), Some(json!({"isMfaRequired": true}))).await;
        let (status, body) = organization_token(&server, &mut refresh, "refresh_token", Some(&orgs[0]), None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("oidc.access_denied")));
        identity::mfa::add_totp(&server.state.store, &server.clock, &server.state.provider.at_rest, &ada, None).await.unwrap();
        assert_eq!(organization_token(&server, &mut refresh, "refresh_token", Some(&orgs[0]), None).await.0, 200);
    }

    async fn organization_api_resource_tokens_carry_the_organization(server) {
        let m = server.management_client().await;
        server.app(AppType::Spa, "spa").await;
        let ada = server.user("ada", PASSWORD).await;
        let (_, resource) = server.call(&m, "POST", "/api/resources", Some(json!({"name": "Billing", "indicator": "https://billing.example.com"}))).await;
        let resource_id = resource["id"].as_str().unwrap();
        let (_, read) = server.call(&m, "POST", &format!("/api/resources/{resource_id}/scopes"), Some(json!({"name": "read:invoices"}))).await;
        server.call(&m, "POST", &format!("/api/resources/{resource_id}/scopes"), Some(json!({"name": "pay:invoices"}))).await;
        let (_, org) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Acme"}))).await;
        let org = org["id"].as_str().unwrap().to_owned();
        server.call(&m, "POST", &format!("/api/organizations/{org}/users"), Some(json!({"userIds": [ada]}))).await;
        server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "accountant", "resourceScopeIds": [read["id"]]}))).await;
        server.call(&m, "POST", &format!("/api/organizations/{org}/users/{ada}/roles"), Some(json!({"organizationRoleNames": ["accountant"]}))).await;

        let mut refresh = refresh_token(&server, "urn:logto:scope:organizations read:invoices pay:invoices", &["https://billing.example.com"]).await;
        let (status, body) = organization_token(&server, &mut refresh, "refresh_token", Some(&org), Some("https://billing.example.com")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(sorted_scopes(&body), vec!["read:invoices".to_owned()], "only what the organization role grants");
        let claims = server.verify_jwt(body["access_token"].as_str().unwrap(), "https://billing.example.com").await;
        assert_eq!((&claims["organization_id"], &claims["scope"]), (&json!(org), &json!("read:invoices")));
        let (status, body) = organization_token(&server, &mut refresh, "refresh_token", Some(&org), Some("https://other.example.com")).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("oidc.invalid_target")));
    }
}

on_both_databases! {
    // As Logto's organization/organization-application.test.ts and the organization part of
    // oidc/client-credentials-grant.test.ts.
    async fn machine_applications_get_tokens_for_their_organizations(server) {
        let m = server.management_client().await;
        let (app, secret) = server.app(AppType::MachineToMachine, "robot").await;
        let secret = secret.unwrap();
        server.app(AppType::Native, "native").await;
        let (_, org) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Acme"}))).await;
        let org = org["id"].as_str().unwrap().to_owned();
        let apps = format!("/api/organizations/{org}/applications");
        let credentials = |extra: Vec<(&'static str, String)>| {
            let (server, app, secret) = (&server, app.clone(), secret.clone());
            async move {
                let mut form = vec![("grant_type", "client_credentials".to_owned())];
                form.extend(extra);
                let response = server.http.post(server.url("/oidc/token")).basic_auth(app, Some(secret)).form(&form).send().await.unwrap();
                (response.status().as_u16(), response.json::<Value>().await.unwrap())
            }
        };

        let (status, body) = credentials(vec![]).await;
        assert_eq!((status, body["error_description"].as_str()), (400, Some("both `resource` and `organization_id` are not provided")));
        let (status, body) = credentials(vec![("organization_id", org.clone())]).await;
        assert_eq!((status, body["error"].as_str(), body["error_description"].as_str()), (403, Some("access_denied"), Some("app has not associated with the organization")));

        assert_eq!(server.call(&m, "POST", &apps, Some(json!({"applicationIds": []}))).await.0, 400);
        let (status, body) = server.call(&m, "POST", "/api/organizations/0/applications", Some(json!({"applicationIds": [app]}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("entity.relation_foreign_key_not_found")));
        assert_eq!(server.call(&m, "POST", &apps, Some(json!({"applicationIds": ["native"]}))).await.0, 422, "only machine-to-machine applications");
        assert_eq!(server.call(&m, "POST", &apps, Some(json!({"applicationIds": [app]}))).await.0, 201);
        let (status, listed) = server.call(&m, "GET", &apps, None).await;
        assert_eq!((status, &listed[0]["id"], &listed[0]["organizationRoles"]), (200, &json!(app), &json!([])));

        // An organization token with no roles: scope "" (said, even empty).
        let (status, body) = credentials(vec![("organization_id", org.clone())]).await;
        assert_eq!((status, &body["scope"]), (200, &json!("")), "{body}");
        let claims = server.verify_jwt(body["access_token"].as_str().unwrap(), &format!("urn:logto:organization:{org}")).await;
        assert_eq!((&claims["sub"], &claims["scope"]), (&json!(app), &json!("")));

        // Roles: machine-to-machine only; their scopes come along, only as requested.
        let (_, scope) = server.call(&m, "POST", "/api/organization-scopes", Some(json!({"name": "read:reports"}))).await;
        let (_, resource) = server.call(&m, "POST", "/api/resources", Some(json!({"name": "Reports", "indicator": "https://reports.example.com"}))).await;
        let resource_id = resource["id"].as_str().unwrap();
        let (_, export) = server.call(&m, "POST", &format!("/api/resources/{resource_id}/scopes"), Some(json!({"name": "export"}))).await;
        let (_, audit) = server.call(&m, "POST", &format!("/api/resources/{resource_id}/scopes"), Some(json!({"name": "audit"}))).await;
        server.call(&m, "POST", &format!("/api/resources/{resource_id}/scopes"), Some(json!({"name": "delete"}))).await;
        let (_, robot) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "robot", "type": "MachineToMachine", "organizationScopeIds": [scope["id"]], "resourceScopeIds": [export["id"], audit["id"]]}))).await;
        let (_, person) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "person"}))).await;
        let roles = format!("{apps}/{app}/roles");
        let (status, body) = server.call(&m, "POST", &roles, Some(json!({"organizationRoleIds": [person["id"]]}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("entity.db_constraint_violated")));
        assert_eq!(server.call(&m, "POST", &roles, Some(json!({"organizationRoleIds": ["0"]}))).await.0, 422);
        assert_eq!(server.call(&m, "POST", &roles, Some(json!({"organizationRoleIds": [robot["id"]]}))).await.0, 201);
        assert_eq!(server.call(&m, "GET", &roles, None).await.1, json!([robot]));
        assert_eq!(server.call(&m, "DELETE", "/api/organizations/0/applications/0/roles/0", None).await.0, 422);

        let (_, body) = credentials(vec![("organization_id", org.clone()), ("scope", "read:reports unknown".into())]).await;
        assert_eq!(body["scope"], "read:reports");
        let (_, body) = credentials(vec![("organization_id", org.clone()), ("resource", "https://reports.example.com".into()), ("scope", "export audit delete other".into())]).await;
        assert_eq!(body["scope"], "export audit", "in the order requested: {body}");
        let claims = server.verify_jwt(body["access_token"].as_str().unwrap(), "https://reports.example.com").await;
        assert_eq!((&claims["organization_id"], &claims["scope"]), (&json!(org), &json!("export audit")));

        // Leaving the organization takes the roles, and the tokens, along.
        assert_eq!(server.call(&m, "DELETE", &format!("{apps}/{app}"), None).await.0, 204);
        assert_eq!(server.call(&m, "DELETE", &format!("{apps}/{app}"), None).await.0, 404);
        assert_eq!(credentials(vec![("organization_id", org.clone())]).await.0, 403);
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organization_application_roles WHERE application_id = $1").bind(&app).fetch_one(server.state.store.pool()).await.unwrap();
        assert_eq!(left, 0);
    }
}
