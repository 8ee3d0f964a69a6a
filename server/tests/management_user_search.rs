//! `GET /api/users` search, mirroring Logto's
//! `packages/integration-tests/src/tests/api/admin-user.search.test.ts`: the same ten users,
//! the same queries, the same counts (`similar_to` and `posix` need PostgreSQL's operators; on
//! SQLite they are refused with a clear message instead).

mod common;

use serde_json::{json, Value};

async fn seed(server: &common::TestServer, management: &reqwest::Client) -> Vec<String> {
    let raw = ["tom scott", "tom scott 2", "tom scott 3", "tom scott 4", "tom scott 5", "jerry swift", "jerry swift 1", "jerry swift jr", "jerry swift jr 2", "jerry swift jr jr"];
    let suffixes = ["@gmail.com", "@foo.bar", "@geek.best"];
    let mut ids = Vec::new();
    for (index, raw) in raw.iter().enumerate() {
        let username = raw.replace(' ', "_");
        let name: Vec<String> = raw.split(' ').filter(|s| s.parse::<u32>().is_err()).map(|s| format!("{}{}", s[..1].to_uppercase(), &s[1..])).collect();
        let body = json!({
            "username": format!("search_{username}"),
            "primaryEmail": format!("{username}{}", suffixes[index % 3]),
            // Logto's numbers are not valid anywhere; these are Australian mobiles, which keep
            // what the queries need: `0000`, and three zeros in a row.
            "primaryPhone": format!("61412{:06}", index),
            "name": name.join(" "),
        });
        let created: Value = management.post(server.url("/api/users")).json(&body).send().await.unwrap().json().await.unwrap();
        ids.push(created["id"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned());
    }
    ids
}

async fn search(server: &common::TestServer, management: &reqwest::Client, params: &[(&str, &str)]) -> (u16, Option<usize>, Value) {
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    let response = management.get(server.url(&format!("/api/users?{query}&page_size=100"))).send().await.unwrap();
    let status = response.status().as_u16();
    let total = response.headers().get("total-number").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    (status, total, response.json().await.unwrap())
}

fn names(found: &Value) -> Vec<String> {
    found.as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap_or_default().to_owned()).collect()
}

