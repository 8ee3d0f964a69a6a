//! One-time tokens in the Management API, as Logto's `one-time-token.test.ts` expects — but
//! stored hashed: the token is in the create answer only (Logto shows it on every read).

mod common;

use serde_json::{json, Value};

on_both_databases! {
    async fn one_time_tokens_are_issued_used_once_and_expire(server) {
        let m = server.management_client().await;
        let (status, token) = server.call(&m, "POST", "/api/one-time-tokens", Some(json!({"email": "foo@bar.com"}))).await;
        assert_eq!(status, 201, "{token}");
        let now = identity::clock::Clock::now_ms(&server.clock);
        assert_eq!((&token["status"], &token["context"], &token["email"]), (&json!("active"), &json!({}), &json!("foo@bar.com")));
        assert_eq!(token["expiresAt"].as_i64().unwrap(), now + 600_000, "ten minutes by default");
        assert_eq!(token["token"].as_str().unwrap().len(), 32);
        let id = token["id"].as_str().unwrap().to_owned();
        let value = token["token"].as_str().unwrap().to_owned();
        let stored: String = sqlx::query_scalar("SELECT token_hash FROM one_time_tokens WHERE id = $1").bind(&id).fetch_one(server.state.store.pool()).await.unwrap();
        assert_ne!(stored, value, "stored hashed");

        let (status, read) = server.call(&m, "GET", &format!("/api/one-time-tokens/{id}"), None).await;
        assert_eq!(status, 200);
        let mut without_value = token.clone();
        without_value.as_object_mut().unwrap().remove("token");
        assert_eq!(read, without_value, "the value is not shown again");
        let (status, body) = server.call(&m, "GET", "/api/one-time-tokens/non-existent-id", None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("entity.not_exists_with_id")));

        let (status, with_context) = server.call(&m, "POST", "/api/one-time-tokens", Some(json!({"email": "foo@bar.com", "context": {"jitOrganizationIds": ["org-1"]}, "expiresIn": 30}))).await;
        assert_eq!((status, &with_context["context"]), (201, &json!({"jitOrganizationIds": ["org-1"]})));
        assert_eq!(with_context["expiresAt"].as_i64().unwrap(), now + 30_000);
        for bad in [json!({"email": "not-an-email"}), json!({"email": "a@b.com", "context": {"shoeSize": 42}}), json!({"email": "a@b.com", "expiresIn": 0})] {
            assert_eq!(server.call(&m, "POST", "/api/one-time-tokens", Some(bad.clone())).await.0, 400, "{bad}");
        }

        // Verify: the wrong token, the wrong email, then once.
        let verify = |token: String, email: &'static str| {
            let (server, m) = (&server, &m);
            async move { server.call(m, "POST", "/api/one-time-tokens/verify", Some(json!({"token": token, "email": email}))).await }
        };
        let (status, body) = verify("wrong-token".into(), "foo@bar.com").await;
        assert_eq!((status, body["code"].as_str()), (404, Some("one_time_token.token_not_found")));
        let (status, body) = verify(value.clone(), "wrong-email@bar.com").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("one_time_token.email_mismatch")));
        let (status, used) = verify(value.clone(), "foo@bar.com").await;
        let mut consumed = token.clone();
        consumed["status"] = json!("consumed");
        assert_eq!((status, used), (200, consumed));
        let (status, body) = verify(value.clone(), "foo@bar.com").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("one_time_token.token_consumed")));

        // Expiry: said by verify, and recorded; a new token for the address marks its stale ones.
        let (_, short) = server.call(&m, "POST", "/api/one-time-tokens", Some(json!({"email": "late@bar.com", "expiresIn": 1}))).await;
        let (_, stale) = server.call(&m, "POST", "/api/one-time-tokens", Some(json!({"email": "late@bar.com", "expiresIn": 1}))).await;
        server.clock.advance_ms(1_001);
        let (status, body) = verify(short["token"].as_str().unwrap().to_owned(), "late@bar.com").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("one_time_token.token_expired")));
        let recorded: String = sqlx::query_scalar("SELECT status FROM one_time_tokens WHERE id = $1").bind(short["id"].as_str().unwrap()).fetch_one(server.state.store.pool()).await.unwrap();
        assert_eq!(recorded, "expired");
        server.call(&m, "POST", "/api/one-time-tokens", Some(json!({"email": "late@bar.com"}))).await;
        let recorded: String = sqlx::query_scalar("SELECT status FROM one_time_tokens WHERE id = $1").bind(stale["id"].as_str().unwrap()).fetch_one(server.state.store.pool()).await.unwrap();
        assert_eq!(recorded, "expired", "creating a token expires the address's stale ones");

        // Revoke; never active again; revoked tokens do not verify.
        let (_, fresh) = server.call(&m, "POST", "/api/one-time-tokens", Some(json!({"email": "rev@bar.com"}))).await;
        let status_path = format!("/api/one-time-tokens/{}/status", fresh["id"].as_str().unwrap());
        let (status, body) = server.call(&m, "PUT", &status_path, Some(json!({"status": "active"}))).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("one_time_token.cannot_reactivate_token")));
        let (status, revoked) = server.call(&m, "PUT", &status_path, Some(json!({"status": "revoked"}))).await;
        assert_eq!((status, &revoked["status"]), (200, &json!("revoked")));
        let (status, body) = verify(fresh["token"].as_str().unwrap().to_owned(), "rev@bar.com").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("one_time_token.token_revoked")));

        // Lists: by email and status, unpaginated unless asked.
        let (status, late) = server.call(&m, "GET", "/api/one-time-tokens?email=late@bar.com&status=expired", None).await;
        assert_eq!((status, late.as_array().unwrap().len()), (200, 2));
        assert!(late.as_array().unwrap().iter().all(|t| t.get("token").is_none()));
        assert_eq!(server.call(&m, "GET", "/api/one-time-tokens?status=forgotten", None).await.0, 400);
        let response = m.get(server.url("/api/one-time-tokens?page=1&page_size=2")).send().await.unwrap();
        assert_eq!(response.headers()["total-number"], "6");
        assert_eq!(response.json::<Value>().await.unwrap().as_array().unwrap().len(), 2);

        // Delete.
        assert_eq!(server.call(&m, "DELETE", &format!("/api/one-time-tokens/{id}"), None).await.0, 204);
        let (status, body) = server.call(&m, "DELETE", &format!("/api/one-time-tokens/{id}"), None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("entity.not_found")));
        assert_eq!(server.call(&m, "GET", &format!("/api/one-time-tokens/{id}"), None).await.0, 404);
    }
}

