//! The resources as they travel: JSON-LD/Hydra representations (API Platform 4,
//! unprefixed keys) and request bodies. Their serde and OpenAPI shapes are one
//! description.

use inbox_domain::integrations::{self, Integration};
use inbox_domain::time::{self, serde_opt_ts, Timestamp};
use inbox_domain::Account;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub const ACCOUNTS: &str = "/api/accounts";
pub const PAGE_SIZE: u64 = 30;

pub fn account_iri(id: Uuid) -> String {
    format!("{ACCOUNTS}/{id}")
}

pub fn integration_iri(id: &str) -> String {
    format!("/api/integrations/{id}")
}

/// The integration id of an IRI, in the API's form (`/api/integrations/x`) or
/// the seed's (`/integrations/x`).
pub fn parse_integration_iri(iri: &str) -> Option<&str> {
    let id = iri.strip_prefix("/api/integrations/").or_else(|| iri.strip_prefix("/integrations/"))?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

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
    #[schema(value_type = Option<String>, format = DateTime)]
    pub history_sync_until: Option<String>,
    pub client_id: Uuid,
    pub id: Uuid,
}

impl AccountView {
    pub fn of(a: &Account, with_context: bool) -> Self {
        let logo = integrations::find(&a.integration).map_or(a.integration.as_str(), |i| i.logo);
        AccountView {
            context: with_context.then_some("/api/contexts/Account"),
            iri: account_iri(a.id),
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
            history_sync_until: a.history_sync_until.as_ref().map(time::format),
            client_id: a.client_id,
            id: a.id,
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
}

impl IntegrationView {
    pub fn of(i: &Integration, with_context: bool) -> Self {
        IntegrationView {
            context: with_context.then_some("/api/contexts/Integration"),
            iri: integration_iri(i.id),
            kind: "Integration",
            id: i.id,
            name: i.name,
            logo: i.logo,
            description: i.description,
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
    pub tenant: Uuid,
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
            tenant: e.tenant,
            hash: e.hash.clone(),
            prev_hash: e.prev_hash.clone(),
        }
    }
}

/// A Hydra collection page.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Collection<T: ToSchema> {
    #[serde(rename = "@context")]
    #[schema(rename = "@context")]
    pub context: &'static str,
    #[serde(rename = "@id")]
    #[schema(rename = "@id")]
    pub iri: String,
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "Collection")]
    pub kind: &'static str,
    pub total_items: u64,
    pub member: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view: Option<PartialCollectionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<IriTemplate>,
}

#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct PartialCollectionView {
    #[serde(rename = "@id")]
    #[schema(rename = "@id", example = "/api/accounts?page=2")]
    pub iri: String,
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "PartialCollectionView")]
    pub kind: &'static str,
    pub first: String,
    pub last: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IriTemplate {
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "IriTemplate")]
    pub kind: &'static str,
    #[schema(example = "/api/accounts{?accountType,isAuthorized}")]
    pub template: String,
    #[schema(example = "BasicRepresentation")]
    pub variable_representation: &'static str,
    pub mapping: Vec<IriTemplateMapping>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IriTemplateMapping {
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "IriTemplateMapping")]
    pub kind: &'static str,
    pub variable: &'static str,
    pub property: &'static str,
    pub required: bool,
}

/// The filters of `GET /api/accounts`, in the order links carry them.
pub const ACCOUNT_FILTERS: [&str; 2] = ["accountType", "isAuthorized"];

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

/// First/last/previous/next links of page `page` of `total` items; `filters` is
/// the already encoded query string of the active filters (may be empty). Absent
/// when there is nothing to navigate: one page, asked for as page 1, no filter.
pub fn collection_view(base: &str, filters: &str, page: u64, total: u64) -> Option<PartialCollectionView> {
    let last = total.div_ceil(PAGE_SIZE).max(1);
    if last == 1 && page == 1 && filters.is_empty() {
        return None;
    }
    let link = |p: u64| {
        if filters.is_empty() {
            format!("{base}?page={p}")
        } else {
            format!("{base}?{filters}&page={p}")
        }
    };
    Some(PartialCollectionView {
        iri: link(page),
        kind: "PartialCollectionView",
        first: link(1),
        last: link(last),
        previous: (page > 1).then(|| link((page - 1).min(last))),
        next: (page < last).then(|| link(page + 1)),
    })
}

