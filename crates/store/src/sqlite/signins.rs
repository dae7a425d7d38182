//! Started sign-ins on SQLite; expired rows are removed as new ones are written.

use super::{db, is_constraint, SqliteStore};
use crate::signins::{decode, encode};
use crate::{Result, SignIn, SignIns, StoreError};
use async_trait::async_trait;
use inbox_domain::{time, Timestamp};
use rusqlite::{params, OptionalExtension};

/// By the SHA-256 of their state.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sign_ins (
    state_hash TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL,
    body       TEXT NOT NULL
) WITHOUT ROWID;";

#[async_trait]
impl SignIns for SqliteStore {
    async fn put_sign_in(&self, s: &SignIn) -> Result<()> {
        let s = s.clone();
        self.with(move |conn| {
            let tx = conn.transaction().map_err(db)?;
            let now = time::format(&chrono::Utc::now());
            tx.execute("DELETE FROM sign_ins WHERE expires_at < ?1", [&now]).map_err(db)?;
            tx.execute(
                "INSERT INTO sign_ins (state_hash, expires_at, body) VALUES (?1, ?2, ?3)",
                params![s.state_hash, time::format(&s.expires_at), encode(&s)],
            )
            .map_err(|e| {
                if is_constraint(&e) {
                    StoreError::Duplicate("sign-in state".into())
                } else {
                    db(e)
                }
            })?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn take_sign_in(&self, state_hash: &str, now: Timestamp) -> Result<Option<SignIn>> {
        let hash = state_hash.to_string();
        let body: Option<String> = self
            .with(move |conn| {
                conn.query_row("DELETE FROM sign_ins WHERE state_hash = ?1 RETURNING body", [&hash], |r| r.get(0))
                    .optional()
                    .map_err(db)
            })
            .await?;
        let Some(body) = body else { return Ok(None) };
        let sign_in = decode(&body)?;
        Ok((sign_in.expires_at > now).then_some(sign_in))
    }
}
