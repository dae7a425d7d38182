//! The HTTP contract, black-box, against `inbox serve` on the embedded store.

mod support;
use serde_json::{json, Value};
use support::*;

/// The fields of an account, in the seed's order, and nothing else.
const ACCOUNT_KEYS: [&str; 19] = [
    "@context",
    "@id",
    "@type",
    "username",
    "description",
    "avatarUrl",
    "accountType",
    "integrationLogo",
    "integration",
    "isAuthorized",
    "sharePastHistory",
    "reconnectUrl",
    "createdAt",
    "disconnectedAt",
    "disconnectReason",
    "historySyncUntil",
    "customerId",
    "clientId",
    "id",
];

/// Asserts the body has exactly these keys, in this order (as serialized).
#[track_caller]
fn assert_keys_in_order(text: &str, json: &Value, keys: &[&str]) {
    assert_eq!(json.as_object().unwrap().len(), keys.len(), "{text}");
    let positions: Vec<_> =
        keys.iter().map(|k| text.find(&format!("\"{k}\":")).unwrap_or_else(|| panic!("{k} missing"))).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "keys out of order: {text}");
}

#[test]
fn login_issues_tokens_and_refuses_bad_credentials() {
    let srv = Server::start();
    let s = srv.client("owner");
    assert_eq!(s.token.split('.').count(), 3);

    let bad = srv.post_json("/authentication/login_check", None, &json!({"username": "nobody", "password": "x"}));
    assert_401(&bad, "Invalid credentials.");
    let missing = srv.post_json("/authentication/login_check", None, &json!({"username": "a"}));
    assert_problem(&missing, 400);
    let wrong_type = srv.post_json("/authentication/login_check", None, &json!({"username": 1, "password": "x"}));
    assert_problem(&wrong_type, 400);
    let malformed = srv.call("POST", "/authentication/login_check", None, Some(("application/json", "{\"username\":")));
    assert_problem(&malformed, 400);
    let form =
        srv.call("POST", "/authentication/login_check", None, Some(("application/x-www-form-urlencoded", "a=b")));
    assert_problem(&form, 415);
}

#[test]
fn tokens_are_validated() {
    let srv = Server::start();
    let s = srv.client("owner");
    assert_401(&srv.call("GET", "/api/accounts", None, None), "JWT Token not found");
    assert_401(&srv.call("GET", "/api/accounts", Some("garbage"), None), "Invalid JWT Token");

    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let claims = |iat: i64, exp: i64| json!({"sub": s.user_id, "username": "x", "client_id": s.tenant, "roles": ["ROLE_OWNER"], "iat": iat, "exp": exp});
    let sign = |secret: &str, c: &Value| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            c,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let expired = sign(SECRET, &claims(now - 7200, now - 3600));
    assert_401(&srv.call("GET", "/api/accounts", Some(&expired), None), "Expired JWT Token");
    let foreign = sign("another-secret-another-secret-another", &claims(now, now + 600));
    assert_401(&srv.call("GET", "/api/accounts", Some(&foreign), None), "Invalid JWT Token");
    // Unsigned ("alg": "none") tokens are never accepted.
    let head = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"; // {"alg":"none","typ":"JWT"}
    let body = foreign.split('.').nth(1).unwrap();
    assert_401(&srv.call("GET", "/api/accounts", Some(&format!("{head}.{body}.")), None), "Invalid JWT Token");
    let forged = sign(SECRET, &claims(now, now + 600));
    assert_eq!(srv.call("GET", "/api/accounts", Some(&forged), None).status, 200, "a well-signed token works");
    // Issued in the future, or not valid yet: beyond a few seconds of clock skew, invalid.
    let from_the_future = sign(SECRET, &claims(now + 3600, now + 7200));
    assert_401(&srv.call("GET", "/api/accounts", Some(&from_the_future), None), "Invalid JWT Token");
    let mut not_yet = claims(now, now + 7200);
    not_yet["nbf"] = json!(now + 3600);
    assert_401(&srv.call("GET", "/api/accounts", Some(&sign(SECRET, &not_yet)), None), "Invalid JWT Token");
    not_yet["nbf"] = json!(now - 10);
    assert_eq!(srv.call("GET", "/api/accounts", Some(&sign(SECRET, &not_yet)), None).status, 200);

    // A well-signed token of a client that does not exist creates nothing, and nothing answers 5xx.
    let mut ghost = claims(now, now + 600);
    ghost["client_id"] = json!(uuid::Uuid::new_v4());
    let ghost = sign(SECRET, &ghost);
    let create = srv.post_json("/api/accounts", Some(&ghost), &json!({"integration": "/api/integrations/x"}));
    assert_401(&create, "Invalid JWT Token");
    assert_401(&srv.post_json("/api/tokens", Some(&ghost), &json!({"name": "x"})), "Invalid JWT Token");
    let any = uuid::Uuid::new_v4();
    for (method, path) in [
        ("GET", "/api/accounts".to_string()),
        ("GET", format!("/api/accounts/{any}")),
        ("PUT", format!("/api/accounts/{any}")),
        ("DELETE", format!("/api/accounts/{any}")),
        ("GET", format!("/api/accounts/{any}/events")),
        ("GET", "/api/tokens".into()),
        ("GET", format!("/api/tokens/{any}/requests")),
        ("DELETE", format!("/api/tokens/{any}")),
    ] {
        let r = srv.call(method, &path, Some(&ghost), Some(("application/json", "{}")));
        assert!(r.status < 500, "{method} {path}: {} {}", r.status, r.text);
    }
    let basic = srv.call("GET", "/api/accounts", None, None);
    assert_401(&basic, "JWT Token not found");
}

