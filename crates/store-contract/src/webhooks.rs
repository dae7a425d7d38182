//! The contract of webhook endpoints and of the messages to deliver.

use super::people::{client, user_envelope};
use inbox_domain::endpoint::Delivery;
use inbox_domain::{time, ClientId, Endpoint, EndpointCommand, EndpointId, EndpointRefusal, Timestamp};
use inbox_store::commands::{self, CommandError, Envelope};
use inbox_store::webhooks::{DeliveryAttempt, Message, MessageState};
use inbox_store::Store;
use std::sync::Arc;
use uuid::Uuid;

fn now() -> Timestamp {
    time::truncate(chrono::Utc::now())
}

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The command registering an endpoint for all events.
pub fn register(id: EndpointId, url: &str) -> EndpointCommand {
    EndpointCommand::Register { id, url: url.into(), events: vec![], description: None, secret: SECRET.into() }
}

/// Runs an endpoint command through the one command path.
pub async fn on_endpoint(
    store: &dyn Store,
    env: &Envelope,
    id: EndpointId,
    cmd: EndpointCommand,
) -> Result<Option<Endpoint>, Failed> {
    let done = commands::execute::<Endpoint, _, Failed>(store, env, id.0, |_| Ok(cmd.clone()));
    Ok(done.await?.state)
}

/// A refused or failed endpoint command.
pub type Failed = CommandError<EndpointRefusal>;

/// An endpoint of a client, registered.
pub async fn endpoint(store: &dyn Store, client_id: ClientId, url: &str) -> Endpoint {
    let env = user_envelope(client_id, "owner");
    let id = EndpointId::new();
    on_endpoint(store, &env, id, register(id, url)).await.unwrap().expect("registered")
}

/// A pending message for an endpoint, due at `due`.
pub fn message(e: &Endpoint, due: Timestamp) -> Message {
    Message {
        id: format!("msg_{}", Uuid::new_v4().simple()),
        endpoint_id: e.id,
        client_id: e.client_id,
        message_type: "account.connected".into(),
        stream_id: Some(Uuid::new_v4()),
        version: 1,
        created_at: due,
        state: MessageState::Pending,
        attempts: 0,
        due_at: Some(due),
    }
}

pub async fn webhook_endpoints_change_with_their_history(store: Arc<impl Store>) {
    let c = client(&*store).await;
    let env = user_envelope(c, "owner-1");
    let id = EndpointId::new();
    let created = on_endpoint(&*store, &env, id, register(id, "https://example.test/hook")).await.unwrap().unwrap();
    assert_eq!((created.version, created.secret.as_str()), (1, SECRET));
    assert_eq!(store.webhook_endpoint(c, id).await.unwrap(), Some(created.clone()));
    assert_eq!(store.webhook_endpoint(ClientId::new(), id).await.unwrap(), None, "another client's endpoint");
    assert_eq!(store.webhook_endpoints(c).await.unwrap(), vec![created.clone()]);
    let twice = register(id, "https://x.test/");
    let again = commands::create::<Endpoint, _, Failed>(&*store, &env, id.0, &twice).await;
    assert!(again.is_err(), "an endpoint is registered once");

    let disable = EndpointCommand::Change { url: None, events: None, description: None, enabled: Some(false) };
    let changed = on_endpoint(&*store, &env, id, disable).await.unwrap().unwrap();
    assert_eq!((changed.version, changed.enabled), (2, false));
    // Delivery health is recorded too, and only when it moves.
    let failed = |at| EndpointCommand::Attempted { url: created.url.clone(), outcome: Delivery::Failed, at };
    let failing = on_endpoint(&*store, &env, id, failed(now())).await.unwrap().unwrap();
    assert_eq!((failing.version, failing.failing_since), (3, Some(now_at(&failing))));
    assert_eq!(on_endpoint(&*store, &env, id, failed(now())).await.unwrap().unwrap().version, 3, "still failing");
    on_endpoint(&*store, &env, id, EndpointCommand::Delete).await.unwrap();
    assert_eq!(store.webhook_endpoint(c, id).await.unwrap(), None);
    assert_eq!(store.webhook_endpoints(c).await.unwrap(), vec![]);

    let events = store.load_stream(id.0).await.unwrap();
    inbox_domain::verify_chain(id.0, &events).unwrap();
    assert!(!serde_json::to_string(&events).unwrap().contains("whsec_"), "the secret is never recorded");
    let history = store.webhook_changes(c, id).await.unwrap();
    let kinds: Vec<_> = history.iter().map(|e| (e.event_type.as_str(), e.version)).collect();
    assert_eq!(kinds, [("WebhookCreated", 1), ("WebhookChanged", 2), ("WebhookFailing", 3), ("WebhookDeleted", 4)]);
    assert_eq!(history[1].changes, serde_json::json!({"enabled": false}));
    assert!(history.iter().all(|e| e.actor == "owner-1" && e.correlation_id == "req-1"));
    assert_eq!(store.webhook_changes(ClientId::new(), id).await.unwrap(), vec![], "another client's history");
}

