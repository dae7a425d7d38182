//! `Idempotency-Key` records on DynamoDB, in the directory table under
//! `IDEM#{client}#{key}`: taken by a conditional put (free, expired, or a
//! pending one whose lease ran out), answered by a conditional put inside the
//! command's transaction, expired by the table's TTL (`expiresAt`).

use super::items::{epoch, n, s, Item, Read};
use super::DynamoStore;
use crate::{Claim, Idempotency, IdempotencyRecord, KeyClaim, Result, StoredAnswer};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use inbox_domain::{time, ClientId};
use std::collections::HashMap;

fn key(client_id: ClientId, key: &str) -> String {
    format!("IDEM#{client_id}#{key}")
}

const STILL_MINE: &str = "#p = :true AND #o = :owner";

/// The answered record, and the names and values of the condition that the
/// key is still this owner's ([`STILL_MINE`]).
fn answered(r: &IdempotencyRecord) -> (Item, HashMap<String, String>, Item) {
    let mut item: Item = HashMap::from([
        ("pk".to_string(), s(key(r.client_id, &r.key))),
        ("sk".to_string(), s("IDEM")),
        ("fingerprint".to_string(), s(&r.fingerprint)),
        ("owner".to_string(), s(&r.owner)),
        ("pending".to_string(), AttributeValue::Bool(false)),
        ("status".to_string(), n(r.answer.status.into())),
        ("body".to_string(), s(&r.answer.body)),
        ("expiresAt".to_string(), epoch(&r.expires_at)),
    ]);
    item.extend(r.answer.content_type.as_ref().map(|v| ("contentType".to_string(), s(v))));
    item.extend(r.answer.location.as_ref().map(|v| ("location".to_string(), s(v))));
    let names = HashMap::from([("#p".to_string(), "pending".to_string()), ("#o".to_string(), "owner".to_string())]);
    let values =
        HashMap::from([(":true".to_string(), AttributeValue::Bool(true)), (":owner".to_string(), s(&r.owner))]);
    (item, names, values)
}

pub(super) fn answered_in_transaction(table: &str, r: &IdempotencyRecord) -> TransactWriteItem {
    let (item, names, values) = answered(r);
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(STILL_MINE)
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .expect("table, item and condition set");
    TransactWriteItem::builder().put(put).build()
}

#[async_trait]
impl Idempotency for DynamoStore {
    async fn claim_key(&self, c: &KeyClaim) -> Result<Claim> {
        let table = &self.tables.directory;
        let pending = HashMap::from([
            ("pk".to_string(), s(key(c.client_id, &c.key))),
            ("sk".to_string(), s("IDEM")),
            ("fingerprint".to_string(), s(&c.fingerprint)),
            ("owner".to_string(), s(&c.owner)),
            ("pending".to_string(), AttributeValue::Bool(true)),
            ("leaseUntil".to_string(), s(time::format(&c.lease_until))),
            ("expiresAt".to_string(), epoch(&c.expires_at)),
        ]);
        let taken = self
            .client
            .put_item()
            .table_name(table)
            .set_item(Some(pending))
            .condition_expression(
                "attribute_not_exists(pk) OR expiresAt < :epoch OR (#p = :true AND leaseUntil < :now)",
            )
            .expression_attribute_names("#p", "pending")
            .expression_attribute_values(":epoch", epoch(&c.now))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":now", s(time::format(&c.now)))
            .send()
            .await;
        match taken {
            Ok(_) => return Ok(Claim::Fresh),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {}
            Err(e) => return Err(self.error(table, e)),
        }
        let Some(item) = self.get_directory(&key(c.client_id, &c.key), "IDEM").await? else {
            // Expired and deleted in between: free again.
            return Box::pin(self.claim_key(c)).await;
        };
        let r = Read(&item);
        let opt = |k: &str| r.s(k).ok();
        Ok(match item.get("pending") {
            Some(AttributeValue::Bool(true)) => Claim::InProgress,
            _ if r.s("fingerprint")? != c.fingerprint => Claim::Mismatch,
            _ => Claim::Replay(StoredAnswer {
                status: u16::try_from(r.n("status")?).unwrap_or(200),
                content_type: opt("contentType"),
                location: opt("location"),
                body: r.s("body")?,
            }),
        })
    }

    async fn complete_key(&self, record: &IdempotencyRecord) -> Result<()> {
        let (item, names, values) = answered(record);
        let req = self
            .client
            .put_item()
            .table_name(&self.tables.directory)
            .set_item(Some(item))
            .condition_expression(STILL_MINE)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values));
        match req.send().await {
            Ok(_) => Ok(()),
            // The key is no longer this request's (its lease ran out): nothing to record.
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(self.error(&self.tables.directory, e)),
        }
    }

    async fn release_key(&self, client_id: ClientId, k: &str, owner: &str) -> Result<()> {
        let sent = self
            .client
            .delete_item()
            .table_name(&self.tables.directory)
            .key("pk", s(key(client_id, k)))
            .key("sk", s("IDEM"))
            .condition_expression(STILL_MINE)
            .expression_attribute_names("#p", "pending")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(self.error(&self.tables.directory, e)),
        }
    }
}
