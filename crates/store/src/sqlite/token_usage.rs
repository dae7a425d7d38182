//! API token usage on SQLite: the last use (a conditional update) and the
//! request log, whose expired entries are deleted as new ones are written.

use super::{db, time_col, uuid_col, SqliteStore};
use crate::{ApiToken, Result, TokenRequest, TokenUsage, TokenUse};
use async_trait::async_trait;
use inbox_domain::{time, Timestamp};
use rusqlite::params;
use uuid::Uuid;

#[async_trait]
impl TokenUsage for SqliteStore {
    async fn touch_api_token(&self, token: &ApiToken, used: &TokenUse, not_before: Timestamp) -> Result<bool> {
        let (id, used) = (token.id.to_string(), used.clone());
        self.with(move |conn| {
            let n = conn
                .execute(
                    "UPDATE api_tokens SET last_used_at = ?2, last_used_ip = ?3, last_used_agent = ?4
                     WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?5)",
                    params![id, time::format(&used.at), used.ip, used.user_agent, time::format(&not_before)],
                )
                .map_err(db)?;
            Ok(n == 1)
        })
        .await
    }

    async fn log_token_requests(&self, entries: &[TokenRequest]) -> Result<()> {
        let Some(first) = entries.first() else { return Ok(()) };
        let (entries, now) = (entries.to_vec(), time::format(&first.used.at));
        self.with(move |conn| {
            let tx = conn.transaction().map_err(db)?;
            tx.execute("DELETE FROM token_requests WHERE expires_at < ?1", [now]).map_err(db)?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO token_requests
                     (token_id, sk, request_id, at, method, path, status, ip, user_agent, expires_at, actor)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(db)?;
            for e in &entries {
                insert
                    .execute(params![
                        e.token_id.to_string(),
                        e.key(),
                        e.request_id,
                        time::format(&e.used.at),
                        e.method,
                        e.path,
                        e.status,
                        e.used.ip,
                        e.used.user_agent,
                        time::format(&e.expires_at),
                        e.actor,
                    ])
                    .map_err(db)?;
            }
            drop(insert);
            tx.commit().map_err(db)
        })
        .await
    }

    async fn token_requests(
        &self,
        token_id: Uuid,
        before: Option<&str>,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<TokenRequest>> {
        let before = before.map(str::to_string);
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT token_id, request_id, at, method, path, status, ip, user_agent, expires_at, actor
                     FROM token_requests
                     WHERE token_id = ?1 AND (?2 IS NULL OR sk < ?2) AND expires_at > ?3
                     ORDER BY sk DESC LIMIT ?4",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![token_id.to_string(), before, time::format(&now), limit as i64], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, u16>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, Option<String>>(9)?,
                    ))
                })
                .map_err(db)?;
            rows.map(|row| {
                let (token_id, request_id, at, method, path, status, ip, user_agent, expires_at, actor) =
                    row.map_err(db)?;
                Ok(TokenRequest {
                    token_id: uuid_col(token_id)?,
                    request_id,
                    method,
                    path,
                    status,
                    used: TokenUse { at: time_col("request time", at)?, ip, user_agent },
                    expires_at: time_col("request expiry", expires_at)?,
                    actor,
                })
            })
            .collect()
        })
        .await
    }
}
