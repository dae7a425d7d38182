//! A webhook endpoint: given these past commands, when this command, then
//! these events; delivery health as events; the upcaster of older records.

use inbox_domain::aggregate::{execute, Aggregate, DomainEvent};
use inbox_domain::endpoint::{
    history, upgrade, Delivery, EndpointChange, EndpointEvent, WebhookChanged, WebhookFailing, FAILING_REASON,
    GONE_REASON,
};
use inbox_domain::{time, ClientId, Context, Endpoint, EndpointCommand, EndpointId, EndpointRefusal, Timestamp};
use serde_json::json;
use uuid::Uuid;

const CLIENT: ClientId = ClientId(Uuid::from_u128(7));
const ID: EndpointId = EndpointId(Uuid::from_u128(5));
const URL: &str = "https://hooks.example.com/in";

fn at(s: &str) -> Timestamp {
    time::parse(s).unwrap()
}

fn ctx() -> Context {
    Context { client_id: CLIENT, actor: "owner".into(), now: at("2025-12-06T04:35:33.192Z") }
}

fn register() -> EndpointCommand {
    EndpointCommand::Register {
        id: ID,
        url: URL.into(),
        events: vec![],
        description: Some("pager".into()),
        secret: "whsec_c2VjcmV0".into(),
    }
}

fn attempted(outcome: Delivery, when: &str) -> EndpointCommand {
    EndpointCommand::Attempted { url: URL.into(), outcome, at: at(when) }
}

fn given(commands: &[EndpointCommand]) -> Option<Endpoint> {
    let mut state = None;
    for cmd in commands {
        state = execute::<Endpoint>(state.as_ref(), ID.0, cmd, &ctx(), "t").unwrap().1;
    }
    state
}

fn when(past: &[EndpointCommand], cmd: EndpointCommand) -> Result<Vec<EndpointEvent>, EndpointRefusal> {
    Endpoint::decide(given(past).as_ref(), &cmd, &ctx())
}

fn disabled(reason: &str) -> EndpointEvent {
    EndpointEvent::WebhookChanged(WebhookChanged {
        enabled: Some(false),
        disabled_reason: Some(Some(reason.into())),
        ..WebhookChanged::default()
    })
}

#[test]
fn registering_keeps_the_secret_out_of_the_event() {
    let (events, state) = execute::<Endpoint>(None, ID.0, &register(), &ctx(), "t").unwrap();
    assert!(!events[0].payload.to_string().contains("whsec_"));
    assert_eq!(state.unwrap().secret, "whsec_c2VjcmV0");
    assert_eq!(when(&[register()], register()), Err(EndpointRefusal::AlreadyExists));
    assert_eq!(when(&[], EndpointCommand::Delete), Err(EndpointRefusal::NotFound));
}

#[test]
fn changes_record_only_what_changed() {
    let same = EndpointCommand::Change { url: Some(URL.into()), events: None, description: None, enabled: Some(true) };
    assert_eq!(when(&[register()], same), Ok(vec![]));
    let clear = EndpointCommand::Change { url: None, events: None, description: Some(None), enabled: None };
    let events = when(&[register()], clear).unwrap();
    assert_eq!(events[0].changes(), json!({"description": null}));
}

