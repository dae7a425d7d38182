//! The embedded store: one SQLite file (WAL), shared safely by several processes
//! (each Lambda runs in its own process under `cargo lambda watch`).

use crate::{
    AccountReads, ApiToken, Commit, Directory, EventStore, ListQuery, Page, ReadModelAdmin, Result, StoreError, Tenant,
    User,
};
use async_trait::async_trait;
use inbox_domain::{time, Account, StoredEvent};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS events (
    stream_id      TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    tenant         TEXT    NOT NULL,
    event_type     TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    payload        TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    correlation_id TEXT    NOT NULL,
    recorded_at    TEXT    NOT NULL,
    prev_hash      TEXT    NOT NULL,
    hash           TEXT    NOT NULL,
    PRIMARY KEY (stream_id, version)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_tenant ON events (tenant, stream_id, version);

CREATE TABLE IF NOT EXISTS accounts (
    client_id     TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    account_type  TEXT    NOT NULL,
    is_authorized INTEGER NOT NULL,
    created_by    TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    body          TEXT    NOT NULL,
    PRIMARY KEY (client_id, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS accounts_by_creation ON accounts (client_id, created_at, id);

CREATE TABLE IF NOT EXISTS tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    plan       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    roles         TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS api_tokens (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    hint        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX IF NOT EXISTS api_tokens_by_tenant ON api_tokens (tenant_id, created_at);
"#;

/// The SQLite store. Cheap to clone; one connection per process, used from a
/// blocking thread so the async runtime never waits on the file.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path)
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        Self::init(conn)
    }

    /// A private in-memory database (tests).
    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory().map_err(db)?)
    }

    fn init(conn: Connection) -> Result<Self> {
        // Other processes may hold the write lock briefly: wait rather than fail.
        conn.busy_timeout(Duration::from_secs(10)).map_err(db)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(db)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(db)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    async fn with<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("store task failed: {e}")))?
    }
}

fn db(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Unavailable(e.to_string()),
        Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::DiskFull | ErrorCode::SystemIoFailure) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Internal(e.to_string()),
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("cannot read stored {what}: {e}"))
}

fn uuid_col(s: String) -> Result<Uuid> {
    Uuid::parse_str(&s).map_err(|e| corrupt("id", e))
}

fn event_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<[String; 11]> {
    Ok([
        row.get(0)?,
        row.get::<_, i64>(1)?.to_string(),
        row.get(2)?,
        row.get(3)?,
        row.get::<_, i64>(4)?.to_string(),
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
    ])
}

fn decode_event(c: [String; 11]) -> Result<StoredEvent> {
    let [stream_id, version, tenant, event_type, schema_version, payload, actor, correlation_id, recorded_at, prev_hash, hash] =
        c;
    Ok(StoredEvent {
        stream_id: uuid_col(stream_id)?,
        version: version.parse().map_err(|e| corrupt("version", e))?,
        event_type,
        schema_version: schema_version.parse().map_err(|e| corrupt("schema version", e))?,
        payload: serde_json::from_str(&payload).map_err(|e| corrupt("payload", e))?,
        tenant: uuid_col(tenant)?,
        actor,
        correlation_id,
        recorded_at: time::parse(&recorded_at).ok_or_else(|| corrupt("recorded_at", &recorded_at))?,
        prev_hash,
        hash,
    })
}

const EVENT_COLUMNS: &str = "stream_id, version, tenant, event_type, schema_version, payload, actor, \
                             correlation_id, recorded_at, prev_hash, hash";

fn query_events(conn: &Connection, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<StoredEvent>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db)?;
    let rows = stmt.query_map(args, event_from_row).map_err(db)?;
    rows.map(|r| r.map_err(db).and_then(decode_event)).collect()
}

