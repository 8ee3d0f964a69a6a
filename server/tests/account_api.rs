//! The Account API as Logto's `packages/integration-tests/src/tests/api/account/index.test.ts`
//! and `account-center.test.ts` use it: a signed-in person reads and changes their own
//! account with their access token, within the account center's switches and the token's
//! scopes, and proves themselves again (a password verification record) before changing
//! their password.

mod common;

use identity::applications::AppType;
use serde_json::{json, Value};

const PASSWORD: &str = "Correct-Horse-9";

/// An access token of `username` for `scope` (an opaque token: no resource).
async fn token_for(server: &common::TestServer, username: &str, scope: &str) -> String {
    let code = server.authorize(&server.browser(), "spa", username, PASSWORD, &[("scope", scope)]).await;
    server.exchange_code("spa", &code).await["access_token"].as_str().unwrap().to_owned()
}

async fn call(server: &common::TestServer, token: &str, method: &str, path: &str, body: Option<Value>, proof: Option<&str>) -> (u16, Value) {
    let mut request = server.http.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), server.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(proof) = proof {
        request = request.header("logto-verification-id", proof);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

async fn enable_all_fields(server: &common::TestServer) {
    let management = server.management_client().await;
    let fields: serde_json::Map<String, Value> = ["name", "avatar", "profile", "email", "phone", "password", "username", "social", "customData", "mfa", "passkey", "session"]
        .iter().map(|f| (f.to_string(), json!("Edit"))).collect();
    let (status, body) = server.call(&management, "PATCH", "/api/account-center", Some(json!({"enabled": true, "fields": fields}))).await;
    assert_eq!(status, 200, "{body}");
}

on_both_databases! {
    async fn the_account_center_is_off_until_an_operator_turns_it_on(server) {
        server.app(AppType::Spa, "spa").await;
        server.user("ada", PASSWORD).await;
        let management = server.management_client().await;
        let (status, settings) = server.call(&management, "GET", "/api/account-center", None).await;
        assert_eq!((status, &settings["enabled"]), (200, &json!(false)));
        let token = token_for(&server, "ada", "openid profile").await;
        let (status, body) = call(&server, &token, "GET", "/api/my-account", None, None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("account_center.not_enabled")));

        let (status, updated) = server.call(&management, "PATCH", "/api/account-center", Some(json!({"enabled": true, "fields": {"username": "Edit"}, "deleteAccountUrl": "https://example.com/delete"}))).await;
        assert_eq!(status, 200);
        assert_eq!((&updated["enabled"], &updated["fields"]["username"], &updated["fields"]["name"]), (&json!(true), &json!("Edit"), &json!("Off")));
        let (_, cleared) = server.call(&management, "PATCH", "/api/account-center", Some(json!({"deleteAccountUrl": ""}))).await;
        assert_eq!((&cleared["deleteAccountUrl"], &cleared["enabled"]), (&Value::Null, &json!(true)), "\"\" clears the link, the rest stays");
        for bad in [json!({"fields": {"username": "Sometimes"}}), json!({"webauthnRelatedOrigins": ["https://example.com/path"]}), json!({"unknown": 1}), json!({"deleteAccountUrl": "javascript:alert(1)"})] {
            let (status, body) = server.call(&management, "PATCH", "/api/account-center", Some(bad.clone())).await;
            assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")), "{bad}");
        }

        // Only the username is readable now, and only it is shown.
        let (status, me) = call(&server, &token, "GET", "/api/my-account", None, None).await;
        assert_eq!(status, 200);
        assert_eq!(me["username"], "ada");
        assert!(me.get("name").is_none(), "the name's switch is Off: {me}");
        let (status, body) = call(&server, &token, "PATCH", "/api/my-account", Some(json!({"name": "Ada"})), None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("account_center.field_not_editable")));

        // A token without openid, or no token at all, is refused before anything else.
        let (status, body) = call(&server, "not-a-token", "GET", "/api/my-account", None, None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("auth.unauthorized")));
        let anonymous = server.http.get(server.url("/api/my-account")).header("origin", "https://app.example.com").send().await.unwrap();
        assert_eq!(anonymous.status(), 401);
        assert_eq!(anonymous.headers()["access-control-allow-origin"], "*", "any origin may call the Account API");
        assert_eq!(anonymous.json::<Value>().await.unwrap()["code"], "auth.authorization_header_missing");
    }

    async fn scopes_decide_what_the_account_shows_and_changes(server) {
        server.app(AppType::Spa, "spa").await;
        server.user("ada", PASSWORD).await;
        server.user("grace", PASSWORD).await;
        enable_all_fields(&server).await;

        let token = token_for(&server, "ada", "openid profile").await;
        let (status, me) = call(&server, &token, "GET", "/api/my-account", None, None).await;
        assert_eq!((status, me["username"].as_str()), (200, Some("ada")));
        for hidden in ["customData", "identities", "primaryEmail", "primaryPhone"] {
            assert!(me.get(hidden).is_none(), "{hidden} needs its scope: {me}");
        }
        for (scope, shown) in [("email", "primaryEmail"), ("phone", "primaryPhone"), ("identities", "identities"), ("custom_data", "customData")] {
            let scoped = token_for(&server, "ada", &format!("openid profile {scope}")).await;
            assert!(call(&server, &scoped, "GET", "/api/my-account", None, None).await.1.get(shown).is_some(), "{scope} shows {shown}");
        }

        let (status, me) = call(&server, &token, "PATCH", "/api/my-account", Some(json!({"name": "Ada L.", "avatar": "https://example.com/ada.png"})), None).await;
        assert_eq!((status, me["name"].as_str(), me["avatar"].as_str()), (200, Some("Ada L."), Some("https://example.com/ada.png")));
        assert_eq!(call(&server, &token, "GET", "/api/my-account", None, None).await.1["name"], "Ada L.");
        // A username signs people in: changing it needs a proof (Logto's index.test.ts).
        let (status, body) = call(&server, &token, "PATCH", "/api/my-account", Some(json!({"username": "ada_l"})), None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("verification_record.permission_denied")));
        let (_, record) = call(&server, &token, "POST", "/api/verifications/password", Some(json!({"password": PASSWORD})), None).await;
        let proof = record["verificationRecordId"].as_str().unwrap().to_owned();
        let (status, body) = call(&server, &token, "PATCH", "/api/my-account", Some(json!({"username": "grace"})), Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.username_already_in_use")));
        let (status, me) = call(&server, &token, "PATCH", "/api/my-account", Some(json!({"username": "ada_l"})), Some(&proof)).await;
        assert_eq!((status, me["username"].as_str()), (200, Some("ada_l")));
        // The new username signs in.
        token_for(&server, "ada_l", "openid").await;

        // Custom data needs its scope (Logto's 400), and is replaced, not merged.
        let (status, body) = call(&server, &token, "PATCH", "/api/my-account", Some(json!({"customData": {"level": "premium"}})), None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("auth.unauthorized")));
        let scoped = token_for(&server, "ada_l", "openid profile custom_data").await;
        call(&server, &scoped, "PATCH", "/api/my-account", Some(json!({"customData": {"test": "value"}})), None).await;
        let (_, me) = call(&server, &scoped, "PATCH", "/api/my-account", Some(json!({"customData": {"newField": "newValue", "number": 42}})), None).await;
        assert_eq!(me["customData"], json!({"newField": "newValue", "number": 42}));

        // The OIDC profile merges; the address needs the address scope.
        let (status, profile) = call(&server, &token, "PATCH", "/api/my-account/profile", Some(json!({"profile": "HI", "middleName": "middleName"})), None).await;
        assert_eq!((status, profile["profile"].as_str(), profile["middleName"].as_str()), (200, Some("HI"), Some("middleName")));
        let (status, body) = call(&server, &token, "PATCH", "/api/my-account/profile", Some(json!({"address": {"country": "USA"}})), None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("auth.unauthorized")));
        let with_address = token_for(&server, "ada_l", "openid profile address").await;
        let (_, profile) = call(&server, &with_address, "PATCH", "/api/my-account/profile", Some(json!({"address": {"country": "USA"}})), None).await;
        assert_eq!((profile["address"]["country"].as_str(), profile["middleName"].as_str()), (Some("USA"), Some("middleName")));

        // The username may go while another identifier (the email) remains — whatever sign-up
        // asks of new accounts (Logto's email-and-phone.test.ts) — but not the last one.
        let (status, me) = call(&server, &token, "PATCH", "/api/my-account", Some(json!({"username": null})), Some(&proof)).await;
        assert_eq!((status, &me["username"]), (200, &Value::Null));
        let management = server.management_client().await;
        let (_, only) = server.call(&management, "POST", "/api/users", Some(json!({"username": "only_name", "password": PASSWORD}))).await;
        assert!(only["primaryEmail"].is_null(), "{only}");
        let only_token = token_for(&server, "only_name", "openid profile").await;
        let (_, record) = call(&server, &only_token, "POST", "/api/verifications/password", Some(json!({"password": PASSWORD})), None).await;
        let only_proof = record["verificationRecordId"].as_str().unwrap().to_owned();
        let (status, body) = call(&server, &only_token, "PATCH", "/api/my-account", Some(json!({"username": null})), Some(&only_proof)).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("user.last_sign_in_method_required")), "{only}");
        let (status, _) = call(&server, &token, "PATCH", "/api/my-account", Some(json!({"nickname": "x"})), None).await;
        assert_eq!(status, 400, "unknown fields are refused");
    }

    async fn a_new_password_needs_a_fresh_password_verification(server) {
        server.app(AppType::Spa, "spa").await;
        let user_id = server.user("ada", PASSWORD).await;
        enable_all_fields(&server).await;
        let token = token_for(&server, "ada", "openid profile").await;

        let (status, body) = call(&server, &token, "POST", "/api/my-account/password", Some(json!({"password": "Another-Horse-77"})), Some("invalid-verification-record-id")).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("verification_record.permission_denied")));
        let (status, record) = call(&server, &token, "POST", "/api/verifications/password", Some(json!({"password": PASSWORD})), None).await;
        assert_eq!(status, 201, "{record}");
        let proof = record["verificationRecordId"].as_str().unwrap().to_owned();
        assert!(record["expiresAt"].as_str().is_some_and(|at| at.ends_with('Z')), "{record}");
        let (status, body) = call(&server, &token, "POST", "/api/my-account/password", Some(json!({"password": "123456"})), Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("password.rejected")));
        let (status, body) = call(&server, &token, "POST", "/api/my-account/password", Some(json!({"password": PASSWORD})), Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.same_password")));
        assert_eq!(call(&server, &token, "POST", "/api/my-account/password", Some(json!({"password": "Another-Horse-77"})), Some(&proof)).await.0, 204);
        // The new password signs in; the old one no longer does.
        let user = identity::users::find_by_id(&server.state.store, &user_id).await.unwrap().unwrap();
        assert!(server.state.provider.passwords.verify("Another-Horse-77", user.password.as_ref()).await);

        // Another person's proof proves nothing for this account, and a proof expires.
        server.user("grace", PASSWORD).await;
        let grace = token_for(&server, "grace", "openid profile").await;
        let (_, graces) = call(&server, &grace, "POST", "/api/verifications/password", Some(json!({"password": PASSWORD})), None).await;
        let (status, _) = call(&server, &token, "POST", "/api/my-account/password", Some(json!({"password": "Third-Horse-555"})), graces["verificationRecordId"].as_str()).await;
        assert_eq!(status, 401);
        let (_, fresh) = call(&server, &token, "POST", "/api/verifications/password", Some(json!({"password": "Another-Horse-77"})), None).await;
        server.clock.advance_ms(identity::account::verification::LIFETIME_MS + 1);
        let (status, body) = call(&server, &token, "POST", "/api/my-account/password", Some(json!({"password": "Third-Horse-555"})), fresh["verificationRecordId"].as_str()).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("verification_record.permission_denied")), "expired after 10 minutes");
    }

    async fn wrong_passwords_at_verification_count_towards_the_lockout(server) {
        server.app(AppType::Spa, "spa").await;
        server.user("ada", PASSWORD).await;
        enable_all_fields(&server).await;
        server.sign_in_experience(json!({"sentinelPolicy": {"maxAttempts": 2, "lockoutDuration": 1}})).await;
        let token = token_for(&server, "ada", "openid profile").await;
        let (status, body) = call(&server, &token, "POST", "/api/verifications/password", Some(json!({"password": "wrong-password"})), None).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("session.invalid_credentials")));
        let (status, body) = call(&server, &token, "POST", "/api/verifications/password", Some(json!({"password": "wrong-password"})), None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.verification_blocked_too_many_attempts")));
        let (status, _) = call(&server, &token, "POST", "/api/verifications/password", Some(json!({"password": PASSWORD})), None).await;
        assert_eq!(status, 400, "locked, even with the right password");
        server.clock.advance_ms(61_000);
        let (status, _) = call(&server, &token, "POST", "/api/verifications/password", Some(json!({"password": PASSWORD})), None).await;
        assert_eq!(status, 201, "unlocked after the lockout");
    }
}

