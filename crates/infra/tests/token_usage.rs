//! A burst of requests with one API token, on DynamoDB Local: one log entry per
//! request, and the last use written once, whatever the burst.

use inbox_api::App;
use inbox_infra::fixtures::{self, API_TOKEN};
use inbox_store::{DynamoStore, Tables};
use std::sync::Arc;

#[tokio::test]
async fn a_burst_of_200_requests_writes_the_last_use_once() {
    let tables = Tables::prefixed(&format!("burst{}", uuid::Uuid::new_v4().simple()));
    let store = DynamoStore::local(inbox_store_contract::dynamodb_local(), tables).await;
    store.create_tables().await.unwrap();
    fixtures::load(&store).await.unwrap();
    let config = fixtures::example_config(inbox_api::config::StoreKind::DynamoDb);
    let app = App::new(config, Arc::new(store.clone())).awaiting_follow_ups();
    store.calls().reset();
    for i in 0..200 {
        let req = http::Request::get("/api/v1/team")
            .header("authorization", format!("Bearer {API_TOKEN}"))
            .header("x-request-id", format!("burst-{i}"))
            .body(bytes::Bytes::new())
            .unwrap();
        assert_eq!(app.handle(req, inbox_api::Scope::ALL).await.status(), 200);
    }
    let calls = store.calls().snapshot();
    assert_eq!(calls.get("TransactWriteItems"), Some(&1), "the last use, once: {calls:?}");
    assert_eq!(calls.get("PutItem"), Some(&200), "one log entry per request: {calls:?}");
    assert_eq!(calls.get("UpdateItem"), None, "{calls:?}");
}
