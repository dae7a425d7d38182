//! Webhook endpoints, their deliveries and their change history, as they
//! travel. The secret is shown once, in the answer that creates it.

use inbox_domain::time;
use inbox_store::{DeliveryAttempt, Endpoint, EndpointChange, MessageState};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub const WEBHOOKS: &str = "/api/webhooks";

pub fn webhook_iri(id: Uuid) -> String {
    format!("{WEBHOOKS}/{id}")
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Webhook)]
pub struct WebhookView {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    #[schema(rename = "@context", example = "/api/contexts/Webhook")]
    pub context: Option<&'static str>,
    #[serde(rename = "@id")]
    #[schema(rename = "@id", example = "/api/webhooks/0b7e2f4c-2d7a-4d36-9a49-1c1d7f0e8a11")]
    pub iri: String,
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "Webhook")]
    pub kind: &'static str,
    pub id: Uuid,
    /// Where messages are POSTed: `https`, resolving only to public addresses.
    #[schema(example = "https://hooks.example.com/inbox")]
    pub url: String,
    /// The message types sent; empty: all.
    #[schema(example = json!(["account.disconnected"]))]
    pub events: Vec<String>,
    pub description: Option<String>,
    /// A disabled endpoint gets no messages.
    pub enabled: bool,
    /// Why delivery disabled the endpoint (410 Gone, or 5 days of failures).
    pub disabled_reason: Option<String>,
    /// `whsec_…`, the signing secret: only in the answer that creates the endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(read_only)]
    pub secret: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
}

impl WebhookView {
    pub fn of(e: &Endpoint, with_context: bool) -> Self {
        WebhookView {
            context: with_context.then_some("/api/contexts/Webhook"),
            iri: webhook_iri(e.id.0),
            kind: "Webhook",
            id: e.id.0,
            url: e.url.clone(),
            events: e.events.clone(),
            description: e.description.clone(),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone(),
            secret: None,
            created_at: time::format(&e.created_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookCreate {
    #[schema(required = true, value_type = String, max_length = 2048, example = "https://hooks.example.com/inbox")]
    pub url: Option<String>,
    /// `account.connected`, `account.authorized`, `account.disconnected`,
    /// `account.updated`, `account.history_sync_set`, `account.removed`; omitted or empty: all.
    #[schema(value_type = Option<Vec<String>>, example = json!(["account.disconnected"]))]
    pub events: Option<Vec<String>>,
    #[schema(value_type = Option<String>, max_length = 255)]
    pub description: Option<String>,
}

/// A PUT body: an absent field keeps its value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookUpdate {
    #[schema(value_type = Option<String>, max_length = 2048)]
    pub url: Option<String>,
    #[schema(value_type = Option<Vec<String>>)]
    pub events: Option<Vec<String>>,
    #[schema(value_type = Option<String>, max_length = 255)]
    pub description: Option<String>,
    /// `true` enables the endpoint again (and clears `disabledReason`).
    pub enabled: Option<bool>,
}

/// The body of `POST /api/webhooks/{id}/test`: nothing is needed.
#[derive(Debug, Deserialize, ToSchema)]
pub struct WebhookTestInput {}

/// One delivery attempt of a message.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = WebhookDelivery)]
pub struct DeliveryView {
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "WebhookDelivery")]
    pub kind: &'static str,
    /// The `webhook-id` header: the same for every attempt of one message.
    #[schema(example = "msg_2f1c0e9b7d5a4c3e8f6a1b2c3d4e5f60")]
    pub message_id: String,
    #[serde(rename = "type")]
    #[schema(rename = "type", example = "account.disconnected")]
    pub message_type: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    #[schema(value_type = String, format = DateTime)]
    pub attempted_at: String,
    /// The receiver's HTTP status; null when there was no answer.
    pub status: Option<u16>,
    /// Why there was no answer (refused, timed out, blocked address …).
    pub error: Option<String>,
    pub duration_ms: u64,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<String>,
    /// The message after this attempt: `pending` (retried), `delivered` or `failed`.
    #[schema(value_type = String, example = "delivered")]
    pub state: MessageState,
}

impl DeliveryView {
    pub fn of(a: &DeliveryAttempt) -> Self {
        DeliveryView {
            kind: "WebhookDelivery",
            message_id: a.message_id.clone(),
            message_type: a.message_type.clone(),
            attempt: a.attempt,
            attempted_at: time::format(&a.at),
            status: a.status,
            error: a.error.clone(),
            duration_ms: a.duration_ms,
            next_attempt_at: a.next_attempt_at.as_ref().map(time::format),
            state: a.state,
        }
    }
}

/// One recorded change of an endpoint (never its secret).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = WebhookEvent)]
pub struct WebhookEventView {
    #[serde(rename = "@id")]
    #[schema(rename = "@id")]
    pub iri: String,
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "WebhookEvent")]
    pub kind: &'static str,
    pub version: u64,
    /// `WebhookCreated`, `WebhookChanged` or `WebhookDeleted`.
    #[serde(rename = "type")]
    #[schema(rename = "type", example = "WebhookChanged")]
    pub event_type: String,
    #[schema(value_type = Object, example = json!({"enabled": false}))]
    pub changes: serde_json::Value,
    /// Who made the change (a user id, or `webhooks` when delivery disabled it).
    pub actor: String,
    pub correlation_id: String,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: String,
}

impl WebhookEventView {
    pub fn of(e: &EndpointChange) -> Self {
        WebhookEventView {
            iri: format!("{}/events/{}", webhook_iri(e.endpoint_id.0), e.version),
            kind: "WebhookEvent",
            version: e.version,
            event_type: e.event_type.clone(),
            changes: e.changes.clone(),
            actor: e.actor.clone(),
            correlation_id: e.correlation_id.clone(),
            recorded_at: time::format(&e.recorded_at),
        }
    }
}