/// Sends a code through the Account API and reads it from the mail server.
async fn code_record(server: &common::TestServer, smtp: &common::smtp::SmtpServer, token: &str, address: &str) -> (String, String) {
    let before = smtp.count_to(address);
    let (status, record) = call(server, token, "POST", "/api/verifications/verification-code", Some(json!({"identifier": {"type": "email", "value": address}})), None).await;
    assert_eq!(status, 201, "{record}");
    let mail = smtp.last_to(address).await;
    assert_eq!(smtp.count_to(address), before + 1);
    (record["verificationRecordId"].as_str().unwrap().to_owned(), mail.code())
}

async fn verify(server: &common::TestServer, token: &str, address: &str, id: &str, code: &str) -> (u16, Value) {
    call(server, token, "POST", "/api/verifications/verification-code/verify", Some(json!({"identifier": {"type": "email", "value": address}, "verificationId": id, "code": code})), None).await
}

on_both_databases! {
    // As Logto's account/email-and-phone.test.ts: a code to the account's own address proves
    // who the caller is; a code to a new address lets that address be bound, and nothing more.
    async fn the_primary_email_changes_with_two_proofs(server) {
        server.app(AppType::Spa, "spa").await;
        let smtp = server.mail_server().await;
        server.user("ada", PASSWORD).await;
        server.user("grace", PASSWORD).await;
        enable_all_fields(&server).await;
        let token = token_for(&server, "ada", "openid profile email").await;

        let (own, code) = code_record(&server, &smtp, &token, "ada@example.com").await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let (status, body) = verify(&server, &token, "ada@example.com", &own, wrong).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("verification_code.code_mismatch")));
        let (status, verified) = verify(&server, &token, "ada@example.com", &own, &code).await;
        assert_eq!((status, verified["verificationRecordId"].as_str()), (200, Some(own.as_str())));

        let (new, code) = code_record(&server, &smtp, &token, "ada.lovelace@example.com").await;
        let set = |address: &'static str, record: String, proof: Option<String>| {
            let (server, token) = (&server, &token);
            async move { call(server, token, "POST", "/api/my-account/primary-email", Some(json!({"email": address, "newIdentifierVerificationRecordId": record})), proof.as_deref()).await }
        };
        let (status, body) = set("ada.lovelace@example.com", new.clone(), Some(own.clone())).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("verification_record.not_found")), "the new address's code is not checked yet");
        verify(&server, &token, "ada.lovelace@example.com", &new, &code).await;
        let (status, body) = set("ada.lovelace@example.com", new.clone(), Some(new.clone())).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("verification_record.permission_denied")), "a new address proves nothing about the caller");
        let (status, body) = set("someone@example.com", new.clone(), Some(own.clone())).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("verification_record.not_found")), "the record is for another address");
        assert_eq!(set("ada.lovelace@example.com", new.clone(), Some(own.clone())).await.0, 204);
        assert_eq!(call(&server, &token, "GET", "/api/my-account", None, None).await.1["primaryEmail"], "ada.lovelace@example.com");

        // Somebody else's address cannot be bound, even after its code was read.
        let (taken, code) = code_record(&server, &smtp, &token, "grace@example.com").await;
        verify(&server, &token, "grace@example.com", &taken, &code).await;
        let (status, body) = set("grace@example.com", taken, Some(own.clone())).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.email_already_in_use")));

        // Without the email scope, nothing changes.
        let unscoped = token_for(&server, "ada", "openid profile").await;
        let (status, body) = call(&server, &unscoped, "DELETE", "/api/my-account/primary-email", None, Some(&own)).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("auth.unauthorized")));
        let (status, body) = call(&server, &token, "DELETE", "/api/my-account/primary-email", None, Some("not-a-record")).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("verification_record.permission_denied")));
        // Removing it is fine while a username remains, even when sign-up asks new accounts
        // for an email; the last identifier stays.
        server.sign_in_experience(json!({"signUp": {"identifiers": ["email"], "password": true, "verify": true}})).await;
        assert_eq!(call(&server, &token, "DELETE", "/api/my-account/primary-email", None, Some(&own)).await.0, 204);
        assert_eq!(call(&server, &token, "GET", "/api/my-account", None, None).await.1["primaryEmail"], Value::Null);
        let (status, body) = call(&server, &token, "PATCH", "/api/my-account", Some(json!({"username": null})), Some(&own)).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("user.last_sign_in_method_required")), "the username is the last identifier now");
    }
}

