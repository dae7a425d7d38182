//! `/api/accounts/{id}/events`: an account's history, also after removal, a
//! page at a time (two key reads, whatever the stream's length).

use super::accounts::page_number;
use crate::query::pairs;
use crate::resources::*;
use crate::{jsonld, Answer, ApiError, App, Call};
use http::StatusCode;
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use uuid::Uuid;

pub async fn list(app: &App, call: Call, id: Uuid) -> Answer {
    let p = call.principal();
    let mut page = 1;
    for (key, value) in pairs(call.req.uri().query()) {
        if key == "page" {
            page = page_number(&value)?;
        }
    }
    // The stream's head says whose it is and how long: the page is then read by
    // version range, whatever the length of the stream.
    let head = app.store.stream_head(id).await?;
    // Only an account's stream: a team's or an endpoint's history is read elsewhere, by owners.
    let theirs = |e: &inbox_domain::StoredEvent| {
        e.client_id == p.client_id
            && inbox_domain::StreamKind::of(&e.event_type) == Some(inbox_domain::StreamKind::Account)
    };
    let Some(head) = head.filter(theirs) else { return Err(ApiError::not_found()) };
    let total = head.version;
    let first = (page - 1) * PAGE_SIZE + 1;
    let events = if first > total { vec![] } else { app.store.stream_range(id, first, first + PAGE_SIZE - 1).await? };
    let base = format!("{}/events", account_iri(id));
    let member = events.iter().map(EventView::of);
    Ok(jsonld(
        StatusCode::OK,
        &Collection {
            context: "/api/contexts/AccountEvent",
            view: collection_view(&base, "", page, total),
            iri: base,
            kind: "Collection",
            total_items: Some(total),
            member: member.collect(),
            search: None,
        },
    ))
}
