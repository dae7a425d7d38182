//! A client's team over HTTP, refresh tokens, and login throttling.

mod support;
use serde_json::{json, Value};
use support::*;

fn login(srv: &Server, username: &str, password: &str) -> Resp {
    srv.post_json("/authentication/login_check", None, &json!({"username": username, "password": password}))
}

fn refresh(srv: &Server, token: &str) -> Resp {
    srv.post_json("/api/token/refresh", None, &json!({"refresh_token": token}))
}

fn username() -> String {
    format!("member-{}@example.test", uuid::Uuid::new_v4().simple())
}

fn create(srv: &Server, owner: &Session, body: &Value) -> Resp {
    srv.post_json("/api/users", Some(&owner.token), body)
}

#[test]
fn owners_manage_their_team_and_every_change_is_recorded() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let name = username();
    let created =
        create(&srv, &owner, &json!({"username": name, "plainPassword": "s3cret-pass", "roles": ["ROLE_AUDITOR"]}));
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json["@type"], "User");
    assert_eq!(
        (created.json["username"].as_str(), created.json["enabled"].as_bool()),
        (Some(name.as_str()), Some(true))
    );
    assert_eq!(created.json["roles"], json!(["ROLE_AUDITOR"]));
    assert!(!created.text.contains("s3cret-pass") && !created.text.contains("argon2"), "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_string();
    assert_eq!(created.header("location"), Some(format!("/api/users/{id}").as_str()));
    assert_eq!(login(&srv, &name, "s3cret-pass").status, 200);

    let list = srv.get("/api/users", &owner);
    assert_eq!((list.status, list.json["totalItems"].as_u64()), (200, Some(2)));
    assert!(!list.text.contains("argon2"));
    assert_eq!(srv.get(&format!("/api/users/{id}"), &owner).json["username"], name.as_str());

    let put = srv.put_json(&format!("/api/users/{id}"), &owner, &json!({"roles": ["ROLE_OWNER", "ROLE_AUDITOR"]}));
    assert_eq!((put.status, put.json["roles"].clone()), (200, json!(["ROLE_OWNER", "ROLE_AUDITOR"])), "{}", put.text);
    let put =
        srv.put_json(&format!("/api/users/{id}"), &owner, &json!({"plainPassword": "another-pass", "enabled": false}));
    assert_eq!((put.status, put.json["enabled"].as_bool()), (200, Some(false)));
    // A disabled user cannot log in, with the right password or not.
    assert_401(&login(&srv, &name, "another-pass"), "Invalid credentials.");
    srv.put_json(&format!("/api/users/{id}"), &owner, &json!({"enabled": true}));
    assert_eq!(login(&srv, &name, "another-pass").status, 200, "the new password");

    let history = srv.get(&format!("/api/users/{id}/events"), &owner);
    assert_eq!(history.status, 200, "{}", history.text);
    let types: Vec<_> = history.json["member"].as_array().unwrap().iter().map(|e| e["type"].clone()).collect();
    assert_eq!(types, [json!("UserCreated"), json!("UserChanged"), json!("UserChanged"), json!("UserChanged")]);
    let second = &history.json["member"][2];
    assert_eq!(second["changes"], json!({"enabled": false, "passwordChanged": true}));
    assert_eq!(second["actor"], owner.user_id.as_str());
    assert!(second["correlationId"].as_str().is_some_and(|c| !c.is_empty()));
    assert!(!history.text.contains("another-pass"));
    let auditor = srv.user(&owner.tenant, "auditor");
    assert_eq!(srv.get(&format!("/api/users/{id}/events"), &auditor).status, 200, "auditors read histories");

    assert_eq!(srv.delete(&format!("/api/users/{id}"), &owner).status, 204);
    assert_problem(&srv.get(&format!("/api/users/{id}"), &owner), 404);
    assert_401(&login(&srv, &name, "another-pass"), "Invalid credentials.");
    let after = srv.get(&format!("/api/users/{id}/events"), &owner);
    assert_eq!(after.json["member"].as_array().unwrap().last().unwrap()["type"], "UserDeleted");
}

