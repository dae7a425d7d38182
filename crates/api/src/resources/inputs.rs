//! Request bodies, and the login answer.

use inbox_domain::time::{serde_opt_ts, Timestamp};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

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
    #[schema(required = true, value_type = String, example = "/api/integrations/whatsapp")]
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
    #[schema(required = true, value_type = String, example = "15551234567")]
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
    #[schema(required = true, value_type = String, example = "CRM sync")]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginInput {
    #[schema(example = "owner@demo.test")]
    pub username: String,
    #[schema(example = "demo-password")]
    pub password: String,
}

/// A login's (or a refresh's) answer, as LexikJWTAuthenticationBundle and
/// gesdinet/jwt-refresh-token-bundle word it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOutput {
    /// The access JWT (`Authorization: Bearer …`), valid 15 minutes by default.
    pub token: String,
    /// Exchanged at `/api/token/refresh` for the next pair; valid 30 days by default, once.
    pub refresh_token: String,
}

/// What starting a sign-in may say (the body is optional).
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignInInput {
    /// Passed to the provider as `login_hint` (it pre-fills the address).
    #[schema(example = "ann@example.com")]
    pub login_hint: Option<String>,
}

/// A started sign-in: where to send the person's browser.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignInStart {
    /// The provider's authorization URL: open it in the person's browser.
    #[schema(format = "uri")]
    pub authorization_url: String,
    /// Until when the sign-in can be finished (single use).
    #[schema(value_type = String, format = "date-time")]
    pub expires_at: String,
}
