//! `/api/webhooks`: a client's webhook endpoints, managed by its owners. Every
//! change is a command on the endpoint's stream ([`inbox_domain::Endpoint`])
//! through the one command path, and is recorded; delivery runs elsewhere
//! ([`crate::webhooks`]), except the test message, sent while the caller waits.

use super::{caller as envelope, existing_client, no_content, with_location};
use crate::error::{message, ViolationBody};
use crate::query::json_body;
use crate::resources::*;
use crate::webhooks::{send, Dispatcher};
use crate::{jsonld, Answer, ApiError, App, Call};
use http::StatusCode;
use inbox_domain::webhooks::{is_message_type, secret_from, EVENT_TYPES};
use inbox_domain::{text, EndpointCommand, EndpointId, EndpointRefusal};
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use inbox_store::{commands, Endpoint};
use uuid::Uuid;

/// Endpoints a client may have.
pub const MAX_ENDPOINTS: usize = 20;

/// Attempts `/deliveries` shows.
const DELIVERIES_SHOWN: usize = 100;

pub async fn list(app: &App, call: Call) -> Answer {
    let all = app.store.webhook_endpoints(call.principal().client_id).await?;
    Ok(jsonld(
        StatusCode::OK,
        &Collection {
            context: "/api/contexts/Webhook",
            iri: WEBHOOKS.into(),
            kind: "Collection",
            total_items: Some(all.len() as u64),
            member: all.iter().map(|e| WebhookView::of(e, false)).collect(),
            view: None,
            search: None,
        },
    ))
}

pub async fn get(app: &App, call: Call, id: Uuid) -> Answer {
    let e = app
        .store
        .webhook_endpoint(call.principal().client_id, EndpointId(id))
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(jsonld(StatusCode::OK, &WebhookView::of(&e, true)))
}

pub async fn create(app: &App, call: Call) -> Answer {
    let body: WebhookCreate = json_body(&call.req)?;
    let mut violations = vec![];
    let url = checked_url(app, body.url.as_deref().unwrap_or_default(), &mut violations).await;
    let events = checked_events(body.events, &mut violations);
    let description = checked_description(body.description, &mut violations);
    if !violations.is_empty() {
        return Err(ApiError::invalid(violations));
    }
    existing_client(app, &call).await?;
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).expect("the OS has randomness");
    let client_id = call.principal().client_id;
    let id = EndpointId::new();
    let register =
        EndpointCommand::Register { id, url: url.expect("checked"), events, description, secret: secret_from(&random) };
    if app.store.webhook_endpoints(client_id).await?.len() >= MAX_ENDPOINTS {
        let limit = format!("A client may have at most {MAX_ENDPOINTS} webhook endpoints.");
        return Err(ApiError::invalid(vec![violation("url", limit)]));
    }
    let created = commands::create::<Endpoint, _, ApiError>(&*app.store, &envelope(&call), id.0, &register)
        .await?
        .state
        .expect("a registered endpoint exists");
    let mut view = WebhookView::of(&created, true);
    view.secret = Some(created.secret.clone());
    Ok(with_location(jsonld(StatusCode::CREATED, &view), &webhook_iri(id.0)))
}

pub async fn update(app: &App, call: Call, id: Uuid) -> Answer {
    let body: WebhookUpdate = json_body(&call.req)?;
    let mut violations = vec![];
    let url = match body.url.as_deref() {
        Some(u) => checked_url(app, u, &mut violations).await,
        None => None,
    };
    let events = body.events.map(|e| checked_events(Some(e), &mut violations));
    let description = body.description.map(|d| checked_description(Some(d), &mut violations));
    if !violations.is_empty() {
        return Err(ApiError::invalid(violations));
    }
    let change = EndpointCommand::Change { url, events, description, enabled: body.enabled };
    let after = run(app, &call, id, change).await?.ok_or_else(ApiError::not_found)?;
    Ok(jsonld(StatusCode::OK, &WebhookView::of(&after, true)))
}

pub async fn delete(app: &App, call: Call, id: Uuid) -> Answer {
    run(app, &call, id, EndpointCommand::Delete).await?;
    Ok(no_content())
}

