//! Refresh-token families and failed-login counters on DynamoDB, in the
//! directory table; expired items go by its TTL attribute (`expiresAt`).

use super::errors::cancelled_by_condition;
use super::items::{
    client_key, epoch, family_from, family_item, family_key, n, put, refresh_from, refresh_item, refresh_key, s, Read,
};
use super::DynamoStore;
use crate::{Attempt, LoginThrottle, RefreshFamily, RefreshToken, RefreshTokens, Result};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use inbox_domain::{time, Timestamp};

fn failures_key(username: &str) -> String {
    format!("LOGINFAILURES#{username}")
}

/// A failure counter outlives its window by a day at most (then TTL removes it).
const FAILURES_KEPT_SECONDS: i64 = 86_400;

#[async_trait]
impl RefreshTokens for DynamoStore {
    async fn start_family(&self, f: &RefreshFamily) -> Result<()> {
        let directory = &self.tables.directory;
        let token = RefreshToken { hash: f.current.clone(), family: f.id, expires_at: f.expires_at };
        let items = vec![
            put(directory, family_item(f), Some("attribute_not_exists(pk)"), None),
            put(directory, refresh_item(&token), Some("attribute_not_exists(pk)"), None),
        ];
        self.transact(items).await.map_err(|e| self.error(directory, e))
    }

    async fn find_refresh(&self, hash: &str) -> Result<Option<(RefreshToken, RefreshFamily)>> {
        let Some(item) = self.get_directory(&refresh_key(hash), "REFRESH").await? else { return Ok(None) };
        let token = refresh_from(hash, &item)?;
        let Some(family) = self.get_directory(&family_key(token.family), "FAMILY").await? else { return Ok(None) };
        Ok(Some((token.clone(), family_from(token.family, &family)?)))
    }

    async fn rotate_refresh(&self, family: &RefreshFamily, used: &str, next: &RefreshToken) -> Result<bool> {
        let directory = &self.tables.directory;
        let update = Update::builder()
            .table_name(directory)
            .key("pk", s(family_key(next.family)))
            .key("sk", s("FAMILY"))
            .update_expression("SET #c = :next, expiresAt = :exp")
            .condition_expression("#c = :used AND revoked = :false")
            .expression_attribute_names("#c", "current")
            .expression_attribute_values(":next", s(&next.hash))
            .expression_attribute_values(":exp", epoch(&next.expires_at))
            .expression_attribute_values(":used", s(used))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .build()
            .expect("table, key and expression set");
        // The user as it was at login: still there, enabled, unchanged.
        let user = ConditionCheck::builder()
            .table_name(directory)
            .key("pk", s(client_key(family.client_id)))
            .key("sk", s(format!("USER#{}", family.user_id)))
            .condition_expression("version = :v AND enabled = :true")
            .expression_attribute_values(":v", n(family.user_version))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .build()
            .expect("table, key and condition set");
        let items = vec![
            TransactWriteItem::builder().update(update).build(),
            put(directory, refresh_item(next), Some("attribute_not_exists(pk)"), None),
            TransactWriteItem::builder().condition_check(user).build(),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(true),
            Err(e) if cancelled_by_condition(&e) => Ok(false),
            Err(e) => Err(self.error(directory, e)),
        }
    }

    async fn revoke_family(&self, family: uuid::Uuid) -> Result<()> {
        let directory = &self.tables.directory;
        let result = self
            .client
            .update_item()
            .table_name(directory)
            .key("pk", s(family_key(family)))
            .key("sk", s("FAMILY"))
            .update_expression("SET revoked = :true")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // No such family (expired and removed): nothing left to revoke.
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(self.error(directory, e)),
        }
    }
}

#[async_trait]
impl LoginThrottle for DynamoStore {
    async fn take_login_attempt(
        &self,
        username: &str,
        now: Timestamp,
        window_start_after: Timestamp,
        max: u32,
    ) -> Result<Attempt> {
        let directory = &self.tables.directory;
        let update = || {
            self.client
                .update_item()
                .table_name(directory)
                .key("pk", s(failures_key(username)))
                .key("sk", s("LOGINFAILURES"))
        };
        let failed = |e: &aws_sdk_dynamodb::error::SdkError<UpdateItemError, _>| {
            e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception())
        };
        // A new window, if there is none or the current one is over …
        let fresh = update()
            .update_expression("SET failures = :one, since = :now, expiresAt = :exp")
            .condition_expression("attribute_not_exists(pk) OR since < :cutoff")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", s(time::format(&now)))
            .expression_attribute_values(":cutoff", s(time::format(&window_start_after)))
            .expression_attribute_values(":exp", epoch(&(now + chrono::Duration::seconds(FAILURES_KEPT_SECONDS))))
            .send()
            .await;
        match fresh {
            Ok(_) => return Ok(Attempt::Allowed),
            Err(e) if failed(&e) => {}
            Err(e) => return Err(self.error(directory, e)),
        }
        // … else one more in the current one, while under the limit (an atomic counter) …
        let counted = update()
            .update_expression("ADD failures :one")
            .condition_expression("failures < :max")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(max.into()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match counted {
            Ok(_) => Ok(Attempt::Allowed),
            // … else refused, until the window that started `since` is over.
            Err(e) if failed(&e) => {
                let old = match e.as_service_error() {
                    Some(UpdateItemError::ConditionalCheckFailedException(c)) => c.item().cloned(),
                    _ => None,
                };
                let item = match old {
                    Some(item) => item,
                    None => self.get_directory(&failures_key(username), "LOGINFAILURES").await?.unwrap_or_default(),
                };
                let since = Read(&item).time("since").unwrap_or(now);
                Ok(Attempt::Refused { since })
            }
            Err(e) => Err(self.error(directory, e)),
        }
    }

    async fn clear_login_failures(&self, username: &str) -> Result<()> {
        let directory = &self.tables.directory;
        self.client
            .delete_item()
            .table_name(directory)
            .key("pk", s(failures_key(username)))
            .key("sk", s("LOGINFAILURES"))
            .send()
            .await
            .map_err(|e| self.error(directory, e))?;
        Ok(())
    }
}
