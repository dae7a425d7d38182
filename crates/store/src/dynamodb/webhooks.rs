//! Webhooks on DynamoDB, in the directory table (keys: `DYNAMODB.md`). Each
//! record is a JSON `body` beside its keys. A pending message has a due item
//! under one of a few `WEBHOOKS-DUE#n` partitions, sorted by due time, written
//! and removed in the same transaction as the message: due messages are found
//! by a `Query`, never a scan.

use super::errors::cancellation_codes;
use super::items::{client_key, epoch, n, put, s, Item, Read};
use super::DynamoStore;
use crate::webhooks::{DeliveryAttempt, Message, Webhooks};
use crate::{Endpoint, EndpointChange, EventStore, Result, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
use inbox_domain::{time, ClientId, EndpointId, StoredEvent, StreamKind, Timestamp};
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// Due items spread over this many partitions (by message id).
const DUE_SHARDS: u32 = 4;

/// How long delivery attempts, and messages once final, are kept.
const ATTEMPTS_KEPT_DAYS: i64 = 30;

fn endpoint_sk(id: Uuid) -> String {
    format!("WEBHOOK#{id}")
}

/// The partition of an endpoint's own records: events, messages, attempts.
fn endpoint_pk(id: Uuid) -> String {
    format!("WEBHOOK#{id}")
}

fn due_key(m: &Message, due: &Timestamp) -> (String, String) {
    let shard = m.id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32)) % DUE_SHARDS;
    (format!("WEBHOOKS-DUE#{shard}"), format!("{}#{}", time::format(due), m.id))
}

fn body<T: serde::Serialize>(value: &T) -> aws_sdk_dynamodb::types::AttributeValue {
    s(serde_json::to_string(value).expect("webhook records serialize"))
}

fn from_body<T: DeserializeOwned>(i: &Item) -> Result<T> {
    serde_json::from_str(&Read(i).s("body")?).map_err(|e| StoreError::Internal(format!("bad webhook record: {e}")))
}

