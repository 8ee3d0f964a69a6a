//! MFA through the Experience API (spec §6): binding an authenticator app and backup codes
//! under each policy, verifying at sign-in, replays and lockout — on SQLite and PostgreSQL.
//! Codes are computed here with an independent RFC 6238 implementation (ring's HMAC-SHA1).

mod common;

use identity::Clock;
use serde_json::{json, Value};

const STRONG: &str = "Maple-Orbit-72!";

/// RFC 4648 base32 (no padding) → bytes.
fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut buffer, mut bits, mut out) = (0u64, 0, Vec::new());
    for c in text.trim_end_matches('=').chars() {
        buffer = (buffer << 5) | ALPHABET.find(c.to_ascii_uppercase()).expect("base32") as u64;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    out
}

/// RFC 6238 with SHA-1, 6 digits, 30 s steps.
fn totp(secret: &str, unix_ms: i64) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &base32_decode(secret));
    let counter = (unix_ms / 1000 / 30) as u64;
    let mac = ring::hmac::sign(&key, &counter.to_be_bytes());
    let bytes = mac.as_ref();
    let offset = (bytes[19] & 0x0f) as usize;
    let value = u32::from_be_bytes([bytes[offset] & 0x7f, bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]]);
    format!("{:06}", value % 1_000_000)
}

