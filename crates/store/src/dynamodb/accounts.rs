//! Account reads on DynamoDB: one `GetItem` per account, one `Query` of the
//! client's partition per list page; and whole-table access for audit.

use super::items::{account_from, account_item, s, Read};
use super::DynamoStore;
use crate::{AccountReads, ListQuery, Page, ReadModelAdmin, Result, StoredReadModel};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use inbox_domain::Account;
use uuid::Uuid;

#[async_trait]
impl AccountReads for DynamoStore {
    async fn get_account(&self, client_id: Uuid, id: Uuid) -> Result<Option<Account>> {
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

    async fn list_accounts(&self, client_id: Uuid, q: &ListQuery) -> Result<Page> {
        // One query of the client's partition (filters applied server-side), then
        // order by creation and cut the page. One call up to 1 MB of accounts
        // per client (thousands); beyond, the paginator follows LastEvaluatedKey.
        let mut req = self
            .client
            .query()
            .table_name(&self.tables.accounts)
            .key_condition_expression("clientId = :c")
            .expression_attribute_values(":c", s(client_id.to_string()));
        let mut filters = vec![];
        if let Some(t) = &q.account_type {
            filters.push("accountType = :t");
            req = req.expression_attribute_values(":t", s(t));
        }
        if let Some(a) = q.is_authorized {
            filters.push("isAuthorized = :a");
            req = req.expression_attribute_values(":a", AttributeValue::Bool(a));
        }
        if let Some(by) = &q.created_by {
            filters.push("createdBy = :b");
            req = req.expression_attribute_values(":b", s(by));
        }
        if !filters.is_empty() {
            req = req.filter_expression(filters.join(" AND "));
        }
        let mut accounts =
            self.query_all(&self.tables.accounts, req).await?.iter().map(account_from).collect::<Result<Vec<_>>>()?;
        accounts.sort_by_key(|a| (a.created_at, a.id));
        let total = accounts.len() as u64;
        let items = accounts.into_iter().skip(q.offset as usize).take(q.limit as usize).collect();
        Ok(Page { items, total })
    }
}

#[async_trait]
impl ReadModelAdmin for DynamoStore {
    async fn all_accounts(&self, client_id: Option<Uuid>) -> Result<Vec<StoredReadModel>> {
        let items = self.scan_all(&self.tables.accounts, "clientId", client_id).await?;
        let mut rows = items
            .iter()
            .map(|i| {
                let r = Read(i);
                Ok(StoredReadModel {
                    client_id: r.uuid("clientId")?,
                    id: r.uuid("id")?,
                    account: account_from(i).map_err(|e| e.to_string()),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        rows.sort_by_key(|r| (r.client_id, r.account.as_ref().map(|a| a.created_at).ok(), r.id));
        Ok(rows)
    }

    async fn read_model(&self, client_id: Uuid, id: Uuid) -> Result<Option<StoredReadModel>> {
        let table = &self.tables.accounts;
        let req = self.client.get_item().table_name(table).consistent_read(true);
        let req = req.key("clientId", s(client_id.to_string())).key("id", s(id.to_string()));
        let out = req.send().await.map_err(|e| self.error(table, e))?;
        let account = |i| account_from(i).map_err(|e| e.to_string());
        Ok(out.item.as_ref().map(|i| StoredReadModel { client_id, id, account: account(i) }))
    }

    async fn read_model_keys(&self, client_id: Option<Uuid>) -> Result<Vec<(Uuid, Uuid)>> {
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
                keys.push((Read(&i).uuid("clientId")?, Read(&i).uuid("id")?));
            }
        }
        Ok(keys)
    }

    async fn replace_read_model(&self, client_id: Uuid, id: Uuid, state: Option<&Account>) -> Result<()> {
        let table = &self.tables.accounts;
        match state {
            Some(a) => {
                let put = self.client.put_item().table_name(table).set_item(Some(account_item(a)?));
                put.send().await.map_err(|e| self.error(table, e))?;
            }
            None => {
                let key = |k: &str, v: Uuid| (k.to_string(), s(v.to_string()));
                let keys = [key("clientId", client_id), key("id", id)].into_iter().collect();
                let delete = self.client.delete_item().table_name(table).set_key(Some(keys));
                delete.send().await.map_err(|e| self.error(table, e))?;
            }
        }
        Ok(())
    }
}
