//! Hosted sign-in, black-box: `inbox serve` signs a Gmail account in at a real
//! OpenID provider (panva's oidc-provider, `tests/oidc/`), on SQLite and on
//! DynamoDB Local. Every refusal is a clear answer that changes nothing.

mod support;

use serde_json::{json, Value};
use support::oidc::{browse, once, param, server_with, with_param, Provider, DECLINES};
use support::{Server, Session};

/// Starts a sign-in for an account; returns the authorization URL.
fn start(srv: &Server, s: &Session, id: &str, body: Option<Value>) -> String {
    let r = match body {
        Some(b) => srv.post_json(&format!("/api/accounts/{id}/sign-in"), Some(&s.token), &b),
        None => srv.call("POST", &format!("/api/accounts/{id}/sign-in"), Some(&s.token), None),
    };
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["authorizationUrl"].as_str().unwrap().to_string()
}

/// The provider's answer for a started sign-in: the redirect to our callback.
fn consent(srv: &Server, url: &str) -> String {
    browse(url, &srv.url("/oauth/callback"))
}

fn account(srv: &Server, s: &Session, id: &str) -> Value {
    let r = srv.get(&format!("/api/accounts/{id}"), s);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

fn history(srv: &Server, s: &Session, id: &str) -> Vec<Value> {
    let r = srv.get(&format!("/api/accounts/{id}/events"), s);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["member"].as_array().unwrap().clone()
}

/// Where the callback sent the browser: the account's connect page, and how it went.
fn back_to(srv: &Server, id: &str, outcome: &str) -> String {
    srv.url(&format!("/connect/gmail/{id}?{outcome}"))
}

#[test]
fn a_gmail_account_signs_in_at_the_provider_and_is_authorized() {
    let provider = Provider::start();
    let srv = server_with(&provider);
    let owner = srv.client("owner");
    let kinds = srv.get("/api/integrations", &owner);
    let sign_in =
        |id: &str| kinds.json["member"].as_array().unwrap().iter().find(|i| i["id"] == id).unwrap()["signIn"].clone();
    assert_eq!((sign_in("gmail"), sign_in("whatsapp")), (json!("oauth"), json!("connector")));

    let id = srv.create_account(&owner, "gmail");
    let url = start(&srv, &owner, &id, Some(json!({"loginHint": "ann@example.test"})));
    assert!(url.starts_with(&format!("{}/auth?", provider.issuer)), "{url}");
    assert_eq!(param(&url, "redirect_uri").as_deref(), Some(srv.url("/oauth/callback").as_str()));
    assert_eq!(param(&url, "code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(param(&url, "code_challenge").map(|c| c.len()), Some(43));
    assert!(param(&url, "state").is_some_and(|s| s.len() >= 43), "256 bits of state");
    assert!(param(&url, "nonce").is_some());
    assert_eq!(param(&url, "prompt").as_deref(), Some("consent"));
    assert_eq!(param(&url, "login_hint").as_deref(), Some("ann@example.test"));

    let answer = consent(&srv, &url);
    assert!(param(&answer, "code").is_some() && param(&answer, "iss").as_deref() == Some(provider.issuer.as_str()));
    let r = once(&answer, "");
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(r.header("location"), Some(back_to(&srv, &id, "signIn=connected").as_str()));
    assert_eq!(r.header("cache-control"), Some("no-store"));

    let a = account(&srv, &owner, &id);
    assert_eq!(a["isAuthorized"], true);
    assert_eq!(a["username"], "Test ann", "the profile's name");
    assert_eq!(a["reconnectUrl"], Value::Null);
    let events = history(&srv, &owner, &id);
    let types: Vec<_> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["AccountConnected", "AccountAuthorized", "CredentialsStored"]);
    let authorized = &events[1];
    assert_eq!(authorized["actor"], owner.user_id, "recorded as the person who started it");
    // The provider's subject and address (its test person's subject is the address).
    assert_eq!(authorized["payload"]["platformId"], "ann@example.test");
    assert_eq!(authorized["payload"]["platformUsername"], "ann@example.test");
    assert_eq!(authorized["payload"]["avatarUrl"], "https://example.test/avatar.png");
    // Nothing the provider handed over is kept in the history.
    let code = param(&answer, "code").unwrap();
    assert!(!serde_json::to_string(&events).unwrap().contains(&code));
}

#[test]
fn a_used_missing_or_unknown_state_is_refused_and_changes_nothing() {
    let provider = Provider::start();
    let srv = server_with(&provider);
    let owner = srv.client("owner");
    let id = srv.create_account(&owner, "gmail");
    let answer = consent(&srv, &start(&srv, &owner, &id, None));
    assert_eq!(once(&answer, "").status, 303);
    let versions = history(&srv, &owner, &id).len();
    for (url, status, words) in [
        (answer.clone(), 404, "already finished"),
        (srv.url("/oauth/callback"), 400, "carries none"),
        (with_param(&answer, "state", Some("forged-state")), 404, "already finished"),
    ] {
        let r = once(&url, "");
        assert_eq!(r.status, status, "{url}: {}", r.text);
        assert!(r.header("content-type").unwrap_or("").starts_with("text/html"), "{:?}", r.headers);
        assert!(r.text.contains(words), "{url}: {}", r.text);
    }
    assert_eq!(history(&srv, &owner, &id).len(), versions, "nothing appended");
}

#[test]
fn an_expired_state_is_refused() {
    let provider = Provider::start();
    let srv = server_with(&provider);
    let owner = srv.client("owner");
    let id = srv.create_account(&owner, "gmail");
    let state = "an-expired-state-of-forty-three-characters-x";
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = srv.store().await;
        let sign_in = inbox_store::SignIn {
            state_hash: inbox_domain::signin::state_key(state),
            client_id: inbox_domain::ClientId(owner.tenant.parse().unwrap()),
            account_id: inbox_domain::AccountId(id.parse().unwrap()),
            integration: "gmail".into(),
            actor: owner.user_id.clone(),
            code_verifier: "v".repeat(43),
            nonce: "n".into(),
            redirect_uri: srv.url("/oauth/callback"),
            expires_at: chrono::Utc::now() - chrono::Duration::seconds(1),
        };
        store.put_sign_in(&sign_in).await.unwrap();
    });
    let r = once(&srv.url(&format!("/oauth/callback?state={state}&code=x&iss={}", provider.issuer)), "");
    assert_eq!(r.status, 404, "{}", r.text);
    assert!(r.text.contains("expired"), "{}", r.text);
    assert_eq!(account(&srv, &owner, &id)["isAuthorized"], false);
}

