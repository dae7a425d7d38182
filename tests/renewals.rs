//! Renewal ahead of need, black-box against the tests' OpenID provider, on
//! SQLite and DynamoDB Local: `inbox serve` renews the tokens that expire
//! soon without anyone asking, notices a withdrawn grant by itself (the
//! account disconnected and a webhook says so), asks a failing provider
//! again rather than disconnecting; and no secret reaches a log line, an
//! event, a GET or a webhook.

mod support;

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::oidc::{hand_out, server_with, server_with_env, sign_in, stored_credentials as stored, Provider};
use support::receiver::Receiver;
use support::{assert_problem, Server, Session};

fn events(srv: &Server, s: &Session, id: &str) -> Vec<Value> {
    let r = srv.get(&format!("/api/accounts/{id}/events"), s);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["member"].as_array().unwrap().clone()
}

/// Waits up to 20 s for `done`.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < until, "never: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A server renewing every second, whose webhooks may reach 127.0.0.1.
fn renewing(provider: &Provider, more: &[(&str, &str)]) -> Server {
    let mut env = vec![("INBOX_RENEW_EVERY", "1"), ("INBOX_WEBHOOK_ALLOW_PRIVATE", "1")];
    env.extend_from_slice(more);
    server_with_env(provider, &env)
}

#[test]
fn tokens_that_expire_soon_are_renewed_without_anyone_asking() {
    // Access tokens live 30 s: always within the renewal's ten minutes ahead.
    let provider = Provider::start_with(&[("ACCESS_TOKEN_TTL", "30")]);
    let srv = renewing(&provider, &[]);
    let owner = srv.client("owner");
    let id = srv.create_account(&owner, "gmail");
    sign_in(&srv, &owner, &id, "ann@example.test");
    eventually("a renewal by the schedule", || stored(&srv, &owner, &id).len() >= 2);
    let renewal = &events(&srv, &owner, &id).into_iter().rfind(|e| e["type"] == "CredentialsStored").unwrap();
    assert_eq!(renewal["actor"], "credentials-renew", "{renewal}");
    // What it renewed is what the connector gets, valid at the provider.
    let token = hand_out(&srv, &owner, &id).json["accessToken"].as_str().unwrap().to_string();
    assert_eq!(provider.introspect(&token)["active"], true);
    let a = srv.get(&format!("/api/accounts/{id}"), &owner).json;
    assert_eq!(a["isAuthorized"], true);
}

#[test]
fn a_withdrawn_grant_is_noticed_by_the_schedule_and_announced() {
    let provider = Provider::start_with(&[("ACCESS_TOKEN_TTL", "30")]);
    let srv = renewing(&provider, &[]);
    let owner = srv.client("owner");
    let receiver = Receiver::start(&[]);
    let hook = srv.post_json("/api/webhooks", Some(&owner.token), &json!({"url": receiver.url}));
    assert_eq!(hook.status, 201, "{}", hook.text);
    let id = srv.create_account(&owner, "gmail");
    sign_in(&srv, &owner, &id, "bob@example.test");
    provider.withdraw("bob@example.test");
    eventually("the account disconnected by the schedule", || {
        srv.get(&format!("/api/accounts/{id}"), &owner).json["disconnectReason"] == "credentials_revoked"
    });
    let disconnected = events(&srv, &owner, &id).into_iter().find(|e| e["type"] == "AccountDisconnected").unwrap();
    assert_eq!(disconnected["actor"], "credentials-renew");
    let until = Instant::now() + Duration::from_secs(20);
    let message = loop {
        let got = receiver.received();
        if let Some(m) = got.iter().map(|m| m.json()).find(|m| m["type"] == "account.disconnected") {
            break m;
        }
        assert!(Instant::now() < until, "no account.disconnected webhook: {:?}", got.len());
        std::thread::sleep(Duration::from_millis(100));
    };
    let account = &message["data"]["account"];
    assert_eq!(account["id"], id.as_str(), "{message}");
    assert_eq!(account["disconnectReason"], "credentials_revoked", "{message}");
    assert_eq!(account["reconnectUrl"], srv.url(&format!("/connect/gmail/{id}")), "{message}");
    // Out of the index: nothing more is tried for it.
    let tried = stored(&srv, &owner, &id).len();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(stored(&srv, &owner, &id).len(), tried);
    assert_problem(&hand_out(&srv, &owner, &id), 409);
}

