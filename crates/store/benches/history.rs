//! History page latency by stream length, on SQLite and DynamoDB Local:
//! `cargo bench -p inbox-store --bench history` (DynamoDB Local from
//! `INBOX_TEST_DYNAMODB_ENDPOINT`, else `tests/dynamodb-local.sh start`).
//!
//! A page is what `GET /api/accounts/{id}/events?page=N` reads: the stream's
//! head, then 30 versions by range. The baseline, measured in the same run on
//! the same data, is how pages were read before: the whole stream, then cut.

use inbox_store::{DynamoStore, SqliteStore, Store, Tables};
use inbox_store_contract as contract;
use std::time::{Duration, Instant};
use uuid::Uuid;

const PAGE: u64 = 30;
const SAMPLES: usize = 30;

/// A stream of `len` events (one connect, then updates).
async fn stream_of(store: &dyn Store, len: u64) -> Uuid {
    let c = contract::ctx(inbox_domain::ClientId::new(), "bench");
    let id = Uuid::new_v4();
    contract::run(store, id, &contract::connect(id, "whatsapp"), &c).await.unwrap();
    contract::append_updates(store, &c, id, len - 1, 32).await;
    id
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// Median latency of reading page `page` of the stream, both ways. Each way is
/// sampled in a block of its own: freeing a whole 100,000-event stream stalls
/// whatever runs right after it, which is not the page read's doing.
async fn measure(store: &dyn Store, id: Uuid, page: u64) -> (Duration, Duration) {
    let first = (page - 1) * PAGE + 1;
    let mut ranged = vec![];
    for _ in 0..SAMPLES {
        let t = Instant::now();
        let head = store.stream_head(id).await.unwrap().unwrap();
        let events = store.stream_range(id, first, first + PAGE - 1).await.unwrap();
        ranged.push(t.elapsed());
        assert!(head.version >= first && !events.is_empty());
    }
    // The baseline reads the whole stream: a few samples say enough.
    let mut whole = vec![];
    for _ in 0..5 {
        let t = Instant::now();
        let all = store.load_stream(id).await.unwrap();
        let cut = all.iter().skip((first - 1) as usize).take(PAGE as usize).count();
        whole.push(t.elapsed());
        assert!(cut > 0);
    }
    (median(ranged), median(whole))
}

async fn report(name: &str, store: &dyn Store) {
    println!("\n{name}: history page latency, median of {SAMPLES} (baseline: of 5), page 1 and the last page");
    println!("{:>8} {:>6} {:>16} {:>22}", "events", "page", "by range (now)", "whole stream (before)");
    let mut first_pages = vec![];
    for len in [10u64, 100_000] {
        let seeded = Instant::now();
        let id = stream_of(store, len).await;
        eprintln!("  ({len} events written in {:.1} s)", seeded.elapsed().as_secs_f64());
        let last = len.div_ceil(PAGE);
        for page in if last > 1 { vec![1, last] } else { vec![1] } {
            let (ranged, whole) = measure(store, id, page).await;
            println!("{len:>8} {page:>6} {:>13.2} ms {:>19.2} ms", ms(ranged), ms(whole));
            if page == 1 {
                first_pages.push(ranged);
            }
        }
    }
    let ratio = first_pages[1].as_secs_f64() / first_pages[0].as_secs_f64();
    println!("page 1 at 100000 events / at 10 events: {ratio:.2}x (target: at most 1.5x)");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    // `cargo test --all-targets` runs bench binaries too, without `--bench`:
    // measuring is for `cargo bench` only.
    if !std::env::args().any(|a| a == "--bench") {
        println!("history: a benchmark; run it with `cargo bench -p inbox-store --bench history`");
        return;
    }
    let dir = std::env::temp_dir().join(format!("inbox-bench-{}", Uuid::new_v4()));
    let sqlite = SqliteStore::open(&dir.join("inbox.db")).unwrap();
    report("SQLite (file, WAL)", &sqlite).await;
    std::fs::remove_dir_all(&dir).ok();
    let dynamo =
        DynamoStore::local(contract::dynamodb_local(), Tables::prefixed(&format!("bench{}", Uuid::new_v4().simple())))
            .await;
    dynamo.create_tables().await.unwrap();
    report("DynamoDB Local", &dynamo).await;
}
