//! 32 concurrent PUTs on one account lose nothing.

use inbox_domain::project;
mod support;
use serde_json::json;
use support::*;

#[test]
fn concurrent_puts_lose_nothing() {
    let srv = Server::start();
    let s = srv.client("owner");
    let id = srv.create_account(&s, "whatsapp");
    let url = srv.url(&format!("/api/accounts/{id}"));
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..32)
            .map(|i| {
                let (url, token) = (url.clone(), s.token.clone());
                scope.spawn(move || {
                    let request_id = format!("put-{i}");
                    let body = json!({"username": format!("name {i}")}).to_string();
                    let r = call(
                        "PUT",
                        &url,
                        Some(&token),
                        Some(("application/ld+json", &body)),
                        &[("X-Request-Id", &request_id)],
                    );
                    (r.status, request_id)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok: Vec<_> = answers.iter().filter(|(status, _)| *status == 200).map(|(_, id)| id.clone()).collect();
    assert!(answers.iter().all(|(status, _)| *status == 200 || *status == 409), "{answers:?}");
    assert!(!ok.is_empty());

    // Read what was stored, straight from the store the server wrote.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let store = rt.block_on(srv.store());
    let events = rt.block_on(store.load_stream(id.parse().unwrap())).unwrap();
    let versions: Vec<u64> = events.iter().map(|e| e.version).collect();
    assert_eq!(versions, (1..=events.len() as u64).collect::<Vec<_>>(), "gap-free versions");
    inbox_domain::verify_chain(id.parse().unwrap(), &events).unwrap();
    let mut updates: Vec<_> =
        events.iter().filter(|e| e.event_type == "AccountUpdated").map(|e| e.correlation_id.clone()).collect();
    updates.sort();
    let mut expected = ok.clone();
    expected.sort();
    assert_eq!(updates, expected, "exactly one event per PUT answered 200, none for a 409");
    let stored = rt.block_on(store.get_account(s.tenant.parse().unwrap(), id.parse().unwrap())).unwrap();
    assert_eq!(project(&events).unwrap(), stored, "read model equals replay");
}