/// A browser in a sign-in (or registration) that has used `token` for `email`.
async fn with_token(server: &common::TestServer, event: &str, token: &str, email: &str) -> (reqwest::Client, u16, Value) {
    let browser = server.browser_in_interaction().await;
    server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": event}))).await;
    let (status, body) = server.call(&browser, "POST", "/api/experience/verification/one-time-token/verify", Some(json!({"identifier": {"type": "email", "value": email}, "token": token}))).await;
    (browser, status, body)
}

on_both_databases! {
    // Spec §8, as Logto's experience-api one-time-token tests: a magic link signs in,
    // registers even when registration is closed, and joins the organizations it names; a
    // token for another interaction is refused, unused.
    async fn magic_links_sign_in_and_register_invitees_into_organizations(server) {
        let m = server.management_client().await;
        server.sign_in_experience(json!({"signInMode": "SignIn", "signUp": {"identifiers": ["email"], "password": false, "verify": true},
            "signIn": {"methods": [{"identifier": "email", "password": false, "verificationCode": true, "isPasswordPrimary": false}]}})).await;
        let (_, org) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Acme"}))).await;
        let org = org["id"].as_str().unwrap().to_owned();
        server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "member"}))).await;
        let (_, member) = server.call(&m, "GET", "/api/organization-roles?q=member", None).await;
        server.call(&m, "POST", &format!("/api/organizations/{org}/jit/roles"), Some(json!({"organizationRoleIds": [member[0]["id"]]}))).await;
        let issue = |email: &'static str, context: Value| {
            let (server, m) = (&server, &m);
            async move { server.call(m, "POST", "/api/one-time-tokens", Some(json!({"email": email, "context": context}))).await.1["token"].as_str().unwrap().to_owned() }
        };

        // Invite-only sign-up: registration is closed, the link registers anyway, into Acme.
        let invitation = issue("invitee@example.com", json!({"jitOrganizationIds": [org], "interactionEvent": "Register"})).await;
        let (_, status, body) = with_token(&server, "SignIn", &invitation, "invitee@example.com").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("one_time_token.interaction_event_mismatch")));
        let (browser, status, verified) = with_token(&server, "Register", &invitation, "invitee@example.com").await;
        assert_eq!(status, 200, "{verified} (the mismatch left the token unused)");
        let (status, body) = server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": verified["verificationId"]}))).await;
        assert_eq!(status, 201, "{body}");
        let (status, submitted) = server.submit(&browser).await;
        assert!(status == 200 && submitted["redirectTo"].is_string(), "{status} {submitted}");
        let invitee = identity::users::find_by_email(&server.state.store, "invitee@example.com").await.unwrap().expect("registered");
        let (_, memberships) = server.call(&m, "GET", &format!("/api/users/{}/organizations", invitee.id), None).await;
        assert_eq!((&memberships[0]["id"], &memberships[0]["organizationRoles"][0]["name"]), (&json!(org), &json!("member")), "{memberships}");
        let (_, status, body) = with_token(&server, "Register", &invitation, "invitee@example.com").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("one_time_token.token_consumed")));

        // Without a token, registration stays closed.
        let browser = server.browser_in_interaction().await;
        server.call(&browser, "PUT", "/api/experience", Some(json!({"interactionEvent": "Register"}))).await;
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({}))).await.0, 403);

        // Magic-link sign-in, into the organizations the link names.
        server.user("ada", "Correct-Horse-9").await;
        let link = issue("ada@example.com", json!({"jitOrganizationIds": [org]})).await;
        let (_, status, body) = with_token(&server, "SignIn", &link, "someone@example.com").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("one_time_token.email_mismatch")));
        let (browser, status, verified) = with_token(&server, "SignIn", &link, "ada@example.com").await;
        assert_eq!(status, 200, "{verified}");
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": verified["verificationId"]}))).await.0, 204);
        let (status, submitted) = server.submit(&browser).await;
        assert!(status == 200 && submitted["redirectTo"].is_string(), "{status} {submitted}");
        let ada = identity::users::find_by_email(&server.state.store, "ada@example.com").await.unwrap().unwrap();
        assert_eq!(server.call(&m, "GET", &format!("/api/users/{}/organizations", ada.id), None).await.1[0]["id"], json!(org));
        let (_, status, body) = with_token(&server, "SignIn", "not-a-token", "ada@example.com").await;
        assert_eq!((status, body["code"].as_str()), (404, Some("one_time_token.token_not_found")));

        // Signing in by email is not even a sign-in method now: the link still signs in.
        server.sign_in_experience(json!({"signInMode": "SignInAndRegister", "signUp": {"identifiers": ["username"], "password": true, "verify": false},
            "signIn": {"methods": [{"identifier": "username", "password": true, "verificationCode": false, "isPasswordPrimary": true}]}})).await;
        let link = issue("ada@example.com", json!({})).await;
        let (browser, _, verified) = with_token(&server, "SignIn", &link, "ada@example.com").await;
        assert_eq!(server.call(&browser, "POST", "/api/experience/identification", Some(json!({"verificationId": verified["verificationId"]}))).await.0, 204);
    }
}

