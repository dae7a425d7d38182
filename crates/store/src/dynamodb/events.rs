//! The event log on DynamoDB: a command on any stream is one
//! `TransactWriteItems` (conditional event puts, and its read model's writes,
//! conditioned on the stream head), and streams are read back whole, past 1 MB.

use super::errors::cancellation_codes;
use super::items::{account_item, client_key, event_from, event_item, n, put, s};
use super::DynamoStore;
use crate::{Commit, EventStore, ReadModel, Result, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use inbox_domain::{ClientId, EndpointId, State, StoredEvent};
use std::collections::HashMap;
use uuid::Uuid;

/// How often a commit is sent while other transactions hold its items.
const COMMIT_ATTEMPTS: u32 = 8;

/// Why a commit's transaction was cancelled, from its items' codes.
#[derive(Debug, PartialEq, Eq)]
enum Cancelled {
    /// A condition failed: the stream moved on (or exists already).
    Stale,
    /// Only other transactions in progress on its items: worth sending again.
    Busy,
    /// Not cancelled, or for another reason.
    No,
}

fn cancelled(codes: &[Option<String>]) -> Cancelled {
    let has = |code: &str| codes.iter().flatten().any(|c| c == code);
    if has("ConditionalCheckFailed") {
        Cancelled::Stale
    } else if has("TransactionConflict") {
        Cancelled::Busy
    } else {
        Cancelled::No
    }
}

/// What a failed condition of one item of a commit means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum OnFail {
    /// The stream moved on (or exists already).
    Conflict,
    /// A unique value is taken: [`StoreError::Duplicate`] of this.
    Duplicate(String),
    /// The client item is missing — or the stream moved on.
    MissingClient,
}

/// One item of a commit's transaction, and what its failed condition means.
pub(super) type Write = (TransactWriteItem, OnFail);

impl DynamoStore {
    /// The one dispatch from a commit to the writer of its stream's read model.
    fn read_model_writes(&self, c: &Commit) -> Result<Vec<Write>> {
        let expected = c.expected_version;
        Ok(match &c.read_model {
            ReadModel::Account { before, after } => {
                self.account_writes(c.client_id, c.stream_id, expected, before, after)?
            }
            ReadModel::Team { before, after } => {
                self.team_writes(c.client_id, expected, before.as_ref(), after.as_ref())
            }
            ReadModel::Webhook { after } => {
                vec![(
                    self.endpoint_write(c.client_id, EndpointId(c.stream_id), expected, after.as_ref()),
                    OnFail::Conflict,
                )]
            }
        })
    }

