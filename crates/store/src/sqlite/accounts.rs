//! The account read model on SQLite: written inside each commit, read by the API,
//! listed and replaced by audit and rebuild.

use super::{corrupt, db, time_col, uuid_col, SqliteStore};
use crate::lists::{self, ListChange, Member};
use crate::{AccountKey, AccountReads, ListQuery, Page, ReadModelAdmin, Result, StoreError, StoredReadModel};
use async_trait::async_trait;
use inbox_domain::{time, Account, AccountId, ClientId};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

fn decode_account(body: String) -> Result<Account> {
    serde_json::from_str(&body).map_err(|e| corrupt("account", e))
}

/// The read models of some of one client's accounts: the span of their ids as
/// one range (audit asks for adjacent ones), read at most a little past their
/// number; ids the range did not reach are then read one by one.
fn read_models_of(
    conn: &Connection,
    client_id: ClientId,
    ids: &BTreeSet<Uuid>,
    found: &mut HashMap<AccountKey, StoredReadModel>,
) -> Result<()> {
    let (Some(first), Some(last)) = (ids.first(), ids.last()) else { return Ok(()) };
    let limit = ids.len() + 16 + ids.len() / 8;
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, body FROM accounts WHERE client_id = ?1 AND id BETWEEN ?2 AND ?3 ORDER BY id LIMIT ?4",
        )
        .map_err(db)?;
    let client = client_id.to_string();
    let mut rows = stmt.query(params![client, first.to_string(), last.to_string(), limit as i64]).map_err(db)?;
    let (mut read, mut reached) = (0, None);
    while let Some(r) = rows.next().map_err(db)? {
        read += 1;
        let id = r.get_ref(0).map_err(db)?.as_str().map_err(|e| corrupt("id", e))?;
        let id = Uuid::parse_str(id).map_err(|e| corrupt("id", e))?;
        reached = Some(id);
        if ids.contains(&id) {
            let body = r.get_ref(1).map_err(db)?.as_str().map_err(|e| corrupt("account", e))?;
            let account = serde_json::from_str(body).map_err(|e| corrupt("account", e).to_string());
            let id = AccountId(id);
            found.insert((client_id, id), StoredReadModel { client_id, id, account });
        }
    }
    if read < limit {
        return Ok(()); // the whole span was read: what is missing does not exist
    }
    let mut one = conn.prepare_cached("SELECT body FROM accounts WHERE client_id = ?1 AND id = ?2").map_err(db)?;
    for id in ids.iter().filter(|id| Some(**id) > reached) {
        let body = one.query_row([&client, &id.to_string()], |r| r.get::<_, String>(0)).optional().map_err(db)?;
        if let Some(body) = body {
            let account = decode_account(body).map_err(|e| e.to_string());
            let id = AccountId(*id);
            found.insert((client_id, id), StoredReadModel { client_id, id, account });
        }
    }
    Ok(())
}

/// The list member a stored read model is, from its columns.
fn member(conn: &Connection, client_id: Uuid, id: Uuid) -> Result<Option<Member>> {
    let row = conn
        .prepare_cached(
            "SELECT created_at, account_type, is_authorized, created_by FROM accounts WHERE client_id = ?1 AND id = ?2",
        )
        .map_err(db)?
        .query_row([client_id.to_string(), id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?, r.get::<_, String>(3)?))
        })
        .optional()
        .map_err(db)?;
    row.map(|(created_at, account_type, is_authorized, created_by)| {
        Ok(Member {
            id,
            created_at: time_col("accounts.created_at", created_at)?,
            account_type,
            is_authorized,
            created_by,
        })
    })
    .transpose()
}

/// Applies a change to one client's lists, inside the caller's transaction.
fn move_in_lists(conn: &Connection, client_id: Uuid, id: Uuid, change: &ListChange) -> Result<()> {
    let client = client_id.to_string();
    for (list, sort) in &change.remove {
        conn.prepare_cached("DELETE FROM account_lists WHERE client_id = ?1 AND list = ?2 AND sort = ?3")
            .map_err(db)?
            .execute(params![client, list, sort])
            .map_err(db)?;
    }
    for (list, sort) in &change.add {
        conn.prepare_cached("INSERT OR REPLACE INTO account_lists (client_id, list, sort, id) VALUES (?1, ?2, ?3, ?4)")
            .map_err(db)?
            .execute(params![client, list, sort, id.to_string()])
            .map_err(db)?;
    }
    for (list, delta) in &change.counts {
        conn.prepare_cached(
            "INSERT INTO account_counts (client_id, list, n) VALUES (?1, ?2, ?3)
             ON CONFLICT (client_id, list) DO UPDATE SET n = n + excluded.n",
        )
        .map_err(db)?
        .execute(params![client, list, delta])
        .map_err(db)?;
    }
    Ok(())
}

