//! `Idempotency-Key` records on SQLite: a key is taken as pending in its own
//! transaction, and answered in the command's transaction (or on its own for a
//! request that commits nothing).

use super::{db, time_col, SqliteStore};
use crate::{Claim, Idempotency, IdempotencyRecord, KeyClaim, Result, StoredAnswer};
use async_trait::async_trait;
use inbox_domain::{time, ClientId};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

/// Records the answer if the key is still pending for this owner; whether it did.
pub(super) fn answer(conn: &Connection, r: &IdempotencyRecord) -> Result<bool> {
    let n = conn
        .execute(
            "UPDATE idempotency SET pending = 0, status = ?4, content_type = ?5, location = ?6, body = ?7
             WHERE client_id = ?1 AND key = ?2 AND owner = ?3 AND pending = 1",
            params![
                r.client_id.to_string(),
                r.key,
                r.owner,
                r.answer.status,
                r.answer.content_type,
                r.answer.location,
                r.answer.body
            ],
        )
        .map_err(db)?;
    Ok(n == 1)
}

type Row = (String, bool, String, String, Option<u16>, Option<String>, Option<String>, Option<String>);

#[async_trait]
impl Idempotency for SqliteStore {
    async fn claim_key(&self, c: &KeyClaim) -> Result<Claim> {
        let c = c.clone();
        self.with(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let now = time::format(&c.now);
            tx.execute("DELETE FROM idempotency WHERE expires_at < ?1", [&now]).map_err(db)?;
            let row: Option<Row> = tx
                .query_row(
                    "SELECT fingerprint, pending, lease_until, expires_at, status, content_type, location, body
                     FROM idempotency WHERE client_id = ?1 AND key = ?2",
                    params![c.client_id.to_string(), c.key],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
                )
                .optional()
                .map_err(db)?;
            let claim = match row {
                Some((_, true, lease_until, ..)) if time_col("lease", lease_until.clone())? >= c.now => {
                    Claim::InProgress
                }
                Some((fingerprint, false, ..)) if fingerprint != c.fingerprint => Claim::Mismatch,
                Some((_, false, _, _, status, content_type, location, body)) => Claim::Replay(StoredAnswer {
                    status: status.unwrap_or(200),
                    content_type,
                    location,
                    body: body.unwrap_or_default(),
                }),
                // Unused, or left pending by a request that died: take it.
                _ => {
                    tx.execute(
                        "INSERT OR REPLACE INTO idempotency
                         (client_id, key, fingerprint, owner, pending, lease_until, expires_at)
                         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6)",
                        params![
                            c.client_id.to_string(),
                            c.key,
                            c.fingerprint,
                            c.owner,
                            time::format(&c.lease_until),
                            time::format(&c.expires_at)
                        ],
                    )
                    .map_err(db)?;
                    Claim::Fresh
                }
            };
            tx.commit().map_err(db)?;
            Ok(claim)
        })
        .await
    }

    async fn complete_key(&self, record: &IdempotencyRecord) -> Result<()> {
        let record = record.clone();
        self.with(move |conn| answer(conn, &record).map(drop)).await
    }

    async fn release_key(&self, client_id: ClientId, key: &str, owner: &str) -> Result<()> {
        let (key, owner) = (key.to_string(), owner.to_string());
        self.with(move |conn| {
            conn.execute(
                "DELETE FROM idempotency WHERE client_id = ?1 AND key = ?2 AND owner = ?3 AND pending = 1",
                params![client_id.to_string(), key, owner],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }
}
