//! The organization console (`/console`) over HTTP, its forms posted to their server
//! functions as a browser without JavaScript would: who may manage an organization, the
//! invitation whose magic link registers the invitee (registration closed) and accepts, role
//! changes, removals that never leave an organization without an admin, settings, and
//! organizations created from the console when the operator allows it.

mod common;

use identity::applications::AppType;
use serde_json::json;

const PASSWORD: &str = "Correct-Horse-9";

/// A browser signed in at Vestibule as `username`.
async fn signed_in(server: &common::TestServer, username: &str) -> reqwest::Client {
    if server.state.provider.application("spa").await.unwrap().is_none() {
        server.app(AppType::Spa, "spa").await;
    }
    let browser = server.browser();
    server.authorize(&browser, "spa", username, PASSWORD, &[]).await;
    browser
}

/// A console form posted without JavaScript: the status and where it sends the browser.
async fn post(server: &common::TestServer, browser: &reqwest::Client, name: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = browser.post(server.url(&format!("/_vestibule/console/{name}"))).form(form).send().await.unwrap();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    (status, if location.is_empty() { body } else { location })
}

async fn page(server: &common::TestServer, browser: &reqwest::Client, path: &str) -> (u16, String) {
    let response = browser.get(server.url(path)).header("accept", "text/html").send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// GETs `location` and the redirects after it until one goes to `stop` (a path prefix).
async fn follow(server: &common::TestServer, browser: &reqwest::Client, mut location: String, stop: &str) -> String {
    for _ in 0..10 {
        let path = location.strip_prefix(&server.url("")).map(str::to_owned).unwrap_or(location.clone());
        if path.starts_with(stop) {
            return path;
        }
        let response = browser.get(server.url(&path)).send().await.unwrap();
        assert!(response.status().is_redirection(), "{path}: {} {}", response.status(), response.text().await.unwrap());
        location = response.headers()["location"].to_str().unwrap().to_owned();
    }
    panic!("no redirect to {stop}");
}

/// Acme, managed by `ada` (through the `admin` role the console creates), with `bob` as a
/// plain member and an `editor` role. Answers Acme's id and the two roles' ids.
async fn acme(server: &common::TestServer) -> (String, String, String) {
    let m = server.management_client().await;
    let admin_role = identity::console::ensure_template(&server.state.store, &server.clock).await.unwrap();
    let (_, editor) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "editor"}))).await;
    let (_, organization) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Acme"}))).await;
    let id = organization["id"].as_str().unwrap().to_owned();
    let (ada, bob) = (server.user("ada", PASSWORD).await, server.user("bob", PASSWORD).await);
    server.call(&m, "POST", &format!("/api/organizations/{id}/users"), Some(json!({"userIds": [ada, bob]}))).await;
    server.call(&m, "POST", &format!("/api/organizations/{id}/users/{ada}/roles"), Some(json!({"organizationRoleIds": [admin_role]}))).await;
    (id, admin_role, editor["id"].as_str().unwrap().to_owned())
}

async fn roles_of(server: &common::TestServer, organization: &str, user_id: &str) -> Vec<String> {
    let m = server.management_client().await;
    let (_, roles) = server.call(&m, "GET", &format!("/api/organizations/{organization}/users/{user_id}/roles"), None).await;
    roles.as_array().map(|r| r.iter().map(|r| r["name"].as_str().unwrap().to_owned()).collect()).unwrap_or_default()
}

fn user_id(server: &common::TestServer, name: &str) -> impl std::future::Future<Output = String> {
    let store = server.state.store.clone();
    let name = name.to_owned();
    async move { identity::users::find_by_username(&store, &name).await.unwrap().unwrap().id }
}

