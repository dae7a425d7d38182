//! Started sign-ins on DynamoDB: one directory item each under
//! `SIGNIN#{state hash}`, expired by the table's TTL (`expiresAt`), taken by a
//! conditional `DeleteItem` that returns the item it deleted.

use super::items::{epoch, s, Read};
use super::DynamoStore;
use crate::signins::{decode, encode};
use crate::{Result, SignIn, SignIns, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValue;
use inbox_domain::Timestamp;

const SK: &str = "SIGNIN";

fn key(state_hash: &str) -> String {
    format!("SIGNIN#{state_hash}")
}

#[async_trait]
impl SignIns for DynamoStore {
    async fn put_sign_in(&self, sign_in: &SignIn) -> Result<()> {
        let table = &self.tables.directory;
        let put = self
            .client
            .put_item()
            .table_name(table)
            .item("pk", s(key(&sign_in.state_hash)))
            .item("sk", s(SK))
            .item("body", s(encode(sign_in)))
            .item("expiresAt", epoch(&sign_in.expires_at))
            .condition_expression("attribute_not_exists(pk)");
        match put.send().await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.as_service_error(), Some(PutItemError::ConditionalCheckFailedException(_))) => {
                Err(StoreError::Duplicate("sign-in state".into()))
            }
            Err(e) => Err(self.error(table, e)),
        }
    }

    async fn take_sign_in(&self, state_hash: &str, now: Timestamp) -> Result<Option<SignIn>> {
        let table = &self.tables.directory;
        let delete = self
            .client
            .delete_item()
            .table_name(table)
            .key("pk", s(key(state_hash)))
            .key("sk", s(SK))
            .condition_expression("attribute_exists(pk)")
            .return_values(ReturnValue::AllOld);
        let item = match delete.send().await {
            Ok(out) => out.attributes.unwrap_or_default(),
            // Never kept, taken already, or removed by TTL.
            Err(e) if matches!(e.as_service_error(), Some(DeleteItemError::ConditionalCheckFailedException(_))) => {
                return Ok(None)
            }
            Err(e) => return Err(self.error(table, e)),
        };
        // TTL deletes lazily: an expired item may still be there.
        let sign_in = decode(&Read(&item).s("body")?)?;
        Ok((sign_in.expires_at > now).then_some(sign_in))
    }
}
