//! The contract of API token usage: the last use written at most once a
//! minute, the request log paged newest first with expired entries hidden.

use inbox_domain::time;
use inbox_domain::ClientId;
use inbox_store::{ApiToken, Client, Store, TokenRequest, TokenUse};
use std::sync::Arc;
use uuid::Uuid;

/// A client with one token, stored.
async fn client_with_token(store: &dyn Store) -> ApiToken {
    let now = time::truncate(chrono::Utc::now());
    let client = Client { id: ClientId::new(), name: "T".into(), plan: "free".into(), created_at: now };
    store.create_client(&client).await.unwrap();
    let token = super::token(client.id, "crm", now);
    store.create_api_token(&token).await.unwrap();
    token
}

pub async fn token_use_is_recorded_at_most_once_a_minute(store: Arc<impl Store>) {
    let token = client_with_token(&*store).await;
    let t0 = time::truncate(chrono::Utc::now());
    let used = |at| TokenUse { at, ip: Some("203.0.113.7".into()), user_agent: Some("curl/8".into()) };
    let minute = chrono::Duration::seconds(60);
    let mut writes = 0;
    for i in 0..200 {
        let at = t0 + chrono::Duration::milliseconds(i);
        writes += usize::from(store.touch_api_token(&token, &used(at), at - minute).await.unwrap());
    }
    assert_eq!(writes, 1, "a burst records one use");
    let seen = store.find_api_token(&token.secret_hash).await.unwrap().unwrap();
    assert_eq!(seen.last_used, Some(used(t0)));
    let listed = store.get_api_token(token.client_id, token.id).await.unwrap().unwrap();
    assert_eq!(listed.last_used, Some(used(t0)));
    assert_eq!(store.get_api_token(ClientId::new(), token.id).await.unwrap(), None, "another client's token");
    let later = t0 + minute + chrono::Duration::seconds(1);
    assert!(store.touch_api_token(&token, &used(later), later - minute).await.unwrap());
    assert_eq!(store.get_api_token(token.client_id, token.id).await.unwrap().unwrap().last_used, Some(used(later)));
}

pub async fn token_request_log_pages_newest_first_and_hides_expired(store: Arc<impl Store>) {
    let token = client_with_token(&*store).await;
    let t0 = time::truncate(chrono::Utc::now());
    // Expiry is kept in whole seconds (DynamoDB's TTL attribute is epoch seconds).
    let day = chrono::Duration::days(1) - chrono::Duration::milliseconds(t0.timestamp_subsec_millis().into());
    let entry = |i: i64, expires_at| TokenRequest {
        token_id: token.id,
        request_id: format!("req-{i:02}"),
        method: "GET".into(),
        path: "/api/v1/team".into(),
        status: 200,
        used: TokenUse { at: t0 + chrono::Duration::seconds(i), ip: None, user_agent: Some("ua".into()) },
        actor: (i % 2 == 0).then(|| format!("user-{i}")),
        expires_at,
    };
    store.log_token_request(&entry(-1, t0 - day)).await.unwrap();
    for i in 0..35 {
        store.log_token_request(&entry(i, t0 + day)).await.unwrap();
    }
    let now = t0 + chrono::Duration::seconds(40);
    let first = store.token_requests(token.id, None, now, 30).await.unwrap();
    let ids: Vec<_> = first.iter().map(|e| e.request_id.clone()).collect();
    assert_eq!(ids, (5..35).rev().map(|i| format!("req-{i:02}")).collect::<Vec<_>>(), "newest first");
    assert_eq!(first[0], entry(34, t0 + day));
    let rest = store.token_requests(token.id, Some(&first[29].key()), now, 30).await.unwrap();
    let ids: Vec<_> = rest.iter().map(|e| e.request_id.clone()).collect();
    assert_eq!(ids, (0..5).rev().map(|i| format!("req-{i:02}")).collect::<Vec<_>>(), "the expired entry is hidden");
    assert!(store.token_requests(Uuid::new_v4(), None, now, 30).await.unwrap().is_empty());
}
