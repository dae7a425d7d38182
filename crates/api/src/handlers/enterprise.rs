//! `/api/v1`: the Inbox Enterprise API, read with an API token.

use crate::error::Enterprise;
use crate::query::pairs;
use crate::resources::{AccountLink, AccountLinks, Team};
use crate::{json_response, Answer, ApiError, App, Call};
use http::StatusCode;
use inbox_domain::time;
use inbox_store::ListQuery;
use uuid::Uuid;

/// Account links a page at most (and without `limit`).
const MAX_LINKS: u64 = 10_000;
const BAD_LIMIT: Enterprise = Enterprise::BadParameter("limit must be a whole number from 1 to 10000");
const BAD_CURSOR: Enterprise = Enterprise::BadParameter("cursor must be the nextCursor of a previous page");

pub async fn team(app: &App, call: Call) -> Answer {
    let c = app.store.get_client(call.principal().client_id).await?;
    let c = c.ok_or(ApiError::Enterprise(Enterprise::Unauthorized))?;
    let team = Team { id: c.id, name: c.name, created_at: time::format(&c.created_at), plan: c.plan };
    Ok(json_response(StatusCode::OK, "application/json", &team))
}

/// The client's active accounts, oldest first, a page at a time.
pub async fn links(app: &App, call: Call) -> Answer {
    let (mut limit, mut offset) = (MAX_LINKS, 0);
    for (key, value) in pairs(call.req.uri().query()) {
        match key.as_str() {
            "limit" => limit = value.parse().ok().filter(|n| (1..=MAX_LINKS).contains(n)).ok_or(BAD_LIMIT)?,
            "cursor" => offset = cursor::read(&value).ok_or(BAD_CURSOR)?,
            _ => {}
        }
    }
    let q = ListQuery { limit, offset, ..ListQuery::default() };
    let page = app.store.list_accounts(call.principal().client_id, &q).await?;
    let next = offset + page.items.len() as u64;
    let links = AccountLinks {
        account_links: page.items.iter().map(AccountLink::of).collect(),
        next_cursor: (!page.items.is_empty() && next < page.total).then(|| cursor::write(next)),
    };
    Ok(json_response(StatusCode::OK, "application/json", &links))
}

/// Opaque to clients (`c1.` and a position), so the position may become a key later.
mod cursor {
    pub fn write(position: u64) -> String {
        format!("c1.{position:x}")
    }

    pub fn read(cursor: &str) -> Option<u64> {
        // At most 15 hex digits: a position SQLite's signed OFFSET can hold.
        let digits = cursor.strip_prefix("c1.").filter(|d| d.len() <= 15)?;
        u64::from_str_radix(digits, 16).ok()
    }
}

pub async fn link(app: &App, call: Call, id: Uuid) -> Answer {
    let account = app.store.get_account(call.principal().client_id, id).await?;
    let account = account.ok_or(ApiError::Enterprise(Enterprise::LinkNotFound))?;
    Ok(json_response(StatusCode::OK, "application/json", &AccountLink::of(&account)))
}
