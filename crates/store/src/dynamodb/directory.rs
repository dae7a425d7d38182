//! The directory on DynamoDB: clients, users and API tokens in one table,
//! keyed by `pk`/`sk` (see `DYNAMODB.md`).

use super::items::{client_from, client_item, client_key, put, s, token_from, token_item, token_keys, Item};
use super::DynamoStore;
use crate::{ApiToken, Client, Directory, Result, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use inbox_domain::{time, ClientId, Timestamp};
use std::collections::HashMap;
use uuid::Uuid;

/// An item whose presence says "some client exists" (one `GetItem`, no scan).
const CLIENTS_MARKER: &str = "META#TENANTS";

impl DynamoStore {
    pub(super) async fn get_directory(&self, pk: &str, sk: &str) -> Result<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.directory)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.error(&self.tables.directory, e))?;
        Ok(out.item)
    }

    /// The items under a client whose sort key starts with `prefix` (its
    /// tokens, its users): one consistent `Query` of its partition.
    pub(super) async fn client_items(&self, client_id: ClientId, prefix: &str) -> Result<Vec<Item>> {
        let req = self
            .client
            .query()
            .table_name(&self.tables.directory)
            .key_condition_expression("pk = :p AND begins_with(sk, :prefix)")
            .expression_attribute_values(":p", s(client_key(client_id)))
            .expression_attribute_values(":prefix", s(prefix));
        self.query_all(&self.tables.directory, req).await
    }
}

#[async_trait]
impl Directory for DynamoStore {
    async fn create_client(&self, c: &Client) -> Result<()> {
        let marker = HashMap::from([("pk".to_string(), s(CLIENTS_MARKER)), ("sk".to_string(), s(CLIENTS_MARKER))]);
        let directory = &self.tables.directory;
        let items = vec![
            put(directory, client_item(c), Some("attribute_not_exists(pk)"), None),
            put(directory, marker, None, None),
        ];
        self.transact(items).await.map_err(|e| {
            if e.as_service_error().is_some_and(|se| se.is_transaction_canceled_exception()) {
                StoreError::Duplicate(format!("client {}", c.id))
            } else {
                self.error(directory, e)
            }
        })?;
        Ok(())
    }

    async fn get_client(&self, id: ClientId) -> Result<Option<Client>> {
        let item = self.get_directory(&client_key(id), "TENANT").await?;
        item.map(|i| client_from(id, &i)).transpose()
    }

    async fn has_clients(&self) -> Result<bool> {
        Ok(self.get_directory(CLIENTS_MARKER, CLIENTS_MARKER).await?.is_some())
    }

    /// Both items of a token are written, and revoked, together in one transaction.
    async fn create_api_token(&self, t: &ApiToken) -> Result<()> {
        let new = |key| put(&self.tables.directory, token_item(key, t), Some("attribute_not_exists(pk)"), None);
        let [by_hash, by_client] = token_keys(t);
        self.transact(vec![new(by_hash), new(by_client)]).await.map_err(|e| self.error(&self.tables.directory, e))
    }

    async fn list_api_tokens(&self, client_id: ClientId) -> Result<Vec<ApiToken>> {
        let items = self.client_items(client_id, "TOKEN#").await?;
        let mut tokens = items.iter().map(token_from).collect::<Result<Vec<_>>>()?;
        tokens.sort_by_key(|t| (t.created_at, t.id));
        Ok(tokens)
    }

    async fn find_api_token(&self, secret_hash: &str) -> Result<Option<ApiToken>> {
        self.get_directory(&format!("TOKEN#{secret_hash}"), "TOKEN").await?.as_ref().map(token_from).transpose()
    }

    async fn get_api_token(&self, client_id: ClientId, id: Uuid) -> Result<Option<ApiToken>> {
        self.get_directory(&client_key(client_id), &format!("TOKEN#{id}")).await?.as_ref().map(token_from).transpose()
    }

    async fn revoke_api_token(&self, client_id: ClientId, id: Uuid, at: Timestamp) -> Result<bool> {
        let Some(token) = self.get_api_token(client_id, id).await? else { return Ok(false) };
        let update = |(pk, sk): (String, String)| {
            let update = Update::builder()
                .table_name(&self.tables.directory)
                .key("pk", s(pk))
                .key("sk", s(sk))
                .update_expression("SET revokedAt = if_not_exists(revokedAt, :at)")
                .expression_attribute_values(":at", s(time::format(&at)))
                .build()
                .expect("table, key and expression set");
            TransactWriteItem::builder().update(update).build()
        };
        let [by_hash, by_client] = token_keys(&token);
        self.transact(vec![update(by_hash), update(by_client)])
            .await
            .map_err(|e| self.error(&self.tables.directory, e))?;
        Ok(true)
    }
}