#[test]
fn a_failing_provider_is_asked_again_and_never_disconnects() {
    let provider = Provider::start_with(&[("ACCESS_TOKEN_TTL", "30")]);
    let srv = server_with(&provider);
    let owner = srv.client("owner");
    let id = srv.create_account(&owner, "gmail");
    sign_in(&srv, &owner, &id, "cy@example.test");
    // Two 503s: the hand-out's third attempt renews.
    provider.outage(2);
    let r = hand_out(&srv, &owner, &id);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(provider.introspect(r.json["accessToken"].as_str().unwrap())["active"], true);
    assert_eq!(stored(&srv, &owner, &id).len(), 2, "one renewal");
    // A longer outage: retry later, and the account stays connected.
    provider.outage(100);
    let r = hand_out(&srv, &owner, &id);
    assert_problem(&r, 503);
    assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
    let a = srv.get(&format!("/api/accounts/{id}"), &owner).json;
    assert_eq!((a["isAuthorized"].clone(), a["disconnectReason"].clone()), (true.into(), Value::Null), "{a}");
    assert_eq!(stored(&srv, &owner, &id).len(), 2);
    provider.outage(0);
    assert_eq!(hand_out(&srv, &owner, &id).status, 200, "once the provider is back");
}

#[test]
fn no_secret_reaches_a_log_line_an_event_a_get_or_a_webhook() {
    let provider = Provider::start_with(&[("ACCESS_TOKEN_TTL", "30")]);
    // Everything the server says, at its most talkative.
    let srv = renewing(&provider, &[("RUST_LOG", "trace")]);
    let owner = srv.client("owner");
    let receiver = Receiver::start(&[]);
    assert_eq!(srv.post_json("/api/webhooks", Some(&owner.token), &json!({"url": receiver.url})).status, 201);
    let id = srv.create_account(&owner, "gmail");
    sign_in(&srv, &owner, &id, "dee@example.test");
    eventually("a renewal by the schedule", || stored(&srv, &owner, &id).len() >= 2);
    let handed = hand_out(&srv, &owner, &id).json["accessToken"].as_str().unwrap().to_string();

    // The secrets as the vault holds them, opened with the server's own key.
    let client = inbox_domain::ClientId(owner.tenant.parse().unwrap());
    let held = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = srv.store().await;
        let account = store.get_account(client, inbox_domain::AccountId(id.parse().unwrap())).await.unwrap().unwrap();
        let vault = inbox_api::vault::Vault::load(&srv.data_dir).unwrap();
        vault.open(account.credentials.as_ref().unwrap(), account.client_id, account.id).await.unwrap()
    });
    let refresh = held.refresh_token.clone().expect("a refresh token");
    assert_eq!(held.access_token, handed);
    let secrets = [handed.as_str(), refresh.as_str(), support::oidc::CLIENT_SECRET];

    let log = srv.log();
    for said in ["/oauth/callback", "credentials renewal run", "access-token"] {
        assert!(log.contains(said), "the log tells of the sign-in, the renewal and the hand-out: {said}");
    }
    let mut places = vec![("the log", log)];
    for path in [format!("/api/accounts/{id}"), format!("/api/accounts/{id}/events"), "/api/accounts".into()] {
        places.push(("a GET", srv.get(&path, &owner).text));
    }
    places.push(("the access log", srv.get(&format!("/api/accounts/{id}/access-log"), &owner).text));
    eventually("webhooks of the renewals", || !receiver.received().is_empty());
    places.extend(receiver.received().into_iter().map(|m| ("a webhook", m.body)));
    for (place, text) in &places {
        for secret in secrets {
            assert!(!text.contains(secret), "{place} holds a secret");
        }
    }
}
