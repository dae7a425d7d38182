//! Leases on SQLite: one row each, taken by an upsert that only replaces an expired holder.

use super::{db, SqliteStore};
use crate::{Leases, Result};
use async_trait::async_trait;
use inbox_domain::{time, Timestamp};
use rusqlite::params;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  TEXT NOT NULL
) WITHOUT ROWID;";

#[async_trait]
impl Leases for SqliteStore {
    async fn take_lease(&self, name: &str, holder: &str, until: Timestamp, now: Timestamp) -> Result<bool> {
        let (name, holder) = (name.to_string(), holder.to_string());
        self.with(move |conn| {
            let n = conn
                .execute(
                    "INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
                     WHERE leases.until < ?4",
                    params![name, holder, time::format(&until), time::format(&now)],
                )
                .map_err(db)?;
            Ok(n == 1)
        })
        .await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        let (name, holder) = (name.to_string(), holder.to_string());
        self.with(move |conn| {
            conn.execute("DELETE FROM leases WHERE name = ?1 AND holder = ?2", params![name, holder]).map_err(db)?;
            Ok(())
        })
        .await
    }
}