on_both_databases! {
    // As Logto's account/mfa-totp.test.ts and mfa-backup-codes.test.ts: secrets and codes are
    // generated without being stored, bound with a proof, and removed with one.
    async fn people_add_and_remove_their_own_mfa_factors(server) {
        server.app(AppType::Spa, "spa").await;
        server.user("ada", PASSWORD).await;
        enable_all_fields(&server).await;
        let token = token_for(&server, "ada", "openid profile identities").await;
        let unscoped = token_for(&server, "ada", "openid profile").await;
        server.sign_in_experience(json!({"mfa": {"factors": ["Totp", "BackupCode"], "policy": "UserControlled"}})).await;
        let (_, record) = call(&server, &token, "POST", "/api/verifications/password", Some(json!({"password": PASSWORD})), None).await;
        let proof = record["verificationRecordId"].as_str().unwrap().to_owned();
        let factors = |token: String| {
            let server = &server;
            async move { call(server, &token, "GET", "/api/my-account/mfa-verifications", None, None).await }
        };

        let (status, generated) = call(&server, &token, "POST", "/api/my-account/mfa-verifications/totp-secret/generate", None, None).await;
        assert_eq!(status, 200);
        let secret = generated["secret"].as_str().unwrap().to_owned();
        assert!(generated["secretQrCode"].as_str().is_some_and(|qr| qr.starts_with("data:image/")));
        assert_eq!(factors(token.clone()).await.1, json!([]), "generating stores nothing");

        // Backup codes cannot come first; a wrong code or secret binds nothing.
        let (_, codes) = call(&server, &token, "POST", "/api/my-account/mfa-verifications/backup-codes/generate", None, None).await;
        let codes = codes["codes"].clone();
        let (status, body) = call(&server, &token, "POST", "/api/my-account/mfa-verifications", Some(json!({"type": "BackupCode", "codes": codes})), Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("session.mfa.backup_code_can_not_be_alone")));
        let (status, body) = call(&server, &token, "POST", "/api/my-account/mfa-verifications", Some(json!({"type": "Totp", "secret": "not-base32!"})), Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("user.totp_secret_invalid")));
        let (status, body) = call(&server, &token, "POST", "/api/my-account/mfa-verifications", Some(json!({"type": "Totp", "secret": secret})), None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("verification_record.permission_denied")));

        let now = identity::clock::Clock::now_ms(&server.clock);
        let code = identity::mfa::totp::code_at(&secret, now).unwrap();
        let (status, body) = call(&server, &token, "POST", "/api/my-account/mfa-verifications", Some(json!({"type": "Totp", "secret": secret, "code": code})), Some(&proof)).await;
        assert_eq!(status, 204, "{body}");
        let (status, body) = call(&server, &token, "POST", "/api/my-account/mfa-verifications", Some(json!({"type": "Totp", "secret": secret})), Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.totp_already_in_use")));
        let (status, body) = call(&server, &token, "POST", "/api/my-account/mfa-verifications", Some(json!({"type": "BackupCode", "codes": ["abc"]})), Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.wrong_backup_code_format")));
        assert_eq!(call(&server, &token, "POST", "/api/my-account/mfa-verifications", Some(json!({"type": "BackupCode", "codes": codes})), Some(&proof)).await.0, 204);
        let (status, body) = call(&server, &token, "POST", "/api/my-account/mfa-verifications", Some(json!({"type": "BackupCode", "codes": codes})), Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.backup_code_already_in_use")));
        assert_eq!(codes.as_array().unwrap().len(), 10);

        let (_, bound) = factors(token.clone()).await;
        let kinds: Vec<&str> = bound.as_array().unwrap().iter().map(|f| f["type"].as_str().unwrap()).collect();
        assert_eq!(kinds.len(), 2, "{bound}");
        assert!(kinds.contains(&"Totp") && kinds.contains(&"BackupCode"));
        let backup = bound.as_array().unwrap().iter().find(|f| f["type"] == "BackupCode").unwrap();
        assert_eq!(backup["remainCodes"], 10);
        let (status, body) = call(&server, &token, "DELETE", "/api/my-account/mfa-verifications/non-existent-id", None, Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("verification_record.not_found")));
        let (status, body) = call(&server, &token, "DELETE", &format!("/api/my-account/mfa-verifications/{}", backup["id"].as_str().unwrap()), None, Some("")).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("verification_record.permission_denied")));
        // The next sign-in asks for the authenticator app.
        let browser = server.identified("ada", PASSWORD).await;
        let (status, body) = server.submit(&browser).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("session.mfa.require_mfa_verification")));

        let totp_id = bound.as_array().unwrap().iter().find(|f| f["type"] == "Totp").unwrap()["id"].as_str().unwrap().to_owned();
        assert_eq!(call(&server, &token, "DELETE", &format!("/api/my-account/mfa-verifications/{totp_id}"), None, Some(&proof)).await.0, 204);
        assert_eq!(factors(token.clone()).await.1.as_array().unwrap().len(), 1);
        // Without the identities scope, the factors are not shown (401, as in Logto).
        let (status, body) = factors(unscoped).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("auth.unauthorized")));
    }
}

