//! The hosted pages' forms without JavaScript: plain form posts and redirects, on both
//! databases. (The pages themselves are exercised in Chromium by end2end/.)

mod common;

use reqwest::header::LOCATION;
use serde_json::json;

const STRONG: &str = "Maple-Orbit-72!";

async fn post(browser: &reqwest::Client, server: &common::TestServer, path: &str, form: &[(&str, &str)]) -> String {
    let response = browser.post(server.url(path)).form(form).send().await.unwrap();
    assert_eq!(response.status(), 303, "{path}");
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

on_both_databases! {
    async fn the_identifier_parameter_and_login_hint_shape_the_first_page(server) {
        server.app(identity::applications::AppType::Spa, "spa").await;
        let page = |extra: &'static [(&'static str, &'static str)]| {
            let server = &server;
            async move {
                let browser = server.browser();
                let location = server.begin(&browser, &server.auth_url("spa", extra)).await;
                browser.get(server.url(&location)).send().await.unwrap().text().await.unwrap()
            }
        };
        let plain = page(&[]).await;
        assert!(plain.contains(">Username or email</label>"), "both sign-in identifiers by default");
        let narrowed = page(&[("identifier", "email"), ("login_hint", "ada@example.com")]).await;
        assert!(narrowed.contains(">Email</label>") && !narrowed.contains("Username or email"), "narrowed to email");
        assert!(narrowed.contains(r#"type="email""#) && narrowed.contains(r#"value="ada@example.com""#), "prefilled from login_hint: {narrowed}");
        let ignored = page(&[("identifier", "fax")]).await;
        assert!(ignored.contains(">Username or email</label>"), "unknown identifiers are ignored");
    }

    async fn registering_with_the_form_signs_in(server) {
        let browser = server.browser_in_interaction().await;
        let weak = post(&browser, &server, "/register", &[("new_username", "grace"), ("password", "abc")]).await;
        assert!(weak.starts_with("/register?error=password.rejected&issue=password_rejected.too_short%3A8"), "{weak}");
        assert!(weak.contains("entered=grace"), "the username is kept: {weak}");
        assert!(!weak.contains("abc"), "the password is not echoed: {weak}");
        let next = post(&browser, &server, "/register", &[("new_username", "grace"), ("password", STRONG)]).await;
        assert!(next.contains("/oidc/auth/"), "{next}");
        server.code_from(&browser, &next).await;
    }

    async fn code_sign_in_profile_completion_and_reset_with_forms(server) {
        server.sign_in_experience(json!({"signUp": {"identifiers": ["email"], "password": true, "verify": true}})).await;
        let smtp = server.mail_server().await;
        let browser = server.browser_in_interaction().await;
        // An unknown address signs up (registration is open), then needs a password.
        let next = post(&browser, &server, "/sign-in/code", &[("identifier", "lin@example.com"), ("locale", "fr")]).await;
        assert_eq!(next, "/verify-code?to=lin%40example.com&ui_locales=fr");
        let mail = smtp.last_to("lin@example.com").await;
        assert_eq!(mail.subject().contains("Votre code"), true, "the French template: {}", mail.subject());
        let wrong = post(&browser, &server, "/verify-code", &[("code", "not-it"), ("identifier", "lin@example.com")]).await;
        assert!(wrong.starts_with("/verify-code?error=verification_code.code_mismatch&to=lin%40example.com"), "{wrong}");
        let next = post(&browser, &server, "/verify-code", &[("code", &mail.code())]).await;
        assert_eq!(next, "/continue?missing=password");
        let next = post(&browser, &server, "/continue", &[("password", STRONG), ("missing", "password")]).await;
        assert!(next.contains("/oidc/auth/"), "{next}");
        server.code_from(&browser, &next).await;

        // Reset that password through the forms.
        let browser = server.browser_in_interaction().await;
        assert_eq!(post(&browser, &server, "/reset-password", &[("identifier", "lin@example.com")]).await, "/verify-code?to=lin%40example.com");
        let code = smtp.last_to("lin@example.com").await.code();
        assert_eq!(post(&browser, &server, "/verify-code", &[("code", &code)]).await, "/reset-password/new");
        assert_eq!(post(&browser, &server, "/reset-password/new", &[("password", "Fresh-Harbor-58?")]).await, "/sign-in?notice=password_reset");
        let next = post(&browser, &server, "/sign-in", &[("identifier", "lin@example.com"), ("password", "Fresh-Harbor-58?")]).await;
        assert!(next.contains("/oidc/auth/"), "{next}");
    }

    async fn resending_waits_for_nothing_but_the_send_limit(server) {
        let smtp = server.mail_server().await;
        let browser = server.browser_in_interaction().await;
        post(&browser, &server, "/register", &[("identifier", "sam@example.com")]).await;
        let first = smtp.last_to("sam@example.com").await.code();
        assert_eq!(post(&browser, &server, "/verify-code/resend", &[("identifier", "sam@example.com")]).await, "/verify-code?to=sam%40example.com");
        assert_eq!(smtp.count_to("sam@example.com"), 2);
        let second = smtp.last_to("sam@example.com").await.code();
        if first != second {
            // The replaced code no longer works.
            let stale = post(&browser, &server, "/verify-code", &[("code", &first)]).await;
            assert!(stale.contains("error=verification_code.code_mismatch"), "{stale}");
        }
    }
}
