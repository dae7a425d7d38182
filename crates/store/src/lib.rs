//! Storage behind narrow traits: the event store (one commit for every kind
//! of stream: its events and its read model in one transaction), the read
//! models, and the directory of clients and tokens; and the one command path
//! over them. One implementation per backend; every implementation passes the
//! contract suite (the `inbox-store-contract` crate).

pub mod commands;
pub mod dynamodb;
mod idempotency;
pub mod leases;
pub mod lists;
pub mod people;
pub mod renewals;
pub mod signins;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod streams;
pub mod subjects;
pub mod walk;
pub mod webhooks;

use async_trait::async_trait;
use inbox_domain::{Account, AccountId, ClientId, State, StoredEvent, Team, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use dynamodb::{DynamoStore, Tables};
pub use idempotency::{Claim, Idempotency, IdempotencyRecord, KeyClaim, StoredAnswer};
pub use inbox_domain::endpoint::EndpointChange;
pub use inbox_domain::team::UserChange;
pub use inbox_domain::{Endpoint, User};
pub use leases::Leases;
pub use people::{Attempt, LoginThrottle, RefreshFamily, RefreshToken, RefreshTokens, Users};
pub use renewals::{Renewal, Renewals};
pub use signins::{SignIn, SignIns};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use streams::Stream;
pub use webhooks::{DeliveryAttempt, Message, MessageState, Webhooks};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stream moved on since it was read: the caller may reload and retry.
    #[error("version conflict on stream {stream_id}: expected version {expected}")]
    Conflict { stream_id: Uuid, expected: u64 },
    /// A unique value (a username) is taken.
    #[error("{0} already exists")]
    Duplicate(String),
    /// The backend cannot be reached or is overloaded; worth retrying later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Stored data that cannot be read back, or a backend error that retrying won't fix.
    #[error("store error: {0}")]
    Internal(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What one command writes, atomically: its new events, and what they make of
/// the stream's read model.
#[derive(Debug, Clone)]
pub struct Commit {
    pub client_id: ClientId,
    pub stream_id: Uuid,
    /// The stream's version the events were decided on (0 for a new stream).
    pub expected_version: u64,
    pub events: Vec<StoredEvent>,
    pub read_model: ReadModel,
    /// The answer to record for the request's `Idempotency-Key`, written in the
    /// same transaction (only if the key is still held as pending by its owner).
    pub idempotency: Option<IdempotencyRecord>,
}

/// A stream's read model before and after a commit's events; one writer each
/// in every store, called inside the commit's transaction.
// One per commit, moved and never copied: the account's size costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ReadModel {
    /// The account (`None`: removed from reads), and its moves in the account lists.
    Account { before: State, after: State },
    /// The client's users, and the team's stream head.
    Team { before: Option<Team>, after: Option<Team> },
    /// The endpoint (`None`: deleted).
    Webhook { after: Option<Endpoint> },
}

#[async_trait]
pub trait EventStore: Send + Sync {
    /// Appends the events if the stream is still at `expected_version`, and writes
    /// the read model (and the idempotency record), in one transaction, for a
    /// stream of any kind. Otherwise [`StoreError::Conflict`] (or
    /// [`StoreError::Duplicate`] for a taken username) and nothing is written.
    /// A commit without events writes only its idempotency record, if any.
    async fn commit(&self, commit: Commit) -> Result<()>;
    /// Every event of one stream, in version order.
    async fn load_stream(&self, stream_id: Uuid) -> Result<Vec<StoredEvent>>;
    /// The events `first..=last` (by version) of one stream, in order: a page of
    /// its history, read by key range whatever the stream's length.
    async fn stream_range(&self, stream_id: Uuid, first: u64, last: u64) -> Result<Vec<StoredEvent>>;
    /// The newest event of a stream (its version is the stream's length), if any.
    async fn stream_head(&self, stream_id: Uuid) -> Result<Option<StoredEvent>>;
    /// Every event of every stream (of one client, if given), ordered by stream
    /// then version: the input of replay and audit.
    async fn all_events(&self, client_id: Option<ClientId>) -> Result<Vec<StoredEvent>>;
    /// At most `limit` events of one segment of the log (of one client, if
    /// given) in the store's own order, which keeps each stream's events
    /// together and by version; `after` is the last event of the previous page.
    /// Audit reads the log so ([`walk::Streams`]), in memory bounded by the page.
    async fn events_page(
        &self,
        client_id: Option<ClientId>,
        segment: Segment,
        after: Option<EventKey>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>>;
}

/// An event's key: its stream and version.
pub type EventKey = (Uuid, u64);

/// Part `index` of `count` disjoint parts of the event log, each made of whole
/// streams, which can be read in parallel (SQLite: ranges of stream ids;
/// DynamoDB: the segments of a parallel Scan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub index: u16,
    pub count: u16,
}

impl Segment {
    /// The whole log, as one part.
    pub const WHOLE: Segment = Segment { index: 0, count: 1 };

    /// The `count` parts of the log (at least one, at most 256).
    pub fn all(count: u16) -> impl Iterator<Item = Segment> {
        let count = count.clamp(1, 256);
        (0..count).map(move |index| Segment { index, count })
    }
}

/// Filters and page of an account listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub account_type: Option<String>,
    pub is_authorized: Option<bool>,
    /// Only the accounts created by this subject (customers see only their own).
    pub created_by: Option<String>,
    /// Skipped matches (`?page=N`): a keys-only read of them.
    pub offset: u64,
    /// Start after this place ([`lists::sort_key`]) instead: a keyed cursor,
    /// whose cost does not grow with depth.
    pub after: Option<String>,
    pub limit: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Ordered by creation (`createdAt`, then id).
    pub items: Vec<Account>,
    /// Matching accounts in all pages (a counter, kept by each command).
    pub total: u64,
}

