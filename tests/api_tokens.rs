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
    assert_eq!(bearer(&srv, "/api/v1/account-links", &secret).json, json!({"accountLinks": [], "nextCursor": null}));
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
    assert_eq!(bearer(&srv, "/api/v1/account-links", &secret).json, json!({"accountLinks": [], "nextCursor": null}));
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
fn the_token_list_pages_thirty_at_a_time_oldest_first() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let names: Vec<String> = (0..31).map(|i| format!("key {i:02}")).collect();
    for name in &names {
        assert_eq!(srv.post_json("/api/tokens", Some(&owner.token), &json!({"name": name})).status, 201);
    }
    let first = srv.get("/api/tokens", &owner);
    assert_eq!((first.json["totalItems"].as_u64(), first.json["member"].as_array().unwrap().len()), (Some(31), 30));
    assert_eq!(first.json["view"]["next"], "/api/tokens?page=2");
    let second = srv.get("/api/tokens?page=2", &owner);
    let members: Vec<_> = [&first, &second].iter().flat_map(|p| p.json["member"].as_array().unwrap().clone()).collect();
    let created: Vec<_> = members.iter().map(|t| t["createdAt"].as_str().unwrap().to_string()).collect();
    assert!(created.windows(2).all(|w| w[0] <= w[1]), "oldest first: {created:?}");
    let mut listed: Vec<_> = members.iter().map(|t| t["name"].as_str().unwrap().to_string()).collect();
    listed.sort();
    assert_eq!(listed, names, "every token once");
    assert!(second.json["view"].get("next").is_none());
    assert_problem(&srv.get("/api/tokens?page=0", &owner), 400);
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
fn account_links_page_with_limit_and_cursor() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let secret = stdout_line(&srv.inbox(&["token", "create", "--tenant", &owner.tenant, "--name", "pages"]));
    let mut ids: Vec<String> = (0..7).map(|_| srv.create_account(&owner, "x")).collect();
    // The documented order: creation time (to the millisecond), then id for a tie.
    let created =
        |id: &String| srv.get(&format!("/api/accounts/{id}"), &owner).json["createdAt"].as_str().unwrap().to_string();
    ids.sort_by_cached_key(|id| (created(id), id.clone()));
    // Without `limit`: all of them, and nothing further.
    let all = bearer(&srv, "/api/v1/account-links", &secret).json;
    let listed = |body: &Value| -> Vec<String> {
        body["accountLinks"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(listed(&all), ids);
    assert_eq!(all["nextCursor"], Value::Null);
    // Pages of 3 by their cursors: every link once, in the same order.
    let (mut seen, mut path, mut pages) = (vec![], "/api/v1/account-links?limit=3".to_string(), 0);
    loop {
        let page = bearer(&srv, &path, &secret);
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(listed(&page.json).len() <= 3);
        seen.extend(listed(&page.json));
        pages += 1;
        match page.json["nextCursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/account-links?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!((seen, pages), (ids.clone(), 3));
    // The cursor is a place, not a position: removing a link already read
    // shifts nothing. A position cursor (`c1.`, the earlier form) is still read.
    let first = bearer(&srv, "/api/v1/account-links?limit=3", &secret).json;
    assert_eq!(srv.delete(&format!("/api/accounts/{}", ids[0]), &owner).status, 204);
    let cursor = first["nextCursor"].as_str().unwrap();
    let next = bearer(&srv, &format!("/api/v1/account-links?limit=3&cursor={cursor}"), &secret).json;
    assert_eq!(listed(&next), ids[3..6].to_vec());
    let by_position = bearer(&srv, "/api/v1/account-links?limit=2&cursor=c1.2", &secret).json;
    assert_eq!(listed(&by_position), ids[3..5].to_vec());
    let bad_places = ["cursor=c2.zz.0", &format!("cursor=c2.-1.{}", "0".repeat(32)), "cursor=c2.1.abc", "cursor=c1.+5"];
    for bad in
        ["limit=0", "limit=10001", "limit=x", "cursor=abc", "cursor=c1.zz", "limit=-1"].into_iter().chain(bad_places)
    {
        let r = bearer(&srv, &format!("/api/v1/account-links?{bad}"), &secret);
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.json["error"], "Bad Request", "{bad}: {}", r.text);
        assert!(r.json["message"].as_str().unwrap().contains(bad.split('=').next().unwrap()), "{}", r.text);
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

/// Polls `f` until it holds (follow-up writes run after the answer), for at most 5 s.
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if f() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

#[test]
fn token_use_is_shown_and_every_request_logged() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let created = srv.post_json("/api/tokens", Some(&owner.token), &json!({"name": "crm"}));
    let secret = created.json["token"].as_str().unwrap().to_string();
    let id = created.json["id"].as_str().unwrap().to_string();
    let token_path = format!("/api/tokens/{id}");
    let log_path = format!("{token_path}/requests");
    let fresh = srv.get(&token_path, &owner);
    assert_eq!(fresh.status, 200, "{}", fresh.text);
    assert_eq!((fresh.json["@type"].as_str(), fresh.json["lastUsedAt"].clone()), (Some("ApiToken"), Value::Null));
    assert_eq!(srv.get(&log_path, &owner).json["member"], json!([]));

    let missing = uuid::Uuid::new_v4();
    let requests = [
        ("/api/v1/team?secret=inbx_in_a_query_string", "r-1", 200),
        ("/api/v1/account-links", "r-2", 200),
        (&*format!("/api/v1/account-links/{missing}"), "r-3", 404),
    ];
    for (path, request_id, status) in requests {
        let headers = [("X-Request-Id", request_id), ("User-Agent", "crm-sync/1.0")];
        assert_eq!(call("GET", &srv.url(path), Some(&secret), None, &headers).status, status);
    }
    assert!(eventually(|| srv.get(&log_path, &owner).json["member"].as_array().is_some_and(|m| m.len() == 3)));
    let log = srv.get(&log_path, &owner);
    assert_eq!(log.json["@type"], "Collection");
    assert!(log.json.get("totalItems").is_none(), "a log paged by time is not counted");
    let seen: Vec<_> = log.json["member"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["method"].clone(), m["path"].clone(), m["status"].clone(), m["requestId"].clone()))
        .collect();
    let expected: Vec<_> = requests
        .iter()
        .rev()
        .map(|(path, rid, status)| (json!("GET"), json!(path.split('?').next().unwrap()), json!(status), json!(rid)))
        .collect();
    assert_eq!(seen, expected, "newest first, with method, path (no query), status and request id");
    for m in log.json["member"].as_array().unwrap() {
        assert_eq!((m["ip"].as_str(), m["userAgent"].as_str()), (Some("127.0.0.1"), Some("crm-sync/1.0")));
        assert_eq!(m["@type"], "TokenRequest");
        assert!(m["requestedAt"].as_str().unwrap().ends_with('Z'));
    }
    assert!(!log.text.contains("inbx_") && !log.text.contains(&secret[5..]), "never the secret: {}", log.text);
    assert!(!log.text.contains(&owner.token) && !log.text.contains("eyJ"), "never a JWT");

    let used = srv.get(&token_path, &owner).json;
    assert!(used["lastUsedAt"].as_str().is_some_and(|t| t.ends_with('Z')), "{used}");
    assert_eq!(
        (used["lastUsedIp"].as_str(), used["lastUsedUserAgent"].as_str()),
        (Some("127.0.0.1"), Some("crm-sync/1.0"))
    );
    let listed = srv.get("/api/tokens", &owner).json;
    assert_eq!(listed["member"][0]["lastUsedAt"], used["lastUsedAt"]);

    // Operators read the same on the command line.
    let out = srv.inbox(&["token", "log", "--tenant", &owner.tenant, "--token", &id]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].contains("404") && lines[0].contains("request r-3") && lines[2].contains("/api/v1/team  200"));
    let out = srv.inbox(&["token", "list", "--tenant", &owner.tenant]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&id) && text.contains("from 127.0.0.1 (crm-sync/1.0)"), "{text}");

    // Revoked: the log stays readable. Other clients: 404; other roles: 403.
    assert_eq!(srv.delete(&token_path, &owner).status, 204);
    assert_eq!(srv.get(&log_path, &owner).json["member"].as_array().unwrap().len(), 3);
    let other = srv.client("owner");
    assert_problem(&srv.get(&token_path, &other), 404);
    assert_problem(&srv.get(&log_path, &other), 404);
    for role in ["auditor", "customer", "connector"] {
        let u = srv.user(&owner.tenant, role);
        assert_problem(&srv.get(&log_path, &u), 403);
        assert_problem(&srv.get(&token_path, &u), 403);
    }
    assert_problem(&srv.get(&format!("/api/tokens/{missing}/requests"), &owner), 404);
}

