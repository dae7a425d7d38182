//! `Idempotency-Key` records: taken before a request runs, answered after (in
//! the command's own commit when it writes one).

use crate::Result;
use async_trait::async_trait;
use inbox_domain::{ClientId, Timestamp};

/// An answer as an `Idempotency-Key` replays it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: String,
}

/// The recorded answer of one key of one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub client_id: ClientId,
    pub key: String,
    /// A hash of method, path and body: the same key with another request is refused.
    pub fingerprint: String,
    /// Who holds the pending key (one request).
    pub owner: String,
    pub answer: StoredAnswer,
    pub expires_at: Timestamp,
}

/// What taking a key for a request found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Unused (or expired, or abandoned): now pending, held by the caller.
    Fresh,
    /// Answered already, for the same request: replay this.
    Replay(StoredAnswer),
    /// Answered already, for another request.
    Mismatch,
    /// Another request with this key is still running.
    InProgress,
}

/// A key to take: whose, which, for what request, by whom, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyClaim {
    pub client_id: ClientId,
    pub key: String,
    pub fingerprint: String,
    pub owner: String,
    pub now: Timestamp,
    /// A pending key left by a request that died is free again after this.
    pub lease_until: Timestamp,
    pub expires_at: Timestamp,
}

/// `Idempotency-Key` records: taken before a request runs, answered after.
#[async_trait]
pub trait Idempotency: Send + Sync {
    async fn claim_key(&self, claim: &KeyClaim) -> Result<Claim>;
    /// Records the answer of a request that wrote nothing through a commit.
    async fn complete_key(&self, record: &IdempotencyRecord) -> Result<()>;
    /// Gives a pending key back (the request failed and wrote nothing).
    async fn release_key(&self, client_id: ClientId, key: &str, owner: &str) -> Result<()>;
}
