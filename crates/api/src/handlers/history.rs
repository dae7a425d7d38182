//! `/api/accounts/{id}/events`: an account's history, also after removal.

use super::accounts::page_number;
use crate::query::pairs;
use crate::resources::*;
use crate::{jsonld, Answer, ApiError, App, Call};
use http::StatusCode;
use uuid::Uuid;

pub async fn list(app: &App, call: Call, id: Uuid) -> Answer {
    let p = call.principal();
    let mut page = 1;
    for (key, value) in pairs(call.req.uri().query()) {
        if key == "page" {
            page = page_number(&value)?;
        }
    }
    let events = app.store.load_stream(id).await?;
    if events.first().is_none_or(|e| e.client_id != p.client_id) {
        return Err(ApiError::not_found());
    }
    let total = events.len() as u64;
    let base = format!("{}/events", account_iri(id));
    let member = events.iter().skip(((page - 1) * PAGE_SIZE) as usize).take(PAGE_SIZE as usize).map(EventView::of);
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
