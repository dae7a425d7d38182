//! The account lists on DynamoDB (`crate::lists`), in the directory table: one
//! partition per list and client (`LIST#{client}#{list}`), one small item per
//! member (sort key: creation, then id), its count under `#count`, and
//! bookmarks under `#bookmarks`; both sort before every member. Commands move
//! them in their own transaction; a page is a keys-only `Query` of its list, the
//! count's `GetItem` beside it, and a consistent `BatchGetItem` of the page's
//! accounts.
//!
//! A deep page (`?page=N`) must skip the members before it. `#bookmarks` holds
//! the sort key of every `STEP`th member, so the skip starts at the nearest
//! mark and walks fewer than `STEP` members. Marks hold while the count's rank
//! serial `r` is the one they were taken at: a command bumps it in every list
//! where members may have moved (`lists::reranked`: a member older than a few
//! minutes added or removed); a recent account's creation, authorization or
//! removal happens after every marked member, so it leaves it. Marks are taken
//! by deep pages as they walk, only at settled members (no recent one can come
//! before them), and kept best-effort: a lost or stale mark costs a walk.

use super::items::{account_from, n, s, Item, Read};
use super::DynamoStore;
use crate::lists::{self, ListChange, Member};
use crate::{ListQuery, Page, Result, StoreError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, ReturnConsumedCapacity, Select, TransactWriteItem, Update,
};
use inbox_domain::Account;
use std::collections::HashMap;
use uuid::Uuid;

/// The sort key of a list's count: before any member (they start with a year).
pub(super) const COUNT: &str = "#count";
/// The sort key of a list's marks, also before any member, and before `#count`:
/// a version from before the marks, which reads members from `#count` on,
/// never takes it for one (a rollback).
const MARKS: &str = "#bookmarks";
/// After every bookkeeping item (`#…`), before every member: where a list's
/// first page starts.
const HEAD: &str = "#~";
/// Members between two marks.
const STEP: u64 = 1000;
/// Marks a list keeps at most (some 60 bytes each, under DynamoDB's 400 KB an item).
const MAX_MARKS: usize = 2000;
/// Accounts a `BatchGetItem` may read at once.
const BATCH_GET: usize = 100;
/// Items a `BatchWriteItem` may write at once.
pub(super) const BATCH_WRITE: usize = 25;
/// How often a batch is sent again for what DynamoDB left unprocessed.
pub(super) const BATCH_ATTEMPTS: u32 = 8;

pub(super) fn task_failed(e: tokio::task::JoinError) -> StoreError {
    StoreError::Internal(format!("batch task: {e}"))
}

pub(super) fn pk(client_id: Uuid, list: &str) -> String {
    format!("LIST#{client_id}#{list}")
}

