//! The account read model on SQLite: written inside each commit, read by the API,
//! listed and replaced by audit and rebuild.

use super::{corrupt, db, uuid_col, SqliteStore};
use crate::{AccountReads, ListQuery, Page, ReadModelAdmin, Result, StoreError, StoredReadModel};
use async_trait::async_trait;
use inbox_domain::{time, Account};
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

fn decode_account(body: String) -> Result<Account> {
    serde_json::from_str(&body).map_err(|e| corrupt("account", e))
}

/// Writes (or with `None` deletes) one read model, inside the caller's transaction.
pub(super) fn write_read_model(conn: &Connection, client_id: Uuid, id: Uuid, state: Option<&Account>) -> Result<()> {
    match state {
        None => {
            conn.execute(
                "DELETE FROM accounts WHERE client_id = ?1 AND id = ?2",
                [client_id.to_string(), id.to_string()],
            )
            .map_err(db)?;
        }
        Some(a) => {
            let body = serde_json::to_string(a).map_err(|e| StoreError::Internal(e.to_string()))?;
            conn.execute(
                "INSERT INTO accounts (client_id, id, created_at, account_type, is_authorized, created_by, version, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (client_id, id) DO UPDATE SET
                   created_at = excluded.created_at, account_type = excluded.account_type,
                   is_authorized = excluded.is_authorized, created_by = excluded.created_by,
                   version = excluded.version, body = excluded.body",
                params![
                    a.client_id.to_string(),
                    a.id.to_string(),
                    time::format(&a.created_at),
                    a.integration,
                    a.is_authorized,
                    a.created_by,
                    a.version as i64,
                    body
                ],
            )
            .map_err(db)?;
        }
    }
    Ok(())
}

#[async_trait]
impl AccountReads for SqliteStore {
    async fn get_account(&self, client_id: Uuid, id: Uuid) -> Result<Option<Account>> {
        self.read(move |conn| {
            conn.prepare_cached("SELECT body FROM accounts WHERE client_id = ?1 AND id = ?2")
                .map_err(db)?
                .query_row([client_id.to_string(), id.to_string()], |r| r.get::<_, String>(0))
                .optional()
                .map_err(db)?
                .map(decode_account)
                .transpose()
        })
        .await
    }

    async fn list_accounts(&self, client_id: Uuid, q: &ListQuery) -> Result<Page> {
        let q = q.clone();
        self.read(move |conn| {
            const FILTER: &str = "client_id = ?1 AND (?2 IS NULL OR account_type = ?2)
                AND (?3 IS NULL OR is_authorized = ?3) AND (?4 IS NULL OR created_by = ?4)";
            let client = client_id.to_string();
            let total: i64 = conn
                .prepare_cached(&format!("SELECT COUNT(*) FROM accounts WHERE {FILTER}"))
                .map_err(db)?
                .query_row(params![client, q.account_type, q.is_authorized, q.created_by], |r| r.get(0))
                .map_err(db)?;
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT body FROM accounts WHERE {FILTER} ORDER BY created_at, id LIMIT ?5 OFFSET ?6"
                ))
                .map_err(db)?;
            let page_args =
                params![client, q.account_type, q.is_authorized, q.created_by, q.limit as i64, q.offset as i64];
            let items = stmt
                .query_map(page_args, |r| r.get::<_, String>(0))
                .map_err(db)?
                .map(|r| r.map_err(db).and_then(decode_account))
                .collect::<Result<Vec<_>>>()?;
            Ok(Page { items, total: total as u64 })
        })
        .await
    }
}

#[async_trait]
impl ReadModelAdmin for SqliteStore {
    async fn all_accounts(&self, client_id: Option<Uuid>) -> Result<Vec<StoredReadModel>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT client_id, id, body FROM accounts WHERE ?1 IS NULL OR client_id = ?1
                     ORDER BY client_id, created_at, id",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map([client_id.map(|t| t.to_string())], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
                })
                .map_err(db)?;
            rows.map(|r| {
                let (client_id, id, body) = r.map_err(db)?;
                let account = decode_account(body).map_err(|e| e.to_string());
                Ok(StoredReadModel { client_id: uuid_col(client_id)?, id: uuid_col(id)?, account })
            })
            .collect()
        })
        .await
    }

    async fn read_model(&self, client_id: Uuid, id: Uuid) -> Result<Option<StoredReadModel>> {
        self.read(move |conn| {
            let body = conn
                .prepare_cached("SELECT body FROM accounts WHERE client_id = ?1 AND id = ?2")
                .map_err(db)?
                .query_row([client_id.to_string(), id.to_string()], |r| r.get::<_, String>(0))
                .optional()
                .map_err(db)?;
            Ok(body.map(|b| StoredReadModel { client_id, id, account: decode_account(b).map_err(|e| e.to_string()) }))
        })
        .await
    }

    async fn read_model_keys(&self, client_id: Option<Uuid>) -> Result<Vec<(Uuid, Uuid)>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT client_id, id FROM accounts WHERE ?1 IS NULL OR client_id = ?1")
                .map_err(db)?;
            let rows = stmt
                .query_map([client_id.map(|t| t.to_string())], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(db)?;
            rows.map(|r| {
                let (client_id, id) = r.map_err(db)?;
                Ok((uuid_col(client_id)?, uuid_col(id)?))
            })
            .collect()
        })
        .await
    }

    async fn replace_read_model(&self, client_id: Uuid, id: Uuid, state: Option<&Account>) -> Result<()> {
        let state = state.cloned();
        self.with(move |conn| write_read_model(conn, client_id, id, state.as_ref())).await
    }
}
