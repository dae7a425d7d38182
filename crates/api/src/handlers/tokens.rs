//! `/api/tokens`: an owner's API tokens for the Enterprise API.

use super::{existing_client, no_content, with_location};
use crate::query::{encode, json_body, pairs};
use crate::resources::*;
use crate::{jsonld, tokens, Answer, ApiError, App, Call};
use http::StatusCode;
use inbox_domain::{text, time};
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use inbox_store::ApiToken;
use uuid::Uuid;

pub async fn create(app: &App, call: Call) -> Answer {
    let p = call.principal();
    let body: TokenCreate = json_body(&call.req)?;
    existing_client(app, &call).await?;
    let name = text::clean(&body.name.unwrap_or_default(), tokens::MAX_NAME, text::Lines::Single, true)
        .map_err(|rule| ApiError::violation("name", &crate::error::message(rule)))?;
    let (secret, hint, secret_hash) = tokens::generate();
    let token = ApiToken {
        id: Uuid::new_v4(),
        client_id: p.client_id,
        name,
        hint,
        secret_hash,
        created_by: p.subject.clone(),
        created_at: time::truncate(chrono::Utc::now()),
        revoked_at: None,
        last_used: None,
    };
    app.store.create_api_token(&token).await?;
    let resp = jsonld(StatusCode::CREATED, &TokenView::of(&token, true, Some(secret)));
    Ok(with_location(resp, &format!("/api/tokens/{}", token.id)))
}

/// The client's tokens, oldest first, 30 a page (`?page=N`, as `/api/accounts`).
pub async fn list(app: &App, call: Call) -> Answer {
    let mut page = 1;
    for (key, value) in pairs(call.req.uri().query()) {
        if key == "page" {
            page = super::accounts::page_number(&value)?;
        }
    }
    let mut tokens = app.store.list_api_tokens(call.principal().client_id).await?;
    tokens.sort_by_key(|t| (t.created_at, t.id));
    let total = tokens.len() as u64;
    let skip = ((page - 1) * PAGE_SIZE) as usize;
    Ok(jsonld(
        StatusCode::OK,
        &Collection {
            context: "/api/contexts/ApiToken",
            iri: "/api/tokens".into(),
            kind: "Collection",
            total_items: Some(total),
            member: tokens.iter().skip(skip).take(PAGE_SIZE as usize).map(|t| TokenView::of(t, false, None)).collect(),
            view: collection_view("/api/tokens", "", page, total),
            search: None,
        },
    ))
}

pub async fn get(app: &App, call: Call, id: Uuid) -> Answer {
    let token = app.store.get_api_token(call.principal().client_id, id).await?.ok_or_else(ApiError::not_found)?;
    Ok(jsonld(StatusCode::OK, &TokenView::of(&token, true, None)))
}

/// Log entries a page.
const LOG_PAGE: usize = 30;

/// The token's request log, newest first, paged by time: `before` is the key of
/// the last entry of the previous page (the `next` link carries it).
pub async fn requests(app: &App, call: Call, id: Uuid) -> Answer {
    let client_id = call.principal().client_id;
    // A revoked token's log stays readable; another client's token is 404.
    app.store.get_api_token(client_id, id).await?.ok_or_else(ApiError::not_found)?;
    log_page(app, &call, id, &format!("/api/tokens/{id}/requests")).await
}

/// A page of a request log ([`inbox_store::TokenRequest`]), newest first, paged
/// by time: `before` is the key of the last entry of the previous page (the
/// `next` link carries it).
pub(crate) async fn log_page(app: &App, call: &Call, log: Uuid, base: &str) -> Answer {
    let mut before = None;
    for (key, value) in pairs(call.req.uri().query()) {
        if key == "before" {
            if value.is_empty() || value.len() > 200 {
                return Err(ApiError::bad_request("before should be the cursor of a next link."));
            }
            before = Some(value);
        }
    }
    let now = time::truncate(chrono::Utc::now());
    let entries = app.store.token_requests(log, before.as_deref(), now, LOG_PAGE).await?;
    let next = (entries.len() == LOG_PAGE).then(|| format!("{base}?before={}", encode(&entries[LOG_PAGE - 1].key())));
    let view = (before.is_some() || next.is_some()).then(|| PartialCollectionView {
        iri: before.as_ref().map_or_else(|| base.to_string(), |b| format!("{base}?before={}", encode(b))),
        kind: "PartialCollectionView",
        first: base.to_string(),
        last: None,
        previous: None,
        next,
    });
    Ok(jsonld(
        StatusCode::OK,
        &Collection {
            context: "/api/contexts/TokenRequest",
            iri: base.to_string(),
            kind: "Collection",
            total_items: None,
            member: entries.iter().map(TokenRequestView::of).collect(),
            view,
            search: None,
        },
    ))
}

pub async fn revoke(app: &App, call: Call, id: Uuid) -> Answer {
    let now = time::truncate(chrono::Utc::now());
    if !app.store.revoke_api_token(call.principal().client_id, id, now).await? {
        return Err(ApiError::not_found());
    }
    Ok(no_content())
}