    /// The account's read model, conditioned on the stream head (its version
    /// is the optimistic lock), and its moves in the account lists.
    fn account_writes(
        &self,
        client_id: ClientId,
        stream_id: Uuid,
        expected: u64,
        before: &State,
        after: &State,
    ) -> Result<Vec<Write>> {
        let (condition, values) = if expected == 0 {
            ("attribute_not_exists(id)", None)
        } else {
            ("version = :expected", Some(HashMap::from([(":expected".to_string(), n(expected))])))
        };
        let mut writes = vec![match after {
            Some(a) => put(&self.tables.accounts, account_item(a)?, Some(condition), values),
            None => TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&self.tables.accounts)
                        .key("clientId", s(client_id.to_string()))
                        .key("id", s(stream_id.to_string()))
                        .condition_expression(condition)
                        .set_expression_attribute_values(values)
                        .build()
                        .expect("table and key set"),
                )
                .build(),
        }];
        let lists = crate::lists::change_of(before.as_ref(), after.as_ref());
        writes.extend(self.list_writes(client_id.0, &lists));
        let mut writes: Vec<Write> = writes.into_iter().map(|w| (w, OnFail::Conflict)).collect();
        writes.extend(self.subject_writes(client_id, stream_id, before, after));
        writes.extend(self.renewal_writes(client_id, stream_id, before, after));
        Ok(writes)
    }

    /// The account's claim on its provider subject ([`crate::subjects`]), moved
    /// when it changes: put only if free or already this account's.
    fn subject_writes(&self, client_id: ClientId, stream_id: Uuid, before: &State, after: &State) -> Vec<Write> {
        let (old, new) = (crate::subjects::claim(before.as_ref()), crate::subjects::claim(after.as_ref()));
        if old == new {
            return vec![];
        }
        let directory = &self.tables.directory;
        let key = |claim: &str| (s(client_key(client_id)), s(format!("SUBJECT#{claim}")));
        let mut writes = vec![];
        if let Some(old) = old {
            let (pk, sk) = key(&old);
            let delete = Delete::builder().table_name(directory).key("pk", pk).key("sk", sk).build();
            writes.push((
                TransactWriteItem::builder().delete(delete.expect("table and key set")).build(),
                OnFail::Conflict,
            ));
        }
        if let Some(new) = new {
            let (pk, sk) = key(&new);
            let item = HashMap::from([
                ("pk".to_string(), pk),
                ("sk".to_string(), sk),
                ("account".to_string(), s(stream_id.to_string())),
            ]);
            let values = HashMap::from([(":id".to_string(), s(stream_id.to_string()))]);
            let claim = put(directory, item, Some("attribute_not_exists(pk) OR account = :id"), Some(values));
            writes.push((claim, OnFail::Duplicate(crate::subjects::taken(&new))));
        }
        writes
    }

    /// What a cancelled commit tells its caller, from the first failed condition.
    async fn refusal(&self, c: &Commit, on_fail: &[OnFail], codes: &[Option<String>]) -> Result<StoreError> {
        let failed = codes.iter().position(|code| code.as_deref() == Some("ConditionalCheckFailed"));
        let conflict = StoreError::Conflict { stream_id: c.stream_id, expected: c.expected_version };
        Ok(match failed.and_then(|i| on_fail.get(i)) {
            Some(OnFail::Duplicate(what)) => StoreError::Duplicate(what.clone()),
            Some(OnFail::MissingClient) if crate::Directory::get_client(self, c.client_id).await?.is_none() => {
                StoreError::Internal(format!("no client {}", c.client_id))
            }
            _ => conflict,
        })
    }
}

