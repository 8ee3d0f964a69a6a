//! Organization invitations in the Management API, as Logto's
//! `organization-invitation.{creation,get,status,rate-limit}.test.ts` expect, with the
//! `OrganizationInvitation` email going out over real SMTP.

mod common;

use serde_json::{json, Value};

fn code(body: &Value) -> Option<&str> {
    body["code"].as_str()
}

fn now(server: &common::TestServer) -> i64 {
    identity::clock::Clock::now_ms(&server.clock)
}

async fn organization(server: &common::TestServer, m: &reqwest::Client, name: &str) -> String {
    let (status, body) = server.call(m, "POST", "/api/organizations", Some(json!({"name": name}))).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn invite(server: &common::TestServer, m: &reqwest::Client, body: Value) -> (u16, Value) {
    server.call(m, "POST", "/api/organization-invitations", Some(body)).await
}

on_both_databases! {
    async fn invitations_are_created_with_roles_and_refused_when_they_cannot_be_kept(server) {
        let m = server.management_client().await;
        let acme = organization(&server, &m, "Acme").await;
        let (_, role) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "editor"}))).await;
        let expires_at = now(&server) + 1_000_000;
        let (status, invitation) = invite(&server, &m, json!({"organizationId": acme, "invitee": "Bob@Example.com", "expiresAt": expires_at, "organizationRoleIds": [role["id"]]})).await;
        assert_eq!(status, 201, "{invitation}");
        assert_eq!((&invitation["status"], &invitation["invitee"], &invitation["expiresAt"]), (&json!("Pending"), &json!("bob@example.com"), &json!(expires_at)));
        assert_eq!(invitation["organizationRoles"], json!([{"id": role["id"], "name": "editor"}]));
        assert_eq!(invitation["acceptedUserId"], Value::Null);
        let id = invitation["id"].as_str().unwrap();
        assert_eq!(server.call(&m, "GET", &format!("/api/organization-invitations/{id}"), None).await, (200, invitation.clone()));
        assert_eq!(server.call(&m, "GET", "/api/organization-invitations", None).await, (200, json!([invitation])));

        let (status, body) = invite(&server, &m, json!({"organizationId": acme, "invitee": "bob@example.com", "expiresAt": expires_at})).await;
        assert_eq!((status, code(&body)), (422, Some("entity.unique_integrity_violation")), "one pending invitation per address and organization");
        let other = organization(&server, &m, "Other").await;
        assert_eq!(invite(&server, &m, json!({"organizationId": other, "invitee": "bob@example.com", "expiresAt": expires_at})).await.0, 201, "another organization may invite them too");

        let (status, body) = invite(&server, &m, json!({"organizationId": acme, "invitee": "late@example.com", "expiresAt": now(&server) - 1_000_000})).await;
        assert_eq!((status, code(&body)), (400, Some("request.invalid_input")));
        let (status, body) = invite(&server, &m, json!({"organizationId": acme, "invitee": "invalid", "expiresAt": expires_at})).await;
        assert_eq!((status, code(&body)), (400, Some("guard.invalid_input")));
        let (status, body) = invite(&server, &m, json!({"organizationId": "invalid", "invitee": "x@example.com", "expiresAt": expires_at})).await;
        assert_eq!((status, code(&body)), (422, Some("entity.relation_foreign_key_not_found")));
        let (status, body) = invite(&server, &m, json!({"organizationId": acme, "inviterId": "nobody", "invitee": "x@example.com", "expiresAt": expires_at})).await;
        assert_eq!((status, code(&body)), (422, Some("entity.relation_foreign_key_not_found")));
        let (_, machine) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "robot", "type": "MachineToMachine"}))).await;
        let (status, body) = invite(&server, &m, json!({"organizationId": acme, "invitee": "x@example.com", "expiresAt": expires_at, "organizationRoleIds": [machine["id"]]})).await;
        assert_eq!((status, code(&body)), (422, Some("entity.db_constraint_violated")));
        let (status, body) = invite(&server, &m, json!({"organizationId": acme, "invitee": "x@example.com", "expiresAt": expires_at, "organizationRoleIds": ["no-such-role"]})).await;
        assert_eq!((status, code(&body)), (422, Some("entity.relation_foreign_key_not_found")));
        let listed = server.call(&m, "GET", &format!("/api/organization-invitations?invitee=x@example.com"), None).await.1;
        assert_eq!(listed, json!([]), "a refused invitation leaves nothing behind, its roles included");

        let member = server.user("carol", "Str0ng-Passw0rd!").await;
        server.call(&m, "POST", &format!("/api/organizations/{acme}/users"), Some(json!({"userIds": [member]}))).await;
        let (status, body) = invite(&server, &m, json!({"organizationId": acme, "invitee": "CAROL@example.com", "expiresAt": expires_at})).await;
        assert_eq!((status, code(&body)), (422, Some("request.invalid_input")), "already a member");

        let (status, body) = server.call(&m, "GET", "/api/organization-invitations/nope", None).await;
        assert_eq!((status, code(&body)), (404, Some("entity.not_exists_with_id")));
        assert_eq!(server.call(&m, "DELETE", &format!("/api/organization-invitations/{id}"), None).await.0, 204);
        let (status, body) = server.call(&m, "DELETE", &format!("/api/organization-invitations/{id}"), None).await;
        assert_eq!((status, code(&body)), (404, Some("entity.not_found")));
        server.call(&m, "DELETE", &format!("/api/organizations/{other}"), None).await;
        assert_eq!(server.call(&m, "GET", "/api/organization-invitations", None).await.1, json!([]), "deleting an organization deletes its invitations");
    }

    async fn the_invitation_email_carries_the_link_and_shares_the_send_limit(server) {
        let m = server.management_client().await;
        let acme = organization(&server, &m, "Acme").await;
        let expires_at = now(&server) + 1_000_000;
        let payload = json!({"organizationId": acme, "invitee": "bob@example.com", "expiresAt": expires_at, "messagePayload": {"link": "https://app.example/join?token=abc"}});
        let (status, body) = invite(&server, &m, payload.clone()).await;
        assert_eq!((status, code(&body)), (501, Some("connector.not_found")), "no email connector");
        assert_eq!(server.call(&m, "GET", "/api/organization-invitations", None).await.1, json!([]), "an invitation whose email could not go out is not kept");

        let smtp = server.mail_server().await;
        let inviter = server.user("ada", "Str0ng-Passw0rd!").await;
        let mut payload = payload;
        payload["inviterId"] = json!(inviter);
        let (status, invitation) = invite(&server, &m, payload).await;
        assert_eq!(status, 201, "{invitation}");
        let mail = smtp.last_to("bob@example.com").await;
        assert_eq!(mail.subject(), "Join Acme");
        assert!(mail.data.contains("ada Example invited you to join Acme.") && mail.data.contains("https://app.example/join?token=abc"), "{}", mail.data);

        let id = invitation["id"].as_str().unwrap();
        let resend = |payload: Value| {
            let (server, m) = (&server, &m);
            async move { server.call(m, "POST", &format!("/api/organization-invitations/{id}/message"), Some(payload)).await }
        };
        assert_eq!(resend(json!({"link": "https://app.example/join?token=def", "locale": "fr"})).await.0, 204);
        let mail = smtp.last_to("bob@example.com").await;
        assert_eq!(mail.subject(), "Rejoignez Acme");
        assert!(mail.text().contains("https://app.example/join?token=def"), "{}", mail.text());
        let (status, body) = resend(json!({"locale": "fr"})).await;
        assert_eq!((status, code(&body)), (400, Some("guard.invalid_input")), "the email needs a link");
        let (status, body) = server.call(&m, "POST", "/api/organization-invitations/nope/message", Some(json!({"link": "https://x.example"}))).await;
        assert_eq!((status, code(&body)), (404, Some("entity.not_exists_with_id")));

        // Ten messages per address per ten minutes, codes and invitations together.
        for _ in 2..10 {
            assert_eq!(resend(json!({"link": "https://app.example/join"})).await.0, 204);
        }
        assert_eq!(smtp.count_to("bob@example.com"), 10);
        let (status, body) = resend(json!({"link": "https://app.example/join"})).await;
        assert_eq!((status, code(&body)), (429, Some("request.message_rate_limited")));
        assert_eq!(smtp.count_to("bob@example.com"), 10);
        server.clock.advance_ms(600_001);
        assert_eq!(resend(json!({"link": "https://app.example/join"})).await.0, 204, "the window moves on");
    }

    async fn invitations_are_listed_by_organization_inviter_or_invitee_without_pages(server) {
        let m = server.management_client().await;
        let (one, two) = (organization(&server, &m, "One").await, organization(&server, &m, "Two").await);
        let (ada, grace) = (server.user("ada", "Str0ng-Passw0rd!").await, server.user("grace", "Str0ng-Passw0rd!").await);
        let expires_at = now(&server) + 1_000_000;
        for (inviter, org, invitee) in [(&ada, &one, "a@example.com"), (&ada, &two, "b@example.com"), (&grace, &one, "c@example.com")] {
            assert_eq!(invite(&server, &m, json!({"organizationId": org, "inviterId": inviter, "invitee": invitee, "expiresAt": expires_at})).await.0, 201);
        }
        let count = |query: String| {
            let (server, m) = (&server, &m);
            async move { server.call(m, "GET", &format!("/api/organization-invitations{query}"), None).await.1.as_array().unwrap().len() }
        };
        assert_eq!(count(format!("?organizationId={one}")).await, 2);
        assert_eq!(count(format!("?inviterId={}", ada)).await, 2);
        assert_eq!(count("?invitee=C@EXAMPLE.COM".into()).await, 1);
        assert_eq!(count(String::new()).await, 3);
        for n in 0..30 {
            invite(&server, &m, json!({"organizationId": two, "invitee": format!("many{n}@example.com"), "expiresAt": expires_at})).await;
        }
        assert_eq!(count(format!("?organizationId={two}")).await, 31, "no pagination");
        let (status, body) = server.call(&m, "GET", "/api/organization-invitations?shoeSize=9", None).await;
        assert_eq!((status, code(&body)), (400, Some("guard.invalid_input")));
        server.call(&m, "DELETE", &format!("/api/users/{}", ada), None).await;
        let kept = server.call(&m, "GET", &format!("/api/organization-invitations?organizationId={one}"), None).await.1;
        assert_eq!(kept.as_array().unwrap().iter().filter(|i| i["inviterId"].is_null()).count(), 1, "an inviter's deletion keeps their invitations, without an inviter");
    }

    async fn accepting_makes_the_invitee_a_member_with_the_roles_and_ends_the_invitation(server) {
        let m = server.management_client().await;
        let acme = organization(&server, &m, "Acme").await;
        let (_, role) = server.call(&m, "POST", "/api/organization-roles", Some(json!({"name": "editor"}))).await;
        let invitation = invite(&server, &m, json!({"organizationId": acme, "invitee": "bob@example.com", "expiresAt": now(&server) + 1_000_000, "organizationRoleIds": [role["id"]]})).await.1;
        let id = invitation["id"].as_str().unwrap();
        let status_of = |body: Value| {
            let (server, m) = (&server, &m);
            async move { server.call(m, "PUT", &format!("/api/organization-invitations/{id}/status"), Some(body)).await }
        };
        let (status, body) = status_of(json!({"status": "Accepted"})).await;
        assert_eq!((status, code(&body)), (422, Some("request.invalid_input")), "accepting names the user");
        let (status, body) = status_of(json!({"status": "Accepted", "acceptedUserId": "invalid"})).await;
        assert_eq!((status, code(&body)), (404, Some("entity.not_found")));
        let stranger = server.user("mallory", "Str0ng-Passw0rd!").await;
        let (status, body) = status_of(json!({"status": "Accepted", "acceptedUserId": stranger})).await;
        assert_eq!((status, code(&body)), (422, Some("request.invalid_input")), "someone else's account cannot accept");
        let (status, body) = status_of(json!({"status": "Pending"})).await;
        assert_eq!((status, code(&body)), (400, Some("guard.invalid_input")));
        let organizations = server.call(&m, "GET", &format!("/api/users/{}/organizations", stranger), None).await.1;
        assert_eq!(organizations, json!([]));

        let bob = server.user("bob", "Str0ng-Passw0rd!").await;
        let (status, accepted) = status_of(json!({"status": "Accepted", "acceptedUserId": bob})).await;
        assert_eq!(status, 200, "{accepted}");
        assert_eq!((&accepted["status"], &accepted["acceptedUserId"]), (&json!("Accepted"), &json!(bob)));
        let organizations = server.call(&m, "GET", &format!("/api/users/{}/organizations", bob), None).await.1;
        assert_eq!(organizations[0]["id"], json!(acme));
        assert_eq!(organizations[0]["organizationRoles"], json!([{"id": role["id"], "name": "editor"}]));
        let (status, body) = status_of(json!({"status": "Revoked"})).await;
        assert_eq!((status, code(&body)), (422, Some("request.invalid_input")), "an accepted invitation has ended");
    }

    async fn invitations_expire_and_revoked_ones_stay_revoked(server) {
        let m = server.management_client().await;
        let acme = organization(&server, &m, "Acme").await;
        let short = invite(&server, &m, json!({"organizationId": acme, "invitee": "bob@example.com", "expiresAt": now(&server) + 100})).await.1;
        assert_eq!(short["status"], "Pending");
        server.clock.advance_ms(200);
        let id = short["id"].as_str().unwrap();
        let read = server.call(&m, "GET", &format!("/api/organization-invitations/{id}"), None).await.1;
        assert_eq!(read["status"], "Expired");
        let bob = server.user("bob", "Str0ng-Passw0rd!").await;
        let (status, body) = server.call(&m, "PUT", &format!("/api/organization-invitations/{id}/status"), Some(json!({"status": "Accepted", "acceptedUserId": bob}))).await;
        assert_eq!((status, code(&body)), (422, Some("request.invalid_input")));
        let (status, again) = invite(&server, &m, json!({"organizationId": acme, "invitee": "bob@example.com", "expiresAt": now(&server) + 1_000_000})).await;
        assert_eq!(status, 201, "an expired invitation does not block a new one: {again}");
        let all = server.call(&m, "GET", "/api/organization-invitations?invitee=bob@example.com", None).await.1;
        assert_eq!(all.as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect::<Vec<_>>(), ["Expired", "Pending"]);

        let again = again["id"].as_str().unwrap();
        let (status, revoked) = server.call(&m, "PUT", &format!("/api/organization-invitations/{again}/status"), Some(json!({"status": "Revoked"}))).await;
        assert_eq!((status, &revoked["status"]), (200, &json!("Revoked")));
        let (status, body) = server.call(&m, "PUT", &format!("/api/organization-invitations/{again}/status"), Some(json!({"status": "Accepted", "acceptedUserId": bob}))).await;
        assert_eq!((status, code(&body)), (422, Some("request.invalid_input")));
        assert_eq!(server.call(&m, "GET", &format!("/api/users/{}/organizations", bob), None).await.1, json!([]));
    }
}
