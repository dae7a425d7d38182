//! Refresh-token families and failed-login counters on SQLite. Expired rows
//! are removed as new ones are written.

use super::{db, time_col, uuid_col, SqliteStore};
use crate::{Attempt, LoginThrottle, RefreshFamily, RefreshToken, RefreshTokens, Result};
use async_trait::async_trait;
use inbox_domain::{time, Timestamp};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

#[async_trait]
impl RefreshTokens for SqliteStore {
    async fn start_family(&self, f: &RefreshFamily) -> Result<()> {
        let f = f.clone();
        self.with(move |conn| {
            let tx = conn.transaction().map_err(db)?;
            let now = time::format(&chrono::Utc::now());
            tx.execute("DELETE FROM refresh_tokens WHERE expires_at < ?1", [&now]).map_err(db)?;
            tx.execute("DELETE FROM refresh_families WHERE expires_at < ?1", [&now]).map_err(db)?;
            let expires = time::format(&f.expires_at);
            tx.execute(
                "INSERT INTO refresh_families (id, tenant_id, user_id, user_version, current_hash, revoked, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    f.id.to_string(),
                    f.client_id.to_string(),
                    f.user_id.to_string(),
                    f.user_version,
                    f.current,
                    f.revoked,
                    expires
                ],
            )
            .map_err(db)?;
            tx.execute(
                "INSERT INTO refresh_tokens (hash, family_id, expires_at) VALUES (?1, ?2, ?3)",
                params![f.current, f.id.to_string(), expires],
            )
            .map_err(db)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn find_refresh(&self, hash: &str) -> Result<Option<(RefreshToken, RefreshFamily)>> {
        let hash = hash.to_string();
        self.read(move |conn| {
            let row = conn
                .query_row(
                    "SELECT t.family_id, t.expires_at, f.tenant_id, f.user_id, f.user_version, f.current_hash,
                            f.revoked, f.expires_at
                     FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.hash = ?1",
                    [&hash],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, u64>(4)?,
                            r.get::<_, String>(5)?,
                            r.get::<_, bool>(6)?,
                            r.get::<_, String>(7)?,
                        ))
                    },
                )
                .optional()
                .map_err(db)?;
            let Some((family, expires, client, user, user_version, current, revoked, family_expires)) = row else {
                return Ok(None);
            };
            let family = uuid_col(family)?;
            let token = RefreshToken { hash, family, expires_at: time_col("refresh expires_at", expires)? };
            let family = RefreshFamily {
                id: family,
                client_id: inbox_domain::ClientId(uuid_col(client)?),
                user_id: inbox_domain::UserId(uuid_col(user)?),
                user_version,
                current,
                revoked,
                expires_at: time_col("family expires_at", family_expires)?,
            };
            Ok(Some((token, family)))
        })
        .await
    }

    async fn rotate_refresh(&self, family: &RefreshFamily, used: &str, next: &RefreshToken) -> Result<bool> {
        let (family, used, next) = (family.clone(), used.to_string(), next.clone());
        self.with(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let user_unchanged: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1 AND tenant_id = ?2 AND version = ?3 AND enabled = 1)",
                    params![family.user_id.to_string(), family.client_id.to_string(), family.user_version],
                    |r| r.get(0),
                )
                .map_err(db)?;
            if !user_unchanged {
                return Ok(false);
            }
            let expires = time::format(&next.expires_at);
            let moved = tx
                .execute(
                    "UPDATE refresh_families SET current_hash = ?1, expires_at = ?2
                     WHERE id = ?3 AND current_hash = ?4 AND revoked = 0",
                    params![next.hash, expires, next.family.to_string(), used],
                )
                .map_err(db)?;
            if moved == 0 {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO refresh_tokens (hash, family_id, expires_at) VALUES (?1, ?2, ?3)",
                params![next.hash, next.family.to_string(), expires],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(true)
        })
        .await
    }

    async fn revoke_family(&self, family: Uuid) -> Result<()> {
        self.with(move |conn| {
            conn.execute("UPDATE refresh_families SET revoked = 1 WHERE id = ?1", [family.to_string()]).map_err(db)?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl LoginThrottle for SqliteStore {
    async fn take_login_attempt(
        &self,
        username: &str,
        now: Timestamp,
        window_start_after: Timestamp,
        max: u32,
    ) -> Result<Attempt> {
        let username = username.to_string();
        self.with(move |conn| {
            let (now, cutoff) = (time::format(&now), time::format(&window_start_after));
            // IMMEDIATE: read and count under the write lock, across processes too.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let current = tx
                .query_row("SELECT failures, since FROM login_failures WHERE username = ?1", [&username], |r| {
                    Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?))
                })
                .optional()
                .map_err(db)?;
            let attempt = match current {
                Some((count, since)) if since >= cutoff && count >= max => {
                    Attempt::Refused { since: time_col("login failure since", since)? }
                }
                Some((_, since)) if since >= cutoff => {
                    tx.execute("UPDATE login_failures SET failures = failures + 1 WHERE username = ?1", [&username])
                        .map_err(db)?;
                    Attempt::Allowed
                }
                _ => {
                    tx.execute(
                        "INSERT INTO login_failures (username, failures, since) VALUES (?1, 1, ?2)
                         ON CONFLICT (username) DO UPDATE SET failures = 1, since = excluded.since",
                        params![username, now],
                    )
                    .map_err(db)?;
                    // Old windows of other usernames go too.
                    tx.execute("DELETE FROM login_failures WHERE since < ?1", [&cutoff]).map_err(db)?;
                    Attempt::Allowed
                }
            };
            tx.commit().map_err(db)?;
            Ok(attempt)
        })
        .await
    }

    async fn clear_login_failures(&self, username: &str) -> Result<()> {
        let username = username.to_string();
        self.with(move |conn| {
            conn.execute("DELETE FROM login_failures WHERE username = ?1", [username]).map_err(db)?;
            Ok(())
        })
        .await
    }
}
