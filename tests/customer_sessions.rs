//! Customers of the embedded inbox: the host application's back end mints a
//! customer session per end user; each sees only the accounts created for it.

mod support;
use serde_json::{json, Value};
use support::*;

/// An API token of the owner's client: the host back end's key.
fn api_token(srv: &Server, owner: &Session) -> String {
    let created = srv.post_json("/api/tokens", Some(&owner.token), &json!({"name": "host back end"}));
    assert_eq!(created.status, 201, "{}", created.text);
    created.json["token"].as_str().unwrap().to_string()
}

fn mint(srv: &Server, key: &str, body: &Value) -> Resp {
    srv.post_json("/api/customer_sessions", Some(key), body)
}

/// A customer session's token, as a session for the helpers.
fn session(srv: &Server, key: &str, customer: &str) -> Session {
    let r = mint(srv, key, &json!({"customerId": customer}));
    assert_eq!(r.status, 201, "{}", r.text);
    Session { tenant: String::new(), user_id: customer.into(), token: r.json["token"].as_str().unwrap().into() }
}

fn ids(r: &Resp) -> Vec<String> {
    let mut ids: Vec<String> =
        r.json["member"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids
}

#[test]
fn a_host_back_end_mints_sessions_that_see_only_their_own_accounts() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let key = api_token(&srv, &owner);

    let minted = mint(&srv, &key, &json!({"customerId": "host-user-1"}));
    assert_eq!(minted.status, 201, "{}", minted.text);
    assert_eq!(minted.json["@type"], "CustomerSession");
    assert_eq!(minted.json["@context"], "/api/contexts/CustomerSession");
    assert_eq!(minted.json["customerId"], "host-user-1");
    let expires = chrono::DateTime::parse_from_rfc3339(minted.json["expiresAt"].as_str().unwrap()).unwrap();
    let ttl = expires.timestamp() - chrono::Utc::now().timestamp();
    assert!((890..=900).contains(&ttl), "default 900 s, got {ttl}");
    let claims = jwt_claims(minted.json["token"].as_str().unwrap());
    assert_eq!(claims["roles"], json!(["ROLE_CUSTOMER"]));
    assert_eq!(claims["sub"], "host-user-1");
    assert_eq!(claims["client_id"], owner.tenant.as_str());

    let one = session(&srv, &key, "host-user-1");
    let two = session(&srv, &key, "host-user-2");
    let a1 = srv.create_account(&one, "whatsapp");
    let a2 = srv.create_account(&one, "telegram");
    let b1 = srv.create_account(&two, "linkedin");
    let by_owner = srv.create_account(&owner, "gmail");

    let mut mine = vec![a1.clone(), a2.clone()];
    mine.sort();
    assert_eq!(ids(&srv.get("/api/accounts", &one)), mine);
    assert_eq!(srv.get("/api/accounts", &one).json["totalItems"], 2);
    assert_eq!(ids(&srv.get("/api/accounts", &two)), vec![b1.clone()]);
    // Another customer's id in the filter shows nothing, not theirs.
    assert_eq!(ids(&srv.get("/api/accounts?customerId=host-user-2", &one)), Vec::<String>::new());
    // Across sessions: a new session of the same customer sees the same accounts.
    let again = session(&srv, &key, "host-user-1");
    assert_eq!(ids(&srv.get("/api/accounts", &again)), mine);

    // The other customer's account is 404 for every verb.
    for (method, body) in [("GET", None), ("PUT", Some(json!({"username": "x"}))), ("DELETE", None)] {
        let body = body.map(|b| b.to_string());
        let r = srv.call(
            method,
            &format!("/api/accounts/{b1}"),
            Some(&one.token),
            body.as_deref().map(|b| ("application/ld+json", b)),
        );
        assert_problem(&r, 404);
    }
    assert_problem(&srv.get(&format!("/api/accounts/{by_owner}"), &one), 404);
    let put = srv.put_json(&format!("/api/accounts/{a1}"), &one, &json!({"username": "Support"}));
    assert_eq!((put.status, put.json["username"].as_str()), (200, Some("Support")));
    assert_eq!(srv.get(&format!("/api/accounts/{a1}"), &one).json["customerId"], "host-user-1");

    // The owner sees all, with customerId, and filters by it.
    let all = srv.get("/api/accounts", &owner);
    assert_eq!(all.json["totalItems"], 4);
    let of = |id: &str| all.json["member"].as_array().unwrap().iter().find(|a| a["id"] == id).unwrap().clone();
    assert_eq!(of(&b1)["customerId"], "host-user-2");
    assert_eq!(of(&by_owner)["customerId"], Value::Null);
    let filtered = srv.get("/api/accounts?customerId=host-user-1", &owner);
    assert_eq!(ids(&filtered), mine);
    assert_eq!(filtered.json["view"]["@id"], "/api/accounts?customerId=host-user-1&page=1");
    let template = all.json["search"]["template"].as_str().unwrap();
    assert!(template.contains("customerId"), "{template}");

    assert_eq!(srv.delete(&format!("/api/accounts/{a2}"), &one).status, 204);
    assert_eq!(ids(&srv.get("/api/accounts", &one)), vec![a1.clone()]);
    // An owner's JWT mints sessions too.
    let by_jwt = mint(&srv, &owner.token, &json!({"customerId": "host-user-2", "ttl": 60}));
    assert_eq!(by_jwt.status, 201, "{}", by_jwt.text);
}

