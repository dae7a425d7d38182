//! The contract of webhook endpoints and of the messages to deliver.

use super::people::{client, user_envelope};
use crate::endpoints;
use crate::webhooks::{DeliveryAttempt, Endpoint, Message, MessageState};
use crate::{Store, StoreError};
use inbox_domain::{time, Timestamp};
use std::sync::Arc;
use uuid::Uuid;

fn now() -> Timestamp {
    time::truncate(chrono::Utc::now())
}

/// An enabled endpoint of a client, for all events (not stored).
pub fn endpoint(client_id: Uuid, url: &str) -> Endpoint {
    Endpoint {
        id: Uuid::new_v4(),
        client_id,
        url: url.into(),
        events: vec![],
        description: None,
        enabled: true,
        disabled_reason: None,
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
        created_at: now(),
        failing_since: None,
        version: 0,
    }
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
    let e = endpoint(c, "https://example.test/hook");
    let created = endpoints::change(&*store, &env, e.id, |_| Ok::<_, StoreError>(Some(e.clone()))).await.unwrap();
    let created = created.unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(store.webhook_endpoint(c, e.id).await.unwrap(), Some(created.clone()));
    assert_eq!(store.webhook_endpoint(Uuid::new_v4(), e.id).await.unwrap(), None, "another client's endpoint");
    assert_eq!(store.webhook_endpoints(c).await.unwrap(), vec![created.clone()]);

    // A stale version conflicts and writes nothing.
    let mut stale = crate::EndpointCommit {
        client_id: c,
        endpoint_id: e.id,
        expected: 0,
        after: Some(Endpoint { url: "https://evil.test/".into(), ..created.clone() }),
        event: None,
    };
    assert!(matches!(store.commit_webhook(&stale).await, Err(StoreError::Conflict { .. })));
    stale.expected = 5;
    assert!(matches!(store.commit_webhook(&stale).await, Err(StoreError::Conflict { .. })));
    assert_eq!(store.webhook_endpoint(c, e.id).await.unwrap(), Some(created.clone()));

    let disable = |mut e: Endpoint| {
        e.enabled = false;
        e.disabled_reason = Some("Gone".into());
        Ok::<_, StoreError>(Some(e))
    };
    let changed = endpoints::change(&*store, &env, e.id, |b| disable(b.unwrap().clone())).await.unwrap().unwrap();
    assert_eq!((changed.version, changed.enabled), (2, false));
    // Health alone moves the version but records no event.
    let healthy =
        |b: Option<&Endpoint>| Ok::<_, StoreError>(b.map(|b| Endpoint { failing_since: Some(now()), ..b.clone() }));
    assert_eq!(endpoints::change(&*store, &env, e.id, healthy).await.unwrap().unwrap().version, 3);
    endpoints::change(&*store, &env, e.id, |_| Ok::<_, StoreError>(None)).await.unwrap();
    assert_eq!(store.webhook_endpoint(c, e.id).await.unwrap(), None);
    assert_eq!(store.webhook_endpoints(c).await.unwrap(), vec![]);

    let events = store.webhook_events(c, e.id).await.unwrap();
    let kinds: Vec<_> = events.iter().map(|e| (e.event_type.as_str(), e.version)).collect();
    assert_eq!(kinds, [("WebhookCreated", 1), ("WebhookChanged", 2), ("WebhookDeleted", 4)]);
    assert_eq!(events[1].changes, serde_json::json!({"enabled": false, "disabledReason": "Gone"}));
    assert!(events.iter().all(|e| e.actor == "owner-1" && e.correlation_id == "req-1"));
    assert!(!serde_json::to_string(&events).unwrap().contains("whsec_"), "the secret is never recorded");
    assert_eq!(store.webhook_events(Uuid::new_v4(), e.id).await.unwrap(), vec![], "another client's history");
}

pub async fn webhook_messages_are_claimed_once_and_settled(store: Arc<impl Store>) {
    let c = client(&*store).await;
    let e = endpoint(c, "https://example.test/hook");
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
    assert_eq!(store.deliveries(Uuid::new_v4(), 10).await.unwrap(), vec![]);
}
