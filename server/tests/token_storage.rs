//! Token storage (spec §5, §11; Logto's secret vault): with `enableTokenStorage` on, the
//! tokens a real upstream (panva's `oidc-provider` on loopback) gives at sign-in are kept,
//! sealed, beside the identity — from the Experience API, the Account API and enterprise SSO —
//! and handed to the account's own application, which can call the upstream with them.
//! Expired tokens are renewed with the refresh token, or dropped without one; the Management
//! API shows what is kept without the tokens; and a back end links identities itself
//! (`POST /api/connectors/:id/authorization-uri`, `POST /api/users/:id/identities`).

mod common;

use serde_json::{json, Map, Value};

const CLIENT_ID: &str = "vestibule-vault";
const CLIENT_SECRET: &str = "vault-client-secret-0123456789";
const PASSWORD: &str = "Correct-Horse-9";

fn accounts() -> Value {
    json!({
        "ada": {"email": "ada@example.com", "email_verified": true, "name": "Ada"},
        "grace": {"email": "grace@upstream.example", "email_verified": true, "name": "Grace Hopper"},
    })
}

/// A generic OIDC connector at `issuer` (target `upstream`) with token storage on.
async fn connector(server: &common::TestServer, issuer: &str) -> String {
    let m = server.management_client().await;
    let body = json!({"connectorId": "oidc", "enableTokenStorage": true, "metadata": {"target": "upstream"},
        "config": {"issuer": issuer, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "scope": "openid profile email"}});
    let (status, created) = server.call(&m, "POST", "/api/connectors", Some(body)).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!((&created["enableTokenStorage"], &created["isTokenStorageSupported"]), (&json!(true), &json!(true)));
    created["id"].as_str().unwrap().to_owned()
}

/// Ada's own application's access token for the Account API (the account center turned on,
/// connected accounts editable), with `scope`.
async fn account_client(server: &common::TestServer, scope: &str) -> reqwest::Client {
    let m = server.management_client().await;
    server.call(&m, "PATCH", "/api/account-center", Some(json!({"enabled": true, "fields": {"social": "Edit"}}))).await;
    let code = server.authorize(&server.browser(), "spa", "ada", PASSWORD, &[("scope", scope)]).await;
    common::bearer_client(server.exchange_code("spa", &code).await["access_token"].as_str().unwrap())
}

fn upstream_browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The callback's parameters, as a page would collect them into `connectorData`.
fn callback_data(back: &str) -> Map<String, Value> {
    form_urlencoded::parse(back.split_once('?').map(|(_, q)| q).unwrap_or_default().as_bytes()).map(|(k, v)| (k.into_owned(), json!(v))).collect()
}

