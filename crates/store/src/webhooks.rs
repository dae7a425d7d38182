//! Webhooks as stored: a client's endpoints with the history of their changes,
//! and the messages to deliver with every attempt made. Types and trait; each
//! backend implements it beside its other roles.

use crate::Result;
use async_trait::async_trait;
use inbox_domain::time::{serde_opt_ts, serde_ts};
use inbox_domain::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A registered receiver of a client's account events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub id: Uuid,
    pub client_id: Uuid,
    pub url: String,
    /// Message types wanted; empty: all.
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// `whsec_…`: shown once, when created.
    pub secret: String,
    #[serde(with = "serde_ts")]
    pub created_at: Timestamp,
    /// Since when every delivery has failed (`None`: the last one succeeded).
    #[serde(with = "serde_opt_ts")]
    pub failing_since: Option<Timestamp>,
    pub version: u64,
}

/// One recorded change of an endpoint (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointEvent {
    pub client_id: Uuid,
    pub endpoint_id: Uuid,
    /// The endpoint's version after this change (1 for its creation).
    pub version: u64,
    /// `WebhookCreated`, `WebhookChanged` or `WebhookDeleted`.
    pub event_type: String,
    pub changes: serde_json::Value,
    pub actor: String,
    pub correlation_id: String,
    #[serde(with = "serde_ts")]
    pub recorded_at: Timestamp,
}

/// One endpoint change, written with its event (if any) if the endpoint is
/// still at `expected` (0: it does not exist yet).
#[derive(Debug, Clone)]
pub struct EndpointCommit {
    pub client_id: Uuid,
    pub endpoint_id: Uuid,
    pub expected: u64,
    /// The endpoint after the change (`None`: deleted).
    pub after: Option<Endpoint>,
    pub event: Option<EndpointEvent>,
}

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
    pub endpoint_id: Uuid,
    pub client_id: Uuid,
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
    pub endpoint_id: Uuid,
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
    async fn webhook_endpoints(&self, client_id: Uuid) -> Result<Vec<Endpoint>>;
    async fn webhook_endpoint(&self, client_id: Uuid, id: Uuid) -> Result<Option<Endpoint>>;
    /// [`crate::StoreError::Conflict`] if the endpoint is no longer at `expected`.
    async fn commit_webhook(&self, commit: &EndpointCommit) -> Result<()>;
    /// The endpoint's changes, oldest first (also after its deletion).
    async fn webhook_events(&self, client_id: Uuid, id: Uuid) -> Result<Vec<EndpointEvent>>;
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
    async fn deliveries(&self, endpoint_id: Uuid, limit: usize) -> Result<Vec<DeliveryAttempt>>;
}
