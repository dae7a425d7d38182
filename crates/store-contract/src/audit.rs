//! Reading the whole log a page at a time, and read models one by one: what
//! audit needs to run in bounded memory.

use super::{append_updates, create, ctx};
use inbox_domain::{AccountId, ClientId, StoredEvent};
use inbox_store::walk::Streams;
use inbox_store::{Segment, Store};
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

/// The streams of these segments of the log, walked a page at a time.
async fn walked(
    store: &impl Store,
    client: Option<ClientId>,
    segments: &[Segment],
    page: usize,
) -> Vec<Vec<StoredEvent>> {
    let mut streams = vec![];
    for segment in segments {
        let mut walk = Streams::segment(store, client, *segment, page);
        while let Some(stream) = walk.next().await.unwrap() {
            streams.push(stream);
        }
    }
    streams
}

/// The streams' ids, sorted, once each is found whole and by version.
async fn whole(store: &impl Store, streams: Vec<Vec<StoredEvent>>) -> Vec<Uuid> {
    let mut ids = vec![];
    for stream in streams {
        let id = stream[0].stream_id;
        assert_eq!(stream, store.load_stream(id).await.unwrap(), "stream {id} whole, by version");
        ids.push(id);
    }
    ids.sort();
    ids
}

pub async fn the_log_is_read_a_page_at_a_time_each_stream_whole(store: Arc<impl Store>) {
    let (a, b) = (ctx(ClientId::new(), "ua"), ctx(ClientId::new(), "ub"));
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
        let seen = whole(&*store, walked(&*store, Some(a.client_id), &[Segment::WHOLE], page).await).await;
        assert_eq!(seen, ids, "page {page}: every stream of the client once");
    }
    // Segments: disjoint parts of whole streams that together are the log. The
    // ids of client d start on either side of where SQLite splits 2, 3 and 16 parts.
    let d = ctx(ClientId::new(), "ud");
    let mut on_edges = vec![];
    for first in [0x00, 0x0f, 0x10, 0x54, 0x55, 0x7f, 0x80, 0xa9, 0xaa, 0xef, 0xf0, 0xff] {
        let mut bytes = *Uuid::new_v4().as_bytes();
        bytes[0] = first;
        let id = Uuid::from_bytes(bytes);
        super::run(&*store, id, &super::connect(id, "x"), &d).await.unwrap();
        append_updates(&*store, &d, id, 1, 8).await;
        on_edges.push(id);
    }
    on_edges.sort();
    for count in [2, 3, 16] {
        let segments: Vec<_> = Segment::all(count).collect();
        let seen = whole(&*store, walked(&*store, Some(d.client_id), &segments, 2).await).await;
        assert_eq!(seen, on_edges, "{count} segments: every stream of the client once");
        // Of every client: each stream in one segment only.
        let all: Vec<_> = walked(&*store, None, &segments, 3).await.iter().map(|s| s[0].stream_id).collect();
        let distinct: HashSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), all.len(), "{count} segments of every client: no stream twice");
        assert!(on_edges.iter().all(|id| distinct.contains(id)), "{count} segments of every client: each stream");
    }
    let every = walked(&*store, None, &[Segment::WHOLE], 4).await;
    let clients: HashSet<_> = every.iter().map(|s| s[0].client_id).collect();
    assert!(clients.contains(&a.client_id) && clients.contains(&b.client_id), "without a client: all of them");
    // A page holds at most `limit` events and continues after `after`.
    let first = store.events_page(Some(a.client_id), Segment::WHOLE, None, 2).await.unwrap();
    assert_eq!(first.len(), 2);
    let after = first.last().map(|e| (e.stream_id, e.version));
    let next = store.events_page(Some(a.client_id), Segment::WHOLE, after, 2).await.unwrap();
    assert_eq!(next.len(), 2);
    assert!(next.iter().all(|e| !first.contains(e)));
    // Read models: every key, and one by one (another client's is not there).
    let mut keys = store.read_model_keys(Some(a.client_id)).await.unwrap();
    keys.sort();
    assert_eq!(keys, ids.iter().map(|id| (a.client_id, AccountId(*id))).collect::<Vec<_>>());
    assert_eq!(store.read_model_keys(None).await.unwrap().len(), store.all_accounts(None).await.unwrap().len());
    let one = store.read_model(a.client_id, AccountId(ids[0])).await.unwrap().expect("stored");
    assert_eq!(one.account.unwrap().id, AccountId(ids[0]));
    assert!(store.read_model(b.client_id, AccountId(ids[0])).await.unwrap().is_none());
    // A batch of them, in the keys' order: another client's key and an unknown
    // id answer nothing.
    let mut batch: Vec<_> = ids.iter().rev().map(|id| (a.client_id, AccountId(*id))).collect();
    batch.insert(1, (b.client_id, AccountId(ids[0])));
    batch.push((a.client_id, AccountId::new()));
    let got = store.read_models(&batch).await.unwrap();
    assert_eq!(got.len(), batch.len());
    for ((client_id, id), got) in batch.iter().zip(got) {
        let expected = store.get_account(*client_id, *id).await.unwrap();
        assert_eq!(got.map(|r| (r.client_id, r.id, r.account.unwrap())), expected.map(|a| (*client_id, *id, a)));
    }
    // Two ids far apart in a client of many accounts: both found.
    let c = ctx(ClientId::new(), "uc");
    let mut many = vec![];
    for _ in 0..40 {
        many.push(create(&*store, &c, "x").await);
    }
    many.sort();
    let ends = [(c.client_id, AccountId(many[0])), (c.client_id, AccountId(many[39]))];
    let got = store.read_models(&ends).await.unwrap();
    let got: Vec<_> = got.into_iter().map(|r| r.expect("stored").account.unwrap().id.0).collect();
    assert_eq!(got, vec![many[0], many[39]]);
}
