//! Users survive a round trip through each database, and identifiers stay unique.

use identity::clock::ManualClock;
use identity::users::{self, DetailsUpdate, NewUser, PasswordHash, Profile, UserError};
use identity::ErrorCode;
use serde_json::json;

fn alice() -> NewUser {
    NewUser {
        username: Some("alice".into()),
        primary_email: Some("Alice@Example.com".into()),
        primary_phone: Some("61412345678".into()),
        password: Some(PasswordHash { hash: "$argon2id$v=19$…".into(), method: "Argon2id".into() }),
        name: Some("Alice Liddell".into()),
        profile: Profile {
            given_name: Some("Alice".into()),
            locale: Some("fr-FR".into()),
            ..Profile::default()
        },
        custom_data: json!({"plan": "pro", "seats": 3}).as_object().unwrap().clone(),
        ..NewUser::default()
    }
}

identity::on_both_backends! {
    async fn a_created_user_reads_back_identically(store) {
        let clock = ManualClock::at(1_700_000_000_000);
        let created = users::create(&store, &clock, alice()).await.unwrap();

        let by_id = users::find_by_id(&store, &created.id).await.unwrap().expect("found by id");
        assert_eq!(by_id, created);
        assert_eq!(by_id.profile.given_name.as_deref(), Some("Alice"));
        assert_eq!(by_id.custom_data["seats"], json!(3));
        assert_eq!(by_id.password_updated_at, Some(1_700_000_000_000));
        assert!(!by_id.is_suspended);

        let by_username = users::find_by_username(&store, "alice").await.unwrap();
        assert_eq!(by_username.map(|u| u.id), Some(created.id.clone()));
        assert_eq!(users::count(&store).await.unwrap(), 1);
    }

    async fn emails_match_whatever_their_case(store) {
        let created = users::create(&store, &ManualClock::at(1), alice()).await.unwrap();
        let found = users::find_by_email(&store, "alice@EXAMPLE.COM").await.unwrap();
        assert_eq!(found.map(|u| u.id), Some(created.id));
        assert!(users::find_by_email(&store, "bob@example.com").await.unwrap().is_none());
    }

    async fn taken_identifiers_are_refused_with_their_codes(store) {
        let clock = ManualClock::at(1);
        users::create(&store, &clock, alice()).await.unwrap();

        let same_username = NewUser { username: Some("alice".into()), ..NewUser::default() };
        let err = users::create(&store, &clock, same_username).await.unwrap_err();
        assert_eq!(err.code(), "user.username_already_in_use");

        let same_email = NewUser { primary_email: Some("ALICE@example.com".into()), ..NewUser::default() };
        let err = users::create(&store, &clock, same_email).await.unwrap_err();
        assert_eq!(err.code(), "user.email_already_in_use");

        let same_phone = NewUser { primary_phone: Some("61412345678".into()), ..NewUser::default() };
        let err = users::create(&store, &clock, same_phone).await.unwrap_err();
        assert_eq!(err.code(), "user.phone_already_in_use");

        assert_eq!(users::count(&store).await.unwrap(), 1, "no half-written user was left");
    }

    async fn users_without_identifiers_do_not_collide(store) {
        let clock = ManualClock::at(1);
        users::create(&store, &clock, NewUser::default()).await.unwrap();
        users::create(&store, &clock, NewUser::default()).await.unwrap();
        assert_eq!(users::count(&store).await.unwrap(), 2);
    }

    async fn details_update_changes_only_what_it_names(store) {
        let clock = ManualClock::at(1_000);
        let created = users::create(&store, &clock, alice()).await.unwrap();
        clock.advance_ms(5_000);

        let update = DetailsUpdate { name: Some(None), custom_data: Some(Default::default()), ..Default::default() };
        users::update_details(&store, &clock, &created.id, update).await.unwrap();

        let stored = users::find_by_id(&store, &created.id).await.unwrap().unwrap();
        assert_eq!(stored.name, None);
        assert!(stored.custom_data.is_empty());
        assert_eq!(stored.profile, created.profile, "profile untouched");
        assert_eq!(stored.primary_email, created.primary_email);
        assert_eq!(stored.updated_at, 6_000);
        assert_eq!(stored.created_at, 1_000);
    }

    async fn deleting_a_user_removes_it_once(store) {
        let clock = ManualClock::at(1);
        let created = users::create(&store, &clock, alice()).await.unwrap();
        users::delete(&store, &clock, &created.id, None).await.unwrap();
        assert!(users::find_by_id(&store, &created.id).await.unwrap().is_none());
        assert!(matches!(users::delete(&store, &clock, &created.id, None).await, Err(UserError::NotFound)));
    }
}
