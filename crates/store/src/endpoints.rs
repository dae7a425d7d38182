//! The one path of a webhook endpoint change — by its owners or by the
//! dispatcher (disabling a dead endpoint): read the endpoint, decide, write it
//! with its event if it is still as read, else decide again.

use crate::commands::{backoff, Envelope, MAX_ATTEMPTS};
use crate::webhooks::{Endpoint, EndpointCommit, EndpointEvent, Webhooks};
use crate::StoreError;
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// Changes endpoint `id` of the envelope's client: `decide` sees it (`None`:
/// none yet) and returns what it becomes (`None`: deleted), or refuses. A
/// decision that changes nothing writes nothing. Returns the endpoint after.
pub async fn change<S, E>(
    store: &S,
    envelope: &Envelope,
    id: Uuid,
    mut decide: impl FnMut(Option<&Endpoint>) -> Result<Option<Endpoint>, E>,
) -> Result<Option<Endpoint>, E>
where
    S: Webhooks + ?Sized,
    E: From<StoreError>,
{
    for attempt in 1..=MAX_ATTEMPTS {
        let before = store.webhook_endpoint(envelope.client_id, id).await?;
        let mut after = decide(before.as_ref())?;
        if after == before {
            return Ok(after);
        }
        let expected = before.as_ref().map_or(0, |b| b.version);
        if let Some(a) = &mut after {
            a.version = expected + 1;
        }
        let event = event(envelope, id, before.as_ref(), after.as_ref());
        let commit =
            EndpointCommit { client_id: envelope.client_id, endpoint_id: id, expected, after: after.clone(), event };
        match store.commit_webhook(&commit).await {
            Ok(()) => return Ok(after),
            Err(StoreError::Conflict { .. }) if attempt < MAX_ATTEMPTS => backoff(attempt).await,
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the last attempt returns")
}

/// The event recording `before` → `after`, naming what an owner sees change
/// (never the secret); `None` if only delivery health moved.
fn event(envelope: &Envelope, id: Uuid, before: Option<&Endpoint>, after: Option<&Endpoint>) -> Option<EndpointEvent> {
    let mut changes = Map::new();
    let mut note = |name: &str, b: Option<Value>, a: Value| {
        if b.as_ref() != Some(&a) {
            changes.insert(name.into(), a);
        }
    };
    let (event_type, version) = match (before, after) {
        (_, Some(a)) => {
            note("url", before.map(|b| json!(b.url)), json!(a.url));
            note("events", before.map(|b| json!(b.events)), json!(a.events));
            note("description", before.map(|b| json!(b.description)), json!(a.description));
            note("enabled", before.map(|b| json!(b.enabled)), json!(a.enabled));
            note("disabledReason", before.map(|b| json!(b.disabled_reason)), json!(a.disabled_reason));
            if changes.is_empty() {
                return None;
            }
            (if before.is_some() { "WebhookChanged" } else { "WebhookCreated" }, a.version)
        }
        (Some(b), None) => ("WebhookDeleted", b.version + 1),
        (None, None) => return None,
    };
    Some(EndpointEvent {
        client_id: envelope.client_id,
        endpoint_id: id,
        version,
        event_type: event_type.into(),
        changes: Value::Object(changes),
        actor: envelope.actor.clone(),
        correlation_id: envelope.correlation_id.clone(),
        recorded_at: envelope.now(),
    })
}
