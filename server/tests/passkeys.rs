//! WebAuthn through the Experience API (spec §3, §6): passkeys as a second factor and as the
//! first, under the MFA policies, with the checks a relying party owes its users — challenge
//! single use, sign counter (cloned authenticators), user verification, origin, lockout —
//! and ceremonies finished by another node. On SQLite and PostgreSQL, with a software
//! authenticator written independently of the server's WebAuthn library.

mod common;

use common::passkey::SoftAuthenticator;
use serde_json::{json, Value};

const STRONG: &str = "Maple-Orbit-72!";

/// Registration options → the authenticator → verify; returns the verification id.
async fn register(server: &common::TestServer, browser: &reqwest::Client, authenticator: &mut SoftAuthenticator) -> String {
    let (status, started) = server.call(browser, "POST", "/api/experience/verification/web-authn/registration", None).await;
    assert_eq!(status, 200, "{started}");
    let options = &started["registrationOptions"];
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required", "passkeys are discoverable");
    assert_eq!(options["authenticatorSelection"]["userVerification"], "required");
    let id = started["verificationId"].as_str().unwrap().to_owned();
    let answer = authenticator.register(options);
    let (status, body) = server.call(browser, "POST", "/api/experience/verification/web-authn/registration/verify", Some(json!({"verificationId": id, "payload": answer}))).await;
    assert_eq!(status, 200, "{body}");
    id
}

/// Authentication options for the identified user; returns (verificationId, options).
async fn challenge(server: &common::TestServer, browser: &reqwest::Client) -> (String, Value) {
    let (status, started) = server.call(browser, "POST", "/api/experience/verification/web-authn/authentication", None).await;
    assert_eq!(status, 200, "{started}");
    (started["verificationId"].as_str().unwrap().to_owned(), started["authenticationOptions"].clone())
}

async fn verify(server: &common::TestServer, browser: &reqwest::Client, id: &str, answer: Value) -> (u16, Value) {
    server.call(browser, "POST", "/api/experience/verification/web-authn/authentication/verify", Some(json!({"verificationId": id, "payload": answer}))).await
}

async fn credentials_of(server: &common::TestServer, user_id: &str) -> Vec<(String, Value)> {
    let rows: Vec<(Option<String>, String)> = sqlx::query_as("SELECT credential_id, data FROM mfa_verifications WHERE user_id = $1 AND type = 'WebAuthn'")
        .bind(user_id)
        .fetch_all(server.state.store.pool())
        .await
        .unwrap();
    rows.into_iter().map(|(id, data)| (id.expect("credential id column set"), serde_json::from_str(&data).unwrap())).collect()
}

