//! API token usage on DynamoDB: the last use is a conditional update of both
//! items of the token (so a burst writes once a minute), and the request log is
//! one item per request under `TOKENLOG#{token}`, expired by the table's TTL.

use super::errors::cancelled_by_condition;
use super::items::{last_used, n, s, token_keys, token_log_key, token_request_from, token_request_item};
use super::DynamoStore;
use crate::{ApiToken, Result, TokenRequest, TokenUsage, TokenUse};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use inbox_domain::{time, Timestamp};
use uuid::Uuid;

#[async_trait]
impl TokenUsage for DynamoStore {
    async fn touch_api_token(&self, token: &ApiToken, used: &TokenUse, not_before: Timestamp) -> Result<bool> {
        let values = last_used(used);
        let set: Vec<String> = values.keys().map(|k| format!("{k} = :{k}")).collect();
        let update = |(pk, sk): (String, String)| {
            let mut u = Update::builder()
                .table_name(&self.tables.directory)
                .key("pk", s(pk))
                .key("sk", s(sk))
                .update_expression(format!("SET {}", set.join(", ")))
                .condition_expression(
                    "attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :since)",
                )
                .expression_attribute_values(":since", s(time::format(&not_before)));
            for (k, v) in &values {
                u = u.expression_attribute_values(format!(":{k}"), v.clone());
            }
            TransactWriteItem::builder().update(u.build().expect("table, key and expression set")).build()
        };
        let [by_hash, by_client] = token_keys(token);
        match self.transact(vec![update(by_hash), update(by_client)]).await {
            Ok(()) => Ok(true),
            Err(e) if cancelled_by_condition(&e) => Ok(false),
            Err(e) => Err(self.error(&self.tables.directory, e)),
        }
    }

    async fn log_token_requests(&self, entries: &[TokenRequest]) -> Result<()> {
        for e in entries {
            let put = self.client.put_item().table_name(&self.tables.directory).set_item(Some(token_request_item(e)));
            put.send().await.map_err(|err| self.error(&self.tables.directory, err))?;
        }
        Ok(())
    }

    async fn token_requests(
        &self,
        token_id: Uuid,
        before: Option<&str>,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<TokenRequest>> {
        let directory = &self.tables.directory;
        // TTL deletes lazily (up to days later): expired entries are filtered out.
        let mut req = self
            .client
            .query()
            .table_name(directory)
            .consistent_read(true)
            .scan_index_forward(false)
            .filter_expression("expiresAt > :now")
            .expression_attribute_values(":p", s(token_log_key(token_id)))
            .expression_attribute_values(":now", n(now.timestamp().max(0) as u64));
        req = match before {
            Some(key) => req.key_condition_expression("pk = :p AND sk < :b").expression_attribute_values(":b", s(key)),
            None => req.key_condition_expression("pk = :p"),
        };
        // A filtered page may come back short: follow LastEvaluatedKey until full.
        let mut out = vec![];
        let mut pages = req.limit(limit as i32).into_paginator().send();
        while let Some(page) = pages.next().await {
            for item in page.map_err(|e| self.error(directory, e))?.items.unwrap_or_default() {
                out.push(token_request_from(token_id, &item)?);
                if out.len() == limit {
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }
}