#[test]
fn a_wrong_issuer_a_swapped_code_another_nonce_or_no_pkce_challenge_fails_the_sign_in() {
    let provider = Provider::start();
    let srv = server_with(&provider);
    let owner = srv.client("owner");
    let failed = |id: &str, reason: &str| back_to(&srv, id, &format!("signIn=failed&reason={reason}"));

    // RFC 9207: an answer naming another issuer, or none where the provider sends one.
    for iss in [Some("http://127.0.0.1:1/evil"), None] {
        let id = srv.create_account(&owner, "gmail");
        let answer = with_param(&consent(&srv, &start(&srv, &owner, &id, None)), "iss", iss);
        let r = once(&answer, "");
        assert_eq!(r.header("location"), Some(failed(&id, "wrong_issuer").as_str()), "{iss:?}");
        assert_eq!(account(&srv, &owner, &id)["isAuthorized"], false);
    }

    // Another account's code with this account's state: its PKCE verifier does not match.
    let (a, b) = (srv.create_account(&owner, "gmail"), srv.create_account(&owner, "gmail"));
    let for_a = consent(&srv, &start(&srv, &owner, &a, None));
    let for_b = consent(&srv, &start(&srv, &owner, &b, None));
    let swapped = with_param(&for_a, "code", param(&for_b, "code").as_deref());
    assert_eq!(once(&swapped, "").header("location"), Some(failed(&a, "unconfirmed").as_str()));
    assert_eq!(account(&srv, &owner, &a)["isAuthorized"], false);
    assert_eq!(account(&srv, &owner, &b)["isAuthorized"], false, "b's code is spent on a's attempt");

    // An ID token for another authorization request (its nonce differs).
    let id = srv.create_account(&owner, "gmail");
    let url = with_param(&start(&srv, &owner, &id, None), "nonce", Some("a-nonce-of-another-request"));
    assert_eq!(once(&consent(&srv, &url), "").header("location"), Some(failed(&id, "unconfirmed").as_str()));
    assert_eq!(account(&srv, &owner, &id)["isAuthorized"], false);

    // Without its PKCE challenge the provider refuses the request itself.
    let id = srv.create_account(&owner, "gmail");
    let url = with_param(&start(&srv, &owner, &id, None), "code_challenge", None);
    let answer = consent(&srv, &url);
    assert!(param(&answer, "error").is_some(), "{answer}");
    assert_eq!(once(&answer, "").header("location"), Some(failed(&id, "provider_error").as_str()));
    assert_eq!(account(&srv, &owner, &id)["isAuthorized"], false);
}