on_both_databases! { at localhost:
    async fn a_passkey_is_bound_as_a_second_factor_and_asked_for_at_sign_in(server) {
        server.sign_in_experience(json!({"mfa": {"factors": ["WebAuthn"], "policy": "Mandatory"}})).await;
        let user_id = server.user("alice", STRONG).await;
        let mut authenticator = SoftAuthenticator::new(&server.base);

        let browser = server.identified("alice", STRONG).await;
        let (status, body) = server.submit(&browser).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.missing_mfa")));
        assert_eq!(body["data"]["availableFactors"], json!(["WebAuthn"]));
        let id = register(&server, &browser, &mut authenticator).await;
        assert!(credentials_of(&server, &user_id).await.is_empty(), "nothing is stored before submit");
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile/mfa", Some(json!({"type": "WebAuthn", "verificationId": "another"}))).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("session.verification_session_not_found")));
        assert_eq!(server.call(&browser, "POST", "/api/experience/profile/mfa", Some(json!({"type": "WebAuthn", "verificationId": id}))).await.0, 204);
        assert_eq!(server.submit(&browser).await.0, 200);
        let stored = credentials_of(&server, &user_id).await;
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].1["rpId"], "localhost");
        assert_eq!(identity::users::logto_config(&server.state.store, &user_id).await.unwrap()["mfa"]["enabled"], true);

        // The next sign-in needs the passkey.
        let browser = server.identified("alice", STRONG).await;
        let (status, body) = server.submit(&browser).await;
        assert_eq!((status, body["data"]["availableFactors"].clone()), (403, json!(["WebAuthn"])));
        let (id, options) = challenge(&server, &browser).await;
        assert_eq!(options["allowCredentials"][0]["id"], stored[0].0, "the user's credential is named");
        assert_eq!(options["userVerification"], "required");
        let answer = authenticator.authenticate(&options);
        let (status, body) = verify(&server, &browser, &id, answer.clone()).await;
        assert_eq!(status, 200, "{body}");
        // A challenge is answered once; an old answer does not fit a new challenge.
        let (status, body) = verify(&server, &browser, &id, answer.clone()).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.webauthn_verification_not_found")));
        let (fresh, _) = challenge(&server, &browser).await;
        let (status, body) = verify(&server, &browser, &fresh, answer).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.webauthn_verification_failed")));
        let (status, body) = server.submit(&browser).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(credentials_of(&server, &user_id).await[0].1["counter"], 1, "the sign counter is kept");

        // The same authenticator cannot be registered twice for the user.
        let (_, started) = server.call(&browser, "POST", "/api/experience/verification/web-authn/registration", None).await;
        assert_eq!(started["registrationOptions"]["excludeCredentials"][0]["id"], stored[0].0);

        // The Management API lists it (without key material) and removes it.
        let listed = identity::mfa::factors(&server.state.store, &user_id).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].factor, identity::mfa::MfaFactor::WebAuthn);
    }

    async fn cloned_authenticators_missing_verification_and_other_origins_are_refused(server) {
        server.sign_in_experience(json!({"mfa": {"factors": ["WebAuthn"], "policy": "Mandatory"}, "sentinelPolicy": {"maxAttempts": 4, "lockoutDuration": 10}})).await;
        server.user("bob", STRONG).await;
        let mut authenticator = SoftAuthenticator::new(&server.base);
        let browser = server.identified("bob", STRONG).await;
        let id = register(&server, &browser, &mut authenticator).await;
        server.call(&browser, "POST", "/api/experience/profile/mfa", Some(json!({"type": "WebAuthn", "verificationId": id}))).await;
        assert_eq!(server.submit(&browser).await.0, 200);

        // A copy of the authenticator's key, used after the original: its counter did not grow.
        let mut clone = authenticator.clone();
        let browser = server.identified("bob", STRONG).await;
        let (id, options) = challenge(&server, &browser).await;
        assert_eq!(verify(&server, &browser, &id, authenticator.authenticate(&options)).await.0, 200);
        let browser = server.identified("bob", STRONG).await;
        let (id, options) = challenge(&server, &browser).await;
        let (status, body) = verify(&server, &browser, &id, clone.authenticate(&options)).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.webauthn_verification_failed")), "cloned authenticator");

        // No user verification (no PIN or biometric): refused.
        let mut careless = authenticator.clone();
        careless.verifies_user = false;
        let (id, options) = challenge(&server, &browser).await;
        assert_eq!(verify(&server, &browser, &id, careless.authenticate(&options)).await.1["code"], "session.mfa.webauthn_verification_failed");

        // A look-alike site relaying our challenge: the origin gives it away.
        let mut phished = authenticator.clone();
        phished.origin = "https://vestibule.example.evil".into();
        let (id, options) = challenge(&server, &browser).await;
        assert_eq!(verify(&server, &browser, &id, phished.authenticate(&options)).await.1["code"], "session.mfa.webauthn_verification_failed");

        // Garbage is a failed verification, not a server error.
        let (id, _) = challenge(&server, &browser).await;
        let (status, body) = verify(&server, &browser, &id, json!({"id": 1, "response": "nope"})).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.webauthn_verification_failed")));

        // Four failures lock WebAuthn for this user, even for the real authenticator.
        let (id, options) = challenge(&server, &browser).await;
        let (status, body) = verify(&server, &browser, &id, authenticator.authenticate(&options)).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.verification_blocked_too_many_attempts")));
        assert_eq!(server.submit(&browser).await.0, 403, "MFA is still unverified");
    }

    async fn passkeys_sign_in_without_a_password(server) {
        server.sign_in_experience(json!({
            "passkeySignIn": {"enabled": true, "showPasskeyButton": true, "allowAutofill": true},
            "mfa": {"factors": ["Totp"], "policy": "Mandatory"},
        })).await;
        let user_id = server.user("carol", STRONG).await;
        let mut authenticator = SoftAuthenticator::new(&server.base);
        // An operator-given authenticator app: password sign-ins must verify it, passkey
        // sign-ins need not.
        let secret = identity::mfa::add_totp(&server.state.store, &server.clock, &server.state.provider.at_rest, &user_id, None).await.unwrap();

        // Signed in with a password (and the app), carol is offered a passkey.
        let browser = server.identified("carol", STRONG).await;
        assert_eq!(server.submit(&browser).await.0, 403);
        let code = identity::mfa::totp::code_at(&secret, identity::Clock::now_ms(&server.clock)).unwrap();
        assert_eq!(server.call(&browser, "POST", "/api/experience/verification/totp/verify", Some(json!({"code": code}))).await.0, 200);
        let (status, body) = server.submit(&browser).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.passkey_preferred")));
        let id = register(&server, &browser, &mut authenticator).await;
        assert_eq!(server.call(&browser, "POST", "/api/experience/profile/mfa/passkey", Some(json!({"verificationId": id}))).await.0, 204);
        assert_eq!(server.submit(&browser).await.0, 200);
        assert_eq!(credentials_of(&server, &user_id).await.len(), 1);

        // Button / autofill: the preflight needs no PUT; the authenticator names the user.
        let browser = server.browser_in_interaction().await;
        let (status, started) = server.call(&browser, "POST", "/api/experience/preflight/sign-in-passkey/authentication", None).await;
        assert_eq!(status, 200, "{started}");
        assert!(started["authenticationOptions"]["allowCredentials"].as_array().is_none_or(|l| l.is_empty()), "discoverable");
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let answer = authenticator.authenticate(&started["authenticationOptions"]);
        let (status, verified) = server.call(&browser, "POST", "/api/experience/verification/sign-in-passkey/authentication/verify", Some(json!({"payload": answer}))).await;
        assert_eq!(status, 200, "{verified}");
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": verified["verificationId"]}))).await.0, 204);
        let (status, body) = server.submit(&browser).await;
        assert_eq!(status, 200, "a passkey sign-in needs no second factor: {body}");
        let redirect_to = body["redirectTo"].as_str().unwrap().to_owned();
        let code = server.code_from(&browser, &redirect_to).await;
        let tokens = server.exchange_code("spa", &code).await;
        assert_eq!(server.verify_jwt(tokens["id_token"].as_str().unwrap(), "spa").await["sub"], user_id);

        // After an identifier: the user's credentials are named.
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (status, started) = server.call(&browser, "POST", "/api/experience/verification/sign-in-passkey/authentication", Some(json!({"identifier": {"type": "username", "value": "carol"}}))).await;
        assert_eq!(status, 200, "{started}");
        assert_eq!(started["authenticationOptions"]["allowCredentials"].as_array().map(Vec::len), Some(1));
        let answer = authenticator.authenticate(&started["authenticationOptions"]);
        let (status, verified) = server.call(&browser, "POST", "/api/experience/verification/sign-in-passkey/authentication/verify",
            Some(json!({"verificationId": started["verificationId"], "payload": answer}))).await;
        assert_eq!(status, 200, "{verified}");
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": verified["verificationId"]}))).await.0, 204);
        assert_eq!(server.submit(&browser).await.0, 200);

        // Unknown accounts and accounts without passkeys get the same answer.
        server.user("dan", STRONG).await;
        for who in ["dan", "nobody"] {
            let (status, body) = server.call(&browser, "POST", "/api/experience/verification/sign-in-passkey/authentication", Some(json!({"identifier": {"type": "username", "value": who}}))).await;
            assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.webauthn_credentials_not_found")), "{who}");
        }

        // "Not now" is remembered at sign-in.
        server.sign_in_experience(json!({"mfa": {"factors": [], "policy": "NoPrompt"}})).await;
        let browser = server.identified("dan", STRONG).await;
        assert_eq!(server.submit(&browser).await.1["code"], "user.passkey_preferred");
        assert_eq!(server.call(&browser, "POST", "/api/experience/profile/mfa/passkey-skipped", None).await.0, 204);
        assert_eq!(server.submit(&browser).await.0, 200);
        let browser = server.identified("dan", STRONG).await;
        assert_eq!(server.submit(&browser).await.0, 200, "not asked again");

        // Passkey sign-in switched off: the endpoints refuse.
        server.sign_in_experience(json!({"passkeySignIn": {"enabled": false}})).await;
        let browser = server.browser_in_interaction().await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/preflight/sign-in-passkey/authentication", None).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.sign_in_method_not_enabled")));
    }

    async fn a_passkey_that_also_signs_in_gets_a_second_factor_suggested(server) {
        server.sign_in_experience(json!({
            "passkeySignIn": {"enabled": true, "showPasskeyButton": true},
            "mfa": {"factors": ["WebAuthn", "Totp"], "policy": "PromptAtSignInAndSignUp"},
        })).await;
        let user_id = server.user("ida", STRONG).await;
        let mut authenticator = SoftAuthenticator::new(&server.base);
        let browser = server.identified("ida", STRONG).await;
        assert_eq!(server.submit(&browser).await.1["code"], "user.passkey_preferred", "the passkey offer comes first");
        let id = register(&server, &browser, &mut authenticator).await;
        server.call(&browser, "POST", "/api/experience/profile/mfa", Some(json!({"type": "WebAuthn", "verificationId": id}))).await;
        let (status, body) = server.submit(&browser).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("session.mfa.suggest_additional_mfa")));
        assert_eq!(body["data"], json!({"availableFactors": ["Totp"], "maskedIdentifiers": {}, "isWebAuthnUsedAsSignInPasskey": true, "skippable": true, "suggestion": true}));
        assert_eq!(server.call(&browser, "POST", "/api/experience/profile/mfa/mfa-suggestion-skipped", None).await.0, 204);
        assert_eq!(server.submit(&browser).await.0, 200);
        assert_eq!(identity::users::logto_config(&server.state.store, &user_id).await.unwrap()["mfa"]["additionalBindingSuggestionSkipped"], true);

        // Remembered: the next sign-in verifies the passkey and completes.
        let browser = server.identified("ida", STRONG).await;
        let (id, options) = challenge(&server, &browser).await;
        assert_eq!(verify(&server, &browser, &id, authenticator.authenticate(&options)).await.0, 200);
        assert_eq!(server.submit(&browser).await.0, 200);
    }

    async fn any_node_finishes_a_ceremony_another_began(server) {
        server.sign_in_experience(json!({"mfa": {"factors": ["WebAuthn"], "policy": "Mandatory"}})).await;
        server.user("erin", STRONG).await;
        let peer = server.peer_node().await;
        let mut authenticator = SoftAuthenticator::new(&server.base);
        let browser = server.identified("erin", STRONG).await;
        let (_, started) = server.call(&browser, "POST", "/api/experience/verification/web-authn/registration", None).await;
        let answer = authenticator.register(&started["registrationOptions"]);
        // The answer reaches the other node (cookies are per host, not per port).
        let (status, body) = peer.call(&browser, "POST", "/api/experience/verification/web-authn/registration/verify",
            Some(json!({"verificationId": started["verificationId"], "payload": answer}))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(peer.call(&browser, "POST", "/api/experience/profile/mfa", Some(json!({"type": "WebAuthn", "verificationId": started["verificationId"]}))).await.0, 204);
        assert_eq!(peer.submit(&browser).await.0, 200);
    }

    async fn mfa_can_be_chosen_when_suggested(server) {
        server.sign_in_experience(json!({"mfa": {"factors": ["WebAuthn", "Totp"], "policy": "PromptAtSignInAndSignUp"}})).await;
        let user_id = server.user("frank", STRONG).await;
        let browser = server.identified("frank", STRONG).await;
        let (status, body) = server.submit(&browser).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.suggest_mfa")));
        assert_eq!(body["data"]["availableFactors"], json!(["WebAuthn", "Totp"]), "WebAuthn first");
        assert_eq!(server.call(&browser, "POST", "/api/experience/profile/mfa/mfa-enabled", None).await.0, 204);
        let (status, body) = server.submit(&browser).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.missing_mfa")), "chosen: binding is now expected");
        assert_eq!(body["data"]["skippable"], true);
        let mut authenticator = SoftAuthenticator::new(&server.base);
        let id = register(&server, &browser, &mut authenticator).await;
        server.call(&browser, "POST", "/api/experience/profile/mfa", Some(json!({"type": "WebAuthn", "verificationId": id}))).await;
        assert_eq!(server.submit(&browser).await.0, 200);
        assert_eq!(identity::users::logto_config(&server.state.store, &user_id).await.unwrap()["mfa"]["enabled"], true);
        // WebAuthn switched off as a factor and passkey sign-in off: registration is refused.
        server.sign_in_experience(json!({"mfa": {"factors": ["Totp"], "policy": "PromptAtSignInAndSignUp"}})).await;
        let browser = server.identified("frank", STRONG).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/web-authn/registration", None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.mfa_factor_not_enabled")));
    }
}

