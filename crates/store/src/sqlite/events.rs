//! The event log on SQLite: append with the version check, read streams back.

use super::{corrupt, db, is_constraint, SqliteStore};
use crate::{Commit, EventStore, ReadModel, Result, StoreError};
use async_trait::async_trait;
use inbox_domain::{time, AccountId, ClientId, EndpointId, StoredEvent};
use rusqlite::{params, Connection, TransactionBehavior};
use uuid::Uuid;

pub(super) const EVENT_COLUMNS: &str = "stream_id, version, tenant, event_type, schema_version, payload, actor, \
                             correlation_id, recorded_at, prev_hash, hash";

/// The event whose columns start at column `o` of the row, read in place:
/// only the strings the event keeps are copied (audit decodes every event).
pub(super) fn event_at(r: &rusqlite::Row<'_>, o: usize) -> Result<StoredEvent> {
    let text = |i: usize| -> Result<&str> {
        r.get_ref(o + i)
            .map_err(db)?
            .as_str()
            .map_err(|e| corrupt(EVENT_COLUMNS.split(", ").nth(i).unwrap_or("event"), e))
    };
    let version: i64 = r.get(o + 1).map_err(db)?;
    Ok(StoredEvent {
        stream_id: Uuid::parse_str(text(0)?).map_err(|e| corrupt("stream_id", e))?,
        version: u64::try_from(version).map_err(|e| corrupt("version", e))?,
        client_id: ClientId(Uuid::parse_str(text(2)?).map_err(|e| corrupt("tenant", e))?),
        event_type: text(3)?.to_owned(),
        schema_version: r.get(o + 4).map_err(db)?,
        payload: serde_json::from_str(text(5)?).map_err(|e| corrupt("payload", e))?,
        actor: text(6)?.to_owned(),
        correlation_id: text(7)?.to_owned(),
        recorded_at: time::parse(text(8)?).ok_or_else(|| corrupt("recorded_at", text(8).unwrap_or_default()))?,
        prev_hash: text(9)?.to_owned(),
        hash: text(10)?.to_owned(),
    })
}

