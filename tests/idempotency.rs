//! `Idempotency-Key` on every write: a retry replays the first answer and
//! writes nothing; another request with the same key is 422; a request while
//! the first is still running is 409.

mod support;
use serde_json::{json, Value};
use support::*;

fn with_key(srv: &Server, method: &str, path: &str, s: &Session, key: &str, body: Option<&Value>) -> Resp {
    let text = body.map(Value::to_string);
    let body = text.as_deref().map(|b| ("application/ld+json", b));
    call(method, &srv.url(path), Some(&s.token), body, &[("Idempotency-Key", key)])
}

fn events_of(srv: &Server, id: &str) -> usize {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let store = rt.block_on(srv.store());
    rt.block_on(store.load_stream(id.parse().unwrap())).unwrap().len()
}

#[test]
fn retries_replay_the_first_answer_and_write_nothing() {
    let srv = Server::start();
    let s = srv.client("owner");
    let whatsapp = json!({"integration": "/api/integrations/whatsapp"});

    let first = with_key(&srv, "POST", "/api/accounts", &s, "create-1", Some(&whatsapp));
    assert_eq!(first.status, 201, "{}", first.text);
    let again = with_key(&srv, "POST", "/api/accounts", &s, "create-1", Some(&whatsapp));
    assert_eq!((again.status, again.json.clone()), (201, first.json.clone()), "the first answer, replayed");
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(srv.get("/api/accounts", &s).json["totalItems"], 1, "one account, not two");

    let other =
        with_key(&srv, "POST", "/api/accounts", &s, "create-1", Some(&json!({"integration": "/api/integrations/x"})));
    assert_problem(&other, 422);
    assert_eq!(other.json["violations"][0]["propertyPath"], "Idempotency-Key");
    let elsewhere = srv.client("owner");
    assert_eq!(
        with_key(&srv, "POST", "/api/accounts", &elsewhere, "create-1", Some(&whatsapp)).status,
        201,
        "keys are per client"
    );

    // A replayed PUT answers what the first one did, even after a later change, and appends nothing.
    let id = first.json["id"].as_str().unwrap().to_string();
    let path = format!("/api/accounts/{id}");
    let put = with_key(&srv, "PUT", &path, &s, "put-1", Some(&json!({"username": "A"})));
    assert_eq!(put.status, 200);
    assert_eq!(srv.put_json(&path, &s, &json!({"username": "B"})).status, 200);
    let before = events_of(&srv, &id);
    let replay = with_key(&srv, "PUT", &path, &s, "put-1", Some(&json!({"username": "A"})));
    assert_eq!((replay.status, replay.json["username"].clone()), (200, json!("A")));
    assert_eq!(events_of(&srv, &id), before, "a replay appends nothing");
    assert_eq!(srv.get(&path, &s).json["username"], "B");

    // DELETE twice with one key: 204 both times, not 404 the second.
    assert_eq!(with_key(&srv, "DELETE", &path, &s, "delete-1", None).status, 204);
    assert_eq!(with_key(&srv, "DELETE", &path, &s, "delete-1", None).status, 204);
    assert_problem(&srv.delete(&path, &s), 404);

    // A refused request is replayed as refused.
    let bad = json!({"integration": "/api/integrations/myspace"});
    let refused = with_key(&srv, "POST", "/api/accounts", &s, "bad-1", Some(&bad));
    assert_problem(&refused, 422);
    assert_eq!(with_key(&srv, "POST", "/api/accounts", &s, "bad-1", Some(&bad)).json, refused.json);

    // A new API token replayed: the same token, its secret not kept.
    let token = with_key(&srv, "POST", "/api/tokens", &s, "token-1", Some(&json!({"name": "crm"})));
    assert_eq!(token.status, 201);
    assert!(token.json["token"].is_string());
    let token_again = with_key(&srv, "POST", "/api/tokens", &s, "token-1", Some(&json!({"name": "crm"})));
    assert_eq!((token_again.status, token_again.json["id"].clone()), (201, token.json["id"].clone()));
    assert!(token_again.json.get("token").is_none(), "secrets are never kept for a replay");
    assert_eq!(srv.get("/api/tokens", &s).json["totalItems"], 1);

    let long = "k".repeat(256);
    assert_problem(&with_key(&srv, "POST", "/api/accounts", &s, &long, Some(&whatsapp)), 400);
}

#[test]
fn a_request_while_the_first_runs_is_409() {
    let srv = Server::start();
    let s = srv.client("owner");
    // Another request holds the key (as a running one does), for a minute.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let store = rt.block_on(srv.store());
    let now = chrono::Utc::now();
    let held = inbox_store::KeyClaim {
        client_id: s.tenant.parse().unwrap(),
        // Keys are stored under the caller (its subject, a newline, the key).
        key: format!("{}\nbusy", s.user_id),
        fingerprint: "another request".into(),
        owner: "someone else".into(),
        now,
        lease_until: now + chrono::Duration::seconds(60),
        expires_at: now + chrono::Duration::hours(24),
    };
    assert_eq!(rt.block_on(store.claim_key(&held)).unwrap(), inbox_store::Claim::Fresh);
    let r = with_key(&srv, "POST", "/api/accounts", &s, "busy", Some(&json!({"integration": "/api/integrations/x"})));
    assert_problem(&r, 409);
    assert_eq!(srv.get("/api/accounts", &s).json["totalItems"], 0, "nothing written");
    // A key left pending by a request that died is free once its lease ends.
    let stale = inbox_store::KeyClaim {
        key: format!("{}\nstale", s.user_id),
        lease_until: now - chrono::Duration::seconds(1),
        ..held
    };
    assert_eq!(rt.block_on(store.claim_key(&stale)).unwrap(), inbox_store::Claim::Fresh);
    let r = with_key(&srv, "POST", "/api/accounts", &s, "stale", Some(&json!({"integration": "/api/integrations/x"})));
    assert_eq!(r.status, 201, "{}", r.text);
}
