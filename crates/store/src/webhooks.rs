//! Webhooks as stored: a client's endpoints (read models) and their history,
//! and the messages to deliver with every attempt made. Types and trait; each
//! backend implements it beside its other roles.

use crate::{Endpoint, EndpointChange, Result};
use async_trait::async_trait;
use inbox_domain::time::{serde_opt_ts, serde_ts};
use inbox_domain::{ClientId, EndpointId, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageState {
    Pending,
    Delivered,
    Failed,
}

/// One event (or test) to deliver to one endpoint. Its id is the `webhook-id`
/// of every attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub endpoint_id: EndpointId,
    pub client_id: ClientId,
    /// `account.connected` …, or `webhook.test`.
    pub message_type: String,
    /// The account event it tells of (`None` for a test message).
    pub stream_id: Option<Uuid>,
    pub version: u64,
    /// The `timestamp` of the body: when the event was recorded.
    #[serde(with = "serde_ts")]
    pub created_at: Timestamp,
    pub state: MessageState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it is due (also while claimed: the end of the claim); `None` once final.
    #[serde(with = "serde_opt_ts")]
    pub due_at: Option<Timestamp>,
}

/// One delivery attempt, as `/deliveries` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttempt {
    pub message_id: String,
    pub endpoint_id: EndpointId,
    pub message_type: String,
    pub attempt: u32,
    #[serde(with = "serde_ts")]
    pub at: Timestamp,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
    #[serde(with = "serde_opt_ts")]
    pub next_attempt_at: Option<Timestamp>,
    /// The message's state after this attempt.
    pub state: MessageState,
}

#[async_trait]
pub trait Webhooks: Send + Sync {
    /// The client's endpoints (read models), oldest first.
    async fn webhook_endpoints(&self, client_id: ClientId) -> Result<Vec<Endpoint>>;
    async fn webhook_endpoint(&self, client_id: ClientId, id: EndpointId) -> Result<Option<Endpoint>>;
    /// The endpoint's changes, oldest first (also after its deletion).
    async fn webhook_changes(&self, client_id: ClientId, id: EndpointId) -> Result<Vec<EndpointChange>>;
    /// Records messages to deliver; one whose id is known already is left as it is.
    async fn enqueue_messages(&self, messages: &[Message]) -> Result<()>;
    /// Pending messages due at `now`, the longest due first.
    async fn due_messages(&self, now: Timestamp, limit: usize) -> Result<Vec<Message>>;
    /// Replaces `before` with `after` (and records `attempt`) if the message is
    /// still as `before` says (same `due_at` and attempts): `false` otherwise.
    /// Claiming (moving `due_at` to the end of the claim) and settling an
    /// attempt both go through it, so two workers never send the same attempt.
    async fn update_message(
        &self,
        before: &Message,
        after: &Message,
        attempt: Option<&DeliveryAttempt>,
    ) -> Result<bool>;
    /// The endpoint's attempts, newest first (the caller checks whose endpoint it is).
    async fn deliveries(&self, endpoint_id: EndpointId, limit: usize) -> Result<Vec<DeliveryAttempt>>;
}
