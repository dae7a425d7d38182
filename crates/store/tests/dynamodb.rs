//! The store contract on DynamoDB (the official DynamoDB Local), plus what only
//! DynamoDB must show: round trips per operation and streams over 1 MB.

use inbox_domain::project;
use inbox_store::{AccountReads, DynamoStore, EventStore, ListQuery, Tables};
use inbox_store_contract as contract;
use std::collections::BTreeMap;
use uuid::Uuid;

fn endpoint() -> &'static str {
    contract::dynamodb_local()
}

/// A store on tables of its own, so every test starts empty.
async fn fresh() -> DynamoStore {
    let store = DynamoStore::local(endpoint(), Tables::prefixed(&format!("t{}", Uuid::new_v4().simple()))).await;
    assert_eq!(store.create_tables().await.unwrap().len(), 3);
    store
}

mod contract_suite {
    use super::*;
    inbox_store_contract::store_contract_tests!(fresh().await);
}

/// A plain SDK client on DynamoDB Local, to write what an earlier version stored.
async fn raw_client() -> aws_sdk_dynamodb::Client {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("local", "local", None, None, "t"))
        .load()
        .await;
    aws_sdk_dynamodb::Client::new(&sdk)
}

fn delta(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after.iter().map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0))).filter(|(_, v)| *v > 0).collect()
}

fn calls(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[tokio::test]
async fn round_trips_per_operation() {
    let store = fresh().await;
    let c = contract::ctx(inbox_domain::ClientId::new(), "u");
    let id = Uuid::new_v4();
    let connect = contract::connect(id, "x");
    let before = store.calls().snapshot();
    contract::run(&store, id, &connect, &c).await.unwrap();
    let update =
        inbox_domain::Command::Update(inbox_domain::Changes { username: Some(Some("n".into())), ..Default::default() });
    let mid = store.calls().snapshot();
    contract::run(&store, id, &update, &c).await.unwrap();
    assert_eq!(delta(&mid, &store.calls().snapshot()), calls(&[("GetItem", 1), ("TransactWriteItems", 1)]), "command");
    assert_eq!(delta(&before, &mid), calls(&[("GetItem", 1), ("TransactWriteItems", 1)]), "create");

    let before = store.calls().snapshot();
    store.get_account(c.client_id, inbox_domain::AccountId(id)).await.unwrap().unwrap();
    assert_eq!(delta(&before, &store.calls().snapshot()), calls(&[("GetItem", 1)]), "GET item");

    let before = store.calls().snapshot();
    let q = ListQuery { account_type: Some("x".into()), limit: 30, ..Default::default() };
    assert_eq!(store.list_accounts(c.client_id, &q).await.unwrap().total, 1);
    let page = calls(&[("GetItem", 1), ("Query", 1), ("BatchGetItem", 1)]);
    assert_eq!(delta(&before, &store.calls().snapshot()), page, "list page with its total");
}

#[tokio::test]
async fn a_stream_over_one_megabyte_loads_whole() {
    let store = fresh().await;
    let c = contract::ctx(inbox_domain::ClientId::new(), "u");
    let id = Uuid::new_v4();
    let connect = contract::connect(id, "x");
    contract::run(&store, id, &connect, &c).await.unwrap();
    let state = contract::append_updates(&store, &c, id, 12 * 90, 1000).await;
    let bytes: usize = store.load_stream(id).await.unwrap().iter().map(|e| e.payload.to_string().len()).sum();
    assert!(bytes > 1024 * 1024, "payloads alone are {bytes} bytes");
    let loaded = store.load_stream(id).await.unwrap();
    assert_eq!(loaded.len(), 1 + 12 * 90);
    inbox_domain::verify_chain(id, &loaded).unwrap();
    assert_eq!(project(&loaded).unwrap(), state);
    assert_eq!(store.all_events(Some(c.client_id)).await.unwrap().len(), loaded.len());
}

#[tokio::test]
async fn a_missing_table_is_a_clear_unavailable_error() {
    let store = DynamoStore::local(endpoint(), Tables::prefixed("never-created")).await;
    let err = store.get_account(inbox_domain::ClientId::new(), inbox_domain::AccountId::new()).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, inbox_store::StoreError::Unavailable(_)), "{err:?}");
    assert!(text.contains("never-created-inbox-accounts") && text.contains(endpoint()), "{text}");

    let down = DynamoStore::local("http://127.0.0.1:9", Tables::default()).await;
    let err = down.list_accounts(inbox_domain::ClientId::new(), &ListQuery::default()).await.unwrap_err();
    assert!(matches!(err, inbox_store::StoreError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("127.0.0.1:9"), "{err}");
}