on_both_databases! {
    async fn mandatory_mfa_binds_an_authenticator_and_backup_codes_then_asks_for_them(server) {
        server.sign_in_experience(json!({"mfa": {"factors": ["Totp", "BackupCode"], "policy": "Mandatory"}})).await;
        let user_id = server.user("alice", STRONG).await;
        let browser = server.identified("alice", STRONG).await;
        let (status, body) = server.submit(&browser).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.missing_mfa")));
        assert_eq!(body["data"], json!({"availableFactors": ["Totp"], "skippable": false}));
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile/mfa/mfa-skipped", None).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("session.mfa.mfa_policy_not_user_controlled")));

        let (status, created) = server.call(&browser, "POST", "/api/experience/verification/totp/secret", None).await;
        assert_eq!(status, 200, "{created}");
        let secret = created["secret"].as_str().unwrap().to_owned();
        assert!(created["secretQrCode"].as_str().unwrap().starts_with("data:image/svg+xml;base64,"));
        assert!(created["otpauthUri"].as_str().unwrap().starts_with("otpauth://totp/"));
        let id = created["verificationId"].as_str().unwrap().to_owned();
        let now = server.clock.now_ms();
        let wrong = if totp(&secret, now) == "000000" { "111111" } else { "000000" };
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/totp/verify", Some(json!({"code": wrong, "verificationId": id}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.invalid_totp_code")));
        let (status, _) = server.call(&browser, "POST", "/api/experience/verification/totp/verify", Some(json!({"code": totp(&secret, now), "verificationId": id}))).await;
        assert_eq!(status, 200);
        assert_eq!(server.call(&browser, "POST", "/api/experience/profile/mfa", Some(json!({"type": "Totp", "verificationId": id}))).await.0, 204);
        let (status, body) = server.submit(&browser).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("session.mfa.backup_code_required")));
        let (_, generated) = server.call(&browser, "POST", "/api/experience/verification/backup-code/generate", None).await;
        let codes: Vec<String> = generated["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
        assert_eq!(codes.len(), 10);
        assert!(codes.iter().all(|c| c.len() == 10 && c.chars().all(|ch| ch.is_ascii_hexdigit())));
        assert_eq!(server.call(&browser, "POST", "/api/experience/profile/mfa", Some(json!({"type": "BackupCode", "verificationId": generated["verificationId"]}))).await.0, 204);
        let (status, submitted) = server.submit(&browser).await;
        assert_eq!(status, 200, "{submitted}");
        server.code_from(&browser, submitted["redirectTo"].as_str().unwrap()).await;

        let factors = identity::mfa::factors(&server.state.store, &user_id).await.unwrap();
        let mut kinds: Vec<&str> = factors.iter().map(|f| f.factor.as_str()).collect();
        kinds.sort();
        assert_eq!(kinds, vec!["BackupCode", "Totp"]);
        let stored: Vec<String> = sqlx::query_scalar("SELECT data FROM mfa_verifications").fetch_all(server.state.store.pool()).await.unwrap();
        assert!(stored.iter().all(|d| !d.contains(&secret) && !codes.iter().any(|c| d.contains(c.as_str()))), "secrets are sealed, codes hashed");

        // The next sign-in asks for a factor; the code already used cannot be replayed.
        let browser = server.identified("alice", STRONG).await;
        let (status, body) = server.submit(&browser).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("session.mfa.require_mfa_verification")));
        assert_eq!(body["data"]["availableFactors"], json!(["Totp", "BackupCode"]));
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/totp/verify", Some(json!({"code": totp(&secret, now)}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.invalid_totp_code")), "replayed code");
        server.clock.advance_ms(30_000);
        let later = server.clock.now_ms();
        assert_eq!(server.call(&browser, "POST", "/api/experience/verification/totp/verify", Some(json!({"code": totp(&secret, later)}))).await.0, 200);
        assert_eq!(server.submit(&browser).await.0, 200);

        // A backup code works once.
        let browser = server.identified("alice", STRONG).await;
        assert_eq!(server.call(&browser, "POST", "/api/experience/verification/backup-code/verify", Some(json!({"code": codes[3]}))).await.0, 200);
        assert_eq!(server.submit(&browser).await.0, 200);
        let browser = server.identified("alice", STRONG).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/backup-code/verify", Some(json!({"code": codes[3]}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.invalid_backup_code")));
        let remaining = identity::mfa::factors(&server.state.store, &user_id).await.unwrap();
        let backup = remaining.iter().find(|f| f.factor == identity::mfa::MfaFactor::BackupCode).unwrap();
        assert_eq!(backup.remain_codes, Some(9));
    }

    async fn user_controlled_mfa_is_suggested_and_can_be_skipped(server) {
        server.sign_in_experience(json!({"mfa": {"factors": ["Totp"], "policy": "PromptAtSignInAndSignUp"}})).await;
        server.user("bob", STRONG).await;
        let browser = server.identified("bob", STRONG).await;
        let (status, body) = server.submit(&browser).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.suggest_mfa")));
        assert_eq!(body["data"]["skippable"], true);
        assert_eq!(server.call(&browser, "POST", "/api/experience/profile/mfa/mfa-skipped", None).await.0, 204);
        assert_eq!(server.submit(&browser).await.0, 200);
        // The choice is remembered: the next sign-in does not ask again.
        let browser = server.identified("bob", STRONG).await;
        assert_eq!(server.submit(&browser).await.0, 200);
        // Unless the policy becomes mandatory.
        server.sign_in_experience(json!({"mfa": {"factors": ["Totp"], "policy": "Mandatory"}})).await;
        let browser = server.identified("bob", STRONG).await;
        assert_eq!(server.submit(&browser).await.1["code"], "user.missing_mfa");
        // NoPrompt never asks.
        server.sign_in_experience(json!({"mfa": {"factors": ["Totp"], "policy": "NoPrompt"}})).await;
        let browser = server.identified("bob", STRONG).await;
        assert_eq!(server.submit(&browser).await.0, 200);
    }

    async fn operators_can_give_and_remove_factors(server) {
        server.sign_in_experience(json!({"mfa": {"factors": ["Totp", "BackupCode"], "policy": "PromptAtSignInAndSignUp"}})).await;
        let user_id = server.user("dave", STRONG).await;
        let admin = server.management_client().await;
        let manage = |method: &'static str, path: String, body: Option<Value>| {
            let (server, admin) = (&server, &admin);
            async move { server.call(admin, method, &path, body).await }
        };
        let (status, body) = manage("POST", format!("/api/users/{user_id}/mfa-verifications"), Some(json!({"type": "BackupCode"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("session.mfa.backup_code_can_not_be_alone")));
        let (status, created) = manage("POST", format!("/api/users/{user_id}/mfa-verifications"), Some(json!({"type": "Totp"}))).await;
        assert_eq!(status, 200, "{created}");
        let secret = created["secret"].as_str().unwrap().to_owned();
        let (status, body) = manage("POST", format!("/api/users/{user_id}/mfa-verifications"), Some(json!({"type": "Totp"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.totp_already_in_use")));

        // The operator-given secret is now required at sign-in, and works.
        let browser = server.identified("dave", STRONG).await;
        assert_eq!(server.submit(&browser).await.0, 403);
        let now = server.clock.now_ms();
        assert_eq!(server.call(&browser, "POST", "/api/experience/verification/totp/verify", Some(json!({"code": totp(&secret, now)}))).await.0, 200);
        assert_eq!(server.submit(&browser).await.1["code"], "session.mfa.backup_code_required", "backup codes are enabled too");
        let (status, codes) = manage("POST", format!("/api/users/{user_id}/mfa-verifications"), Some(json!({"type": "BackupCode"}))).await;
        assert_eq!((status, codes["codes"].as_array().map(Vec::len)), (200, Some(10)));
        assert_eq!(server.submit(&browser).await.0, 200);

        let (_, listed) = manage("GET", format!("/api/users/{user_id}/mfa-verifications"), None).await;
        // Both factors were bound at the same (test) instant: find the authenticator by type.
        let totp_entry = listed.as_array().unwrap().iter().find(|f| f["type"] == "Totp").expect("the authenticator is listed");
        let id = totp_entry["id"].as_str().unwrap().to_owned();
        assert_eq!(totp_entry["type"], "Totp");
        assert_eq!(listed.as_array().unwrap().len(), 2);
        assert!(!listed.to_string().contains(&secret), "secrets are not listed");
        assert_eq!(manage("DELETE", format!("/api/users/{user_id}/mfa-verifications/{id}"), None).await.0, 204);
        assert_eq!(manage("DELETE", format!("/api/users/{user_id}/mfa-verifications/{id}"), None).await.0, 404);
        let browser = server.identified("dave", STRONG).await;
        let (status, body) = server.submit(&browser).await;
        assert_eq!((status, body["data"]["availableFactors"].clone()), (403, json!(["BackupCode"])), "only the backup codes are left");
    }

    async fn binding_rules_and_separate_lockout(server) {
        server.user("carol", STRONG).await;
        let browser = server.identified("carol", STRONG).await;
        let (_, created) = server.call(&browser, "POST", "/api/experience/verification/totp/secret", None).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile/mfa", Some(json!({"type": "Totp", "verificationId": created["verificationId"]}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.mfa_factor_not_enabled")), "no factors are enabled by default");

        server.sign_in_experience(json!({"mfa": {"factors": ["Totp", "BackupCode"], "policy": "PromptOnlyAtSignIn"}, "sentinelPolicy": {"maxAttempts": 3, "lockoutDuration": 10}})).await;
        let (_, generated) = server.call(&browser, "POST", "/api/experience/verification/backup-code/generate", None).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile/mfa", Some(json!({"type": "BackupCode", "verificationId": generated["verificationId"]}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("session.mfa.backup_code_can_not_be_alone")));

        // Wrong authenticator codes lock the TOTP counter only.
        let unbound = server.call(&browser, "POST", "/api/experience/verification/totp/verify", Some(json!({"code": "123456"}))).await;
        assert_eq!(unbound.1["code"], "session.mfa.invalid_totp_code");
        let second = server.call(&browser, "POST", "/api/experience/verification/totp/verify", Some(json!({"code": "123456"}))).await;
        assert_eq!(second.1["code"], "session.mfa.invalid_totp_code");
        // The third failure (the limit) is answered as blocked, as Logto counts it.
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/totp/verify", Some(json!({"code": "123456"}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.verification_blocked_too_many_attempts")));
        // Passwords have their own counter: signing in still works.
        server.identified("carol", STRONG).await;
    }
}
