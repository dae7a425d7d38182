//! Leases on DynamoDB: one directory item each (`LEASE#{name}`), taken by a
//! conditional `PutItem` that only replaces an expired holder; TTL removes
//! forgotten ones.

use super::items::{epoch, s};
use super::DynamoStore;
use crate::{Leases, Result};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use inbox_domain::Timestamp;

const SK: &str = "LEASE";

fn key(name: &str) -> String {
    format!("LEASE#{name}")
}

fn millis(t: &Timestamp) -> AttributeValue {
    AttributeValue::N(t.timestamp_millis().to_string())
}

#[async_trait]
impl Leases for DynamoStore {
    async fn take_lease(&self, name: &str, holder: &str, until: Timestamp, now: Timestamp) -> Result<bool> {
        let table = &self.tables.directory;
        let put = self
            .client
            .put_item()
            .table_name(table)
            .item("pk", s(key(name)))
            .item("sk", s(SK))
            .item("holder", s(holder))
            .item("until", millis(&until))
            // Kept a day past its end at most.
            .item("expiresAt", epoch(&(until + chrono::Duration::days(1))))
            .condition_expression("attribute_not_exists(pk) OR #u < :now")
            .expression_attribute_names("#u", "until")
            .expression_attribute_values(":now", millis(&now));
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.as_service_error(), Some(PutItemError::ConditionalCheckFailedException(_))) => {
                Ok(false)
            }
            Err(e) => Err(self.error(table, e)),
        }
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        let table = &self.tables.directory;
        let delete = self
            .client
            .delete_item()
            .table_name(table)
            .key("pk", s(key(name)))
            .key("sk", s(SK))
            .condition_expression("holder = :h")
            .expression_attribute_values(":h", s(holder));
        match delete.send().await {
            Ok(_) => Ok(()),
            // Another holder took it after ours ended: theirs now.
            Err(e) if matches!(e.as_service_error(), Some(DeleteItemError::ConditionalCheckFailedException(_))) => {
                Ok(())
            }
            Err(e) => Err(self.error(table, e)),
        }
    }
}