/// A user stored by an earlier version (one item, by username, without
/// `enabled` or `version`) logs in as before, and `index_users` lists it
/// under its client, once.
#[tokio::test]
async fn users_from_before_are_listed_under_their_client_by_the_migration() {
    use aws_sdk_dynamodb::types::AttributeValue::{L, S};
    use inbox_store::Users;
    let store = fresh().await;
    let (client, id) = (inbox_domain::ClientId::new(), inbox_domain::UserId::new());
    raw_client()
        .await
        .put_item()
        .table_name(&store.tables().directory)
        .item("pk", S("USER#legacy@example.test".into()))
        .item("sk", S("USER".into()))
        .item("id", S(id.to_string()))
        .item("tenantId", S(client.to_string()))
        .item("username", S("legacy@example.test".into()))
        .item("passwordHash", S("$argon2id$legacy".into()))
        .item("roles", L(vec![S("ROLE_OWNER".into())]))
        .item("createdAt", S("2026-01-01T00:00:00.000Z".into()))
        .send()
        .await
        .unwrap();
    let found = store.find_user("legacy@example.test").await.unwrap().unwrap();
    assert_eq!((found.id, found.enabled, found.version), (id, true, 0));
    assert_eq!(store.team(client).await.unwrap(), None);
    assert_eq!(store.index_users().await.unwrap(), 1);
    assert_eq!(store.team(client).await.unwrap().unwrap().members, vec![found.clone()]);
    assert_eq!(store.get_user(client, id).await.unwrap(), Some(found));
    assert_eq!(store.index_users().await.unwrap(), 0, "once");
}

#[path = "dynamodb/legacy.rs"]
mod legacy;

/// Accounts stored before the account lists existed (their list items and
/// counts absent) are listed after the migration's reindex, exactly.
#[tokio::test]
async fn accounts_from_before_the_lists_are_listed_after_a_reindex() {
    use aws_sdk_dynamodb::types::AttributeValue::S;
    use inbox_store::ReadModelAdmin;
    let store = fresh().await;
    let c = contract::ctx(inbox_domain::ClientId::new(), "u");
    for t in ["whatsapp", "gmail", "whatsapp"] {
        let id = Uuid::new_v4();
        contract::run(&store, id, &contract::connect(id, t), &c).await.unwrap();
    }
    let raw = raw_client().await;
    let directory = &store.tables().directory;
    let scan = raw.scan().table_name(directory).filter_expression("begins_with(pk, :p)");
    let lists = scan.expression_attribute_values(":p", S(format!("LIST#{}#", c.client_id))).send().await.unwrap();
    let lists = lists.items.unwrap_or_default();
    assert_eq!(lists.len(), 3 * 8 + 12, "3 accounts in 8 lists each, and a count for each of the 12 lists");
    for item in lists {
        let key = [("pk", item["pk"].clone()), ("sk", item["sk"].clone())].map(|(k, v)| (k.to_string(), v));
        raw.delete_item().table_name(directory).set_key(Some(key.into())).send().await.unwrap();
    }
    let all = ListQuery { limit: 30, ..Default::default() };
    assert_eq!(store.list_accounts(c.client_id, &all).await.unwrap().total, 0, "the lists are gone");
    assert_eq!(store.reindex_lists(c.client_id).await.unwrap(), 3);
    contract::lists_agree(&store, c.client_id).await;
    assert_eq!(store.list_accounts(c.client_id, &all).await.unwrap().total, 3);

    // A drifted list: every account authorized, yet one still a member (and
    // counted) in "not authorized", which no account is in any more.
    let accounts = store.list_accounts(c.client_id, &all).await.unwrap().items;
    for a in &accounts {
        contract::run(&store, a.id.0, &contract::authorize(), &c).await.unwrap();
    }
    let stale = inbox_store::lists::Member::of(&accounts[0]);
    let pk = format!("LIST#{}#{}", c.client_id, inbox_store::lists::list_name(None, Some(false), None));
    let put = raw.put_item().table_name(directory).item("pk", S(pk.clone())).item("sk", S(stale.sort_key()));
    put.send().await.unwrap();
    let count = raw.put_item().table_name(directory).item("pk", S(pk)).item("sk", S("#count".into()));
    count.item("n", aws_sdk_dynamodb::types::AttributeValue::N("1".into())).send().await.unwrap();
    let unauthorized = ListQuery { is_authorized: Some(false), ..all.clone() };
    assert_eq!(store.list_accounts(c.client_id, &unauthorized).await.unwrap().total, 1, "drifted");
    store.reindex_lists(c.client_id).await.unwrap();
    contract::lists_agree(&store, c.client_id).await;
}

