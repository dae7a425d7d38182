//! Rewriting a client's account lists from its read models (`inbox dynamodb
//! migrate`, `inbox audit rebuild`): see `DYNAMODB.md`, *Upgrades*.

use super::items::{n, s, Read};
use super::lists::{key, pk, task_failed, BATCH_ATTEMPTS, BATCH_WRITE, COUNT};
use super::DynamoStore;
use crate::lists::{self, Member};
use crate::{ListQuery, Result, StoreError};
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use inbox_domain::{AccountId, ClientId};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

impl DynamoStore {
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
                Some(id) => crate::AccountReads::get_account(self, ClientId(client_id), AccountId(id)).await?,
                None => None,
            };
            if account.is_some_and(|a| Member::of(&a).lists().iter().any(|l| l == list)) {
                continue;
            }
            let delete = DeleteRequest::builder().set_key(Some(key(list_pk.clone(), sk)));
            writes.push(WriteRequest::builder().delete_request(delete.build().expect("key set")).build());
        }
        let written = self.batch_write(writes).await;
        // Members may have moved anywhere, even if a write failed half-way.
        self.forget_marks(&list_pk).await?;
        written?;
        // The count is the list's length, unless a command moved it meanwhile.
        let table = &self.tables.directory;
        for _ in 0..BATCH_ATTEMPTS {
            let before = self.list_count(&list_pk).await?.stored;
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
}
