//! The event log on SQLite: append with the version check, read streams back.

use super::{corrupt, db, is_constraint, time_col, uuid_col, SqliteStore};
use crate::{Commit, EventStore, Result, StoreError};
use async_trait::async_trait;
use inbox_domain::{time, StoredEvent};
use rusqlite::{params, Connection, TransactionBehavior};
use uuid::Uuid;

pub(super) const EVENT_COLUMNS: &str = "stream_id, version, tenant, event_type, schema_version, payload, actor, \
                             correlation_id, recorded_at, prev_hash, hash";

type Row = (String, i64, String, String, u32, String, String, String, String, String, String);

fn event_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    event_at(r, 0)
}

/// The event whose columns start at column `o` of the row.
pub(super) fn event_at(r: &rusqlite::Row<'_>, o: usize) -> rusqlite::Result<Row> {
    Ok((
        r.get(o)?,
        r.get(o + 1)?,
        r.get(o + 2)?,
        r.get(o + 3)?,
        r.get(o + 4)?,
        r.get(o + 5)?,
        r.get(o + 6)?,
        r.get(o + 7)?,
        r.get(o + 8)?,
        r.get(o + 9)?,
        r.get(o + 10)?,
    ))
}

pub(super) fn decode_event(row: Row) -> Result<StoredEvent> {
    let (stream_id, version, client_id, event_type, schema_version, payload, actor, correlation_id, at, prev, hash) =
        row;
    Ok(StoredEvent {
        stream_id: uuid_col(stream_id)?,
        version: u64::try_from(version).map_err(|e| corrupt("version", e))?,
        event_type,
        schema_version,
        payload: serde_json::from_str(&payload).map_err(|e| corrupt("payload", e))?,
        client_id: uuid_col(client_id)?,
        actor,
        correlation_id,
        recorded_at: time_col("recorded_at", at)?,
        prev_hash: prev,
        hash,
    })
}

fn query_events(conn: &Connection, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<StoredEvent>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db)?;
    let rows = stmt.query_map(args, event_from_row).map_err(db)?;
    rows.map(|r| r.map_err(db).and_then(decode_event)).collect()
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
            {
                let mut insert = tx
                    .prepare_cached(&format!(
                        "INSERT INTO events ({EVENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                    ))
                    .map_err(db)?;
                for e in &c.events {
                    insert
                        .execute(params![
                            stream,
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
                        .map_err(|err| if is_constraint(&err) { conflict() } else { db(err) })?;
                    // The log in commit order, which the webhook dispatcher follows.
                    tx.prepare_cached("INSERT INTO event_log (stream_id, version) VALUES (?1, ?2)")
                        .and_then(|mut log| log.execute(params![stream, e.version as i64]))
                        .map_err(db)?;
                }
            }
            super::accounts::write_read_model(&tx, c.client_id, c.stream_id, c.state.as_ref())?;
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
        client_id: Option<Uuid>,
        after: Option<crate::EventKey>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        // By the primary key (stream, version): each page is one index range.
        let (stream, version) = after.map_or((String::new(), 0), |(s, v)| (s.to_string(), v as i64));
        self.read(move |conn| {
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE (stream_id, version) > (?1, ?2) AND (?3 IS NULL OR tenant = ?3)
                 ORDER BY stream_id, version LIMIT ?4"
            );
            let tenant = client_id.map(|c| c.to_string());
            query_events(conn, &sql, &[&stream, &version, &tenant, &(limit as i64)])
        })
        .await
    }

    async fn all_events(&self, client_id: Option<Uuid>) -> Result<Vec<StoredEvent>> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE ?1 IS NULL OR tenant = ?1 ORDER BY stream_id, version"
            );
            query_events(conn, &sql, &[&client_id.map(|c| c.to_string())])
        })
        .await
    }
}
