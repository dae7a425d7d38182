//! Auditors: the event history API, the hash chain an outsider can recompute,
//! point-in-time state, verify, rebuild, export — and every mutation reported.

mod support;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::process::Output;
use support::*;

/// A mixed workload over two clients; returns (server, owner, the busiest account).
fn workload() -> (Server, Session, String) {
    let srv = Server::start();
    let a = srv.client("owner");
    let b = srv.client("owner");
    let connector = srv.user(&a.tenant, "connector");
    let id = srv.create_account(&a, "whatsapp");
    let path = format!("/api/accounts/{id}");
    assert_eq!(srv.put_json(&path, &a, &json!({"username": "Sales", "sharePastHistory": true})).status, 200);
    let auth = json!({"platformId": "1555", "platformUsername": "sales"});
    assert_eq!(srv.post_json(&format!("{path}/authorize"), Some(&connector.token), &auth).status, 200);
    assert_eq!(
        srv.post_json(&format!("{path}/disconnect"), Some(&connector.token), &json!({"reason": "logged_out"})).status,
        200
    );
    assert_eq!(srv.put_json(&path, &a, &json!({"historySyncUntil": "2025-01-01"})).status, 200);
    let gone = srv.create_account(&a, "gmail");
    assert_eq!(srv.delete(&format!("/api/accounts/{gone}"), &a).status, 204);
    let other = srv.create_account(&b, "x");
    assert_eq!(srv.put_json(&format!("/api/accounts/{other}"), &b, &json!({"description": "B"})).status, 200);
    (srv, a, id)
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The README's canonical encoding, implemented independently of the product.
fn recompute(e: &Value, stream: &str, tenant: &str) -> String {
    let canonical = json!({
        "actor": e["actor"], "correlationId": e["correlationId"], "payload": e["payload"],
        "recordedAt": e["recordedAt"], "schemaVersion": e["schemaVersion"], "streamId": stream,
        "tenant": tenant, "type": e["type"], "version": e["version"],
    });
    // serde_json's default map is ordered by key, at every depth: the canonical form.
    let mut h = Sha256::new();
    h.update(format!("{}\n{}", e["prevHash"].as_str().unwrap(), canonical).as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn history_api_serves_the_chain_an_outsider_can_recompute() {
    let (srv, owner, id) = workload();
    let auditor = srv.user(&owner.tenant, "auditor");
    let r = srv.get(&format!("/api/accounts/{id}/events"), &auditor);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["@type"], "Collection");
    assert_eq!(r.json["@id"], format!("/api/accounts/{id}/events"));
    let events = r.json["member"].as_array().unwrap();
    let types: Vec<_> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["AccountConnected", "AccountUpdated", "AccountAuthorized", "AccountDisconnected", "HistorySyncSet"]
    );
    let mut prev = "0".repeat(64);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["version"], i + 1);
        assert_eq!(e["prevHash"], prev.as_str());
        assert_eq!(e["hash"], recompute(e, &id, &owner.tenant).as_str(), "hash of v{}", i + 1);
        assert!(e["actor"].is_string() && e["correlationId"].is_string() && e["recordedAt"].is_string());
        prev = e["hash"].as_str().unwrap().to_string();
    }

    // Still there after removal, while the account itself is gone.
    assert_eq!(srv.delete(&format!("/api/accounts/{id}"), &owner).status, 204);
    assert_problem(&srv.get(&format!("/api/accounts/{id}"), &owner), 404);
    let after = srv.get(&format!("/api/accounts/{id}/events"), &owner);
    assert_eq!(after.json["totalItems"], 6);
    assert_eq!(after.json["member"][5]["type"], "AccountRemoved");

    // Only owners and auditors of the same client.
    let customer = srv.user(&owner.tenant, "customer");
    assert_problem(&srv.get(&format!("/api/accounts/{id}/events"), &customer), 403);
    let stranger = srv.client("auditor");
    assert_problem(&srv.get(&format!("/api/accounts/{id}/events"), &stranger), 404);
    assert_problem(&srv.get("/api/accounts/11111111-1111-1111-1111-111111111111/events", &auditor), 404);
}

