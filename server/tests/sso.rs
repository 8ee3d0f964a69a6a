//! Enterprise SSO connectors (spec §5) as Logto's `sso-connectors.test.ts` and the experience
//! tests use them: the providers, the connectors' CRUD with its refusals (names, public and
//! repeated domains, incomplete configurations), secrets sealed and masked, the SAML service
//! provider's addresses, and routing by email domain once SSO is on; then signing in at an
//! OIDC identity provider that is a real, independent OpenID Provider on loopback (panva's
//! `oidc-provider`): registration, the same identity again, an email-matched account linked,
//! MFA and the mandatory profile skipped, password sign-in refused on the SSO domain.

mod common;

use serde_json::{json, Value};

const CLIENT_ID: &str = "vestibule-sso";
const CLIENT_SECRET: &str = "sso-client-secret-0123456789";

/// An OIDC connector for `example.com` (where `server.user` puts its accounts) and
/// `acme.example`, and its identity provider (which must know the connector's callback).
async fn oidc_connector(server: &common::TestServer, accounts: Value) -> (String, common::upstream::OidcUpstream) {
    let m = server.management_client().await;
    let config = |issuer: &str| json!({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "issuer": issuer});
    let (status, created) = server
        .call(&m, "POST", "/api/sso-connectors", Some(json!({"providerName": "OIDC", "connectorName": "Acme IdP", "domains": ["example.com", "acme.example"], "config": config("https://idp.invalid")})))
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let upstream = common::upstream::OidcUpstream::start(CLIENT_ID, CLIENT_SECRET, &[&server.url(&format!("/callback/sso/{id}"))], accounts);
    let (status, _) = server.call(&m, "PATCH", &format!("/api/sso-connectors/{id}"), Some(json!({"config": config(&upstream.issuer)}))).await;
    assert_eq!(status, 200);
    (id, upstream)
}

/// PUT SignIn, the authorization URI, the identity provider's own pages as `login`, and the
/// verification: answers the browser (in the interaction) and the verified record's id.
async fn through_idp(server: &common::TestServer, upstream: &common::upstream::OidcUpstream, connector: &str, login: &str) -> (reqwest::Client, String) {
    let browser = server.browser_in_interaction().await;
    server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
    let callback = server.url(&format!("/callback/sso/{connector}"));
    let (status, started) = server.call(&browser, "POST", &format!("/api/experience/verification/sso/{connector}/authorization-uri"), Some(json!({"state": "state-sso", "redirectUri": callback}))).await;
    assert_eq!(status, 200, "{started}");
    let uri = started["authorizationUri"].as_str().unwrap();
    assert!(uri.starts_with(&upstream.issuer) && uri.contains("code_challenge=") && uri.contains("nonce="), "{uri}");
    let idp_browser = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let back = upstream.sign_in(&idp_browser, uri, login, &callback).await;
    let query = back.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let data: serde_json::Map<String, Value> = form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))).collect();
    let id = started["verificationId"].as_str().unwrap().to_owned();
    let (status, verified) = server.call(&browser, "POST", &format!("/api/experience/verification/sso/{connector}/verify"), Some(json!({"verificationId": id, "connectorData": data}))).await;
    assert_eq!((status, &verified["verificationId"]), (200, &json!(id)), "{verified}");
    (browser, id)
}

/// A SAML connector for `globex.example` with its identity provider (samlify), configured
/// by the IdP's metadata URL as an operator would paste it.
async fn saml_connector(server: &common::TestServer, accounts: Value) -> (String, common::upstream::SamlIdp) {
    let m = server.management_client().await;
    let (status, created) = server.call(&m, "POST", "/api/sso-connectors", Some(json!({"providerName": "SAML", "connectorName": "Globex", "domains": ["globex.example"]}))).await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let sp = &created["providerConfig"]["serviceProvider"];
    let idp = common::upstream::SamlIdp::start(sp["entityId"].as_str().unwrap(), sp["assertionConsumerServiceUrl"].as_str().unwrap(), accounts);
    let (status, body) = server.call(&m, "PATCH", &format!("/api/sso-connectors/{id}"), Some(json!({"config": {"metadataUrl": idp.metadata_url}}))).await;
    assert_eq!(status, 200, "{body}");
    (id, idp)
}