#[async_trait]
impl EventStore for DynamoStore {
    async fn commit(&self, c: Commit) -> Result<()> {
        if c.events.is_empty() {
            return match &c.idempotency {
                Some(record) => crate::Idempotency::complete_key(self, record).await,
                None => Ok(()),
            };
        }
        let events = &self.tables.events;
        let mut writes: Vec<Write> = c
            .events
            .iter()
            .map(|e| (put(events, event_item(e), Some("attribute_not_exists(version)"), None), OnFail::Conflict))
            .collect();
        writes.extend(self.read_model_writes(&c)?);
        if let Some(record) = &c.idempotency {
            let answered = super::idempotency::answered_in_transaction(&self.tables.directory, record);
            writes.push((answered, OnFail::Conflict));
        }
        let (items, on_fail): (Vec<_>, Vec<_>) = writes.into_iter().unzip();
        // Commands of one client share its list counts: a transaction that met
        // another one on a count (and on nothing of its own stream) wrote
        // nothing, and is sent again rather than refused.
        for attempt in 1.. {
            match self.transact(items.clone()).await {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let codes = cancellation_codes(&e);
                    match cancelled(&codes) {
                        Cancelled::Busy if attempt < COMMIT_ATTEMPTS => crate::commands::backoff(attempt * 8).await,
                        // Still busy: not a version conflict (a new account would read as
                        // "exists already"), but a moment's overload worth retrying.
                        Cancelled::Busy => {
                            return Err(StoreError::Unavailable(format!(
                                "{}: other transactions kept holding the items of a commit on stream {}",
                                self.tables.events, c.stream_id
                            )))
                        }
                        Cancelled::Stale => return Err(self.refusal(&c, &on_fail, &codes).await?),
                        Cancelled::No => return Err(self.error(&self.tables.events, e)),
                    }
                }
            }
        }
        unreachable!("the last attempt returns")
    }

    async fn load_stream(&self, stream_id: Uuid) -> Result<Vec<StoredEvent>> {
        let req = self
            .client
            .query()
            .table_name(&self.tables.events)
            .key_condition_expression("streamId = :s")
            .expression_attribute_values(":s", s(stream_id.to_string()));
        self.query_all(&self.tables.events, req).await?.iter().map(event_from).collect()
    }

    async fn stream_range(&self, stream_id: Uuid, first: u64, last: u64) -> Result<Vec<StoredEvent>> {
        let req = self
            .client
            .query()
            .table_name(&self.tables.events)
            .key_condition_expression("streamId = :s AND version BETWEEN :first AND :last")
            .expression_attribute_values(":s", s(stream_id.to_string()))
            .expression_attribute_values(":first", n(first))
            .expression_attribute_values(":last", n(last));
        self.query_all(&self.tables.events, req).await?.iter().map(event_from).collect()
    }

    async fn stream_head(&self, stream_id: Uuid) -> Result<Option<StoredEvent>> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.events)
            .key_condition_expression("streamId = :s")
            .expression_attribute_values(":s", s(stream_id.to_string()))
            .scan_index_forward(false)
            .limit(1)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.error(&self.tables.events, e))?;
        out.items.unwrap_or_default().first().map(event_from).transpose()
    }

    async fn events_page(
        &self,
        client_id: Option<ClientId>,
        segment: crate::Segment,
        after: Option<crate::EventKey>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        // A Scan reads one partition (stream) after another, each by sort key
        // (version), and may start after any key: the page's last event.
        let table = &self.tables.events;
        let key = |(stream, version): crate::EventKey| {
            let n = aws_sdk_dynamodb::types::AttributeValue::N(version.to_string());
            std::collections::HashMap::from([("streamId".to_string(), s(stream.to_string())), ("version".into(), n)])
        };
        let mut start = after.map(key);
        let mut events = vec![];
        loop {
            let mut req = self.client.scan().table_name(table).consistent_read(true).limit(limit.clamp(1, 1000) as i32);
            if segment.count > 1 {
                // A parallel Scan's segment holds whole partitions: whole streams.
                req = req.segment(i32::from(segment.index)).total_segments(i32::from(segment.count));
            }
            if let Some(c) = client_id {
                req = req.filter_expression("tenant = :c").expression_attribute_values(":c", s(c.to_string()));
            }
            let page = req.set_exclusive_start_key(start).send().await.map_err(|e| self.error(table, e))?;
            for item in page.items.unwrap_or_default() {
                events.push(event_from(&item)?);
            }
            match page.last_evaluated_key {
                Some(next) if events.len() < limit => start = Some(next),
                _ => break,
            }
        }
        // What is cut here is read again by the next page, which starts after the last event kept.
        events.truncate(limit);
        Ok(events)
    }

    async fn all_events(&self, client_id: Option<ClientId>) -> Result<Vec<StoredEvent>> {
        let items = self.scan_all(&self.tables.events, "tenant", client_id.map(|c| c.0)).await?;
        let mut events = items.iter().map(event_from).collect::<Result<Vec<_>>>()?;
        events.sort_by_key(|e| (e.stream_id, e.version));
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::{cancelled, Cancelled};

    #[test]
    fn a_failed_condition_is_stale_and_a_held_item_is_busy() {
        let codes = |c: &[&str]| c.iter().map(|c| (*c != "None").then(|| c.to_string())).collect::<Vec<_>>();
        assert_eq!(cancelled(&codes(&["None", "ConditionalCheckFailed", "TransactionConflict"])), Cancelled::Stale);
        assert_eq!(cancelled(&codes(&["None", "None", "TransactionConflict"])), Cancelled::Busy);
        assert_eq!(cancelled(&codes(&["ValidationError"])), Cancelled::No);
        assert_eq!(cancelled(&[]), Cancelled::No);
    }
}