on_both_databases! {
    async fn the_console_is_for_members_whose_roles_manage_the_organization(server) {
        let (acme, _, _) = acme(&server).await;
        let anonymous = server.browser();
        let response = anonymous.get(server.url("/console")).header("accept", "text/html").send().await.unwrap();
        assert_eq!((response.status().as_u16(), response.headers().get("location").map(|l| l.to_str().unwrap().to_owned())), (302, Some("/console/sign-in".to_owned())), "nobody signed in: to the sign-in");
        let response = anonymous.get(server.url("/console/sign-in")).send().await.unwrap();
        assert!(response.headers()["location"].to_str().unwrap().contains("client_id=organization-console"), "the console signs people in as its own client");

        let ada = signed_in(&server, "ada").await;
        let (status, html) = page(&server, &ada, "/console").await;
        assert_eq!(status, 200);
        assert!(html.contains(">Acme</h1>"), "the organization ada manages is shown: {html}");
        assert!(html.contains("bob@example.com") && html.contains("ada@example.com"), "with its members");
        let (status, html) = page(&server, &ada, &format!("/console?organization={acme}&page=18446744073709551615")).await;
        assert!(status == 200 && html.contains(r#"data-testid="no-members""#), "a page past the end is empty, not an error");

        let bob = signed_in(&server, "bob").await;
        let (status, html) = page(&server, &bob, "/console").await;
        assert_eq!(status, 200);
        assert!(html.contains(r#"data-testid="console-none""#) && !html.contains("ada@example.com"), "a plain member sees no organization to manage");
        let (status, html) = page(&server, &bob, &format!("/console?organization={acme}")).await;
        assert!(html.contains(r#"data-testid="console-refused""#) && html.contains("console.forbidden"), "{status}: and is refused with a clear page");
        let (status, _) = post(&server, &bob, "invite", &[("organization", &acme), ("email", "eve@example.com")]).await;
        assert_eq!(status, 403, "a plain member's form post is refused");
        let (status, _) = post(&server, &anonymous, "invite", &[("organization", &acme), ("email", "eve@example.com")]).await;
        assert_eq!(status, 401);
        let m = server.management_client().await;
        assert_eq!(server.call(&m, "GET", "/api/organization-invitations", None).await.1, json!([]), "nothing was invited");
    }

    async fn an_invitation_link_registers_the_invitee_with_registration_closed_and_joins_them_with_its_roles(server) {
        server.sign_in_experience(json!({"signInMode": "SignIn", "signUp": {"identifiers": ["email"], "password": false, "verify": true},
            "signIn": {"methods": [{"identifier": "email", "password": true, "verificationCode": true, "isPasswordPrimary": true}, {"identifier": "username", "password": true, "verificationCode": false, "isPasswordPrimary": true}]}})).await;
        let (acme, _, editor) = acme(&server).await;
        let smtp = server.mail_server().await;
        let ada = signed_in(&server, "ada").await;
        let (status, location) = post(&server, &ada, "invite", &[("organization", &acme), ("email", "Carol@Example.com"), ("role_ids[]", &editor), ("locale", "en")]).await;
        assert_eq!((status, location.as_str()), (200, format!("/console?organization={acme}&done=invited#invited").as_str()));
        let (_, html) = page(&server, &ada, &format!("/console?organization={acme}")).await;
        assert!(html.contains(r#"data-testid="invitation-carol@example.com""#), "the invitation is pending");
        let mail = smtp.last_to("carol@example.com").await;
        assert_eq!(mail.subject(), "Join Acme");
        let link = mail.link("/console/join");
        assert!(link.starts_with(&server.url("/console/join?organization=")) && link.contains("one_time_token="), "{link}");

        // Carol opens the link in her own browser: the magic-link page, then her new account.
        let carol = server.browser();
        let landing = follow(&server, &carol, link.clone(), "/one-time-token").await;
        let (status, html) = page(&server, &carol, &landing).await;
        assert!(status == 200 && html.contains("carol@example.com"), "{landing}");
        let query: Vec<(String, String)> = form_urlencoded::parse(landing.split_once('?').unwrap().1.as_bytes()).into_owned().collect();
        let token = query.iter().find(|(k, _)| k == "one_time_token").unwrap().1.clone();
        let response = carol.post(server.url("/one-time-token")).form(&[("identifier", "carol@example.com"), ("one_time_token", token.as_str())]).send().await.unwrap();
        let next = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(next.contains("/oidc/auth/"), "signed up and on to the application: {next}");
        let back = follow(&server, &carol, next, "/console?").await;
        assert_eq!(back, format!("/console?organization={acme}"));
        let carol_id = identity::users::find_by_email(&server.state.store, "carol@example.com").await.unwrap().expect("registered though registration is closed").id;
        assert_eq!(roles_of(&server, &acme, &carol_id).await, ["editor"], "she joined with the invitation's role");
        let m = server.management_client().await;
        let (_, invitations) = server.call(&m, "GET", "/api/organization-invitations?invitee=carol@example.com", None).await;
        assert_eq!((&invitations[0]["status"], &invitations[0]["acceptedUserId"]), (&json!("Accepted"), &json!(carol_id)));
        let (status, html) = page(&server, &carol, "/console").await;
        assert!(status == 200 && html.contains(r#"data-testid="console-none""#), "an editor does not manage the organization");

        // The link is used: opened again it signs nobody in.
        let again = server.browser();
        let landing = follow(&server, &again, link, "/one-time-token").await;
        let response = again.post(server.url("/one-time-token")).form(&[("identifier", "carol@example.com"), ("one_time_token", token.as_str())]).send().await.unwrap();
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/one-time-token?") && location.contains("error=one_time_token.token_consumed"), "{landing} → {location}");
    }

    async fn admins_change_roles_and_remove_members_but_never_the_last_admin(server) {
        let (acme, admin_role, editor) = acme(&server).await;
        let (ada_id, bob_id) = (user_id(&server, "ada").await, user_id(&server, "bob").await);
        let ada = signed_in(&server, "ada").await;
        let (status, _) = post(&server, &ada, "member-roles", &[("organization", &acme), ("user_id", &bob_id), ("role_ids[]", &editor), ("role_ids[]", &admin_role)]).await;
        assert_eq!(status, 200);
        let mut roles = roles_of(&server, &acme, &bob_id).await;
        roles.sort();
        assert_eq!(roles, ["admin", "editor"]);
        let (status, _) = post(&server, &ada, "member-roles", &[("organization", &acme), ("user_id", &bob_id)]).await;
        assert_eq!(status, 200);
        assert!(roles_of(&server, &acme, &bob_id).await.is_empty(), "no box ticked: no role");

        let (status, body) = post(&server, &ada, "member-roles", &[("organization", &acme), ("user_id", &ada_id)]).await;
        assert!(status == 422 && body.contains("console.last_admin"), "{status} {body}");
        let (status, body) = post(&server, &ada, "remove-member", &[("organization", &acme), ("user_id", &ada_id)]).await;
        assert!(status == 422 && body.contains("console.last_admin"), "{status} {body}");
        assert_eq!(roles_of(&server, &acme, &ada_id).await, ["admin"]);
        let (status, _) = post(&server, &ada, "member-roles", &[("organization", &acme), ("user_id", "someone-else"), ("role_ids[]", &editor)]).await;
        assert_eq!(status, 404, "only members of this organization");

        assert_eq!(post(&server, &ada, "remove-member", &[("organization", &acme), ("user_id", &bob_id)]).await.0, 200);
        let m = server.management_client().await;
        let (_, members) = server.call(&m, "GET", &format!("/api/organizations/{acme}/users"), None).await;
        assert_eq!(members.as_array().unwrap().len(), 1, "bob left: {members}");
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organization_member_roles WHERE user_id = $1").bind(&bob_id).fetch_one(server.state.store.pool()).await.unwrap();
        assert_eq!(left, 0, "with his roles");
    }

    async fn admins_edit_settings_and_pending_invitations(server) {
        let (acme, _, _) = acme(&server).await;
        let smtp = server.mail_server().await;
        let ada = signed_in(&server, "ada").await;
        let form = [("organization", acme.as_str()), ("name", "Acme Corp"), ("description", "Rockets"), ("mfa_required", "on"), ("domains", "acme.test\nACME.example")];
        assert_eq!(post(&server, &ada, "settings", &form).await.0, 200);
        let m = server.management_client().await;
        let (_, organization) = server.call(&m, "GET", &format!("/api/organizations/{acme}"), None).await;
        assert_eq!((&organization["name"], &organization["description"], &organization["isMfaRequired"]), (&json!("Acme Corp"), &json!("Rockets"), &json!(true)));
        let (_, domains) = server.call(&m, "GET", &format!("/api/organizations/{acme}/jit/email-domains"), None).await;
        assert_eq!(domains.as_array().unwrap().iter().map(|d| d["emailDomain"].as_str().unwrap()).collect::<Vec<_>>(), ["acme.test", "acme.example"]);
        let (status, body) = post(&server, &ada, "settings", &[("organization", &acme), ("name", "Renamed"), ("domains", "not a domain")]).await;
        assert!(status == 400 && body.contains("guard.invalid_input"), "{status} {body}");
        let (_, organization) = server.call(&m, "GET", &format!("/api/organizations/{acme}"), None).await;
        assert_eq!(organization["name"], "Acme Corp", "a bad domain changes nothing");

        post(&server, &ada, "invite", &[("organization", &acme), ("email", "dan@example.com")]).await;
        let (status, body) = post(&server, &ada, "invite", &[("organization", &acme), ("email", "dan@example.com")]).await;
        assert!(status == 422 && body.contains("entity.unique_integrity_violation"), "already invited: {status} {body}");
        assert_eq!(server.call(&m, "GET", "/api/one-time-tokens?email=dan@example.com", None).await.1.as_array().unwrap().len(), 1, "the refused invitation's token is not kept");
        let (_, invitations) = server.call(&m, "GET", "/api/organization-invitations?invitee=dan@example.com", None).await;
        let id = invitations[0]["id"].as_str().unwrap().to_owned();
        assert_eq!(post(&server, &ada, "resend-invitation", &[("organization", &acme), ("invitation_id", &id)]).await.0, 200);
        assert_eq!(smtp.count_to("dan@example.com"), 2);
        assert_eq!(post(&server, &ada, "revoke-invitation", &[("organization", &acme), ("invitation_id", &id)]).await.0, 200);
        let (_, invitation) = server.call(&m, "GET", &format!("/api/organization-invitations/{id}"), None).await;
        assert_eq!(invitation["status"], "Revoked");
        let (_, tokens) = server.call(&m, "GET", "/api/one-time-tokens?email=dan@example.com", None).await;
        assert!(tokens.as_array().unwrap().iter().all(|t| t["status"] == "revoked"), "its links no longer work: {tokens}");

        // Another organization's invitation cannot be touched from Acme's page.
        let (_, other) = server.call(&m, "POST", "/api/organizations", Some(json!({"name": "Other"}))).await;
        let (_, foreign) = server.call(&m, "POST", "/api/organization-invitations", Some(json!({"organizationId": other["id"], "invitee": "x@example.com", "expiresAt": identity::clock::Clock::now_ms(&server.clock) + 100_000}))).await;
        let (status, _) = post(&server, &ada, "revoke-invitation", &[("organization", &acme), ("invitation_id", foreign["id"].as_str().unwrap())]).await;
        assert_eq!(status, 404);
        let (_, foreign) = server.call(&m, "GET", &format!("/api/organization-invitations/{}", foreign["id"].as_str().unwrap()), None).await;
        assert_eq!(foreign["status"], "Pending");
    }

    async fn organizations_are_created_from_the_console_only_when_the_operator_allows_it(server) {
        server.user("ada", PASSWORD).await;
        let ada = signed_in(&server, "ada").await;
        let (status, body) = post(&server, &ada, "create", &[("name", "Ada's lab")]).await;
        assert!(status == 403 && body.contains("console.creation_disabled"), "{status} {body}");
        let (_, html) = page(&server, &ada, "/console").await;
        assert!(!html.contains(r#"data-testid="create-form""#));

        identity::console::save_settings(&server.state.store, &server.clock, &identity::console::ConsoleSettings { allow_organization_creation: true }).await.unwrap();
        let (status, location) = post(&server, &ada, "create", &[("name", "Ada's lab")]).await;
        assert_eq!(status, 200);
        let created = location.split("organization=").nth(1).and_then(|s| s.split('&').next()).unwrap().to_owned();
        let ada_id = user_id(&server, "ada").await;
        assert_eq!(roles_of(&server, &created, &ada_id).await, ["admin"], "the creator is its admin");
        let (_, html) = page(&server, &ada, &format!("/console?organization={created}")).await;
        assert!(html.contains("Ada&#x27;s lab") || html.contains("Ada's lab"), "{html}");
        let (status, _) = post(&server, &ada, "create", &[("name", "  ")]).await;
        assert_eq!(status, 400, "a name is needed");
        let m = server.management_client().await;
        assert_eq!(server.call(&m, "GET", "/api/organizations", None).await.1.as_array().unwrap().len(), 1, "the refused one left nothing");
    }

    async fn a_magic_link_opened_while_someone_else_is_signed_in_offers_to_switch(server) {
        let (acme, _, _) = acme(&server).await;
        server.mail_server().await;
        let m = server.management_client().await;
        let (_, token) = server.call(&m, "POST", "/api/one-time-tokens", Some(json!({"email": "bob@example.com", "context": {"jitOrganizationIds": [acme]}}))).await;
        let token = token["token"].as_str().unwrap().to_owned();
        let ada = signed_in(&server, "ada").await;
        let link = format!("/console/join?organization={acme}&one_time_token={token}&login_hint=bob@example.com");
        let landing = follow(&server, &ada, server.url(&link), "/switch-account").await;
        let (status, html) = page(&server, &ada, &landing).await;
        assert!(status == 200 && html.contains(r#"data-testid="switch-account""#) && html.contains("bob@example.com"), "{html}");

        // Bob's own browser, signed in as bob: the unused link is still used (it goes through its page).
        let bob = signed_in(&server, "bob").await;
        let landing = follow(&server, &bob, server.url(&link), "/one-time-token").await;
        assert!(landing.starts_with("/one-time-token?"), "{landing}");
    }
}