/// Starts a SAML sign-in in a new interaction: the browser and the IdP's address.
async fn start_saml(server: &common::TestServer, connector: &str) -> (reqwest::Client, String, String) {
    let browser = server.browser_in_interaction().await;
    server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
    let callback = server.url(&format!("/callback/sso/{connector}"));
    let (status, started) = server.call(&browser, "POST", &format!("/api/experience/verification/sso/{connector}/authorization-uri"), Some(json!({"state": "state-saml", "redirectUri": callback}))).await;
    assert_eq!(status, 200, "{started}");
    (browser, started["authorizationUri"].as_str().unwrap().to_owned(), started["verificationId"].as_str().unwrap().to_owned())
}

/// The IdP's form, posted from its site: no cookie of ours rides along.
async fn post_to_acs(post: &common::upstream::SamlPost, saml_response: &str) -> (u16, String, Value) {
    let mut form = vec![("SAMLResponse", saml_response.to_owned())];
    if let Some(relay) = &post.relay_state {
        form.push(("RelayState", relay.clone()));
    }
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.post(&post.action).form(&form).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, response.json().await.unwrap_or(Value::Null))
}

async fn identify(server: &common::TestServer, browser: &reqwest::Client, id: &str) -> (u16, Value) {
    server.call(browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await
}

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

    async fn people_sign_in_at_their_organizations_identity_provider(server) {
        server.app(identity::applications::AppType::Spa, "spa").await;
        // A password and an authenticator app are required of everyone else.
        server.sign_in_experience(json!({"singleSignOnEnabled": true, "signUp": {"identifiers": ["email"], "password": true, "verify": true},
            "mfa": {"factors": ["Totp"], "policy": "Mandatory"}})).await;
        let ada = server.user("ada", "Correct-Horse-9").await;
        let accounts = json!({
            "grace": {"email": "grace@acme.example", "email_verified": true, "name": "Grace Hopper"},
            "ada-at-idp": {"email": "ada@example.com", "email_verified": true, "name": "Ada L."},
            "mallory": {"email": "mallory@acme.example", "email_verified": false},
        });
        let (connector, upstream) = oidc_connector(&server, accounts).await;
        let m = server.management_client().await;

        // Acme's people join its organization when they sign in through its IdP.
        let (_, org) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Acme"}))).await;
        let org_jit = format!("/api/organizations/{}/jit/sso-connectors", org["id"].as_str().unwrap());
        let (status, body) = server.call(&m, "POST", &org_jit, Some(json!({"ssoConnectorIds": ["no-such-connector"]}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("entity.relation_foreign_key_not_found")), "{body}");
        assert_eq!(server.call(&m, "POST", &org_jit, Some(json!({"ssoConnectorIds": [connector]}))).await.0, 201);
        assert_eq!(server.call(&m, "GET", &org_jit, None).await.1[0]["id"], json!(connector));

        // Ada's address is on the organization's domain: no password sign-in here any more.
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/password", Some(json!({"identifier": {"type": "email", "value": "ada@example.com"}, "password": "Correct-Horse-9"}))).await;
        assert_eq!(status, 200, "{body}");
        let (status, refused) = identify(&server, &browser, body["verificationId"].as_str().unwrap()).await;
        assert_eq!((status, refused["code"].as_str()), (422, Some("session.sso_enabled")), "{refused}");
        assert_eq!(refused["data"]["ssoConnectors"][0]["id"], json!(connector));
        // The page must say where to come back to, and name a connector that exists.
        let start = |connector: &str, body: Value| {
            let path = format!("/api/experience/verification/sso/{connector}/authorization-uri");
            let (server, browser) = (&server, &browser);
            async move { server.call(browser, "POST", &path, Some(body)).await }
        };
        let (status, body) = start(&connector, json!({"state": "", "redirectUri": server.url("/cb")})).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.insufficient_info")), "{body}");
        let (status, body) = start("no-such-connector", json!({"state": "s", "redirectUri": server.url("/cb")})).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("entity.not_exists_with_id")), "{body}");

        // Grace is new: told so, then registered — without the password or MFA the others need.
        let (browser, id) = through_idp(&server, &upstream, &connector, "grace").await;
        let (status, body) = server.call(&browser, "POST", &format!("/api/experience/verification/social/{connector}/verify"), Some(json!({"verificationId": id, "connectorData": {}}))).await;
        assert_eq!(status, 404, "an SSO record is not a social one: {body}");
        let (status, body) = identify(&server, &browser, &id).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("user.sso_identity_not_exist")), "{body}");
        assert_eq!(server.call(&browser, "PUT", "/api/experience/interaction-event", Some(json!({"interactionEvent": "Register"}))).await.0, 204);
        let (status, body) = identify(&server, &browser, &id).await;
        assert_eq!(status, 201, "{body}");
        let (status, submitted) = server.submit(&browser).await;
        assert_eq!(status, 200, "no MFA binding, no password: {submitted}");
        let grace = identity::users::find_by_email(&server.state.store, "grace@acme.example").await.unwrap().expect("the provider's verified address");
        assert_eq!((grace.name.as_deref(), grace.password.is_none()), (Some("Grace Hopper"), true));
        let code = server.code_from(&browser, submitted["redirectTo"].as_str().unwrap()).await;
        let tokens = server.exchange_code("spa", &code).await;
        assert_eq!(server.verify_jwt(tokens["id_token"].as_str().unwrap(), "spa").await["sub"], json!(grace.id));

        // The same identity again: the same account.
        let (browser, id) = through_idp(&server, &upstream, &connector, "grace").await;
        assert_eq!(identify(&server, &browser, &id).await.0, 204);
        assert_eq!(server.submit(&browser).await.0, 200);
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(server.state.store.pool()).await.unwrap();
        assert_eq!(count, 2, "Ada and Grace");

        // Ada's identity at the provider has her verified address: her account, linked at submit.
        let (browser, id) = through_idp(&server, &upstream, &connector, "ada-at-idp").await;
        assert_eq!(identify(&server, &browser, &id).await.0, 204);
        assert_eq!(server.submit(&browser).await.0, 200);
        let (_, user) = server.call(&m, "GET", &format!("/api/users/{}?includeSsoIdentities=true", ada), None).await;
        let identities = user["ssoIdentities"].as_array().unwrap();
        assert_eq!(identities.len(), 1, "{user}");
        assert_eq!((&identities[0]["issuer"], &identities[0]["identityId"], &identities[0]["ssoConnectorId"]), (&json!(upstream.issuer), &json!("ada-at-idp"), &json!(connector)));
        let (_, all) = server.call(&m, "GET", &format!("/api/users/{}/all-identities", ada), None).await;
        // Logto's shape: `{ssoConnectorId, ssoIdentity}` per identity.
        assert_eq!((&all["ssoIdentities"][0]["ssoConnectorId"], &all["ssoIdentities"][0]["ssoIdentity"]["identityId"]), (&json!(connector), &json!("ada-at-idp")), "{all}");
        let (_, members) = server.call(&m, "GET", &format!("/api/organizations/{}/users", org["id"].as_str().unwrap()), None).await;
        let mut ids: Vec<&str> = members.as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
        ids.sort();
        let mut expected = vec![ada.as_str(), grace.id.as_str()];
        expected.sort();
        assert_eq!(ids, expected, "both joined Acme through its IdP");

        // An unverified address names nobody: Mallory cannot take an account by her claim alone.
        let (browser, id) = through_idp(&server, &upstream, &connector, "mallory").await;
        let (_, interaction) = server.call(&browser, "GET", "/api/experience/interaction", None).await;
        assert_eq!(interaction["verificationRecords"][0]["identifier"]["value"], json!(""), "{interaction}");
        assert_eq!(identify(&server, &browser, &id).await.1["code"], json!("user.sso_identity_not_exist"));

        // With SSO switched off, its records sign nobody in and no sign-in starts.
        let (browser, id) = through_idp(&server, &upstream, &connector, "grace").await;
        server.sign_in_experience(json!({"singleSignOnEnabled": false})).await;
        let (status, body) = identify(&server, &browser, &id).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.sign_in_method_not_enabled")), "{body}");
        let (status, _) = server.call(&browser, "POST", &format!("/api/experience/verification/sso/{connector}/authorization-uri"), Some(json!({"state": "s", "redirectUri": server.url("/cb")}))).await;
        assert_eq!(status, 404);
    }

    async fn a_saml_identity_provider_signs_people_in_and_its_flawed_answers_are_refused(server) {
        server.app(identity::applications::AppType::Spa, "spa").await;
        server.sign_in_experience(json!({"singleSignOnEnabled": true})).await;
        let (connector, idp) = saml_connector(&server, json!({"grace": {"email": "Grace@Globex.example", "name": "Grace Hopper"}})).await;
        let acs = server.url(&format!("/api/authn/single-sign-on/saml/{connector}"));

        let (browser, uri, id) = start_saml(&server, &connector).await;
        assert!(uri.starts_with(&format!("{}/sso?", idp.base)) && uri.contains("SAMLRequest=") && uri.contains("RelayState="), "{uri}");
        let post = idp.sign_in(&uri, "grace", "ok").await;
        assert_eq!(post.action, acs);
        let (status, location, body) = post_to_acs(&post, &post.saml_response).await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(location, format!("{}?state=state-saml", server.url(&format!("/callback/sso/{connector}"))));
        let (status, _, body) = post_to_acs(&post, &post.saml_response).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("connector.invalid_response")), "the same assertion twice is a replay: {body}");
        let (status, verified) = server.call(&browser, "POST", &format!("/api/experience/verification/sso/{connector}/verify"), Some(json!({"verificationId": id, "connectorData": {}}))).await;
        assert_eq!(status, 200, "{verified}");
        assert_eq!(identify(&server, &browser, &id).await.1["code"], json!("user.sso_identity_not_exist"));
        assert_eq!(server.call(&browser, "PUT", "/api/experience/interaction-event", Some(json!({"interactionEvent": "Register"}))).await.0, 204);
        assert_eq!(identify(&server, &browser, &id).await.0, 201);
        let (status, submitted) = server.submit(&browser).await;
        assert_eq!(status, 200, "{submitted}");
        let grace = identity::users::find_by_email(&server.state.store, "grace@globex.example").await.unwrap().expect("the asserted address, lower-cased");
        assert_eq!(grace.name.as_deref(), Some("Grace Hopper"));
        let m = server.management_client().await;
        let (_, all) = server.call(&m, "GET", &format!("/api/users/{}/all-identities", grace.id), None).await;
        let sso = &all["ssoIdentities"][0]["ssoIdentity"];
        assert_eq!((&sso["issuer"], &sso["identityId"]), (&json!(idp.entity_id), &json!("grace")), "{all}");

        // Flawed answers: each refused, and the sign-in stays unanswered.
        let tamper = |response: &str| {
            use base64::Engine;
            let xml = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(response).unwrap()).unwrap();
            base64::engine::general_purpose::STANDARD.encode(xml.replace("grace@globex.example", "ceo@globex.example").replace("Grace@Globex.example", "ceo@globex.example"))
        };
        for variant in ["wrong-audience", "expired", "other-request", "tampered"] {
            let (browser, uri, id) = start_saml(&server, &connector).await;
            let post = idp.sign_in(&uri, "grace", if variant == "tampered" { "ok" } else { variant }).await;
            let response = if variant == "tampered" { tamper(&post.saml_response) } else { post.saml_response.clone() };
            let (status, _, body) = post_to_acs(&post, &response).await;
            assert_eq!((status, body["code"].as_str()), (400, Some("connector.invalid_response")), "{variant}: {body}");
            let (status, body) = server.call(&browser, "POST", &format!("/api/experience/verification/sso/{connector}/verify"), Some(json!({"verificationId": id, "connectorData": {}}))).await;
            assert_eq!((status, body["code"].as_str()), (404, Some("session.connector_validation_session_not_found")), "{variant}: {body}");
        }
        let bogus = common::upstream::SamlPost { action: acs.clone(), saml_response: "bm90IFhNTA==".into(), relay_state: Some("no-such-interaction".into()) };
        let (status, _, body) = post_to_acs(&bogus, &bogus.saml_response).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("session.connector_validation_session_not_found")));
        let malformed = reqwest::Client::new().post(&acs).form(&[("RelayState", "x")]).send().await.unwrap();
        assert_eq!(malformed.status(), 400, "no SAMLResponse");
        assert_eq!(malformed.json::<Value>().await.unwrap()["code"], json!("guard.invalid_input"));
        let page = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
            .post(&acs).header("accept", "text/html").form(&[("SAMLResponse", "bm90IFhNTA=="), ("RelayState", "no-such-interaction")]).send().await.unwrap();
        assert_eq!(page.headers()["location"], "/single-sign-on?error=session.connector_validation_session_not_found", "a browser sees the explanation page");
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(server.state.store.pool()).await.unwrap();
        assert_eq!(users, 1, "only Grace");

        // The IdP described by fields works the same; without a signing certificate it signs nobody in.
        let fields = json!({"entityId": idp.entity_id, "signInEndpoint": format!("{}/sso", idp.base), "x509Certificate": idp.certificate});
        assert_eq!(server.call(&m, "PATCH", &format!("/api/sso-connectors/{connector}"), Some(json!({"config": fields}))).await.0, 200);
        let (browser, uri, id) = start_saml(&server, &connector).await;
        let post = idp.sign_in(&uri, "grace", "ok").await;
        assert_eq!(post_to_acs(&post, &post.saml_response).await.0, 303);
        assert_eq!(server.call(&browser, "POST", &format!("/api/experience/verification/sso/{connector}/verify"), Some(json!({"verificationId": id, "connectorData": {}}))).await.0, 200);
        assert_eq!(identify(&server, &browser, &id).await.0, 204, "Grace again");
        let unsigned = format!(r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{}/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#, idp.entity_id, idp.base);
        assert_eq!(server.call(&m, "PATCH", &format!("/api/sso-connectors/{connector}"), Some(json!({"config": {"metadata": unsigned}}))).await.0, 200);
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (status, body) = server.call(&browser, "POST", &format!("/api/experience/verification/sso/{connector}/authorization-uri"), Some(json!({"state": "s", "redirectUri": server.url("/cb")}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("connector.invalid_config")), "{body}");
    }

    async fn an_idp_initiated_sign_in_is_kept_until_the_application_asks_for_it(server) {
        let (web, secret) = server.app(identity::applications::AppType::Traditional, "web").await;
        server.app(identity::applications::AppType::Spa, "spa").await;
        server.sign_in_experience(json!({"singleSignOnEnabled": true})).await;
        let (connector, idp) = saml_connector(&server, json!({"grace": {"email": "grace@globex.example", "name": "Grace Hopper"}})).await;
        let m = server.management_client().await;
        let config_path = format!("/api/sso-connectors/{connector}/idp-initiated-auth-config");

        // Nothing configured: the IdP's unsolicited answers are refused.
        let unsolicited = idp.start_sign_in("grace").await;
        assert_eq!(unsolicited.relay_state, None);
        let (status, _, body) = post_to_acs(&unsolicited, &unsolicited.saml_response).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(server.call(&m, "GET", &config_path, None).await.0, 404);

        // The configuration's rules.
        let (status, oidc) = server.call(&m, "POST", "/api/sso-connectors", Some(json!({"providerName": "OIDC", "connectorName": "Other"}))).await;
        assert_eq!(status, 200);
        for (path, body, code) in [
            (format!("/api/sso-connectors/{}/idp-initiated-auth-config", oidc["id"].as_str().unwrap()), json!({"defaultApplicationId": web, "autoSendAuthorizationRequest": true}), "single_sign_on.idp_initiated_authentication_not_supported"),
            (config_path.clone(), json!({"defaultApplicationId": "spa", "autoSendAuthorizationRequest": true}), "single_sign_on.idp_initiated_authentication_invalid_application_type"),
            (config_path.clone(), json!({"defaultApplicationId": web, "autoSendAuthorizationRequest": true, "redirectUri": "https://evil.example/cb"}), "single_sign_on.idp_initiated_authentication_redirect_uri_not_registered"),
        ] {
            let (status, answer) = server.call(&m, "PUT", &path, Some(body)).await;
            assert_eq!((status, answer["code"].as_str()), (400, Some(code)), "{answer}");
        }
        let (status, config) = server.call(&m, "PUT", &config_path, Some(json!({"defaultApplicationId": web, "autoSendAuthorizationRequest": true, "authParameters": {"scope": "openid profile email"}}))).await;
        assert_eq!((status, &config["defaultApplicationId"]), (200, &json!(web)), "{config}");
        assert_eq!(server.call(&m, "GET", &config_path, None).await.1["autoSendAuthorizationRequest"], json!(true));

        // Grace clicks the application's tile at her IdP: the assertion is kept, and her
        // browser starts the application's sign-in, which goes straight through with it.
        let browser = server.browser();
        let unsolicited = idp.start_sign_in("grace").await;
        let response = browser.post(&unsolicited.action).form(&[("SAMLResponse", unsolicited.saml_response.as_str())]).send().await.unwrap();
        assert_eq!(response.status(), 303);
        let cookie = response.headers().get_all("set-cookie").iter().map(|c| c.to_str().unwrap().to_owned()).find(|c| c.starts_with("_logto_idp_saml_sso_session_id=")).expect("the kept assertion's cookie");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        let mut location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(&server.url("/oidc/auth?")) && location.contains(&format!("direct_sign_in=sso%3A{connector}")) && location.contains("prompt=login"), "{location}");
        assert!(!location.contains("offline_access"));
        let (status, _, body) = post_to_acs(&unsolicited, &unsolicited.saml_response).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("connector.invalid_response")), "a replay: {body}");
        for _ in 0..10 {
            if location.starts_with(common::REDIRECT) {
                break;
            }
            let url = if location.starts_with('/') { server.url(&location) } else { location.clone() };
            let response = browser.get(&url).send().await.unwrap();
            assert!(response.status().is_redirection(), "{url}: {}", response.status());
            location = response.headers()["location"].to_str().unwrap().to_owned();
            assert!(!location.starts_with(&idp.base), "the kept assertion answers: the IdP is not asked again");
        }
        assert!(location.starts_with(common::REDIRECT), "back at the application: {location}");
        let code = form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes()).find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("a code");
        let tokens: Value = reqwest::Client::new().post(server.url("/oidc/token")).basic_auth(&web, secret.as_deref())
            .form(&[("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", common::REDIRECT)]).send().await.unwrap().json().await.unwrap();
        let claims = server.verify_jwt(tokens["id_token"].as_str().expect("an ID token"), &web).await;
        let grace = identity::users::find_by_email(&server.state.store, "grace@globex.example").await.unwrap().expect("registered through the IdP");
        assert_eq!(claims["sub"], json!(grace.id));

        // The kept assertion was used up; once the configuration is gone, unsolicited answers are refused again.
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM idp_initiated_saml_sso_sessions").fetch_one(server.state.store.pool()).await.unwrap();
        assert_eq!(kept, 0);
        assert_eq!(server.call(&m, "DELETE", &config_path, None).await.0, 204);
        let unsolicited = idp.start_sign_in("grace").await;
        assert_eq!(post_to_acs(&unsolicited, &unsolicited.saml_response).await.0, 404);
    }

    async fn the_hosted_forms_send_a_work_email_to_its_identity_provider_without_javascript(server) {
        server.sign_in_experience(json!({"singleSignOnEnabled": true})).await;
        let accounts = json!({"grace": {"email": "grace@acme.example", "email_verified": true, "name": "Grace Hopper"}});
        let (connector, upstream) = oidc_connector(&server, accounts).await;
        let form = |browser: &reqwest::Client, path: &str, fields: &[(&str, &str)]| {
            let request = browser.post(server.url(path)).form(fields);
            async move {
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), 303);
                response.headers()["location"].to_str().unwrap().to_owned()
            }
        };
        // The sign-in form's identifier on Acme's domain: to Acme's IdP, whatever the password.
        let browser = server.browser_in_interaction().await;
        let to_idp = form(&browser, "/sign-in", &[("identifier", "Grace@ACME.example"), ("password", "whatever")]).await;
        assert!(to_idp.starts_with(&upstream.issuer), "{to_idp}");
        let to_idp = form(&browser, "/sign-in/code", &[("identifier", "grace@acme.example")]).await;
        assert!(to_idp.starts_with(&upstream.issuer), "no code is sent for an SSO address: {to_idp}");
        let refused = form(&browser, "/single-sign-on", &[("identifier", "grace@elsewhere.example")]).await;
        assert!(refused.starts_with("/single-sign-on?error=session.sso_not_enabled&entered=grace%40elsewhere.example"), "{refused}");
        let page = browser.get(server.url("/single-sign-on")).header("accept", "text/html").send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Work email"), "{page}");

        // The single sign-on page, through the IdP and back: signed in, registered the first time.
        let to_idp = form(&browser, "/single-sign-on", &[("identifier", "grace@acme.example")]).await;
        let callback = server.url(&format!("/callback/sso/{connector}"));
        let idp_browser = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let back = upstream.sign_in(&idp_browser, &to_idp, "grace", &callback).await;
        let forged = back.replace("state=", "state=x");
        let refused = browser.get(&forged).send().await.unwrap().headers()["location"].to_str().unwrap().to_owned();
        assert!(refused.starts_with("/single-sign-on?error=session.state_mismatch"), "an answer for another sign-in: {refused}");
        let next = browser.get(&back).send().await.unwrap().headers()["location"].to_str().unwrap().to_owned();
        assert!(next.contains("/oidc/auth/"), "{next}");
        server.code_from(&browser, &next).await;
        assert!(identity::users::find_by_email(&server.state.store, "grace@acme.example").await.unwrap().is_some());

        // direct_sign_in=sso:<id> goes straight to the IdP; an unknown connector falls back to sign-in.
        let browser = server.browser();
        let direct = server.begin(&browser, &server.auth_url("spa", &[("direct_sign_in", &format!("sso:{connector}"))])).await;
        let to_idp = browser.get(server.url(&direct)).send().await.unwrap().headers()["location"].to_str().unwrap().to_owned();
        assert!(to_idp.starts_with(&upstream.issuer), "{direct} → {to_idp}");
        let direct = server.begin(&browser, &server.auth_url("spa", &[("direct_sign_in", "sso:nope")])).await;
        let fallback = browser.get(server.url(&direct)).send().await.unwrap().headers()["location"].to_str().unwrap().to_owned();
        assert!(fallback.starts_with("/sign-in"), "{fallback}");
    }
}
