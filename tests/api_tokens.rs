//! API tokens and the Inbox Enterprise API (`/api/v1`), as seeds 002 and 003 show it.

mod support;
use serde_json::{json, Value};
use support::*;

fn unauthorized() -> Value {
    json!({"error": "Unauthorized", "message": "Invalid or missing authentication token"})
}

fn bearer(srv: &Server, path: &str, token: &str) -> Resp {
    srv.call("GET", path, Some(token), None)
}

#[test]
fn cli_token_reads_team_and_links_until_revoked() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let secret = stdout_line(&srv.inbox(&["token", "create", "--tenant", &owner.tenant, "--name", "crm"]));
    assert!(secret.starts_with("inbx_") && secret.len() >= 64, "{secret}");

    let team = bearer(&srv, "/api/v1/team", &secret);
    assert_eq!(team.status, 200, "{}", team.text);
    assert_eq!(team.json["id"], owner.tenant.as_str());
    assert_eq!(team.json["name"], "Acme");
    assert_eq!(team.json["plan"], "free");
    assert!(team.json["createdAt"].as_str().unwrap().ends_with('Z'));

    // Links follow the accounts: create, authorize with a profile, remove.
    assert_eq!(bearer(&srv, "/api/v1/account-links", &secret).json, json!({"accountLinks": []}));
    let id = srv.create_account(&owner, "x");
    let pending = bearer(&srv, "/api/v1/account-links", &secret).json;
    assert_eq!(pending["accountLinks"][0]["id"], id.as_str());
    assert_eq!(pending["accountLinks"][0]["platform"], "x");
    assert_eq!(pending["accountLinks"][0]["platformId"], Value::Null);
    let profile = json!({
        "platformId": "123456789", "platformUsername": "acmecorp", "username": "Acme Corp",
        "avatarUrl": "https://pbs.twimg.com/profile_images/acme.png"
    });
    srv.post_json(&format!("/api/accounts/{id}/authorize"), Some(&owner.token), &profile);
    let link = bearer(&srv, &format!("/api/v1/account-links/{id}"), &secret);
    assert_eq!(link.status, 200);
    let created_at = srv.get(&format!("/api/accounts/{id}"), &owner).json["createdAt"].clone();
    assert_eq!(
        link.json,
        json!({
            "id": id, "platformId": "123456789", "platform": "x", "platformUsername": "acmecorp",
            "name": "Acme Corp", "profileImageUrl": "https://pbs.twimg.com/profile_images/acme.png",
            "createdAt": created_at
        })
    );
    assert_eq!(bearer(&srv, "/api/v1/account-links", &secret).json["accountLinks"][0], link.json);
    srv.delete(&format!("/api/accounts/{id}"), &owner);
    assert_eq!(bearer(&srv, "/api/v1/account-links", &secret).json, json!({"accountLinks": []}));
    let gone = bearer(&srv, &format!("/api/v1/account-links/{id}"), &secret);
    assert_eq!((gone.status, gone.json["error"].as_str()), (404, Some("Not Found")));

    // Revoked at once.
    let listed = srv.get("/api/tokens", &owner);
    assert_eq!(listed.status, 200);
    let token_id = listed.json["member"][0]["id"].as_str().unwrap().to_string();
    assert!(!listed.text.contains(&secret[5..]), "lists never show the secret");
    assert_eq!(srv.delete(&format!("/api/tokens/{token_id}"), &owner).status, 204);
    let r = bearer(&srv, "/api/v1/team", &secret);
    assert_eq!((r.status, r.json.clone()), (401, unauthorized()));
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    assert!(srv.get("/api/tokens", &owner).json["member"][0]["revokedAt"].is_string());
}

#[test]
fn tokens_over_http_show_the_secret_once_and_only_to_owners() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let created = srv.post_json("/api/tokens", Some(&owner.token), &json!({"name": "zapier"}));
    assert_eq!(created.status, 201, "{}", created.text);
    let secret = created.json["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with(created.json["hint"].as_str().unwrap()));
    assert_eq!(created.json["@type"], "ApiToken");
    assert_eq!(bearer(&srv, "/api/v1/team", &secret).status, 200);
    let list = srv.get("/api/tokens", &owner);
    assert!(list.json["member"][0].get("token").is_none());
    assert!(!list.text.contains(&secret));

    assert_problem(&srv.post_json("/api/tokens", Some(&owner.token), &json!({"name": " "})), 422);
    assert_problem(&srv.post_json("/api/tokens", Some(&owner.token), &json!({"name": 3})), 400);
    for role in ["customer", "auditor", "connector"] {
        let u = srv.user(&owner.tenant, role);
        assert_problem(&srv.post_json("/api/tokens", Some(&u.token), &json!({"name": "x"})), 403);
        assert_problem(&srv.get("/api/tokens", &u), 403);
    }
    let other = srv.client("owner");
    let id = created.json["id"].as_str().unwrap();
    assert_problem(&srv.delete(&format!("/api/tokens/{id}"), &other), 404);
    assert_eq!(bearer(&srv, "/api/v1/team", &secret).status, 200, "another client cannot revoke it");
}

#[test]
fn bad_tokens_get_the_enterprise_401() {
    let srv = Server::start();
    let owner = srv.client("owner");
    for token in [None, Some("inbx_0000"), Some("garbage"), Some(owner.token.as_str())] {
        let r = srv.call("GET", "/api/v1/account-links", token, None);
        assert_eq!((r.status, r.json.clone()), (401, unauthorized()), "{token:?}");
    }
}

#[test]
fn a_token_never_sees_another_clients_links() {
    let srv = Server::start();
    let a = srv.client("owner");
    let b = srv.client("owner");
    let a_secret = stdout_line(&srv.inbox(&["token", "create", "--tenant", &a.tenant, "--name", "a"]));
    let b_id = srv.create_account(&b, "x");
    let a_id = srv.create_account(&a, "whatsapp");
    let links = bearer(&srv, "/api/v1/account-links", &a_secret).json;
    let ids: Vec<_> = links["accountLinks"].as_array().unwrap().iter().map(|l| l["id"].clone()).collect();
    assert_eq!(ids, vec![json!(a_id)]);
    let r = bearer(&srv, &format!("/api/v1/account-links/{b_id}"), &a_secret);
    assert_eq!(r.status, 404);
    assert_eq!(bearer(&srv, "/api/v1/team", &a_secret).json["id"], a.tenant.as_str());
}

#[test]
fn an_axios_client_lists_account_links() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let id = srv.create_account(&owner, "x");
    let secret = stdout_line(&srv.inbox(&["token", "create", "--tenant", &owner.tenant, "--name", "node"]));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/node/run.sh");
    let client = concat!(env!("CARGO_MANIFEST_DIR"), "/node/list-links.cjs");
    let run = |token: &str| {
        let out = std::process::Command::new(script)
            .arg(client)
            .env("INBOX_API_TOKEN", token)
            .env("INBOX_API_URL", srv.url("/api/v1"))
            .output()
            .expect("node");
        (out.status.success(), serde_json::from_slice::<Value>(&out.stdout).unwrap_or(Value::Null))
    };
    let (ok, body) = run(&secret);
    assert!(ok, "{body}");
    assert_eq!(body["team"]["id"], owner.tenant.as_str());
    assert_eq!(body["accountLinks"][0]["id"], id.as_str());
    let (ok, body) = run("inbx_revoked");
    assert!(!ok);
    assert_eq!(body, json!({"status": 401, "body": unauthorized()}));
}