fn now_at(e: &Endpoint) -> Timestamp {
    e.failing_since.expect("failing")
}

pub async fn webhook_messages_are_claimed_once_and_settled(store: Arc<impl Store>) {
    let c = client(&*store).await;
    let e = endpoint(&*store, c, "https://example.test/hook").await;
    let t0 = now();
    let first = message(&e, t0 - chrono::Duration::seconds(2));
    let second = message(&e, t0 - chrono::Duration::seconds(1));
    let later = message(&e, t0 + chrono::Duration::hours(1));
    store.enqueue_messages(&[second.clone(), first.clone(), later.clone()]).await.unwrap();
    // Enqueuing again (a retried dispatch) changes nothing, also beside a new one.
    let fourth = message(&e, t0);
    store.enqueue_messages(&[Message { attempts: 7, ..first.clone() }, fourth.clone()]).await.unwrap();
    let due = store.due_messages(t0, 10).await.unwrap();
    let ours: Vec<_> = due.iter().filter(|m| m.endpoint_id == e.id).cloned().collect();
    assert_eq!(ours, vec![first.clone(), second.clone(), fourth.clone()], "due ones, longest due first");

    // Claiming moves the due time: one of two claims wins.
    let claimed = Message { due_at: Some(t0 + chrono::Duration::seconds(30)), ..first.clone() };
    let (a, b) =
        tokio::join!(store.update_message(&first, &claimed, None), store.update_message(&first, &claimed, None));
    assert!(a.unwrap() ^ b.unwrap(), "exactly one claim wins");
    assert!(!store.due_messages(t0, 10).await.unwrap().iter().any(|m| m.id == first.id), "claimed: not due");
    assert_eq!(store.due_messages(t0, 1).await.unwrap(), vec![second.clone()], "at most the limit");

    let attempt = |n: u32, at: Timestamp, status: u16, state| DeliveryAttempt {
        message_id: first.id.clone(),
        endpoint_id: e.id,
        message_type: first.message_type.clone(),
        attempt: n,
        at,
        status: Some(status),
        error: None,
        duration_ms: 12,
        next_attempt_at: None,
        state,
    };
    let retry = Message { attempts: 1, due_at: Some(t0 - chrono::Duration::seconds(1)), ..first.clone() };
    let failed = attempt(1, t0, 500, MessageState::Pending);
    assert!(!store.update_message(&first, &retry, Some(&failed)).await.unwrap(), "not as read: refused");
    assert!(store.update_message(&claimed, &retry, Some(&failed)).await.unwrap());
    let delivered = Message { attempts: 2, due_at: None, state: MessageState::Delivered, ..first.clone() };
    let ok = attempt(2, t0 + chrono::Duration::milliseconds(5), 200, MessageState::Delivered);
    assert!(store.update_message(&retry, &delivered, Some(&ok)).await.unwrap());
    assert!(!store.due_messages(t0, 10).await.unwrap().iter().any(|m| m.id == first.id), "final: never due");
    assert_eq!(store.deliveries(e.id, 10).await.unwrap(), vec![ok.clone(), failed.clone()], "newest first");
    assert_eq!(store.deliveries(e.id, 1).await.unwrap(), vec![ok]);
    assert_eq!(store.deliveries(EndpointId::new(), 10).await.unwrap(), vec![]);
}
