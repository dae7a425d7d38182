//! The store contract: behaviour every store
//! implementation must show. Each check is a plain async function over a fresh,
//! empty store; [`store_contract_tests!`] turns them into one `#[tokio::test]`
//! each for a given implementation.

mod audit;
mod lists;
mod people;
mod signins;
mod token_usage;
mod webhooks;
pub use audit::*;
pub use lists::*;
pub use people::*;
pub use signins::*;
pub use token_usage::*;
pub use webhooks::*;

use inbox_domain::{
    execute, project, time, AccountId, Changes, ClientId, Command, Context, Profile, State, StoredEvent,
};
use inbox_store::commands::{self, CommandError, Envelope};
use inbox_store::{ApiToken, Client, Commit, ListQuery, ReadModel, Store, StoreError};
use std::sync::Arc;
use uuid::Uuid;

/// Expands to one test per contract check; `$make` is an async expression giving
/// a fresh, empty store (an `impl Store + 'static`).
#[macro_export]
macro_rules! store_contract_tests {
    ($make:expr) => {
        $crate::store_contract_tests!(@each $make;
            commit_then_load, streams_are_read_by_version_range, stale_version_conflicts_and_writes_nothing,
            racing_commits_have_one_winner,
            empty_commit_writes_nothing, removal_hides_account_keeps_events, clients_are_isolated,
            list_filters_orders_and_pages, account_lists_follow_every_change, racing_creations_in_one_client_all_count,
            all_events_by_client_in_order, directory_users_and_clients,
            read_models_can_be_listed_and_replaced, api_tokens_are_found_listed_and_revoked,
            token_use_is_recorded_at_most_once_a_minute, token_request_log_pages_newest_first_and_hides_expired,
            users_change_with_their_history, user_changes_race_on_the_clients_users, refresh_families_rotate_once,
            login_attempts_are_counted_atomically_within_a_window,
            webhook_endpoints_change_with_their_history, webhook_messages_are_claimed_once_and_settled,
            the_log_is_read_a_page_at_a_time_each_stream_whole, sign_ins_are_taken_once_and_never_after_expiry,
            a_lease_has_one_holder_until_it_ends, one_provider_subject_is_one_account_of_a_client_even_when_racing,
            renewals_follow_each_accounts_expiry_while_it_is_signed_in);
    };
    (@each $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let store = std::sync::Arc::new($make);
                $crate::$name(store).await;
            }
        )*
    };
}

/// A new, never used token of a client (its secret hash is random).
pub fn token(client_id: ClientId, name: &str, now: inbox_domain::Timestamp) -> ApiToken {
    ApiToken {
        id: Uuid::new_v4(),
        client_id,
        name: name.into(),
        hint: "inbx_abc".into(),
        secret_hash: format!("{:064x}", Uuid::new_v4().as_u128()),
        created_by: "owner".into(),
        created_at: now,
        revoked_at: None,
        last_used: None,
    }
}

/// A commit decided outside the command path (to test the store's own checks).
fn raw_commit(
    stream_id: Uuid,
    client_id: ClientId,
    expected_version: u64,
    previous: &State,
    events: Vec<StoredEvent>,
    state: State,
) -> Commit {
    let read_model = ReadModel::Account { before: previous.clone(), after: state };
    Commit { stream_id, client_id, expected_version, events, read_model, idempotency: None }
}

/// The URL of a DynamoDB Local for tests: `INBOX_TEST_DYNAMODB_ENDPOINT` (tests/run.sh
/// sets it), else the shared instance `tests/dynamodb-local.sh start` installs and starts.
pub fn dynamodb_local() -> &'static str {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("INBOX_TEST_DYNAMODB_ENDPOINT") {
            return url;
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/dynamodb-local.sh");
        let out = std::process::Command::new(script).arg("start").output().expect("run tests/dynamodb-local.sh");
        assert!(out.status.success(), "cannot start DynamoDB Local: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    })
}

pub fn ctx(client: ClientId, actor: &str) -> Context {
    Context { client_id: client, actor: actor.into(), now: time::truncate(chrono::Utc::now()) }
}

/// The envelope of a command sent as `actor` of `ctx`'s client.
pub fn envelope(ctx: &Context) -> Envelope {
    Envelope {
        client_id: ctx.client_id,
        actor: ctx.actor.clone(),
        correlation_id: "contract".into(),
        at: None,
        idempotency: None,
    }
}

/// The command that creates account `account_id`.
pub fn connect(account_id: Uuid, integration: &str) -> Command {
    Command::Connect {
        account_id: AccountId(account_id),
        integration: integration.into(),
        reconnect_url: "https://connect.example.test/x".into(),
        history_sync_until: None,
    }
}