on_both_databases! {
    // As Logto's account/session.test.ts: the caller's sessions with exactly one marked
    // current, and signing another out — with its first-party grants when asked.
    async fn people_see_their_sessions_and_sign_out_elsewhere(server) {
        server.app(AppType::Spa, "spa").await;
        server.app(AppType::Spa, "other").await;
        server.user("ada", PASSWORD).await;
        enable_all_fields(&server).await;
        let elsewhere = server.authorize(&server.browser(), "other", "ada", PASSWORD, &[("scope", "openid offline_access"), ("prompt", "consent")]).await;
        let refresh = server.exchange_code("other", &elsewhere).await["refresh_token"].as_str().unwrap().to_owned();
        let token = token_for(&server, "ada", "openid profile urn:logto:scope:sessions").await;
        let (_, record) = call(&server, &token, "POST", "/api/verifications/password", Some(json!({"password": PASSWORD})), None).await;
        let proof = record["verificationRecordId"].as_str().unwrap().to_owned();

        let (status, body) = call(&server, &token, "GET", "/api/my-account/sessions", None, None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("verification_record.permission_denied")));
        let unscoped = token_for(&server, "ada", "openid profile").await;
        let (status, body) = call(&server, &unscoped, "GET", "/api/my-account/sessions", None, Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("auth.unauthorized")));

        let (status, listed) = call(&server, &token, "GET", "/api/my-account/sessions", None, Some(&proof)).await;
        assert_eq!(status, 200, "{listed}");
        let sessions = listed["sessions"].as_array().unwrap().clone();
        assert_eq!(sessions.len(), 3, "three sign-ins, three sessions: {listed}");
        assert_eq!(sessions.iter().filter(|s| s["isCurrent"] == true).count(), 1);
        let other = sessions.iter().find(|s| s["payload"]["authorizations"].get("other").is_some()).expect("the other app's session");
        assert_eq!(other["isCurrent"], false);
        let other_uid = other["payload"]["uid"].as_str().unwrap().to_owned();

        let path = format!("/api/my-account/sessions/{other_uid}?revokeGrantsTarget=firstParty");
        assert_eq!(call(&server, &token, "DELETE", &path, None, Some(&proof)).await.0, 204);
        let (_, after) = call(&server, &token, "GET", "/api/my-account/sessions", None, Some(&proof)).await;
        let uids: Vec<&str> = after["sessions"].as_array().unwrap().iter().map(|s| s["payload"]["uid"].as_str().unwrap()).collect();
        assert!(!uids.contains(&other_uid.as_str()));
        assert_eq!(after["sessions"].as_array().unwrap().iter().filter(|s| s["isCurrent"] == true).count(), 1, "still this one");
        let refreshed = server.token(&[("grant_type", "refresh_token"), ("client_id", "other"), ("refresh_token", &refresh)]).await;
        assert_eq!(refreshed.status(), 400, "its first-party grant was revoked with it");
        assert_eq!(call(&server, &token, "DELETE", &path, None, Some(&proof)).await.0, 404, "gone");
    }
}