#[test]
fn create_get_and_shape() {
    let srv = Server::start();
    let s = srv.client("owner");
    let r = srv.post_json(
        "/api/accounts",
        Some(&s.token),
        &json!({"integration": "/integrations/whatsapp", "historySyncUntil": null}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.header("content-type").unwrap().starts_with("application/ld+json"));
    let id = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(r.header("location"), Some(format!("/api/accounts/{id}").as_str()));
    assert_keys_in_order(&r.text, &r.json, &ACCOUNT_KEYS);
    assert_eq!(r.json["@context"], "/api/contexts/Account");
    assert_eq!(r.json["@id"], format!("/api/accounts/{id}"));
    assert_eq!(r.json["@type"], "Account");
    assert_eq!(r.json["integration"], "/api/integrations/whatsapp");
    assert_eq!(r.json["accountType"], "whatsapp");
    assert_eq!(r.json["integrationLogo"], "whatsapp");
    assert_eq!(r.json["isAuthorized"], false);
    assert_eq!(r.json["clientId"], s.tenant.as_str());
    assert!(r.json["reconnectUrl"].as_str().unwrap().ends_with(&format!("/whatsapp/{id}")));
    let created = r.json["createdAt"].as_str().unwrap();
    assert!(created.len() == 24 && created.ends_with('Z'), "{created}");

    let got = srv.get(&format!("/api/accounts/{id}"), &s);
    assert_eq!(got.status, 200);
    assert_eq!(got.json, r.json);

    let with_history = srv.post_json(
        "/api/accounts",
        Some(&s.token),
        &json!({
            "integration": "/api/integrations/gmail", "historySyncUntil": "2025-01-02T03:04:05.678+01:00"
        }),
    );
    assert_eq!(with_history.status, 201, "{}", with_history.text);
    assert_eq!(with_history.json["historySyncUntil"], "2025-01-02T02:04:05.678Z");
}

#[test]
fn create_refuses_bad_input_and_writes_nothing() {
    let srv = Server::start();
    let s = srv.client("owner");
    let post = |ct: &str, body: &str| srv.call("POST", "/api/accounts", Some(&s.token), Some((ct, body)));
    let ld = "application/ld+json";
    assert_problem(&post(ld, "{not json"), 400);
    assert_problem(&post(ld, "[1,2]"), 400);
    assert_problem(&post(ld, r#"{"integration": 5}"#), 400);
    assert_problem(&post(ld, r#"{"integration": "/api/integrations/x", "historySyncUntil": "soon"}"#), 400);
    assert_problem(&post("text/plain", r#"{"integration": "/api/integrations/x"}"#), 415);
    assert_problem(&post("", r#"{"integration": "/api/integrations/x"}"#), 415);
    for (body, path) in [
        (r#"{}"#, "integration"),
        (r#"{"integration": "/api/integrations/myspace"}"#, "integration"),
        (r#"{"integration": "whatsapp"}"#, "integration"),
        (r#"{"integration": "/api/integrations/x", "historySyncUntil": "2999-01-01"}"#, "historySyncUntil"),
    ] {
        let r = post(ld, body);
        assert_problem(&r, 422);
        assert_eq!(r.json["violations"][0]["propertyPath"], path, "{body}");
        assert!(r.json["violations"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(srv.get("/api/accounts", &s).json["totalItems"], 0, "nothing was written");
}

#[test]
fn put_changes_writable_fields_only() {
    let srv = Server::start();
    let s = srv.client("owner");
    let id = srv.create_account(&s, "linkedin");
    let path = format!("/api/accounts/{id}");
    let before = srv.get(&path, &s).json;

    // The seed's PUT body: every field, read-only ones included, with other values.
    let r = srv.put_json(
        &path,
        &s,
        &json!({
            "username": "Michael Scott",
            "description": "Regional Manager at Dunder Mifflin",
            "avatarUrl": "https://example.com/avatars/michael_scott.png",
            "accountType": "whatsapp",
            "integrationLogo": "whatsapp",
            "integration": "/api/integrations/whatsapp",
            "isAuthorized": true,
            "sharePastHistory": true,
            "reconnectUrl": null,
            "createdAt": "2025-12-06T04:35:33.192Z",
            "disconnectedAt": "2025-12-06T04:35:33.192Z",
            "historySyncUntil": "2025-06-01",
            "clientId": "e6a2e786-2ce0-444a-b08c-ca21ed816bf0",
            "id": "e6a2e786-2ce0-444a-b08c-ca21ed816bf0",
            "@id": "/api/accounts/e6a2e786-2ce0-444a-b08c-ca21ed816bf0"
        }),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["username"], "Michael Scott");
    assert_eq!(r.json["description"], "Regional Manager at Dunder Mifflin");
    assert_eq!(r.json["avatarUrl"], "https://example.com/avatars/michael_scott.png");
    assert_eq!(r.json["sharePastHistory"], true);
    assert_eq!(r.json["historySyncUntil"], "2025-06-01T00:00:00.000Z");
    for read_only in [
        "@id",
        "id",
        "clientId",
        "createdAt",
        "integration",
        "accountType",
        "integrationLogo",
        "isAuthorized",
        "reconnectUrl",
        "disconnectedAt",
    ] {
        assert_eq!(r.json[read_only], before[read_only], "{read_only} must not change");
    }
    assert_eq!(srv.get(&path, &s).json, r.json, "GET sees the PUT at once");

    // Absent fields stay; null clears; the same values again are a no-op answered 200.
    let r = srv.put_json(&path, &s, &json!({"description": null}));
    assert_eq!((r.json["username"].as_str(), r.json["description"].clone()), (Some("Michael Scott"), Value::Null));
    let again = srv.put_json(&path, &s, &json!({"description": null}));
    assert_eq!(again.status, 200);
    assert_eq!(again.json, r.json);
}

#[test]
fn put_refuses_bad_input() {
    let srv = Server::start();
    let s = srv.client("owner");
    let id = srv.create_account(&s, "x");
    let path = format!("/api/accounts/{id}");
    let before = srv.get(&path, &s).json;
    let put = |ct: &str, body: &str| srv.call("PUT", &path, Some(&s.token), Some((ct, body)));
    assert_problem(&put("application/ld+json", r#"{"sharePastHistory": "yes"}"#), 400);
    assert_problem(&put("application/ld+json", r#"{"username": ["a"]}"#), 400);
    assert_problem(&put("application/ld+json", r#"{"username": "#), 400);
    assert_problem(&put("application/xml", "<a/>"), 415);
    let r = put("application/json", r#"{"username": "  ", "avatarUrl": "ftp://x", "description": "ok"}"#);
    assert_problem(&r, 422);
    let paths: Vec<_> = r.json["violations"].as_array().unwrap().iter().map(|v| v["propertyPath"].clone()).collect();
    assert_eq!(paths, vec![json!("username"), json!("avatarUrl")]);
    assert_eq!(srv.get(&path, &s).json, before, "a refused PUT changes nothing, not even the valid fields");
    assert_problem(&srv.put_json("/api/accounts/00000000-0000-0000-0000-000000000000", &s, &json!({})), 404);
}

#[test]
fn delete_removes_from_reads() {
    let srv = Server::start();
    let s = srv.client("owner");
    let keep = srv.create_account(&s, "x");
    let gone = srv.create_account(&s, "x");
    let r = srv.delete(&format!("/api/accounts/{gone}"), &s);
    assert_eq!(r.status, 204);
    assert!(r.text.is_empty());
    assert_problem(&srv.get(&format!("/api/accounts/{gone}"), &s), 404);
    let list = srv.get("/api/accounts", &s).json;
    assert_eq!(list["totalItems"], 1);
    assert_eq!(list["member"][0]["id"], keep.as_str());
    assert_problem(&srv.delete(&format!("/api/accounts/{gone}"), &s), 404);
    assert_problem(&srv.put_json(&format!("/api/accounts/{gone}"), &s, &json!({"username": "x"})), 404);
}

#[test]
fn connector_authorizes_and_disconnects() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let connector = srv.user(&owner.tenant, "connector");
    let id = srv.create_account(&owner, "whatsapp");
    let path = format!("/api/accounts/{id}/authorize");
    let profile = json!({
        "platformId": "15551234567", "platformUsername": "michael", "username": "Michael Scott",
        "description": "Regional Manager", "avatarUrl": "https://example.com/m.png"
    });
    let r = srv.post_json(&path, Some(&connector.token), &profile);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["isAuthorized"], true);
    assert_eq!(r.json["reconnectUrl"], Value::Null);
    assert_eq!(r.json["username"], "Michael Scott");
    assert_eq!(r.json["avatarUrl"], "https://example.com/m.png");

    let missing = srv.post_json(&path, Some(&connector.token), &json!({"username": "x"}));
    assert_problem(&missing, 422);
    assert_eq!(missing.json["violations"][0]["propertyPath"], "platformId");
    assert_problem(&srv.post_json(&path, Some(&connector.token), &json!({"platformId": 5})), 400);

    // The connector reports a lost session with no body: defaults apply.
    let d = srv.call("POST", &format!("/api/accounts/{id}/disconnect"), Some(&connector.token), None);
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(d.json["isAuthorized"], false);
    assert!(d.json["disconnectedAt"].is_string());
    assert!(d.json["reconnectUrl"].as_str().unwrap().contains(&id));
    let d2 = srv.post_json(
        &format!("/api/accounts/{id}/disconnect"),
        Some(&owner.token),
        &json!({
            "reason": "logged_out", "reconnectUrl": "https://connect.example.test/again"
        }),
    );
    assert_eq!(d2.status, 200);
    assert_eq!(d2.json, d.json, "already disconnected: nothing changes");
    let bad =
        srv.post_json(&format!("/api/accounts/{id}/disconnect"), Some(&owner.token), &json!({"reconnectUrl": "nope"}));
    assert_problem(&bad, 422);

    // Authorizing again clears the disconnection.
    let r = srv.post_json(&path, Some(&connector.token), &profile);
    assert_eq!((r.json["isAuthorized"].clone(), r.json["disconnectedAt"].clone()), (json!(true), Value::Null));
}

#[test]
fn roles_are_enforced() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let customer = srv.user(&owner.tenant, "customer");
    let other_customer = srv.user(&owner.tenant, "customer");
    let auditor = srv.user(&owner.tenant, "auditor");
    let connector = srv.user(&owner.tenant, "connector");
    let owners = srv.create_account(&owner, "x");
    let mine = srv.create_account(&customer, "telegram");

    // Customers see and change only their own accounts.
    let list = srv.get("/api/accounts", &customer).json;
    assert_eq!(list["totalItems"], 1);
    assert_eq!(list["member"][0]["id"], mine.as_str());
    assert_problem(&srv.get(&format!("/api/accounts/{owners}"), &customer), 404);
    assert_problem(&srv.put_json(&format!("/api/accounts/{owners}"), &customer, &json!({"username": "x"})), 404);
    assert_problem(&srv.delete(&format!("/api/accounts/{owners}"), &customer), 404);
    assert_problem(&srv.get(&format!("/api/accounts/{mine}"), &other_customer), 404);
    assert_eq!(srv.put_json(&format!("/api/accounts/{mine}"), &customer, &json!({"username": "me"})).status, 200);
    assert_problem(
        &srv.post_json(&format!("/api/accounts/{mine}/authorize"), Some(&customer.token), &json!({"platformId": "1"})),
        403,
    );
    // The owner sees everything of its client.
    assert_eq!(srv.get("/api/accounts", &owner).json["totalItems"], 2);
    assert_eq!(srv.get(&format!("/api/accounts/{mine}"), &owner).json["username"], "me");

    // Auditors read everything and change nothing.
    assert_eq!(srv.get("/api/accounts", &auditor).json["totalItems"], 2);
    assert_eq!(srv.get(&format!("/api/accounts/{mine}"), &auditor).status, 200);
    assert_problem(
        &srv.post_json("/api/accounts", Some(&auditor.token), &json!({"integration": "/api/integrations/x"})),
        403,
    );
    assert_problem(&srv.put_json(&format!("/api/accounts/{mine}"), &auditor, &json!({"username": "a"})), 403);
    assert_problem(&srv.delete(&format!("/api/accounts/{mine}"), &auditor), 403);
    assert_problem(&srv.post_json(&format!("/api/accounts/{mine}/disconnect"), Some(&auditor.token), &json!({})), 403);

    // The connector only reports sign-ins and lost sessions.
    assert_problem(&srv.get("/api/accounts", &connector), 403);
    assert_problem(
        &srv.post_json("/api/accounts", Some(&connector.token), &json!({"integration": "/api/integrations/x"})),
        403,
    );
    assert_eq!(
        srv.post_json(&format!("/api/accounts/{mine}/authorize"), Some(&connector.token), &json!({"platformId": "1"}))
            .status,
        200
    );
    assert_eq!(srv.get("/api/integrations/x", &connector).status, 200);
    assert_eq!(srv.get(&format!("/api/accounts/{mine}"), &owner).json["isAuthorized"], true);
    assert_eq!(
        srv.get(&format!("/api/accounts/{mine}"), &owner).json["username"],
        "me",
        "a profile without a username keeps the name set by PUT"
    );
}

#[test]
fn clients_never_see_each_other() {
    let srv = Server::start();
    let a = srv.client("owner");
    let b = srv.client("owner");
    let id = srv.create_account(&a, "x");
    let path = format!("/api/accounts/{id}");
    let b_connector = srv.user(&b.tenant, "connector");
    assert_problem(&srv.get(&path, &b), 404);
    assert_problem(&srv.put_json(&path, &b, &json!({"username": "mallory"})), 404);
    assert_problem(&srv.delete(&path, &b), 404);
    assert_problem(
        &srv.post_json(&format!("{path}/authorize"), Some(&b_connector.token), &json!({"platformId": "1"})),
        404,
    );
    assert_eq!(srv.get("/api/accounts", &b).json["totalItems"], 0);
    let unknown = srv.get("/api/accounts/11111111-1111-1111-1111-111111111111", &b);
    assert_eq!(unknown.json["detail"], srv.get(&path, &b).json["detail"], "same answer as for an unknown id");
    assert_eq!(srv.get(&path, &a).json["username"], Value::Null, "untouched");
}

fn page(srv: &Server, s: &Session, query: &str) -> Value {
    let r = srv.get(&format!("/api/accounts{query}"), s);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

#[test]
fn pagination_at_0_1_30_31_61() {
    let srv = Server::start();
    let s = srv.client("owner");
    let mut created = 0;
    for (n, pages) in [(0usize, 1u64), (1, 1), (30, 1), (31, 2), (61, 3)] {
        while created < n {
            srv.create_account(&s, "x");
            created += 1;
        }
        let first = page(&srv, &s, "");
        assert_eq!(first["totalItems"], n);
        assert_eq!(first["member"].as_array().unwrap().len(), n.min(30));
        assert_eq!(first["@id"], "/api/accounts");
        assert_eq!(first["@type"], "Collection");
        assert_eq!(first["search"]["template"], "/api/accounts{?accountType,isAuthorized,customerId}");
        if pages == 1 {
            assert!(first.get("view").is_none(), "one page, no filter: no view ({n})");
            continue;
        }
        let view = &first["view"];
        assert_eq!(view["@id"], "/api/accounts?page=1");
        assert_eq!(view["@type"], "PartialCollectionView");
        assert_eq!(view["first"], "/api/accounts?page=1");
        assert_eq!(view["last"], format!("/api/accounts?page={pages}"));
        assert!(view.get("previous").is_none());
        assert_eq!(view["next"], "/api/accounts?page=2");
        let last = page(&srv, &s, &format!("?page={pages}"));
        assert_eq!(last["member"].as_array().unwrap().len(), n - 30 * (pages as usize - 1));
        assert_eq!(last["view"]["previous"], format!("/api/accounts?page={}", pages - 1));
        assert!(last["view"].get("next").is_none());
        if pages == 3 {
            let mid = page(&srv, &s, "?page=2");
            assert_eq!(
                (mid["view"]["previous"].as_str(), mid["view"]["next"].as_str()),
                (Some("/api/accounts?page=1"), Some("/api/accounts?page=3"))
            );
            // Pages partition the collection in creation order.
            let mut ids = vec![];
            for p in 1..=3 {
                let body = page(&srv, &s, &format!("?page={p}"));
                for m in body["member"].as_array().unwrap() {
                    assert!(m.get("@context").is_none(), "members carry no @context");
                    ids.push((m["createdAt"].as_str().unwrap().to_string(), m["id"].as_str().unwrap().to_string()));
                }
            }
            let mut sorted = ids.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(ids, sorted);
            assert_eq!(ids.len(), 61);
        }
    }
    let beyond = page(&srv, &s, "?page=9");
    assert_eq!((beyond["totalItems"].as_u64(), beyond["member"].as_array().unwrap().len()), (Some(61), 0));
    for bad in ["?page=0", "?page=-1", "?page=abc", "?page=1.5", "?isAuthorized=maybe"] {
        assert_problem(&srv.get(&format!("/api/accounts{bad}"), &s), 400);
    }
}

#[test]
fn filters_by_type_and_authorization() {
    let srv = Server::start();
    let s = srv.client("owner");
    let wa: Vec<_> = (0..3).map(|_| srv.create_account(&s, "whatsapp")).collect();
    srv.create_account(&s, "gmail");
    srv.post_json(&format!("/api/accounts/{}/authorize", wa[0]), Some(&s.token), &json!({"platformId": "1"}));
    let only_wa = page(&srv, &s, "?accountType=whatsapp");
    assert_eq!(only_wa["totalItems"], 3);
    assert!(only_wa["member"].as_array().unwrap().iter().all(|m| m["accountType"] == "whatsapp"));
    assert_eq!(only_wa["view"]["@id"], "/api/accounts?accountType=whatsapp&page=1", "a filter brings a view");
    let authorized = page(&srv, &s, "?isAuthorized=true");
    assert_eq!(authorized["totalItems"], 1);
    assert_eq!(authorized["member"][0]["id"], wa[0].as_str());
    let both = page(&srv, &s, "?accountType=whatsapp&isAuthorized=false");
    assert_eq!(both["totalItems"], 2);
    assert_eq!(both["view"]["first"], "/api/accounts?accountType=whatsapp&isAuthorized=false&page=1");
    assert_eq!(page(&srv, &s, "?accountType=myspace")["totalItems"], 0);
    assert_eq!(page(&srv, &s, "?isAuthorized=0")["totalItems"], 3);
}

#[test]
fn integrations_catalogue() {
    let srv = Server::start();
    let s = srv.client("customer");
    let list = srv.get("/api/integrations", &s);
    assert_eq!(list.status, 200);
    let ids: Vec<_> =
        list.json["member"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, ["whatsapp", "linkedin", "telegram", "instagram", "x", "gmail", "outlook"]);
    assert_eq!(list.json["totalItems"], 7);
    let one = srv.get("/api/integrations/telegram", &s);
    assert_eq!(
        (one.json["@id"].as_str(), one.json["@type"].as_str()),
        (Some("/api/integrations/telegram"), Some("Integration"))
    );
    assert_problem(&srv.get("/api/integrations/myspace", &s), 404);
    assert_401(&srv.call("GET", "/api/integrations", None, None), "JWT Token not found");
}

#[test]
fn routing_errors_are_problems() {
    let srv = Server::start();
    let s = srv.client("owner");
    let r = srv.call("PATCH", "/api/accounts/abc", Some(&s.token), Some(("application/merge-patch+json", "{}")));
    assert_problem(&r, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, PUT, DELETE"));
    assert_eq!(srv.call("DELETE", "/api/accounts", None, None).header("allow"), Some("GET, HEAD, POST"));
    assert_problem(&srv.call("GET", "/nope", None, None), 404);
    assert_problem(&srv.call("GET", "/api/accounts/", Some(&s.token), None), 404);
    assert_problem(&srv.get("/api/accounts/not-a-uuid", &s), 404);
    // A body over 1 MiB is refused from its Content-Length, before it is read.
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(srv.base.trim_start_matches("http://")).unwrap();
    write!(conn, "POST /api/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
}

#[test]
fn openapi_document_lists_every_route() {
    let srv = Server::start();
    let r = srv.call("GET", "/api/docs.json", None, None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
    let paths = r.json["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/accounts", "get"),
        ("/api/accounts", "post"),
        ("/api/accounts/{id}", "get"),
        ("/api/accounts/{id}", "put"),
        ("/api/accounts/{id}", "delete"),
        ("/api/accounts/{id}/authorize", "post"),
        ("/api/accounts/{id}/disconnect", "post"),
        ("/api/integrations", "get"),
        ("/api/integrations/{id}", "get"),
        ("/authentication/login_check", "post"),
        ("/api/docs.json", "get"),
    ] {
        assert!(paths[path].get(method).is_some(), "{method} {path}");
    }
}

#[test]
fn no_input_makes_a_handler_fail() {
    let srv = Server::start();
    let s = srv.client("owner");
    let id = srv.create_account(&s, "x");
    let bodies = [
        "",
        "null",
        "0",
        "\"s\"",
        "[]",
        "{}",
        "{\"integration\":null}",
        "{\"integration\":{}}",
        "{\"username\":1e999}",
        "{\"historySyncUntil\":\"9999-99-99\"}",
        "{\"historySyncUntil\":\"-262144-01-01T00:00:00Z\"}",
        "{\"avatarUrl\":\"http://\"}",
        "{\"platformId\":\"\\u0000\"}",
        "{\"username\":\"\\ud800\"}",
        "\u{feff}{}",
        "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
    ];
    let long = format!("{{\"username\":\"{}\",\"description\":\"{}\"}}", "é".repeat(300), "x".repeat(5000));
    let paths = [
        "/api/accounts".to_string(),
        format!("/api/accounts/{id}"),
        format!("/api/accounts/{id}/authorize"),
        format!("/api/accounts/{id}/disconnect"),
        "/authentication/login_check".into(),
        "/api/accounts/%00".into(),
        "/api/accounts?page=99999999999999999999&accountType=%ZZ&isAuthorized=".into(),
    ];
    for path in &paths {
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"] {
            for body in bodies.iter().copied().chain([long.as_str()]) {
                for ct in ["application/ld+json", "application/json; charset=utf-8", "text/plain"] {
                    let r = srv.call(method, path, Some(&s.token), Some((ct, body)));
                    assert!(r.status < 500, "{method} {path} {ct} {body:?} -> {} {}", r.status, r.text);
                }
            }
        }
    }
}

#[test]
fn headers_say_nosniff_and_no_store_and_head_answers_like_get() {
    let srv = Server::start();
    let s = srv.client("owner");
    let id = srv.create_account(&s, "x");
    let login = srv.post_json("/authentication/login_check", None, &json!({"username": "nobody", "password": "x"}));
    let token = srv.post_json("/api/tokens", Some(&s.token), &json!({"name": "t"}));
    let private = [
        srv.get("/api/accounts", &s),
        srv.get(&format!("/api/accounts/{id}"), &s),
        srv.call("GET", "/api/accounts", None, None),
        srv.call("GET", "/nowhere", None, None),
        login,
        token,
    ];
    for r in &private {
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{} {}", r.status, r.text);
        assert_eq!(r.header("cache-control"), Some("no-store"), "{} {}", r.status, r.text);
    }
    let docs = srv.call("GET", "/api/docs.json", None, None);
    assert_eq!(docs.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(docs.header("cache-control"), None, "public documentation may be cached");

    for path in ["/api/accounts".to_string(), format!("/api/accounts/{id}"), "/api/integrations/x".into()] {
        let get = srv.get(&path, &s);
        let head = srv.call("HEAD", &path, Some(&s.token), None);
        assert_eq!(head.status, 200, "HEAD {path}");
        assert!(head.text.is_empty(), "HEAD {path} has no body");
        assert_eq!(head.header("content-length"), Some(get.text.len().to_string().as_str()), "HEAD {path}");
        assert_eq!(head.header("content-type"), get.header("content-type"));
    }
    assert_eq!(srv.call("HEAD", "/api/docs.json", None, None).status, 200);
    assert_eq!(srv.call("HEAD", "/api/accounts", None, None).status, 401);
    let not_here = srv.call("HEAD", "/authentication/login_check", None, None);
    assert_eq!((not_here.status, not_here.header("allow")), (405, Some("POST")));
}

#[cfg(unix)]
#[test]
fn the_data_folder_and_its_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("private").join("data");
    let env: Vec<_> = support::env(&dir).into_iter().filter(|(k, _)| k != "INBOX_JWT_SECRET").collect();
    let srv = Server::start_env(&["--no-demo"], dir.clone(), env);
    assert_eq!(srv.call("GET", "/api/docs.json", None, None).status, 200);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "the data folder");
    assert_eq!(mode(&dir.join("jwt-secret")), 0o600, "the JWT secret");
    if !on_dynamodb() {
        assert_eq!(mode(&dir.join("inbox.db")), 0o600, "the database");
    }
}

#[test]
fn human_text_is_checked_and_normalised_the_same_everywhere() {
    let srv = Server::start();
    let s = srv.client("owner");
    let id = srv.create_account(&s, "x");
    let path = format!("/api/accounts/{id}");
    for (field, value) in [
        ("username", "\u{200b}"),
        ("username", "\u{feff}\u{2060}"),
        ("username", "evil\u{202e}gnp.exe"),
        ("username", "two\nlines"),
        ("username", "nul\u{0}"),
        ("description", "\u{200b}"),
        ("description", "bell\u{7}"),
    ] {
        let r = srv.put_json(&path, &s, &json!({ field: value }));
        assert_problem(&r, 422);
        assert_eq!(r.json["violations"][0]["propertyPath"], field, "{value:?}");
    }
    let reason = srv.post_json(&format!("{path}/disconnect"), Some(&s.token), &json!({"reason": "\u{2066}x"}));
    assert_problem(&reason, 422);
    let platform = srv.post_json(&format!("{path}/authorize"), Some(&s.token), &json!({"platformId": "\u{200b}"}));
    assert_problem(&platform, 422);
    assert_eq!(srv.get(&path, &s).json["username"], Value::Null, "nothing was written");

    // Kept text is NFC: a decomposed é is stored composed, and lines stay in descriptions.
    let r = srv.put_json(&path, &s, &json!({"username": "Rene\u{301}", "description": "line 1\nline 2"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.json["username"].as_str(), r.json["description"].as_str()),
        (Some("Ren\u{e9}"), Some("line 1\nline 2"))
    );
    let again = srv.put_json(&path, &s, &json!({"username": "Ren\u{e9}"}));
    assert_eq!(again.json, r.json);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let store = rt.block_on(srv.store());
    let events = rt.block_on(store.load_stream(id.parse().unwrap())).unwrap();
    assert_eq!(events.len(), 2, "the same name in another normal form changes nothing");

    for name in ["nul\u{0}in it", "\u{200b}", "rtl\u{202e}"] {
        let t = srv.post_json("/api/tokens", Some(&s.token), &json!({ "name": name }));
        assert_problem(&t, 422);
        assert_eq!(t.json["violations"][0]["propertyPath"], "name");
    }
    assert_eq!(srv.get("/api/tokens", &s).json["totalItems"], 0);
    let cli = srv.inbox(&["token", "create", "--tenant", &s.tenant, "--name", "a\u{7}b"]);
    assert!(!cli.status.success() && cli.stdout.is_empty());
}