/// An API token as listed: never its secret, which only creation shows.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ApiToken)]
pub struct TokenView {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    #[schema(rename = "@context", example = "/api/contexts/ApiToken")]
    pub context: Option<&'static str>,
    #[serde(rename = "@id")]
    #[schema(rename = "@id")]
    pub iri: String,
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "ApiToken")]
    pub kind: &'static str,
    pub id: Uuid,
    pub name: String,
    /// The first characters of the secret.
    #[schema(example = "inbx_3f9a1c")]
    pub hint: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<String>,
    /// The secret: in the answer to its creation only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl TokenView {
    pub fn of(t: &inbox_store::ApiToken, with_context: bool, secret: Option<String>) -> Self {
        TokenView {
            context: with_context.then_some("/api/contexts/ApiToken"),
            iri: format!("/api/tokens/{}", t.id),
            kind: "ApiToken",
            id: t.id,
            name: t.name.clone(),
            hint: t.hint.clone(),
            created_at: time::format(&t.created_at),
            revoked_at: t.revoked_at.as_ref().map(time::format),
            token: secret,
        }
    }
}

/// `GET /api/v1/team` (Inbox Enterprise API).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Team {
    pub id: Uuid,
    #[schema(example = "Acme Corp")]
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    #[schema(example = "enterprise")]
    pub plan: String,
}

/// An account as the Inbox Enterprise API shows it, mapped from the same read model.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountLink {
    pub id: Uuid,
    /// The channel's user id; null until the account is authorized.
    #[schema(example = "123456789")]
    pub platform_id: Option<String>,
    #[schema(example = "x")]
    pub platform: String,
    #[schema(example = "acmecorp")]
    pub platform_username: Option<String>,
    #[schema(example = "Acme Corp")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_image_url: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
}

impl AccountLink {
    pub fn of(a: &Account) -> Self {
        AccountLink {
            id: a.id,
            platform_id: a.platform_id.clone(),
            platform: a.integration.clone(),
            platform_username: a.platform_username.clone(),
            name: a.username.clone(),
            profile_image_url: a.avatar_url.clone(),
            created_at: time::format(&a.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountLinks {
    pub account_links: Vec<AccountLink>,
}

// ---- request bodies ----

/// Deserializes a present field (even `null`) as `Some(value)`; with
/// `#[serde(default)]` an absent field stays `None` ("leave unchanged").
fn patch<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn patch_ts<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Timestamp>>, D::Error> {
    serde_opt_ts::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountCreate {
    /// IRI of the integration: `/api/integrations/{id}` (or `/integrations/{id}`).
    #[schema(example = "/api/integrations/whatsapp")]
    pub integration: Option<String>,
    /// Sync the channel's history back to this instant (RFC 3339, or `YYYY-MM-DD`).
    #[serde(default, with = "serde_opt_ts")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub history_sync_until: Option<Timestamp>,
}

/// A PUT body. Only these fields are writable; any other field (read-only ones
/// such as `id`, `clientId`, `isAuthorized`) is ignored. An absent field keeps its
/// value; `null` clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountUpdate {
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>, max_length = 255)]
    pub username: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>, format = "uri")]
    pub avatar_url: Option<Option<String>>,
    pub share_past_history: Option<bool>,
    #[serde(default, deserialize_with = "patch_ts")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub history_sync_until: Option<Option<Timestamp>>,
}

/// What the connector reports after a finished sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeInput {
    #[schema(example = "15551234567")]
    pub platform_id: Option<String>,
    pub platform_username: Option<String>,
    pub username: Option<String>,
    pub description: Option<String>,
    #[schema(format = "uri")]
    pub avatar_url: Option<String>,
}

/// What the connector reports when a session is lost.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct DisconnectInput {
    /// Why (`logged_out`, `token_revoked`, …); default `session_lost`.
    pub reason: Option<String>,
    /// Where the user signs in again; default: the connect URL of the account.
    #[schema(format = "uri")]
    pub reconnect_url: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenCreate {
    /// What the token is for (shown in lists).
    #[schema(example = "CRM sync")]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginInput {
    #[schema(example = "owner@demo.test")]
    pub username: String,
    #[schema(example = "demo-password")]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOutput {
    pub token: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_links_cover_first_last_previous_next() {
        assert_eq!(collection_view(ACCOUNTS, "", 1, 30), None);
        let v = collection_view(ACCOUNTS, "", 2, 61).unwrap();
        assert_eq!(v.first, "/api/accounts?page=1");
        assert_eq!(v.last, "/api/accounts?page=3");
        assert_eq!(v.previous.as_deref(), Some("/api/accounts?page=1"));
        assert_eq!(v.next.as_deref(), Some("/api/accounts?page=3"));
        let v = collection_view(ACCOUNTS, "accountType=x", 1, 0).unwrap();
        assert_eq!((v.last.as_str(), v.previous, v.next), ("/api/accounts?accountType=x&page=1", None, None));
    }

    #[test]
    fn integration_iris_in_both_forms() {
        assert_eq!(parse_integration_iri("/api/integrations/whatsapp"), Some("whatsapp"));
        assert_eq!(parse_integration_iri("/integrations/x"), Some("x"));
        assert_eq!(parse_integration_iri("whatsapp"), None);
        assert_eq!(parse_integration_iri("/api/integrations/"), None);
    }
}