on_both_databases! {
    // Vestibule's "Email me a sign-in link" (`magicLinkSignIn`): the hosted sign-in page emails
    // a one-time token back to this interaction's magic-link page; an address that may not
    // sign in or register here gets nothing, and the page says the same either way.
    async fn the_sign_in_page_emails_a_sign_in_link_when_the_operator_allows_it(server) {
        server.app(identity::applications::AppType::Spa, "spa").await;
        let smtp = server.mail_server().await;
        let ada = server.user("ada", "Correct-Horse-9").await;
        let send = |browser: reqwest::Client, to: &'static str| {
            let server = &server;
            async move {
                let response = browser.post(server.url("/sign-in/link")).form(&[("identifier", to)]).send().await.unwrap();
                response.headers()["location"].to_str().unwrap().to_owned()
            }
        };
        let location = send(server.browser_in_interaction().await, "ada@example.com").await;
        assert!(location.starts_with("/sign-in/code?error=user.sign_in_method_not_enabled"), "off by default: {location}");
        assert_eq!(smtp.count_to("ada@example.com"), 0);

        server.sign_in_experience(json!({"magicLinkSignIn": true})).await;
        let browser = server.browser();
        server.begin(&browser, &server.auth_url("spa", &[])).await;
        let location = send(browser.clone(), "Ada@Example.com").await;
        assert_eq!(location, "/sign-in/link-sent?to=ada%40example.com");
        let mail = smtp.last_to("ada@example.com").await;
        assert_eq!(mail.subject(), "Your sign-in link");
        let link = mail.link("/one-time-token");
        let query: Vec<(String, String)> = form_urlencoded::parse(link.split_once('?').unwrap().1.as_bytes()).into_owned().collect();
        let token = &query.iter().find(|(k, _)| k == "one_time_token").unwrap().1;
        assert_eq!(query.iter().find(|(k, _)| k == "login_hint").map(|(_, v)| v.as_str()), Some("ada@example.com"));
        let response = browser.post(server.url("/one-time-token")).form(&[("identifier", "ada@example.com"), ("one_time_token", token.as_str())]).send().await.unwrap();
        let resume = response.headers()["location"].to_str().unwrap().to_owned();
        let resume = if resume.starts_with("http") { resume } else { server.url(&resume) };
        let code = server.code_from(&browser, &resume).await;
        let tokens = server.exchange_code("spa", &code).await;
        let claims = server.verify_jwt(tokens["id_token"].as_str().unwrap(), "spa").await;
        assert_eq!(claims["sub"], json!(ada), "the link signed ada in");

        // Registration is open: a new address gets a link that creates the account.
        send(server.browser_in_interaction().await, "newcomer@example.com").await;
        assert_eq!(smtp.count_to("newcomer@example.com"), 1);
        // Closed: nothing goes out, and the answer is the same.
        server.sign_in_experience(json!({"signInMode": "SignIn"})).await;
        let location = send(server.browser_in_interaction().await, "stranger@example.com").await;
        assert_eq!(location, "/sign-in/link-sent?to=stranger%40example.com");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(smtp.count_to("stranger@example.com"), 0);
        let location = send(server.browser_in_interaction().await, "not-an-email").await;
        assert!(location.contains("error=guard.invalid_input"), "{location}");
    }
}

