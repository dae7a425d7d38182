//! The account lists on DynamoDB (`crate::lists`), in the directory table: one
//! partition per list and client (`LIST#{client}#{list}`), one small item per
//! member (sort key: creation, then id), and its count under `#count`, which
//! sorts before every member. Commands move them in their own transaction; a
//! page is a keys-only `Query` of its list, the count's `GetItem` beside it, and
//! a consistent `BatchGetItem` of the page's accounts.

use super::items::{account_from, n, s, Item, Read};
use super::DynamoStore;
use crate::lists::{self, ListChange, Member};
use crate::{ListQuery, Page, Result, StoreError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, DeleteRequest, KeysAndAttributes, PutRequest, ReturnConsumedCapacity, Select,
    TransactWriteItem, Update, WriteRequest,
};
use inbox_domain::Account;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// The sort key of a list's count: before any member (they start with a year).
const COUNT: &str = "#count";
/// Accounts a `BatchGetItem` may read at once.
const BATCH_GET: usize = 100;
/// Items a `BatchWriteItem` may write at once.
const BATCH_WRITE: usize = 25;
/// How often a batch is sent again for what DynamoDB left unprocessed.
const BATCH_ATTEMPTS: u32 = 8;

fn task_failed(e: tokio::task::JoinError) -> StoreError {
    StoreError::Internal(format!("batch task: {e}"))
}

fn pk(client_id: Uuid, list: &str) -> String {
    format!("LIST#{client_id}#{list}")
}

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

impl DynamoStore {
    /// The transaction items that move one account in its client's lists.
    pub(super) fn list_writes(&self, client_id: Uuid, change: &ListChange) -> Vec<TransactWriteItem> {
        let table = &self.tables.directory;
        let mut items = vec![];
        for (list, sort) in &change.remove {
            let delete = Delete::builder().table_name(table).set_key(Some(key(pk(client_id, list), sort)));
            items.push(TransactWriteItem::builder().delete(delete.build().expect("table and key set")).build());
        }
        // A member is its key alone (the id ends its sort key): the smaller the
        // item, the cheaper the keys a deep page skips.
        for (list, sort) in &change.add {
            items.push(super::items::put(table, key(pk(client_id, list), sort), None, None));
        }
        for (list, delta) in &change.counts {
            let update = Update::builder()
                .table_name(table)
                .set_key(Some(key(pk(client_id, list), COUNT)))
                .update_expression("ADD n :d")
                .expression_attribute_values(":d", AttributeValue::N(delta.to_string()));
            items.push(TransactWriteItem::builder().update(update.build().expect("table, key, update set")).build());
        }
        items
    }

