//! Account list page latency and cost by client size, on SQLite and DynamoDB
//! Local: `cargo bench -p inbox-store --bench lists` (DynamoDB Local from
//! `INBOX_TEST_DYNAMODB_ENDPOINT`, else `tests/dynamodb-local.sh start`).
//!
//! One client grows to 100, 10,000 and 100,000 accounts (on SQLite created
//! through the command path; on DynamoDB Local, which runs one transaction at a
//! time, written as read models and put in the lists by `reindex_lists`, created
//! over the past year). At each size: page 1 and page 100 (`?page=N`, 30 a page;
//! also its first read, which on DynamoDB walks from the start), the
//! same page 100 by key (the `c2.` cursor), a filtered page 1, and one GET; on
//! DynamoDB also the read capacity each consumed. The baseline, in the same run
//! on the same data, is how a page was read before the lists: the client's whole
//! partition (DynamoDB: a consistent `Query`; SQLite: `COUNT(*)` and `OFFSET`
//! over the filtered accounts), then cut.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use inbox_domain::ClientId;
use inbox_store::lists::Member;
use inbox_store::{DynamoStore, ListQuery, ReadModelAdmin, SqliteStore, Store, Tables};
use inbox_store_contract as contract;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const PAGE: u64 = 30;
const SAMPLES: usize = 21;
const TYPES: [&str; 7] = ["whatsapp", "linkedin", "telegram", "instagram", "x", "gmail", "outlook"];

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `i`th account of the client, as its creation leaves it: 7 integrations
/// in turn, one in ten created by one of ten customers.
fn account(client: ClientId, i: usize) -> (inbox_domain::Context, Uuid, inbox_domain::Command) {
    let who = if i.is_multiple_of(10) { format!("customer:{}", i % 100) } else { "owner".into() };
    let id = Uuid::new_v4();
    (contract::ctx(client, &who), id, contract::connect(id, TYPES[i % TYPES.len()]))
}

/// How the client grows from `from` to `to` accounts.
trait Seed {
    async fn grow(&self, client: ClientId, from: usize, to: usize);
}

/// Through the command path, 16 creations at a time.
struct Commands<S>(Arc<S>);

impl<S: Store + 'static> Seed for Commands<S> {
    async fn grow(&self, client: ClientId, from: usize, to: usize) {
        let workers: Vec<_> = (0..16)
            .map(|w| {
                let store = self.0.clone();
                tokio::spawn(async move {
                    for i in (from + w..to).step_by(16) {
                        let (c, id, cmd) = account(client, i);
                        contract::run(&*store, id, &cmd, &c).await.unwrap();
                    }
                })
            })
            .collect();
        for w in workers {
            w.await.unwrap();
        }
    }
}

/// DynamoDB Local runs one transaction at a time (about 30 creations/s here), so
/// large clients are written as the migration of an older installation is:
/// read models in batches, then `reindex_lists` (the `inbox dynamodb migrate` path).
struct Migrated {
    store: Arc<DynamoStore>,
    raw: aws_sdk_dynamodb::Client,
    table: String,
    /// When the first account was created: migrated accounts are a year's worth
    /// (100,000 five minutes apart), and only settled members take marks.
    since: inbox_domain::Timestamp,
}

impl Seed for Migrated {
    async fn grow(&self, client: ClientId, from: usize, to: usize) {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        let item = |i: usize| {
            let (c, id, cmd) = account(client, i);
            let c = inbox_domain::Context { now: self.since + chrono::TimeDelta::minutes(5 * i as i64), ..c };
            let (_, state) = inbox_domain::execute(&None, id, &cmd, &c, "bench").unwrap();
            let a = state.unwrap();
            let s = |v: String| AttributeValue::S(v);
            let item = [
                ("clientId", s(a.client_id.to_string())),
                ("id", s(a.id.to_string())),
                ("version", AttributeValue::N(a.version.to_string())),
                ("accountType", s(a.integration.clone())),
                ("isAuthorized", AttributeValue::Bool(a.is_authorized)),
                ("createdBy", s(a.created_by.clone())),
                ("createdAt", s(inbox_domain::time::format(&a.created_at))),
                ("body", s(serde_json::to_string(&a).unwrap())),
            ];
            let put = PutRequest::builder().set_item(Some(item.map(|(k, v)| (k.to_string(), v)).into()));
            WriteRequest::builder().put_request(put.build().unwrap()).build()
        };
        let mut batches = tokio::task::JoinSet::new();
        for start in (from..to).step_by(25) {
            if batches.len() >= 8 {
                batches.join_next().await.unwrap().unwrap();
            }
            let writes: Vec<_> = (start..(start + 25).min(to)).map(item).collect();
            let (raw, table) = (self.raw.clone(), self.table.clone());
            batches.spawn(async move {
                let mut pending = writes;
                while !pending.is_empty() {
                    let out = raw.batch_write_item().request_items(&table, pending).send().await.unwrap();
                    pending = out.unprocessed_items.unwrap_or_default().remove(&table).unwrap_or_default();
                }
            });
        }
        while let Some(done) = batches.join_next().await {
            done.unwrap();
        }
        self.store.reindex_lists(client).await.unwrap();
    }
}

