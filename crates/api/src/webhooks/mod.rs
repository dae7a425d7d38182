//! Webhooks: a projection of the event log, delivered outside the request
//! path. Each account event becomes one message per endpoint that wants it,
//! recorded durably before any attempt; attempts are claimed, sent, signed per
//! Standard Webhooks, and settled on the retry schedule. The same dispatcher
//! runs in the Lambda functions (DynamoDB stream, schedule) and in `inbox serve`
//! (following the SQLite log from a durable cursor).

pub mod send;
mod stream;

use crate::config::Config;
use crate::resources::{AccountView, EventView};
use inbox_domain::endpoint::Delivery;
use inbox_domain::webhooks::{self as rules, Next, Outcome};
use inbox_domain::EndpointCommand;
use inbox_domain::{time, StoredEvent, Timestamp};
use inbox_store::commands::{CommandError, Envelope};
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
#[cfg(feature = "sqlite")]
use inbox_store::SqliteStore;
use inbox_store::{commands, AppStore, DeliveryAttempt, Endpoint, Message, MessageState, StoreError};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How long a claimed attempt is held: longer than an attempt can take.
const CLAIM: Duration = Duration::from_secs(60);

/// Attempts made at once by one dispatcher.
const PARALLEL: usize = 16;

/// Who the dispatcher's own endpoint changes (disabling) are recorded as.
pub const ACTOR: &str = "webhooks";

/// The function the events table's stream drives.
pub const DISPATCH_FUNCTION: &str = "webhooks-dispatch";
/// The function a schedule drives.
pub const RETRY_FUNCTION: &str = "webhooks-retry";

/// The follower name of the local dispatcher's cursor over the SQLite log.
pub const CURSOR: &str = "webhooks";

#[derive(Clone)]
pub struct Dispatcher {
    store: Arc<AppStore>,
    allow_private: bool,
    schedule: Arc<[u64]>,
    /// On Lambda: how long one call may go on starting attempts, so that the
    /// last one ends before the function's timeout (what is left stays due).
    budget: Option<Duration>,
}

fn now() -> Timestamp {
    time::truncate(chrono::Utc::now())
}

fn after(t: Timestamp, d: Duration) -> Timestamp {
    t + chrono::Duration::from_std(d).expect("delays are at most days")
}

/// `msg_` and a hash of endpoint and event: the same for every retry and
/// every re-dispatch of one event to one endpoint.
pub fn message_id(endpoint: Uuid, stream: Uuid, version: u64) -> String {
    let digest = Sha256::digest(format!("{endpoint}:{stream}:{version}"));
    format!("msg_{}", &hex::encode(digest)[..32])
}

impl Dispatcher {
    pub fn new(store: Arc<AppStore>, config: &Config) -> Self {
        Dispatcher {
            store,
            allow_private: config.webhook_allow_private,
            schedule: config.webhook_schedule.clone().into(),
            budget: None,
        }
    }

    /// Each call starts attempts for at most `budget` (they end by then).
    pub fn within(mut self, budget: Duration) -> Self {
        self.budget = Some(budget);
        self
    }

    fn deadline(&self) -> Option<Instant> {
        self.budget.map(|b| Instant::now() + b)
    }

    /// The messages `events` make: one per enabled endpoint of its client that
    /// wants its type, due now.
    pub async fn messages_for(&self, events: &[StoredEvent]) -> Result<Vec<Message>> {
        let mut out = vec![];
        let mut endpoints: Vec<(inbox_domain::ClientId, Vec<Endpoint>)> = vec![];
        for e in events {
            let Some(kind) = rules::message_type(&e.event_type) else { continue };
            if !endpoints.iter().any(|(c, _)| *c == e.client_id) {
                endpoints.push((e.client_id, self.store.webhook_endpoints(e.client_id).await?));
            }
            let (_, theirs) = endpoints.iter().find(|(c, _)| *c == e.client_id).expect("just read");
            // An endpoint hears of events from its creation on (a replay of
            // older ones, after downtime or a retried batch, is not for it).
            let wanted =
                |ep: &&Endpoint| ep.enabled && rules::wants(&ep.events, kind) && e.recorded_at >= ep.created_at;
            for ep in theirs.iter().filter(wanted) {
                out.push(Message {
                    id: message_id(ep.id.0, e.stream_id, e.version),
                    endpoint_id: ep.id,
                    client_id: e.client_id,
                    message_type: kind.into(),
                    stream_id: Some(e.stream_id),
                    version: e.version,
                    created_at: e.recorded_at,
                    state: MessageState::Pending,
                    attempts: 0,
                    due_at: Some(now()),
                });
            }
        }
        Ok(out)
    }

    /// New events (a stream batch): their messages are recorded, then tried at once.
    pub async fn dispatch(&self, events: &[StoredEvent]) -> Result<()> {
        let messages = self.messages_for(events).await?;
        self.store.enqueue_messages(&messages).await?;
        self.attempt_all(messages, self.deadline()).await;
        Ok(())
    }