/// Rewrites the lists of one client (all clients if `None`) from the read
/// models' columns, inside the caller's transaction; returns the accounts.
fn fill_lists(conn: &Connection, client_id: Option<Uuid>) -> Result<u64> {
    let client = client_id.map(|c| c.to_string());
    conn.execute("DELETE FROM account_lists WHERE ?1 IS NULL OR client_id = ?1", [&client]).map_err(db)?;
    conn.execute("DELETE FROM account_counts WHERE ?1 IS NULL OR client_id = ?1", [&client]).map_err(db)?;
    let mut stmt = conn
        .prepare(
            "SELECT client_id, id, created_at, account_type, is_authorized, created_by FROM accounts
             WHERE ?1 IS NULL OR client_id = ?1",
        )
        .map_err(db)?;
    let mut rows = stmt.query([&client]).map_err(db)?;
    let mut n = 0;
    while let Some(r) = rows.next().map_err(db)? {
        let member = Member {
            id: uuid_col(r.get(1).map_err(db)?)?,
            created_at: time_col("accounts.created_at", r.get(2).map_err(db)?)?,
            account_type: r.get(3).map_err(db)?,
            is_authorized: r.get(4).map_err(db)?,
            created_by: r.get(5).map_err(db)?,
        };
        let change = lists::change(None, Some(&member));
        move_in_lists(conn, uuid_col(r.get(0).map_err(db)?)?, member.id, &change)?;
        n += 1;
    }
    Ok(n)
}

/// Fills the lists of a file written before they existed, once (`user_version` 1).
pub(super) fn fill_lists_once(conn: &Connection) -> Result<()> {
    let version = |conn: &Connection| conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).map_err(db);
    if version(conn)? >= 1 {
        return Ok(());
    }
    // Another process may be filling them: the write lock decides, then look again.
    conn.execute_batch("BEGIN IMMEDIATE").map_err(db)?;
    let filled = (|| {
        if version(conn)? < 1 {
            fill_lists(conn, None)?;
            conn.execute_batch("PRAGMA user_version = 1").map_err(db)?;
        }
        Ok(())
    })();
    conn.execute_batch(if filled.is_ok() { "COMMIT" } else { "ROLLBACK" }).map_err(db)?;
    filled
}