#[test]
fn declined_consent_leaves_the_account_waiting_and_says_so() {
    let provider = Provider::start();
    let srv = server_with(&provider);
    let owner = srv.client("owner");
    let id = srv.create_account(&owner, "gmail");
    let answer = consent(&srv, &start(&srv, &owner, &id, Some(json!({"loginHint": DECLINES}))));
    assert_eq!(param(&answer, "error").as_deref(), Some("access_denied"));
    let r = once(&answer, "");
    assert_eq!(r.header("location"), Some(back_to(&srv, &id, "signIn=failed&reason=denied").as_str()));
    let a = account(&srv, &owner, &id);
    assert_eq!((a["isAuthorized"].clone(), history(&srv, &owner, &id).len()), (json!(false), 1));
}

#[test]
fn only_those_who_may_change_an_account_start_its_sign_in_and_only_where_configured() {
    let provider = Provider::start();
    let srv = server_with(&provider);
    let owner = srv.client("owner");
    let gmail = srv.create_account(&owner, "gmail");
    let whatsapp = srv.create_account(&owner, "whatsapp");
    let path = |id: &str| format!("/api/accounts/{id}/sign-in");
    let r = srv.call("POST", &path(&whatsapp), Some(&owner.token), None);
    support::assert_problem(&r, 409);
    assert!(r.json["detail"].as_str().unwrap().contains("connector"), "{}", r.text);
    let auditor = srv.user(&owner.tenant, "auditor");
    support::assert_problem(&srv.call("POST", &path(&gmail), Some(&auditor.token), None), 403);
    let other = srv.client("owner");
    support::assert_problem(&srv.call("POST", &path(&gmail), Some(&other.token), None), 404);
    let bad = srv.call("POST", &path(&gmail), Some(&owner.token), Some(("application/json", r#"{"loginHint": 3}"#)));
    support::assert_problem(&bad, 400);

    // A server without a Gmail provider keeps Gmail with its connector.
    let plain = Server::start();
    let owner = plain.client("owner");
    let id = plain.create_account(&owner, "gmail");
    support::assert_problem(&plain.call("POST", &path(&id), Some(&owner.token), None), 409);
}

#[test]
fn links_name_the_server_as_configured_never_as_the_request_claims() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let spoofed = [("Host", "evil.example"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "evil.example")];
    let body = json!({"integration": "/api/integrations/gmail"}).to_string();
    let r = support::call(
        "POST",
        &srv.url("/api/accounts"),
        Some(&owner.token),
        Some(("application/ld+json", &body)),
        &spoofed,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_str().unwrap();
    assert_eq!(r.json["reconnectUrl"], srv.url(&format!("/connect/gmail/{id}")));
    let connector = srv.user(&owner.tenant, "connector");
    let r = support::call(
        "POST",
        &srv.url(&format!("/api/accounts/{id}/disconnect")),
        Some(&connector.token),
        None,
        &spoofed,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["reconnectUrl"], srv.url(&format!("/connect/gmail/{id}")));
    let docs = support::call("GET", &srv.url("/api/docs.jsonld"), None, None, &spoofed);
    assert!(!docs.text.contains("evil.example"), "the Hydra documentation's links");
    assert!(!docs.header("link").unwrap_or_default().contains("evil.example"));
}

#[test]
fn one_person_is_one_account_of_a_client() {
    let provider = Provider::start();
    let srv = server_with(&provider);
    let owner = srv.client("owner");
    let (first, second) = (srv.create_account(&owner, "gmail"), srv.create_account(&owner, "gmail"));
    support::oidc::sign_in(&srv, &owner, &first, "eve@example.test");
    let url = start(&srv, &owner, &second, Some(json!({"loginHint": "eve@example.test"})));
    let r = once(&consent(&srv, &url), "");
    assert_eq!(r.header("location"), Some(back_to(&srv, &second, "signIn=failed&reason=already_connected").as_str()));
    assert_eq!(
        (account(&srv, &owner, &second)["isAuthorized"].clone(), history(&srv, &owner, &second).len()),
        (json!(false), 1)
    );
    // Another person on the second account is fine, and so is this person in another client.
    support::oidc::sign_in(&srv, &owner, &second, "fay@example.test");
    let other = srv.client("owner");
    let theirs = srv.create_account(&other, "gmail");
    support::oidc::sign_in(&srv, &other, &theirs, "eve@example.test");
    // Once the first account is removed, its person may connect again.
    assert_eq!(srv.delete(&format!("/api/accounts/{first}"), &owner).status, 204);
    let again = srv.create_account(&owner, "gmail");
    support::oidc::sign_in(&srv, &owner, &again, "eve@example.test");
}
