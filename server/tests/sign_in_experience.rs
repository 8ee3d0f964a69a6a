//! The sign-in experience through the Experience API alone (spec §3, §4, §14): registration,
//! verification codes delivered over real SMTP (and an HTTP SMS gateway), password reset,
//! password policy, send limits, lockout, sign-in modes and terms — on SQLite and PostgreSQL.

mod common;

use identity::applications::AppType;
use reqwest::header::LOCATION;
use serde_json::{json, Value};

const STRONG: &str = "Maple-Orbit-72!";

fn id_of(body: &Value) -> String {
    body["verificationId"].as_str().unwrap_or_else(|| panic!("no verificationId in {body}")).to_owned()
}

fn email(value: &str) -> Value {
    json!({"type": "email", "value": value})
}

/// Sends a code to `address` for `event` and returns (verificationId, the code received).
async fn code_for(server: &common::TestServer, browser: &reqwest::Client, smtp: &common::smtp::SmtpServer, address: &str, event: &str) -> (String, String) {
    let before = smtp.count_to(address);
    let (status, body) = server.call(browser, "POST", "/api/experience/verification/verification-code", Some(json!({"identifier": email(address), "interactionEvent": event}))).await;
    assert_eq!(status, 200, "{body}");
    let mail = smtp.last_to(address).await;
    assert_eq!(smtp.count_to(address), before + 1);
    (id_of(&body), mail.code())
}

/// Follows a `redirectTo` to the client and exchanges the code: the sign-in really happened.
async fn finish_at_client(server: &common::TestServer, browser: &reqwest::Client, submitted: &Value) -> Value {
    let redirect_to = submitted["redirectTo"].as_str().unwrap_or_else(|| panic!("no redirectTo in {submitted}"));
    let code = server.code_from(browser, redirect_to).await;
    let tokens = server.exchange_code("spa", &code).await;
    server.verify_jwt(tokens["id_token"].as_str().unwrap(), "spa").await
}

async fn email_sign_up(server: &common::TestServer) {
    server
        .sign_in_experience(json!({
            "signUp": {"identifiers": ["email"], "password": false, "verify": true},
            "signIn": {"methods": [
                {"identifier": "email", "password": true, "verificationCode": true, "isPasswordPrimary": false},
                {"identifier": "username", "password": true, "verificationCode": false}
            ]}
        }))
        .await;
}