on_both_databases! { at localhost:
    // The pages carry a started ceremony and post the browser's answer as a plain form; here
    // the software authenticator plays the browser.
    async fn the_hosted_pages_offer_passkeys_and_their_forms_sign_in(server) {
        server.sign_in_experience(json!({"passkeySignIn": {"enabled": true, "showPasskeyButton": true, "allowAutofill": true}})).await;
        let user_id = server.user("hedy", STRONG).await;
        let mut authenticator = SoftAuthenticator::new(&server.base);
        let browser = server.identified("hedy", STRONG).await;
        let id = register(&server, &browser, &mut authenticator).await;
        server.call(&browser, "POST", "/api/experience/profile/mfa/passkey", Some(json!({"verificationId": id}))).await;
        assert_eq!(server.submit(&browser).await.0, 200);

        let browser = server.browser();
        let location = server.begin(&browser, &server.auth_url("spa", &[])).await;
        let page = browser.get(server.url(&location)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Sign in with a passkey"), "the button is offered");
        assert!(page.contains(r#"autocomplete="username webauthn""#), "passkeys in the identifier's autofill");
        assert!(page.contains("Passkeys need JavaScript"), "and without JavaScript the page says why it cannot");

        let form = |verification_id: String, credential: String| {
            let (browser, server) = (&browser, &server);
            async move {
                let response = browser.post(server.url("/sign-in/passkey")).form(&[("verification_id", verification_id), ("credential", credential)]).send().await.unwrap();
                assert_eq!(response.status(), 303);
                response.headers()[reqwest::header::LOCATION].to_str().unwrap().to_owned()
            }
        };
        let (_, started) = server.call(&browser, "POST", "/api/experience/preflight/sign-in-passkey/authentication", None).await;
        let id = started["verificationId"].as_str().unwrap().to_owned();
        let refused = form(id, "{not json".into()).await;
        assert!(refused.starts_with("/sign-in?error=session.mfa.webauthn_verification_failed"), "{refused}");
        let (_, started) = server.call(&browser, "POST", "/api/experience/preflight/sign-in-passkey/authentication", None).await;
        let answer = authenticator.authenticate(&started["authenticationOptions"]);
        let next = form(started["verificationId"].as_str().unwrap().to_owned(), answer.to_string()).await;
        assert!(next.contains("/oidc/auth/"), "signed in, back to the authorization request: {next}");
        let code = server.code_from(&browser, &next).await;
        let tokens = server.exchange_code("spa", &code).await;
        assert_eq!(server.verify_jwt(tokens["id_token"].as_str().unwrap(), "spa").await["sub"], user_id);
    }
}

/// WebAuthn needs a domain name: a server published at an IP address says so clearly.
#[tokio::test]
async fn an_ip_address_endpoint_cannot_offer_passkeys() {
    let server = common::TestServer::on_sqlite().await;
    server.sign_in_experience(json!({"mfa": {"factors": ["WebAuthn"], "policy": "Mandatory"}})).await;
    server.user("gina", STRONG).await;
    let browser = server.identified("gina", STRONG).await;
    let (status, body) = server.call(&browser, "POST", "/api/experience/verification/web-authn/registration", None).await;
    assert_eq!((status, body["code"].as_str()), (501, Some("session.mfa.webauthn_unavailable")));
    // Nobody is asked to create a passkey that cannot work.
    server.sign_in_experience(json!({"mfa": {"factors": [], "policy": "NoPrompt"}, "passkeySignIn": {"enabled": true, "showPasskeyButton": true}})).await;
    let browser = server.identified("gina", STRONG).await;
    assert_eq!(server.submit(&browser).await.0, 200);
}
