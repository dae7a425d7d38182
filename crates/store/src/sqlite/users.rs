//! Users on SQLite: the team's read model (a row per user, the stream head on
//! the client's row), written inside the commit's transaction.

use super::{corrupt, db, time_col, uuid_col, SqliteStore};
use crate::{EventStore, Result, StoreError, User, UserChange, Users};
use async_trait::async_trait;
use inbox_domain::{time, ClientId, Role, Team, UserId};
use rusqlite::{params, Connection, OptionalExtension};

const USER_COLUMNS: &str = "id, tenant_id, username, password_hash, roles, enabled, version, created_at";

type UserRow = (String, String, String, String, String, bool, u64, String);

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
}

fn decode_user(row: UserRow) -> Result<User> {
    let (id, client_id, username, password_hash, roles, enabled, version, created_at) = row;
    let roles = roles
        .split(',')
        .filter(|r| !r.is_empty())
        .map(|r| Role::from_claim(r).ok_or_else(|| corrupt("user role", r)))
        .collect::<Result<_>>()?;
    Ok(User {
        id: UserId(uuid_col(id)?),
        client_id: ClientId(uuid_col(client_id)?),
        username,
        password_hash,
        roles,
        enabled,
        version,
        created_at: time_col("user created_at", created_at)?,
    })
}

fn roles(u: &User) -> String {
    u.roles.iter().map(|r| r.claim()).collect::<Vec<_>>().join(",")
}

fn one_user(conn: &Connection, filter: &str, args: impl rusqlite::Params) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {filter}");
    conn.query_row(&sql, args, user_row).optional().map_err(db)?.map(decode_user).transpose()
}

/// The client's team as stored (see [`Users::team`]).
pub(super) fn read_team(conn: &Connection, client_id: ClientId) -> Result<Option<Team>> {
    let head: Option<(u64, Option<String>)> = conn
        .query_row("SELECT users_version, team_hash FROM tenants WHERE id = ?1", [client_id.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .map_err(db)?;
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ?1 ORDER BY created_at, id"))
        .map_err(db)?;
    let members = stmt
        .query_map([client_id.to_string()], user_row)
        .map_err(db)?
        .map(|r| r.map_err(db).and_then(decode_user))
        .collect::<Result<Vec<_>>>()?;
    let (version, hash) = head.unwrap_or((0, None));
    if version == 0 && members.is_empty() {
        return Ok(None);
    }
    Ok(Some(Team { members, version, last_hash: hash.unwrap_or_default() }))
}

/// The team's read model writer: the users that changed between `before` and
/// `after`, and the stream head. A username another client holds is
/// [`StoreError::Duplicate`] (usernames are unique across clients).
pub(super) fn write_team(
    conn: &Connection,
    client_id: ClientId,
    before: Option<&Team>,
    after: Option<&Team>,
) -> Result<()> {
    let client = client_id.to_string();
    let was = |id: UserId| before.and_then(|t| t.member(id));
    let members = after.map_or(&[][..], |t| &t.members[..]);
    for u in members {
        match was(u.id) {
            Some(b) if b == u => {}
            // The username never changes: login finds the user by it.
            Some(_) => {
                conn.execute(
                    "UPDATE users SET password_hash = ?3, roles = ?4, enabled = ?5, version = ?6
                     WHERE id = ?1 AND tenant_id = ?2",
                    params![u.id.to_string(), client, u.password_hash, roles(u), u.enabled, u.version],
                )
                .map_err(db)?;
            }
            None => {
                let inserted = conn
                    .execute(
                        "INSERT INTO users (id, tenant_id, username, password_hash, roles, enabled, version, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
                        params![
                            u.id.to_string(),
                            client,
                            u.username,
                            u.password_hash,
                            roles(u),
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
        }
    }
    for b in before.map_or(&[][..], |t| &t.members[..]) {
        if !members.iter().any(|u| u.id == b.id) {
            conn.execute("DELETE FROM users WHERE id = ?1 AND tenant_id = ?2", params![b.id.to_string(), client])
                .map_err(db)?;
        }
    }
    let (version, hash) = after.map_or((0, None), |t| (t.version, Some(t.last_hash.as_str())));
    let moved = conn
        .execute("UPDATE tenants SET users_version = ?2, team_hash = ?3 WHERE id = ?1", params![client, version, hash])
        .map_err(db)?;
    if moved == 0 {
        return Err(StoreError::Internal(format!("no client {client}")));
    }
    Ok(())
}

#[async_trait]
impl Users for SqliteStore {
    async fn team(&self, client_id: ClientId) -> Result<Option<Team>> {
        self.read(move |conn| {
            // One snapshot: the head and the rows agree.
            let tx = conn.transaction().map_err(db)?;
            read_team(&tx, client_id)
        })
        .await
    }

    async fn get_user(&self, client_id: ClientId, id: UserId) -> Result<Option<User>> {
        self.read(move |conn| one_user(conn, "tenant_id = ?1 AND id = ?2", [client_id.to_string(), id.to_string()]))
            .await
    }

    async fn find_user(&self, username: &str) -> Result<Option<User>> {
        let username = username.to_string();
        self.read(move |conn| one_user(conn, "username = ?1", [username])).await
    }

    async fn user_changes(&self, client_id: ClientId, user_id: UserId) -> Result<Vec<UserChange>> {
        let events = self.load_stream(client_id.team_stream()).await?;
        inbox_domain::team::history(user_id, &events).map_err(|e| StoreError::Internal(e.to_string()))
    }
}