on_both_databases! {
    async fn username_registration_creates_the_account_and_signs_in(server) {
        let browser = server.browser_in_interaction().await;
        assert_eq!(server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await.0, 204);
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/new-password-identity",
            Some(json!({"identifier": {"type": "username", "value": "grace"}, "password": STRONG}))).await;
        assert_eq!(status, 200, "{body}");
        let (status, _) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id_of(&body)}))).await;
        assert_eq!(status, 201, "a new user is 201 Created");
        let (status, submitted) = server.call(&browser, "POST", "/api/experience/submit", None).await;
        assert_eq!(status, 200);
        let claims = finish_at_client(&server, &browser, &submitted).await;
        let user = identity::users::find_by_username(&server.state.store, "grace").await.unwrap().expect("registered");
        assert_eq!(claims["sub"], user.id.as_str());
        assert!(user.last_sign_in_at.is_some());

        // The password works for the next sign-in; the username is taken for the next sign-up.
        let next = server.browser_in_interaction().await;
        server.experience_sign_in(&next, "grace", STRONG).await;
        server.call(&next, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await;
        let (status, body) = server.call(&next, "POST", "/api/experience/verification/new-password-identity",
            Some(json!({"identifier": {"type": "username", "value": "grace"}, "password": STRONG}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.username_already_in_use")));
    }

    async fn the_password_policy_explains_each_rejection(server) {
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await;
        let attempt = |password: &'static str| {
            let (server, browser) = (&server, &browser);
            async move {
                server.call(browser, "POST", "/api/experience/verification/new-password-identity",
                    Some(json!({"identifier": {"type": "username", "value": "linus"}, "password": password}))).await
            }
        };
        let (status, body) = attempt("Ab1!").await;
        assert_eq!((status, body["code"].as_str()), (422, Some("password.rejected")));
        assert_eq!(body["data"], json!([{"code": "password_rejected.too_short", "interpolation": {"min": 8}}]));
        // In the breached list (offline).
        let (_, body) = attempt("iloveyou123").await;
        assert!(body["data"].as_array().unwrap().iter().any(|i| i["code"] == "password_rejected.pwned"), "{body}");
        let (_, body) = attempt("abcdefghij").await;
        assert!(body["data"].as_array().unwrap().iter().any(|i| i["code"] == "password_rejected.restricted.sequence"), "{body}");
        let (_, body) = attempt("Linus_Linus").await;
        assert!(body["data"].as_array().unwrap().iter().any(|i| i["code"] == "password_rejected.restricted.user_info"), "{body}");
        let (_, body) = attempt("pässwörd-lang").await;
        assert!(body["data"].as_array().unwrap().iter().any(|i| i["code"] == "password_rejected.unsupported_characters"), "{body}");
        assert_eq!(attempt(STRONG).await.0, 200);
        assert_eq!(identity::users::count(&server.state.store).await.unwrap(), 0, "nothing is written before identification");
    }

    async fn email_registration_with_a_code_sent_over_smtp(server) {
        email_sign_up(&server).await;
        let smtp = server.mail_server().await;
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await;
        let (id, code) = code_for(&server, &browser, &smtp, "New.Person@example.com", "Register").await;
        let mail = smtp.last_to("New.Person@example.com").await;
        assert_eq!(mail.subject(), "Your verification code");
        assert!(!server.state.store.pool().is_closed());
        // The code is stored hashed.
        let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM verification_codes").fetch_all(server.state.store.pool()).await.unwrap();
        assert!(stored.iter().all(|h| !h.contains(&code)));

        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/verification-code/verify",
            Some(json!({"identifier": email("new.person@example.com"), "verificationId": id, "code": code}))).await;
        assert_eq!(status, 200, "emails match case-insensitively: {body}");
        let (status, _) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await;
        assert_eq!(status, 201);
        let (_, submitted) = server.call(&browser, "POST", "/api/experience/submit", None).await;
        let claims = finish_at_client(&server, &browser, &submitted).await;
        assert_eq!(claims["email"], "New.Person@example.com");

        // The same address registering again is told it has an account.
        let again = server.browser_in_interaction().await;
        server.call(&again, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await;
        let (id, code) = code_for(&server, &again, &smtp, "new.person@example.com", "Register").await;
        server.call(&again, "POST", "/api/experience/verification/verification-code/verify",
            Some(json!({"identifier": email("new.person@example.com"), "verificationId": id, "code": code}))).await;
        let (status, body) = server.call(&again, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.email_already_in_use")));
        // ... and can sign in with the same verification instead.
        server.call(&again, "PUT", "/api/experience/interaction-event", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (status, _) = server.call(&again, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await;
        assert_eq!(status, 204);
    }

    async fn wrong_expired_and_exhausted_codes(server) {
        email_sign_up(&server).await;
        server.sign_in_experience(json!({"verificationCodePolicy": {"expirationDuration": 600, "maxRetryAttempts": 3}})).await;
        let smtp = server.mail_server().await;
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await;
        let (id, code) = code_for(&server, &browser, &smtp, "ada@example.com", "Register").await;
        let verify = |code: String, address: &'static str, id: String| {
            let (server, browser) = (&server, &browser);
            async move {
                server.call(browser, "POST", "/api/experience/verification/verification-code/verify",
                    Some(json!({"identifier": email(address), "verificationId": id, "code": code}))).await
            }
        };
        let wrong = if code == "000000" { "111111" } else { "000000" }.to_owned();
        let (status, body) = verify(wrong.clone(), "ada@example.com", id.clone()).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("verification_code.code_mismatch")));
        let logged = identity::audit::list(&server.state.store, &identity::audit::LogQuery { key: Some("Interaction.Register.Verification.EmailVerificationCode.Submit".into()), page: 1, page_size: 10, ..Default::default() }).await.unwrap();
        assert_eq!(logged.1, 1, "a wrong code is in the audit log");
        let (_, body) = verify(code.clone(), "other@example.com", id.clone()).await;
        assert_eq!(body["code"], "verification_code.email_mismatch");
        let (status, body) = verify(code.clone(), "ada@example.com", "no-such-record".into()).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("session.verification_session_not_found")));
        verify(wrong.clone(), "ada@example.com", id.clone()).await;
        verify(wrong.clone(), "ada@example.com", id.clone()).await;
        let (_, body) = verify(code.clone(), "ada@example.com", id.clone()).await;
        assert_eq!(body["code"], "verification_code.exceed_max_try", "even the right code, after three wrong ones");

        let (id, code) = code_for(&server, &browser, &smtp, "ada@example.com", "Register").await;
        server.clock.advance_ms((601) * 1000);
        let (_, body) = verify(code, "ada@example.com", id).await;
        assert_eq!(body["code"], "verification_code.expired");
    }

    async fn code_sign_in_and_no_enumeration_while_registration_is_closed(server) {
        email_sign_up(&server).await;
        let smtp = server.mail_server().await;
        server.user("alice", STRONG).await;
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (id, code) = code_for(&server, &browser, &smtp, "alice@example.com", "SignIn").await;
        assert_eq!(smtp.last_to("alice@example.com").await.subject(), "Your sign-in code");
        server.call(&browser, "POST", "/api/experience/verification/verification-code/verify",
            Some(json!({"identifier": email("alice@example.com"), "verificationId": id, "code": code}))).await;
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await.0, 204);
        let (_, submitted) = server.call(&browser, "POST", "/api/experience/submit", None).await;
        let claims = finish_at_client(&server, &browser, &submitted).await;
        assert_eq!(claims["email"], "alice@example.com");

        // With registration closed, an unknown address gets the same answer and no message.
        server.sign_in_experience(json!({"signInMode": "SignIn"})).await;
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/verification-code",
            Some(json!({"identifier": email("nobody@example.com"), "interactionEvent": "SignIn"}))).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["verificationId"].is_string());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(smtp.count_to("nobody@example.com"), 0, "nothing was sent");
        // Registering is refused in SignIn mode.
        let (status, body) = server.call(&browser, "PUT", "/api/experience/interaction-event", Some(json!({"interactionEvent": "Register"}))).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("auth.forbidden")));
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await;
        server.call(&browser, "POST", "/api/experience/verification/new-password-identity",
            Some(json!({"identifier": {"type": "username", "value": "mallory"}, "password": STRONG}))).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({}))).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("auth.forbidden")));
        assert!(identity::users::find_by_username(&server.state.store, "mallory").await.unwrap().is_none());
    }

    async fn unknown_and_wrong_passwords_look_the_same(server) {
        server.user("alice", STRONG).await;
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let try_password = |username: &'static str| {
            let (server, browser) = (&server, &browser);
            async move {
                server.call(browser, "POST", "/api/experience/verification/password",
                    Some(json!({"identifier": {"type": "username", "value": username}, "password": "Wrong-Guess-1"}))).await
            }
        };
        let unknown = try_password("nobody").await;
        let wrong = try_password("alice").await;
        assert_eq!(unknown.0, 422);
        assert_eq!(unknown, wrong, "the same status and body");
    }

    async fn repeated_failures_lock_the_identifier(server) {
        server.sign_in_experience(json!({"sentinelPolicy": {"maxAttempts": 3, "lockoutDuration": 10}})).await;
        server.user("alice", STRONG).await;
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let attempt = |password: &'static str| {
            let (server, browser) = (&server, &browser);
            async move {
                server.call(browser, "POST", "/api/experience/verification/password",
                    Some(json!({"identifier": {"type": "username", "value": "alice"}, "password": password}))).await
            }
        };
        // As Logto's experience-api/basic-sentinel.test.ts: the failure that reaches the limit is
        // itself answered as blocked, and so is the right password after it.
        for _ in 0..2 {
            assert_eq!(attempt("Wrong-Guess-1").await.0, 422);
        }
        let (status, body) = attempt("Wrong-Guess-1").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.verification_blocked_too_many_attempts")), "the third failure locks");
        let (status, body) = attempt(STRONG).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.verification_blocked_too_many_attempts")), "locked, even with the right password");
        // Another identifier is not affected.
        server.user("bob", STRONG).await;
        let (status, _) = server.call(&browser, "POST", "/api/experience/verification/password",
            Some(json!({"identifier": {"type": "username", "value": "bob"}, "password": STRONG}))).await;
        assert_eq!(status, 200);
        server.clock.advance_ms((11 * 60) * 1000);
        assert_eq!(attempt(STRONG).await.0, 200, "unlocked after the lockout");
    }

    async fn password_reset_by_email(server) {
        let smtp = server.mail_server().await;
        let user_id = server.user("alice", STRONG).await;
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "ForgotPassword"}))).await;
        // Unknown addresses: the same answer, nothing sent.
        let (status, _) = server.call(&browser, "POST", "/api/experience/verification/verification-code",
            Some(json!({"identifier": email("ghost@example.com"), "interactionEvent": "ForgotPassword"}))).await;
        assert_eq!(status, 200);
        let (id, code) = code_for(&server, &browser, &smtp, "alice@example.com", "ForgotPassword").await;
        assert_eq!(smtp.count_to("ghost@example.com"), 0);
        let (status, body) = server.call(&browser, "PUT", "/api/experience/profile/password", Some(json!({"password": "New-Secret-99"}))).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("session.identifier_not_found")));
        server.call(&browser, "POST", "/api/experience/verification/verification-code/verify",
            Some(json!({"identifier": email("alice@example.com"), "verificationId": id, "code": code}))).await;
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await.0, 204);
        let (status, body) = server.call(&browser, "PUT", "/api/experience/profile/password", Some(json!({"password": STRONG}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.same_password")));
        let (status, body) = server.call(&browser, "PUT", "/api/experience/profile/password", Some(json!({"password": "short"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("password.rejected")));
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile", Some(json!({"type": "username", "value": "x"}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.not_supported_for_forgot_password")));
        assert_eq!(server.call(&browser, "PUT", "/api/experience/profile/password", Some(json!({"password": "New-Secret-99"}))).await.0, 204);
        let (status, body) = server.call(&browser, "POST", "/api/experience/submit", None).await;
        assert_eq!((status, body), (204, Value::Null), "no redirect after a reset");

        let user = identity::users::find_by_id(&server.state.store, &user_id).await.unwrap().unwrap();
        assert!(server.state.provider.passwords.verify("New-Secret-99", user.password.as_ref()).await);
        let next = server.browser_in_interaction().await;
        server.experience_sign_in(&next, "alice", "New-Secret-99").await;
    }

    async fn messages_per_recipient_are_limited(server) {
        let smtp = server.mail_server().await;
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await;
        for _ in 0..10 {
            code_for(&server, &browser, &smtp, "busy@example.com", "Register").await;
        }
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/verification-code",
            Some(json!({"identifier": email("BUSY@example.com"), "interactionEvent": "Register"}))).await;
        assert_eq!((status, body["code"].as_str()), (429, Some("request.message_rate_limited")));
        assert_eq!(smtp.count_to("busy@example.com"), 10);
        server.clock.advance_ms((601) * 1000);
        code_for(&server, &browser, &smtp, "busy@example.com", "Register").await;
    }

    async fn manual_terms_are_enforced_by_the_api(server) {
        server.sign_in_experience(json!({"termsOfUseUrl": "https://example.com/terms", "agreeToTermsPolicy": "ManualRegistrationOnly"})).await;
        let register = |agree: bool| {
            let server = &server;
            async move {
                let browser = server.browser_in_interaction().await;
                server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register", "agreeToTerms": agree}))).await;
                let (_, body) = server.call(&browser, "POST", "/api/experience/verification/new-password-identity",
                    Some(json!({"identifier": {"type": "username", "value": "terry"}, "password": STRONG}))).await;
                server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id_of(&body)}))).await
            }
        };
        let (status, body) = register(false).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("session.terms_not_agreed")));
        assert!(identity::users::find_by_username(&server.state.store, "terry").await.unwrap().is_none());
        assert_eq!(register(true).await.0, 201);
    }

    async fn missing_profile_is_completed_before_the_account_exists(server) {
        server.sign_in_experience(json!({"signUp": {"identifiers": ["username"], "password": true, "verify": false,
            "secondaryIdentifiers": [{"identifier": "email", "verify": true}]}})).await;
        let smtp = server.mail_server().await;
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await;
        let (_, body) = server.call(&browser, "POST", "/api/experience/verification/new-password-identity",
            Some(json!({"identifier": {"type": "username", "value": "hedy"}, "password": STRONG}))).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id_of(&body)}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.missing_profile")));
        assert_eq!(body["data"]["missingProfile"], json!(["email"]));
        assert!(identity::users::find_by_username(&server.state.store, "hedy").await.unwrap().is_none());

        let (id, code) = code_for(&server, &browser, &smtp, "hedy@example.com", "Register").await;
        server.call(&browser, "POST", "/api/experience/verification/verification-code/verify",
            Some(json!({"identifier": email("hedy@example.com"), "verificationId": id, "code": code}))).await;
        assert_eq!(server.call(&browser, "POST", "/api/experience/profile", Some(json!({"type": "email", "verificationId": id}))).await.0, 204);
        let (_, state) = server.call(&browser, "GET", "/api/experience/interaction", None).await;
        assert_eq!(state["profile"]["username"], "hedy");
        assert!(!state.to_string().contains("argon2"), "no hashes are shown: {state}");
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({}))).await.0, 201);
        let (_, submitted) = server.call(&browser, "POST", "/api/experience/submit", None).await;
        let claims = finish_at_client(&server, &browser, &submitted).await;
        assert_eq!(claims["email"], "hedy@example.com");
    }

    async fn disabled_sign_in_methods_are_refused(server) {
        server.sign_in_experience(json!({"signIn": {"methods": [{"identifier": "username", "password": true, "verificationCode": false}]}})).await;
        server.user("alice", STRONG).await;
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/password",
            Some(json!({"identifier": email("alice@example.com"), "password": STRONG}))).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id_of(&body)}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.sign_in_method_not_enabled")));
    }

    async fn sms_codes_go_through_the_http_gateway(server) {
        let gateway = common::sms::SmsGateway::start().await;
        identity::connectors::configure(&server.state.store, &server.clock, &gateway.connector()).await.unwrap();
        server.sign_in_experience(json!({"signUp": {"identifiers": ["phone"], "password": false, "verify": true},
            "signIn": {"methods": [{"identifier": "phone", "password": false, "verificationCode": true}, {"identifier": "username", "password": true, "verificationCode": false}]}})).await;
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/verification/verification-code",
            Some(json!({"identifier": {"type": "phone", "value": "+61 412 345 678"}, "interactionEvent": "Register"}))).await;
        assert_eq!(status, 200, "{body}");
        let sms = gateway.last().await;
        assert_eq!(sms["to"], "61412345678");
        let code: String = sms["text"].as_str().unwrap().chars().filter(char::is_ascii_digit).take(6).collect();
        let id = id_of(&body);
        let (status, _) = server.call(&browser, "POST", "/api/experience/verification/verification-code/verify",
            Some(json!({"identifier": {"type": "phone", "value": "61412345678"}, "verificationId": id, "code": code}))).await;
        assert_eq!(status, 200);
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await.0, 201);
        server.call(&browser, "POST", "/api/experience/submit", None).await;
        // The trunk-zero form of the number finds the same account.
        assert!(identity::users::find_by_phone(&server.state.store, "610412345678").await.unwrap().is_some());
    }

    async fn authentication_parameters_pick_the_first_screen(server) {
        let (client_id, _) = server.app(AppType::Spa, "spa").await;
        let location = |extra: &'static [(&'static str, &'static str)]| {
            let server = &server;
            let client_id = client_id.clone();
            async move {
                let response = server.http.get(server.auth_url(&client_id, extra)).send().await.unwrap();
                response.headers()[LOCATION].to_str().unwrap().to_owned()
            }
        };
        assert_eq!(location(&[]).await, "/sign-in?app_id=spa");
        assert_eq!(location(&[("first_screen", "register"), ("login_hint", "ada@example.com")]).await, "/register?app_id=spa&login_hint=ada%40example.com");
        assert_eq!(location(&[("first_screen", "reset_password")]).await, "/reset-password?app_id=spa");
        assert_eq!(location(&[("first_screen", "identifier:sign_in"), ("identifier", "email phone")]).await, "/identifier-sign-in?app_id=spa&identifier=email+phone");
        assert_eq!(location(&[("interaction_mode", "signUp")]).await, "/register?app_id=spa");
        assert_eq!(location(&[("direct_sign_in", "social:google")]).await, "/direct/social/google?app_id=spa&fallback=sign-in");
        // Direct sign-in targets arrive with social sign-in; until then the fallback is used.
        let fallback = server.http.get(server.url("/direct/social/google?app_id=spa&fallback=sign-in")).send().await.unwrap();
        assert_eq!(fallback.headers()[LOCATION], "/sign-in?app_id=spa");
    }

    async fn the_public_configuration_is_served(server) {
        server.sign_in_experience(json!({"termsOfUseUrl": "https://example.com/terms", "color": {"primaryColor": "#0F766E"}})).await;
        let body: Value = server.http.get(server.url("/api/.well-known/sign-in-exp")).send().await.unwrap().json().await.unwrap();
        assert_eq!(body["signInMode"], "SignInAndRegister");
        assert_eq!(body["termsOfUseUrl"], "https://example.com/terms");
        assert_eq!(body["color"]["primaryColor"], "#0F766E");
        assert_eq!(body["forgotPassword"], json!({"email": true, "phone": true}));
        // Invalid changes are refused with the spec's codes and change nothing.
        let err = identity::sign_in_experience::update(&server.state.store, &server.clock,
            &json!({"signIn": {"methods": [{"identifier": "email", "password": false, "verificationCode": false}]}})).await.unwrap_err();
        assert_eq!(identity::ErrorCode::code(&err), "sign_in_experiences.at_least_one_authentication_factor");
        let err = identity::sign_in_experience::update(&server.state.store, &server.clock, &json!({"signUp": {"identifiers": ["email"], "password": false, "verify": false}})).await.unwrap_err();
        assert_eq!(identity::ErrorCode::code(&err), "sign_in_experiences.passwordless_requires_verify");
        let err = identity::sign_in_experience::update(&server.state.store, &server.clock, &json!({"customCss": "a{}</style>"})).await.unwrap_err();
        assert_eq!(identity::ErrorCode::code(&err), "guard.invalid_input");
        let kept = identity::sign_in_experience::load(&server.state.store).await.unwrap();
        assert_eq!(kept.terms_of_use_url.as_deref(), Some("https://example.com/terms"));
        assert!(kept.custom_css.is_none());
    }
}

