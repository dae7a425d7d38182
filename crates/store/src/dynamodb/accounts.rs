//! Account reads on DynamoDB: one `GetItem` per account, a list page from the
//! account lists (`lists.rs`); and whole-table access for audit and rebuild.

use super::items::{account_from, account_item, put, s, Read};
use super::DynamoStore;
use crate::AccountKey;
use crate::{AccountReads, ListQuery, Page, ReadModelAdmin, Result, StoredReadModel};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use inbox_domain::{Account, AccountId, ClientId};
use uuid::Uuid;

#[async_trait]
impl AccountReads for DynamoStore {
    async fn get_account(&self, client_id: ClientId, id: AccountId) -> Result<Option<Account>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.accounts)
            .key("clientId", s(client_id.to_string()))
            .key("id", s(id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.error(&self.tables.accounts, e))?;
        out.item.as_ref().map(account_from).transpose()
    }

    async fn list_accounts(&self, client_id: ClientId, q: &ListQuery) -> Result<Page> {
        self.list_page(client_id.0, q).await
    }
}

#[async_trait]
impl ReadModelAdmin for DynamoStore {
    async fn all_accounts(&self, client_id: Option<ClientId>) -> Result<Vec<StoredReadModel>> {
        let items = self.scan_all(&self.tables.accounts, "clientId", client_id.map(|c| c.0)).await?;
        let mut rows = items
            .iter()
            .map(|i| {
                let r = Read(i);
                Ok(StoredReadModel {
                    client_id: ClientId(r.uuid("clientId")?),
                    id: AccountId(r.uuid("id")?),
                    account: account_from(i).map_err(|e| e.to_string()),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        rows.sort_by_key(|r| (r.client_id, r.account.as_ref().map(|a| a.created_at).ok(), r.id));
        Ok(rows)
    }

    async fn read_model(&self, client_id: ClientId, id: AccountId) -> Result<Option<StoredReadModel>> {
        let table = &self.tables.accounts;
        let req = self.client.get_item().table_name(table).consistent_read(true);
        let req = req.key("clientId", s(client_id.to_string())).key("id", s(id.to_string()));
        let out = req.send().await.map_err(|e| self.error(table, e))?;
        let account = |i| account_from(i).map_err(|e| e.to_string());
        Ok(out.item.as_ref().map(|i| StoredReadModel { client_id, id, account: account(i) }))
    }

    async fn read_models(&self, keys: &[AccountKey]) -> Result<Vec<Option<StoredReadModel>>> {
        let mut found = std::collections::HashMap::with_capacity(keys.len());
        let raw: Vec<(Uuid, Uuid)> = keys.iter().map(|(c, a)| (c.0, a.0)).collect();
        for item in self.items_by_key(&raw).await? {
            let r = Read(&item);
            let (client_id, id) = (ClientId(r.uuid("clientId")?), AccountId(r.uuid("id")?));
            let account = account_from(&item).map_err(|e| e.to_string());
            found.insert((client_id, id), StoredReadModel { client_id, id, account });
        }
        Ok(keys.iter().map(|key| found.remove(key)).collect())
    }

    async fn read_model_keys(&self, client_id: Option<ClientId>) -> Result<Vec<AccountKey>> {
        // Keys only: a page of the scan is never held whole.
        let table = &self.tables.accounts;
        let mut req = self.client.scan().table_name(table).consistent_read(true).projection_expression("clientId, id");
        if let Some(c) = client_id {
            req = req.filter_expression("clientId = :c").expression_attribute_values(":c", s(c.to_string()));
        }
        let mut keys = vec![];
        let mut pages = req.into_paginator().send();
        while let Some(page) = pages.next().await {
            for i in page.map_err(|e| self.error(table, e))?.items.unwrap_or_default() {
                keys.push((ClientId(Read(&i).uuid("clientId")?), AccountId(Read(&i).uuid("id")?)));
            }
        }
        Ok(keys)
    }

    async fn replace_read_model(&self, client_id: ClientId, id: AccountId, state: Option<&Account>) -> Result<()> {
        // What it replaces decides its moves in the lists; one that cannot be read
        // leaves them to `reindex_lists`.
        let before = self.read_model(client_id, id).await?.and_then(|r| r.account.ok());
        let table = &self.tables.accounts;
        let mut items = vec![match state {
            Some(a) => put(table, account_item(a)?, None, None),
            None => {
                let delete = Delete::builder().table_name(table).key("clientId", s(client_id.to_string()));
                let delete = delete.key("id", s(id.to_string())).build().expect("table and key set");
                TransactWriteItem::builder().delete(delete).build()
            }
        }];
        items.extend(self.list_writes(client_id.0, &crate::lists::change_of(before.as_ref(), state)));
        self.transact(items).await.map_err(|e| self.error(table, e))
    }

    async fn reindex_lists(&self, client_id: ClientId) -> Result<u64> {
        self.reindex(client_id.0).await
    }
}