pub(super) fn key(pk: String, sk: &str) -> Item {
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
        let reranked = lists::reranked(change, &chrono::Utc::now());
        // Every list whose count moves, and every one whose members may change places.
        let lists: std::collections::BTreeSet<&String> = change.counts.keys().chain(&reranked).collect();
        for list in lists {
            let mut update = Update::builder().table_name(table).set_key(Some(key(pk(client_id, list), COUNT)));
            let mut adds = vec![];
            if let Some(delta) = change.counts.get(list) {
                adds.push("n :d");
                update = update.expression_attribute_values(":d", AttributeValue::N(delta.to_string()));
            }
            if reranked.contains(list) {
                adds.push("r :one");
                update = update.expression_attribute_values(":one", n(1));
            }
            let update = update.update_expression(format!("ADD {}", adds.join(", ")));
            items.push(TransactWriteItem::builder().update(update.build().expect("table, key, update set")).build());
        }
        items
    }

    /// One page of one list: its count, its keys (past `offset` members or
    /// after `after`), then its accounts, in list order.
    pub(super) async fn list_page(&self, client_id: Uuid, q: &ListQuery) -> Result<Page> {
        let list_pk = pk(client_id, &lists::list_of(q));
        let (total, keys) = if q.offset == 0 {
            let (count, keys) = tokio::try_join!(self.list_count(&list_pk), self.list_keys(&list_pk, q, None))?;
            (count.n, keys)
        } else {
            // Marks count from the list's head, a mark's span apart: of no use to
            // a skip after a key or one shorter than a span.
            let marked = q.after.is_none() && q.offset >= STEP;
            let marks = async {
                if marked {
                    self.marks(&list_pk).await
                } else {
                    Marks::default()
                }
            };
            let (count, marks) = tokio::join!(self.list_count(&list_pk), marks);
            let count = count?;
            // A deep page past the end reads no member.
            let start = if q.offset < count.n { self.skip_members(&list_pk, q, &count, marks).await? } else { None };
            let keys = match start {
                Some(start) => self.list_keys(&list_pk, q, Some(start)).await?,
                None => vec![],
            };
            (count.n, keys)
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

    pub(super) async fn list_count(&self, list_pk: &str) -> Result<Count> {
        let table = &self.tables.directory;
        let req = self.client.get_item().table_name(table).set_key(Some(key(list_pk.to_string(), COUNT)));
        let out = req.consistent_read(true).set_return_consumed_capacity(self.capacity()).send().await;
        let out = out.map_err(|e| self.error(table, e))?;
        self.count_capacity(out.consumed_capacity.as_ref());
        let number = |name: &str| match out.item.as_ref().and_then(|i| i.get(name)) {
            Some(AttributeValue::N(v)) => {
                v.parse::<i64>().map(Some).map_err(|_| StoreError::Internal(format!("bad {name} {v} in {list_pk}")))
            }
            _ => Ok(None),
        };
        // A list never written to is empty; a count below zero would be a bug, shown as empty.
        let stored = number("n")?;
        Ok(Count { stored, n: stored.map_or(0, |n| n.max(0) as u64), r: number("r")?.unwrap_or(0) })
    }

    /// A list's marks, as last kept (an eventually consistent read: the rank
    /// serial they carry says whether they still hold). None if they cannot be
    /// read: the page walks from the start instead.
    async fn marks(&self, list_pk: &str) -> Marks {
        let table = &self.tables.directory;
        let req = self.client.get_item().table_name(table).set_key(Some(key(list_pk.to_string(), MARKS)));
        let out = match req.set_return_consumed_capacity(self.capacity()).send().await {
            Ok(out) => out,
            Err(e) => {
                tracing::warn!(list = list_pk, error = %self.error(table, e), "list marks not read");
                return Marks::default();
            }
        };
        self.count_capacity(out.consumed_capacity.as_ref());
        let Some(item) = out.item else { return Marks::default() };
        let r = match item.get("r") {
            Some(AttributeValue::N(v)) => v.parse().unwrap_or(-1),
            _ => -1,
        };
        let keys = match item.get("keys") {
            Some(AttributeValue::L(keys)) => keys.iter().filter_map(|k| k.as_s().ok().cloned()).collect(),
            _ => vec![],
        };
        Marks { r, keys }
    }

    /// A consistent `Query` of at most `limit` members of a list, after `after`
    /// (or after `start`, where the previous page stopped).
    fn members_query(&self, list_pk: &str, q: &ListQuery, limit: i32, start: Option<Item>) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.tables.directory)
            .key_condition_expression("pk = :p AND sk > :after")
            .expression_attribute_values(":p", s(list_pk))
            .expression_attribute_values(":after", s(q.after.as_deref().unwrap_or(HEAD)))
            .consistent_read(true)
            .limit(limit)
            .set_return_consumed_capacity(self.capacity())
            .set_exclusive_start_key(start)
    }

    /// Where a page `offset` members in starts: the key to read after, or none
    /// if the list ends first. From the nearest mark that holds, `Select:
    /// COUNT` queries walk the rest without sending it back (each member read
    /// is still charged), a mark's span at a time, taking marks as they go.
    async fn skip_members(&self, list_pk: &str, q: &ListQuery, count: &Count, marks: Marks) -> Result<Option<Item>> {
        let table = &self.tables.directory;
        // Marks count from the list's head: a skip after a key cannot use them.
        let from_head = q.after.is_none();
        let mut kept = if from_head && marks.r == count.r { marks.keys } else { vec![] };
        let held = kept.len();
        kept.truncate((q.offset / STEP) as usize);
        // New marks only follow the last kept one, or they would leave a gap.
        let taking = from_head && kept.len() == held;
        let (mut at, mut start) = (kept.len() as u64 * STEP, kept.last().map(|sk| key(list_pk.to_string(), sk)));
        let now = chrono::Utc::now();
        let mut taken = false;
        while at < q.offset {
            let limit = (q.offset - at).min(STEP - at % STEP);
            let req = self.members_query(list_pk, q, limit as i32, start).select(Select::Count);
            let out = req.send().await.map_err(|e| self.error(table, e))?;
            self.count_capacity(out.consumed_capacity.as_ref());
            at += out.count as u64;
            // No key to go on from: the list ended (a 1 MB page short of the limit has one).
            let Some(next) = out.last_evaluated_key else { return Ok(None) };
            let sk = Read(&next).s("sk")?;
            if taking && at > 0 && at.is_multiple_of(STEP) && kept.len() < MAX_MARKS && lists::is_settled(&sk, &now) {
                kept.push(sk);
                taken = true;
            }
            start = Some(next);
        }
        if taken {
            self.keep_marks(list_pk, count.r, kept).await;
        }
        Ok(start)
    }

    /// Stores a list's marks, taken at rank serial `r`. Best-effort: a write
    /// that fails costs a later page a longer walk, never a wrong page, so it
    /// does not fail this one.
    async fn keep_marks(&self, list_pk: &str, r: i64, keys: Vec<String>) {
        let table = &self.tables.directory;
        let item = HashMap::from([
            ("pk".to_string(), s(list_pk.to_string())),
            ("sk".to_string(), s(MARKS.to_string())),
            ("r".to_string(), AttributeValue::N(r.to_string())),
            ("keys".to_string(), AttributeValue::L(keys.into_iter().map(AttributeValue::S).collect())),
        ]);
        let put = self.client.put_item().table_name(table).set_item(Some(item));
        if let Err(e) = put.set_return_consumed_capacity(self.capacity()).send().await {
            tracing::warn!(list = list_pk, error = %self.error(table, e), "list marks not kept");
        }
    }

    /// Drops a list's marks, for a change that may have moved any member: its
    /// rank serial moves on (so marks a page is taking now will not hold), and
    /// the marks item goes (so no serial reset by hand can revive it).
    pub(super) async fn forget_marks(&self, list_pk: &str) -> Result<()> {
        let table = &self.tables.directory;
        let bump = self.client.update_item().table_name(table).set_key(Some(key(list_pk.to_string(), COUNT)));
        let bump = bump.update_expression("ADD r :one").expression_attribute_values(":one", n(1));
        bump.send().await.map_err(|e| self.error(table, e))?;
        let drop = self.client.delete_item().table_name(table).set_key(Some(key(list_pk.to_string(), MARKS)));
        drop.send().await.map_err(|e| self.error(table, e))?;
        Ok(())
    }

    /// The sort keys of the first `limit` members after `after`, or after `start`.
    pub(super) async fn list_keys(&self, list_pk: &str, q: &ListQuery, mut start: Option<Item>) -> Result<Vec<String>> {
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
            found.insert(account.id.0, account);
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

/// A list's count item: its stored count (if any), as a length, and its rank serial.
pub(super) struct Count {
    pub(super) stored: Option<i64>,
    n: u64,
    r: i64,
}

/// A list's marks: the sort key of each `STEP`th member, taken at rank serial `r`.
#[derive(Default)]
struct Marks {
    r: i64,
    keys: Vec<String>,
}