    /// Tries the messages due now (at most `limit`); returns how many.
    pub async fn deliver_due(&self, limit: usize) -> Result<usize> {
        self.deliver_due_until(limit, self.deadline()).await
    }

    /// As [`Self::deliver_due`], starting no attempt that could end after `deadline`.
    pub async fn deliver_due_until(&self, limit: usize, deadline: Option<Instant>) -> Result<usize> {
        let due = self.store.due_messages(now(), limit).await?;
        let n = due.len();
        self.attempt_all(due, deadline).await;
        Ok(n)
    }

    /// How many messages are due now, up to `limit` (a read: also warms the store).
    pub async fn due_count(&self, limit: usize) -> Result<usize> {
        Ok(self.store.due_messages(now(), limit).await?.len())
    }

    /// Records a `webhook.test` message for an endpoint and tries it at once.
    pub async fn send_test(&self, endpoint: &Endpoint) -> Result<Message> {
        let at = now();
        let message = Message {
            id: format!("msg_{}", Uuid::new_v4().simple()),
            endpoint_id: endpoint.id,
            client_id: endpoint.client_id,
            message_type: rules::TEST_TYPE.into(),
            stream_id: None,
            version: 0,
            created_at: at,
            state: MessageState::Pending,
            attempts: 0,
            due_at: Some(at),
        };
        self.store.enqueue_messages(std::slice::from_ref(&message)).await?;
        self.attempt_all(vec![message.clone()], None).await;
        Ok(message)
    }

    async fn attempt_all(&self, messages: Vec<Message>, deadline: Option<Instant>) {
        // Each client's endpoints, read once for the whole batch.
        let mut endpoints: HashMap<inbox_domain::ClientId, Vec<Endpoint>> = HashMap::new();
        for m in &messages {
            if let Entry::Vacant(slot) = endpoints.entry(m.client_id) {
                match self.store.webhook_endpoints(m.client_id).await {
                    Ok(all) => slot.insert(all),
                    Err(e) => return tracing::warn!(error = %e, "webhook endpoints unreadable; retried later"),
                };
            }
        }
        let limit = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
        let mut running = tokio::task::JoinSet::new();
        for m in messages {
            let (this, limit) = (self.clone(), limit.clone());
            let endpoint = endpoints[&m.client_id].iter().find(|e| e.id == m.endpoint_id && e.enabled).cloned();
            running.spawn(async move {
                let _permit = limit.acquire_owned().await;
                if deadline.is_some_and(|d| Instant::now() + rules::TIMEOUT >= d) {
                    return; // Out of time: it stays due, for the next run.
                }
                if let Err(e) = this.attempt(&m, endpoint).await {
                    // The message stays due (or claimed until the claim ends): retried later.
                    tracing::warn!(message = %m.id, error = %e, "webhook attempt not recorded");
                }
            });
        }
        while running.join_next().await.is_some() {}
    }

    /// One attempt to `endpoint` (`None`: disabled or deleted): claim, send,
    /// settle, and note the endpoint's health.
    async fn attempt(&self, m: &Message, endpoint: Option<Endpoint>) -> Result<()> {
        let claimed = Message { due_at: Some(after(now(), CLAIM)), ..m.clone() };
        if !self.store.update_message(m, &claimed, None).await? {
            return Ok(()); // Another worker has it.
        }
        let number = m.attempts + 1;
        let started = Instant::now();
        let (outcome, next) = match &endpoint {
            None => (Outcome::Failed { error: "The endpoint is disabled or deleted.".into() }, Next::GiveUp),
            Some(e) => {
                let outcome = match self.send(e, m).await {
                    Ok(outcome) => outcome,
                    // Counted as an attempt: the schedule still ends it.
                    Err(error) => Outcome::Failed { error: format!("The message could not be built: {error}") },
                };
                let jitter = f64::from(random_u32()) / f64::from(u32::MAX) * 2.0 - 1.0;
                let next = rules::next(&outcome, number, &self.schedule, jitter);
                (outcome, next)
            }
        };
        let at = now();
        let (state, due_at) = match next {
            Next::Delivered => (MessageState::Delivered, None),
            Next::Retry(wait) => (MessageState::Pending, Some(after(at, wait))),
            Next::GiveUp | Next::Gone => (MessageState::Failed, None),
        };
        let (status, error) = match &outcome {
            Outcome::Answered { status, .. } => (Some(*status), None),
            Outcome::Failed { error } => (None, Some(error.clone())),
        };
        let record = DeliveryAttempt {
            message_id: m.id.clone(),
            endpoint_id: m.endpoint_id,
            message_type: m.message_type.clone(),
            attempt: number,
            at,
            status,
            error,
            duration_ms: started.elapsed().as_millis() as u64,
            next_attempt_at: due_at,
            state,
        };
        let settled = Message { attempts: number, state, due_at, ..m.clone() };
        // Not settled means the claim ran out and another worker took over.
        if self.store.update_message(&claimed, &settled, Some(&record)).await? {
            if let Some(e) = endpoint {
                self.note_health(&e, &next, at, &m.id).await?;
            }
        }
        Ok(())
    }