/// Runs an owner's command on one of the caller's endpoints.
async fn run(app: &App, call: &Call, id: Uuid, cmd: EndpointCommand) -> Result<Option<Endpoint>, ApiError> {
    let envelope = envelope(call);
    let done = commands::execute::<Endpoint, _, ApiError>(&*app.store, &envelope, id, |_| Ok(cmd.clone()));
    Ok(done.await?.state)
}

impl From<EndpointRefusal> for ApiError {
    fn from(r: EndpointRefusal) -> Self {
        match r {
            EndpointRefusal::NotFound => ApiError::not_found(),
            EndpointRefusal::AlreadyExists => {
                ApiError::new(StatusCode::CONFLICT, "The webhook endpoint exists already.")
            }
        }
    }
}

/// Sends a `webhook.test` message now and answers with its first attempt
/// (a failed one is retried on the schedule, like any message).
pub async fn test(app: &App, call: Call, id: Uuid) -> Answer {
    // The body is optional; one that is given must be a JSON object.
    if !call.req.body().is_empty() {
        let _: WebhookTestInput = json_body(&call.req)?;
    }
    let e = app
        .store
        .webhook_endpoint(call.principal().client_id, EndpointId(id))
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !e.enabled {
        return Err(ApiError::invalid(vec![violation("enabled", "The endpoint is disabled.".into())]));
    }
    let message = Dispatcher::new(app.store.clone(), &app.config).send_test(&e).await?;
    let attempts = app.store.deliveries(EndpointId(id), DELIVERIES_SHOWN).await?;
    let first = attempts.iter().rev().find(|a| a.message_id == message.id);
    let first =
        first.ok_or_else(|| ApiError::from(inbox_store::StoreError::Internal("attempt not recorded".into())))?;
    Ok(jsonld(StatusCode::OK, &DeliveryView::of(first)))
}

pub async fn deliveries(app: &App, call: Call, id: Uuid) -> Answer {
    app.store.webhook_endpoint(call.principal().client_id, EndpointId(id)).await?.ok_or_else(ApiError::not_found)?;
    let attempts = app.store.deliveries(EndpointId(id), DELIVERIES_SHOWN).await?;
    Ok(jsonld(
        StatusCode::OK,
        &Collection {
            context: "/api/contexts/WebhookDelivery",
            iri: format!("{}/deliveries", webhook_iri(id)),
            kind: "Collection",
            total_items: None,
            member: attempts.iter().map(DeliveryView::of).collect(),
            view: None,
            search: None,
        },
    ))
}

pub async fn events(app: &App, call: Call, id: Uuid) -> Answer {
    let events = app.store.webhook_changes(call.principal().client_id, EndpointId(id)).await?;
    if events.is_empty() {
        return Err(ApiError::not_found());
    }
    Ok(jsonld(
        StatusCode::OK,
        &Collection {
            context: "/api/contexts/WebhookEvent",
            iri: format!("{}/events", webhook_iri(id)),
            kind: "Collection",
            total_items: Some(events.len() as u64),
            member: events.iter().map(WebhookEventView::of).collect(),
            view: None,
            search: None,
        },
    ))
}

fn violation(path: &str, message: String) -> ViolationBody {
    ViolationBody { property_path: path.into(), message }
}

/// The URL if acceptable now: its form, and where its host resolves.
async fn checked_url(app: &App, url: &str, violations: &mut Vec<ViolationBody>) -> Option<String> {
    if url.trim().is_empty() {
        violations.push(violation("url", "This value should not be blank.".into()));
        return None;
    }
    match send::check(url, app.config.webhook_allow_private).await {
        Ok(()) => Some(url.to_string()),
        Err(problem) => {
            violations.push(violation("url", problem));
            None
        }
    }
}

fn checked_events(events: Option<Vec<String>>, violations: &mut Vec<ViolationBody>) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for e in events.unwrap_or_default() {
        if !is_message_type(&e) {
            let choices = EVENT_TYPES.iter().map(|(_, m)| *m).collect::<Vec<_>>().join(", ");
            violations.push(violation("events", format!("The value \"{e}\" is not a valid choice: {choices}.")));
        } else if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

fn checked_description(d: Option<String>, violations: &mut Vec<ViolationBody>) -> Option<String> {
    let d = d?;
    match text::clean(&d, 255, text::Lines::Single, false) {
        Ok(clean) if clean.is_empty() => None,
        Ok(clean) => Some(clean),
        Err(rule) => {
            violations.push(violation("description", message(rule)));
            None
        }
    }
}
