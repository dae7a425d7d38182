//! The upgrade of tables written before every stream was in the event log
//! (`inbox dynamodb migrate`, after every function runs the new version): each
//! client's user records (`USEREVENTS#…`) become its team's stream, each
//! webhook endpoint's records (`WEBHOOK#…` / `EVENT#…`) its stream, by the
//! domain's upcasters. Until then those streams answer reads from the old
//! records and refuse commands (503). Safe to run again, or after a crash: the
//! upcasters are deterministic, events are put only where absent, and the
//! read model (which marks a stream upgraded) is written last.

use super::items::{client_key, put, s, user_event_from, user_from, user_item, user_keys, Item, Read};
use super::DynamoStore;
use crate::{Endpoint, EndpointChange, Result, StoreError, User, UserChange};
use inbox_domain::{endpoint, team, ClientId, EndpointId, StoredEvent, Team};
use std::collections::BTreeMap;

/// What the upgrade did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Upgraded {
    pub teams: usize,
    pub endpoints: usize,
    pub events: usize,
}

/// The directory's records the upgrade reads, from one scan.
#[derive(Default)]
struct Legacy {
    /// Clients whose team has no stream head yet.
    teams: BTreeMap<ClientId, Vec<User>>,
    user_changes: BTreeMap<ClientId, Vec<UserChange>>,
    endpoints: BTreeMap<EndpointId, (ClientId, Option<Endpoint>)>,
    endpoint_changes: BTreeMap<EndpointId, Vec<EndpointChange>>,
}

fn decode<T: serde::de::DeserializeOwned>(i: &Item, what: &str) -> Result<T> {
    serde_json::from_str(&Read(i).s("body")?).map_err(|e| StoreError::Internal(format!("bad {what}: {e}")))
}

impl DynamoStore {
    pub async fn upgrade_streams(&self) -> Result<Upgraded> {
        let legacy = self.legacy_records().await?;
        let mut done = Upgraded::default();
        for (client, members) in &legacy.teams {
            let records = legacy.user_changes.get(client).map_or(&[][..], Vec::as_slice);
            if members.is_empty() && records.is_empty() {
                continue;
            }
            let (events, after) = team::upgrade(*client, members, records)
                .map_err(|e| StoreError::Internal(format!("cannot upgrade the users of {client}: {e}")))?;
            done.events += self.put_absent(&events).await?;
            self.write_team_head(*client, members, after.as_ref()).await?;
            done.teams += 1;
        }
        for (id, (client, current)) in &legacy.endpoints {
            let upgraded = match current {
                Some(e) => !e.last_hash.is_empty(),
                // Only records: deleted before the upgrade, or upgraded and deleted since.
                None => crate::EventStore::stream_head(self, id.0).await?.is_some(),
            };
            if upgraded {
                continue;
            }
            let records = legacy.endpoint_changes.get(id).map_or(&[][..], Vec::as_slice);
            let (events, after) = endpoint::upgrade(*id, current.as_ref(), records)
                .map_err(|e| StoreError::Internal(format!("cannot upgrade webhook endpoint {id}: {e}")))?;
            done.events += self.put_absent(&events).await?;
            if let Some(e) = &after {
                let write = self.endpoint_write(*client, *id, current.as_ref().map_or(0, |c| c.version), Some(e));
                self.transact(vec![write]).await.map_err(|e| self.error(&self.tables.directory, e))?;
            }
            done.endpoints += 1;
        }
        Ok(done)
    }

    async fn legacy_records(&self) -> Result<Legacy> {
        let directory = &self.tables.directory;
        let mut pages = self.client.scan().table_name(directory).consistent_read(true).into_paginator().send();
        let mut legacy = Legacy::default();
        while let Some(page) = pages.next().await {
            for item in page.map_err(|e| self.error(directory, e))?.items.unwrap_or_default() {
                let r = Read(&item);
                let (pk, sk) = (r.s("pk")?, r.s("sk")?);
                if let Some(client) = pk.strip_prefix("TENANT#") {
                    let client = ClientId(client.parse().map_err(|_| StoreError::Internal(format!("bad key {pk}")))?);
                    if sk == "TENANT" && !item.contains_key("teamHash") {
                        legacy.teams.entry(client).or_default();
                    } else if sk.starts_with("USER#") {
                        legacy.teams.entry(client).or_default().push(user_from(&item)?);
                    } else if sk.starts_with("WEBHOOK#") {
                        let e: Endpoint = decode(&item, "webhook endpoint")?;
                        legacy.endpoints.insert(e.id, (client, Some(e)));
                    }
                } else if pk.starts_with("USEREVENTS#") {
                    let change = user_event_from(&item)?;
                    legacy.user_changes.entry(change.client_id).or_default().push(change);
                } else if pk.starts_with("WEBHOOK#") && sk.starts_with("EVENT#") {
                    let change: EndpointChange = decode(&item, "webhook event")?;
                    legacy.endpoints.entry(change.endpoint_id).or_insert((change.client_id, None));
                    legacy.endpoint_changes.entry(change.endpoint_id).or_default().push(change);
                }
            }
        }
        // Users of clients whose team has a stream already were collected too.
        let upgraded: Vec<ClientId> = legacy.teams.keys().copied().collect();
        for client in upgraded {
            let head = self.get_directory(&client_key(client), "TENANT").await?;
            if head.is_some_and(|h| h.contains_key("teamHash")) {
                legacy.teams.remove(&client);
            }
        }
        Ok(legacy)
    }

    /// Puts each event unless its version is stored already (by an earlier run).
    async fn put_absent(&self, events: &[StoredEvent]) -> Result<usize> {
        let table = &self.tables.events;
        let mut put_count = 0;
        for e in events {
            let sent = self
                .client
                .put_item()
                .table_name(table)
                .set_item(Some(super::items::event_item(e)))
                .condition_expression("attribute_not_exists(version)")
                .send()
                .await;
            match sent {
                Ok(_) => put_count += 1,
                Err(err) if err.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {}
                Err(err) => return Err(self.error(table, err)),
            }
        }
        Ok(put_count)
    }

    /// The upgraded team's users, then its stream head (which marks it upgraded).
    async fn write_team_head(&self, client: ClientId, members: &[User], after: Option<&Team>) -> Result<()> {
        let directory = &self.tables.directory;
        let team = after.cloned().unwrap_or(Team { members: vec![], version: 0, last_hash: String::new() });
        for u in &team.members {
            for key in user_keys(u) {
                let write = put(directory, user_item(key, u), None, None);
                self.transact(vec![write]).await.map_err(|e| self.error(directory, e))?;
            }
        }
        for gone in members.iter().filter(|m| team.member(m.id).is_none()) {
            let deletes = user_keys(gone).map(|key| self.delete_item(key)).to_vec();
            self.transact(deletes).await.map_err(|e| self.error(directory, e))?;
        }
        self.client
            .update_item()
            .table_name(directory)
            .key("pk", s(client_key(client)))
            .key("sk", s("TENANT"))
            .update_expression("SET usersVersion = :v, teamHash = :h")
            .expression_attribute_values(":v", super::items::n(team.version))
            .expression_attribute_values(":h", s(&team.last_hash))
            .send()
            .await
            .map_err(|e| self.error(directory, e))?;
        Ok(())
    }
}