fn decode_account(body: String) -> Result<Account> {
    serde_json::from_str(&body).map_err(|e| corrupt("account", e))
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn commit(&self, c: Commit) -> Result<()> {
        if c.events.is_empty() {
            return Ok(());
        }
        self.with(move |conn| {
            // IMMEDIATE takes the write lock up front, so the version check and the
            // inserts see the same stream head even across processes.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let stream = c.stream_id.to_string();
            let head: i64 = tx
                .query_row("SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?1", [&stream], |r| r.get(0))
                .map_err(db)?;
            if head as u64 != c.expected_version {
                return Err(StoreError::Conflict { stream_id: c.stream_id, expected: c.expected_version });
            }
            {
                let mut insert = tx
                    .prepare_cached(&format!(
                        "INSERT INTO events ({EVENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                    ))
                    .map_err(db)?;
                for e in &c.events {
                    insert
                        .execute(params![
                            stream,
                            e.version as i64,
                            e.tenant.to_string(),
                            e.event_type,
                            e.schema_version,
                            e.payload.to_string(),
                            e.actor,
                            e.correlation_id,
                            time::format(&e.recorded_at),
                            e.prev_hash,
                            e.hash,
                        ])
                        .map_err(|err| match err.sqlite_error_code() {
                            Some(ErrorCode::ConstraintViolation) => {
                                StoreError::Conflict { stream_id: c.stream_id, expected: c.expected_version }
                            }
                            _ => db(err),
                        })?;
                }
            }
            write_read_model(&tx, c.client_id, c.stream_id, c.state.as_ref())?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn load_stream(&self, stream_id: Uuid) -> Result<Vec<StoredEvent>> {
        self.with(move |conn| {
            let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ?1 ORDER BY version");
            query_events(conn, &sql, &[&stream_id.to_string()])
        })
        .await
    }

    async fn all_events(&self, tenant: Option<Uuid>) -> Result<Vec<StoredEvent>> {
        self.with(move |conn| match tenant {
            Some(t) => {
                let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE tenant = ?1 ORDER BY stream_id, version");
                query_events(conn, &sql, &[&t.to_string()])
            }
            None => query_events(conn, &format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY stream_id, version"), &[]),
        })
        .await
    }
}

fn write_read_model(conn: &Connection, client_id: Uuid, id: Uuid, state: Option<&Account>) -> Result<()> {
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
        self.with(move |conn| {
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
        self.with(move |conn| {
            const FILTER: &str = "client_id = ?1 AND (?2 IS NULL OR account_type = ?2)
                AND (?3 IS NULL OR is_authorized = ?3) AND (?4 IS NULL OR created_by = ?4)";
            let args = params![client_id.to_string(), q.account_type, q.is_authorized, q.created_by];
            let total: i64 = conn
                .prepare_cached(&format!("SELECT COUNT(*) FROM accounts WHERE {FILTER}"))
                .map_err(db)?
                .query_row(args, |r| r.get(0))
                .map_err(db)?;
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT body FROM accounts WHERE {FILTER} ORDER BY created_at, id LIMIT ?5 OFFSET ?6"
                ))
                .map_err(db)?;
            let page_args = params![
                client_id.to_string(),
                q.account_type,
                q.is_authorized,
                q.created_by,
                q.limit as i64,
                q.offset as i64
            ];
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
impl Directory for SqliteStore {
    async fn create_tenant(&self, t: &Tenant) -> Result<()> {
        let t = t.clone();
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO tenants (id, name, plan, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![t.id.to_string(), t.name, t.plan, time::format(&t.created_at)],
            )
            .map_err(|e| match e.sqlite_error_code() {
                Some(ErrorCode::ConstraintViolation) => StoreError::Duplicate(format!("tenant {}", t.id)),
                _ => db(e),
            })?;
            Ok(())
        })
        .await
    }

    async fn get_tenant(&self, id: Uuid) -> Result<Option<Tenant>> {
        self.with(move |conn| {
            let row = conn
                .query_row("SELECT id, name, plan, created_at FROM tenants WHERE id = ?1", [id.to_string()], |r| {
                    Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?))
                })
                .optional()
                .map_err(db)?;
            row.map(|(id, name, plan, created_at)| {
                Ok(Tenant {
                    id: uuid_col(id)?,
                    name,
                    plan,
                    created_at: time::parse(&created_at).ok_or_else(|| corrupt("tenant created_at", &created_at))?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn has_tenants(&self) -> Result<bool> {
        self.with(|conn| conn.query_row("SELECT EXISTS (SELECT 1 FROM tenants)", [], |r| r.get(0)).map_err(db)).await
    }

    async fn create_user(&self, u: &User) -> Result<()> {
        let u = u.clone();
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO users (id, tenant_id, username, password_hash, roles, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    u.id.to_string(),
                    u.tenant_id.to_string(),
                    u.username,
                    u.password_hash,
                    u.roles.join(","),
                    time::format(&u.created_at)
                ],
            )
            .map_err(|e| match e.sqlite_error_code() {
                Some(ErrorCode::ConstraintViolation) if e.to_string().contains("username") => {
                    StoreError::Duplicate(format!("user {:?}", u.username))
                }
                Some(ErrorCode::ConstraintViolation) => StoreError::Internal(format!("no tenant {}", u.tenant_id)),
                _ => db(e),
            })?;
            Ok(())
        })
        .await
    }

    async fn find_user(&self, username: &str) -> Result<Option<User>> {
        let username = username.to_string();
        self.with(move |conn| {
            let row = conn
                .query_row(
                    "SELECT id, tenant_id, username, password_hash, roles, created_at FROM users WHERE username = ?1",
                    [&username],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, String>(5)?,
                        ))
                    },
                )
                .optional()
                .map_err(db)?;
            row.map(|(id, tenant_id, username, password_hash, roles, created_at)| {
                Ok(User {
                    id: uuid_col(id)?,
                    tenant_id: uuid_col(tenant_id)?,
                    username,
                    password_hash,
                    roles: roles.split(',').filter(|r| !r.is_empty()).map(str::to_string).collect(),
                    created_at: time::parse(&created_at).ok_or_else(|| corrupt("user created_at", &created_at))?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn create_api_token(&self, t: &ApiToken) -> Result<()> {
        let t = t.clone();
        self.with(move |conn| {
            conn.execute(
                &format!("INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
                params![
                    t.id.to_string(),
                    t.tenant_id.to_string(),
                    t.name,
                    t.hint,
                    t.secret_hash,
                    t.created_by,
                    time::format(&t.created_at),
                    t.revoked_at.as_ref().map(time::format)
                ],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn list_api_tokens(&self, tenant: Uuid) -> Result<Vec<ApiToken>> {
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE tenant_id = ?1 ORDER BY created_at, id"
                ))
                .map_err(db)?;
            let rows = stmt.query_map([tenant.to_string()], token_from_row).map_err(db)?;
            rows.map(|r| r.map_err(db).and_then(decode_token)).collect()
        })
        .await
    }

    async fn find_api_token(&self, secret_hash: &str) -> Result<Option<ApiToken>> {
        let hash = secret_hash.to_string();
        self.with(move |conn| {
            conn.query_row(
                &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE secret_hash = ?1"),
                [hash],
                token_from_row,
            )
            .optional()
            .map_err(db)?
            .map(decode_token)
            .transpose()
        })
        .await
    }

    async fn revoke_api_token(&self, tenant: Uuid, id: Uuid, at: inbox_domain::Timestamp) -> Result<bool> {
        self.with(move |conn| {
            let n = conn
                .execute(
                    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?3) WHERE tenant_id = ?1 AND id = ?2",
                    params![tenant.to_string(), id.to_string(), time::format(&at)],
                )
                .map_err(db)?;
            Ok(n == 1)
        })
        .await
    }
}

const TOKEN_COLUMNS: &str = "id, tenant_id, name, hint, secret_hash, created_by, created_at, revoked_at";

fn token_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<[Option<String>; 8]> {
    Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?])
}

fn decode_token(c: [Option<String>; 8]) -> Result<ApiToken> {
    let [id, tenant_id, name, hint, secret_hash, created_by, created_at, revoked_at] = c;
    let text = |v: Option<String>| v.ok_or_else(|| corrupt("token", "missing column"));
    let ts = |v: String| time::parse(&v).ok_or_else(|| corrupt("token time", &v));
    Ok(ApiToken {
        id: uuid_col(text(id)?)?,
        tenant_id: uuid_col(text(tenant_id)?)?,
        name: text(name)?,
        hint: text(hint)?,
        secret_hash: text(secret_hash)?,
        created_by: text(created_by)?,
        created_at: ts(text(created_at)?)?,
        revoked_at: revoked_at.map(ts).transpose()?,
    })
}

#[async_trait]
impl ReadModelAdmin for SqliteStore {
    async fn all_accounts(&self, tenant: Option<Uuid>) -> Result<Vec<Account>> {
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT body FROM accounts WHERE ?1 IS NULL OR client_id = ?1 ORDER BY client_id, created_at, id",
                )
                .map_err(db)?;
            let rows = stmt.query_map([tenant.map(|t| t.to_string())], |r| r.get::<_, String>(0)).map_err(db)?;
            rows.map(|r| r.map_err(db).and_then(decode_account)).collect()
        })
        .await
    }

    async fn replace_read_model(&self, client_id: Uuid, id: Uuid, state: Option<&Account>) -> Result<()> {
        let state = state.cloned();
        self.with(move |conn| write_read_model(conn, client_id, id, state.as_ref())).await
    }
}
