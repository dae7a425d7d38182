//! The Inbox Enterprise API's team and account links, mapped from the same read model.

use inbox_domain::{time, Account};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

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
            id: a.id.0,
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
    /// Where the next page starts (`?cursor=…`); null on the last page.
    #[schema(example = json!(null))]
    pub next_cursor: Option<String>,
}
