//! Users on DynamoDB: a change is one `TransactWriteItems` — the client item's
//! `usersVersion` (the optimistic lock over the client's users), both items of
//! the user, and its event.

use super::errors::cancellation_codes;
use super::items::{
    client_key, n, put, s, user_event_from, user_event_item, user_event_key, user_from, user_item, user_key, user_keys,
    Item, Read,
};
use super::DynamoStore;
use crate::{Result, StoreError, User, UserCommit, UserEvent, Users};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};

use uuid::Uuid;

impl DynamoStore {
    /// A `Delete` of one directory item inside a transaction.
    pub(super) fn delete_item(&self, (pk, sk): (String, String)) -> TransactWriteItem {
        let delete = Delete::builder()
            .table_name(&self.tables.directory)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .build()
            .expect("table and key set");
        TransactWriteItem::builder().delete(delete).build()
    }

    /// Moves the client's users version from `expected` on (a client stored
    /// before users had versions is at 0).
    fn bump_users_version(&self, c: &UserCommit) -> TransactWriteItem {
        let condition = if c.expected == 0 {
            "attribute_exists(pk) AND (attribute_not_exists(usersVersion) OR usersVersion = :expected)"
        } else {
            "usersVersion = :expected"
        };
        let update = Update::builder()
            .table_name(&self.tables.directory)
            .key("pk", s(client_key(c.client_id)))
            .key("sk", s("TENANT"))
            .update_expression("SET usersVersion = :next")
            .condition_expression(condition)
            .expression_attribute_values(":expected", n(c.expected))
            .expression_attribute_values(":next", n(c.expected + 1))
            .build()
            .expect("table, key and expression set");
        TransactWriteItem::builder().update(update).build()
    }
}

#[async_trait]
impl Users for DynamoStore {
    async fn client_users(&self, client_id: Uuid) -> Result<(u64, Vec<User>)> {
        let client = self.get_directory(&client_key(client_id), "TENANT").await?;
        let version = match &client {
            Some(i) if i.contains_key("usersVersion") => Read(i).n("usersVersion")?,
            _ => 0,
        };
        let items = self.client_items(client_id, "USER#").await?;
        let mut users = items.iter().map(user_from).collect::<Result<Vec<_>>>()?;
        users.sort_by_key(|u| (u.created_at, u.id));
        Ok((version, users))
    }

    async fn get_user(&self, client_id: Uuid, id: Uuid) -> Result<Option<User>> {
        self.get_directory(&client_key(client_id), &format!("USER#{id}")).await?.as_ref().map(user_from).transpose()
    }

    async fn find_user(&self, username: &str) -> Result<Option<User>> {
        self.get_directory(&user_key(username), "USER").await?.as_ref().map(user_from).transpose()
    }

    async fn commit_user(&self, c: &UserCommit) -> Result<()> {
        let directory = &self.tables.directory;
        let mut items = vec![self.bump_users_version(c)];
        match (&c.before, &c.after) {
            (before, Some(u)) => {
                // A new user's username must be free; a changed one keeps its own.
                let [by_name, by_client] = user_keys(u);
                let free = before.is_none().then_some("attribute_not_exists(pk)");
                items.push(put(directory, user_item(by_name, u), free, None));
                items.push(put(directory, user_item(by_client, u), None, None));
            }
            (Some(u), None) => items.extend(user_keys(u).map(|key| self.delete_item(key))),
            (None, None) => {}
        }
        let event: Item = user_event_item(&c.event);
        items.push(put(directory, event, Some("attribute_not_exists(pk)"), None));
        let Err(e) = self.transact(items).await else { return Ok(()) };
        let codes = cancellation_codes(&e);
        let failed = |i: usize| codes.get(i).and_then(Option::as_deref);
        if codes.is_empty() {
            return Err(self.error(directory, e));
        }
        if failed(1) == Some("ConditionalCheckFailed") && c.before.is_none() {
            let name = c.after.as_ref().map_or("", |u| u.username.as_str());
            return Err(StoreError::Duplicate(format!("user {name:?}")));
        }
        if failed(0) == Some("ConditionalCheckFailed")
            && crate::Directory::get_client(self, c.client_id).await?.is_none()
        {
            return Err(StoreError::Internal(format!("no client {}", c.client_id)));
        }
        if codes.iter().flatten().all(|code| code == "ConditionalCheckFailed" || code == "TransactionConflict") {
            return Err(StoreError::Conflict { stream_id: c.client_id, expected: c.expected });
        }
        Err(self.error(directory, e))
    }

    async fn user_events(&self, client_id: Uuid, user_id: Uuid) -> Result<Vec<UserEvent>> {
        let req = self
            .client
            .query()
            .table_name(&self.tables.directory)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s(user_event_key(user_id)));
        let items = self.query_all(&self.tables.directory, req).await?;
        let events = items.iter().map(user_event_from).collect::<Result<Vec<_>>>()?;
        Ok(events.into_iter().filter(|e| e.client_id == client_id).collect())
    }
}

impl DynamoStore {
    /// Lists under their client the users stored before users were (one item
    /// by username only): a consistent scan, once after an upgrade
    /// (`inbox dynamodb migrate`). Returns how many it listed; running it again
    /// lists none.
    pub async fn index_users(&self) -> Result<usize> {
        let directory = &self.tables.directory;
        let mut pages = self
            .client
            .scan()
            .table_name(directory)
            .consistent_read(true)
            .filter_expression("sk = :u")
            .expression_attribute_values(":u", s("USER"))
            .into_paginator()
            .send();
        let mut listed = 0;
        while let Some(page) = pages.next().await {
            for item in page.map_err(|e| self.error(directory, e))?.items.unwrap_or_default() {
                let user = user_from(&item)?;
                let [_, by_client] = user_keys(&user);
                let put = self
                    .client
                    .put_item()
                    .table_name(directory)
                    .set_item(Some(user_item(by_client, &user)))
                    .condition_expression("attribute_not_exists(pk)")
                    .send()
                    .await;
                match put {
                    Ok(_) => listed += 1,
                    Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {}
                    Err(e) => return Err(self.error(directory, e)),
                }
            }
        }
        Ok(listed)
    }
}
