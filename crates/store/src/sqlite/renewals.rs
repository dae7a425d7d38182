//! The renewal index on SQLite ([`crate::renewals`]): one row per account due,
//! written by the account read-model writer in the command's transaction.

use super::{db, SqliteStore};
use crate::{Renewal, Renewals, Result, StoreError};
use async_trait::async_trait;
use inbox_domain::{time, AccountId, ClientId, Timestamp};
use rusqlite::{params, Connection};
use uuid::Uuid;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS renewals (
    client_id  TEXT NOT NULL,
    account_id TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (client_id, account_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS renewals_by_expiry ON renewals (expires_at);";

/// Puts the account in the index at `due`, or (with `None`) takes it out.
pub(super) fn index(conn: &Connection, client_id: Uuid, id: Uuid, due: Option<Timestamp>) -> Result<()> {
    let (client, account) = (client_id.to_string(), id.to_string());
    match due {
        None => conn.execute("DELETE FROM renewals WHERE client_id = ?1 AND account_id = ?2", params![client, account]),
        Some(at) => conn.execute(
            "INSERT INTO renewals (client_id, account_id, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (client_id, account_id) DO UPDATE SET expires_at = excluded.expires_at",
            params![client, account, time::format(&at)],
        ),
    }
    .map_err(db)?;
    Ok(())
}

#[async_trait]
impl Renewals for SqliteStore {
    async fn renewals_due(&self, before: Timestamp, limit: usize) -> Result<Vec<Renewal>> {
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT client_id, account_id, expires_at FROM renewals
                     WHERE expires_at < ?1 ORDER BY expires_at LIMIT ?2",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![time::format(&before), limit as i64], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
                })
                .map_err(db)?;
            let bad = |what: &str| StoreError::Internal(format!("unreadable renewal {what}"));
            rows.map(|row| {
                let (client, account, at) = row.map_err(db)?;
                Ok(Renewal {
                    client_id: ClientId(client.parse().map_err(|_| bad("client"))?),
                    account_id: AccountId(account.parse().map_err(|_| bad("account"))?),
                    expires_at: time::parse(&at).ok_or_else(|| bad("expiry"))?,
                })
            })
            .collect()
        })
        .await
    }
}