#[test]
fn the_request_log_pages_by_time() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let created = srv.post_json("/api/tokens", Some(&owner.token), &json!({"name": "busy"}));
    let (secret, id) = (created.json["token"].as_str().unwrap(), created.json["id"].as_str().unwrap());
    for i in 0..31 {
        let rid = format!("p-{i:02}");
        assert_eq!(call("GET", &srv.url("/api/v1/team"), Some(secret), None, &[("X-Request-Id", &rid)]).status, 200);
    }
    let first_path = format!("/api/tokens/{id}/requests");
    assert!(eventually(|| {
        let page = srv.get(&first_path, &owner).json;
        // All 31 written (the log is written in batches): the newest leads the first page.
        page["member"].as_array().is_some_and(|m| m.len() == 30 && m[0]["requestId"] == "p-30")
            && page["view"]["next"].is_string()
    }));
    let first = srv.get(&first_path, &owner).json;
    assert_eq!(
        (first["view"]["@id"].as_str(), first["view"]["first"].as_str()),
        (Some(&*first_path), Some(&*first_path))
    );
    let next = first["view"]["next"].as_str().unwrap().to_string();
    assert!(eventually(|| srv.get(&next, &owner).json["member"].as_array().is_some_and(|m| m.len() == 1)));
    let second = srv.get(&next, &owner).json;
    assert_eq!(second["member"][0]["requestId"], "p-00", "the oldest comes last");
    assert_eq!(first["member"][0]["requestId"], "p-30");
    assert!(second["view"].get("next").is_none());
    assert_problem(&srv.get(&format!("{first_path}?before="), &owner), 400);
}
