//! A webhook endpoint as an aggregate: its owners' changes and its delivery
//! health (a failing streak, disabling a dead endpoint) are events of its
//! stream. The signing secret is kept in the state, never in an event.

mod history;

pub use history::{history, upgrade, EndpointChange};

use crate::aggregate::{Aggregate, Context, DomainEvent, StreamKind};
use crate::events::GENESIS_HASH;
use crate::ids::{ClientId, EndpointId};
use crate::time::{serde_opt_ts, serde_ts, Timestamp};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Map, Value};

/// A registered receiver of a client's account events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub id: EndpointId,
    pub client_id: ClientId,
    pub url: String,
    /// Message types wanted; empty: all.
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// `whsec_…`: shown once, when created; never in an event.
    pub secret: String,
    #[serde(with = "serde_ts")]
    pub created_at: Timestamp,
    /// Since when every delivery has failed (`None`: the last one succeeded).
    #[serde(with = "serde_opt_ts")]
    pub failing_since: Option<Timestamp>,
    pub version: u64,
    /// The hash of the stream's last event; empty in an endpoint stored
    /// before endpoints had streams (see [`upgrade`]).
    #[serde(default)]
    pub last_hash: String,
}

/// How a delivery attempt to the endpoint ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    Failed,
    /// `410 Gone`: the receiver asks to be forgotten.
    Gone,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointCommand {
    /// A new endpoint (its URL and filter checked by the caller).
    Register {
        id: EndpointId,
        url: String,
        events: Vec<String>,
        description: Option<String>,
        secret: String,
    },
    /// An owner's change; `None` keeps a value (`Some(None)` clears the description).
    Change {
        url: Option<String>,
        events: Option<Vec<String>>,
        description: Option<Option<String>>,
        enabled: Option<bool>,
    },
    Delete,
    /// The dispatcher's report of an attempt to `url` at `at`.
    Attempted {
        url: String,
        outcome: Delivery,
        at: Timestamp,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointRefusal {
    #[error("no such webhook endpoint")]
    NotFound,
    #[error("the webhook endpoint exists already")]
    AlreadyExists,
}

pub const GONE_REASON: &str = "The endpoint answered 410 Gone.";
pub const FAILING_REASON: &str = "Every delivery failed for 5 days.";

/// The endpoint's events; the variant name is the stored event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload")]
pub enum EndpointEvent {
    WebhookCreated(WebhookCreated),
    WebhookChanged(WebhookChanged),
    WebhookFailing(WebhookFailing),
    WebhookRecovered(Empty),
    WebhookDeleted(Empty),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookCreated {
    pub endpoint_id: EndpointId,
    pub client_id: ClientId,
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    #[serde(with = "serde_ts")]
    pub created_at: Timestamp,
}

/// The values that changed; a nullable one is `Some(None)` when cleared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookChanged {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub description: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub disabled_reason: Option<Option<String>>,
}

/// A field that is present is `Some`, even when `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookFailing {
    #[serde(with = "serde_ts")]
    pub since: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

impl DomainEvent for EndpointEvent {
    const TYPES: &'static [&'static str] =
        &["WebhookCreated", "WebhookChanged", "WebhookFailing", "WebhookRecovered", "WebhookDeleted"];

    fn event_type(&self) -> &'static str {
        match self {
            EndpointEvent::WebhookCreated(_) => "WebhookCreated",
            EndpointEvent::WebhookChanged(_) => "WebhookChanged",
            EndpointEvent::WebhookFailing(_) => "WebhookFailing",
            EndpointEvent::WebhookRecovered(_) => "WebhookRecovered",
            EndpointEvent::WebhookDeleted(_) => "WebhookDeleted",
        }
    }
}

impl EndpointEvent {
    /// What an owner reads changed (never the secret).
    pub fn changes(&self) -> Value {
        let mut m = Map::new();
        match self {
            EndpointEvent::WebhookCreated(c) => {
                m.insert("url".into(), json!(c.url));
                m.insert("events".into(), json!(c.events));
                m.insert("description".into(), json!(c.description));
                m.insert("enabled".into(), json!(c.enabled));
                m.insert("disabledReason".into(), Value::Null);
            }
            EndpointEvent::WebhookChanged(c) => {
                let Value::Object(fields) = json!(c) else { unreachable!("a struct serializes to an object") };
                m = fields;
            }
            EndpointEvent::WebhookFailing(f) => {
                m.insert("failingSince".into(), json!(crate::time::format(&f.since)));
            }
            EndpointEvent::WebhookRecovered(_) => {
                m.insert("failingSince".into(), Value::Null);
            }
            EndpointEvent::WebhookDeleted(_) => {}
        }
        Value::Object(m)
    }
}

/// `Some(new)` when it differs from `current`.
fn changed<T: PartialEq + Clone>(new: &Option<T>, current: &T) -> Option<T> {
    new.as_ref().filter(|n| *n != current).cloned()
}

