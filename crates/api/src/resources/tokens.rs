//! API tokens, as listed and created.

use inbox_domain::time;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

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
    /// The last request made with the token (recorded at most once a minute).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<String>,
    /// The client address of that request.
    pub last_used_ip: Option<String>,
    /// The user agent of that request.
    pub last_used_user_agent: Option<String>,
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
            last_used_at: t.last_used.as_ref().map(|u| time::format(&u.at)),
            last_used_ip: t.last_used.as_ref().and_then(|u| u.ip.clone()),
            last_used_user_agent: t.last_used.as_ref().and_then(|u| u.user_agent.clone()),
            token: secret,
        }
    }
}

/// One request made with an API token, as its log shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = TokenRequest)]
pub struct TokenRequestView {
    #[serde(rename = "@id")]
    #[schema(rename = "@id", example = "/.well-known/genid/3f1c…")]
    pub iri: String,
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "TokenRequest")]
    pub kind: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: String,
    #[schema(example = "GET")]
    pub method: String,
    /// The path, without its query string.
    #[schema(example = "/api/v1/account-links")]
    pub path: String,
    #[schema(example = 200)]
    pub status: u16,
    /// The client address.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The request's `X-Request-Id` (also in the server's logs).
    pub request_id: String,
    /// Who asked (a hand-out's caller; an API token's log needs none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

impl TokenRequestView {
    pub fn of(e: &inbox_store::TokenRequest) -> Self {
        // Log entries have no endpoint of their own: a skolem IRI, as API Platform gives them.
        let id = sha_like(&e.key());
        TokenRequestView {
            iri: format!("/.well-known/genid/{id}"),
            kind: "TokenRequest",
            requested_at: time::format(&e.used.at),
            method: e.method.clone(),
            path: e.path.clone(),
            status: e.status,
            ip: e.used.ip.clone(),
            user_agent: e.used.user_agent.clone(),
            request_id: e.request_id.clone(),
            actor: e.actor.clone(),
        }
    }
}

/// A stable opaque id for a log entry key.
fn sha_like(key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(key.as_bytes())[..12])
}
