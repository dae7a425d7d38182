//! The renewal index on DynamoDB ([`crate::renewals`]), in the directory
//! table: an item per account due, under one of a few `RENEWALS-DUE#n`
//! partitions sorted by expiry, moved by the account's own commit; due
//! accounts are found by a `Query`, never a scan.

use super::events::{OnFail, Write};
use super::items::{put, s, Read};
use super::DynamoStore;
use crate::{Renewal, Renewals, Result, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use inbox_domain::{time, AccountId, ClientId, State, Timestamp};
use std::collections::HashMap;
use uuid::Uuid;

/// Due items spread over this many partitions (by account id).
const SHARDS: u32 = 4;

fn key(client_id: ClientId, id: Uuid, due: &Timestamp) -> (String, String) {
    let shard = id.as_bytes().iter().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(*b as u32)) % SHARDS;
    (format!("RENEWALS-DUE#{shard}"), format!("{}#{client_id}#{id}", time::format(due)))
}

impl DynamoStore {
    /// The account's move in the index, when its due time changes.
    pub(super) fn renewal_writes(&self, client_id: ClientId, id: Uuid, before: &State, after: &State) -> Vec<Write> {
        let (old, new) = (crate::renewals::due(before.as_ref()), crate::renewals::due(after.as_ref()));
        if old == new {
            return vec![];
        }
        let directory = &self.tables.directory;
        let mut writes = vec![];
        if let Some(old) = old {
            let (pk, sk) = key(client_id, id, &old);
            let delete = Delete::builder().table_name(directory).key("pk", s(pk)).key("sk", s(sk)).build();
            let delete = TransactWriteItem::builder().delete(delete.expect("table and key set")).build();
            writes.push((delete, OnFail::Conflict));
        }
        if let Some(new) = new {
            let (pk, sk) = key(client_id, id, &new);
            let item = HashMap::from([
                ("pk".to_string(), s(pk)),
                ("sk".to_string(), s(sk)),
                ("clientId".to_string(), s(client_id.to_string())),
                ("account".to_string(), s(id.to_string())),
                ("expiresAt".to_string(), s(time::format(&new))),
            ]);
            writes.push((put(directory, item, None, None), OnFail::Conflict));
        }
        writes
    }
}

#[async_trait]
impl Renewals for DynamoStore {
    async fn renewals_due(&self, before: Timestamp, limit: usize) -> Result<Vec<Renewal>> {
        let directory = &self.tables.directory;
        let mut due = vec![];
        for shard in 0..SHARDS {
            let out = self
                .client
                .query()
                .table_name(directory)
                .key_condition_expression("pk = :p AND sk < :before")
                .expression_attribute_values(":p", s(format!("RENEWALS-DUE#{shard}")))
                .expression_attribute_values(":before", s(time::format(&before)))
                .limit(limit.clamp(1, 1000) as i32)
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| self.error(directory, e))?;
            for item in out.items.unwrap_or_default() {
                let r = Read(&item);
                let expires_at = time::parse(&r.s("expiresAt")?)
                    .ok_or_else(|| StoreError::Internal("unreadable renewal expiry".into()))?;
                due.push(Renewal {
                    client_id: ClientId(r.uuid("clientId")?),
                    account_id: AccountId(r.uuid("account")?),
                    expires_at,
                });
            }
        }
        due.sort_by_key(|r| r.expires_at);
        due.truncate(limit);
        Ok(due)
    }
}
