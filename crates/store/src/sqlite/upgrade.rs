//! The one-time upgrade of a file written before every stream was in the
//! event log (`user_version` 2): each client's user records become its team's
//! stream, and each webhook endpoint's records its stream, by the domain's
//! upcasters. Runs at open, in one transaction; the old tables stay, unread.

use super::events::insert_event;
use super::{corrupt, db, time_col, uuid_col};
use crate::{Endpoint, EndpointChange, Result, StoreError, UserChange};
use inbox_domain::{endpoint, team, ClientId, EndpointId, StoredEvent, UserId};
use rusqlite::Connection;
use std::collections::BTreeSet;

const VERSION: i64 = 2;

/// Where the old version kept user and endpoint changes: read here only (a
/// new file gets them empty, so the upgrade reads the same way everywhere).
const OLD_TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS webhook_events (
    endpoint_id TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    client_id   TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    PRIMARY KEY (endpoint_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS user_events (
    user_id        TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    tenant_id      TEXT    NOT NULL,
    event_type     TEXT    NOT NULL,
    changes        TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    correlation_id TEXT    NOT NULL,
    recorded_at    TEXT    NOT NULL,
    PRIMARY KEY (user_id, version)
) WITHOUT ROWID;
"#;

/// Upgrades the file once; another process upgrading at the same time waits
/// for the write lock, then finds it done.
pub(super) fn streams_once(conn: &Connection) -> Result<()> {
    let version = |conn: &Connection| conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).map_err(db);
    if version(conn)? >= VERSION {
        return Ok(());
    }
    conn.execute_batch(OLD_TABLES).map_err(db)?;
    conn.execute_batch("BEGIN IMMEDIATE").map_err(db)?;
    let done = (|| {
        if version(conn)? < VERSION {
            teams(conn)?;
            endpoints(conn)?;
            conn.execute_batch(&format!("PRAGMA user_version = {VERSION}")).map_err(db)?;
        }
        Ok(())
    })();
    conn.execute_batch(if done.is_ok() { "COMMIT" } else { "ROLLBACK" }).map_err(db)?;
    done
}

fn insert_all(conn: &Connection, events: &[StoredEvent]) -> Result<()> {
    events.iter().try_for_each(|e| insert_event(conn, e).map(drop).map_err(db))
}

fn upgrade_failed(what: String) -> StoreError {
    StoreError::Internal(format!("cannot upgrade the stored {what}"))
}

fn teams(conn: &Connection) -> Result<()> {
    let clients: Vec<String> = conn
        .prepare("SELECT id FROM tenants WHERE team_hash IS NULL")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(db)?;
    for client in clients {
        let client_id = ClientId(uuid_col(client.clone())?);
        let members = super::users::read_team(conn, client_id)?.map(|t| t.members).unwrap_or_default();
        let mut stmt = conn
            .prepare(
                "SELECT user_id, version, event_type, changes, actor, correlation_id, recorded_at FROM user_events
                 WHERE tenant_id = ?1",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([&client], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
            })
            .map_err(db)?;
        let mut records = vec![];
        for row in rows {
            let (user, version, event_type, changes, actor, correlation_id, at) = row.map_err(db)?;
            records.push(UserChange {
                client_id,
                user_id: UserId(uuid_col(user)?),
                version,
                event_type,
                changes: serde_json::from_str(&changes).map_err(|e| corrupt("user event", e))?,
                actor,
                correlation_id,
                recorded_at: time_col("user event recorded_at", at)?,
            });
        }
        if members.is_empty() && records.is_empty() {
            continue;
        }
        let (events, after) = team::upgrade(client_id, &members, &records)
            .map_err(|e| upgrade_failed(format!("users of {client}: {e}")))?;
        insert_all(conn, &events)?;
        let before = inbox_domain::Team { members, version: 0, last_hash: String::new() };
        super::users::write_team(conn, client_id, Some(&before), after.as_ref())?;
    }
    Ok(())
}

fn endpoints(conn: &Connection) -> Result<()> {
    let body = |b: String| serde_json::from_str::<serde_json::Value>(&b).map_err(|e| corrupt("webhook", e));
    let mut ids: BTreeSet<(String, String)> = BTreeSet::new();
    for sql in ["SELECT client_id, id FROM webhook_endpoints", "SELECT client_id, endpoint_id FROM webhook_events"] {
        let found: Vec<(String, String)> = conn
            .prepare(sql)
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .map_err(db)?;
        ids.extend(found);
    }
    for (client, id) in ids {
        let (client_id, endpoint_id) = (ClientId(uuid_col(client.clone())?), EndpointId(uuid_col(id.clone())?));
        let current: Option<Endpoint> = conn
            .query_row("SELECT body FROM webhook_endpoints WHERE client_id = ?1 AND id = ?2", [&client, &id], |r| {
                r.get::<_, String>(0)
            })
            .ok()
            .map(body)
            .transpose()?
            .map(|v| serde_json::from_value(v).map_err(|e| corrupt("webhook endpoint", e)))
            .transpose()?;
        if current.as_ref().is_some_and(|e| !e.last_hash.is_empty()) {
            continue; // has its stream already
        }
        let records: Vec<EndpointChange> = conn
            .prepare("SELECT body FROM webhook_events WHERE endpoint_id = ?1 AND client_id = ?2 ORDER BY version")
            .and_then(|mut s| s.query_map([&id, &client], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>())
            .map_err(db)?
            .into_iter()
            .map(|b| serde_json::from_str(&b).map_err(|e| corrupt("webhook event", e)))
            .collect::<Result<_>>()?;
        let (events, after) = endpoint::upgrade(endpoint_id, current.as_ref(), &records)
            .map_err(|e| upgrade_failed(format!("webhook endpoint {id}: {e}")))?;
        insert_all(conn, &events)?;
        super::webhooks::write_endpoint(conn, client_id, endpoint_id, after.as_ref())?;
    }
    Ok(())
}
