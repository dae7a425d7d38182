//! Accounts, their history, and the integrations catalogue, as served.

use super::{account_iri, integration_iri, IriTemplate, IriTemplateMapping, ACCOUNTS};
use inbox_domain::integrations::{self, Integration};
use inbox_domain::{time, Account};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// An account as served (`GET /api/accounts/{id}`), in the seed's field order.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Account)]
pub struct AccountView {
    /// Present on a single resource, absent on collection members.
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    #[schema(rename = "@context", example = "/api/contexts/Account")]
    pub context: Option<&'static str>,
    #[serde(rename = "@id")]
    #[schema(rename = "@id", example = "/api/accounts/e6a2e786-2ce0-444a-b08c-ca21ed816bf0")]
    pub iri: String,
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "Account")]
    pub kind: &'static str,
    #[schema(example = "Michael Scott")]
    pub username: Option<String>,
    #[schema(example = "Regional Manager at Dunder Mifflin")]
    pub description: Option<String>,
    #[schema(example = "https://example.com/avatars/michael_scott.png")]
    pub avatar_url: Option<String>,
    #[schema(example = "whatsapp")]
    pub account_type: String,
    #[schema(example = "whatsapp")]
    pub integration_logo: String,
    #[schema(example = "/api/integrations/whatsapp")]
    pub integration: String,
    pub is_authorized: bool,
    pub share_past_history: bool,
    pub reconnect_url: Option<String>,
    #[schema(value_type = String, format = DateTime, example = "2025-12-06T04:35:33.192Z")]
    pub created_at: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub disconnected_at: Option<String>,
    /// Why the connector reported the session lost (e.g. `logged_out`); null
    /// while connected.
    #[schema(example = "logged_out")]
    pub disconnect_reason: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub history_sync_until: Option<String>,
    /// The host application's id of the end user whose customer session created
    /// the account; null when a user of the client created it.
    #[schema(example = "host-user-42")]
    pub customer_id: Option<String>,
    pub client_id: Uuid,
    pub id: Uuid,
}

impl AccountView {
    pub fn of(a: &Account, with_context: bool) -> Self {
        let logo = integrations::find(&a.integration).map_or(a.integration.as_str(), |i| i.logo);
        AccountView {
            context: with_context.then_some("/api/contexts/Account"),
            iri: account_iri(a.id.0),
            kind: "Account",
            username: a.username.clone(),
            description: a.description.clone(),
            avatar_url: a.avatar_url.clone(),
            account_type: a.integration.clone(),
            integration_logo: logo.to_string(),
            integration: integration_iri(&a.integration),
            is_authorized: a.is_authorized,
            share_past_history: a.share_past_history,
            reconnect_url: a.reconnect_url.clone(),
            created_at: time::format(&a.created_at),
            disconnected_at: a.disconnected_at.as_ref().map(time::format),
            disconnect_reason: a.disconnect_reason.clone(),
            history_sync_until: a.history_sync_until.as_ref().map(time::format),
            customer_id: a.customer_id().map(str::to_string),
            client_id: a.client_id.0,
            id: a.id.0,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Integration)]
pub struct IntegrationView {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    #[schema(rename = "@context", example = "/api/contexts/Integration")]
    pub context: Option<&'static str>,
    #[serde(rename = "@id")]
    #[schema(rename = "@id", example = "/api/integrations/whatsapp")]
    pub iri: String,
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "Integration")]
    pub kind: &'static str,
    #[schema(example = "whatsapp")]
    pub id: &'static str,
    #[schema(example = "WhatsApp")]
    pub name: &'static str,
    #[schema(example = "whatsapp")]
    pub logo: &'static str,
    pub description: &'static str,
    /// Who performs the sign-in: this server (`oauth`: `POST
    /// /api/accounts/{id}/sign-in` starts it), or the channel's connector.
    #[schema(example = "connector", pattern = "^(oauth|connector)$")]
    pub sign_in: &'static str,
}

impl IntegrationView {
    pub fn of(i: &Integration, with_context: bool, hosted: bool) -> Self {
        IntegrationView {
            context: with_context.then_some("/api/contexts/Integration"),
            iri: integration_iri(i.id),
            kind: "Integration",
            id: i.id,
            name: i.name,
            logo: i.logo,
            description: i.description,
            sign_in: if hosted { "oauth" } else { "connector" },
        }
    }
}

/// One stored event as auditors read it: everything the hash covers, and the hashes.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AccountEvent)]
pub struct EventView {
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "AccountEvent")]
    pub kind: &'static str,
    #[serde(rename = "type")]
    #[schema(rename = "type", example = "AccountConnected")]
    pub event_type: String,
    pub version: u64,
    pub schema_version: u32,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: String,
    /// Subject of the token that caused the event.
    pub actor: String,
    /// The request's `X-Request-Id`.
    pub correlation_id: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub stream_id: Uuid,
    /// The client (`tenant` on the wire, as in the hashed encoding).
    #[serde(rename = "tenant")]
    #[schema(rename = "tenant")]
    pub client_id: Uuid,
    /// `hex(sha256(prevHash + "\n" + canonical(event)))`; see the README's audit section.
    pub hash: String,
    pub prev_hash: String,
}

impl EventView {
    pub fn of(e: &inbox_domain::StoredEvent) -> Self {
        EventView {
            kind: "AccountEvent",
            event_type: e.event_type.clone(),
            version: e.version,
            schema_version: e.schema_version,
            recorded_at: time::format(&e.recorded_at),
            actor: e.actor.clone(),
            correlation_id: e.correlation_id.clone(),
            payload: e.payload.clone(),
            stream_id: e.stream_id,
            client_id: e.client_id.0,
            hash: e.hash.clone(),
            prev_hash: e.prev_hash.clone(),
        }
    }
}

/// The filters of `GET /api/accounts`, in the order links carry them.
pub const ACCOUNT_FILTERS: [&str; 3] = ["accountType", "isAuthorized", "customerId"];

pub fn account_search() -> IriTemplate {
    IriTemplate {
        kind: "IriTemplate",
        template: format!("{ACCOUNTS}{{?{}}}", ACCOUNT_FILTERS.join(",")),
        variable_representation: "BasicRepresentation",
        mapping: ACCOUNT_FILTERS
            .iter()
            .map(|f| IriTemplateMapping { kind: "IriTemplateMapping", variable: f, property: f, required: false })
            .collect(),
    }
}