on_both_databases! {
    // As Logto's account/grants.test.ts: the applications holding the caller's consent,
    // filtered by first or third party, and revoking one.
    async fn people_see_and_revoke_the_applications_they_signed_in_to(server) {
        server.app(AppType::Spa, "spa").await;
        server.app(AppType::Spa, "other").await;
        server.user("ada", PASSWORD).await;
        enable_all_fields(&server).await;
        // A third-party application, allowed `profile`; ada consents to it below.
        identity::applications::create(&server.state.store, &server.clock, identity::applications::NewApplication {
            id: Some("partner".into()), name: "Partner".into(), app_type: AppType::Spa, secret: None,
            redirect_uris: vec![common::REDIRECT.into()], post_logout_redirect_uris: vec![], cors_allowed_origins: vec![],
            is_third_party: true, id_token_alg: None, description: None,
        }).await.unwrap();
        let elsewhere = server.authorize(&server.browser(), "other", "ada", PASSWORD, &[("scope", "openid offline_access"), ("prompt", "consent")]).await;
        let refresh = server.exchange_code("other", &elsewhere).await["refresh_token"].as_str().unwrap().to_owned();
        let assignment = identity::applications::consent_scopes::Assignment { user_scopes: vec!["profile".into()], ..Default::default() };
        identity::applications::consent_scopes::assign(&server.state.store, "partner", &assignment).await.unwrap();
        let partner = server.authorize_with_consent(&server.browser(), "partner", "ada", PASSWORD, &[("scope", "openid profile")]).await;
        let partner_token = server.exchange_code("partner", &partner).await["access_token"].as_str().unwrap().to_owned();
        // A third-party application reads what it was granted but changes nothing.
        assert_eq!(call(&server, &partner_token, "GET", "/api/my-account", None, None).await.1["username"], "ada");
        let (status, body) = call(&server, &partner_token, "PATCH", "/api/my-account", Some(json!({"name": "Mallory"})), None).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("auth.third_party_application_forbidden")));
        // Nor may it start a verification (Logto's account/third-party-guard.test.ts).
        let (status, body) = call(&server, &partner_token, "POST", "/api/verifications/password", Some(json!({"password": PASSWORD})), None).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("auth.third_party_application_forbidden")));
        let token = token_for(&server, "ada", "openid urn:logto:scope:sessions").await;
        let (_, record) = call(&server, &token, "POST", "/api/verifications/password", Some(json!({"password": PASSWORD})), None).await;
        let proof = record["verificationRecordId"].as_str().unwrap().to_owned();
        let clients = |grants: &Value| grants["grants"].as_array().unwrap().iter().map(|g| g["payload"]["clientId"].as_str().unwrap().to_owned()).collect::<Vec<_>>();

        let (status, body) = call(&server, &token, "GET", "/api/my-account/grants", None, None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("verification_record.permission_denied")));
        let (status, all) = call(&server, &token, "GET", "/api/my-account/grants", None, Some(&proof)).await;
        assert_eq!(status, 200, "{all}");
        for client in ["other", "partner", "spa"] {
            assert!(clients(&all).contains(&client.to_owned()), "{client} in {all}");
        }
        let (_, first) = call(&server, &token, "GET", "/api/my-account/grants?appType=firstParty", None, Some(&proof)).await;
        assert!(clients(&first).contains(&"other".to_owned()) && !clients(&first).contains(&"partner".to_owned()));
        let (_, third) = call(&server, &token, "GET", "/api/my-account/grants?appType=thirdParty", None, Some(&proof)).await;
        let (status, body) = call(&server, &token, "GET", "/api/my-account/grants?appType=thirdParty&extra=1", None, Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")), "a query that does not parse is answered in JSON: {body}");
        assert_eq!(clients(&third), vec!["partner"]);

        let other = all["grants"].as_array().unwrap().iter().find(|g| g["payload"]["clientId"] == "other").unwrap()["id"].as_str().unwrap().to_owned();
        assert_eq!(call(&server, &token, "DELETE", &format!("/api/my-account/grants/{other}"), None, Some(&proof)).await.0, 204);
        let refreshed = server.token(&[("grant_type", "refresh_token"), ("client_id", "other"), ("refresh_token", &refresh)]).await;
        assert_eq!(refreshed.status(), 400, "the revoked application's refresh token no longer works");
        assert_eq!(call(&server, &token, "DELETE", &format!("/api/my-account/grants/{other}"), None, Some(&proof)).await.0, 404);
    }
}

