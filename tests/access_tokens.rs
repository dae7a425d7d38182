//! Hand-out of a signed-in account's access token to its connector, black-box
//! against the tests' OpenID provider, on SQLite and DynamoDB Local: valid at
//! the provider, never the refresh token, renewed once for concurrent callers,
//! and a grant the person withdrew disconnects the account.

mod support;

use support::assert_problem;
use support::oidc::{hand_out, server_with, sign_in, stored_credentials, Provider};

#[test]
fn the_connector_gets_a_valid_access_token_never_the_refresh_token() {
    let provider = Provider::start();
    let srv = server_with(&provider);
    let owner = srv.client("owner");
    let connector = srv.user(&owner.tenant, "connector");
    let id = srv.create_account(&owner, "gmail");
    sign_in(&srv, &owner, &id, "ann@example.test");

    let r = hand_out(&srv, &connector, &id);
    assert_eq!(r.status, 200, "{}", r.text);
    let mut keys: Vec<_> = r.json.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["accessToken", "expiresAt", "scope", "tokenType"], "never a refresh token");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let token = r.json["accessToken"].as_str().unwrap().to_string();
    let at_provider = provider.introspect(&token);
    assert_eq!((at_provider["active"].clone(), at_provider["sub"].clone()), (true.into(), "ann@example.test".into()));
    assert_eq!(hand_out(&srv, &connector, &id).json["accessToken"], token, "still valid: the same token");

    // What was stored is recorded; what it is, nowhere.
    let stored = stored_credentials(&srv, &owner, &id);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["payload"]["refreshable"], true);
    assert!(stored[0]["payload"]["keyId"].as_str().unwrap().starts_with("local:"));
    for path in [format!("/api/accounts/{id}"), format!("/api/accounts/{id}/events"), "/api/accounts".into()] {
        let text = srv.get(&path, &owner).text;
        assert!(!text.contains(&token) && !text.contains("credentials\""), "{path}: {text}");
    }

    // Each hand-out is in the account's log, with who asked; owners and auditors read it.
    let auditor = srv.user(&owner.tenant, "auditor");
    // Written once the answer is out: read until both are there.
    let read_log = || srv.get(&format!("/api/accounts/{id}/access-log"), &auditor);
    let mut log = read_log();
    for _ in 0..50 {
        if log.json["member"].as_array().is_some_and(|m| m.len() >= 2) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(40));
        log = read_log();
    }
    assert_eq!(log.status, 200, "{}", log.text);
    let entries = log.json["member"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{}", log.text);
    assert!(entries.iter().all(|e| e["actor"] == connector.user_id.as_str() && e["status"] == 200), "{}", log.text);
    assert!(!log.text.contains(&token));
    assert_problem(&srv.get(&format!("/api/accounts/{id}/access-log"), &connector), 403);
    assert_problem(&srv.get(&format!("/api/accounts/{id}/access-log"), &srv.client("owner")), 404);

    let whatsapp = srv.create_account(&owner, "whatsapp");
    assert_problem(&hand_out(&srv, &connector, &whatsapp), 409);
    assert_problem(&hand_out(&srv, &srv.user(&owner.tenant, "auditor"), &id), 403);
    assert_problem(&hand_out(&srv, &srv.client("connector"), &id), 404);
}

#[test]
fn a_token_near_expiry_is_renewed_once_for_concurrent_hand_outs() {
    // Its access tokens live 30 s: every hand-out finds it within the minute before expiry.
    let provider = Provider::start_with(&[("ACCESS_TOKEN_TTL", "30")]);
    let srv = server_with(&provider);
    let owner = srv.client("owner");
    let id = srv.create_account(&owner, "gmail");
    sign_in(&srv, &owner, &id, "bob@example.test");
    let answers: Vec<support::Resp> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..4).map(|_| scope.spawn(|| hand_out(&srv, &owner, &id))).collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for r in &answers {
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let token = answers[0].json["accessToken"].clone();
    assert!(answers.iter().all(|r| r.json["accessToken"] == token), "one renewal, one new token for all");
    assert_eq!(stored_credentials(&srv, &owner, &id).len(), 2, "the sign-in's, and one renewal's");
    assert_eq!(provider.introspect(token.as_str().unwrap())["active"], true);
}

#[test]
fn a_withdrawn_grant_disconnects_the_account() {
    let provider = Provider::start_with(&[("ACCESS_TOKEN_TTL", "30")]);
    let srv = server_with(&provider);
    let owner = srv.client("owner");
    let id = srv.create_account(&owner, "gmail");
    sign_in(&srv, &owner, &id, "cy@example.test");
    provider.withdraw("cy@example.test");
    let r = hand_out(&srv, &owner, &id);
    assert_problem(&r, 409);
    assert!(r.json["detail"].as_str().unwrap().contains("revoked"), "{}", r.text);
    let a = srv.get(&format!("/api/accounts/{id}"), &owner).json;
    assert_eq!(
        (a["isAuthorized"].clone(), a["disconnectReason"].clone()),
        (false.into(), "credentials_revoked".into())
    );
    assert_eq!(a["reconnectUrl"], srv.url(&format!("/connect/gmail/{id}")));
    // Nothing more to hand out until it signs in again.
    assert_problem(&hand_out(&srv, &owner, &id), 409);
}

#[test]
fn removing_an_account_revokes_its_grant_at_the_provider() {
    let provider = Provider::start();
    let srv = server_with(&provider);
    let owner = srv.client("owner");
    let id = srv.create_account(&owner, "gmail");
    sign_in(&srv, &owner, &id, "dee@example.test");
    let token = hand_out(&srv, &owner, &id).json["accessToken"].as_str().unwrap().to_string();
    assert_eq!(provider.introspect(&token)["active"], true);
    assert_eq!(srv.delete(&format!("/api/accounts/{id}"), &owner).status, 204);
    assert_eq!(provider.introspect(&token)["active"], false, "the grant ended with the account");
    assert_problem(&hand_out(&srv, &owner, &id), 404);
}
