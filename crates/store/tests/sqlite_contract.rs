//! The store contract on the embedded SQLite store, plus what only a file can show.

use inbox_store::SqliteStore;
use inbox_store_contract as contract;

mod suite {
    use super::*;
    inbox_store_contract::store_contract_tests!(SqliteStore::in_memory().unwrap());
}

/// A store on a file of its own: reads go through the reader connections.
fn on_file() -> SqliteStore {
    let dir = std::env::temp_dir().join(format!("inbox-sqlite-{}", uuid::Uuid::new_v4()));
    SqliteStore::open(&dir.join("inbox.db")).unwrap()
}

mod contract_on_file {
    use super::*;
    inbox_store_contract::store_contract_tests!(on_file());
}

mod replay;

/// Two handles on one file (two processes under `cargo lambda watch`) see each
/// other's writes and conflict on the same stream head.
#[tokio::test]
async fn two_handles_share_one_file() {
    use inbox_store::{AccountReads, Commit, EventStore, StoreError};
    let dir = std::env::temp_dir().join(format!("inbox-sqlite-{}", uuid::Uuid::new_v4()));
    let path = dir.join("inbox.db");
    let a = SqliteStore::open(&path).unwrap();
    let b = SqliteStore::open(&path).unwrap();
    let c = contract::ctx(inbox_domain::ClientId::new(), "u");
    let id = uuid::Uuid::new_v4();
    let cmd = contract::connect(id, "x");
    contract::run(&a, id, &cmd, &c).await.unwrap();
    assert!(b.get_account(c.client_id, inbox_domain::AccountId(id)).await.unwrap().is_some());
    // A second handle deciding on the empty stream it saw before: the store refuses.
    let (events, state) = inbox_domain::execute(&None, id, &cmd, &c, "dup").unwrap();
    let err = b
        .commit(Commit {
            stream_id: id,
            client_id: c.client_id,
            expected_version: 0,
            events,
            read_model: inbox_store::ReadModel::Account { before: None, after: state },
            idempotency: None,
        })
        .await;
    assert!(matches!(err, Err(StoreError::Conflict { .. })));
    std::fs::remove_dir_all(dir).unwrap();
}

/// A write waiting for SQLite's write lock (held here by another connection,
/// as by another process) does not hold up reads: they have connections of
/// their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_do_not_queue_behind_a_waiting_writer() {
    use inbox_store::AccountReads;
    let dir = std::env::temp_dir().join(format!("inbox-sqlite-{}", uuid::Uuid::new_v4()));
    let path = dir.join("inbox.db");
    let store = std::sync::Arc::new(SqliteStore::open(&path).unwrap());
    let c = contract::ctx(inbox_domain::ClientId::new(), "u");
    let id = uuid::Uuid::new_v4();
    contract::run(&*store, id, &contract::connect(id, "x"), &c).await.unwrap();

    let mut other = rusqlite::Connection::open(&path).unwrap();
    let lock = other.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
    let writer = tokio::spawn({
        let (store, c) = (store.clone(), c.clone());
        async move {
            let update = inbox_domain::Command::Update(inbox_domain::Changes {
                description: Some(Some("waited".into())),
                ..Default::default()
            });
            contract::run(&*store, id, &update, &c).await
        }
    });
    // Let the writer reach SQLite and wait there (busy timeout: 10 s).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        store.get_account(c.client_id, inbox_domain::AccountId(id)),
    )
    .await;
    assert!(read.is_ok(), "a read waited for a writer that waits for the lock");
    assert_eq!(read.unwrap().unwrap().unwrap().description, None, "the write has not happened yet");
    drop(lock);
    let after = writer.await.unwrap().unwrap().unwrap();
    assert_eq!(after.description.as_deref(), Some("waited"));
    assert_eq!(
        store.get_account(c.client_id, inbox_domain::AccountId(id)).await.unwrap().unwrap().description.as_deref(),
        Some("waited")
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A file written before the account lists existed gets them, filled from its
/// read models, when it is next opened.
#[tokio::test]
async fn a_file_from_before_the_lists_is_filled_when_opened() {
    use inbox_store::{AccountReads, ListQuery};
    let dir = std::env::temp_dir().join(format!("inbox-sqlite-{}", uuid::Uuid::new_v4()));
    let path = dir.join("inbox.db");
    let c = contract::ctx(inbox_domain::ClientId::new(), "u");
    {
        let store = SqliteStore::open(&path).unwrap();
        for t in ["whatsapp", "gmail", "whatsapp"] {
            let id = uuid::Uuid::new_v4();
            contract::run(&store, id, &contract::connect(id, t), &c).await.unwrap();
        }
    }
    let old = rusqlite::Connection::open(&path).unwrap();
    old.execute_batch("DROP TABLE account_lists; DROP TABLE account_counts; PRAGMA user_version = 0").unwrap();
    drop(old);
    let store = SqliteStore::open(&path).unwrap();
    let all = ListQuery { limit: 30, ..Default::default() };
    assert_eq!(store.list_accounts(c.client_id, &all).await.unwrap().total, 3);
    contract::lists_agree(&store, c.client_id).await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[path = "sqlite/upgrade.rs"]
mod upgrade;