/// How a page was read before the lists (the baseline).
trait Before {
    async fn page(&self, client: ClientId, q: &ListQuery) -> (usize, f64);
}

struct Row {
    name: &'static str,
    latency: Duration,
    capacity: f64,
}

async fn sample<F, Fut>(mut read: F) -> (Duration, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = f64>,
{
    let mut times = vec![];
    let mut capacity = 0.0;
    for _ in 0..SAMPLES {
        let t = Instant::now();
        capacity = read().await;
        times.push(t.elapsed());
    }
    (median(times), capacity)
}

async fn measure<S: Store + 'static>(
    store: &Arc<S>,
    capacity: impl Fn() -> f64,
    before: &impl Before,
    client: ClientId,
) -> Vec<Row> {
    let q = |offset: u64| ListQuery { offset, limit: PAGE, ..ListQuery::default() };
    // A deep page read first, or first since members moved: on DynamoDB it walks
    // from the list's start (and takes the marks later reads start from).
    let (start, t) = (capacity(), Instant::now());
    store.list_accounts(client, &q(99 * PAGE)).await.unwrap();
    let first = Row { name: "page 100, first", latency: t.elapsed(), capacity: capacity() - start };
    let deep = store.list_accounts(client, &ListQuery { offset: 99 * PAGE - 1, limit: 1, ..q(0) }).await.unwrap();
    let after = deep.items.first().map(|a| Member::of(a).sort_key());
    let any = store.list_accounts(client, &q(0)).await.unwrap().items[0].id;
    let filtered = ListQuery { account_type: Some("whatsapp".into()), ..q(0) };
    let mut rows = vec![];
    let cases: [(&'static str, ListQuery); 4] = [
        ("page 1", q(0)),
        ("page 100", q(99 * PAGE)),
        ("page 100 by key", ListQuery { after: after.clone(), ..q(0) }),
        ("page 1, whatsapp", filtered.clone()),
    ];
    for (name, query) in cases {
        let (latency, capacity) = sample(|| {
            let (store, query, capacity) = (store.clone(), query.clone(), &capacity);
            async move {
                let start = capacity();
                let page = store.list_accounts(client, &query).await.unwrap();
                assert!(page.total > 0);
                capacity() - start
            }
        })
        .await;
        rows.push(Row { name, latency, capacity });
    }
    rows.insert(2, first);
    let (latency, capacity) = sample(|| {
        let (store, capacity) = (store.clone(), &capacity);
        async move {
            let start = capacity();
            store.get_account(client, any).await.unwrap().unwrap();
            capacity() - start
        }
    })
    .await;
    rows.push(Row { name: "GET one account", latency, capacity });
    for (name, query) in [("before: page 1", q(0)), ("before: page 100", q(99 * PAGE))] {
        let mut times = vec![];
        let mut capacity = 0.0;
        for _ in 0..5 {
            let t = Instant::now();
            capacity = before.page(client, &query).await.1;
            times.push(t.elapsed());
        }
        rows.push(Row { name, latency: median(times), capacity });
    }
    rows
}

async fn report<S: Store + 'static>(
    name: &str,
    store: Arc<S>,
    seed: impl Seed,
    capacity: impl Fn() -> f64,
    before: impl Before,
) {
    println!("\n{name}: list page latency (median of {SAMPLES}; before: of 5) and read capacity a page");
    println!("{:>8}  {:<18} {:>10} {:>10}", "accounts", "read", "ms", "RCU");
    let client = ClientId::new();
    let (mut size, mut first_pages) = (0, vec![]);
    for &target in &sizes() {
        let t = Instant::now();
        seed.grow(client, size, target).await;
        size = target;
        eprintln!("  ({target} accounts, created in {:.1} s)", t.elapsed().as_secs_f64());
        let rows = measure(&store, &capacity, &before, client).await;
        for r in &rows {
            println!("{target:>8}  {:<18} {:>10.2} {:>10.1}", r.name, ms(r.latency), r.capacity);
        }
        first_pages.push((rows[0].latency, rows[0].capacity, rows[1].latency, rows[2].latency));
    }
    let (small, large) = (first_pages[0], first_pages[first_pages.len() - 1]);
    println!(
        "page 1 at {size} / at {} accounts: {:.2}x latency (target at most 1.5x), capacity {:.1} vs {:.1} RCU (target within 10 %)",
        sizes()[0],
        ms(large.0) / ms(small.0),
        large.1,
        small.1
    );
    println!(
        "page 100 / page 1 at {size} accounts: {:.2}x (target at most 3x); its first read: {:.2}x",
        ms(large.2) / ms(large.0),
        ms(large.3) / ms(large.0)
    );
}

