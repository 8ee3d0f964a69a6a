//! The Experience API's guards on the profile step, as Logto's
//! `packages/integration-tests/src/tests/api/experience-api/profile/fulfill-user-profiles.test.ts`
//! asserts them: a password reset has no profile to fill, a sign-in must name its user first,
//! and a user with MFA must pass it before changing anything.

mod common;

use serde_json::json;

const STRONG: &str = "correct horse battery staple 42";

on_both_databases! {
    async fn the_profile_step_is_guarded_as_logto_guards_it(server) {
        // A password reset: neither profile fields nor skipping MFA.
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "ForgotPassword"}))).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile", Some(json!({"type": "username", "value": "username"}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.not_supported_for_forgot_password")));
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile/mfa/mfa-skipped", None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.not_supported_for_forgot_password")));

        // Signing in, before anyone is identified.
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile", Some(json!({"type": "username", "value": "username"}))).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("session.identifier_not_found")));

        // Identified: fields the account already has are refused.
        server.user("ursula", STRONG).await;
        let browser = server.identified("ursula", STRONG).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile", Some(json!({"type": "username", "value": "username"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.username_exists_in_profile")));
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile", Some(json!({"type": "password", "value": "password"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.password_exists_in_profile")));

        // A user with a bound authenticator app must verify it first.
        server.sign_in_experience(json!({"mfa": {"factors": ["Totp", "BackupCode"], "policy": "Mandatory"}})).await;
        let user_id = server.user("victor", STRONG).await;
        let management = server.management_client().await;
        let created = management.post(server.url(&format!("/api/users/{user_id}/mfa-verifications"))).json(&json!({"type": "Totp"})).send().await.unwrap();
        assert!(created.status().is_success(), "{}", created.status());
        let browser = server.identified("victor", STRONG).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile", Some(json!({"type": "username", "value": "victor2"}))).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("session.mfa.require_mfa_verification")));
        assert_eq!(body["data"]["availableFactors"], json!(["Totp"]));
    }
}

/// `usernamePolicy.caseSensitive`, as Logto's `experience-api/username-case.test.ts` reads it:
/// by default `ADA` and `ada` are two accounts; switched off, they are one.
async fn register(server: &common::TestServer, username: &str) -> (u16, serde_json::Value) {
    let browser = server.browser_in_interaction().await;
    server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await;
    let (status, body) = server.call(&browser, "POST", "/api/experience/verification/new-password-identity",
        Some(json!({"identifier": {"type": "username", "value": username}, "password": STRONG}))).await;
    if status != 200 {
        return (status, body);
    }
    server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": body["verificationId"]}))).await
}

async fn password_sign_in(server: &common::TestServer, username: &str) -> (u16, serde_json::Value) {
    let browser = server.browser_in_interaction().await;
    server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
    server.call(&browser, "POST", "/api/experience/verification/password", Some(json!({"identifier": {"type": "username", "value": username}, "password": STRONG}))).await
}

on_both_databases! {
    async fn usernames_follow_the_case_policy(server) {
        // Case-sensitive (the default): two accounts, and the other case does not sign in.
        assert_eq!(register(&server, "casey").await.0, 201);
        assert_eq!(register(&server, "CASEY").await.0, 201);
        server.user("morgan", STRONG).await;
        let (status, body) = password_sign_in(&server, "MORGAN").await;
        assert_eq!((status, body["code"].as_str()), (422, Some("session.invalid_credentials")));

        // Case-insensitive: one account, found in any case; another case is taken.
        server.sign_in_experience(json!({"usernamePolicy": {"caseSensitive": false}})).await;
        assert_eq!(password_sign_in(&server, "MORGAN").await.0, 200);
        let (status, body) = register(&server, "Morgan").await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.username_already_in_use")));
        // Staging a username during registration is refused the same way.
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile", Some(json!({"type": "username", "value": "MoRgAn"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.username_already_in_use")));
    }
}
