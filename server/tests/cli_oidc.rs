//! The operator commands scripts use to set Vestibule up: applications, users, keys, RBAC.

use std::process::Command;

use serde_json::Value;

fn vestibule(data: &std::path::Path, args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vestibule"))
        .current_dir(data)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("VESTIBULE_DATA_DIR", data)
        .env("VESTIBULE_PASSWORD_HASHING", "test-only-cheap")
        // Each test starts from an empty directory.
        .arg("--create-database")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn app_create_prints_credentials_and_is_idempotent_with_an_id() {
    let data = tempfile::tempdir().unwrap();
    let args = ["app", "create", "--type", "traditional", "--name", "Web", "--redirect-uri", "https://a.example/cb", "--id", "web-app", "--secret", "s3cret-s3cret-s3cret"];
    let (code, first, err) = vestibule(data.path(), &args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(first["id"], "web-app");
    assert_eq!(first["secret"], "s3cret-s3cret-s3cret");
    let (code, second, err) = vestibule(data.path(), &args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(second, first);

    let (code, generated, _) = vestibule(data.path(), &["app", "create", "--type", "m2m", "--name", "Job"]);
    assert_eq!(code, 0);
    assert_eq!(generated["id"].as_str().unwrap().len(), 21);
    assert_eq!(generated["secret"].as_str().unwrap().len(), 32);

    let (code, spa, _) = vestibule(data.path(), &["app", "create", "--type", "spa", "--name", "SPA", "--redirect-uri", "https://spa.example/cb"]);
    assert_eq!(code, 0);
    assert!(spa["secret"].is_null(), "public clients have no secret");
}

#[test]
fn bad_redirect_uris_and_taken_usernames_are_refused() {
    let data = tempfile::tempdir().unwrap();
    for bad in ["not a url", "https://a.example/\ncb", "https://a.example/cb\t", "https://a.example/café", "https://a.example/cb#frag"] {
        let (code, _, err) = vestibule(data.path(), &["app", "create", "--type", "spa", "--name", "X", "--redirect-uri", bad]);
        assert_eq!(code, 1, "{bad:?} was accepted");
        assert!(err.contains("application.invalid_redirect_uri"), "{err}");
    }

    let (code, user, err) = vestibule(data.path(), &["user", "create", "--username", "alice", "--password", "pw-123456", "--email", "alice@example.com"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(user["id"].as_str().unwrap().len(), 12);
    let (code, _, err) = vestibule(data.path(), &["user", "create", "--username", "alice", "--password", "other"]);
    assert_eq!(code, 1);
    assert!(err.contains("user.username_already_in_use"), "{err}");
    let (code, again, _) = vestibule(data.path(), &["user", "create", "--username", "alice", "--password", "new-pw", "--id", user["id"].as_str().unwrap()]);
    assert_eq!((code, again), (0, user), "idempotent with --id");
}

#[test]
fn resource_and_role_commands_build_rbac_idempotently() {
    let data = tempfile::tempdir().unwrap();
    let (_, app, _) = vestibule(data.path(), &["app", "create", "--type", "m2m", "--name", "Job", "--id", "job"]);
    let resource_args = ["resource", "create", "--name", "API", "--indicator", "https://api.example.com", "--scope", "read", "write"];
    let (code, first, err) = vestibule(data.path(), &resource_args);
    assert_eq!(code, 0, "{err}");
    let (_, second, _) = vestibule(data.path(), &resource_args);
    assert_eq!(first, second);
    let (code, role, err) = vestibule(data.path(), &["role", "create", "--name", "reader", "--type", "m2m", "--scope", "https://api.example.com=read", "--app", app["id"].as_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(role["id"].is_string());
    let (code, _, err) = vestibule(data.path(), &["role", "create", "--name", "bad", "--type", "user", "--scope", "https://api.example.com=delete"]);
    assert_eq!(code, 1, "an unknown scope is an error");
    assert!(err.contains("entity.not_found"), "{err}");
    let (code, _, err) = vestibule(data.path(), &["role", "create", "--name", "reader", "--type", "m2m", "--user", "someone"]);
    assert_eq!(code, 1, "a machine-to-machine role cannot go to a user");
    assert!(err.contains("user.invalid_role_type"), "{err}");
    let (_, user, _) = vestibule(data.path(), &["user", "create", "--username", "ann", "--password", "pw-123456"]);
    let (code, _, err) = vestibule(data.path(), &["role", "create", "--name", "people", "--type", "user", "--app", app["id"].as_str().unwrap(), "--user", user["id"].as_str().unwrap()]);
    assert_eq!(code, 1, "a user role cannot go to an application");
    assert!(err.contains("application.invalid_role_type"), "{err}");
    // A failed definition leaves nothing behind: the role can be defined afresh as M2M.
    let (code, _, err) = vestibule(data.path(), &["role", "create", "--name", "people", "--type", "m2m", "--app", app["id"].as_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = vestibule(data.path(), &["role", "create", "--name", "ghosts", "--type", "user", "--user", "no-such-user"]);
    assert_eq!(code, 1);
    assert!(err.contains("entity.not_exists_with_id"), "{err}");
}

#[test]
fn keys_rotate_adds_a_current_key_and_keeps_the_previous_one() {
    let data = tempfile::tempdir().unwrap();
    let (code, first, err) = vestibule(data.path(), &["keys", "rotate"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(first["created"].as_array().unwrap().len(), 1);
    let (_, second, _) = vestibule(data.path(), &["keys", "rotate"]);
    assert_ne!(first["created"], second["created"]);
}
