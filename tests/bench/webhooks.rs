//! Webhook delivery, end to end through `inbox serve`, on SQLite and on
//! DynamoDB Local (its stream): `cargo bench -p inbox-tests --bench webhooks`
//! (DynamoDB Local from `INBOX_TEST_DYNAMODB_ENDPOINT`, else started).
//!
//! - latency: account creations one after another; for each message, receipt
//!   time minus the event's `recordedAt` (median, p99);
//! - throughput: a backlog of messages whose first attempt failed (receiver
//!   down), all due when the server starts again; messages/s from the first
//!   receipt to the last.
//!
//! The baselines, in the same run: the receiver's own rate for the same number
//! of POSTs sent directly, 16 at a time (the dispatcher's parallelism); and on
//! DynamoDB Local, its own rate of the conditional transaction an attempt
//! makes two of (claiming and settling a message), 16 at a time.

#[path = "../support/mod.rs"]
mod support;

use inbox_store_contract as contract;
use serde_json::json;
use std::net::TcpListener;
use std::time::{Duration, Instant};
use support::receiver::Receiver;
use support::*;

const LATENCY_EVENTS: usize = 200;
const BACKLOG: usize = 1000;

fn server(schedule: &str) -> Server {
    server_on(schedule, temp_dir("bench-wh"))
}

fn server_on(schedule: &str, dir: std::path::PathBuf) -> Server {
    let mut env = env(&dir);
    env.push(("INBOX_WEBHOOK_ALLOW_PRIVATE".into(), "1".into()));
    env.push(("INBOX_WEBHOOK_RETRY_SCHEDULE".into(), schedule.into()));
    env.push(("RUST_LOG".into(), "error".into()));
    Server::start_env(&["--no-demo"], dir, env)
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn latency() -> (i64, i64) {
    let srv = server("0,1,1");
    let owner = srv.client("owner");
    let receiver = Receiver::start(&[]);
    assert_eq!(srv.post_json("/api/webhooks", Some(&owner.token), &json!({"url": receiver.url})).status, 201);
    for _ in 0..LATENCY_EVENTS {
        srv.create_account(&owner, "whatsapp");
    }
    let got = receiver.wait_up_to(LATENCY_EVENTS, Duration::from_secs(120));
    assert_eq!(got.len(), LATENCY_EVENTS, "every message arrives");
    let mut ms: Vec<i64> = got
        .iter()
        .map(|m| {
            let recorded = m.json()["data"]["event"]["recordedAt"].as_str().unwrap().to_string();
            m.at_ms - chrono::DateTime::parse_from_rfc3339(&recorded).unwrap().timestamp_millis()
        })
        .collect();
    ms.sort();
    (percentile(&ms, 0.5), percentile(&ms, 0.99))
}

fn throughput() -> f64 {
    // Nothing listens yet: every first attempt fails, the second is due 2 s later.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let srv = server("0,2,1,1,1");
    let owner = srv.client("owner");
    let url = format!("http://127.0.0.1:{port}/hook");
    assert_eq!(srv.post_json("/api/webhooks", Some(&owner.token), &json!({"url": url})).status, 201);
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (base, token) = (srv.base.clone(), owner.token.clone());
            std::thread::spawn(move || {
                for _ in 0..BACKLOG / 8 {
                    let body = json!({"integration": "/api/integrations/gmail"}).to_string();
                    let r = call(
                        "POST",
                        &format!("{base}/api/accounts"),
                        Some(&token),
                        Some(("application/json", &body)),
                        &[],
                    );
                    assert_eq!(r.status, 201);
                }
            })
        })
        .collect();
    workers.into_iter().for_each(|w| w.join().unwrap());
    // Stop the server once the first attempts are made, let every retry fall
    // due, then start it again with the receiver up: the whole backlog is due.
    std::thread::sleep(Duration::from_secs(1));
    let data = srv.stop_keeping_data();
    std::thread::sleep(Duration::from_secs(3));
    let receiver = Receiver::on(TcpListener::bind(("127.0.0.1", port)).unwrap(), &[]);
    let _again = server_on("0,2,1,1,1", data);
    let got = receiver.wait_up_to(BACKLOG, Duration::from_secs(180));
    assert_eq!(got.len(), BACKLOG, "the whole backlog arrives");
    let (first, last) = (got.iter().map(|m| m.at_ms).min().unwrap(), got.iter().map(|m| m.at_ms).max().unwrap());
    BACKLOG as f64 / ((last - first).max(1) as f64 / 1000.0)
}

/// The receiver's own rate: the same number of POSTs, 16 senders.
fn baseline() -> f64 {
    let receiver = Receiver::start(&[]);
    let started = Instant::now();
    let senders: Vec<_> = (0..16)
        .map(|_| {
            let url = receiver.url.clone();
            std::thread::spawn(move || {
                for _ in 0..BACKLOG / 16 {
                    let r = call("POST", &url, None, Some(("application/json", r#"{"type":"bench"}"#)), &[]);
                    assert_eq!(r.status, 200);
                }
            })
        })
        .collect();
    senders.into_iter().for_each(|s| s.join().unwrap());
    (BACKLOG / 16 * 16) as f64 / started.elapsed().as_secs_f64()
}

/// DynamoDB Local's rate of message claims (one `TransactWriteItems` each), 16 at once.
fn dynamodb_claims() -> f64 {
    use inbox_store::{DynamoStore, Message, Tables, Webhooks};
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let tables = Tables::prefixed(&format!("bench{}", uuid::Uuid::new_v4().simple()));
        let store = std::sync::Arc::new(DynamoStore::local(contract::dynamodb_local(), tables).await);
        store.create_tables().await.unwrap();
        let e = contract::endpoint(&*store, inbox_domain::ClientId::new(), "https://example.test/").await;
        let now = inbox_domain::time::truncate(chrono::Utc::now());
        let messages: Vec<Message> = (0..400).map(|_| contract::message(&e, now)).collect();
        store.enqueue_messages(&messages).await.unwrap();
        let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
        let started = Instant::now();
        let mut claims = tokio::task::JoinSet::new();
        for m in messages {
            let (store, limit) = (store.clone(), limit.clone());
            claims.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let claimed = Message { due_at: Some(now + chrono::Duration::seconds(60)), ..m.clone() };
                assert!(store.update_message(&m, &claimed, None).await.unwrap());
            });
        }
        while claims.join_next().await.is_some() {}
        400.0 / started.elapsed().as_secs_f64()
    })
}

fn main() {
    // `cargo test --all-targets` runs bench targets without `--bench`: nothing to do then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("receiver alone, {BACKLOG} POSTs, 16 senders: {:.0} messages/s (baseline)", baseline());
    println!(
        "DynamoDB Local alone, 400 message claims, 16 at once: {:.0} transactions/s (baseline)",
        dynamodb_claims()
    );
    for store in ["sqlite", "dynamodb"] {
        std::env::set_var("INBOX_TEST_STORE", store);
        let (median, p99) = latency();
        println!("{store}: commit to receipt over {LATENCY_EVENTS} events: median {median} ms, p99 {p99} ms");
        println!("{store}: a backlog of {BACKLOG} due messages: {:.0} messages/s", throughput());
    }
}
