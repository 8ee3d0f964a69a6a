//! The real router, over HTTP: health check, the hosted sign-in page and its languages.

mod common;

use common::TestServer;
use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_TYPE, LOCATION};

#[tokio::test]
async fn status_answers_no_content() {
    let server = TestServer::on_sqlite().await;
    let response = server.http.get(server.url("/api/status")).send().await.unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn status_answers_on_postgres_too() {
    let Some(server) = TestServer::on_postgres().await else { return };
    let response = server.http.get(server.url("/api/status")).send().await.unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn sign_in_page_renders_in_english_by_default() {
    let server = TestServer::on_sqlite().await;
    let response = server.http.get(server.url("/sign-in")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"<html lang="en""#), "{html}");
    assert!(html.contains("Sign in to your account"));
    assert!(html.contains(r#"name="password""#));
    assert!(html.contains("/pkg/vestibule.js"), "the hydration script is linked");
}

#[tokio::test]
async fn sign_in_page_speaks_french_when_ui_locales_asks() {
    let server = TestServer::on_sqlite().await;
    let html = server.http.get(server.url("/sign-in?ui_locales=fr-CA%20en")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"<html lang="fr""#));
    assert!(html.contains("Connectez-vous à votre compte"), "{html}");
}

#[tokio::test]
async fn sign_in_page_follows_accept_language_unless_ui_locales_says_otherwise() {
    let server = TestServer::on_sqlite().await;
    let french = server.http.get(server.url("/sign-in")).header(ACCEPT_LANGUAGE, "de;q=1, fr;q=0.8, en;q=0.5").send().await.unwrap().text().await.unwrap();
    assert!(french.contains("Mot de passe"));
    let english = server.http.get(server.url("/sign-in?ui_locales=en")).header(ACCEPT_LANGUAGE, "fr").send().await.unwrap().text().await.unwrap();
    assert!(english.contains("Password") && !english.contains("Mot de passe"));
}

#[tokio::test]
async fn posting_the_form_without_an_interaction_explains_the_session_is_missing() {
    let server = TestServer::on_sqlite().await;
    let response = server
        .http
        .post(server.url("/sign-in"))
        .form(&[("username", "alice"), ("password", "secret-password"), ("locale", "fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(!location.contains("secret-password"));
    let html = server.http.get(server.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"data-error-code="session.not_found""#));
    assert!(html.contains("Cette session de connexion est introuvable"), "{html}");
}

#[tokio::test]
async fn unknown_pages_are_a_friendly_404() {
    let server = TestServer::on_sqlite().await;
    let response = server.http.get(server.url("/no-such-page")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("This page does not exist"));
}

#[tokio::test]
async fn pages_are_compressed_when_the_client_accepts_it() {
    let server = TestServer::on_sqlite().await;
    let raw = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
    let response = raw.get(server.url("/sign-in")).header("accept-encoding", "br, gzip").send().await.unwrap();
    assert_eq!(response.headers()["content-encoding"], "br");
}

#[tokio::test]
async fn the_bundle_revalidates_and_public_assets_are_cached_for_a_day() {
    let server = TestServer::on_sqlite().await;
    let site = server.state.config.site_root();
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/vestibule.css"), "body{}").unwrap();
    std::fs::write(site.join("favicon.svg"), "<svg/>").unwrap();

    let bundle = server.http.get(server.url("/pkg/vestibule.css")).send().await.unwrap();
    assert_eq!(bundle.status(), 200);
    assert_eq!(bundle.headers()["cache-control"], "no-cache");
    let modified = bundle.headers()["last-modified"].to_str().unwrap().to_owned();
    let again = server.http.get(server.url("/pkg/vestibule.css")).header("if-modified-since", modified).send().await.unwrap();
    assert_eq!(again.status(), 304, "unchanged files are revalidated cheaply");

    let icon = server.http.get(server.url("/favicon.svg")).send().await.unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["cache-control"], "public, max-age=86400");
    assert_eq!(server.http.get(server.url("/pkg/missing.js")).send().await.unwrap().status(), 404);
}
