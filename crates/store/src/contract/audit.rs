//! Reading the whole log a page at a time, and read models one by one: what
//! audit needs to run in bounded memory.

use super::{append_updates, create, ctx};
use crate::walk::Streams;
use crate::Store;
use std::sync::Arc;
use uuid::Uuid;

pub async fn the_log_is_read_a_page_at_a_time_each_stream_whole(store: Arc<impl Store>) {
    let (a, b) = (ctx(Uuid::new_v4(), "ua"), ctx(Uuid::new_v4(), "ub"));
    let mut ids = vec![];
    for extra in 0..5 {
        let id = create(&*store, &a, "x").await;
        append_updates(&*store, &a, id, extra, 8).await;
        ids.push(id);
    }
    create(&*store, &b, "x").await;
    ids.sort();
    // Pages smaller than a stream, around one, and larger than the log.
    for page in [1, 2, 3, 1000] {
        let mut walk = Streams::new(&*store, Some(a.client_id), page);
        let mut seen = vec![];
        while let Some(stream) = walk.next().await.unwrap() {
            let id = stream[0].stream_id;
            assert_eq!(stream, store.load_stream(id).await.unwrap(), "page {page}: stream {id} whole, by version");
            seen.push(id);
        }
        seen.sort();
        assert_eq!(seen, ids, "page {page}: every stream of the client once");
    }
    let mut every = Streams::new(&*store, None, 4);
    let mut clients = std::collections::HashSet::new();
    while let Some(stream) = every.next().await.unwrap() {
        clients.insert(stream[0].client_id);
    }
    assert!(clients.contains(&a.client_id) && clients.contains(&b.client_id), "without a client: all of them");
    // A page holds at most `limit` events and continues after `after`.
    let first = store.events_page(Some(a.client_id), None, 2).await.unwrap();
    assert_eq!(first.len(), 2);
    let after = first.last().map(|e| (e.stream_id, e.version));
    let next = store.events_page(Some(a.client_id), after, 2).await.unwrap();
    assert_eq!(next.len(), 2);
    assert!(next.iter().all(|e| !first.contains(e)));
    // Read models: every key, and one by one (another client's is not there).
    let mut keys = store.read_model_keys(Some(a.client_id)).await.unwrap();
    keys.sort();
    assert_eq!(keys, ids.iter().map(|id| (a.client_id, *id)).collect::<Vec<_>>());
    assert_eq!(store.read_model_keys(None).await.unwrap().len(), store.all_accounts(None).await.unwrap().len());
    let one = store.read_model(a.client_id, ids[0]).await.unwrap().expect("stored");
    assert_eq!(one.account.unwrap().id, ids[0]);
    assert!(store.read_model(b.client_id, ids[0]).await.unwrap().is_none());
}