/// Every stream is in the one event log, but an account's history shows an
/// account's stream only: the team's (or an endpoint's) is read by its own
/// route, never as an account.
#[test]
fn a_team_or_endpoint_stream_is_no_account_history() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let tenant: inbox_domain::ClientId = owner.tenant.parse().unwrap();
    let team = tenant.team_stream();
    assert_eq!(srv.get(&format!("/api/users/{}/events", owner.user_id), &owner).status, 200);
    assert_problem(&srv.get(&format!("/api/accounts/{team}/events"), &owner), 404);
    let hook = srv.post_json("/api/webhooks", Some(&owner.token), &json!({"url": "https://hooks.example.com/in"}));
    assert_eq!(hook.status, 201, "{}", hook.text);
    let id = hook.json["id"].as_str().unwrap();
    assert_eq!(srv.get(&format!("/api/webhooks/{id}/events"), &owner).status, 200);
    assert_problem(&srv.get(&format!("/api/accounts/{id}/events"), &owner), 404);
}

#[test]
fn users_are_for_owners_of_their_own_client() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let other = srv.client("owner");
    for role in ["auditor", "customer", "connector"] {
        let s = srv.user(&owner.tenant, role);
        assert_problem(&srv.get("/api/users", &s), 403);
        assert_problem(
            &create(
                &srv,
                &s,
                &json!({"username": username(), "plainPassword": "long-enough", "roles": ["ROLE_OWNER"]}),
            ),
            403,
        );
        assert_problem(&srv.get(&format!("/api/users/{}", owner.user_id), &s), 403);
        assert_problem(&srv.put_json(&format!("/api/users/{}", s.user_id), &s, &json!({"roles": ["ROLE_OWNER"]})), 403);
        assert_problem(&srv.delete(&format!("/api/users/{}", owner.user_id), &s), 403);
    }
    // Another client's user is not there.
    let theirs = format!("/api/users/{}", other.user_id);
    assert_problem(&srv.get(&theirs, &owner), 404);
    assert_problem(&srv.put_json(&theirs, &owner, &json!({"enabled": false})), 404);
    assert_problem(&srv.delete(&theirs, &owner), 404);
    assert_problem(&srv.get(&format!("{theirs}/events"), &owner), 404);
    assert_eq!(srv.get("/api/users", &other).json["totalItems"], 1);
    assert_problem(&srv.get("/api/users/not-a-uuid", &owner), 404);
}

#[test]
fn users_are_validated_and_the_last_owner_stays() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let taken = srv.client("owner");
    let name = username();
    let ok = json!({"username": name, "plainPassword": "long-enough", "roles": ["ROLE_CUSTOMER"]});
    assert_eq!(create(&srv, &owner, &ok).status, 201);
    let cases = [
        (json!({"username": name, "plainPassword": "long-enough", "roles": ["ROLE_CUSTOMER"]}), "username"),
        (json!({"plainPassword": "long-enough", "roles": ["ROLE_CUSTOMER"]}), "username"),
        (json!({"username": "x".repeat(181), "plainPassword": "long-enough", "roles": ["ROLE_CUSTOMER"]}), "username"),
        (json!({"username": username(), "plainPassword": "short", "roles": ["ROLE_CUSTOMER"]}), "plainPassword"),
        (
            json!({"username": username(), "plainPassword": "x".repeat(4097), "roles": ["ROLE_CUSTOMER"]}),
            "plainPassword",
        ),
        (json!({"username": username(), "plainPassword": "long-enough", "roles": []}), "roles"),
        (json!({"username": username(), "plainPassword": "long-enough", "roles": ["ROLE_ADMIN"]}), "roles"),
        (json!({"username": username(), "plainPassword": "long-enough"}), "roles"),
    ];
    for (body, field) in cases {
        let r = create(&srv, &owner, &body);
        assert_problem(&r, 422);
        assert_eq!(r.json["violations"][0]["propertyPath"], field, "{}", r.text);
    }
    // Taken in another client too: login is by username.
    let r = create(&srv, &taken, &ok);
    assert_problem(&r, 422);
    assert_problem(&create(&srv, &owner, &json!({"username": 5})), 400);
    assert_eq!(srv.get("/api/users", &owner).json["totalItems"], 2, "nothing written");

    // The last enabled owner cannot be demoted, disabled or deleted …
    let me = format!("/api/users/{}", owner.user_id);
    for body in [json!({"roles": ["ROLE_AUDITOR"]}), json!({"enabled": false})] {
        let r = srv.put_json(&me, &owner, &body);
        assert_problem(&r, 422);
        assert!(r.json["detail"].as_str().unwrap().contains("last enabled owner"), "{}", r.text);
    }
    assert_problem(&srv.delete(&me, &owner), 422);
    assert_problem(&srv.put_json(&me, &owner, &json!({"plainPassword": "short"})), 422);
    // … until there is another.
    let second =
        create(&srv, &owner, &json!({"username": username(), "plainPassword": "long-enough", "roles": ["ROLE_OWNER"]}));
    assert_eq!(second.status, 201);
    assert_eq!(srv.put_json(&me, &owner, &json!({"roles": ["ROLE_AUDITOR"]})).status, 200);
    let second = format!("/api/users/{}", second.json["id"].as_str().unwrap());
    // The demoted owner's JWT lives until it expires; the new owner is now the last.
    assert_problem(&srv.delete(&second, &owner), 422);
}