fn decide_attempt(e: &Endpoint, url: &str, outcome: Delivery, at: Timestamp) -> Vec<EndpointEvent> {
    if e.url != url {
        return vec![]; // Repointed meanwhile: this outcome says nothing of it.
    }
    let disable = |reason: &str| {
        EndpointEvent::WebhookChanged(WebhookChanged {
            enabled: Some(false),
            disabled_reason: Some(Some(reason.to_string())),
            ..WebhookChanged::default()
        })
    };
    let limit = chrono::Duration::from_std(crate::webhooks::FAILING_LIMIT).expect("days fit");
    match (outcome, e.failing_since) {
        (Delivery::Delivered, Some(_)) => vec![EndpointEvent::WebhookRecovered(Empty {})],
        (Delivery::Delivered, None) => vec![],
        (Delivery::Gone, _) if e.enabled => vec![disable(GONE_REASON)],
        (Delivery::Gone, _) => vec![],
        (Delivery::Failed, None) => vec![EndpointEvent::WebhookFailing(WebhookFailing { since: at })],
        (Delivery::Failed, Some(since)) if at - since >= limit && e.enabled => vec![disable(FAILING_REASON)],
        (Delivery::Failed, Some(_)) => vec![],
    }
}

impl Aggregate for Endpoint {
    type Command = EndpointCommand;
    type Event = EndpointEvent;
    type Refusal = EndpointRefusal;
    const KIND: StreamKind = StreamKind::Webhook;

    fn decide(
        state: Option<&Self>,
        cmd: &EndpointCommand,
        ctx: &Context,
    ) -> Result<Vec<EndpointEvent>, EndpointRefusal> {
        match (state, cmd) {
            (Some(_), EndpointCommand::Register { .. }) => Err(EndpointRefusal::AlreadyExists),
            (None, EndpointCommand::Register { id, url, events, description, .. }) => {
                Ok(vec![EndpointEvent::WebhookCreated(WebhookCreated {
                    endpoint_id: *id,
                    client_id: ctx.client_id,
                    url: url.clone(),
                    events: events.clone(),
                    description: description.clone(),
                    enabled: true,
                    created_at: ctx.now,
                })])
            }
            (None, EndpointCommand::Attempted { .. }) => Ok(vec![]), // deleted meanwhile
            (None, _) => Err(EndpointRefusal::NotFound),
            (Some(_), EndpointCommand::Delete) => Ok(vec![EndpointEvent::WebhookDeleted(Empty {})]),
            (Some(e), EndpointCommand::Attempted { url, outcome, at }) => Ok(decide_attempt(e, url, *outcome, *at)),
            (Some(e), EndpointCommand::Change { url, events, description, enabled }) => {
                let enabling = *enabled == Some(true) && !e.enabled;
                let change = WebhookChanged {
                    url: changed(url, &e.url),
                    events: changed(events, &e.events),
                    description: changed(description, &e.description),
                    enabled: changed(enabled, &e.enabled),
                    // Enabled again: a fresh start.
                    disabled_reason: (enabling && e.disabled_reason.is_some()).then_some(None),
                };
                Ok(if change == WebhookChanged::default() {
                    vec![]
                } else {
                    vec![EndpointEvent::WebhookChanged(change)]
                })
            }
        }
    }

    fn apply(state: Option<Self>, event: &EndpointEvent) -> Option<Option<Self>> {
        match (state, event) {
            (None, EndpointEvent::WebhookCreated(c)) => Some(Some(Endpoint {
                id: c.endpoint_id,
                client_id: c.client_id,
                url: c.url.clone(),
                events: c.events.clone(),
                description: c.description.clone(),
                enabled: c.enabled,
                disabled_reason: None,
                secret: String::new(),
                created_at: c.created_at,
                failing_since: None,
                version: 0,
                last_hash: GENESIS_HASH.to_string(),
            })),
            (None, _) | (Some(_), EndpointEvent::WebhookCreated(_)) => None,
            (Some(_), EndpointEvent::WebhookDeleted(_)) => Some(None),
            (Some(mut e), EndpointEvent::WebhookFailing(f)) => {
                e.failing_since = Some(f.since);
                Some(Some(e))
            }
            (Some(mut e), EndpointEvent::WebhookRecovered(_)) => {
                e.failing_since = None;
                Some(Some(e))
            }
            (Some(mut e), EndpointEvent::WebhookChanged(c)) => {
                // A new target, or enabling again, starts with a clean record.
                if c.url.is_some() || c.enabled == Some(true) {
                    e.failing_since = None;
                }
                e.url = c.url.clone().unwrap_or(e.url);
                e.events = c.events.clone().unwrap_or(e.events);
                e.description = c.description.clone().unwrap_or(e.description);
                e.enabled = c.enabled.unwrap_or(e.enabled);
                e.disabled_reason = c.disabled_reason.clone().unwrap_or(e.disabled_reason);
                Some(Some(e))
            }
        }
    }

    crate::aggregate::head_in_fields!();

    fn keep(&mut self, cmd: &EndpointCommand) {
        if let EndpointCommand::Register { secret, .. } = cmd {
            self.secret = secret.clone();
        }
    }

    fn without_secrets(&self) -> Self {
        Endpoint { secret: String::new(), ..self.clone() }
    }
}
