//! Enterprise SSO connectors (spec §5) as Logto's `sso-connectors.test.ts` and the experience
//! tests use them: the providers, the connectors' CRUD with its refusals (names, public and
//! repeated domains, incomplete configurations), secrets sealed and masked, the SAML service
//! provider's addresses, and routing by email domain once SSO is on.

mod common;

use serde_json::{json, Value};

on_both_databases! {
    async fn sso_connectors_are_configured_and_route_by_email_domain(server) {
        let m = server.management_client().await;
        let (_, providers) = server.call(&m, "GET", "/api/sso-connector-providers", None).await;
        let names: Vec<&str> = providers.as_array().unwrap().iter().map(|p| p["providerName"].as_str().unwrap()).collect();
        assert_eq!(names, ["OIDC", "SAML", "AzureAD", "AzureAdOidc", "GoogleWorkspace", "Okta"]);

        let create = |body: Value| server.call(&m, "POST", "/api/sso-connectors", Some(body));
        for (body, status, code) in [
            (json!({"providerName": "OIDC"}), 400, "guard.invalid_input"),
            (json!({"providerName": "Shibboleth", "connectorName": "x"}), 422, "connector.not_found"),
            (json!({"providerName": "OIDC", "connectorName": "x", "config": {"clientId": "only"}}), 400, "connector.invalid_config"),
            (json!({"providerName": "SAML", "connectorName": "x", "config": {"entityId": 123, "signInEndpoint": 123}}), 400, "connector.invalid_config"),
            (json!({"providerName": "OIDC", "connectorName": "x", "domains": ["acme.example", "Gmail.com"]}), 422, "single_sign_on.forbidden_domains"),
            (json!({"providerName": "OIDC", "connectorName": "x", "domains": ["acme.example", "ACME.example"]}), 422, "single_sign_on.duplicated_domains"),
        ] {
            let (got, answer) = create(body.clone()).await;
            assert_eq!((got, answer["code"].as_str()), (status, Some(code)), "{body}: {answer}");
        }
        let (_, answer) = create(json!({"providerName": "OIDC", "connectorName": "x", "domains": ["gmail.com"]})).await;
        assert_eq!(answer["data"], json!(["gmail.com"]), "the domains at fault");

        let (status, acme) = create(json!({"providerName": "OIDC", "connectorName": "Acme OIDC", "domains": ["Acme.example"], "syncProfile": true,
            "config": {"clientId": "acme", "clientSecret": "acme-secret-123", "issuer": "https://idp.acme.example"}, "branding": {"displayName": "Acme workforce"}})).await;
        assert_eq!(status, 200, "{acme}");
        assert_eq!((&acme["domains"], &acme["config"]["clientSecret"], &acme["providerType"]), (&json!(["acme.example"]), &json!("********"), &json!("oidc")));
        let acme_id = acme["id"].as_str().unwrap().to_owned();
        let stored: String = sqlx::query_scalar("SELECT config FROM sso_connectors WHERE id = $1").bind(&acme_id).fetch_one(server.state.store.pool()).await.unwrap();
        assert!(!stored.contains("acme-secret-123"), "the secret is sealed at rest");
        let (status, answer) = create(json!({"providerName": "Okta", "connectorName": "Acme OIDC"})).await;
        assert_eq!((status, answer["code"].as_str()), (409, Some("single_sign_on.duplicate_connector_name")));

        let (_, saml) = create(json!({"providerName": "SAML", "connectorName": "Globex SAML", "domains": ["globex.example"]})).await;
        let saml_id = saml["id"].as_str().unwrap().to_owned();
        assert_eq!(saml["providerConfig"]["serviceProvider"], json!({"entityId": server.url(&format!("/enterprise-sso/{saml_id}")),
            "assertionConsumerServiceUrl": server.url(&format!("/api/authn/single-sign-on/saml/{saml_id}"))}), "what the IdP's administrator enters");

        // PATCH: its own name again is fine, another's is not; a masked secret keeps the stored one.
        let path = format!("/api/sso-connectors/{acme_id}");
        assert_eq!(server.call(&m, "PATCH", &path, Some(json!({"connectorName": "Acme OIDC"}))).await.0, 200);
        let (status, answer) = server.call(&m, "PATCH", &path, Some(json!({"connectorName": "Globex SAML"}))).await;
        assert_eq!((status, answer["code"].as_str()), (409, Some("single_sign_on.duplicate_connector_name")));
        let (status, _) = server.call(&m, "PATCH", &path, Some(json!({"config": {"clientId": "acme2", "clientSecret": "********", "issuer": "https://idp.acme.example"}}))).await;
        assert_eq!(status, 200);
        let kept = identity::sso::get(&server.state.provider, &acme_id).await.unwrap();
        assert_eq!((kept.config["clientId"].as_str(), kept.config["clientSecret"].as_str()), (Some("acme2"), Some("acme-secret-123")));
        let (status, answer) = server.call(&m, "PATCH", &path, Some(json!({"providerName": "SAML"}))).await;
        assert_eq!((status, answer["code"].as_str()), (400, Some("guard.invalid_input")));
        let response = m.get(server.url("/api/sso-connectors?page=1&page_size=1")).send().await.unwrap();
        assert_eq!(response.headers()["total-number"], "2");
        assert_eq!(response.json::<Value>().await.unwrap().as_array().unwrap().len(), 1);

        // Routing by email: nothing until the sign-in experience turns SSO on; then the
        // complete connector of the address's domain (the SAML one has no configuration yet).
        let anonymous = reqwest::Client::new();
        let lookup = |email: &str| {
            let path = format!("/api/experience/sso-connectors?email={email}");
            let (server, anonymous) = (&server, &anonymous);
            async move { server.call(anonymous, "GET", &path, None).await }
        };
        assert_eq!(lookup("grace%40acme.example").await.1, json!({"connectorIds": []}), "SSO is off");
        server.sign_in_experience(json!({"singleSignOnEnabled": true})).await;
        assert_eq!(lookup("Grace%40ACME.example").await.1, json!({"connectorIds": [acme_id]}));
        assert_eq!(lookup("grace%40globex.example").await.1, json!({"connectorIds": []}), "incomplete: not offered");
        assert_eq!(lookup("grace%40elsewhere.example").await.1, json!({"connectorIds": []}));
        let (status, answer) = lookup("not-an-address").await;
        assert_eq!((status, answer["code"].as_str()), (400, Some("guard.invalid_input")));
        let (_, public) = server.call(&anonymous, "GET", "/api/.well-known/sign-in-exp", None).await;
        assert_eq!(public["ssoConnectors"], json!([{"id": acme_id, "connectorName": "Acme workforce", "logo": "/connectors/oidc.svg", "darkLogo": "/connectors/oidc.svg"}]));

        assert_eq!(server.call(&m, "DELETE", &path, None).await.0, 204);
        let (status, answer) = server.call(&m, "GET", &path, None).await;
        assert_eq!((status, answer["code"].as_str()), (404, Some("entity.not_exists_with_id")));
        assert_eq!(server.call(&m, "DELETE", &path, None).await.0, 404);
    }
}
