//! The `inbox` command line.

mod support;
use serde_json::json;
use support::*;

#[test]
fn tenant_and_user_create_print_only_ids() {
    let dir = temp_dir("cli");
    let tenant = stdout_line(&run_inbox(&dir, &["tenant", "create", "--name", "Acme Corp", "--plan", "enterprise"]));
    uuid::Uuid::parse_str(&tenant).expect("a UUID");
    let user = stdout_line(&run_inbox(
        &dir,
        &[
            "user",
            "create",
            "--tenant",
            &tenant,
            "--username",
            "ann@acme.test",
            "--password",
            "long enough",
            "--role",
            "customer",
        ],
    ));
    uuid::Uuid::parse_str(&user).expect("a UUID");

    let fails = |args: &[&str], needle: &str| {
        let out = run_inbox(&dir, args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    };
    let user = |tenant: &str, name: &str, pw: &str, role: &str, needle: &str| {
        fails(&["user", "create", "--tenant", tenant, "--username", name, "--password", pw, "--role", role], needle)
    };
    user(&tenant, "ann@acme.test", "long enough", "owner", "taken");
    user(&tenant, "bob", "short", "owner", "at least 8");
    user(&tenant, "bob", "long enough", "admin", "admin");
    user(&uuid::Uuid::new_v4().to_string(), "bob", "long enough", "owner", "no tenant");
    user("not-a-uuid", "bob", "long enough", "owner", "invalid");
    fails(&["tenant", "create", "--name", "  "], "blank");

    // The password is stored as an argon2id hash, never in clear.
    let db = std::fs::read(dir.join("inbox.db")).unwrap();
    let text = String::from_utf8_lossy(&db);
    assert!(text.contains("$argon2id$"));
    assert!(!text.contains("long enough"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn serve_on_an_empty_store_creates_a_demo_login() {
    let dir = temp_dir("demo");
    let srv = Server::start_with(&[], dir.clone());
    let banner = srv.banner.join("\n");
    assert!(banner.contains("owner@demo.test") && banner.contains("demo-password"), "{banner}");
    let r = srv.post_json(
        "/authentication/login_check",
        None,
        &json!({"username": "owner@demo.test", "password": "demo-password"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    drop(srv);

    // A second start on the same (now non-empty) store creates nothing more.
    std::fs::create_dir_all(&dir).ok();
    let out = run_inbox(&dir, &["tenant", "create", "--name", "Other"]);
    assert!(out.status.success());
    let again = Server::start_with(&[], dir);
    assert!(again.banner.is_empty(), "{:?}", again.banner);
}

#[test]
fn generated_jwt_secret_is_kept_in_the_data_dir() {
    let dir = temp_dir("secret");
    let run = |args: &[&str]| {
        std::process::Command::new(inbox_bin())
            .args(args)
            .env("INBOX_DATA_DIR", &dir)
            .env_remove("INBOX_JWT_SECRET")
            .output()
            .unwrap()
    };
    let tenant = stdout_line(&run(&["tenant", "create", "--name", "A"]));
    let secret = std::fs::read_to_string(dir.join("jwt-secret")).unwrap();
    assert!(secret.len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(dir.join("jwt-secret")).unwrap().permissions().mode() & 0o777, 0o600);
    }
    stdout_line(&run(&[
        "user",
        "create",
        "--tenant",
        &tenant,
        "--username",
        "u",
        "--password",
        "password1",
        "--role",
        "owner",
    ]));
    assert_eq!(std::fs::read_to_string(dir.join("jwt-secret")).unwrap(), secret, "generated once");
    let short = std::process::Command::new(inbox_bin())
        .args(["tenant", "create", "--name", "B"])
        .env("INBOX_DATA_DIR", &dir)
        .env("INBOX_JWT_SECRET", "too-short")
        .output()
        .unwrap();
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("INBOX_JWT_SECRET"));
    std::fs::remove_dir_all(dir).unwrap();
}
