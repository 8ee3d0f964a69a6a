//! Third-party applications ask the user's consent (spec §9; Logto's
//! `interaction/consent/happy-path.test.ts`, `application-user-consent-scope.test.ts`,
//! `application-user-consent-organization.test.ts`).

mod common;

use common::{query_of, query_value, REDIRECT};
use identity::applications::AppType;
use reqwest::header::LOCATION;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse";

/// A third-party SPA (`partner`) allowed `user_scopes`.
async fn third_party(server: &common::TestServer, m: &reqwest::Client, user_scopes: &[&str]) {
    server.app(AppType::Spa, "partner").await;
    let (status, body) = server.call(m, "PATCH", "/api/applications/partner", Some(json!({"isThirdParty": true}))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.call(m, "POST", "/api/applications/partner/user-consent-scopes", Some(json!({"userScopes": user_scopes}))).await;
    assert_eq!(status, 201, "{body}");
}

/// GETs `url` in `browser` and returns where it redirects.
async fn follow(browser: &reqwest::Client, url: &str) -> String {
    let response = browser.get(url).send().await.unwrap();
    assert_eq!(response.status(), 303, "{url}: {:?}", response.text().await);
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

on_both_databases! {
    async fn a_third_party_app_asks_once_and_again_only_for_something_new(server) {
        let m = server.management_client().await;
        third_party(&server, &m, &["profile"]).await;
        let alice = server.user("alice", PASSWORD).await;
        let browser = server.browser();
        let location = server.begin(&browser, &server.auth_url("partner", &[("scope", "openid profile email")])).await;
        assert!(location.starts_with("/sign-in"), "{location}");
        let redirect_to = server.experience_sign_in(&browser, "alice", PASSWORD).await;
        assert_eq!(follow(&browser, &redirect_to).await, "/consent?app_id=partner");

        let (status, info) = server.call(&browser, "GET", "/api/interaction/consent", None).await;
        assert_eq!(status, 200, "{info}");
        assert_eq!((&info["application"]["id"], &info["user"]["id"], &info["redirectUri"]), (&json!("partner"), &json!(alice), &json!(REDIRECT)));
        assert_eq!(info["user"]["primaryEmail"], json!("alice@example.com"));
        // Email was asked but the operator never allowed it; openid is not shown.
        assert_eq!(info["missingOIDCScope"], json!(["profile"]));
        assert_eq!(info["missingResourceScopes"], json!([]));
        assert!(info.get("organizations").is_none(), "{info}");

        let (status, body) = server.call(&browser, "POST", "/api/interaction/consent", Some(json!({}))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["redirectTo"].as_str().unwrap(), redirect_to, "back to the same authorization");
        let code = server.code_from(&browser, &redirect_to).await;
        let tokens = server.exchange_code("partner", &code).await;
        assert_eq!(tokens["scope"], json!("openid profile"), "nothing not consented to");
        let claims = server.verify_jwt(tokens["id_token"].as_str().unwrap(), "partner").await;
        assert_eq!(claims["name"], json!("alice Example"));
        assert!(claims.get("email").is_none(), "{claims}");

        // Remembered: the next authorization goes straight back with a code.
        let location = server.begin(&browser, &server.auth_url("partner", &[("scope", "openid profile email")])).await;
        assert!(location.starts_with(REDIRECT) && query_value(&query_of(&location), "code").is_some(), "{location}");
        // prompt=consent asks again, with everything shown.
        let location = server.begin(&browser, &server.auth_url("partner", &[("prompt", "consent")])).await;
        assert!(location.starts_with("/consent?app_id=partner"), "{location}");
        assert_eq!(server.call(&browser, "GET", "/api/interaction/consent", None).await.1["missingOIDCScope"], json!(["profile"]));

        // A scope allowed later is something new: asked for on its own.
        server.call(&m, "POST", "/api/applications/partner/user-consent-scopes", Some(json!({"userScopes": ["email"]}))).await;
        let location = server.begin(&browser, &server.auth_url("partner", &[("scope", "openid profile email")])).await;
        assert!(location.starts_with("/consent"), "{location}");
        let (_, info) = server.call(&browser, "GET", "/api/interaction/consent", None).await;
        assert_eq!(info["missingOIDCScope"], json!(["email"]));
        // …and prompt=none cannot ask.
        let location = server.begin(&browser, &server.auth_url("partner", &[("scope", "openid profile email"), ("prompt", "none")])).await;
        assert_eq!(query_value(&query_of(&location), "error").as_deref(), Some("consent_required"), "{location}");

        // A first-party application in the same session never asks.
        server.app(AppType::Spa, "spa").await;
        let location = server.begin(&browser, &server.auth_url("spa", &[])).await;
        assert!(location.starts_with(REDIRECT), "{location}");

        // Revoking the application withdraws the consent: it asks again.
        let (_, grants) = server.call(&m, "GET", &format!("/api/users/{alice}/grants?appType=thirdParty"), None).await;
        for grant in grants["grants"].as_array().unwrap() {
            assert_eq!(server.call(&m, "DELETE", &format!("/api/users/{alice}/grants/{}", grant["id"].as_str().unwrap()), None).await.0, 204);
        }
        let location = server.begin(&browser, &server.auth_url("partner", &[])).await;
        assert!(location.starts_with("/consent"), "{location}");
    }

    async fn refusing_tells_the_app_access_denied_and_grants_nothing(server) {
        let m = server.management_client().await;
        third_party(&server, &m, &["profile", "email"]).await;
        server.user("bob", PASSWORD).await;
        let browser = server.browser();
        server.begin(&browser, &server.auth_url("partner", &[])).await;
        let redirect_to = server.experience_sign_in(&browser, "bob", PASSWORD).await;
        assert!(follow(&browser, &redirect_to).await.starts_with("/consent"));
        // The page's Cancel button (a plain form post).
        let response = browser.post(server.url("/consent/cancel")).form(&[("locale", "en")]).send().await.unwrap();
        assert_eq!(response.status(), 303);
        let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(location.starts_with(REDIRECT), "{location}");
        let query = query_of(&location);
        assert_eq!(query_value(&query, "error").as_deref(), Some("access_denied"));
        assert_eq!(query_value(&query, "state").as_deref(), Some("state-123"));
        assert_eq!(query_value(&query, "iss"), Some(server.issuer()));
        // The interaction is over: nothing to consent to, no code to be had.
        let (status, body) = server.call(&browser, "GET", "/api/interaction/consent", None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.not_found")));
        let response = browser.get(&redirect_to).send().await.unwrap();
        assert!(!response.headers().get(LOCATION).is_some_and(|l| l.to_str().unwrap().contains("code=")));
        // Nothing was remembered: signing in again asks again.
        server.begin(&browser, &server.auth_url("partner", &[])).await;
        let redirect_to = server.experience_sign_in(&browser, "bob", PASSWORD).await;
        assert!(follow(&browser, &redirect_to).await.starts_with("/consent"));
        // The page's Authorize button works as a form post too.
        let response = browser.post(server.url("/consent")).form(&[("locale", "en")]).send().await.unwrap();
        assert_eq!(response.status(), 303);
        let next = response.headers()[LOCATION].to_str().unwrap().to_owned();
        assert_eq!(next, redirect_to);
        let code = server.code_from(&browser, &next).await;
        assert_eq!(server.exchange_code("partner", &code).await["scope"], json!("openid profile email"));
    }

    async fn organizations_and_api_scopes_are_given_only_as_consented(server) {
        let m = server.management_client().await;
        third_party(&server, &m, &["urn:logto:scope:organizations"]).await;
        let carol = server.user("carol", PASSWORD).await;
        let (_, resource) = server.call(&m, "POST", "/api/resources", Some(json!({"name": "Billing", "indicator": "https://billing.example.com"}))).await;
        let resource_id = resource["id"].as_str().unwrap();
        let scope = async |name: &str| server.call(&m, "POST", &format!("/api/resources/{resource_id}/scopes"), Some(json!({"name": name, "description": format!("{name} described")}))).await.1;
        let (read, pay, own) = (scope("read:invoices").await, scope("pay:invoices").await, scope("see:own").await);
        // carol's own role grants see:own; her role in Acme read:invoices, in Globex pay:invoices.
        let (_, role) = server.call(&m, "POST", "/api/roles", Some(json!({"name": "viewer", "description": "views", "scopeIds": [own["id"]]}))).await;
        server.call(&m, "POST", &format!("/api/users/{carol}/roles"), Some(json!({"roleIds": [role["id"]]}))).await;
        let mut orgs = Vec::new();
        for (name, role, granted) in [("Acme", "reader", &read), ("Globex", "payer", &pay)] {
            let (_, org) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": name}))).await;
            let org = org["id"].as_str().unwrap().to_owned();
            server.call(&m, "POST", &format!("/api/organizations/{org}/users"), Some(json!({"userIds": [carol]}))).await;
            server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": role, "resourceScopeIds": [granted["id"]]}))).await;
            server.call(&m, "POST", &format!("/api/organizations/{org}/users/{carol}/roles"), Some(json!({"organizationRoleNames": [role]}))).await;
            orgs.push(org);
        }
        let allow = json!({"resourceScopes": [own["id"]], "organizationResourceScopes": [read["id"], pay["id"]]});
        assert_eq!(server.call(&m, "POST", "/api/applications/partner/user-consent-scopes", Some(allow)).await.0, 201);
        let (_, allowed) = server.call(&m, "GET", "/api/applications/partner/user-consent-scopes", None).await;
        assert_eq!(allowed["userScopes"], json!(["urn:logto:scope:organizations"]));
        assert_eq!(allowed["resourceScopes"][0]["resource"]["id"], json!(resource_id));
        assert_eq!(allowed["organizationResourceScopes"][0]["scopes"].as_array().unwrap().len(), 2);

        let browser = server.browser();
        let scope = "openid offline_access urn:logto:scope:organizations read:invoices pay:invoices see:own";
        let auth = server.auth_url("partner", &[("scope", scope), ("resource", "https://billing.example.com"), ("prompt", "consent")]);
        server.begin(&browser, &auth).await;
        let redirect_to = server.experience_sign_in(&browser, "carol", PASSWORD).await;
        assert!(follow(&browser, &redirect_to).await.starts_with("/consent"));
        let (_, info) = server.call(&browser, "GET", "/api/interaction/consent", None).await;
        assert_eq!(info["missingOIDCScope"], json!(["urn:logto:scope:organizations"]));
        let personal: Vec<&str> = info["missingResourceScopes"][0]["scopes"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(personal, ["see:own"], "only what her own roles grant");
        // (Joined at the same instant of the test clock: in no particular order.)
        let mut offered = info["organizations"].as_array().unwrap().clone();
        offered.sort_by_key(|o| o["name"].as_str().unwrap().to_owned());
        assert_eq!(offered.iter().map(|o| o["name"].as_str().unwrap()).collect::<Vec<_>>(), ["Acme", "Globex"]);
        assert_eq!(offered[0]["missingResourceScopes"][0]["scopes"][0]["name"], json!("read:invoices"));
        assert_eq!(offered[1]["missingResourceScopes"][0]["scopes"][0]["name"], json!("pay:invoices"));

        // Someone else's organization cannot be picked.
        let (_, stranger) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Initech"}))).await;
        let (status, body) = server.call(&browser, "POST", "/api/interaction/consent", Some(json!({"organizationIds": [stranger["id"]]}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("organization.require_membership")));
        let (status, _) = server.call(&browser, "POST", "/api/interaction/consent", Some(json!({"organizationIds": [orgs[0]]}))).await;
        assert_eq!(status, 200);
        let code = server.code_from(&browser, &redirect_to).await;
        let form = [("grant_type", "authorization_code"), ("client_id", "partner"), ("code", code.as_str()), ("redirect_uri", REDIRECT), ("code_verifier", common::VERIFIER), ("resource", "https://billing.example.com")];
        let response = server.token(&form).await;
        assert_eq!(response.status(), 200);
        let tokens: Value = response.json().await.unwrap();
        // Her own roles give see:own on the API itself.
        assert_eq!(tokens["scope"], json!("see:own"), "{tokens}");
        let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
        let (_, consented) = server.call(&m, "GET", &format!("/api/applications/partner/users/{carol}/consent-organizations"), None).await;
        assert_eq!(consented["organizations"].as_array().unwrap().iter().map(|o| o["name"].clone()).collect::<Vec<_>>(), [json!("Acme")]);

        // Organization tokens only for the consented organization.
        // (Rotation hands out a new refresh token each time: the next call uses it.)
        let mut refresh = refresh;
        let mut org_token = async |org: &str| {
            let form = [("grant_type", "refresh_token"), ("client_id", "partner"), ("refresh_token", refresh.as_str()), ("organization_id", org), ("resource", "https://billing.example.com")];
            let response = server.token(&form).await;
            let (status, body) = (response.status().as_u16(), response.json::<Value>().await.unwrap());
            if let Some(next) = body["refresh_token"].as_str() {
                refresh = next.to_owned();
            }
            (status, body)
        };
        // pay:invoices comes only through Globex, which carol did not pick.
        let (status, body) = org_token(&orgs[1]).await;
        assert_eq!((status, body["error"].as_str()), (403, Some("access_denied")), "{body}");
        let (status, body) = org_token(&orgs[0]).await;
        assert_eq!((status, &body["scope"]), (200, &json!("read:invoices")), "{body}");
    }

    async fn operators_configure_what_third_party_apps_may_ask(server) {
        let m = server.management_client().await;
        server.app(AppType::Spa, "first").await;
        third_party(&server, &m, &["profile", "email"]).await;
        let path = "/api/applications/partner/user-consent-scopes";
        let (status, body) = server.call(&m, "POST", "/api/applications/first/user-consent-scopes", Some(json!({"userScopes": ["profile"]}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("application.third_party_application_only")));
        for field in ["organizationScopes", "resourceScopes", "organizationResourceScopes"] {
            let (status, body) = server.call(&m, "POST", path, Some(json!({ field: ["nope"] }))).await;
            assert_eq!((status, body["code"].as_str()), (422, Some("application.user_consent_scopes_not_found")), "{field}");
        }
        let (status, body) = server.call(&m, "POST", path, Some(json!({"userScopes": ["everything"]}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));
        let (status, body) = server.call(&m, "GET", "/api/applications/nope/user-consent-scopes", None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("entity.not_exists_with_id")));
        // Assigning again keeps what is there; removing takes one away.
        assert_eq!(server.call(&m, "POST", path, Some(json!({"userScopes": ["profile"]}))).await.0, 201);
        assert_eq!(server.call(&m, "GET", path, None).await.1["userScopes"], json!(["email", "profile"]));
        assert_eq!(server.call(&m, "DELETE", &format!("{path}/user-scopes/email"), None).await.0, 204);
        let (status, body) = server.call(&m, "DELETE", &format!("{path}/user-scopes/email"), None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("entity.not_found")));
        assert_eq!(server.call(&m, "DELETE", &format!("{path}/everything/email"), None).await.0, 400);
        assert_eq!(server.call(&m, "GET", path, None).await.1, json!({"userScopes": ["profile"], "resourceScopes": [], "organizationScopes": [], "organizationResourceScopes": []}));

        // Consented organizations: only the user's own.
        let dave = server.user("dave", PASSWORD).await;
        let (_, org) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Acme"}))).await;
        let organizations = format!("/api/applications/partner/users/{dave}/consent-organizations");
        let (status, body) = server.call(&m, "POST", &organizations, Some(json!({"organizationIds": [org["id"]]}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("organization.require_membership")));
        server.call(&m, "POST", &format!("/api/organizations/{}/users", org["id"].as_str().unwrap()), Some(json!({"userIds": [dave]}))).await;
        assert_eq!(server.call(&m, "POST", &organizations, Some(json!({"organizationIds": [org["id"]]}))).await.0, 201);
        assert_eq!(server.call(&m, "GET", &organizations, None).await.1["organizations"][0]["id"], org["id"]);
        assert_eq!(server.call(&m, "PUT", &organizations, Some(json!({"organizationIds": []}))).await.0, 204);
        assert_eq!(server.call(&m, "GET", &organizations, None).await.1, json!({"organizations": []}));
        let (status, body) = server.call(&m, "GET", &format!("/api/applications/first/users/{dave}/consent-organizations"), None).await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = server.call(&m, "GET", "/api/applications/partner/users/nobody/consent-organizations", None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("entity.not_found")));

        // How the application presents itself on the consent page.
        let presentation = "/api/applications/partner/sign-in-experience";
        assert_eq!(server.call(&m, "GET", presentation, None).await.0, 404);
        let (status, body) = server.call(&m, "PUT", presentation, Some(json!({"termsOfUseUrl": "javascript:alert(1)"}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));
        let wanted = json!({"displayName": "Partner Co", "branding": {"logoUrl": "https://partner.example/logo.png"}, "termsOfUseUrl": "https://partner.example/terms"});
        let (status, body) = server.call(&m, "PUT", presentation, Some(wanted)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(server.call(&m, "GET", presentation, None).await.1["displayName"], json!("Partner Co"));
    }
}