/// Inserts one event (a taken version is a constraint violation).
pub(super) fn insert_event(conn: &Connection, e: &StoredEvent) -> rusqlite::Result<usize> {
    conn.prepare_cached(&format!(
        "INSERT INTO events ({EVENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))?
    .execute(params![
        e.stream_id.to_string(),
        e.version as i64,
        e.client_id.to_string(),
        e.event_type,
        e.schema_version,
        e.payload.to_string(),
        e.actor,
        e.correlation_id,
        time::format(&e.recorded_at),
        e.prev_hash,
        e.hash,
    ])
}

fn query_events(conn: &Connection, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<StoredEvent>> {
    query_page(conn, sql, args, 0)
}

/// The events a query returns, into room made for `expected` of them.
fn query_page(
    conn: &Connection,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
    expected: usize,
) -> Result<Vec<StoredEvent>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db)?;
    let mut rows = stmt.query(args).map_err(db)?;
    let mut events = Vec::with_capacity(expected);
    while let Some(r) = rows.next().map_err(db)? {
        events.push(event_at(r, 0)?);
    }
    Ok(events)
}

/// The one dispatch from a commit to the writer of its stream's read model.
fn write_read_model(tx: &Connection, c: &Commit) -> Result<()> {
    match &c.read_model {
        ReadModel::Account { after, .. } => {
            super::accounts::write_read_model(tx, c.client_id, AccountId(c.stream_id), after.as_ref())
        }
        ReadModel::Team { before, after } => super::users::write_team(tx, c.client_id, before.as_ref(), after.as_ref()),
        ReadModel::Webhook { after } => {
            super::webhooks::write_endpoint(tx, c.client_id, EndpointId(c.stream_id), after.as_ref())
        }
    }
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn commit(&self, c: Commit) -> Result<()> {
        if c.events.is_empty() {
            return match &c.idempotency {
                Some(record) => crate::Idempotency::complete_key(self, record).await,
                None => Ok(()),
            };
        }
        self.with(move |conn| {
            // IMMEDIATE takes the write lock up front, so the version check and the
            // inserts see the same stream head even across processes.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let stream = c.stream_id.to_string();
            let head: i64 = tx
                .query_row("SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?1", [&stream], |r| r.get(0))
                .map_err(db)?;
            let conflict = || StoreError::Conflict { stream_id: c.stream_id, expected: c.expected_version };
            if head as u64 != c.expected_version {
                return Err(conflict());
            }
            for e in &c.events {
                insert_event(&tx, e).map_err(|err| if is_constraint(&err) { conflict() } else { db(err) })?;
                // The log in commit order, which the webhook dispatcher follows.
                tx.prepare_cached("INSERT INTO event_log (stream_id, version) VALUES (?1, ?2)")
                    .and_then(|mut log| log.execute(params![stream, e.version as i64]))
                    .map_err(db)?;
            }
            write_read_model(&tx, &c)?;
            if let Some(record) = &c.idempotency {
                if !super::idempotency::answer(&tx, record)? {
                    // The key is no longer this request's: write nothing.
                    return Err(conflict());
                }
            }
            tx.commit().map_err(db)
        })
        .await?;
        super::COMMITTED.notify_one();
        Ok(())
    }

    async fn load_stream(&self, stream_id: Uuid) -> Result<Vec<StoredEvent>> {
        self.read(move |conn| {
            let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ?1 ORDER BY version");
            query_events(conn, &sql, &[&stream_id.to_string()])
        })
        .await
    }

    async fn stream_range(&self, stream_id: Uuid, first: u64, last: u64) -> Result<Vec<StoredEvent>> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ?1 AND version BETWEEN ?2 AND ?3 ORDER BY version"
            );
            query_events(conn, &sql, &[&stream_id.to_string(), &(first as i64), &(last.min(i64::MAX as u64) as i64)])
        })
        .await
    }

    async fn stream_head(&self, stream_id: Uuid) -> Result<Option<StoredEvent>> {
        self.read(move |conn| {
            let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ?1 ORDER BY version DESC LIMIT 1");
            Ok(query_events(conn, &sql, &[&stream_id.to_string()])?.pop())
        })
        .await
    }

    async fn events_page(
        &self,
        client_id: Option<ClientId>,
        segment: crate::Segment,
        after: Option<crate::EventKey>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        // By the primary key (stream, version): each page is one index range,
        // within the segment's range of stream ids (split on their first two hex digits).
        let prefix = |i: u16| format!("{:02x}", u32::from(i) * 256 / u32::from(segment.count.max(1)));
        // The last segment ends past every id ('~' sorts after every hex digit).
        let end = if segment.index + 1 >= segment.count { "~".to_string() } else { prefix(segment.index + 1) };
        // With no page before, a segment starts at its first prefix ("00" for the first).
        let (stream, version) = after.map_or((prefix(segment.index), 0), |(s, v)| (s.to_string(), v as i64));
        let tenant = client_id.map(|c| c.to_string());
        self.read(move |conn| {
            // Two statements, not `?5 IS NULL OR …`: one per case reads more plainly.
            let filter = if tenant.is_some() { "tenant = ?5 AND " } else { "" };
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE {filter}(stream_id, version) > (?1, ?2) AND stream_id < ?3
                 ORDER BY stream_id, version LIMIT ?4"
            );
            let limit_arg = limit as i64;
            let mut args: Vec<&dyn rusqlite::ToSql> = vec![&stream, &version, &end, &limit_arg];
            args.extend(tenant.as_ref().map(|t| t as &dyn rusqlite::ToSql));
            query_page(conn, &sql, &args, limit.min(4096))
        })
        .await
    }

    async fn all_events(&self, client_id: Option<ClientId>) -> Result<Vec<StoredEvent>> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE ?1 IS NULL OR tenant = ?1 ORDER BY stream_id, version"
            );
            query_events(conn, &sql, &[&client_id.map(|c| c.to_string())])
        })
        .await
    }
}
