//! The embedded store: one SQLite file (WAL), shared safely by several processes
//! (each Lambda runs in its own process under `cargo lambda watch`). This file
//! holds the schema, opening, and the error mapping; the trait implementations
//! live beside it, one file each.

mod accounts;
mod directory;
mod events;
mod idempotency;
mod leases;
mod renewals;
mod sessions;
mod signins;
#[cfg(test)]
mod tests;
mod token_usage;
mod upgrade;
mod users;
mod webhooks;

use crate::{Result, StoreError};
use inbox_domain::{time, Timestamp};
use rusqlite::{Connection, ErrorCode};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// Table and column names are storage formats: renaming one needs a migration
/// (the `tenants` table and `tenant` columns hold clients).
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

-- Every event in commit order: the webhook dispatcher follows it from a cursor.
CREATE TABLE IF NOT EXISTS event_log (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id TEXT    NOT NULL,
    version   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS log_cursors (
    name TEXT PRIMARY KEY,
    seq  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS webhook_endpoints (
    client_id TEXT    NOT NULL,
    id        TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    body      TEXT    NOT NULL,
    PRIMARY KEY (client_id, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS webhook_messages (
    id          TEXT    PRIMARY KEY,
    endpoint_id TEXT    NOT NULL,
    due_at      TEXT,
    attempts    INTEGER NOT NULL,
    body        TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS webhook_messages_due ON webhook_messages (due_at) WHERE due_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS webhook_attempts (
    endpoint_id TEXT NOT NULL,
    sk          TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (endpoint_id, sk)
) WITHOUT ROWID;

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
-- The account lists (`crate::lists`): members in creation order, and counts.
CREATE TABLE IF NOT EXISTS account_lists (
    client_id TEXT NOT NULL,
    list      TEXT NOT NULL,
    sort      TEXT NOT NULL,
    id        TEXT NOT NULL,
    PRIMARY KEY (client_id, list, sort)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS account_counts (
    client_id TEXT    NOT NULL,
    list      TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (client_id, list)
) WITHOUT ROWID;

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

CREATE TABLE IF NOT EXISTS token_requests (
    token_id   TEXT    NOT NULL,
    sk         TEXT    NOT NULL,
    request_id TEXT    NOT NULL,
    at         TEXT    NOT NULL,
    method     TEXT    NOT NULL,
    path       TEXT    NOT NULL,
    status     INTEGER NOT NULL,
    ip         TEXT,
    user_agent TEXT,
    expires_at TEXT    NOT NULL,
    PRIMARY KEY (token_id, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS token_requests_by_expiry ON token_requests (expires_at);

CREATE TABLE IF NOT EXISTS idempotency (
    client_id    TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL,
    owner        TEXT    NOT NULL,
    pending      INTEGER NOT NULL,
    lease_until  TEXT    NOT NULL,
    status       INTEGER,
    content_type TEXT,
    location     TEXT,
    body         TEXT,
    expires_at   TEXT    NOT NULL,
    PRIMARY KEY (client_id, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idempotency_by_expiry ON idempotency (expires_at);


CREATE TABLE IF NOT EXISTS refresh_families (
    id           TEXT    PRIMARY KEY,
    tenant_id    TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    user_version INTEGER NOT NULL,
    current_hash TEXT    NOT NULL,
    revoked      INTEGER NOT NULL,
    expires_at   TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS refresh_families_by_expiry ON refresh_families (expires_at);

CREATE TABLE IF NOT EXISTS refresh_tokens (
    hash       TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS refresh_tokens_by_expiry ON refresh_tokens (expires_at);

CREATE TABLE IF NOT EXISTS login_failures (
    username TEXT    PRIMARY KEY,
    failures INTEGER NOT NULL,
    since    TEXT    NOT NULL
);
"#;

/// Columns added after a table's first release: `CREATE TABLE IF NOT EXISTS`
/// leaves an older file's table as it was, so they are added when missing.
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("api_tokens", "last_used_at", "TEXT"),
    ("api_tokens", "last_used_ip", "TEXT"),
    ("api_tokens", "last_used_agent", "TEXT"),
    ("token_requests", "actor", "TEXT"),
    ("users", "enabled", "INTEGER NOT NULL DEFAULT 1"),
    ("users", "version", "INTEGER NOT NULL DEFAULT 0"),
    ("tenants", "users_version", "INTEGER NOT NULL DEFAULT 0"),
    // The hash of the team stream's last event (`users_version` is its version).
    ("tenants", "team_hash", "TEXT"),
];

/// Signalled after each commit of events in this process, so a follower of
/// the log (the local webhook dispatcher) need not wait for its next poll.
static COMMITTED: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Resolves at the next commit of events in this process (or at once if one
/// happened since the last wait).
pub async fn committed() {
    COMMITTED.notified().await
}

/// How many read-only connections a store file gets: reads run on them, in
/// parallel, and never queue behind a write waiting for SQLite's write lock.
const READERS: usize = 4;

/// How much of the file each reader maps (see [`SqliteStore::open`]).
const MMAP_BYTES: i64 = 256 * 1024 * 1024;

/// The SQLite store. Cheap to clone; per process one connection for writes and
/// a few for reads (WAL lets readers go on while a writer works), used from
/// blocking threads so the async runtime never waits on the file.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    /// Empty for an in-memory store (its data lives in the one connection).
    readers: Arc<[Mutex<Connection>]>,
    next_reader: Arc<std::sync::atomic::AtomicUsize>,
}

impl SqliteStore {
    /// Opens (or creates) the store file; a new folder is private to its owner
    /// (0700) and a new file too (0600), as the JWT secret beside it is.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, MMAP_BYTES)
    }

    /// For a walk over the whole log (`inbox audit`): reads copy pages through SQLite's
    /// small cache; a mapped file would put every page read in resident memory.
    pub fn open_for_scans(path: &Path) -> Result<Self> {
        Self::open_with(path, 0)
    }

    fn open_with(path: &Path, mmap_bytes: i64) -> Result<Self> {
        if let Some(dir) = path.parent() {
            crate::private_dir(dir)
                .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut new_file = std::fs::OpenOptions::new();
        new_file.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut new_file, 0o600);
        match new_file.open(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(StoreError::Unavailable(format!("cannot create {}: {e}", path.display()))),
        }
        let conn = Connection::open(path)
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        let mut store = Self::init(conn)?;
        let reader = || -> Result<Connection> {
            let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = Connection::open_with_flags(path, flags)
                .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
            conn.busy_timeout(Duration::from_secs(10)).map_err(db)?;
            // Mapped reads skip read(2) copies: a large client's page costs a small one's.
            conn.pragma_update(None, "mmap_size", mmap_bytes).map_err(db)?;
            Ok(conn)
        };
        store.readers = (0..READERS).map(|_| reader().map(Mutex::new)).collect::<Result<Vec<_>>>()?.into();
        Ok(store)
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
        for schema in [accounts::SCHEMA, signins::SCHEMA, leases::SCHEMA, renewals::SCHEMA] {
            conn.execute_batch(schema).map_err(db)?;
        }
        for (table, column, decl) in ADDED_COLUMNS {
            let has: bool = conn
                .query_row(
                    &format!("SELECT EXISTS (SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1)"),
                    [column],
                    |r| r.get(0),
                )
                .map_err(db)?;
            if !has {
                conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}")).map_err(db)?;
            }
        }
        accounts::fill_lists_once(&conn)?;
        upgrade::streams_once(&conn)?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)), readers: Arc::new([]), next_reader: Arc::default() })
    }

    /// Runs a read on a reader connection (a free one if any), or on the
    /// writer's for an in-memory store.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        if self.readers.is_empty() {
            return self.with(f).await;
        }
        let readers = self.readers.clone();
        let start = self.next_reader.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let n = readers.len();
            let free = (0..n).find_map(|i| readers[(start + i) % n].try_lock().ok());
            let mut guard =
                free.unwrap_or_else(|| readers[start % n].lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("store task failed: {e}")))?
    }

    /// A read of one row by its key (microseconds) runs right here when a reader
    /// connection is free: handing it to the blocking pool would cost more than
    /// the read. Otherwise it waits on the pool like any read.
    async fn read_row<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let start = self.next_reader.load(std::sync::atomic::Ordering::Relaxed);
        let n = self.readers.len();
        if let Some(mut conn) = (0..n).find_map(|i| self.readers[(start + i) % n].try_lock().ok()) {
            return f(&mut conn);
        }
        self.read(f).await
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

/// The one mapping of SQLite errors: busy and I/O trouble is worth retrying later.
fn db(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::CannotOpen
            | ErrorCode::ReadOnly
            | ErrorCode::DiskFull
            | ErrorCode::SystemIoFailure,
        ) => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Internal(e.to_string()),
    }
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("cannot read stored {what}: {e}"))
}

fn uuid_col(s: String) -> Result<Uuid> {
    Uuid::parse_str(&s).map_err(|e| corrupt("id", e))
}

fn time_col(what: &str, s: String) -> Result<Timestamp> {
    time::parse(&s).ok_or_else(|| corrupt(what, &s))
}