on_both_databases! {
    // As Logto's account/mfa-settings.test.ts: a person may stop being asked for their second
    // factor at sign-in, unless the policy is mandatory.
    async fn people_may_skip_mfa_at_sign_in_unless_it_is_mandatory(server) {
        server.app(AppType::Spa, "spa").await;
        let user = server.user("ada", PASSWORD).await;
        enable_all_fields(&server).await;
        let token = token_for(&server, "ada", "openid identities").await;
        let unscoped = token_for(&server, "ada", "openid profile").await;
        server.sign_in_experience(json!({"mfa": {"factors": ["Totp"], "policy": "UserControlled"}})).await;
        identity::mfa::add_totp(&server.state.store, &server.clock, &server.state.provider.at_rest, &user, None).await.unwrap();
        let (_, record) = call(&server, &token, "POST", "/api/verifications/password", Some(json!({"password": PASSWORD})), None).await;
        let proof = record["verificationRecordId"].as_str().unwrap().to_owned();

        assert_eq!(call(&server, &token, "GET", "/api/my-account/mfa-settings", None, None).await.1, json!({"skipMfaOnSignIn": false}));
        let (status, body) = call(&server, &unscoped, "GET", "/api/my-account/mfa-settings", None, None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("auth.unauthorized")), "identities is needed, as in Logto");
        let (status, body) = call(&server, &unscoped, "PATCH", "/api/my-account/mfa-settings", Some(json!({"skipMfaOnSignIn": true})), Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("auth.unauthorized")));

        // logto-configs: the sign-in choices, changed without a proof.
        assert_eq!(call(&server, &token, "GET", "/api/my-account/logto-configs", None, None).await.1, json!({"mfa": {"skipped": false, "skipMfaOnSignIn": false}, "passkeySignIn": {"skipped": false}}));
        let (status, configs) = call(&server, &token, "PATCH", "/api/my-account/logto-configs", Some(json!({"mfa": {"skipped": true}})), None).await;
        assert_eq!((status, &configs["mfa"]["skipped"], &configs["passkeySignIn"]["skipped"]), (200, &json!(true), &json!(false)), "{configs}");
        assert_eq!(call(&server, &token, "GET", "/api/my-account/logto-configs", None, None).await.1["mfa"]["skipped"], true);
        assert_eq!(call(&server, &unscoped, "PATCH", "/api/my-account/logto-configs", Some(json!({"mfa": {"skipped": false}})), None).await.0, 401);
        assert_eq!(call(&server, &token, "PATCH", "/api/my-account/logto-configs", Some(json!({"mfa": {"skipped": "yes"}})), None).await.0, 400);

        // Backup codes are stored hashed: never shown again (as Logto answers an account without codes).
        let (status, body) = call(&server, &token, "GET", "/api/my-account/mfa-verifications/backup-codes", None, Some("")).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("verification_record.permission_denied")));
        let (status, body) = call(&server, &token, "GET", "/api/my-account/mfa-verifications/backup-codes", None, Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("verification_record.not_found")));
        let (status, body) = call(&server, &token, "PATCH", "/api/my-account/mfa-settings", Some(json!({"skipMfaOnSignIn": true})), None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("verification_record.permission_denied")));
        let browser = server.identified("ada", PASSWORD).await;
        assert_eq!(server.submit(&browser).await.1["code"], "session.mfa.require_mfa_verification");

        let (status, body) = call(&server, &token, "PATCH", "/api/my-account/mfa-settings", Some(json!({"skipMfaOnSignIn": true})), Some(&proof)).await;
        assert_eq!((status, body), (200, json!({"skipMfaOnSignIn": true})));
        let browser = server.identified("ada", PASSWORD).await;
        let (status, body) = server.submit(&browser).await;
        assert!(status == 200 && body["redirectTo"].is_string(), "signed in with the password alone: {status} {body}");

        server.sign_in_experience(json!({"mfa": {"factors": ["Totp"], "policy": "Mandatory"}})).await;
        let browser = server.identified("ada", PASSWORD).await;
        assert_eq!(server.submit(&browser).await.1["code"], "session.mfa.require_mfa_verification", "a mandatory policy overrides the choice");

        // The mfa switch: ReadOnly reads, Off hides.
        let management = server.management_client().await;
        for (control, read, write) in [("ReadOnly", (200, None), (400, Some("account_center.field_not_editable"))), ("Off", (400, Some("account_center.field_not_enabled")), (400, Some("account_center.field_not_editable")))] {
            server.call(&management, "PATCH", "/api/account-center", Some(json!({"fields": {"mfa": control}}))).await;
            let (status, body) = call(&server, &token, "GET", "/api/my-account/mfa-settings", None, None).await;
            assert_eq!((status, body["code"].as_str()), read, "{control}");
            let (status, body) = call(&server, &token, "PATCH", "/api/my-account/mfa-settings", Some(json!({"skipMfaOnSignIn": false})), Some(&proof)).await;
            assert_eq!((status, body["code"].as_str()), write, "{control}");
        }
    }
}

