//! `/api/v1`: the Inbox Enterprise API, read with an API token.

use crate::error::Enterprise;
use crate::query::pairs;
use crate::resources::{AccountLink, AccountLinks, Team};
use crate::{json_response, Answer, ApiError, App, Call};
use http::StatusCode;
use inbox_domain::time;
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use inbox_store::ListQuery;
use uuid::Uuid;

/// Account links a page at most (and without `limit`).
const MAX_LINKS: u64 = 10_000;
const BAD_LIMIT: Enterprise = Enterprise::BadParameter("limit must be a whole number from 1 to 10000");
const BAD_CURSOR: Enterprise = Enterprise::BadParameter("cursor must be the nextCursor of a previous page");

pub async fn team(app: &App, call: Call) -> Answer {
    let c = app.store.get_client(call.principal().client_id).await?;
    let c = c.ok_or(ApiError::Enterprise(Enterprise::Unauthorized))?;
    let team = Team { id: c.id.0, name: c.name, created_at: time::format(&c.created_at), plan: c.plan };
    Ok(json_response(StatusCode::OK, "application/json", &team))
}

/// The client's active accounts, oldest first, a page at a time.
pub async fn links(app: &App, call: Call) -> Answer {
    let mut q = ListQuery { limit: MAX_LINKS, ..ListQuery::default() };
    for (key, value) in pairs(call.req.uri().query()) {
        match key.as_str() {
            "limit" => q.limit = value.parse().ok().filter(|n| (1..=MAX_LINKS).contains(n)).ok_or(BAD_LIMIT)?,
            "cursor" => match cursor::read(&value).ok_or(BAD_CURSOR)? {
                cursor::At::Position(p) => q.offset = p,
                cursor::At::After(key) => q.after = Some(key),
            },
            _ => {}
        }
    }
    // One more than the page tells whether another page follows.
    let limit = q.limit as usize;
    q.limit += 1;
    let mut page = app.store.list_accounts(call.principal().client_id, &q).await?;
    let more = page.items.len() > limit;
    page.items.truncate(limit);
    let links = AccountLinks {
        account_links: page.items.iter().map(AccountLink::of).collect(),
        next_cursor: page.items.last().filter(|_| more).map(cursor::after),
    };
    Ok(json_response(StatusCode::OK, "application/json", &links))
}

/// Opaque to clients. `c2.` names the last link's place (creation time in
/// milliseconds, then id, in hex): the next page starts right after it, however
/// deep, and removals meanwhile shift nothing. `c1.` (a position) is still read.
mod cursor {
    use inbox_domain::Account;
    use inbox_store::lists::sort_key;

    pub enum At {
        Position(u64),
        After(String),
    }

    pub fn after(a: &Account) -> String {
        format!("c2.{:x}.{}", a.created_at.timestamp_millis().max(0), a.id.0.simple())
    }

    pub fn read(cursor: &str) -> Option<At> {
        if let Some(place) = cursor.strip_prefix("c2.") {
            let (millis, id) = place.split_once('.')?;
            let millis = Some(millis).filter(|m| hex(m, 12)).and_then(|m| i64::from_str_radix(m, 16).ok())?;
            let id = Some(id).filter(|i| i.len() == 32).and_then(|i| uuid::Uuid::try_parse(i).ok())?;
            return chrono::DateTime::from_timestamp_millis(millis).map(|t| At::After(sort_key(&t, id)));
        }
        // At most 15 hex digits: a position SQLite's signed OFFSET can hold.
        let digits = cursor.strip_prefix("c1.").filter(|d| hex(d, 15))?;
        u64::from_str_radix(digits, 16).ok().map(At::Position)
    }

    /// Hex digits only (no sign), one to `max` of them.
    fn hex(s: &str, max: usize) -> bool {
        (1..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

pub async fn link(app: &App, call: Call, id: Uuid) -> Answer {
    let account = app.store.get_account(call.principal().client_id, inbox_domain::AccountId(id)).await?;
    let account = account.ok_or(ApiError::Enterprise(Enterprise::LinkNotFound))?;
    Ok(json_response(StatusCode::OK, "application/json", &AccountLink::of(&account)))
}
