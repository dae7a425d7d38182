//! Users on DynamoDB: the team's read model — both items of each user, and the
//! stream head (`usersVersion`, `teamHash`) on the client item, which is also
//! the optimistic lock over the client's users — written by the commit.

use super::events::{OnFail, Write};
use super::items::{
    client_key, n, put, s, user_event_from, user_event_key, user_from, user_item, user_key, user_keys, Read,
};
use super::DynamoStore;
use crate::{EventStore, Result, StoreError, User, UserChange, Users};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
use inbox_domain::{ClientId, Team, UserId};

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

    /// The team's read model writes: the stream head moved from `expected` to
    /// `after` (on the client item, which must exist), and the users that changed.
    pub(super) fn team_writes(
        &self,
        client_id: ClientId,
        expected: u64,
        before: Option<&Team>,
        after: Option<&Team>,
    ) -> Vec<Write> {
        let directory = &self.tables.directory;
        let condition = if expected == 0 {
            "attribute_exists(pk) AND (attribute_not_exists(usersVersion) OR usersVersion = :expected)"
        } else {
            "usersVersion = :expected"
        };
        let (version, hash) = after.map_or((0, ""), |t| (t.version, t.last_hash.as_str()));
        let update = Update::builder()
            .table_name(directory)
            .key("pk", s(client_key(client_id)))
            .key("sk", s("TENANT"))
            .update_expression("SET usersVersion = :next, teamHash = :hash")
            .condition_expression(condition)
            .expression_attribute_values(":expected", n(expected))
            .expression_attribute_values(":next", n(version))
            .expression_attribute_values(":hash", s(hash))
            .build()
            .expect("table, key and expression set");
        let mut writes = vec![(TransactWriteItem::builder().update(update).build(), OnFail::MissingClient)];
        let was = |id: UserId| before.and_then(|t| t.member(id));
        let members = after.map_or(&[][..], |t| &t.members[..]);
        for u in members {
            let old = was(u.id);
            if old == Some(u) {
                continue;
            }
            // A new user's username must be free (across clients); a changed one keeps its own.
            let [by_name, by_client] = user_keys(u);
            let free = old.is_none().then_some("attribute_not_exists(pk)");
            let taken = OnFail::Duplicate(format!("user {:?}", u.username));
            writes.push((put(directory, user_item(by_name, u), free, None), taken));
            writes.push((put(directory, user_item(by_client, u), None, None), OnFail::Conflict));
        }
        for b in before.map_or(&[][..], |t| &t.members[..]) {
            if !members.iter().any(|u| u.id == b.id) {
                writes.extend(user_keys(b).map(|key| (self.delete_item(key), OnFail::Conflict)));
            }
        }
        writes
    }

    /// A user's changes as recorded before teams had streams.
    async fn legacy_user_changes(&self, client_id: ClientId, user_id: UserId) -> Result<Vec<UserChange>> {
        let req = self
            .client
            .query()
            .table_name(&self.tables.directory)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s(user_event_key(user_id)));
        let items = self.query_all(&self.tables.directory, req).await?;
        let changes = items.iter().map(user_event_from).collect::<Result<Vec<_>>>()?;
        Ok(changes.into_iter().filter(|e| e.client_id == client_id).collect())
    }
}

#[async_trait]
impl Users for DynamoStore {
    async fn team(&self, client_id: ClientId) -> Result<Option<Team>> {
        let client = self.get_directory(&client_key(client_id), "TENANT").await?;
        let (version, hash) = match &client {
            Some(i) if i.contains_key("usersVersion") => {
                let hash = if i.contains_key("teamHash") { Read(i).s("teamHash")? } else { String::new() };
                (Read(i).n("usersVersion")?, hash)
            }
            _ => (0, String::new()),
        };
        let items = self.client_items(client_id, "USER#").await?;
        let mut members = items.iter().map(user_from).collect::<Result<Vec<User>>>()?;
        members.sort_by_key(|u| (u.created_at, u.id));
        if version == 0 && members.is_empty() {
            return Ok(None);
        }
        Ok(Some(Team { members, version, last_hash: hash }))
    }

    async fn get_user(&self, client_id: ClientId, id: UserId) -> Result<Option<User>> {
        self.get_directory(&client_key(client_id), &format!("USER#{id}")).await?.as_ref().map(user_from).transpose()
    }

    async fn find_user(&self, username: &str) -> Result<Option<User>> {
        self.get_directory(&user_key(username), "USER").await?.as_ref().map(user_from).transpose()
    }

    async fn user_changes(&self, client_id: ClientId, user_id: UserId) -> Result<Vec<UserChange>> {
        let events = self.load_stream(client_id.team_stream()).await?;
        if events.is_empty() {
            // Not upgraded yet (`inbox dynamodb migrate`): the records as they were kept.
            return self.legacy_user_changes(client_id, user_id).await;
        }
        inbox_domain::team::history(user_id, &events).map_err(|e| StoreError::Internal(e.to_string()))
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