fn keyed(
    pk: String,
    sk: String,
    rest: impl IntoIterator<Item = (&'static str, aws_sdk_dynamodb::types::AttributeValue)>,
) -> Item {
    let mut item: Item = [("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))].into();
    item.extend(rest.into_iter().map(|(k, v)| (k.to_string(), v)));
    item
}

fn attempt_sk(a: &DeliveryAttempt) -> String {
    format!("ATTEMPT#{}#{}#{:04}", time::format(&a.at), a.message_id, a.attempt)
}

impl DynamoStore {
    /// The endpoint's read model write (`None`: deleted), conditioned on the
    /// stream head (`expected`; 0: it does not exist yet).
    pub(super) fn endpoint_write(
        &self,
        client_id: ClientId,
        id: EndpointId,
        expected: u64,
        after: Option<&Endpoint>,
    ) -> TransactWriteItem {
        let directory = &self.tables.directory;
        let (pk, sk) = (client_key(client_id), endpoint_sk(id.0));
        let values: Item = [(":v".to_string(), n(expected))].into();
        let condition = if expected == 0 { "attribute_not_exists(pk)" } else { "version = :v" };
        match after {
            Some(e) => {
                let item = keyed(pk, sk, [("version", n(e.version)), ("body", body(e))]);
                put(directory, item, Some(condition), (expected > 0).then_some(values))
            }
            None => {
                let delete = Delete::builder()
                    .table_name(directory)
                    .key("pk", s(pk))
                    .key("sk", s(sk))
                    .condition_expression(condition)
                    .set_expression_attribute_values((expected > 0).then_some(values))
                    .build()
                    .expect("table and key set");
                TransactWriteItem::builder().delete(delete).build()
            }
        }
    }

    fn due_put(&self, m: &Message) -> Option<TransactWriteItem> {
        let due = m.due_at.as_ref()?;
        let (pk, sk) = due_key(m, due);
        Some(put(&self.tables.directory, keyed(pk, sk, [("body", body(m))]), None, None))
    }

    fn due_delete(&self, m: &Message) -> Option<TransactWriteItem> {
        Some(self.delete_item(due_key(m, m.due_at.as_ref()?)))
    }

    fn message_item(&self, m: &Message) -> Item {
        let mut item =
            keyed(endpoint_pk(m.endpoint_id.0), format!("MSG#{}", m.id), [("attempts", n(m.attempts as u64))]);
        item.insert("body".into(), body(m));
        if let Some(due) = &m.due_at {
            item.insert("dueAt".into(), s(time::format(due)));
        }
        item
    }

    async fn query_prefix(
        &self,
        pk: String,
        prefix: &str,
        newest_first: bool,
        limit: Option<i32>,
    ) -> Result<Vec<Item>> {
        let req = self
            .client
            .query()
            .table_name(&self.tables.directory)
            .key_condition_expression("pk = :p AND begins_with(sk, :prefix)")
            .expression_attribute_values(":p", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .scan_index_forward(!newest_first);
        match limit {
            // One page is the answer: no paging on.
            Some(l) => {
                let out = req.limit(l).consistent_read(true).send().await;
                Ok(out.map_err(|e| self.error(&self.tables.directory, e))?.items.unwrap_or_default())
            }
            None => self.query_all(&self.tables.directory, req).await,
        }
    }
}

#[async_trait]
impl Webhooks for DynamoStore {
    async fn webhook_endpoints(&self, client_id: ClientId) -> Result<Vec<Endpoint>> {
        let items = self.client_items(client_id, "WEBHOOK#").await?;
        let mut all = items.iter().map(from_body::<Endpoint>).collect::<Result<Vec<_>>>()?;
        all.sort_by_key(|e| (e.created_at, e.id));
        Ok(all)
    }

    async fn webhook_endpoint(&self, client_id: ClientId, id: EndpointId) -> Result<Option<Endpoint>> {
        self.get_directory(&client_key(client_id), &endpoint_sk(id.0)).await?.as_ref().map(from_body).transpose()
    }

    async fn webhook_changes(&self, client_id: ClientId, id: EndpointId) -> Result<Vec<EndpointChange>> {
        let events = self.load_stream(id.0).await?;
        if events.is_empty() {
            // Not upgraded yet (`inbox dynamodb migrate`): the records as they were kept.
            let items = self.query_prefix(endpoint_pk(id.0), "EVENT#", false, None).await?;
            let changes = items.iter().map(from_body::<EndpointChange>).collect::<Result<Vec<_>>>()?;
            return Ok(changes.into_iter().filter(|e| e.client_id == client_id).collect());
        }
        // An id of another client's stream, or of another kind, has no history here.
        let theirs =
            |e: &StoredEvent| e.client_id == client_id && StreamKind::of(&e.event_type) == Some(StreamKind::Webhook);
        if !events.first().is_some_and(theirs) {
            return Ok(vec![]);
        }
        inbox_domain::endpoint::history(id, &events).map_err(|e| StoreError::Internal(e.to_string()))
    }

    async fn enqueue_messages(&self, messages: &[Message]) -> Result<()> {
        let directory = &self.tables.directory;
        let items = |m: &Message| {
            let mut items = vec![put(directory, self.message_item(m), Some("attribute_not_exists(pk)"), None)];
            items.extend(self.due_put(m));
            items
        };
        // Fifty messages a transaction (two items each, of at most 100); if one
        // of them is known already, each of those fifty goes on its own.
        for chunk in messages.chunks(50) {
            let Err(e) = self.transact(chunk.iter().flat_map(items).collect()).await else { continue };
            if !cancellation_codes(&e).iter().flatten().any(|c| c == "ConditionalCheckFailed") {
                return Err(self.error(directory, e));
            }
            for m in chunk {
                let Err(e) = self.transact(items(m)).await else { continue };
                if cancellation_codes(&e).first().and_then(Option::as_deref) != Some("ConditionalCheckFailed") {
                    return Err(self.error(directory, e));
                }
            }
        }
        Ok(())
    }

    async fn due_messages(&self, now: Timestamp, limit: usize) -> Result<Vec<Message>> {
        let bound = format!("{}#~", time::format(&now));
        let mut due = vec![];
        for shard in 0..DUE_SHARDS {
            let out = self
                .client
                .query()
                .table_name(&self.tables.directory)
                .key_condition_expression("pk = :p AND sk <= :bound")
                .expression_attribute_values(":p", s(format!("WEBHOOKS-DUE#{shard}")))
                .expression_attribute_values(":bound", s(&bound))
                .limit(limit.min(1000) as i32)
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| self.error(&self.tables.directory, e))?;
            for item in out.items.unwrap_or_default() {
                due.push(from_body::<Message>(&item)?);
            }
        }
        due.sort_by_key(|m| m.due_at);
        due.truncate(limit);
        Ok(due)
    }

    async fn update_message(
        &self,
        before: &Message,
        after: &Message,
        attempt: Option<&DeliveryAttempt>,
    ) -> Result<bool> {
        let directory = &self.tables.directory;
        let mut values: Item = [(":a".to_string(), n(before.attempts as u64)), (":b".to_string(), body(after))].into();
        values.insert(":n".into(), n(after.attempts as u64));
        let mut condition = "attempts = :a".to_string();
        match &before.due_at {
            Some(d) => {
                condition.push_str(" AND dueAt = :d");
                values.insert(":d".into(), s(time::format(d)));
            }
            None => condition.push_str(" AND attribute_not_exists(dueAt)"),
        }
        let set = match &after.due_at {
            Some(d) => {
                values.insert(":due".into(), s(time::format(d)));
                "SET body = :b, attempts = :n, dueAt = :due"
            }
            None => {
                // Final: kept a while (its id stops a replayed stream from sending it again), then expired.
                let kept = chrono::Utc::now() + chrono::Duration::days(ATTEMPTS_KEPT_DAYS);
                values.insert(":x".into(), epoch(&kept));
                "SET body = :b, attempts = :n, expiresAt = :x REMOVE dueAt"
            }
        };
        let update = Update::builder()
            .table_name(directory)
            .key("pk", s(endpoint_pk(before.endpoint_id.0)))
            .key("sk", s(format!("MSG#{}", before.id)))
            .update_expression(set)
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .build()
            .expect("table, key and expression set");
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        items.extend(self.due_delete(before));
        items.extend(self.due_put(after));
        if let Some(a) = attempt {
            let expires = a.at + chrono::Duration::days(ATTEMPTS_KEPT_DAYS);
            let item =
                keyed(endpoint_pk(a.endpoint_id.0), attempt_sk(a), [("body", body(a)), ("expiresAt", epoch(&expires))]);
            items.push(put(directory, item, None, None));
        }
        // Only a failed condition means the message moved on; a transaction
        // that merely met another on the same item is tried again.
        for attempt in 1.. {
            let Err(e) = self.transact(items.clone()).await else { return Ok(true) };
            let codes = cancellation_codes(&e);
            if codes.iter().flatten().any(|c| c == "ConditionalCheckFailed") {
                return Ok(false);
            }
            if attempt == 5 || !codes.iter().flatten().any(|c| c == "TransactionConflict") {
                return Err(self.error(directory, e));
            }
            tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
        }
        unreachable!("the loop returns")
    }

    async fn deliveries(&self, endpoint_id: EndpointId, limit: usize) -> Result<Vec<DeliveryAttempt>> {
        let items =
            self.query_prefix(endpoint_pk(endpoint_id.0), "ATTEMPT#", true, Some(limit.min(1000) as i32)).await?;
        items.iter().map(from_body).collect()
    }
}