on_both_databases! { at localhost:
    // Spec §11–§12 (Logto's account routes for WebAuthn; its integration tests have no
    // account passkey file): a registration record, bound with a proof, then named.
    async fn people_add_name_and_remove_their_own_passkeys(server) {
        server.app(AppType::Spa, "spa").await;
        server.user("ada", PASSWORD).await;
        enable_all_fields(&server).await;
        let token = token_for(&server, "ada", "openid profile identities").await;
        let mut authenticator = common::passkey::SoftAuthenticator::new(&server.base);
        let (status, body) = call(&server, &token, "POST", "/api/verifications/web-authn/registration", None, None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.mfa.mfa_factor_not_enabled")), "passkeys are off in the sign-in experience");
        server.sign_in_experience(json!({"mfa": {"factors": ["WebAuthn"], "policy": "UserControlled"}})).await;

        let (status, started) = call(&server, &token, "POST", "/api/verifications/web-authn/registration", None, None).await;
        assert_eq!(status, 201, "{started}");
        assert!(started["expiresAt"].is_string());
        let record = started["verificationRecordId"].as_str().unwrap().to_owned();
        let answer = authenticator.register(&started["registrationOptions"]);
        let (status, body) = call(&server, &token, "POST", "/api/verifications/web-authn/registration/verify", Some(json!({"verificationRecordId": "not-it", "payload": answer})), None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("verification_record.not_found")));
        let (status, verified) = call(&server, &token, "POST", "/api/verifications/web-authn/registration/verify", Some(json!({"verificationRecordId": record, "payload": answer})), None).await;
        assert_eq!((status, verified["verificationRecordId"].as_str()), (200, Some(record.as_str())), "{verified}");
        let (status, body) = call(&server, &token, "POST", "/api/verifications/web-authn/registration/verify", Some(json!({"verificationRecordId": record, "payload": answer})), None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("verification_record.not_found")), "a challenge is answered once");

        let bind = json!({"type": "WebAuthn", "newIdentifierVerificationRecordId": record, "name": "Laptop"});
        let (status, body) = call(&server, &token, "POST", "/api/my-account/mfa-verifications", Some(bind.clone()), None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("verification_record.permission_denied")));
        let (_, proof) = call(&server, &token, "POST", "/api/verifications/password", Some(json!({"password": PASSWORD})), None).await;
        let proof = proof["verificationRecordId"].as_str().unwrap().to_owned();
        assert_eq!(call(&server, &token, "POST", "/api/my-account/mfa-verifications", Some(bind.clone()), Some(&proof)).await.0, 204);
        let (status, body) = call(&server, &token, "POST", "/api/my-account/mfa-verifications", Some(bind), Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("verification_record.not_found")), "a record binds once");

        let (_, factors) = call(&server, &token, "GET", "/api/my-account/mfa-verifications", None, None).await;
        let passkey = factors.as_array().unwrap().iter().find(|f| f["type"] == "WebAuthn").expect("bound").clone();
        assert_eq!(passkey["name"], "Laptop");
        let id = passkey["id"].as_str().unwrap();
        let rename = |name: String, proof: Option<String>| {
            let (server, token, path) = (&server, &token, format!("/api/my-account/mfa-verifications/{id}/name"));
            async move { call(server, token, "PATCH", &path, Some(json!({"name": name})), proof.as_deref()).await }
        };
        assert_eq!(rename("Work laptop".into(), None).await.0, 401);
        assert_eq!(rename("Work laptop".into(), Some(proof.clone())).await.0, 204);
        let (_, factors) = call(&server, &token, "GET", "/api/my-account/mfa-verifications", None, None).await;
        assert_eq!(factors[0]["name"], "Work laptop");
        assert_eq!(rename("x".repeat(65), Some(proof.clone())).await.0, 400);
        let (status, body) = call(&server, &token, "PATCH", "/api/my-account/mfa-verifications/unknown/name", Some(json!({"name": "x"})), Some(&proof)).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("verification_record.not_found")));

        // The passkey is now a second factor at sign-in.
        let browser = server.identified("ada", PASSWORD).await;
        assert_eq!(server.submit(&browser).await.1["code"], "session.mfa.require_mfa_verification");
        assert_eq!(call(&server, &token, "DELETE", &format!("/api/my-account/mfa-verifications/{id}"), None, Some(&proof)).await.0, 204);
    }
}