on_both_databases! {
    // Spec §8 reset links: `first_screen=reset_password&one_time_token` with a ForgotPassword
    // token lands on the magic-link page, which proves the address and goes on to the
    // new-password form; the new password then signs in.
    async fn a_password_reset_link_leads_to_the_new_password_form(server) {
        server.app(identity::applications::AppType::Spa, "spa").await;
        let m = server.management_client().await;
        server.user("ada", "Correct-Horse-9").await;
        let (_, token) = server.call(&m, "POST", "/api/one-time-tokens", Some(json!({"email": "ada@example.com", "context": {"interactionEvent": "ForgotPassword"}}))).await;
        let token = token["token"].as_str().unwrap().to_owned();
        let browser = server.browser();
        let landing = server.begin(&browser, &server.auth_url("spa", &[("first_screen", "reset_password"), ("one_time_token", &token), ("login_hint", "ada@example.com")])).await;
        assert!(landing.starts_with("/one-time-token?"), "{landing}");
        let response = browser.post(server.url("/one-time-token")).form(&[("identifier", "ada@example.com"), ("one_time_token", token.as_str())]).send().await.unwrap();
        assert_eq!(response.headers()["location"], "/reset-password/new");
        let response = browser.post(server.url("/reset-password/new")).form(&[("password", "Brand-New-Secret-42")]).send().await.unwrap();
        assert!(response.headers()["location"].to_str().unwrap().starts_with("/sign-in?notice=password_reset"));
        let signed_in = server.browser();
        server.authorize(&signed_in, "spa", "ada", "Brand-New-Secret-42", &[]).await;
    }
}
