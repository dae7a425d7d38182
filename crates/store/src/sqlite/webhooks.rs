//! Webhooks on SQLite: endpoints (read models; their events are in the
//! event log), messages and attempts as
//! JSON bodies beside their keys; and the event log the local dispatcher
//! follows from a durable cursor.

use super::events::{event_at, EVENT_COLUMNS};
use super::{corrupt, db, SqliteStore};
use crate::webhooks::{DeliveryAttempt, Message, Webhooks};
use crate::{Endpoint, EndpointChange, EventStore, Result, StoreError};
use async_trait::async_trait;
use inbox_domain::{time, ClientId, EndpointId, StoredEvent, StreamKind, Timestamp};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::de::DeserializeOwned;

fn decode<T: DeserializeOwned>(what: &str, body: String) -> Result<T> {
    serde_json::from_str(&body).map_err(|e| corrupt(what, e))
}

fn bodies<T: DeserializeOwned>(
    conn: &Connection,
    what: &str,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db)?;
    let rows = stmt.query_map(args, |r| r.get::<_, String>(0)).map_err(db)?;
    rows.map(|r| r.map_err(db).and_then(|b| decode(what, b))).collect()
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("webhook records serialize")
}

fn due(m: &Message) -> Option<String> {
    m.due_at.as_ref().map(time::format)
}

fn insert_messages(conn: &Connection, messages: &[Message]) -> Result<()> {
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO webhook_messages (id, endpoint_id, due_at, attempts, body) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT DO NOTHING",
        )
        .map_err(db)?;
    for m in messages {
        insert.execute(params![m.id, m.endpoint_id.to_string(), due(m), m.attempts, json(m)]).map_err(db)?;
    }
    Ok(())
}

/// The endpoint's read model writer (`None`: deleted), inside the commit's transaction.
pub(super) fn write_endpoint(
    conn: &Connection,
    client_id: ClientId,
    id: EndpointId,
    after: Option<&Endpoint>,
) -> Result<()> {
    let (client, id) = (client_id.to_string(), id.to_string());
    match after {
        Some(e) => conn.execute(
            "INSERT INTO webhook_endpoints (client_id, id, version, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (client_id, id) DO UPDATE SET version = excluded.version, body = excluded.body",
            params![client, id, e.version, json(e)],
        ),
        None => conn.execute("DELETE FROM webhook_endpoints WHERE client_id = ?1 AND id = ?2", [&client, &id]),
    }
    .map_err(db)?;
    Ok(())
}

/// An attempt's place in its endpoint's list, newest last.
fn attempt_key(a: &DeliveryAttempt) -> String {
    format!("{}#{}#{:04}", time::format(&a.at), a.message_id, a.attempt)
}

#[async_trait]
impl Webhooks for SqliteStore {
    async fn webhook_endpoints(&self, client_id: ClientId) -> Result<Vec<Endpoint>> {
        self.read(move |conn| {
            let sql = "SELECT body FROM webhook_endpoints WHERE client_id = ?1";
            let mut all: Vec<Endpoint> = bodies(conn, "webhook endpoint", sql, [client_id.to_string()])?;
            all.sort_by_key(|e| (e.created_at, e.id));
            Ok(all)
        })
        .await
    }

    async fn webhook_endpoint(&self, client_id: ClientId, id: EndpointId) -> Result<Option<Endpoint>> {
        self.read(move |conn| {
            let sql = "SELECT body FROM webhook_endpoints WHERE client_id = ?1 AND id = ?2";
            Ok(bodies(conn, "webhook endpoint", sql, [client_id.to_string(), id.to_string()])?.pop())
        })
        .await
    }

    async fn webhook_changes(&self, client_id: ClientId, id: EndpointId) -> Result<Vec<EndpointChange>> {
        let events = self.load_stream(id.0).await?;
        // An id of another client's stream, or of another kind, has no history here.
        if events
            .first()
            .is_some_and(|e| e.client_id != client_id || StreamKind::of(&e.event_type) != Some(StreamKind::Webhook))
        {
            return Ok(vec![]);
        }
        inbox_domain::endpoint::history(id, &events).map_err(|e| StoreError::Internal(e.to_string()))
    }