    async fn send(&self, e: &Endpoint, m: &Message) -> Result<Outcome> {
        let body = self.body(m).await?;
        let timestamp = chrono::Utc::now().timestamp();
        let signature = match rules::sign(&e.secret, &m.id, timestamp, &body) {
            Ok(s) => s,
            Err(error) => return Ok(Outcome::Failed { error }),
        };
        let headers = [
            ("webhook-id", m.id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
        ];
        Ok(send::post(&e.url, &headers, body, self.allow_private).await)
    }

    /// The message body: its type, the event's time, and the account after the
    /// event and the event, exactly as the API serves them.
    pub async fn body(&self, m: &Message) -> Result<String> {
        let timestamp = time::format(&m.created_at);
        let Some(stream) = m.stream_id else {
            let data = json!({"endpointId": m.endpoint_id});
            return Ok(json!({"type": m.message_type, "timestamp": timestamp, "data": data}).to_string());
        };
        let event = self.store.stream_range(stream, m.version, m.version).await?.pop();
        let event = event.ok_or_else(|| StoreError::Internal(format!("no event {stream} v{}", m.version)))?;
        let account = match self.store.get_account(m.client_id, inbox_domain::AccountId(stream)).await? {
            // The common case: the read model is still at this event.
            Some(a) if a.version == m.version => Some(a),
            _ => {
                let history = self.store.stream_range(stream, 1, m.version).await?;
                inbox_domain::project(&history).map_err(|e| StoreError::Internal(e.to_string()))?
            }
        };
        let account = account.map_or(Value::Null, |a| json!(AccountView::of(&a, true)));
        let data = json!({"account": account, "event": EventView::of(&event)});
        Ok(json!({"type": m.message_type, "timestamp": timestamp, "data": data}).to_string())
    }

    /// After an attempt: a success ends a failing streak; `410 Gone`, or
    /// failing for [`rules::FAILING_LIMIT`], disables the endpoint. Decided on
    /// the endpoint as it is now, and only while it still has the URL tried.
    async fn note_health(&self, e: &Endpoint, next: &Next, at: Timestamp, message_id: &str) -> Result<()> {
        let envelope = Envelope {
            client_id: e.client_id,
            actor: ACTOR.into(),
            correlation_id: message_id.into(),
            at: Some(at),
            idempotency: None,
        };
        let outcome = match next {
            Next::Delivered => Delivery::Delivered,
            Next::Gone => Delivery::Gone,
            _ => Delivery::Failed,
        };
        let attempted = EndpointCommand::Attempted { url: e.url.clone(), outcome, at };
        // Never refused (an endpoint deleted meanwhile takes nothing from it).
        let id = e.id.0;
        let done =
            commands::execute::<Endpoint, _, CommandError<_>>(&*self.store, &envelope, id, |_| Ok(attempted.clone()));
        match done.await {
            Ok(_) => Ok(()),
            Err(CommandError::Store(e)) => Err(e),
            Err(CommandError::Domain(r)) => Err(StoreError::Internal(format!("an attempt report was refused: {r}"))),
        }
    }

    #[cfg(feature = "sqlite")]
    /// The local dispatcher over SQLite: follows the event log from its durable
    /// cursor (recording each batch's messages and moving the cursor in one
    /// transaction), and tries what is due. Runs until the task is dropped.
    pub async fn follow_sqlite(self, log: SqliteStore) {
        loop {
            let busy = match self.follow_once(&log).await {
                Ok(busy) => busy,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook dispatcher: will try again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    false
                }
            };
            if !busy {
                // The next local commit, or a poll for other processes' (`cargo lambda watch`).
                let _ = tokio::time::timeout(Duration::from_millis(100), inbox_store::sqlite::committed()).await;
            }
        }
    }

    #[cfg(feature = "sqlite")]
    /// One round of [`Self::follow_sqlite`]; `true` if it found work.
    pub async fn follow_once(&self, log: &SqliteStore) -> Result<bool> {
        let cursor = log.log_cursor(CURSOR).await?;
        let batch = log.log_after(cursor, 200).await?;
        if let Some((last, _)) = batch.last() {
            let events: Vec<StoredEvent> = batch.iter().map(|(_, e)| e.clone()).collect();
            let messages = self.messages_for(&events).await?;
            log.enqueue_from_log(CURSOR, cursor, *last, &messages).await?;
        }
        let delivered = self.deliver_due(100).await?;
        Ok(!batch.is_empty() || delivered > 0)
    }
}

fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).expect("the OS has randomness");
    u32::from_le_bytes(b)
}
