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