#[test]
fn a_failing_streak_is_recorded_once_and_ends_with_a_success() {
    let past = [register(), attempted(Delivery::Failed, "2025-12-01T00:00:00Z")];
    assert_eq!(
        when(&past[..1], attempted(Delivery::Failed, "2025-12-01T00:00:00Z")),
        Ok(vec![EndpointEvent::WebhookFailing(WebhookFailing { since: at("2025-12-01T00:00:00Z") })])
    );
    assert_eq!(when(&past, attempted(Delivery::Failed, "2025-12-02T00:00:00Z")), Ok(vec![]), "still failing");
    assert_eq!(when(&past, attempted(Delivery::Failed, "2025-12-06T00:00:00Z")), Ok(vec![disabled(FAILING_REASON)]));
    assert_eq!(when(&past[..1], attempted(Delivery::Delivered, "2025-12-01T00:00:00Z")), Ok(vec![]));
    let recovered = when(&past, attempted(Delivery::Delivered, "2025-12-02T00:00:00Z")).unwrap();
    assert_eq!(recovered[0].event_type(), "WebhookRecovered");
    assert_eq!(when(&past, attempted(Delivery::Gone, "2025-12-02T00:00:00Z")), Ok(vec![disabled(GONE_REASON)]));
    // An outcome of a URL the endpoint no longer has says nothing of it.
    let repointed = EndpointCommand::Attempted {
        url: "https://old.example.com".into(),
        outcome: Delivery::Gone,
        at: at("2025-12-02T00:00:00Z"),
    };
    assert_eq!(when(&past, repointed), Ok(vec![]));
}

#[test]
fn enabling_again_or_repointing_starts_a_clean_record() {
    let past = [register(), attempted(Delivery::Gone, "2025-12-01T00:00:00Z")];
    let off = given(&past).unwrap();
    assert_eq!((off.enabled, off.disabled_reason.as_deref()), (false, Some(GONE_REASON)));
    let mut again = past.to_vec();
    again.push(EndpointCommand::Change { url: None, events: None, description: None, enabled: Some(true) });
    let on = given(&again).unwrap();
    assert_eq!((on.enabled, on.disabled_reason, on.failing_since), (true, None, None));
    let failing = [register(), attempted(Delivery::Failed, "2025-12-01T00:00:00Z")];
    let mut moved = failing.to_vec();
    moved.push(EndpointCommand::Change {
        url: Some("https://new.example.com".into()),
        events: None,
        description: None,
        enabled: None,
    });
    assert!(given(&failing).unwrap().failing_since.is_some());
    assert_eq!(given(&moved).unwrap().failing_since, None);
}

fn record(version: u64, kind: &str, changes: serde_json::Value) -> EndpointChange {
    EndpointChange {
        client_id: CLIENT,
        endpoint_id: ID,
        version,
        event_type: kind.into(),
        changes,
        actor: "owner".into(),
        correlation_id: format!("req-{version}"),
        recorded_at: at(&format!("2025-0{version}-01T00:00:00Z")),
    }
}

#[test]
fn stored_records_upcast_into_the_endpoints_stream() {
    let created = json!({"url": URL, "events": [], "description": null, "enabled": true, "disabledReason": null});
    // Versions had gaps then: health moved the version without a record.
    let records =
        [record(1, "WebhookCreated", created.clone()), record(4, "WebhookChanged", json!({"description": "pager"}))];
    let current = Endpoint {
        id: ID,
        client_id: CLIENT,
        url: URL.into(),
        events: vec![],
        description: Some("pager".into()),
        enabled: true,
        disabled_reason: None,
        secret: "whsec_c2VjcmV0".into(),
        created_at: at("2024-12-31T23:59:59.999Z"),
        failing_since: Some(at("2025-06-01T00:00:00Z")),
        version: 6,
        last_hash: String::new(),
    };
    let (events, after) = upgrade(ID, Some(&current), &records).unwrap();
    let types: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["WebhookCreated", "WebhookChanged", "WebhookFailing"]);
    let after = after.unwrap();
    assert_eq!(Endpoint { version: 6, last_hash: String::new(), ..after.clone() }, current, "the same endpoint");
    assert_eq!((after.version, after.last_hash.as_str()), (3, events[2].hash.as_str()));
    let shown = history(ID, &events).unwrap();
    assert_eq!(shown[0].changes, created);
    assert_eq!(shown[1].changes, json!({"description": "pager"}));
    assert_eq!(shown[2].actor, "webhooks");
    // A deleted endpoint's records make a stream that ends.
    let deleted = [record(1, "WebhookCreated", created), record(2, "WebhookDeleted", json!({}))];
    assert_eq!(upgrade(ID, None, &deleted).unwrap().1, None);
}
