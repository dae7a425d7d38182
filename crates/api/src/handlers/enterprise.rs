//! `/api/v1`: the Inbox Enterprise API, read with an API token.

use crate::error::Enterprise;
use crate::resources::{AccountLink, AccountLinks, Team};
use crate::{json_response, Answer, ApiError, App, Call};
use http::StatusCode;
use inbox_domain::time;
use inbox_store::ListQuery;
use uuid::Uuid;

/// Account links answered at most (the Enterprise API's list has no pages).
const MAX_LINKS: u64 = 10_000;

pub async fn team(app: &App, call: Call) -> Answer {
    let c = app.store.get_client(call.principal().client_id).await?;
    let c = c.ok_or(ApiError::Enterprise(Enterprise::Unauthorized))?;
    let team = Team { id: c.id, name: c.name, created_at: time::format(&c.created_at), plan: c.plan };
    Ok(json_response(StatusCode::OK, "application/json", &team))
}

pub async fn links(app: &App, call: Call) -> Answer {
    // Every active account of the client: the read model is the one source.
    let q = ListQuery { limit: MAX_LINKS, ..ListQuery::default() };
    let page = app.store.list_accounts(call.principal().client_id, &q).await?;
    let links = AccountLinks { account_links: page.items.iter().map(AccountLink::of).collect() };
    Ok(json_response(StatusCode::OK, "application/json", &links))
}

pub async fn link(app: &App, call: Call, id: Uuid) -> Answer {
    let account = app.store.get_account(call.principal().client_id, id).await?;
    let account = account.ok_or(ApiError::Enterprise(Enterprise::LinkNotFound))?;
    Ok(json_response(StatusCode::OK, "application/json", &AccountLink::of(&account)))
}