/// Writes (or with `None` deletes) one read model, and moves it in the lists,
/// inside the caller's transaction.
pub(super) fn write_read_model(
    conn: &Connection,
    client_id: ClientId,
    id: AccountId,
    state: Option<&Account>,
) -> Result<()> {
    let (client_id, id) = (client_id.0, id.0);
    let before = member(conn, client_id, id)?;
    let change = lists::change(before.as_ref(), state.map(Member::of).as_ref());
    move_in_lists(conn, client_id, id, &change)?;
    claim_subject(conn, client_id, id, crate::subjects::claim(state))?;
    super::renewals::index(conn, client_id, id, crate::renewals::due(state))?;
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

/// One account per provider subject in a client (`crate::subjects`).
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS account_subjects (
    client_id  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    account_id TEXT NOT NULL,
    PRIMARY KEY (client_id, subject)
) WITHOUT ROWID;";

/// The account's claim on its provider subject ([`crate::subjects`]): any
/// other of its own is dropped; one held by another account is a duplicate.
fn claim_subject(conn: &Connection, client_id: Uuid, id: Uuid, claim: Option<String>) -> Result<()> {
    let (client, account) = (client_id.to_string(), id.to_string());
    let kept = claim.clone().unwrap_or_default();
    conn.execute(
        "DELETE FROM account_subjects WHERE client_id = ?1 AND account_id = ?2 AND subject != ?3",
        params![client, account, kept],
    )
    .map_err(db)?;
    let Some(claim) = claim else { return Ok(()) };
    conn.execute(
        "INSERT INTO account_subjects (client_id, subject, account_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![client, claim, account],
    )
    .map_err(db)?;
    let holder: String = conn
        .query_row(
            "SELECT account_id FROM account_subjects WHERE client_id = ?1 AND subject = ?2",
            params![client, claim],
            |r| r.get(0),
        )
        .map_err(db)?;
    if holder != account {
        return Err(StoreError::Duplicate(crate::subjects::taken(&claim)));
    }
    Ok(())
}

#[async_trait]
impl AccountReads for SqliteStore {
    async fn get_account(&self, client_id: ClientId, id: AccountId) -> Result<Option<Account>> {
        let (client_id, id) = (client_id.0, id.0);
        self.read_row(move |conn| {
            let (mut client, mut account) = (Uuid::encode_buffer(), Uuid::encode_buffer());
            let key =
                [&*client_id.hyphenated().encode_lower(&mut client), &*id.hyphenated().encode_lower(&mut account)];
            conn.prepare_cached("SELECT body FROM accounts WHERE client_id = ?1 AND id = ?2")
                .map_err(db)?
                // Decoded in SQLite's own buffer: the body is not copied out first.
                .query_row(key, |r| Ok(serde_json::from_slice::<Account>(r.get_ref(0)?.as_bytes()?)))
                .optional()
                .map_err(db)?
                .map(|decoded| decoded.map_err(|e| corrupt("account", e)))
                .transpose()
        })
        .await
    }

    async fn list_accounts(&self, client_id: ClientId, q: &ListQuery) -> Result<Page> {
        let (list, q) = (lists::list_of(q), q.clone());
        self.read(move |conn| {
            let client = client_id.to_string();
            let total: i64 = conn
                .prepare_cached("SELECT n FROM account_counts WHERE client_id = ?1 AND list = ?2")
                .map_err(db)?
                .query_row([&client, &list], |r| r.get(0))
                .optional()
                .map_err(db)?
                .unwrap_or(0);
            // The list's own index gives the page's keys (OFFSET skips keys only),
            // then the page's accounts are read.
            let mut stmt = conn
                .prepare_cached(
                    "SELECT a.body FROM (
                        SELECT id, sort FROM account_lists
                        WHERE client_id = ?1 AND list = ?2 AND sort > COALESCE(?3, '')
                        ORDER BY sort LIMIT ?4 OFFSET ?5
                     ) l JOIN accounts a ON a.client_id = ?1 AND a.id = l.id ORDER BY l.sort",
                )
                .map_err(db)?;
            let page_args = params![client, list, q.after, q.limit as i64, q.offset as i64];
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
    async fn all_accounts(&self, client_id: Option<ClientId>) -> Result<Vec<StoredReadModel>> {
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
                Ok(StoredReadModel { client_id: ClientId(uuid_col(client_id)?), id: AccountId(uuid_col(id)?), account })
            })
            .collect()
        })
        .await
    }

    async fn read_model(&self, client_id: ClientId, id: AccountId) -> Result<Option<StoredReadModel>> {
        Ok(self.read_models(&[(client_id, id)]).await?.pop().flatten())
    }

    async fn read_models(&self, keys: &[AccountKey]) -> Result<Vec<Option<StoredReadModel>>> {
        let keys = keys.to_vec();
        self.read(move |conn| {
            let mut found = HashMap::with_capacity(keys.len());
            let mut by_client: BTreeMap<ClientId, BTreeSet<Uuid>> = BTreeMap::new();
            for (client_id, id) in &keys {
                by_client.entry(*client_id).or_default().insert(id.0);
            }
            for (client_id, ids) in by_client {
                read_models_of(conn, client_id, &ids, &mut found)?;
            }
            Ok(keys.iter().map(|key| found.remove(key)).collect())
        })
        .await
    }

    async fn read_model_keys(&self, client_id: Option<ClientId>) -> Result<Vec<AccountKey>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT client_id, id FROM accounts WHERE ?1 IS NULL OR client_id = ?1")
                .map_err(db)?;
            let rows = stmt
                .query_map([client_id.map(|t| t.to_string())], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(db)?;
            rows.map(|r| {
                let (client_id, id) = r.map_err(db)?;
                Ok((ClientId(uuid_col(client_id)?), AccountId(uuid_col(id)?)))
            })
            .collect()
        })
        .await
    }

    async fn replace_read_model(&self, client_id: ClientId, id: AccountId, state: Option<&Account>) -> Result<()> {
        let state = state.cloned();
        self.with(move |conn| {
            let tx = conn.transaction().map_err(db)?;
            write_read_model(&tx, client_id, id, state.as_ref())?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn reindex_lists(&self, client_id: ClientId) -> Result<u64> {
        let client_id = client_id.0;
        self.with(move |conn| {
            let tx = conn.transaction().map_err(db)?;
            let n = fill_lists(&tx, Some(client_id))?;
            tx.commit().map_err(db)?;
            Ok(n)
        })
        .await
    }
}