on_both_databases! {
    async fn every_other_error_is_answered_with_its_code(server) {
        let smtp = server.mail_server().await;
        let alice = server.user("alice", STRONG).await;
        server.user("bob", STRONG).await;

        // No interaction cookie, then an interaction that was never started.
        let stranger = server.browser();
        let (status, body) = server.call(&stranger, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.not_found")));
        let browser = server.browser_in_interaction().await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/submit", None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("session.interaction_not_found")));

        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (status, body) = server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Nope"}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));
        let (status, body) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")), "SignIn needs a verificationId");
        let (status, body) = server.call(&browser, "POST", "/api/experience/submit", None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("session.identifier_not_found")));
        let (status, body) = server.call(&browser, "PUT", "/api/experience/profile/password", Some(json!({"password": STRONG}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.invalid_interaction_type")));
        let (status, body) = server.call(&browser, "PUT", "/api/experience/interaction-event", Some(json!({"interactionEvent": "ForgotPassword"}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.not_supported_for_forgot_password")));

        // An unverified code record does not identify anyone.
        let (_, sent) = server.call(&browser, "POST", "/api/experience/verification/verification-code",
            Some(json!({"identifier": email("alice@example.com"), "interactionEvent": "SignIn"}))).await;
        smtp.last_to("alice@example.com").await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id_of(&sent)}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("session.verification_failed")));

        // Identified as alice: her profile already has a username, and bob is someone else.
        let (_, verified) = server.call(&browser, "POST", "/api/experience/verification/password",
            Some(json!({"identifier": {"type": "username", "value": "alice"}, "password": STRONG}))).await;
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id_of(&verified)}))).await.0, 204);
        let (status, body) = server.call(&browser, "POST", "/api/experience/profile", Some(json!({"type": "username", "value": "alice2"}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.username_exists_in_profile")));
        let (_, bob) = server.call(&browser, "POST", "/api/experience/verification/password",
            Some(json!({"identifier": {"type": "username", "value": "bob"}, "password": STRONG}))).await;
        let (status, body) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": id_of(&bob)}))).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("session.identity_conflict")));

        // A reset must set a new password before submitting.
        let reset = server.browser_in_interaction().await;
        server.call(&reset, "PUT", "/api/experience", Some(json!({"interactionEvent": "ForgotPassword"}))).await;
        let (id, code) = code_for(&server, &reset, &smtp, "alice@example.com", "ForgotPassword").await;
        server.call(&reset, "POST", "/api/experience/verification/verification-code/verify",
            Some(json!({"identifier": email("alice@example.com"), "verificationId": id, "code": code}))).await;
        server.call(&reset, "POST", "/api/experience/identification", Some(json!({"verificationId": id}))).await;
        let (status, body) = server.call(&reset, "POST", "/api/experience/submit", None).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("user.new_password_required_in_profile")));

        // A suspended account cannot sign in, even with the right password.
        sqlx::query("UPDATE users SET is_suspended = $1 WHERE id = $2").bind(true).bind(&alice).execute(server.state.store.pool()).await.unwrap();
        let late = server.browser_in_interaction().await;
        server.call(&late, "PUT", "/api/experience", Some(json!({"interactionEvent": "SignIn"}))).await;
        let (status, body) = server.call(&late, "POST", "/api/experience/verification/password",
            Some(json!({"identifier": {"type": "username", "value": "alice"}, "password": STRONG}))).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("user.suspended")));
    }
}
