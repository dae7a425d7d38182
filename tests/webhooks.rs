//! Webhooks from outside: a receiver on 127.0.0.1 (with
//! `INBOX_WEBHOOK_ALLOW_PRIVATE=1`) gets every account event, signed so that
//! the official `standardwebhooks` library verifies it; failures are retried
//! with the same id; 410 disables; the address guard refuses private targets;
//! and a `kill -9` of the server loses nothing.

mod support;
use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::receiver::{Received, Receiver};
use support::*;

/// A server that may reach 127.0.0.1, retrying after 1 s (`attempts` in all).
fn server(attempts: usize, data_dir: PathBuf) -> Server {
    let mut env = env(&data_dir);
    env.push(("INBOX_WEBHOOK_ALLOW_PRIVATE".into(), "1".into()));
    let schedule = std::iter::once("0").chain(std::iter::repeat_n("1", attempts - 1)).collect::<Vec<_>>().join(",");
    env.push(("INBOX_WEBHOOK_RETRY_SCHEDULE".into(), schedule));
    Server::start_env(&["--no-demo"], data_dir, env)
}

fn register(srv: &Server, owner: &Session, body: Value) -> Resp {
    srv.post_json("/api/webhooks", Some(&owner.token), &body)
}

/// Verifies each message with the official `standardwebhooks` library (Python).
fn verify(secret: &str, messages: &[Received]) -> Result<String, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let python =
        std::env::var_os("INBOX_TEST_PYTHON").map(PathBuf::from).unwrap_or(root.join(".tools/venv/bin/python"));
    assert!(python.exists(), "{} is missing: tests/run.sh installs it (with standardwebhooks)", python.display());
    let list: Vec<Value> = messages
        .iter()
        .map(|m| json!({"secret": secret, "id": m.id, "timestamp": m.timestamp, "signature": m.signature, "body": m.body}))
        .collect();
    let file = std::env::temp_dir().join(format!("webhooks-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, serde_json::to_string(&list).unwrap()).unwrap();
    let out = std::process::Command::new(python)
        .arg(root.join("tests/standardwebhooks/verify.py"))
        .arg(&file)
        .output()
        .expect("run python");
    let _ = std::fs::remove_file(file);
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string() + &String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

#[test]
fn every_account_event_arrives_signed_and_in_order() {
    let srv = server(3, temp_dir("wh"));
    let owner = srv.client("owner");
    let connector = srv.user(&owner.tenant, "connector");
    let receiver = Receiver::start(&[]);
    let created = register(&srv, &owner, json!({"url": receiver.url, "description": "ops"}));
    assert_eq!(created.status, 201, "{}", created.text);
    let secret = created.json["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let hook = created.json["@id"].as_str().unwrap().to_string();
    assert_eq!(created.header("location"), Some(hook.as_str()));
    // Another client's endpoint hears nothing of ours.
    let other = srv.client("owner");
    let elsewhere = Receiver::start(&[]);
    assert_eq!(register(&srv, &other, json!({"url": elsewhere.url})).status, 201);

    let id = srv.create_account(&owner, "whatsapp");
    let account = format!("/api/accounts/{id}");
    let put = |body: Value| assert_eq!(srv.put_json(&account, &owner, &body).status, 200);
    put(json!({"description": "Support line"}));
    let profile = json!({"platformId": "15551234567", "platformUsername": "michael"});
    assert_eq!(srv.post_json(&format!("{account}/authorize"), Some(&connector.token), &profile).status, 200);
    assert_eq!(srv.post_json(&format!("{account}/disconnect"), Some(&connector.token), &json!({})).status, 200);
    put(json!({"historySyncUntil": "2025-01-01T00:00:00.000Z"}));
    assert_eq!(srv.delete(&account, &owner).status, 204);

    let got = receiver.wait_for(6);
    let types: Vec<String> = got.iter().map(|m| m.json()["type"].as_str().unwrap().to_string()).collect();
    let expected = [
        "account.connected",
        "account.updated",
        "account.authorized",
        "account.disconnected",
        "account.history_sync_set",
        "account.removed",
    ];
    let mut sorted = types.clone();
    sorted.sort();
    let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(sorted, want, "one message per event: {types:?}");

    // data.event is the event as the history serves it; data.account the account after it.
    let history = srv.get(&format!("{account}/events"), &owner);
    assert_eq!(history.status, 200);
    for m in &got {
        let body = m.json();
        let version = body["data"]["event"]["version"].as_u64().unwrap();
        let served = history.json["member"].as_array().unwrap().iter().find(|e| e["version"] == version).unwrap();
        assert_eq!(&body["data"]["event"], served, "{}", m.body);
        assert_eq!(body["timestamp"], served["recordedAt"]);
        assert!((m.at - m.timestamp.parse::<i64>().unwrap()).abs() <= 60, "webhook-timestamp within 60 s");
        match body["type"].as_str().unwrap() {
            "account.removed" => assert_eq!(body["data"]["account"], Value::Null),
            kind => {
                assert_eq!(body["data"]["account"]["@id"], account.as_str(), "{kind}");
                assert_eq!(body["data"]["account"]["@context"], "/api/contexts/Account");
            }
        }
        if body["type"] == "account.authorized" {
            assert_eq!(body["data"]["account"]["isAuthorized"], true);
        }
    }
    let mut ids: Vec<&str> = got.iter().map(|m| m.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6, "a webhook-id per event");

    // The official library verifies every signature, and refuses a tampered body.
    assert_eq!(verify(&secret, &got), Ok("verified 6".into()));
    let mut tampered = got[0].clone();
    tampered.body = tampered.body.replace("account.", "acount.");
    assert!(verify(&secret, &[tampered]).is_err());

    // The secret is never served again; deliveries and history are.
    for path in [hook.clone(), "/api/webhooks".into(), format!("{hook}/deliveries"), format!("{hook}/events")] {
        let r = srv.get(&path, &owner);
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert!(!r.text.contains(&secret) && !r.text.contains("whsec_"), "{path}: {}", r.text);
    }
    let deliveries = srv.get(&format!("{hook}/deliveries"), &owner);
    assert_eq!(deliveries.json["member"].as_array().unwrap().len(), 6);
    assert!(deliveries.json["member"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["status"] == 200 && d["state"] == "delivered"));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(elsewhere.received().len(), 0, "another client's endpoint gets nothing of ours");
}

#[test]
fn failures_are_retried_with_one_id_and_gone_disables() {
    let srv = server(3, temp_dir("wh-retry"));
    let owner = srv.client("owner");
    let flaky = Receiver::start(&[500, 500, 200]);
    let hook = register(&srv, &owner, json!({"url": flaky.url}));
    assert_eq!(hook.status, 201, "{}", hook.text);
    let hook = hook.json["@id"].as_str().unwrap().to_string();
    let gone = Receiver::start(&[410]);
    let gone_hook = register(&srv, &owner, json!({"url": gone.url}));
    let gone_hook = gone_hook.json["@id"].as_str().unwrap().to_string();
    let removals = Receiver::start(&[]);
    let filtered = register(&srv, &owner, json!({"url": removals.url, "events": ["account.removed"]}));
    assert_eq!(filtered.json["events"], json!(["account.removed"]));

    let id = srv.create_account(&owner, "telegram");
    let got = flaky.wait_for(3);
    assert_eq!(got.len(), 3, "500, 500, then 200");
    assert!(got.iter().all(|m| m.id == got[0].id), "the same webhook-id on every attempt");
    let deliveries = srv.get(&format!("{hook}/deliveries"), &owner).json["member"].clone();
    let seen: Vec<(u64, u64, &str)> = deliveries
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["attempt"].as_u64().unwrap(), d["status"].as_u64().unwrap(), d["state"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, [(3, 200, "delivered"), (2, 500, "pending"), (1, 500, "pending")], "newest first");
    assert!(deliveries.as_array().unwrap().iter().all(|d| d["messageId"] == got[0].id.as_str()));

    // 410 Gone disables the endpoint at once, saying why; it gets nothing more.
    assert_eq!(gone.wait_for(1).len(), 1);
    let start = Instant::now();
    let mut state = srv.get(&gone_hook, &owner).json;
    while state["enabled"] == true && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
        state = srv.get(&gone_hook, &owner).json;
    }
    assert_eq!(state["enabled"], false);
    assert!(state["disabledReason"].as_str().unwrap().contains("410"), "{state}");
    let changes = srv.get(&format!("{gone_hook}/events"), &owner).json;
    assert_eq!(changes["member"][1]["actor"], "webhooks", "{changes}");

    // The filter: only the removal reaches that endpoint.
    assert_eq!(srv.delete(&format!("/api/accounts/{id}"), &owner).status, 204);
    let only = removals.wait_for(1);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(removals.received().len(), 1);
    assert_eq!(only[0].json()["type"], "account.removed");
    assert_eq!(gone.received().len(), 1, "a disabled endpoint gets nothing");
    let test = srv.post_json(&format!("{gone_hook}/test"), Some(&owner.token), &json!({}));
    assert_problem(&test, 422);
}

#[test]
fn owners_manage_endpoints_and_nobody_else_does() {
    let srv = server(2, temp_dir("wh-roles"));
    let owner = srv.client("owner");
    let receiver = Receiver::start(&[]);
    let hook = register(&srv, &owner, json!({"url": receiver.url}));
    let hook = hook.json["@id"].as_str().unwrap().to_string();
    for role in ["customer", "auditor", "connector"] {
        let s = srv.user(&owner.tenant, role);
        assert_eq!(register(&srv, &s, json!({"url": receiver.url})).status, 403, "{role}");
        assert_eq!(srv.get("/api/webhooks", &s).status, 403, "{role}");
        assert_eq!(srv.get(&hook, &s).status, 403, "{role}");
        assert_eq!(srv.get(&format!("{hook}/events"), &s).status, 403, "{role}: URLs may carry credentials");
    }
    let stranger = srv.client("owner");
    for (method, path) in [("GET", hook.clone()), ("DELETE", hook.clone()), ("GET", format!("{hook}/deliveries"))] {
        assert_eq!(srv.call(method, &path, Some(&stranger.token), None).status, 404, "{method} {path}");
    }
    let bad = register(&srv, &owner, json!({"url": receiver.url, "events": ["account.deleted"]}));
    assert_problem(&bad, 422);
    assert_eq!(bad.json["violations"][0]["propertyPath"], "events");
    assert_problem(&register(&srv, &owner, json!({"events": []})), 422);

    // Test message: sent now, answered with its attempt, verifiable.
    let test = srv.post_json(&format!("{hook}/test"), Some(&owner.token), &json!({}));
    assert_eq!(test.status, 200, "{}", test.text);
    assert_eq!((test.json["type"].as_str(), test.json["status"].as_u64()), (Some("webhook.test"), Some(200)));
    assert_eq!(receiver.wait_for(1)[0].json()["type"], "webhook.test");

    let changed = srv.put_json(&hook, &owner, &json!({"description": "pager", "events": ["account.disconnected"]}));
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.json["description"], "pager");
    assert_eq!(srv.delete(&hook, &owner).status, 204);
    assert_eq!(srv.get(&hook, &owner).status, 404);
    let history = srv.get(&format!("{hook}/events"), &owner).json;
    let kinds: Vec<&str> = history["member"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["WebhookCreated", "WebhookChanged", "WebhookDeleted"]);
    assert_eq!(history["member"][1]["actor"], owner.user_id.as_str());
}

#[test]
fn private_targets_are_refused_unless_allowed() {
    let srv = Server::start();
    let owner = srv.client("owner");
    for url in [
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.1/",
        "https://[::1]/",
        "https://localhost:8443/hook",
    ] {
        let r = register(&srv, &owner, json!({"url": url}));
        assert_problem(&r, 422);
        assert_eq!(r.json["violations"][0]["propertyPath"], "url", "{url}: {}", r.text);
    }
    assert_eq!(srv.get("/api/webhooks", &owner).json["totalItems"], 0, "nothing was written");
}

#[test]
fn a_killed_server_loses_no_message() {
    // The receiver is down while the events happen and when the server dies.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let srv = server(30, temp_dir("wh-kill"));
    let owner = srv.client("owner");
    let url = format!("http://127.0.0.1:{port}/hook");
    assert_eq!(register(&srv, &owner, json!({"url": url})).status, 201);
    let ids: Vec<String> = (0..10).map(|_| srv.create_account(&owner, "gmail")).collect();
    std::thread::sleep(Duration::from_millis(500));
    let data = srv.stop_keeping_data(); // SIGKILL: no shutdown of any kind.

    let receiver = Receiver::on(TcpListener::bind(("127.0.0.1", port)).unwrap(), &[]);
    let again = server(30, data);
    // An attempt the kill cut short stays claimed for its 60 s lease, then is due again.
    let accounts = || {
        let mut a: Vec<String> = receiver
            .received()
            .iter()
            .map(|m| m.json()["data"]["account"]["id"].as_str().unwrap().to_string())
            .collect();
        a.sort();
        a.dedup();
        a
    };
    let start = Instant::now();
    while accounts().len() < ids.len() && start.elapsed() < Duration::from_secs(80) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut want = ids.clone();
    want.sort();
    assert_eq!(accounts(), want, "every message arrives after the restart (duplicates allowed)");
    drop(again);
}

#[test]
fn a_restart_sends_nothing_twice() {
    // The restarted server reads the log (or the stream) again; what was
    // delivered is recorded under the same message ids, so it is not sent again.
    let receiver = Receiver::start(&[]);
    let srv = server(3, temp_dir("wh-restart"));
    let owner = srv.client("owner");
    assert_eq!(register(&srv, &owner, json!({"url": receiver.url})).status, 201);
    for _ in 0..3 {
        srv.create_account(&owner, "outlook");
    }
    assert_eq!(receiver.wait_for(3).len(), 3);
    let again = server(3, srv.stop_keeping_data());
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(receiver.received().len(), 3, "nothing delivered is delivered again");
    drop(again);
}

#[test]
fn an_endpoint_hears_only_what_happens_after_its_creation() {
    let srv = server(2, temp_dir("wh-after"));
    let owner = srv.client("owner");
    let id = srv.create_account(&owner, "linkedin");
    let receiver = Receiver::start(&[]);
    assert_eq!(register(&srv, &owner, json!({"url": receiver.url})).status, 201);
    assert_eq!(srv.put_json(&format!("/api/accounts/{id}"), &owner, &json!({"description": "later"})).status, 200);
    let got = receiver.wait_for(1);
    std::thread::sleep(Duration::from_millis(300));
    let types: Vec<Value> = receiver.received().iter().map(|m| m.json()["type"].clone()).collect();
    assert_eq!(types, [json!("account.updated")], "not the connection before it: {got:?}");
}
