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

        // The browser is told not to register the same authenticator again for the user.
        let (_, started) = server.call(&browser, "POST", "/api/experience/verification/web-authn/registration", None).await;
        assert_eq!(started["registrationOptions"]["excludeCredentials"][0]["id"], stored[0].0);

        // The Management API lists it (without key material) and removes it; the next sign-in
        // then asks for a factor to be bound again.
        let admin = server.management_client().await;
        let (status, listed) = server.call(&admin, "GET", &format!("/api/users/{user_id}/mfa-verifications"), None).await;
        assert_eq!(status, 200, "{listed}");
        assert_eq!(listed.as_array().map(Vec::len), Some(1));
        assert_eq!(listed[0]["type"], "WebAuthn");
        let fields: Vec<&str> = listed[0].as_object().unwrap().keys().map(String::as_str).collect();
        assert!(fields.iter().all(|f| ["id", "type", "createdAt", "lastUsedAt", "agent", "name"].contains(f)), "no credential material: {listed}");
        let id = listed[0]["id"].as_str().unwrap();
        assert_eq!(server.call(&admin, "DELETE", &format!("/api/users/{user_id}/mfa-verifications/{id}"), None).await.0, 204);
        assert!(credentials_of(&server, &user_id).await.is_empty());
        let browser = server.identified("alice", STRONG).await;
        assert_eq!(server.submit(&browser).await.1["code"], "user.missing_mfa");
    }

    async fn cloned_authenticators_missing_verification_and_other_origins_are_refused(server) {
        server.sign_in_experience(json!({"mfa": {"factors": ["WebAuthn"], "policy": "Mandatory"}, "sentinelPolicy": {"maxAttempts": 5, "lockoutDuration": 10}})).await;
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

        // A clone that asked for its challenge before the original signed in: the challenge
        // remembers the older counter, the stored counter has moved on.
        let mut early_clone = authenticator.clone();
        let clone_browser = server.identified("bob", STRONG).await;
        let (early, early_options) = challenge(&server, &clone_browser).await;
        let owner_browser = server.identified("bob", STRONG).await;
        let (id, options) = challenge(&server, &owner_browser).await;
        assert_eq!(verify(&server, &owner_browser, &id, authenticator.authenticate(&options)).await.0, 200);
        let (status, body) = verify(&server, &clone_browser, &early, early_clone.authenticate(&early_options)).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.webauthn_verification_failed")), "clone with a stale challenge");
        assert_eq!(server.submit(&clone_browser).await.0, 403);

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

        // Garbage is a failed verification, not a server error — and, as the fifth failure, the
        // one that locks (Logto answers the attempt that reaches the limit as blocked).
        let (id, _) = challenge(&server, &browser).await;
        let (status, body) = verify(&server, &browser, &id, json!({"id": 1, "response": "nope"})).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.verification_blocked_too_many_attempts")));

        // Locked: even the real authenticator is refused.
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

        // Unknown accounts and accounts without passkeys get the same answer (Logto's, from
        // experience-api/verifications/web-authn-verification.test.ts), under either path name.
        server.user("dan", STRONG).await;
        for (who, path) in [("dan", "sign-in-passkey"), ("nobody", "sign-in-passkey"), ("dan", "sign-in-web-authn")] {
            let (status, body) = server.call(&browser, "POST", &format!("/api/experience/verification/{path}/authentication"), Some(json!({"identifier": {"type": "username", "value": who}}))).await;
            assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.webauthn_verification_not_found")), "{who}");
        }
        // An answer to a challenge that does not exist, with or without an id: 404.
        for body in [json!({"verificationId": "non-existent", "payload": {"id": "x"}}), json!({"payload": {"id": "x"}})] {
            let (status, answer) = server.call(&browser, "POST", "/api/experience/verification/sign-in-web-authn/authentication/verify", Some(body)).await;
            assert_eq!((status, answer["code"].as_str()), (404, Some("session.verification_session_not_found")));
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
        // With an identifier, off says nothing about the account.
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/sign-in-passkey/authentication", Some(json!({"identifier": {"type": "username", "value": "carol"}}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.webauthn_verification_not_found")));
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
        // The hosted page keeps saying "suggested" when a wrong code brings it back.
        let response = browser.post(server.url("/mfa/bind/totp")).form(&[("code", "00000"), ("factors", "Totp"), ("skippable", "true"), ("suggestion", "true")]).send().await.unwrap();
        let location = response.headers()[reqwest::header::LOCATION].to_str().unwrap();
        assert!(location.starts_with("/mfa/bind?error=") && location.contains("suggestion=true"), "{location}");
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
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/web-authn/authentication", None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.mfa_factor_not_enabled")), "nor is a bound passkey asked for");
    }

    async fn backup_codes_are_bound_beside_a_new_passkey(server) {
        server.sign_in_experience(json!({"mfa": {"factors": ["WebAuthn", "BackupCode"], "policy": "Mandatory"}})).await;
        let user_id = server.user("kim", STRONG).await;
        let mut authenticator = SoftAuthenticator::new(&server.base);
        let browser = server.identified("kim", STRONG).await;
        // Started twice (a reloaded page): only the latest challenge is live.
        let (_, stale) = server.call(&browser, "POST", "/api/experience/verification/web-authn/registration", None).await;
        let (_, started) = server.call(&browser, "POST", "/api/experience/verification/web-authn/registration", None).await;
        let answer = authenticator.register(&started["registrationOptions"]);
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/web-authn/registration/verify",
            Some(json!({"verificationId": stale["verificationId"], "payload": answer}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.webauthn_verification_not_found")));
        // Sent to the wrong endpoint, a ceremony is refused there and still answers at its own.
        let (status, _) = verify(&server, &browser, started["verificationId"].as_str().unwrap(), answer.clone()).await;
        assert_eq!(status, 400);
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/web-authn/registration/verify",
            Some(json!({"verificationId": started["verificationId"], "payload": answer}))).await;
        assert_eq!(status, 200, "{body}");
        let id = started["verificationId"].clone();

        assert_eq!(server.call(&browser, "POST", "/api/experience/profile/mfa", Some(json!({"type": "WebAuthn", "verificationId": id}))).await.0, 204);
        assert_eq!(server.submit(&browser).await.1["code"], "session.mfa.backup_code_required");
        let (_, generated) = server.call(&browser, "POST", "/api/experience/verification/backup-code/generate", None).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile/mfa", Some(json!({"type": "BackupCode", "verificationId": generated["verificationId"]}))).await;
        assert_eq!(status, 204, "the passkey being bound is the other factor: {body}");
        assert_eq!(server.submit(&browser).await.0, 200);
        let mut kinds: Vec<&str> = identity::mfa::factors(&server.state.store, &user_id).await.unwrap().iter().map(|f| f.factor.as_str()).collect();
        kinds.sort();
        assert_eq!(kinds, vec!["BackupCode", "WebAuthn"]);

        // Both are offered at the next sign-in, the passkey first; a backup code does.
        let browser = server.identified("kim", STRONG).await;
        let (status, body) = server.submit(&browser).await;
        assert_eq!((status, body["data"]["availableFactors"].clone()), (403, json!(["WebAuthn", "BackupCode"])));
        let code = generated["codes"][0].as_str().unwrap();
        assert_eq!(server.call(&browser, "POST", "/api/experience/verification/backup-code/verify", Some(json!({"code": code}))).await.0, 200);
        assert_eq!(server.submit(&browser).await.0, 200);
    }

    async fn another_accounts_passkey_cannot_answer_for_a_user(server) {
        server.sign_in_experience(json!({"mfa": {"factors": ["WebAuthn"], "policy": "Mandatory"}, "sentinelPolicy": {"maxAttempts": 5, "lockoutDuration": 10}})).await;
        let mut keys = Vec::new();
        for name in ["lena", "mike"] {
            server.user(name, STRONG).await;
            let mut authenticator = SoftAuthenticator::new(&server.base);
            let browser = server.identified(name, STRONG).await;
            let id = register(&server, &browser, &mut authenticator).await;
            server.call(&browser, "POST", "/api/experience/profile/mfa", Some(json!({"type": "WebAuthn", "verificationId": id}))).await;
            assert_eq!(server.submit(&browser).await.0, 200);
            keys.push(authenticator);
        }
        // Mike's authenticator, told to ignore which credentials lena's challenge names.
        let browser = server.identified("lena", STRONG).await;
        let (id, mut options) = challenge(&server, &browser).await;
        options["allowCredentials"] = json!([]);
        let (status, body) = verify(&server, &browser, &id, keys[1].authenticate(&options)).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.webauthn_verification_failed")));
        assert_eq!(server.submit(&browser).await.0, 403, "lena's second factor is still unverified");
        // Nor does a passkey sign-in started for lena accept mike's passkey.
        server.sign_in_experience(json!({"passkeySignIn": {"enabled": true}})).await;
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (_, started) = server.call(&browser, "POST", "/api/experience/verification/sign-in-passkey/authentication", Some(json!({"identifier": {"type": "username", "value": "lena"}}))).await;
        let mut options = started["authenticationOptions"].clone();
        options["allowCredentials"] = json!([]);
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/sign-in-passkey/authentication/verify",
            Some(json!({"verificationId": started["verificationId"], "payload": keys[1].authenticate(&options)}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.webauthn_verification_failed")));
        // An answer with no challenge at all is a missing verification.
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/sign-in-passkey/authentication/verify",
            Some(json!({"payload": keys[0].authenticate(&options)}))).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("session.verification_session_not_found")));
        // Anyone who knows lena's username can ask for her challenge and answer it wrongly: her
        // WebAuthn lockout counts those too (two failures so far; the fifth is answered as
        // blocked, as Logto counts it), and then even her own passkey is refused.
        let sign_in_with = |mut key: SoftAuthenticator, disguised: bool| {
            let (server, browser) = (&server, &browser);
            async move {
                let (_, started) = server.call(browser, "POST", "/api/experience/verification/sign-in-passkey/authentication", Some(json!({"identifier": {"type": "username", "value": "lena"}}))).await;
                let mut options = started["authenticationOptions"].clone();
                if disguised {
                    options["allowCredentials"] = json!([]);
                }
                server.call(browser, "POST", "/api/experience/verification/sign-in-passkey/authentication/verify",
                    Some(json!({"verificationId": started["verificationId"], "payload": key.authenticate(&options)}))).await
            }
        };
        for _ in 0..2 {
            assert_eq!(sign_in_with(keys[1].clone(), true).await.1["code"], "session.mfa.webauthn_verification_failed");
        }
        assert_eq!(sign_in_with(keys[1].clone(), true).await.1["code"], "session.verification_blocked_too_many_attempts");
        let (status, body) = sign_in_with(keys[0].clone(), false).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.verification_blocked_too_many_attempts")));
    }

    async fn a_credential_is_registered_to_one_account_only(server) {
        server.sign_in_experience(json!({"mfa": {"factors": ["WebAuthn"], "policy": "Mandatory"}})).await;
        server.user("olga", STRONG).await;
        let mallory_id = server.user("mallory", STRONG).await;
        let mut authenticator = SoftAuthenticator::new(&server.base);
        let olga = server.identified("olga", STRONG).await;
        let mallory = server.identified("mallory", STRONG).await;
        // Both register "the same" credential before either submits: a forged authenticator
        // replays olga's credential id and key for mallory.
        let olgas = register(&server, &olga, &mut authenticator).await;
        let mut forged = authenticator.clone();
        forged.reuses_credential = true;
        let mallorys = register(&server, &mallory, &mut forged).await;
        server.call(&olga, "POST", "/api/experience/profile/mfa", Some(json!({"type": "WebAuthn", "verificationId": olgas}))).await;
        assert_eq!(server.submit(&olga).await.0, 200);
        // Mallory's submit fails as a whole: no credential, no flag, no completed sign-in.
        server.call(&mallory, "POST", "/api/experience/profile/mfa", Some(json!({"type": "WebAuthn", "verificationId": mallorys}))).await;
        let (status, body) = server.submit(&mallory).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.webauthn_already_in_use")));
        assert!(credentials_of(&server, &mallory_id).await.is_empty());
        assert!(identity::users::logto_config(&server.state.store, &mallory_id).await.unwrap()["mfa"]["enabled"].is_null(), "nothing of the failed submit is kept");
        assert_eq!(server.submit(&mallory).await.1["code"], "user.webauthn_already_in_use", "the sign-in was not completed");
        // Once stored, the credential is refused as soon as it is presented again.
        let (_, started) = server.call(&mallory, "POST", "/api/experience/verification/web-authn/registration", None).await;
        let (status, body) = server.call(&mallory, "POST", "/api/experience/verification/web-authn/registration/verify",
            Some(json!({"verificationId": started["verificationId"], "payload": forged.register(&started["registrationOptions"])}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.webauthn_already_in_use")));
    }

    async fn a_passkey_sign_in_can_add_an_authenticator_app_when_suggested(server) {
        server.sign_in_experience(json!({
            "passkeySignIn": {"enabled": true, "showPasskeyButton": true},
            "mfa": {"factors": ["WebAuthn", "Totp"], "policy": "Mandatory"},
        })).await;
        let user_id = server.user("nina", STRONG).await;
        let mut authenticator = SoftAuthenticator::new(&server.base);
        let browser = server.identified("nina", STRONG).await;
        let id = register(&server, &browser, &mut authenticator).await;
        server.call(&browser, "POST", "/api/experience/profile/mfa", Some(json!({"type": "WebAuthn", "verificationId": id}))).await;
        assert_eq!(server.submit(&browser).await.1["code"], "session.mfa.suggest_additional_mfa");
        // Under a mandatory policy, "turn on two-step verification" is not the user's call.
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile/mfa/mfa-enabled", None).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("session.mfa.mfa_policy_not_user_controlled")));
        assert_eq!(server.call(&browser, "POST", "/api/experience/profile/mfa/mfa-suggestion-skipped", None).await.0, 204);
        assert_eq!(server.submit(&browser).await.0, 200);

        // Next time nina signs in with the passkey alone, changes her mind, and adds an app:
        // the passkey sign-in already counts as her second factor, so binding needs nothing more.
        identity::users::set_config_flag(&mut *server.state.store.pool().acquire().await.unwrap(), &user_id, "mfa", "additionalBindingSuggestionSkipped", false).await.unwrap();
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (_, started) = server.call(&browser, "POST", "/api/experience/preflight/sign-in-passkey/authentication", None).await;
        let answer = authenticator.authenticate(&started["authenticationOptions"]);
        let (_, verified) = server.call(&browser, "POST", "/api/experience/verification/sign-in-passkey/authentication/verify", Some(json!({"payload": answer}))).await;
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": verified["verificationId"]}))).await.0, 204);
        let (status, body) = server.submit(&browser).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("session.mfa.suggest_additional_mfa")), "{body}");
        let (_, created) = server.call(&browser, "POST", "/api/experience/verification/totp/secret", None).await;
        let code = identity::mfa::totp::code_at(created["secret"].as_str().unwrap(), identity::Clock::now_ms(&server.clock)).unwrap();
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/totp/verify", Some(json!({"code": code, "verificationId": created["verificationId"]}))).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile/mfa", Some(json!({"type": "Totp", "verificationId": created["verificationId"]}))).await;
        assert_eq!(status, 204, "{body}");
        assert_eq!(server.submit(&browser).await.0, 200);
        let mut kinds: Vec<&str> = identity::mfa::factors(&server.state.store, &user_id).await.unwrap().iter().map(|f| f.factor.as_str()).collect();
        kinds.sort();
        assert_eq!(kinds, vec!["Totp", "WebAuthn"]);
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
