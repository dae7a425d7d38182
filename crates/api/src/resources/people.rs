//! Users, their change history, customer sessions and refresh tokens, as they
//! travel. A password or its hash never leaves the server.

use inbox_domain::time;
use inbox_store::{User, UserChange};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub const USERS: &str = "/api/users";

pub fn user_iri(id: Uuid) -> String {
    format!("{USERS}/{id}")
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = User)]
pub struct UserView {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    #[schema(rename = "@context", example = "/api/contexts/User")]
    pub context: Option<&'static str>,
    #[serde(rename = "@id")]
    #[schema(rename = "@id", example = "/api/users/1b4e28ba-2fa1-4d2b-a3f5-6c8e0b5f9a11")]
    pub iri: String,
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "User")]
    pub kind: &'static str,
    pub id: Uuid,
    /// The login name, unique across the installation.
    #[schema(example = "auditor@example.test")]
    pub username: String,
    #[schema(example = json!(["ROLE_AUDITOR"]))]
    pub roles: Vec<String>,
    /// A disabled user cannot log in or refresh its session.
    pub enabled: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
}

impl UserView {
    pub fn of(u: &User, with_context: bool) -> Self {
        UserView {
            context: with_context.then_some("/api/contexts/User"),
            iri: user_iri(u.id.0),
            kind: "User",
            id: u.id.0,
            username: u.username.clone(),
            roles: u.roles.iter().map(|r| r.claim().to_string()).collect(),
            enabled: u.enabled,
            created_at: time::format(&u.created_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserCreate {
    #[schema(required = true, value_type = String, max_length = 180, example = "auditor@example.test")]
    pub username: Option<String>,
    /// At least 8 characters, at most 4096 bytes. Never shown again.
    #[schema(required = true, value_type = String, min_length = 8, write_only)]
    pub plain_password: Option<String>,
    /// `ROLE_OWNER`, `ROLE_CUSTOMER`, `ROLE_AUDITOR`, `ROLE_CONNECTOR`; at least one.
    #[schema(required = true, value_type = Vec<String>, example = json!(["ROLE_AUDITOR"]))]
    pub roles: Option<Vec<String>>,
    /// Default `true`.
    pub enabled: Option<bool>,
}

/// A PUT body: an absent field keeps its value; any other field is ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserUpdate {
    #[schema(value_type = Option<Vec<String>>)]
    pub roles: Option<Vec<String>>,
    pub enabled: Option<bool>,
    #[schema(value_type = Option<String>, min_length = 8, write_only)]
    pub plain_password: Option<String>,
}

/// One recorded change of a user.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = UserEvent)]
pub struct UserEventView {
    #[serde(rename = "@id")]
    #[schema(rename = "@id")]
    pub iri: String,
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "UserEvent")]
    pub kind: &'static str,
    /// The user's version after the change (1 for its creation).
    pub version: u64,
    /// `UserCreated`, `UserChanged` or `UserDeleted`.
    #[serde(rename = "type")]
    #[schema(rename = "type", example = "UserChanged")]
    pub event_type: String,
    /// What changed: `username`, `roles`, `enabled`, `passwordChanged` (never a password).
    #[schema(value_type = Object, example = json!({"roles": ["ROLE_AUDITOR"]}))]
    pub changes: serde_json::Value,
    /// Who made the change (a user id, or `cli`).
    pub actor: String,
    /// The request that made it.
    pub correlation_id: String,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: String,
}

impl UserEventView {
    pub fn of(e: &UserChange) -> Self {
        UserEventView {
            iri: format!("{}/events/{}", user_iri(e.user_id.0), e.version),
            kind: "UserEvent",
            version: e.version,
            event_type: e.event_type.clone(),
            changes: e.changes.clone(),
            actor: e.actor.clone(),
            correlation_id: e.correlation_id.clone(),
            recorded_at: time::format(&e.recorded_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerSessionCreate {
    /// The host application's own id for its end user: 1 to 255 printable characters.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 255, example = "host-user-42")]
    pub customer_id: Option<String>,
    /// Seconds the session lasts: 1 to 86400, default 900.
    #[schema(minimum = 1, maximum = 86400, example = 900)]
    pub ttl: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CustomerSession)]
pub struct CustomerSessionView {
    #[serde(rename = "@context")]
    #[schema(rename = "@context", example = "/api/contexts/CustomerSession")]
    pub context: &'static str,
    /// A blank-node IRI: a session is not stored, so it has no address.
    #[serde(rename = "@id")]
    #[schema(rename = "@id", example = "/.well-known/genid/3f9a1c2b")]
    pub iri: String,
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "CustomerSession")]
    pub kind: &'static str,
    pub customer_id: String,
    /// The JWT for the embedded inbox (`Authorization: Bearer …`).
    pub token: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: String,
}

/// gesdinet/jwt-refresh-token-bundle's body: the refresh token, snake case.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshInput {
    #[schema(required = true, value_type = String)]
    pub refresh_token: Option<String>,
}