/// Client sizes measured: `INBOX_BENCH_ACCOUNTS` (comma-separated, ascending)
/// for a quicker run, else 100, 10,000 and 100,000.
fn sizes() -> Vec<usize> {
    let list = std::env::var("INBOX_BENCH_ACCOUNTS").unwrap_or_else(|_| "100,10000,100000".into());
    list.split(',').map(|n| n.trim().parse().expect("INBOX_BENCH_ACCOUNTS: numbers")).collect()
}

/// The DynamoDB baseline: one consistent `Query` of the client's whole partition.
struct DynamoBefore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl Before for DynamoBefore {
    async fn page(&self, client: ClientId, q: &ListQuery) -> (usize, f64) {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("clientId = :c")
            .expression_attribute_values(":c", AttributeValue::S(client.to_string()))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .into_paginator()
            .send();
        let (mut keys, mut rcu) = (vec![], 0.0);
        while let Some(page) = pages.next().await {
            let page = page.unwrap();
            rcu += page.consumed_capacity.and_then(|c| c.capacity_units).unwrap_or(0.0);
            for item in page.items.unwrap_or_default() {
                let at = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
                keys.push((at("createdAt"), at("id"), item.get("body").cloned()));
            }
        }
        keys.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        (keys.into_iter().skip(q.offset as usize).take(q.limit as usize).count(), rcu)
    }
}

/// The SQLite baseline: the filtered `COUNT(*)`, then `ORDER BY … OFFSET`.
struct SqliteBefore(std::sync::Mutex<rusqlite::Connection>);

impl Before for SqliteBefore {
    async fn page(&self, client: ClientId, q: &ListQuery) -> (usize, f64) {
        const FILTER: &str = "client_id = ?1 AND (?2 IS NULL OR account_type = ?2)
            AND (?3 IS NULL OR is_authorized = ?3) AND (?4 IS NULL OR created_by = ?4)";
        let conn = self.0.lock().unwrap();
        let args = rusqlite::params![client.to_string(), q.account_type, q.is_authorized, q.created_by];
        let _total: i64 =
            conn.query_row(&format!("SELECT COUNT(*) FROM accounts WHERE {FILTER}"), args, |r| r.get(0)).unwrap();
        let sql = format!("SELECT body FROM accounts WHERE {FILTER} ORDER BY created_at, id LIMIT ?5 OFFSET ?6");
        let mut stmt = conn.prepare(&sql).unwrap();
        let args = rusqlite::params![
            client.to_string(),
            q.account_type,
            q.is_authorized,
            q.created_by,
            q.limit as i64,
            q.offset as i64
        ];
        (stmt.query_map(args, |r| r.get::<_, String>(0)).unwrap().count(), 0.0)
    }
}

fn sqlite_before(path: &Path) -> SqliteBefore {
    SqliteBefore(std::sync::Mutex::new(rusqlite::Connection::open(path).unwrap()))
}

#[tokio::main]
async fn main() {
    // `cargo test --all-targets` runs bench binaries too, without `--bench`.
    if !std::env::args().any(|a| a == "--bench") {
        println!("lists: a benchmark; run it with `cargo bench -p inbox-store --bench lists`");
        return;
    }
    let dir = std::env::temp_dir().join(format!("inbox-bench-{}", Uuid::new_v4()));
    let path = dir.join("inbox.db");
    let sqlite = Arc::new(SqliteStore::open(&path).unwrap());
    report("SQLite (file, WAL)", sqlite.clone(), Commands(sqlite), || 0.0, sqlite_before(&path)).await;
    std::fs::remove_dir_all(&dir).ok();

    let tables = Tables::prefixed(&format!("bench{}", Uuid::new_v4().simple()));
    let dynamo = Arc::new(DynamoStore::local(contract::dynamodb_local(), tables.clone()).await);
    dynamo.create_tables().await.unwrap();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(contract::dynamodb_local())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("local", "local", None, None, "local"))
        .load()
        .await;
    let raw = aws_sdk_dynamodb::Client::new(&sdk);
    let before = DynamoBefore { client: raw.clone(), table: tables.accounts.clone() };
    let since = chrono::Utc::now() - chrono::TimeDelta::days(365);
    let seed = Migrated { store: dynamo.clone(), raw, table: tables.accounts.clone(), since };
    let counter = dynamo.clone();
    report("DynamoDB Local", dynamo, seed, move || counter.calls().capacity(), before).await;
}