#[async_trait]
pub trait AccountReads: Send + Sync {
    /// One active account of one client; another client's account is `None`.
    async fn get_account(&self, client_id: ClientId, id: AccountId) -> Result<Option<Account>>;
    async fn list_accounts(&self, client_id: ClientId, query: &ListQuery) -> Result<Page>;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    pub plan: String,
    #[serde(with = "inbox_domain::time::serde_ts")]
    pub created_at: Timestamp,
}

/// An API token of a client (`Authorization: Bearer inbx_…` on `/api/v1`). Only a
/// hash of the secret is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    pub id: Uuid,
    pub client_id: ClientId,
    pub name: String,
    /// The first characters of the secret, to tell tokens apart in lists.
    pub hint: String,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    pub created_by: String,
    #[serde(with = "inbox_domain::time::serde_ts")]
    pub created_at: Timestamp,
    #[serde(with = "inbox_domain::time::serde_opt_ts")]
    pub revoked_at: Option<Timestamp>,
    /// The last recorded use (recorded at most once a minute).
    pub last_used: Option<TokenUse>,
}

/// One use of an API token: when, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUse {
    #[serde(with = "inbox_domain::time::serde_ts")]
    pub at: Timestamp,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One request in a request log (never a secret, never a query string): a
/// request made with an API token, in the token's log; or a hand-out of an
/// account's access token, in the account's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The log: the API token's id, or the account's.
    pub token_id: Uuid,
    pub request_id: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub used: TokenUse,
    /// Who asked, where the log's own id does not say it (a hand-out's caller).
    pub actor: Option<String>,
    /// When the entry expires (removed by TTL / cleanup, hidden from reads).
    pub expires_at: Timestamp,
}

impl TokenRequest {
    /// The entry's place in its token's log, newest last: time, then request id.
    /// Pages of the log are cut at such a key.
    pub fn key(&self) -> String {
        format!("{}#{}", inbox_domain::time::format(&self.used.at), self.request_id)
    }
}

#[async_trait]
pub trait Directory: Send + Sync {
    async fn create_client(&self, client: &Client) -> Result<()>;
    async fn get_client(&self, id: ClientId) -> Result<Option<Client>>;
    async fn has_clients(&self) -> Result<bool>;
    async fn create_api_token(&self, token: &ApiToken) -> Result<()>;
    /// The client's tokens, revoked ones included, oldest first.
    async fn list_api_tokens(&self, client_id: ClientId) -> Result<Vec<ApiToken>>;
    async fn find_api_token(&self, secret_hash: &str) -> Result<Option<ApiToken>>;
    /// One token of a client, revoked or not.
    async fn get_api_token(&self, client_id: ClientId, id: Uuid) -> Result<Option<ApiToken>>;
    /// Marks the token revoked; `false` if the client has no such token.
    async fn revoke_api_token(&self, client_id: ClientId, id: Uuid, at: Timestamp) -> Result<bool>;
}