on_both_databases! {
    async fn users_are_searched_as_logtos_console_searches_them(server) {
        let management = server.management_client().await;
        let ids = seed(&server, &management).await;

        let (_, total, found) = search(&server, &management, &[("search", "%search_tom%")]).await;
        assert_eq!(total, Some(5));
        assert!(names(&found).iter().all(|n| n == "Tom Scott"));
        let (_, total, _) = search(&server, &management, &[("search", "%0000%")]).await;
        assert_eq!(total, Some(10), "the bare search covers the phone number");

        let (_, total, _) = search(&server, &management, &[("search.name", "jerry swift"), ("mode.name", "exact"), ("isCaseSensitive", "true")]).await;
        assert_eq!(total, Some(0));
        let (_, total, found) = search(&server, &management, &[("search.name", "jerry swift"), ("mode.name", "exact")]).await;
        assert_eq!(total, Some(2));
        assert!(names(&found).iter().all(|n| n == "Jerry Swift"));

        let (_, total, found) = search(&server, &management, &[("search.primaryEmail", "jerry_swiFt_jr@foo.bar"), ("search.primaryEmail", "jerry_swift_Jr_2@geek.best"), ("search.primaryEmail", "jerry_swift_jr_jR@gmail.com"), ("mode.primaryEmail", "exact")]).await;
        assert_eq!(total, Some(3));
        assert!(names(&found).iter().all(|n| n.starts_with("Jerry Swift Jr")));
        let (_, total, _) = search(&server, &management, &[("search.id", &ids[0]), ("search.id", &ids[1]), ("search.id", &ids[2]), ("search.id", &ids[2]), ("search.id", "not_possible"), ("mode.id", "exact"), ("isCaseSensitive", "true")]).await;
        assert_eq!(total, Some(3));

        // Case-sensitive LIKE (GLOB on SQLite): `Search_%` finds nobody, `search_tom%` five.
        let (_, total, _) = search(&server, &management, &[("search.username", "Search_%"), ("isCaseSensitive", "true")]).await;
        assert_eq!(total, Some(0));
        let (_, total, _) = search(&server, &management, &[("search.username", "search_tom%"), ("search.name", "%Scott"), ("joint", "and"), ("isCaseSensitive", "true")]).await;
        assert_eq!(total, Some(5));

        let hybrid = [("search.name", "^Jerry((?!Jr).)*Jr{1}((?!Jr).)*$"), ("mode.name", "posix"), ("search.username", "search_%"), ("search.primaryPhone", "%0{3,}%"), ("mode.primaryPhone", "similar_to"), ("joint", "and"), ("isCaseSensitive", "true")];
        let simple_posix = [("search.name", "^T.?m Scot+$"), ("mode.name", "posix"), ("search.username", "search_tom%"), ("mode.username", "similar_to"), ("isCaseSensitive", "true")];
        match server.state.store.backend() {
            identity::Backend::Postgres => {
                let (_, total, found) = search(&server, &management, &hybrid).await;
                assert_eq!(total, Some(2), "{found}");
                assert!(names(&found).iter().all(|n| n == "Jerry Swift Jr"));
                let (_, total, found) = search(&server, &management, &simple_posix).await;
                assert_eq!(total, Some(5), "{found}");
            }
            identity::Backend::Sqlite => {
                for query in [&hybrid[..], &simple_posix[..]] {
                    let (status, _, body) = search(&server, &management, query).await;
                    assert_eq!((status, body["code"].as_str()), (400, Some("request.invalid_input")));
                    assert!(body["message"].as_str().unwrap().contains("PostgreSQL"), "{body}");
                }
            }
        }

        // Patterns the database cannot read are the caller's mistake, never a server error.
        if server.state.store.backend() == identity::Backend::Postgres {
            let (status, _, body) = search(&server, &management, &[("search.name", "("), ("mode.name", "posix")]).await;
            assert_eq!((status, body["code"].as_str()), (400, Some("request.invalid_input")), "{body}");
        }
        let (status, _, body) = search(&server, &management, &[("search.name", "abc\\")]).await;
        assert!(status < 500, "a trailing backslash: {status} {body}");

        // Refusals, with Logto's code and the reason in the message.
        for (query, reason) in [
            (&[("search.primaryEmail", "jerry_swift_jr@foo.bar"), ("search.primaryEmail", "jerry_swift_jr_2@geek.best")][..], "`exact`"),
            (&[("search.primaryEmail", ""), ("search", "tom")][..], "cannot be empty"),
            (&[("search.primaryEmail", "%gmail%"), ("mode.primaryEmail", "similar_to")][..], "case-insensitive"),
            (&[("search.primaryEmail", "%gmail%"), ("mode.primaryEmail", "similar to")][..], "is not valid"),
            (&[("search.email", "%gmail%")][..], "is not valid"),
            (&[("search.primaryEmail", "%gmail%"), ("joint", "and1")][..], "is not valid"),
        ] {
            let (status, _, body) = search(&server, &management, query).await;
            assert_eq!((status, body["code"].as_str()), (400, Some("request.invalid_input")), "{query:?}");
            assert!(body["message"].as_str().unwrap().contains(reason), "{query:?}: {body}");
        }
    }

    async fn users_holding_a_role_can_be_left_out(server) {
        let management = server.management_client().await;
        let mut users = Vec::new();
        for i in 1..=3 {
            let created: Value = management.post(server.url("/api/users")).json(&json!({"username": format!("search_exclude_role_{i}")})).send().await.unwrap().json().await.unwrap();
            users.push(created["id"].as_str().unwrap().to_owned());
        }
        let mut roles = Vec::new();
        for i in 1..=3 {
            let created: Value = management.post(server.url("/api/roles")).json(&json!({"name": format!("role_{i}"), "description": "r"})).send().await.unwrap().json().await.unwrap();
            roles.push(created["id"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned());
        }
        for (user, held) in [(0, vec![0, 1]), (1, vec![1, 2]), (2, vec![2])] {
            let role_ids: Vec<&str> = held.iter().map(|r: &usize| roles[*r].as_str()).collect();
            let assigned = management.post(server.url(&format!("/api/users/{}/roles", users[user]))).json(&json!({"roleIds": role_ids})).send().await.unwrap();
            assert!(assigned.status().is_success());
        }
        let (_, total, found) = search(&server, &management, &[("search.username", "search_exclude_role_%"), ("excludeRoleId", &roles[0])]).await;
        assert_eq!(total, Some(2));
        let ids: Vec<&str> = found.as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
        assert!(ids.contains(&users[1].as_str()) && ids.contains(&users[2].as_str()));
        let (_, total, found) = search(&server, &management, &[("search.username", "search_exclude_role_%"), ("excludeRoleId", &roles[1])]).await;
        assert_eq!((total, found[0]["id"].as_str()), (Some(1), Some(users[2].as_str())));
    }

    async fn the_search_index_follows_every_change_of_a_user(server) {
        let management = server.management_client().await;
        let created: Value = management.post(server.url("/api/users")).json(&json!({"username": "index_follows_alpha", "name": "Ada Lovelace"})).send().await.unwrap().json().await.unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        let count = |params: Vec<(&'static str, String)>| {
            let (server, management) = (&server, &management);
            async move {
                let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
                search(server, management, &params).await.1
            }
        };
        assert_eq!(count(vec![("search", "%follows_alp%".into())]).await, Some(1));
        assert_eq!(count(vec![("search.name", "%lovelace%".into())]).await, Some(1), "case folds");

        let renamed = management.patch(server.url(&format!("/api/users/{id}"))).json(&json!({"username": "index_follows_beta", "name": "Grace Hopper"})).send().await.unwrap();
        assert_eq!(renamed.status(), 200);
        assert_eq!(count(vec![("search", "%follows_alp%".into())]).await, Some(0), "the old username is gone from the index");
        assert_eq!(count(vec![("search", "%follows_bet%".into())]).await, Some(1));
        assert_eq!(count(vec![("search.name", "%Lovelace%".into())]).await, Some(0));
        assert_eq!(count(vec![("search.name", "%Hopper".into()), ("isCaseSensitive", "true".into())]).await, Some(1));
        assert_eq!(count(vec![("search.name", "%hopper".into()), ("isCaseSensitive", "true".into())]).await, Some(0), "case-sensitive still decides");
        // Fewer than three characters between wildcards: no trigram to look up, still found.
        assert_eq!(count(vec![("search.username", "%ta".into())]).await, Some(1));
        assert_eq!(count(vec![("search.id", id.clone()), ("mode.id", "exact".into())]).await, Some(1));

        let deleted = management.delete(server.url(&format!("/api/users/{id}"))).send().await.unwrap();
        assert_eq!(deleted.status(), 204);
        assert_eq!(count(vec![("search", "%follows_bet%".into())]).await, Some(0), "a deleted user is not found");
    }

    async fn a_long_list_pages_by_cursor_without_gaps_or_repeats(server) {
        let management = server.management_client().await;
        for i in 0..7 {
            let created = management.post(server.url("/api/users")).json(&json!({"username": format!("cursor_user_{i}")})).send().await.unwrap();
            assert_eq!(created.status(), 200);
            // Some share a creation instant: the id must break the tie the same way each time.
            if i % 3 == 2 {
                server.clock.advance_ms(1);
            }
        }
        let listed = |found: &Value| -> Vec<String> { found.as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect() };
        let (_, total, by_page) = search(&server, &management, &[("search.username", "cursor_user_%")]).await;
        assert_eq!(total, Some(7));
        let expected = listed(&by_page);

        let mut next = Some(server.url("/api/users?search.username=cursor_user_%25&cursor=&page_size=3"));
        let (mut seen, mut pages) = (Vec::new(), Vec::new());
        while let Some(url) = next.take() {
            let response = management.get(&url).send().await.unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(response.headers()["total-number"], "7");
            next = response.headers().get("link").map(|link| {
                let link = link.to_str().unwrap();
                assert!(link.ends_with("rel=\"next\""), "{link}");
                server.url(link.trim_start_matches('<').split('>').next().unwrap())
            });
            let page = listed(&response.json().await.unwrap());
            pages.push(page.len());
            seen.extend(page);
            assert!(pages.len() <= 4, "the cursor must move on");
        }
        assert_eq!(seen, expected, "the same users in the same order as by page");
        assert_eq!(pages.last(), Some(&1));

        let response = management.get(server.url("/api/users?cursor=bm90LWEtY3Vyc29y")).send().await.unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "guard.invalid_input", "{body}");
        // `1.a<NUL>b`: a NUL hidden in the cursor's base64 is refused, not sent to the database.
        let response = management.get(server.url("/api/users?cursor=MS5hAGI")).send().await.unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "guard.invalid_input", "{body}");
    }

    async fn counting_stops_past_a_thousand_matches(server) {
        let management = server.management_client().await;
        // Bulk-inserted like an import, so the test does not make a thousand API calls.
        let rows: Vec<String> = (0..1_050).map(|i| format!("('bulk-{i:05}', 'bulk_{i:05}', {i}, {i})")).collect();
        let pool = server.state.store.pool();
        sqlx::query(&format!("INSERT INTO users (id, username, created_at, updated_at) VALUES {}", rows.join(", "))).execute(pool).await.unwrap();
        if server.state.store.backend() == identity::Backend::Postgres {
            sqlx::query("ANALYZE users").execute(pool).await.unwrap();
        }
        let (status, total, found) = search(&server, &management, &[("search.username", "bulk_%")]).await;
        assert_eq!((status, total), (200, Some(1_001)), "more than a thousand: the limit plus one");
        let usernames: Vec<&str> = found.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
        assert_eq!((usernames.len(), usernames[0], usernames[99]), (100, "bulk_01049", "bulk_00950"), "newest first");
        let (_, total, _) = search(&server, &management, &[("search.username", "%bulk_0004%")]).await;
        assert_eq!(total, Some(10), "a narrow search is counted exactly");
        let (_, total, _) = search(&server, &management, &[("search.username", "%bulk_0004%"), ("isCaseSensitive", "true")]).await;
        assert_eq!(total, Some(10));
        let (_, total, found) = search(&server, &management, &[("search.username", "%bulk_000%"), ("page", "2")]).await;
        assert_eq!((total, found.as_array().unwrap().len()), (Some(100), 0), "past the last page: none, and still counted");
        let (_, total, _) = search(&server, &management, &[]).await;
        assert_eq!(total, Some(1_050), "the whole list: the table's size");

        // The whole list by cursor: every user once, newest first, in pages of a hundred.
        let mut next = Some(server.url("/api/users?cursor=&page_size=100"));
        let mut seen: Vec<String> = Vec::new();
        while let Some(url) = next.take() {
            let response = management.get(&url).send().await.unwrap();
            assert_eq!(response.headers()["total-number"], "1050");
            next = response.headers().get("link").map(|link| server.url(link.to_str().unwrap().trim_start_matches('<').split('>').next().unwrap()));
            let page: Value = response.json().await.unwrap();
            seen.extend(page.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()));
            assert!(seen.len() <= 1_100, "the cursor must move on");
        }
        let newest_first: Vec<String> = (0..1_050).rev().map(|i| format!("bulk_{i:05}")).collect();
        assert_eq!(seen, newest_first);
        let (_, total, found) = search(&server, &management, &[("search", "bulk-01049"), ("mode", "exact")]).await;
        assert_eq!((total, found[0]["username"].as_str()), (Some(1), Some("bulk_01049")), "bulk-inserted rows are indexed too");
    }
}
