//! `/api/integrations`: the catalogue of channels.

use crate::resources::*;
use crate::{jsonld, Answer, ApiError, App, Call};
use http::StatusCode;
use inbox_domain::integrations::{self, INTEGRATIONS};

pub async fn list(app: &App, _: Call) -> Answer {
    let hosted = |id| app.config.provider(id).is_some();
    let member: Vec<_> = INTEGRATIONS.iter().map(|i| IntegrationView::of(i, false, hosted(i.id))).collect();
    Ok(jsonld(
        StatusCode::OK,
        &Collection {
            context: "/api/contexts/Integration",
            iri: "/api/integrations".into(),
            kind: "Collection",
            total_items: Some(member.len() as u64),
            member,
            view: None,
            search: None,
        },
    ))
}

pub async fn get(app: &App, _: Call, name: String) -> Answer {
    let i = integrations::find(&name).ok_or_else(ApiError::not_found)?;
    Ok(jsonld(StatusCode::OK, &IntegrationView::of(i, true, app.config.provider(i.id).is_some())))
}