/// Runs a command through the one command path, as the API does.
pub async fn run(store: &dyn Store, id: Uuid, cmd: &Command, ctx: &Context) -> Result<State, CommandError> {
    let done = commands::execute(store, &envelope(ctx), id, |_| Ok::<_, CommandError>(cmd.clone())).await?;
    Ok(done.state)
}

pub async fn create(store: &dyn Store, ctx: &Context, integration: &str) -> Uuid {
    let account_id = Uuid::new_v4();
    run(store, account_id, &connect(account_id, integration), ctx).await.unwrap();
    account_id
}

/// Appends `n` updates (each with a description of `description_len` bytes) to
/// the account `id` of `ctx`'s client, up to 99 a commit: long streams for
/// tests and benchmarks, fast. Returns the state after them.
pub async fn append_updates(store: &dyn Store, ctx: &Context, id: Uuid, n: u64, description_len: usize) -> State {
    let meta = inbox_domain::Metadata {
        client_id: ctx.client_id,
        actor: ctx.actor.clone(),
        correlation_id: "bulk".into(),
        recorded_at: ctx.now,
    };
    let mut state = store.get_account(ctx.client_id, AccountId(id)).await.unwrap();
    let target = state.as_ref().expect("the account exists").version + n;
    while let Some(head) = state.clone().filter(|a| a.version < target) {
        let events: Vec<_> = (0..(target - head.version).min(99))
            .map(|i| {
                inbox_domain::AccountEvent::AccountUpdated(inbox_domain::events::Writable {
                    username: Some(format!("name {}", head.version + i)),
                    description: Some("d".repeat(description_len)),
                    avatar_url: None,
                    share_past_history: i % 2 == 0,
                })
            })
            .collect();
        let stored = inbox_domain::seal(id, head.version, &head.last_hash, &events, &meta);
        let next = stored.iter().try_fold(state.clone(), inbox_domain::apply).unwrap();
        store.commit(raw_commit(id, ctx.client_id, head.version, &state, stored, next)).await.unwrap();
        state = store.get_account(ctx.client_id, AccountId(id)).await.unwrap();
    }
    state
}

/// The connector's report of a finished sign-in.
pub fn authorize() -> Command {
    Command::Authorize(Profile { platform_id: "42".into(), username: Some("Ann".into()), ..Default::default() })
}

pub async fn commit_then_load(store: Arc<impl Store>) {
    let c = ctx(ClientId::new(), "u1");
    let id = create(&*store, &c, "whatsapp").await;
    run(&*store, id, &authorize(), &c).await.unwrap();
    let events = store.load_stream(id).await.unwrap();
    assert_eq!(events.iter().map(|e| e.version).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(events[0].event_type, "AccountConnected");
    assert_eq!(events[1].prev_hash, events[0].hash);
    inbox_domain::verify_chain(id, &events).unwrap();
    let stored = store.get_account(c.client_id, AccountId(id)).await.unwrap().unwrap();
    assert_eq!(Some(stored.clone()), project(&events).unwrap(), "read model equals replay");
    assert!(stored.is_authorized);
    assert_eq!(stored.version, 2);
}

pub async fn streams_are_read_by_version_range(store: Arc<impl Store>) {
    let c = ctx(ClientId::new(), "u1");
    let id = create(&*store, &c, "whatsapp").await;
    for i in 0..6 {
        let changes = Changes { description: Some(Some(format!("d{i}"))), ..Default::default() };
        run(&*store, id, &Command::Update(changes), &c).await.unwrap();
    }
    let all = store.load_stream(id).await.unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(store.stream_head(id).await.unwrap().as_ref(), all.last());
    assert_eq!(store.stream_range(id, 3, 5).await.unwrap(), all[2..5].to_vec());
    assert_eq!(store.stream_range(id, 6, 100).await.unwrap(), all[5..].to_vec());
    assert_eq!(store.stream_range(id, 8, 10).await.unwrap(), vec![]);
    assert_eq!(store.stream_head(Uuid::new_v4()).await.unwrap(), None);
    assert_eq!(store.stream_range(Uuid::new_v4(), 1, 30).await.unwrap(), vec![]);
}

pub async fn stale_version_conflicts_and_writes_nothing(store: Arc<impl Store>) {
    let c = ctx(ClientId::new(), "u1");
    let id = create(&*store, &c, "x").await;
    let before = store.get_account(c.client_id, AccountId(id)).await.unwrap();
    // Decide on a state that is one version behind the stored head.
    let (events, next) = execute(&None, id, &connect(id, "x"), &c, "stale").unwrap();
    let err = store.commit(raw_commit(id, c.client_id, 0, &None, events, next)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { expected: 0, .. }), "{err:?}");
    assert_eq!(store.load_stream(id).await.unwrap().len(), 1);
    assert_eq!(store.get_account(c.client_id, AccountId(id)).await.unwrap(), before);
}