on_both_databases! {
    // As Logto's account/email-and-phone.test.ts (phone part): the same two proofs through the
    // SMS connector; a number already used in another format is taken.
    async fn the_primary_phone_changes_with_two_proofs(server) {
        server.app(AppType::Spa, "spa").await;
        let gateway = common::sms::SmsGateway::start().await;
        identity::connectors::configure(&server.state.store, &server.clock, &gateway.connector()).await.unwrap();
        let ada = server.user("ada", PASSWORD).await;
        let grace = server.user("grace", PASSWORD).await;
        let management = server.management_client().await;
        server.call(&management, "PATCH", &format!("/api/users/{ada}"), Some(json!({"primaryPhone": "61412345678"}))).await;
        server.call(&management, "PATCH", &format!("/api/users/{grace}"), Some(json!({"primaryPhone": "610487654321"}))).await;
        enable_all_fields(&server).await;
        let token = token_for(&server, "ada", "openid profile phone").await;
        let code_to = |number: &'static str| {
            let (server, token, gateway) = (&server, &token, &gateway);
            async move {
                let (status, record) = call(server, token, "POST", "/api/verifications/verification-code", Some(json!({"identifier": {"type": "phone", "value": number}})), None).await;
                assert_eq!(status, 201, "{record}");
                let text = gateway.last().await["text"].as_str().unwrap().to_owned();
                let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
                let id = record["verificationRecordId"].as_str().unwrap().to_owned();
                let (status, body) = call(server, token, "POST", "/api/verifications/verification-code/verify", Some(json!({"identifier": {"type": "phone", "value": number}, "verificationId": id, "code": code})), None).await;
                assert_eq!(status, 200, "{body}");
                id
            }
        };
        let own = code_to("61412345678").await;
        let new = code_to("61498765432").await;
        let set = |number: &'static str, record: String| {
            let (server, token, own) = (&server, &token, own.clone());
            async move { call(server, token, "POST", "/api/my-account/primary-phone", Some(json!({"phone": number, "newIdentifierVerificationRecordId": record})), Some(&own)).await }
        };
        assert_eq!(set("61498765432", new).await.0, 204);
        assert_eq!(call(&server, &token, "GET", "/api/my-account", None, None).await.1["primaryPhone"], "61498765432");
        // Grace's number, written with the trunk zero dropped, is still hers.
        let taken = code_to("61487654321").await;
        let (status, body) = set("61487654321", taken).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.phone_already_in_use")));

        let unscoped = token_for(&server, "ada", "openid profile").await;
        let (status, body) = call(&server, &unscoped, "DELETE", "/api/my-account/primary-phone", None, Some(&own)).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("auth.unauthorized")));
        let (status, body) = call(&server, &token, "DELETE", "/api/my-account/primary-phone", None, Some("invalid")).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("verification_record.permission_denied")));
        assert_eq!(call(&server, &token, "DELETE", "/api/my-account/primary-phone", None, Some(&own)).await.0, 204);
        assert_eq!(call(&server, &token, "GET", "/api/my-account", None, None).await.1["primaryPhone"], Value::Null);
    }
}