    async fn enqueue_messages(&self, messages: &[Message]) -> Result<()> {
        let messages = messages.to_vec();
        self.with(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            insert_messages(&tx, &messages)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn due_messages(&self, now: Timestamp, limit: usize) -> Result<Vec<Message>> {
        self.read(move |conn| {
            let sql =
                "SELECT body FROM webhook_messages WHERE due_at IS NOT NULL AND due_at <= ?1 ORDER BY due_at LIMIT ?2";
            bodies(conn, "webhook message", sql, params![time::format(&now), limit as i64])
        })
        .await
    }

    async fn update_message(
        &self,
        before: &Message,
        after: &Message,
        attempt: Option<&DeliveryAttempt>,
    ) -> Result<bool> {
        let (before, after, attempt) = (before.clone(), after.clone(), attempt.cloned());
        self.with(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let changed = tx
                .execute(
                    "UPDATE webhook_messages SET due_at = ?3, attempts = ?4, body = ?5
                     WHERE id = ?1 AND due_at IS ?2 AND attempts = ?6",
                    params![after.id, due(&before), due(&after), after.attempts, json(&after), before.attempts],
                )
                .map_err(db)?;
            if changed == 0 {
                return Ok(false);
            }
            if let Some(a) = &attempt {
                tx.execute(
                    "INSERT INTO webhook_attempts (endpoint_id, sk, body) VALUES (?1, ?2, ?3)",
                    params![a.endpoint_id.to_string(), attempt_key(a), json(a)],
                )
                .map_err(db)?;
            }
            tx.commit().map_err(db)?;
            Ok(true)
        })
        .await
    }

    async fn deliveries(&self, endpoint_id: EndpointId, limit: usize) -> Result<Vec<DeliveryAttempt>> {
        self.read(move |conn| {
            let sql = "SELECT body FROM webhook_attempts WHERE endpoint_id = ?1 ORDER BY sk DESC LIMIT ?2";
            bodies(conn, "delivery attempt", sql, params![endpoint_id.to_string(), limit as i64])
        })
        .await
    }
}

impl SqliteStore {
    /// Where the log follower `name` stopped: the last `seq` it handled.
    pub async fn log_cursor(&self, name: &str) -> Result<u64> {
        let name = name.to_string();
        self.read(move |conn| {
            let seq = conn.query_row("SELECT seq FROM log_cursors WHERE name = ?1", [&name], |r| r.get(0));
            Ok(seq.optional().map_err(db)?.unwrap_or(0))
        })
        .await
    }

    /// Up to `limit` events committed after `seq`, in commit order, with their `seq`.
    pub async fn log_after(&self, seq: u64, limit: usize) -> Result<Vec<(u64, StoredEvent)>> {
        self.read(move |conn| {
            let columns = EVENT_COLUMNS.split(", ").map(|c| format!("e.{}", c.trim())).collect::<Vec<_>>().join(", ");
            let sql = format!(
                "SELECT l.seq, {columns} FROM event_log l JOIN events e ON e.stream_id = l.stream_id AND e.version = l.version
                 WHERE l.seq > ?1 ORDER BY l.seq LIMIT ?2"
            );
            let mut stmt = conn.prepare_cached(&sql).map_err(db)?;
            let mut rows = stmt.query(params![seq as i64, limit as i64]).map_err(db)?;
            let mut events = vec![];
            while let Some(r) = rows.next().map_err(db)? {
                // The event's columns follow the sequence number.
                events.push((r.get::<_, i64>(0).map_err(db)? as u64, event_at(r, 1)?));
            }
            Ok(events)
        })
        .await
    }

    /// Records `messages` and moves cursor `name` from `from` to `to`, in one
    /// transaction: `false` (and nothing written) if the cursor moved meanwhile.
    pub async fn enqueue_from_log(&self, name: &str, from: u64, to: u64, messages: &[Message]) -> Result<bool> {
        let (name, messages) = (name.to_string(), messages.to_vec());
        self.with(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let at: u64 = tx
                .query_row("SELECT seq FROM log_cursors WHERE name = ?1", [&name], |r| r.get(0))
                .optional()
                .map_err(db)?
                .unwrap_or(0);
            if at != from {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO log_cursors (name, seq) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq",
                params![name, to as i64],
            )
            .map_err(db)?;
            insert_messages(&tx, &messages)?;
            // What every follower has passed is not needed any more.
            tx.execute("DELETE FROM event_log WHERE seq <= (SELECT MIN(seq) FROM log_cursors)", []).map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(true)
        })
        .await
    }
}