#[test]
fn refresh_tokens_rotate_and_a_replay_ends_the_login() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let name = username();
    create(&srv, &owner, &json!({"username": name, "plainPassword": "long-enough", "roles": ["ROLE_AUDITOR"]}));
    let first = login(&srv, &name, "long-enough");
    assert_eq!(first.status, 200);
    let r1 = first.json["refresh_token"].as_str().unwrap().to_string();
    assert!(r1.len() >= 64, "256 bits at least: {r1}");
    let second = refresh(&srv, &r1);
    assert_eq!(second.status, 200, "{}", second.text);
    let (jwt, r2) =
        (second.json["token"].as_str().unwrap(), second.json["refresh_token"].as_str().unwrap().to_string());
    assert_ne!(r2, r1);
    assert_eq!(srv.call("GET", "/api/accounts", Some(jwt), None).status, 200);
    let third = refresh(&srv, &r2);
    assert_eq!(third.status, 200);
    let r3 = third.json["refresh_token"].as_str().unwrap().to_string();
    // Replaying a used token: 401, and the whole family with it.
    assert_401(&refresh(&srv, &r1), "Invalid JWT Refresh Token");
    assert_401(&refresh(&srv, &r3), "Invalid JWT Refresh Token");
    assert_401(&srv.post_json("/api/token/refresh", None, &json!({})), "Missing JWT Refresh Token");
    assert_401(&refresh(&srv, "not-a-token"), "Invalid JWT Refresh Token");

    // Logout: 204, then the token is dead; another login is unaffected.
    let a = login(&srv, &name, "long-enough").json["refresh_token"].as_str().unwrap().to_string();
    let b = login(&srv, &name, "long-enough").json["refresh_token"].as_str().unwrap().to_string();
    let out = srv.post_json("/api/token/invalidate", None, &json!({"refresh_token": a}));
    assert_eq!(out.status, 204, "{}", out.text);
    assert_401(&refresh(&srv, &a), "Invalid JWT Refresh Token");
    assert_eq!(srv.post_json("/api/token/invalidate", None, &json!({"refresh_token": "unknown"})).status, 204);

    // A change of the user ends its refresh tokens at once.
    let id = srv.get("/api/users", &owner).json["member"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == name.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    srv.put_json(&format!("/api/users/{id}"), &owner, &json!({"roles": ["ROLE_CUSTOMER"]}));
    assert_401(&refresh(&srv, &b), "Invalid JWT Refresh Token");
    let c = login(&srv, &name, "long-enough").json["refresh_token"].as_str().unwrap().to_string();
    srv.put_json(&format!("/api/users/{id}"), &owner, &json!({"enabled": false}));
    assert_401(&refresh(&srv, &c), "Invalid JWT Refresh Token");
}

#[test]
fn five_failed_logins_lock_the_username_for_the_window() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let name = username();
    create(&srv, &owner, &json!({"username": name, "plainPassword": "long-enough", "roles": ["ROLE_AUDITOR"]}));
    for _ in 0..5 {
        assert_401(&login(&srv, &name, "wrong-password"), "Invalid credentials.");
    }
    let locked = login(&srv, &name, "long-enough");
    assert_eq!(locked.status, 429, "{}", locked.text);
    assert_eq!(locked.json, json!({"code": 429, "message": "Too many failed login attempts, please try again later."}));
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Other usernames are unaffected, unknown ones are throttled the same way.
    let other = username();
    create(&srv, &owner, &json!({"username": other, "plainPassword": "long-enough", "roles": ["ROLE_AUDITOR"]}));
    assert_eq!(login(&srv, &other, "long-enough").status, 200);
    for _ in 0..5 {
        assert_401(&login(&srv, "nobody@example.test", "x"), "Invalid credentials.");
    }
    assert_eq!(login(&srv, "nobody@example.test", "x").status, 429);
}
