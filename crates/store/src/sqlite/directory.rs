//! The directory on SQLite: clients and API tokens (users: `users.rs`).

use super::{db, is_constraint, time_col, uuid_col, SqliteStore};
use crate::{ApiToken, Client, Directory, Result, StoreError, TokenUse};
use async_trait::async_trait;
use inbox_domain::{time, ClientId, Timestamp};
use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

pub(super) const TOKEN_COLUMNS: &str = "id, tenant_id, name, hint, secret_hash, created_by, created_at, revoked_at, \
                                         last_used_at, last_used_ip, last_used_agent";

type TokenRow = (String, String, String, String, String, String, String, Option<String>, [Option<String>; 3]);

fn token_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRow> {
    let last_used = [r.get(8)?, r.get(9)?, r.get(10)?];
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, last_used))
}

fn decode_token(row: TokenRow) -> Result<ApiToken> {
    let (id, client_id, name, hint, secret_hash, created_by, created_at, revoked_at, [used_at, ip, user_agent]) = row;
    let last_used = match used_at {
        Some(at) => Some(TokenUse { at: time_col("token last_used_at", at)?, ip, user_agent }),
        None => None,
    };
    Ok(ApiToken {
        id: uuid_col(id)?,
        client_id: ClientId(uuid_col(client_id)?),
        name,
        hint,
        secret_hash,
        created_by,
        created_at: time_col("token created_at", created_at)?,
        revoked_at: revoked_at.map(|t| time_col("token revoked_at", t)).transpose()?,
        last_used,
    })
}

/// The token a filter finds, if any.
fn one_token(conn: &rusqlite::Connection, filter: &str, args: impl rusqlite::Params) -> Result<Option<ApiToken>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE {filter}");
    conn.query_row(&sql, args, token_from_row).optional().map_err(db)?.map(decode_token).transpose()
}

#[async_trait]
impl Directory for SqliteStore {
    async fn create_client(&self, c: &Client) -> Result<()> {
        let c = c.clone();
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO tenants (id, name, plan, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![c.id.to_string(), c.name, c.plan, time::format(&c.created_at)],
            )
            .map_err(|e| {
                if is_constraint(&e) {
                    StoreError::Duplicate(format!("client {}", c.id))
                } else {
                    db(e)
                }
            })?;
            Ok(())
        })
        .await
    }

    async fn get_client(&self, id: ClientId) -> Result<Option<Client>> {
        self.read(move |conn| {
            let row = conn
                .query_row("SELECT id, name, plan, created_at FROM tenants WHERE id = ?1", [id.to_string()], |r| {
                    Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?))
                })
                .optional()
                .map_err(db)?;
            row.map(|(id, name, plan, created_at)| {
                Ok(Client {
                    id: ClientId(uuid_col(id)?),
                    name,
                    plan,
                    created_at: time_col("client created_at", created_at)?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn has_clients(&self) -> Result<bool> {
        self.read(|conn| conn.query_row("SELECT EXISTS (SELECT 1 FROM tenants)", [], |r| r.get(0)).map_err(db)).await
    }

    async fn create_api_token(&self, t: &ApiToken) -> Result<()> {
        let t = t.clone();
        self.with(move |conn| {
            let used = t.last_used.as_ref();
            conn.execute(
                &format!(
                    "INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                ),
                params![
                    t.id.to_string(),
                    t.client_id.to_string(),
                    t.name,
                    t.hint,
                    t.secret_hash,
                    t.created_by,
                    time::format(&t.created_at),
                    t.revoked_at.as_ref().map(time::format),
                    used.map(|u| time::format(&u.at)),
                    used.and_then(|u| u.ip.clone()),
                    used.and_then(|u| u.user_agent.clone()),
                ],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn list_api_tokens(&self, client_id: ClientId) -> Result<Vec<ApiToken>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE tenant_id = ?1 ORDER BY created_at, id"
                ))
                .map_err(db)?;
            let rows = stmt.query_map([client_id.to_string()], token_from_row).map_err(db)?;
            rows.map(|r| r.map_err(db).and_then(decode_token)).collect()
        })
        .await
    }

    async fn find_api_token(&self, secret_hash: &str) -> Result<Option<ApiToken>> {
        let hash = secret_hash.to_string();
        self.read(move |conn| one_token(conn, "secret_hash = ?1", [hash])).await
    }

    async fn get_api_token(&self, client_id: ClientId, id: Uuid) -> Result<Option<ApiToken>> {
        self.read(move |conn| one_token(conn, "tenant_id = ?1 AND id = ?2", [client_id.to_string(), id.to_string()]))
            .await
    }

    async fn revoke_api_token(&self, client_id: ClientId, id: Uuid, at: Timestamp) -> Result<bool> {
        self.with(move |conn| {
            let n = conn
                .execute(
                    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?3) WHERE tenant_id = ?1 AND id = ?2",
                    params![client_id.to_string(), id.to_string(), time::format(&at)],
                )
                .map_err(db)?;
            Ok(n == 1)
        })
        .await
    }
}
