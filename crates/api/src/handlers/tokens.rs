//! `/api/tokens`: an owner's API tokens for the Enterprise API.

use super::{no_content, with_location};
use crate::query::json_body;
use crate::resources::*;
use crate::{jsonld, tokens, Answer, ApiError, App, Call};
use http::StatusCode;
use inbox_domain::time;
use inbox_store::ApiToken;
use uuid::Uuid;

pub async fn create(app: &App, call: Call) -> Answer {
    let p = call.principal();
    let body: TokenCreate = json_body(&call.req)?;
    let name = body.name.unwrap_or_default().trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::violation("name", "This value should have 1 to 100 characters."));
    }
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
    };
    app.store.create_api_token(&token).await?;
    let resp = jsonld(StatusCode::CREATED, &TokenView::of(&token, true, Some(secret)));
    Ok(with_location(resp, &format!("/api/tokens/{}", token.id)))
}

pub async fn list(app: &App, call: Call) -> Answer {
    let tokens = app.store.list_api_tokens(call.principal().client_id).await?;
    Ok(jsonld(
        StatusCode::OK,
        &Collection {
            context: "/api/contexts/ApiToken",
            iri: "/api/tokens".into(),
            kind: "Collection",
            total_items: tokens.len() as u64,
            member: tokens.iter().map(|t| TokenView::of(t, false, None)).collect(),
            view: None,
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