pub async fn racing_commits_have_one_winner(store: Arc<impl Store + 'static>) {
    let c = ctx(ClientId::new(), "u1");
    let id = create(&*store, &c, "x").await;
    let state = store.get_account(c.client_id, AccountId(id)).await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let (store, c, state) = (store.clone(), c.clone(), state.clone());
            tokio::spawn(async move {
                let cmd = Command::Update(Changes { username: Some(Some(format!("n{i}"))), ..Default::default() });
                let (events, next) = execute(&state, id, &cmd, &c, "race").unwrap();
                store.commit(raw_commit(id, c.client_id, 1, &state, events, next)).await
            })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => wins += 1,
            Err(StoreError::Conflict { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(wins, 1);
    let events = store.load_stream(id).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(store.get_account(c.client_id, AccountId(id)).await.unwrap(), project(&events).unwrap());
}

pub async fn empty_commit_writes_nothing(store: Arc<impl Store>) {
    let c = ctx(ClientId::new(), "u1");
    let id = create(&*store, &c, "x").await;
    let state = store.get_account(c.client_id, AccountId(id)).await.unwrap();
    let (events, next) = execute(&state, id, &Command::Update(Changes::default()), &c, "noop").unwrap();
    assert!(events.is_empty());
    store.commit(raw_commit(id, c.client_id, 1, &state, events, next)).await.unwrap();
    assert_eq!(store.load_stream(id).await.unwrap().len(), 1);
}

pub async fn removal_hides_account_keeps_events(store: Arc<impl Store>) {
    let c = ctx(ClientId::new(), "u1");
    let id = create(&*store, &c, "gmail").await;
    assert_eq!(run(&*store, id, &Command::Remove, &c).await.unwrap(), None);
    assert_eq!(store.get_account(c.client_id, AccountId(id)).await.unwrap(), None);
    let page = store.list_accounts(c.client_id, &ListQuery { limit: 30, ..Default::default() }).await.unwrap();
    assert_eq!(page.total, 0);
    let events = store.load_stream(id).await.unwrap();
    assert_eq!(events.last().unwrap().event_type, "AccountRemoved");
    assert_eq!(project(&events).unwrap(), None);
}

pub async fn clients_are_isolated(store: Arc<impl Store>) {
    let a = ctx(ClientId::new(), "ua");
    let b = ctx(ClientId::new(), "ub");
    let id = create(&*store, &a, "x").await;
    create(&*store, &b, "x").await;
    assert_eq!(store.get_account(b.client_id, AccountId(id)).await.unwrap(), None);
    let page = store.list_accounts(b.client_id, &ListQuery { limit: 30, ..Default::default() }).await.unwrap();
    assert_eq!(page.total, 1);
    assert!(page.items.iter().all(|acc| acc.client_id == b.client_id && acc.id.0 != id));
}

pub async fn list_filters_orders_and_pages(store: Arc<impl Store>) {
    let c = ctx(ClientId::new(), "owner");
    let other = ctx(c.client_id, "customer");
    let mut ids = vec![];
    for i in 0..7 {
        let who = if i % 3 == 0 { &other } else { &c };
        let id = create(&*store, who, if i % 2 == 0 { "whatsapp" } else { "telegram" }).await;
        if i < 2 {
            run(&*store, id, &authorize(), &c).await.unwrap();
        }
        ids.push(id);
    }
    let q = |f: fn(&mut ListQuery)| {
        let mut q = ListQuery { limit: 30, ..Default::default() };
        f(&mut q);
        q
    };
    let all = store.list_accounts(c.client_id, &q(|_| {})).await.unwrap();
    assert_eq!(all.total, 7);
    let keys: Vec<_> = all.items.iter().map(|a| (a.created_at, a.id)).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "ordered by creation, then id");

    let wa = store.list_accounts(c.client_id, &q(|q| q.account_type = Some("whatsapp".into()))).await.unwrap();
    assert_eq!((wa.total, wa.items.len()), (4, 4));
    assert!(wa.items.iter().all(|a| a.integration == "whatsapp"));
    let auth = store.list_accounts(c.client_id, &q(|q| q.is_authorized = Some(true))).await.unwrap();
    assert_eq!(auth.total, 2);
    let unauth_tg = store
        .list_accounts(c.client_id, &q(|q| (q.is_authorized, q.account_type) = (Some(false), Some("telegram".into()))))
        .await
        .unwrap();
    assert_eq!(unauth_tg.total, 2);
    let mine = store.list_accounts(c.client_id, &q(|q| q.created_by = Some("customer".into()))).await.unwrap();
    assert_eq!(mine.total, 3);
    assert!(mine.items.iter().all(|a| a.created_by == "customer"));

    let page2 =
        store.list_accounts(c.client_id, &ListQuery { offset: 3, limit: 3, ..Default::default() }).await.unwrap();
    assert_eq!(page2.total, 7);
    assert_eq!(page2.items, all.items[3..6].to_vec());
    let past =
        store.list_accounts(c.client_id, &ListQuery { offset: 30, limit: 30, ..Default::default() }).await.unwrap();
    assert_eq!((past.total, past.items.len()), (7, 0));
}

pub async fn all_events_by_client_in_order(store: Arc<impl Store>) {
    let a = ctx(ClientId::new(), "ua");
    let b = ctx(ClientId::new(), "ub");
    for _ in 0..3 {
        let id = create(&*store, &a, "x").await;
        run(&*store, id, &authorize(), &a).await.unwrap();
    }
    create(&*store, &b, "x").await;
    let of_a = store.all_events(Some(a.client_id)).await.unwrap();
    assert_eq!(of_a.len(), 6);
    assert!(of_a.iter().all(|e| e.client_id == a.client_id));
    let keys: Vec<_> = of_a.iter().map(|e| (e.stream_id, e.version)).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let every: Vec<StoredEvent> = store.all_events(None).await.unwrap();
    assert!(every.len() >= 7);
    assert!(every.iter().any(|e| e.client_id == b.client_id));
}

pub async fn directory_users_and_clients(store: Arc<impl Store>) {
    let now = time::truncate(chrono::Utc::now());
    let t = Client { id: ClientId::new(), name: "Acme".into(), plan: "enterprise".into(), created_at: now };
    store.create_client(&t).await.unwrap();
    assert!(store.has_clients().await.unwrap());
    assert_eq!(store.get_client(t.id).await.unwrap(), Some(t.clone()));
    assert_eq!(store.get_client(ClientId::new()).await.unwrap(), None);
}

pub async fn read_models_can_be_listed_and_replaced(store: Arc<impl Store>) {
    let a = ctx(ClientId::new(), "ua");
    let b = ctx(ClientId::new(), "ub");
    let id = create(&*store, &a, "x").await;
    create(&*store, &b, "gmail").await;
    assert_eq!(store.all_accounts(None).await.unwrap().len(), 2);
    let of_a = store.all_accounts(Some(a.client_id)).await.unwrap();
    assert_eq!(of_a.len(), 1);
    assert_eq!((of_a[0].client_id, of_a[0].id), (a.client_id, AccountId(id)));
    let mut edited = of_a[0].account.clone().unwrap();
    edited.username = Some("tampered".into());
    store.replace_read_model(a.client_id, AccountId(id), Some(&edited)).await.unwrap();
    assert_eq!(store.get_account(a.client_id, AccountId(id)).await.unwrap(), Some(edited));
    store.replace_read_model(a.client_id, AccountId(id), None).await.unwrap();
    assert_eq!(store.get_account(a.client_id, AccountId(id)).await.unwrap(), None);
    assert_eq!(store.load_stream(id).await.unwrap().len(), 1, "events untouched");
}

pub async fn api_tokens_are_found_listed_and_revoked(store: Arc<impl Store>) {
    let now = time::truncate(chrono::Utc::now());
    let client = Client { id: ClientId::new(), name: "T".into(), plan: "free".into(), created_at: now };
    store.create_client(&client).await.unwrap();
    let (a, b) = (token(client.id, "ci", now), token(client.id, "zapier", now));
    store.create_api_token(&a).await.unwrap();
    store.create_api_token(&b).await.unwrap();
    assert_eq!(store.find_api_token(&a.secret_hash).await.unwrap(), Some(a.clone()));
    assert_eq!(store.find_api_token("nope").await.unwrap(), None);
    let mut listed = store.list_api_tokens(client.id).await.unwrap();
    listed.sort_by_key(|t| t.name.clone());
    assert_eq!(listed, vec![a.clone(), b.clone()]);
    assert!(store.list_api_tokens(ClientId::new()).await.unwrap().is_empty());

    assert!(!store.revoke_api_token(ClientId::new(), a.id, now).await.unwrap(), "another client's token");
    assert!(store.revoke_api_token(client.id, a.id, now).await.unwrap());
    let revoked = store.find_api_token(&a.secret_hash).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(now));
    assert!(store.list_api_tokens(client.id).await.unwrap().iter().any(|t| t.id == a.id && t.revoked_at == Some(now)));
    assert_eq!(store.find_api_token(&b.secret_hash).await.unwrap().unwrap().revoked_at, None);
}
