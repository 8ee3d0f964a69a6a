//! A NUL character anywhere a client can put text — a path, a query, a form or JSON body — is
//! a 400 in the endpoint's own error shape and changes nothing, on both databases (PostgreSQL
//! cannot store it and answered such requests with 500).

mod common;

use serde_json::{json, Value};

on_both_databases! {
    async fn text_with_a_nul_character_is_refused_and_changes_nothing(server) {
        let management = server.management_client().await;
        for path in ["/api/users?search=%00", "/api/users?search.name=%25a%00b%25", "/api/users/%00", "/api/organizations?q=a%00"] {
            let response = management.get(server.url(path)).send().await.unwrap();
            assert_eq!(response.status(), 400, "{path}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["code"], "guard.invalid_input", "{path}: {body}");
        }

        let raw_json = |path: &str, body: &'static str| management.post(server.url(path)).header("content-type", "application/json").body(body).send();
        let refused = raw_json("/api/organizations", r#"{"name": "Acme\u0000Corp"}"#).await.unwrap();
        assert_eq!(refused.status(), 400);
        let (_, organizations) = server.call(&management, "GET", "/api/organizations", None).await;
        assert_eq!(organizations, json!([]), "nothing was created");
        let literal = raw_json("/api/organizations", r#"{"name": "Acme \\u0000 Corp"}"#).await.unwrap();
        assert_eq!(literal.status(), 201, "the text \\u0000 (an escaped backslash) is an ordinary name");

        let token = server.http.post(server.url("/oidc/token")).header("content-type", "application/x-www-form-urlencoded").body("grant_type=client_credentials&scope=a%00").send().await.unwrap();
        assert_eq!(token.status(), 400);
        let body: Value = token.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{body}");

        let experience = server.http.put(server.url("/api/experience")).header("content-type", "application/json").body(r#"{"interactionEvent": "SignIn\u0000"}"#).send().await.unwrap();
        assert_eq!(experience.status(), 400);
    }
}