/// Deep pages start at the list's marks once a page has walked past them; a
/// recent account's creation or removal leaves the marks, while adding or
/// removing an older one, or a reindex, makes the next deep page walk from
/// the start again.
#[tokio::test]
async fn deep_pages_start_at_marks_that_hold_until_members_move() {
    use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
    use inbox_store::commands::{self, Envelope};
    use inbox_store::ReadModelAdmin;
    let store = fresh().await;
    let c = contract::ctx(inbox_domain::ClientId::new(), "owner");
    let year_ago = c.now - chrono::TimeDelta::days(365);
    let at = |s: i64| year_ago + chrono::TimeDelta::seconds(s);
    // 2,500 accounts from a year ago, written as a migration writes them.
    let (raw, table) = (raw_client().await, store.tables().accounts.clone());
    let mut expected = vec![];
    for chunk in (0..2500).collect::<Vec<i64>>().chunks(25) {
        let writes = chunk.iter().map(|i| {
            let id = Uuid::new_v4();
            let ctx = inbox_domain::Context { now: at(*i), ..c.clone() };
            let a = inbox_domain::execute(&None, id, &contract::connect(id, "x"), &ctx, "t").unwrap().1.unwrap();
            expected.push(inbox_store::lists::Member::of(&a).sort_key());
            let item = [
                ("clientId", AttributeValue::S(a.client_id.to_string())),
                ("id", AttributeValue::S(a.id.to_string())),
                ("version", AttributeValue::N(a.version.to_string())),
                ("accountType", AttributeValue::S(a.integration.clone())),
                ("isAuthorized", AttributeValue::Bool(a.is_authorized)),
                ("createdBy", AttributeValue::S(a.created_by.clone())),
                ("createdAt", AttributeValue::S(inbox_domain::time::format(&a.created_at))),
                ("body", AttributeValue::S(serde_json::to_string(&a).unwrap())),
            ];
            let put = PutRequest::builder().set_item(Some(item.map(|(k, v)| (k.to_string(), v)).into()));
            WriteRequest::builder().put_request(put.build().unwrap()).build()
        });
        let out = raw.batch_write_item().request_items(&table, writes.collect()).send().await.unwrap();
        assert!(out.unprocessed_items.unwrap_or_default().is_empty());
    }
    store.reindex_lists(c.client_id).await.unwrap();

    // Page 71 (2,100 skipped): its keys, and the queries it took.
    let page = |expected: &Vec<String>| {
        let (store, client) = (&store, c.client_id);
        let want: Vec<Uuid> = expected[2100..2130].iter().map(|k| inbox_store::lists::id_of(k).unwrap()).collect();
        async move {
            let before = store.calls().snapshot();
            let q = ListQuery { offset: 2100, limit: 30, ..Default::default() };
            let got: Vec<Uuid> = store.list_accounts(client, &q).await.unwrap().items.iter().map(|a| a.id.0).collect();
            assert_eq!(got, want);
            delta(&before, &store.calls().snapshot())["Query"]
        }
    };
    assert_eq!(page(&expected).await, 4, "walked from the start: 1,000 + 1,000 + 100 members, then the page");
    assert_eq!(page(&expected).await, 2, "from the second mark: 100 members, then the page");

    // A creation goes at the end: the marks still hold.
    let id = Uuid::new_v4();
    contract::run(&store, id, &contract::connect(id, "x"), &c).await.unwrap();
    assert_eq!(page(&expected).await, 2, "after an append");

    // An account added among year-old ones (as a rebuild may) moves the members after it.
    let late = Uuid::new_v4();
    let envelope = Envelope { at: Some(at(10) + chrono::TimeDelta::milliseconds(500)), ..contract::envelope(&c) };
    let connect = contract::connect(late, "x");
    commands::execute::<inbox_domain::Account, _, _>(&store, &envelope, late, |_| {
        Ok::<_, commands::CommandError>(connect.clone())
    })
    .await
    .unwrap();
    let mut moved = expected.clone();
    moved.insert(11, inbox_store::lists::sort_key(&envelope.at.unwrap(), late));
    assert_eq!(page(&moved).await, 4, "after an insertion: from the start");
    assert_eq!(page(&moved).await, 2);

    // Its removal moves them back.
    let remove = Envelope { at: None, ..envelope };
    commands::execute::<inbox_domain::Account, _, _>(&store, &remove, late, |_| {
        Ok::<_, commands::CommandError>(inbox_domain::Command::Remove)
    })
    .await
    .unwrap();
    assert_eq!(page(&expected).await, 4, "after a removal: from the start");

    // A recent account's removal comes after every mark: they still hold.
    contract::run(&store, id, &inbox_domain::Command::Remove, &c).await.unwrap();
    assert_eq!(page(&expected).await, 2, "after a recent account's removal");
    // A reindex may move anything: it drops them.
    store.reindex_lists(c.client_id).await.unwrap();
    assert_eq!(page(&expected).await, 4, "after a reindex: from the start");
}