    /// One page of one list: its count, its keys (past `offset` members or
    /// after `after`), then its accounts, in list order.
    pub(super) async fn list_page(&self, client_id: Uuid, q: &ListQuery) -> Result<Page> {
        let list_pk = pk(client_id, &lists::list_of(q));
        let (total, keys) = if q.offset == 0 {
            tokio::try_join!(self.list_count(&list_pk), self.list_keys(&list_pk, q, None))?
        } else {
            // A deep page first learns whether it is past the end, which costs nothing to read.
            let total = self.list_count(&list_pk).await?;
            let start = if q.offset < total { self.skip_members(&list_pk, q).await? } else { None };
            let keys = match start {
                Some(start) => self.list_keys(&list_pk, q, Some(start)).await?,
                None => vec![],
            };
            (total, keys)
        };
        let mut ids: Vec<Uuid> = keys.iter().filter_map(|k| lists::id_of(k)).collect();
        // One account under two keys would be a drifted list; BatchGetItem refuses duplicates.
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(*id));
        let mut found = self.accounts_by_id(client_id, &ids).await?;
        // An account removed between the two reads is left out, not shown stale.
        let items = ids.iter().filter_map(|id| found.remove(id)).filter(|a| Member::of(a).matches(q)).collect();
        Ok(Page { items, total })
    }

    async fn list_count(&self, list_pk: &str) -> Result<u64> {
        // A list never written to is empty; a count below zero would be a bug, shown as empty.
        Ok(self.list_count_item(list_pk).await?.map_or(0, |n| n.max(0) as u64))
    }

    /// The stored count of a list, if it has one.
    async fn list_count_item(&self, list_pk: &str) -> Result<Option<i64>> {
        let table = &self.tables.directory;
        let req = self.client.get_item().table_name(table).set_key(Some(key(list_pk.to_string(), COUNT)));
        let out = req.consistent_read(true).set_return_consumed_capacity(self.capacity()).send().await;
        let out = out.map_err(|e| self.error(table, e))?;
        self.count_capacity(out.consumed_capacity.as_ref());
        match out.item.as_ref().and_then(|i| i.get("n")) {
            Some(AttributeValue::N(v)) => {
                v.parse::<i64>().map(Some).map_err(|_| StoreError::Internal(format!("bad count {v} in {list_pk}")))
            }
            _ => Ok(None),
        }
    }

    /// A consistent `Query` of at most `limit` members of a list, after `after`
    /// (or after `start`, where the previous page stopped).
    fn members_query(&self, list_pk: &str, q: &ListQuery, limit: i32, start: Option<Item>) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.tables.directory)
            .key_condition_expression("pk = :p AND sk > :after")
            .expression_attribute_values(":p", s(list_pk))
            .expression_attribute_values(":after", s(q.after.as_deref().unwrap_or(COUNT)))
            .consistent_read(true)
            .limit(limit)
            .set_return_consumed_capacity(self.capacity())
            .set_exclusive_start_key(start)
    }

    /// Where a page `offset` members in starts: the key to read after, or none
    /// if the list ends first. `Select: COUNT` queries walk the skipped members
    /// without sending them back (each member read is still charged).
    async fn skip_members(&self, list_pk: &str, q: &ListQuery) -> Result<Option<Item>> {
        let table = &self.tables.directory;
        let (mut left, mut start) = (q.offset as i64, None);
        while left > 0 {
            let req = self.members_query(list_pk, q, left.min(i32::MAX as i64) as i32, start).select(Select::Count);
            let out = req.send().await.map_err(|e| self.error(table, e))?;
            self.count_capacity(out.consumed_capacity.as_ref());
            left -= i64::from(out.count);
            // No key to go on from: the list ended (a 1 MB page short of the limit has one).
            start = Some(match out.last_evaluated_key {
                Some(next) => next,
                None => return Ok(None),
            });
        }
        Ok(start)
    }

    /// The sort keys of the first `limit` members after `after`, or after `start`.
    async fn list_keys(&self, list_pk: &str, q: &ListQuery, mut start: Option<Item>) -> Result<Vec<String>> {
        let table = &self.tables.directory;
        let wanted = q.limit as usize;
        let mut keys = Vec::with_capacity(wanted.min(10_000));
        while keys.len() < wanted {
            let limit = (wanted - keys.len()).min(i32::MAX as usize) as i32;
            let req = self.members_query(list_pk, q, limit, start).projection_expression("sk");
            let out = req.send().await.map_err(|e| self.error(table, e))?;
            self.count_capacity(out.consumed_capacity.as_ref());
            for item in out.items.unwrap_or_default() {
                keys.push(Read(&item).s("sk")?);
            }
            match out.last_evaluated_key {
                Some(next) => start = Some(next),
                None => break,
            }
        }
        Ok(keys)
    }

    /// Accounts of one client by id, read consistently.
    async fn accounts_by_id(&self, client_id: Uuid, ids: &[Uuid]) -> Result<HashMap<Uuid, Account>> {
        let keys: Vec<(Uuid, Uuid)> = ids.iter().map(|id| (client_id, *id)).collect();
        let mut found = HashMap::with_capacity(ids.len());
        for item in self.items_by_key(&keys).await? {
            let account = account_from(&item)?;
            found.insert(account.id, account);
        }
        Ok(found)
    }

    /// Account items by key (client, account), read consistently, a hundred a
    /// request, the requests in parallel; in no particular order.
    pub(super) async fn items_by_key(&self, keys: &[(Uuid, Uuid)]) -> Result<Vec<Item>> {
        let mut batches = tokio::task::JoinSet::new();
        for chunk in keys.chunks(BATCH_GET) {
            let keys: Vec<Item> = chunk
                .iter()
                .map(|(client_id, id)| {
                    HashMap::from([("clientId".into(), s(client_id.to_string())), ("id".into(), s(id.to_string()))])
                })
                .collect();
            let store = self.clone();
            batches.spawn(async move { store.batch_get(keys).await });
        }
        let mut items = Vec::with_capacity(keys.len());
        while let Some(batch) = batches.join_next().await {
            items.extend(batch.map_err(task_failed)??);
        }
        Ok(items)
    }

    /// One `BatchGetItem` of accounts, asked again for what DynamoDB left unprocessed.
    async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>> {
        let table = &self.tables.accounts;
        let (mut keys, mut items) = (keys, vec![]);
        for attempt in 0..=BATCH_ATTEMPTS {
            if keys.is_empty() {
                return Ok(items);
            }
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20 << attempt.min(5))).await;
            }
            let request = KeysAndAttributes::builder().set_keys(Some(keys)).consistent_read(true).build();
            let request = request.map_err(|e| StoreError::Internal(e.to_string()))?;
            let req = self.client.batch_get_item().request_items(table, request);
            let out =
                req.set_return_consumed_capacity(self.capacity()).send().await.map_err(|e| self.error(table, e))?;
            for c in out.consumed_capacity.iter().flatten() {
                self.count_capacity(Some(c));
            }
            items.extend(out.responses.unwrap_or_default().remove(table).unwrap_or_default());
            keys = out.unprocessed_keys.unwrap_or_default().remove(table).map(|k| k.keys).unwrap_or_default();
        }
        Err(StoreError::Unavailable(format!("{table}: reads left unprocessed after {BATCH_ATTEMPTS} attempts")))
    }

    /// Rewrites one client's lists from its read models, while commands may
    /// run: missing members are put; a member no longer expected is deleted
    /// only once a consistent read of its account confirms it; each count is
    /// then set to its list's length, on condition that no command moved it
    /// meanwhile (else the list is counted again). Besides every list a read
    /// model is in, the lists that differ from one only by `isAuthorized` are
    /// visited (an account authorized since leaves the other); lists of a
    /// combination no account has any more are not found.
    pub(super) async fn reindex(&self, client_id: Uuid) -> Result<u64> {
        let req = self
            .client
            .query()
            .table_name(&self.tables.accounts)
            .key_condition_expression("clientId = :c")
            .expression_attribute_values(":c", s(client_id.to_string()))
            .projection_expression("id, createdAt, accountType, isAuthorized, createdBy");
        let rows = self.query_all(&self.tables.accounts, req).await?;
        let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for row in &rows {
            let r = Read(row);
            let member = Member {
                id: r.uuid("id")?,
                created_at: r.time("createdAt")?,
                account_type: r.s("accountType")?,
                is_authorized: matches!(row.get("isAuthorized"), Some(AttributeValue::Bool(true))),
                created_by: r.s("createdBy")?,
            };
            let twin = Member { is_authorized: !member.is_authorized, ..member.clone() };
            for list in twin.lists() {
                expected.entry(list).or_default();
            }
            for list in member.lists() {
                expected.entry(list).or_default().insert(member.sort_key());
            }
        }
        for (list, members) in &expected {
            self.reindex_list(client_id, list, members).await?;
        }
        Ok(rows.len() as u64)
    }

    async fn reindex_list(&self, client_id: Uuid, list: &str, members: &BTreeSet<String>) -> Result<()> {
        let list_pk = pk(client_id, list);
        let all = ListQuery { limit: u32::MAX as u64, ..ListQuery::default() };
        let stored: BTreeSet<String> = self.list_keys(&list_pk, &all, None).await?.into_iter().collect();
        let put = |sk: &String| {
            let put = PutRequest::builder().set_item(Some(key(list_pk.clone(), sk))).build().expect("item set");
            WriteRequest::builder().put_request(put).build()
        };
        let mut writes: Vec<WriteRequest> = members.difference(&stored).map(put).collect();
        for sk in stored.difference(members) {
            // Created since the read models were read? Then it stays.
            let account = match lists::id_of(sk) {
                Some(id) => crate::AccountReads::get_account(self, client_id, id).await?,
                None => None,
            };
            if account.is_some_and(|a| Member::of(&a).lists().iter().any(|l| l == list)) {
                continue;
            }
            let delete = DeleteRequest::builder().set_key(Some(key(list_pk.clone(), sk)));
            writes.push(WriteRequest::builder().delete_request(delete.build().expect("key set")).build());
        }
        self.batch_write(writes).await?;
        // The count is the list's length, unless a command moved it meanwhile.
        let table = &self.tables.directory;
        for _ in 0..BATCH_ATTEMPTS {
            let before = self.list_count_item(&list_pk).await?;
            let length = self.list_keys(&list_pk, &all, None).await?.len() as u64;
            let mut set = self
                .client
                .update_item()
                .table_name(table)
                .set_key(Some(key(list_pk.clone(), COUNT)))
                .update_expression("SET n = :n")
                .expression_attribute_values(":n", n(length));
            set = match before {
                Some(v) => set
                    .condition_expression("n = :before")
                    .expression_attribute_values(":before", AttributeValue::N(v.to_string())),
                None => set.condition_expression("attribute_not_exists(n)"),
            };
            match set.send().await {
                Ok(_) => return Ok(()),
                Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(self.error(table, e)),
            }
        }
        Err(StoreError::Unavailable(format!("{table}: the count of {list_pk} kept moving")))
    }

    /// `BatchWriteItem`s of the directory table, 25 at a time and 8 batches at
    /// once, each retrying what DynamoDB left unprocessed.
    async fn batch_write(&self, writes: Vec<WriteRequest>) -> Result<()> {
        let mut batches = tokio::task::JoinSet::new();
        for chunk in writes.chunks(BATCH_WRITE) {
            if batches.len() >= 8 {
                batches.join_next().await.expect("a batch runs").map_err(task_failed)??;
            }
            let (store, chunk) = (self.clone(), chunk.to_vec());
            batches.spawn(async move { store.write_batch(chunk).await });
        }
        while let Some(done) = batches.join_next().await {
            done.map_err(task_failed)??;
        }
        Ok(())
    }

    async fn write_batch(&self, mut pending: Vec<WriteRequest>) -> Result<()> {
        let table = &self.tables.directory;
        for attempt in 0..=BATCH_ATTEMPTS {
            if pending.is_empty() {
                return Ok(());
            }
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20 << attempt.min(5))).await;
            }
            let out = self.client.batch_write_item().request_items(table, pending).send().await;
            let out = out.map_err(|e| self.error(table, e))?;
            pending = out.unprocessed_items.unwrap_or_default().remove(table).unwrap_or_default();
        }
        Err(StoreError::Unavailable(format!("{table}: writes left unprocessed after {BATCH_ATTEMPTS} attempts")))
    }

    /// Consumed capacity is asked for on local endpoints only (benchmarks read it).
    fn capacity(&self) -> Option<ReturnConsumedCapacity> {
        self.calls.is_some().then_some(ReturnConsumedCapacity::Total)
    }

    fn count_capacity(&self, c: Option<&aws_sdk_dynamodb::types::ConsumedCapacity>) {
        if let (Some(calls), Some(units)) = (&self.calls, c.and_then(|c| c.capacity_units)) {
            calls.add_capacity(units);
        }
    }
}