#[test]
fn customer_sessions_are_refused_everywhere_else() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let key = api_token(&srv, &owner);
    let s = session(&srv, &key, "host-user-9");
    let account = srv.create_account(&s, "whatsapp");
    let user = &owner.user_id;
    for (method, path) in [
        ("GET", "/api/users".to_string()),
        ("POST", "/api/users".to_string()),
        ("GET", format!("/api/users/{user}")),
        ("GET", format!("/api/users/{user}/events")),
        ("GET", "/api/tokens".to_string()),
        ("POST", "/api/tokens".to_string()),
        ("POST", "/api/customer_sessions".to_string()),
        ("GET", format!("/api/accounts/{account}/events")),
        ("POST", format!("/api/accounts/{account}/authorize")),
        ("POST", format!("/api/accounts/{account}/disconnect")),
    ] {
        let r = srv.call(method, &path, Some(&s.token), Some(("application/ld+json", "{}")));
        assert_problem(&r, 403);
    }
    // The integrations catalogue is open to it: the widget shows what to connect.
    assert_eq!(srv.get("/api/integrations", &s).status, 200);
    // Only owners (or API tokens) mint sessions.
    let auditor = srv.user(&owner.tenant, "auditor");
    assert_problem(&mint(&srv, &auditor.token, &json!({"customerId": "x"})), 403);
    let customer = srv.user(&owner.tenant, "customer");
    assert_problem(&mint(&srv, &customer.token, &json!({"customerId": "x"})), 403);
    let unknown = mint(&srv, "inbx_0000000000000000000000000000000000000000000000000000000000000000", &json!({}));
    assert_eq!(unknown.status, 401, "{}", unknown.text);
    let anonymous = srv.call("POST", "/api/customer_sessions", None, Some(("application/json", "{}")));
    assert_401(&anonymous, "JWT Token not found");
}

#[test]
fn customer_sessions_validate_their_input_and_expire() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let key = api_token(&srv, &owner);
    for (body, field) in [
        (json!({}), "customerId"),
        (json!({"customerId": ""}), "customerId"),
        (json!({"customerId": "x".repeat(256)}), "customerId"),
        (json!({"customerId": "a\u{0007}b"}), "customerId"),
        (json!({"customerId": "\u{202e}evil"}), "customerId"),
        (json!({"customerId": "ok", "ttl": 0}), "ttl"),
        (json!({"customerId": "ok", "ttl": 86_401}), "ttl"),
    ] {
        let r = mint(&srv, &key, &body);
        assert_problem(&r, 422);
        assert_eq!(r.json["violations"][0]["propertyPath"], field, "{body}: {}", r.text);
    }
    assert_problem(&mint(&srv, &key, &json!({"customerId": "ok", "ttl": "long"})), 400);
    assert_eq!(mint(&srv, &key, &json!({"customerId": "x".repeat(255), "ttl": 86_400})).status, 201);
    assert_eq!(mint(&srv, &key, &json!({"customerId": "Zoë 🙂 #42"})).status, 201);

    let short = mint(&srv, &key, &json!({"customerId": "host-user-1", "ttl": 1}));
    let token = short.json["token"].as_str().unwrap().to_string();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_401(&srv.call("GET", "/api/accounts", Some(&token), None), "Expired JWT Token");
}

#[test]
fn password_customers_keep_seeing_what_they_created() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let customer = srv.user(&owner.tenant, "customer");
    let mine = srv.create_account(&customer, "whatsapp");
    srv.create_account(&owner, "gmail");
    let list = srv.get("/api/accounts", &customer);
    assert_eq!(ids(&list), vec![mine.clone()]);
    assert_eq!(list.json["member"][0]["customerId"], Value::Null);
}

/// The claims of a JWT, verified with the test secret.
fn jwt_claims(token: &str) -> Value {
    let key = jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes());
    jsonwebtoken::decode::<Value>(token, &key, &jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256))
        .unwrap()
        .claims
}

/// Customer sessions of one host share its client, never each other's
/// `Idempotency-Key` answers.
#[test]
fn idempotency_keys_belong_to_each_customer() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let key = api_token(&srv, &owner);
    let (one, two) = (session(&srv, &key, "host-user-1"), session(&srv, &key, "host-user-2"));
    let body = json!({"integration": "/api/integrations/whatsapp"}).to_string();
    let create = |s: &Session| {
        call(
            "POST",
            &srv.url("/api/accounts"),
            Some(&s.token),
            Some(("application/ld+json", &body)),
            &[("Idempotency-Key", "add-whatsapp")],
        )
    };
    let (a, b) = (create(&one), create(&two));
    assert_eq!((a.status, b.status), (201, 201), "{} {}", a.text, b.text);
    assert_ne!(a.json["id"], b.json["id"], "the second customer got the first one's answer");
    assert_eq!(b.json["customerId"], "host-user-2");
    assert_eq!(create(&one).json["id"], a.json["id"], "a retry replays its own answer");
    assert_eq!(srv.get("/api/accounts", &owner).json["totalItems"], 2);
}