/// What the upstream's userinfo endpoint says about the holder of `access_token`: the proof
/// that a token we hand out is the upstream's own, and live.
async fn upstream_userinfo(upstream: &common::upstream::OidcUpstream, access_token: &str) -> (u16, Value) {
    let response = reqwest::Client::new().get(format!("{}/me", upstream.issuer)).bearer_auth(access_token).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

/// `POST /api/verifications/social` and its `/verify` through the upstream as `login`.
async fn social_record(server: &common::TestServer, account: &reqwest::Client, upstream: &common::upstream::OidcUpstream, connector: &str, login: &str) -> String {
    social_record_asking(server, account, upstream, connector, login, None).await
}

/// [`social_record`], asking the upstream for `scope` instead of the connector's own.
async fn social_record_asking(server: &common::TestServer, account: &reqwest::Client, upstream: &common::upstream::OidcUpstream, connector: &str, login: &str, scope: Option<&str>) -> String {
    let callback = server.url("/callback/upstream");
    let body = json!({"connectorId": connector, "state": "vault-state", "redirectUri": callback, "scope": scope});
    let (status, started) = server.call(account, "POST", "/api/verifications/social", Some(body)).await;
    assert_eq!(status, 201, "{started}");
    let record = started["verificationRecordId"].as_str().unwrap().to_owned();
    let back = upstream.sign_in(&upstream_browser(), started["authorizationUri"].as_str().unwrap(), login, &callback).await;
    let (status, body) = server.call(account, "POST", "/api/verifications/social/verify", Some(json!({"verificationRecordId": record, "connectorData": callback_data(&back)}))).await;
    assert_eq!(status, 200, "{body}");
    record
}

async fn password_proof(server: &common::TestServer, account: &reqwest::Client) -> String {
    let (status, proof) = server.call(account, "POST", "/api/verifications/password", Some(json!({"password": PASSWORD}))).await;
    assert_eq!(status, 201, "{proof}");
    proof["verificationRecordId"].as_str().unwrap().to_owned()
}

async fn kept_sets(server: &common::TestServer) -> Vec<String> {
    sqlx::query_scalar("SELECT sealed || ' ' || metadata FROM social_token_sets").fetch_all(server.state.store.pool()).await.unwrap()
}

on_both_databases! {
    async fn a_social_sign_in_keeps_the_upstreams_tokens_and_renews_them_when_they_expire(server) {
        server.app(identity::applications::AppType::Spa, "spa").await;
        let ada = server.user("ada", PASSWORD).await;
        let upstream = common::upstream::OidcUpstream::start_with(CLIENT_ID, CLIENT_SECRET, &[&server.url("/callback/upstream")], accounts(), true);
        let connector = connector(&server, &upstream.issuer).await;

        // Ada signs in at the upstream and links it to her account (the verified address is hers).
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let callback = server.url("/callback/upstream");
        let (_, started) = server.call(&browser, "POST", &format!("/api/experience/verification/social/{connector}/authorization-uri"), Some(json!({"state": "s-1", "redirectUri": callback}))).await;
        let back = upstream.sign_in(&upstream_browser(), started["authorizationUri"].as_str().unwrap(), "ada", &callback).await;
        let id = started["verificationId"].as_str().unwrap();
        let (status, body) = server.call(&browser, "POST", &format!("/api/experience/verification/social/{connector}/verify"), Some(json!({"verificationId": id, "connectorData": callback_data(&back)}))).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id, "linkSocialIdentity": true}))).await;
        assert_eq!(status, 204, "{body}");
        assert_eq!(server.submit(&browser).await.0, 200);

        // Her application reads the upstream's access token and calls the upstream with it.
        let account = account_client(&server, "openid identities").await;
        let (status, first) = server.call(&account, "GET", "/api/my-account/identities/upstream/access-token", None).await;
        assert_eq!(status, 200, "{first}");
        assert_eq!((&first["token_type"], &first["expires_in"]), (&json!("Bearer"), &json!(600)), "{first}");
        assert!(first["scope"].as_str().unwrap().contains("email"), "{first}");
        let access = first["access_token"].as_str().unwrap().to_owned();
        let (status, info) = upstream_userinfo(&upstream, &access).await;
        assert_eq!((status, &info["sub"], &info["email"]), (200, &json!("ada"), &json!("ada@example.com")), "{info}");
        // Only sealed: not in the token set's row, not in the finished interaction.
        assert!(kept_sets(&server).await.iter().all(|row| !row.contains(&access)));
        let interactions: Vec<Option<String>> = sqlx::query_scalar("SELECT experience FROM oidc_interactions").fetch_all(server.state.store.pool()).await.unwrap();
        assert!(interactions.iter().flatten().all(|state| !state.contains(&access)));

        // The Management API shows what is kept, never the tokens.
        let m = server.management_client().await;
        let (status, plain) = server.call(&m, "GET", &format!("/api/users/{ada}/identities/upstream"), None).await;
        assert_eq!((status, &plain["identity"]["userId"], plain.get("tokenSecret")), (200, &json!("ada"), None), "{plain}");
        let (_, detailed) = server.call(&m, "GET", &format!("/api/users/{ada}/identities/upstream?includeTokenSecret=true"), None).await;
        let secret = &detailed["tokenSecret"];
        assert_eq!((&secret["type"], &secret["target"], &secret["connectorId"], &secret["identityId"]), (&json!("FederatedTokenSet"), &json!("upstream"), &json!(connector), &json!("ada")), "{detailed}");
        assert_eq!(secret["metadata"]["hasRefreshToken"], json!(true));
        assert!(!detailed.to_string().contains(&access) && secret.get("sealed").is_none());
        let (_, all) = server.call(&m, "GET", &format!("/api/users/{ada}/all-identities?includeTokenSecret=true"), None).await;
        assert_eq!(all["socialIdentities"][0]["tokenSecret"]["id"], secret["id"], "{all}");
        let (status, body) = server.call(&m, "GET", &format!("/api/users/{ada}/identities/elsewhere"), None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("user.identity_not_exist")));

        // Ten minutes later the access token has expired: it is renewed at the upstream.
        server.clock.advance_ms(601_000);
        let (status, renewed) = server.call(&account, "GET", "/api/my-account/identities/upstream/access-token", None).await;
        assert_eq!((status, &renewed["expires_in"]), (200, &json!(600)), "{renewed}");
        let renewed_access = renewed["access_token"].as_str().unwrap();
        assert_ne!(renewed_access, access);
        assert_eq!(upstream_userinfo(&upstream, renewed_access).await.1["sub"], json!("ada"));
        let (_, again) = server.call(&account, "GET", "/api/my-account/identities/upstream/access-token", None).await;
        assert_eq!(again["access_token"], json!(renewed_access), "the renewed token is kept");

        // Without the identities scope the application may not read it.
        let openid_only = account_client(&server, "openid").await;
        let (status, body) = server.call(&openid_only, "GET", "/api/my-account/identities/upstream/access-token", None).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("auth.forbidden")));
    }

    async fn without_a_refresh_token_an_expired_token_is_dropped_until_the_person_connects_again(server) {
        server.app(identity::applications::AppType::Spa, "spa").await;
        let ada = server.user("ada", PASSWORD).await;
        let m = server.management_client().await;
        let upstream = common::upstream::OidcUpstream::start(CLIENT_ID, CLIENT_SECRET, &[&server.url("/callback/upstream")], accounts());
        let connector = connector(&server, &upstream.issuer).await;
        let account = account_client(&server, "openid identities").await;
        let (status, body) = server.call(&account, "GET", "/api/my-account/identities/upstream/access-token", None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("secrets.third_party_token_set.token_not_found")));

        // Connected from the Account API: the tokens of that sign-in are kept.
        let record = social_record(&server, &account, &upstream, &connector, "ada").await;
        let proof = password_proof(&server, &account).await;
        let link = account.post(server.url("/api/my-account/identities")).header("logto-verification-id", &proof).json(&json!({"newIdentifierVerificationRecordId": record}));
        assert_eq!(link.send().await.unwrap().status(), 204);
        let (status, first) = server.call(&account, "GET", "/api/my-account/identities/upstream/access-token", None).await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(upstream_userinfo(&upstream, first["access_token"].as_str().unwrap()).await.0, 200);

        // Expired, with nothing to renew it: refused once, then gone.
        server.clock.advance_ms(601_000);
        let (status, body) = server.call(&account, "GET", "/api/my-account/identities/upstream/access-token", None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("secrets.third_party_token_set.access_token_expired")), "{body}");
        let (status, body) = server.call(&account, "GET", "/api/my-account/identities/upstream/access-token", None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("secrets.third_party_token_set.token_not_found")));

        // Signing in at the upstream again brings fresh tokens — for the identity it verified.
        let record = social_record(&server, &account, &upstream, &connector, "ada").await;
        let (status, body) = server.call(&account, "PUT", "/api/my-account/identities/elsewhere/access-token", Some(json!({"verificationRecordId": record}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("verification_record.social_verification.invalid_target")), "{body}");
        let grace = social_record(&server, &account, &upstream, &connector, "grace").await;
        let (status, body) = server.call(&account, "PUT", "/api/my-account/identities/upstream/access-token", Some(json!({"verificationRecordId": grace}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.identity_not_exists_in_current_user")), "someone else's upstream account: {body}");
        // (Asking for other scopes than the connector's, as an application wanting more would.)
        let record = social_record_asking(&server, &account, &upstream, &connector, "ada", Some("openid email")).await;
        let (status, fresh) = server.call(&account, "PUT", "/api/my-account/identities/upstream/access-token", Some(json!({"verificationRecordId": record}))).await;
        assert_eq!((status, &fresh["scope"]), (200, &json!("openid email")), "{fresh}");
        assert_eq!(first["scope"], json!("openid profile email"), "the connector's own scope, the first time");
        assert_ne!(fresh["access_token"], first["access_token"]);
        assert_eq!(upstream_userinfo(&upstream, fresh["access_token"].as_str().unwrap()).await.0, 200);

        // Turning storage off drops what was kept; so does unlinking the identity.
        let (status, body) = server.call(&m, "PATCH", &format!("/api/connectors/{connector}"), Some(json!({"enableTokenStorage": false}))).await;
        assert_eq!((status, &body["enableTokenStorage"]), (200, &json!(false)), "{body}");
        assert!(kept_sets(&server).await.is_empty());
        server.call(&m, "PATCH", &format!("/api/connectors/{connector}"), Some(json!({"enableTokenStorage": true}))).await;
        let record = social_record(&server, &account, &upstream, &connector, "ada").await;
        assert_eq!(server.call(&account, "PUT", "/api/my-account/identities/upstream/access-token", Some(json!({"verificationRecordId": record}))).await.0, 200);
        assert_eq!(kept_sets(&server).await.len(), 1);
        let proof = password_proof(&server, &account).await;
        let unlink = account.delete(server.url("/api/my-account/identities/upstream")).header("logto-verification-id", &proof);
        assert_eq!(unlink.send().await.unwrap().status(), 204);
        assert!(kept_sets(&server).await.is_empty(), "the token set goes with its identity");
        let (_, user) = server.call(&m, "GET", &format!("/api/users/{ada}"), None).await;
        assert_eq!(user["identities"], json!({}));
    }

    // Logto's `POST /api/connectors/:id/authorization-uri` and `POST /api/users/:id/identities`
    // (which Logto cannot offer for OIDC connectors: here the nonce and PKCE verifier wait in
    // the database under the state's hash).
    async fn a_back_end_links_an_upstream_identity_through_the_management_api(server) {
        let ada = server.user("ada", PASSWORD).await;
        let bob = server.user("bob", PASSWORD).await;
        let back_end_callback = "https://app.example/connect/callback";
        let upstream = common::upstream::OidcUpstream::start(CLIENT_ID, CLIENT_SECRET, &[back_end_callback], accounts());
        let connector = connector(&server, &upstream.issuer).await;
        let m = server.management_client().await;
        let start = async |state: &str| server.call(&m, "POST", &format!("/api/connectors/{connector}/authorization-uri"), Some(json!({"state": state, "redirectUri": back_end_callback}))).await;
        let (status, body) = start("").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("connector.invalid_config")), "a state is required: {body}");
        let (status, body) = server.call(&m, "POST", "/api/connectors/nope/authorization-uri", Some(json!({"state": "s", "redirectUri": back_end_callback}))).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("entity.not_exists_with_id")));

        let (status, started) = start("link-ada").await;
        assert_eq!(status, 200, "{started}");
        let back = upstream.sign_in(&upstream_browser(), started["redirectTo"].as_str().unwrap(), "ada", back_end_callback).await;
        let data = callback_data(&back);
        let mut forged = data.clone();
        forged.insert("state".into(), json!("never-started"));
        let link = async |user: &str, data: &Map<String, Value>| server.call(&m, "POST", &format!("/api/users/{user}/identities"), Some(json!({"connectorId": connector, "connectorData": data}))).await;
        let (status, body) = link(&ada, &forged).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("session.connector_validation_session_not_found")), "{body}");
        let (status, identities) = link(&ada, &data).await;
        assert_eq!((status, &identities["upstream"]["userId"]), (200, &json!("ada")), "{identities}");
        assert_eq!(identities["upstream"]["details"]["email"], json!("ada@example.com"));
        let (_, listed) = server.call(&m, "GET", "/api/users?page_size=10", None).await;
        let shown: Vec<(&Value, &Value)> = listed.as_array().unwrap().iter().map(|u| (&u["username"], &u["identities"]["upstream"]["userId"])).collect();
        assert!(shown.contains(&(&json!("ada"), &json!("ada"))) && shown.contains(&(&json!("bob"), &Value::Null)), "the users list shows identities: {listed}");
        let (status, body) = link(&ada, &data).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("session.connector_validation_session_not_found")), "the session is used once");
        // The tokens of that sign-in are kept as for any other.
        let (_, detailed) = server.call(&m, "GET", &format!("/api/users/{ada}/identities/upstream?includeTokenSecret=true"), None).await;
        assert_eq!(detailed["tokenSecret"]["identityId"], json!("ada"), "{detailed}");

        // Ada's upstream account cannot be linked to Bob too.
        let (_, started) = start("link-bob").await;
        let back = upstream.sign_in(&upstream_browser(), started["redirectTo"].as_str().unwrap(), "ada", back_end_callback).await;
        let (status, body) = link(&bob, &callback_data(&back)).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.identity_already_in_use")), "{body}");
        let (_, started) = start("link-nobody").await;
        let back = upstream.sign_in(&upstream_browser(), started["redirectTo"].as_str().unwrap(), "grace", back_end_callback).await;
        let (status, body) = link("no-such-user", &callback_data(&back)).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("entity.not_found")), "{body}");

        // Logto's `PUT …/identities/:target {userId, details}` shape links by upstream id.
        let (status, body) = server.call(&m, "PUT", &format!("/api/users/{bob}/identities/upstream"), Some(json!({"userId": "bob-upstream", "details": {"email": "bob@example.com"}}))).await;
        assert_eq!((status, &body["upstream"]["details"]["email"]), (200, &json!("bob@example.com")), "{body}");
    }

    async fn sso_sign_ins_keep_tokens_and_connectors_without_tokens_refuse_storage(server) {
        server.app(identity::applications::AppType::Spa, "spa").await;
        let ada = server.user("ada", PASSWORD).await;
        server.sign_in_experience(json!({"singleSignOnEnabled": true})).await;
        let m = server.management_client().await;
        let config = |issuer: &str| json!({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "issuer": issuer});
        let (status, created) = server
            .call(&m, "POST", "/api/sso-connectors", Some(json!({"providerName": "OIDC", "connectorName": "Acme", "domains": ["example.com"], "enableTokenStorage": true, "config": config("https://idp.invalid")})))
            .await;
        assert_eq!((status, &created["enableTokenStorage"]), (200, &json!(true)), "{created}");
        let sso = created["id"].as_str().unwrap().to_owned();
        let callback = server.url(&format!("/callback/sso/{sso}"));
        let upstream = common::upstream::OidcUpstream::start_with(CLIENT_ID, CLIENT_SECRET, &[&callback], accounts(), true);
        assert_eq!(server.call(&m, "PATCH", &format!("/api/sso-connectors/{sso}"), Some(json!({"config": config(&upstream.issuer)}))).await.0, 200);

        // Ada signs in at her organization's identity provider (her address links the identity).
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (_, started) = server.call(&browser, "POST", &format!("/api/experience/verification/sso/{sso}/authorization-uri"), Some(json!({"state": "s-sso", "redirectUri": callback}))).await;
        let back = upstream.sign_in(&upstream_browser(), started["authorizationUri"].as_str().unwrap(), "ada", &callback).await;
        let id = started["verificationId"].as_str().unwrap();
        let (status, body) = server.call(&browser, "POST", &format!("/api/experience/verification/sso/{sso}/verify"), Some(json!({"verificationId": id, "connectorData": callback_data(&back)}))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await.0, 204);
        assert_eq!(server.submit(&browser).await.0, 200);

        let (status, detailed) = server.call(&m, "GET", &format!("/api/users/{ada}/sso-identities/{sso}?includeTokenSecret=true"), None).await;
        assert_eq!((status, &detailed["ssoIdentity"]["identityId"]), (200, &json!("ada")), "{detailed}");
        let secret = &detailed["tokenSecret"];
        assert_eq!((&secret["ssoConnectorId"], &secret["issuer"], &secret["metadata"]["hasRefreshToken"]), (&json!(sso), &json!(upstream.issuer), &json!(true)), "{detailed}");
        let (status, body) = server.call(&m, "GET", &format!("/api/users/{ada}/sso-identities/nope"), None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("user.enterprise_sso_identity_not_exists")));

        let account = account_client(&server, "openid identities").await;
        let (status, token) = server.call(&account, "GET", &format!("/api/my-account/sso-identities/{sso}/access-token"), None).await;
        assert_eq!(status, 200, "{token}");
        assert_eq!(upstream_userinfo(&upstream, token["access_token"].as_str().unwrap()).await.1["sub"], json!("ada"));
        server.clock.advance_ms(601_000);
        let (status, renewed) = server.call(&account, "GET", &format!("/api/my-account/sso-identities/{sso}/access-token"), None).await;
        assert_eq!(status, 200, "{renewed}");
        assert_ne!(renewed["access_token"], token["access_token"]);
        assert_eq!(upstream_userinfo(&upstream, renewed["access_token"].as_str().unwrap()).await.0, 200);

        // Sign-ins that bring no tokens cannot store any: SAML, and Apple's ID-token-only flow.
        let (status, body) = server.call(&m, "POST", "/api/sso-connectors", Some(json!({"providerName": "SAML", "connectorName": "Globex", "enableTokenStorage": true}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("connector.invalid_config")), "{body}");
        let (status, body) = server.call(&m, "POST", "/api/connectors", Some(json!({"connectorId": "apple-universal", "config": {"clientId": "com.example.web"}, "enableTokenStorage": true}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("connector.invalid_config")), "{body}");
        let (status, apple) = server.call(&m, "POST", "/api/connectors", Some(json!({"connectorId": "apple-universal", "config": {"clientId": "com.example.web"}}))).await;
        assert_eq!((status, &apple["isTokenStorageSupported"], &apple["enableTokenStorage"]), (200, &json!(false), &json!(false)), "{apple}");
    }
}
