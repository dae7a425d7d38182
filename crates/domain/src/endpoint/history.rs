//! An endpoint's history as its owners read it, and the upcaster of the
//! records kept before endpoints had streams (`{type, changes}` beside the
//! endpoint, numbered by its version then).

use super::{Empty, Endpoint, EndpointEvent, WebhookChanged, WebhookCreated, WebhookFailing};
use crate::aggregate::{replay, ReplayError};
use crate::events::{seal, Metadata, StoredEvent, GENESIS_HASH};
use crate::ids::{ClientId, EndpointId};
use crate::time::{serde_ts, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One recorded change of an endpoint (never its secret): also the shape the
/// changes were stored in before endpoints had streams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointChange {
    pub client_id: ClientId,
    pub endpoint_id: EndpointId,
    /// The endpoint's version after this change (1 for its creation).
    pub version: u64,
    /// `WebhookCreated`, `WebhookChanged`, `WebhookFailing`, `WebhookRecovered` or `WebhookDeleted`.
    pub event_type: String,
    pub changes: Value,
    pub actor: String,
    pub correlation_id: String,
    #[serde(with = "serde_ts")]
    pub recorded_at: Timestamp,
}

/// The changes of an endpoint, oldest first, from its stream.
pub fn history(id: EndpointId, events: &[StoredEvent]) -> Result<Vec<EndpointChange>, ReplayError> {
    events
        .iter()
        .map(|stored| {
            let event: EndpointEvent = stored.decode()?;
            Ok(EndpointChange {
                client_id: stored.client_id,
                endpoint_id: id,
                version: stored.version,
                event_type: stored.event_type.clone(),
                changes: event.changes(),
                actor: stored.actor.clone(),
                correlation_id: stored.correlation_id.clone(),
                recorded_at: stored.recorded_at,
            })
        })
        .collect()
}

/// Who the failing streak of an upgraded endpoint is recorded as (the dispatcher).
const DISPATCHER: &str = "webhooks";

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn upcast(r: &EndpointChange, current: Option<&Endpoint>) -> Result<EndpointEvent, String> {
    let c = &r.changes;
    let strings = |v: &Value| v.as_array().map(|l| l.iter().filter_map(text).collect::<Vec<_>>());
    match r.event_type.as_str() {
        "WebhookCreated" => Ok(EndpointEvent::WebhookCreated(WebhookCreated {
            endpoint_id: r.endpoint_id,
            client_id: r.client_id,
            url: c.get("url").and_then(text).ok_or("a creation without a URL")?,
            events: c.get("events").and_then(strings).unwrap_or_default(),
            description: c.get("description").and_then(text),
            enabled: c.get("enabled").and_then(Value::as_bool).unwrap_or(true),
            created_at: current.map_or(r.recorded_at, |e| e.created_at),
        })),
        "WebhookChanged" => Ok(EndpointEvent::WebhookChanged(WebhookChanged {
            url: c.get("url").and_then(text),
            events: c.get("events").and_then(strings),
            description: c.get("description").map(text),
            enabled: c.get("enabled").and_then(Value::as_bool),
            disabled_reason: c.get("disabledReason").map(text),
        })),
        "WebhookDeleted" => Ok(EndpointEvent::WebhookDeleted(Empty {})),
        other => Err(format!("unknown webhook event type {other:?}")),
    }
}

/// The endpoint's stream made from what was stored before it had one: its
/// recorded changes in their order, then — for an endpoint in a failing
/// streak — the streak (delivery health was not recorded then). Returns the
/// sealed events and the endpoint after them, with its stored secret. The
/// same input always gives the same events.
pub fn upgrade(
    id: EndpointId,
    current: Option<&Endpoint>,
    records: &[EndpointChange],
) -> Result<(Vec<StoredEvent>, Option<Endpoint>), String> {
    let mut records: Vec<&EndpointChange> = records.iter().filter(|r| r.endpoint_id == id).collect();
    records.sort_by_key(|r| r.version);
    let mut lane: Vec<(EndpointEvent, Metadata)> = vec![];
    for r in &records {
        let meta = Metadata {
            client_id: r.client_id,
            actor: r.actor.clone(),
            correlation_id: r.correlation_id.clone(),
            recorded_at: r.recorded_at,
        };
        lane.push((upcast(r, current)?, meta));
    }
    if let Some(since) = current.and_then(|e| e.failing_since) {
        let at = lane.last().map_or(since, |(_, m)| m.recorded_at.max(since));
        let client_id = current.expect("failing").client_id;
        let meta = Metadata { client_id, actor: DISPATCHER.into(), correlation_id: DISPATCHER.into(), recorded_at: at };
        lane.push((EndpointEvent::WebhookFailing(WebhookFailing { since }), meta));
    }
    let mut stored: Vec<StoredEvent> = vec![];
    for (event, meta) in &lane {
        let (version, prev) = stored.last().map_or((0, GENESIS_HASH), |e| (e.version, e.hash.as_str()));
        stored.extend(seal(id.0, version, prev, std::slice::from_ref(event), meta));
    }
    let mut endpoint: Option<Endpoint> = replay(&stored).map_err(|e| e.to_string())?;
    match (&mut endpoint, current) {
        (Some(e), Some(c)) => e.secret = c.secret.clone(),
        (None, Some(_)) => return Err(format!("endpoint {id}: its records do not make the stored endpoint")),
        _ => {}
    }
    Ok((stored, endpoint))
}
