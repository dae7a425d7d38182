//! Users on SQLite: a change, its event and the client's users version are
//! written in one immediate transaction.

use super::{db, is_constraint, time_col, uuid_col, SqliteStore};
use crate::{Result, StoreError, User, UserCommit, UserEvent, Users};
use async_trait::async_trait;
use inbox_domain::time;
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

const USER_COLUMNS: &str = "id, tenant_id, username, password_hash, roles, enabled, version, created_at";

type UserRow = (String, String, String, String, String, bool, u64, String);

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
}

fn decode_user(row: UserRow) -> Result<User> {
    let (id, client_id, username, password_hash, roles, enabled, version, created_at) = row;
    Ok(User {
        id: uuid_col(id)?,
        client_id: uuid_col(client_id)?,
        username,
        password_hash,
        roles: roles.split(',').filter(|r| !r.is_empty()).map(str::to_string).collect(),
        enabled,
        version,
        created_at: time_col("user created_at", created_at)?,
    })
}

fn one_user(conn: &rusqlite::Connection, filter: &str, args: impl rusqlite::Params) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {filter}");
    conn.query_row(&sql, args, user_row).optional().map_err(db)?.map(decode_user).transpose()
}

fn write(tx: &rusqlite::Transaction<'_>, c: &UserCommit) -> Result<()> {
    let client = c.client_id.to_string();
    let bumped = tx
        .execute(
            "UPDATE tenants SET users_version = users_version + 1 WHERE id = ?1 AND users_version = ?2",
            params![client, c.expected],
        )
        .map_err(db)?;
    if bumped == 0 {
        let exists: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM tenants WHERE id = ?1)", [&client], |r| r.get(0)).map_err(db)?;
        return Err(if exists {
            StoreError::Conflict { stream_id: c.client_id, expected: c.expected }
        } else {
            StoreError::Internal(format!("no client {client}"))
        });
    }
    match (&c.before, &c.after) {
        (Some(_), Some(u)) => {
            // The username never changes: login finds the user by it.
            tx.execute(
                "UPDATE users SET password_hash = ?3, roles = ?4, enabled = ?5, version = ?6
                 WHERE id = ?1 AND tenant_id = ?2",
                params![u.id.to_string(), client, u.password_hash, u.roles.join(","), u.enabled, u.version],
            )
            .map_err(db)?;
        }
        (None, Some(u)) => {
            let inserted = tx
                .execute(
                    "INSERT INTO users (id, tenant_id, username, password_hash, roles, enabled, version, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
                    params![
                        u.id.to_string(),
                        client,
                        u.username,
                        u.password_hash,
                        u.roles.join(","),
                        u.enabled,
                        u.version,
                        time::format(&u.created_at)
                    ],
                )
                .map_err(db)?;
            if inserted == 0 {
                return Err(StoreError::Duplicate(format!("user {:?}", u.username)));
            }
        }
        (Some(u), None) => {
            tx.execute("DELETE FROM users WHERE id = ?1 AND tenant_id = ?2", params![u.id.to_string(), client])
                .map_err(db)?;
        }
        (None, None) => {}
    }
    let e = &c.event;
    tx.execute(
        "INSERT INTO user_events (user_id, version, tenant_id, event_type, changes, actor, correlation_id, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            e.user_id.to_string(),
            e.version,
            client,
            e.event_type,
            e.changes.to_string(),
            e.actor,
            e.correlation_id,
            time::format(&e.recorded_at)
        ],
    )
    .map_err(|err| {
        if is_constraint(&err) {
            StoreError::Conflict { stream_id: e.user_id, expected: c.expected }
        } else {
            db(err)
        }
    })?;
    Ok(())
}

#[async_trait]
impl Users for SqliteStore {
    async fn client_users(&self, client_id: Uuid) -> Result<(u64, Vec<User>)> {
        self.read(move |conn| {
            let tx = conn.transaction().map_err(db)?;
            let version: u64 = tx
                .query_row("SELECT users_version FROM tenants WHERE id = ?1", [client_id.to_string()], |r| r.get(0))
                .optional()
                .map_err(db)?
                .unwrap_or(0);
            let mut stmt = tx
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ?1 ORDER BY created_at, id"
                ))
                .map_err(db)?;
            let users = stmt
                .query_map([client_id.to_string()], user_row)
                .map_err(db)?
                .map(|r| r.map_err(db).and_then(decode_user))
                .collect::<Result<Vec<_>>>()?;
            Ok((version, users))
        })
        .await
    }

    async fn get_user(&self, client_id: Uuid, id: Uuid) -> Result<Option<User>> {
        self.read(move |conn| one_user(conn, "tenant_id = ?1 AND id = ?2", [client_id.to_string(), id.to_string()]))
            .await
    }

    async fn find_user(&self, username: &str) -> Result<Option<User>> {
        let username = username.to_string();
        self.read(move |conn| one_user(conn, "username = ?1", [username])).await
    }

    async fn commit_user(&self, c: &UserCommit) -> Result<()> {
        let c = c.clone();
        self.with(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            write(&tx, &c)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn user_events(&self, client_id: Uuid, user_id: Uuid) -> Result<Vec<UserEvent>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT version, event_type, changes, actor, correlation_id, recorded_at FROM user_events
                     WHERE user_id = ?1 AND tenant_id = ?2 ORDER BY version",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map([user_id.to_string(), client_id.to_string()], |r| {
                    Ok((
                        r.get::<_, u64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                })
                .map_err(db)?;
            rows.map(|row| {
                let (version, event_type, changes, actor, correlation_id, recorded_at) = row.map_err(db)?;
                Ok(UserEvent {
                    client_id,
                    user_id,
                    version,
                    event_type,
                    changes: serde_json::from_str(&changes).map_err(|e| super::corrupt("user event", e))?,
                    actor,
                    correlation_id,
                    recorded_at: time_col("user event recorded_at", recorded_at)?,
                })
            })
            .collect()
        })
        .await
    }
}