#[test]
fn history_pages_like_the_account_list() {
    let srv = Server::start();
    let s = srv.client("owner");
    let id = srv.create_account(&s, "x");
    for i in 0..31 {
        srv.put_json(&format!("/api/accounts/{id}"), &s, &json!({"username": format!("n{i}")}));
    }
    let first = srv.get(&format!("/api/accounts/{id}/events"), &s).json;
    assert_eq!((first["totalItems"].as_u64(), first["member"].as_array().unwrap().len()), (Some(32), 30));
    assert_eq!(first["view"]["next"], format!("/api/accounts/{id}/events?page=2"));
    let second = srv.get(&format!("/api/accounts/{id}/events?page=2"), &s).json;
    assert_eq!(second["member"].as_array().unwrap().len(), 2);
    assert_eq!(second["member"][0]["version"], 31);
    let past = srv.get(&format!("/api/accounts/{id}/events?page=3"), &s).json;
    assert_eq!((past["totalItems"].as_u64(), past["member"].as_array().unwrap().len()), (Some(32), 0));
    assert_problem(&srv.get(&format!("/api/accounts/{id}/events?page=0"), &s), 400);
}

#[test]
fn cli_history_state_verify_and_rebuild() {
    let (srv, owner, id) = workload();
    let path = format!("/api/accounts/{id}");
    let before_put = srv.get(&path, &owner).json;
    std::thread::sleep(std::time::Duration::from_millis(30));
    let at = chrono_like_now();
    std::thread::sleep(std::time::Duration::from_millis(30));
    assert_eq!(srv.put_json(&path, &owner, &json!({"username": "Renamed"})).status, 200);

    let old = srv.inbox(&["audit", "state", &id, "--at", &at]);
    assert!(old.status.success(), "{}", text(&old));
    let old: Value = serde_json::from_slice(&old.stdout).unwrap();
    assert_eq!(old, before_put, "the state before the PUT, exactly as the API showed it");
    let now = srv.inbox(&["audit", "state", &id, "--at", "2999-01-01T00:00:00Z"]);
    let now: Value = serde_json::from_slice(&now.stdout).unwrap();
    assert_eq!(now["username"], "Renamed");
    let early = srv.inbox(&["audit", "state", &id, "--at", "2000-01-01T00:00:00Z"]);
    assert!(!early.status.success() && text(&early).contains("did not exist"), "{}", text(&early));

    let history = srv.inbox(&["audit", "history", &id]);
    let h = String::from_utf8_lossy(&history.stdout);
    assert!(history.status.success());
    for needle in [
        "v1  AccountConnected",
        "v4  AccountDisconnected",
        "username: \"Sales\" -> \"Renamed\"",
        "isAuthorized: false -> true",
    ] {
        assert!(h.contains(needle), "{needle} missing from:\n{h}");
    }

    let ok = srv.inbox(&["audit", "verify"]);
    assert!(ok.status.success(), "{}", text(&ok));
    let mine = srv.inbox(&["audit", "verify", "--tenant", &owner.tenant]);
    assert!(mine.status.success() && text(&mine).contains("OK"), "{}", text(&mine));

    // Read models gone (or tampered): verify says so; rebuild restores them exactly.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let store = rt.block_on(srv.store());
    let all = rt.block_on(store.all_accounts(None)).unwrap();
    let mut tampered = all[0].account.clone().unwrap();
    tampered.is_authorized = !tampered.is_authorized;
    rt.block_on(store.replace_read_model(tampered.client_id, tampered.id, Some(&tampered))).unwrap();
    for a in &all[1..] {
        rt.block_on(store.replace_read_model(a.client_id, a.id, None)).unwrap();
    }
    let bad = srv.inbox(&["audit", "verify"]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains(&tampered.id.to_string()), "{}", text(&bad));
    assert_eq!(text(&bad).matches("MISMATCH").count(), all.len(), "{}", text(&bad));
    let rebuilt = srv.inbox(&["audit", "rebuild"]);
    assert!(rebuilt.status.success(), "{}", text(&rebuilt));
    assert_eq!(rt.block_on(store.all_accounts(None)).unwrap(), all);
    assert!(srv.inbox(&["audit", "verify"]).status.success());
    assert_eq!(srv.get(&path, &owner).json["username"], "Renamed");
    let again = srv.inbox(&["audit", "rebuild"]);
    assert!(again.status.success(), "rebuild is safe to rerun");
}

fn chrono_like_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
