//! The store contract on the embedded SQLite store, plus what only a file can show.

use inbox_store::SqliteStore;

mod contract {
    use super::*;
    inbox_store::store_contract_tests!(SqliteStore::in_memory().unwrap());
}

mod replay;

/// Two handles on one file (two processes under `cargo lambda watch`) see each
/// other's writes and conflict on the same stream head.
#[tokio::test]
async fn two_handles_share_one_file() {
    use inbox_store::{contract, AccountReads, Commit, EventStore, StoreError};
    let dir = std::env::temp_dir().join(format!("inbox-sqlite-{}", uuid::Uuid::new_v4()));
    let path = dir.join("inbox.db");
    let a = SqliteStore::open(&path).unwrap();
    let b = SqliteStore::open(&path).unwrap();
    let c = contract::ctx(uuid::Uuid::new_v4(), "u");
    let id = uuid::Uuid::new_v4();
    let cmd = contract::connect(id, "x");
    contract::run(&a, id, &cmd, &c).await.unwrap();
    assert!(b.get_account(c.client_id, id).await.unwrap().is_some());
    // A second handle deciding on the empty stream it saw before: the store refuses.
    let (events, state) = inbox_domain::execute(&None, id, &cmd, &c, "dup").unwrap();
    let err = b
        .commit(Commit { stream_id: id, client_id: c.client_id, expected_version: 0, events, state, idempotency: None })
        .await;
    assert!(matches!(err, Err(StoreError::Conflict { .. })));
    std::fs::remove_dir_all(dir).unwrap();
}