/// What API tokens are used for: the last use, and a log of requests.
#[async_trait]
pub trait TokenUsage: Send + Sync {
    /// Records `used` as the token's last use unless one at or after `not_before`
    /// is recorded already (a conditional write); returns whether it wrote.
    async fn touch_api_token(&self, token: &ApiToken, used: &TokenUse, not_before: Timestamp) -> Result<bool>;
    /// Logs entries, in one write where the store can (a busy server's
    /// entries are written in batches).
    async fn log_token_requests(&self, entries: &[TokenRequest]) -> Result<()>;
    async fn log_token_request(&self, entry: &TokenRequest) -> Result<()> {
        self.log_token_requests(std::slice::from_ref(entry)).await
    }
    /// The token's unexpired log entries, newest first, those before the key
    /// `before` (see [`TokenRequest::key`]) if given, at most `limit`.
    async fn token_requests(
        &self,
        token_id: Uuid,
        before: Option<&str>,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<TokenRequest>>;
}

/// A stored read model as audit reads it: its key, and its body — or why the
/// body cannot be read (audit reports that and goes on; rebuild repairs it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReadModel {
    pub client_id: ClientId,
    pub id: AccountId,
    pub account: std::result::Result<Account, String>,
}

/// An account read model's key: its client, and the account.
pub type AccountKey = (ClientId, AccountId);

/// Whole-store read-model access for audit and rebuild (never on a request path).
#[async_trait]
pub trait ReadModelAdmin: Send + Sync {
    /// Every stored read model, of one client if given.
    async fn all_accounts(&self, client_id: Option<ClientId>) -> Result<Vec<StoredReadModel>>;
    /// One stored read model, readable or not.
    async fn read_model(&self, client_id: ClientId, id: AccountId) -> Result<Option<StoredReadModel>>;
    /// The stored read models of these distinct keys, in their order: one call
    /// for a batch, as audit verify reads them.
    async fn read_models(&self, keys: &[AccountKey]) -> Result<Vec<Option<StoredReadModel>>>;
    /// The key of every stored read model, of one client if given.
    async fn read_model_keys(&self, client_id: Option<ClientId>) -> Result<Vec<AccountKey>>;
    /// Writes a read model unconditionally (`None` deletes it), moving it in
    /// the account lists: rebuild from events.
    async fn replace_read_model(&self, client_id: ClientId, id: AccountId, state: Option<&Account>) -> Result<()>;
    /// Rewrites one client's account lists and counts from its read models
    /// (after an upgrade that added them, or a rebuild); returns the accounts.
    async fn reindex_lists(&self, client_id: ClientId) -> Result<u64>;
}

/// People and their sessions: users, refresh-token families, failed logins.
pub trait People: Users + RefreshTokens + LoginThrottle {}
impl<T: Users + RefreshTokens + LoginThrottle> People for T {}

/// Everything the API and the CLI need from one backend.
pub trait Store:
    EventStore
    + AccountReads
    + Directory
    + People
    + ReadModelAdmin
    + TokenUsage
    + Idempotency
    + Webhooks
    + SignIns
    + Leases
    + Renewals
{
}
impl<
        T: EventStore
            + AccountReads
            + Directory
            + People
            + ReadModelAdmin
            + TokenUsage
            + Idempotency
            + Webhooks
            + SignIns
            + Leases
            + Renewals,
    > Store for T
{
}

/// The store's traits, for code calling methods on an [`AppStore`]: a `dyn
/// Store` answers them without imports, a concrete store does not.
pub mod prelude {
    pub use crate::{
        AccountReads, Directory, EventStore, Idempotency, Leases, LoginThrottle, ReadModelAdmin, RefreshTokens,
        Renewals, SignIns, Store, Stream, TokenUsage, Users, Webhooks,
    };
}

/// The store a process holds ([`Store`]). Builds with the embedded store pick
/// one at run time, behind `dyn Store`. The deployed functions are DynamoDB only
/// and hold it by type: a `dyn Store` vtable would link every method of all
/// ten traits into every function, where static calls link only those its
/// route makes. Code holding it calls trait methods only (with
/// [`prelude`] imported), so it builds either way.
#[cfg(feature = "sqlite")]
pub type AppStore = dyn Store;
/// The store a process holds: without the embedded store, DynamoDB by type
/// (see the `sqlite` build's documentation of this alias).
#[cfg(not(feature = "sqlite"))]
pub type AppStore = DynamoStore;

/// Creates a folder (and its parents) that only its owner may enter (0700 on Unix):
/// the data folder of the embedded store and of the local signing secret.
pub fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}
