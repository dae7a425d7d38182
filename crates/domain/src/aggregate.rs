//! One event-sourced model for every stream: an [`Aggregate`] decides a command
//! into events (pure), folds events into its state, and knows its stream head.
//! Accounts, a client's team of users and webhook endpoints are aggregates;
//! the store runs all of them through one command path and one commit.

use crate::events::{seal, DecodeError, Metadata, StoredEvent, GENESIS_HASH};
use crate::ids::ClientId;
use crate::time::Timestamp;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::fmt::Debug;
use uuid::Uuid;

/// Who sends the command, and the time it is decided at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub client_id: ClientId,
    pub actor: String,
    pub now: Timestamp,
}

/// The kinds of stream; every stored event type belongs to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StreamKind {
    Account,
    Team,
    Webhook,
}

impl StreamKind {
    pub const ALL: [StreamKind; 3] = [StreamKind::Account, StreamKind::Team, StreamKind::Webhook];

    /// The kind of stream an event type is recorded in.
    pub fn of(event_type: &str) -> Option<StreamKind> {
        use crate::{endpoint::EndpointEvent, events::AccountEvent, team::TeamEvent};
        let kinds: [(StreamKind, &[&str]); 3] = [
            (StreamKind::Account, AccountEvent::TYPES),
            (StreamKind::Team, TeamEvent::TYPES),
            (StreamKind::Webhook, EndpointEvent::TYPES),
        ];
        kinds.into_iter().find(|(_, types)| types.contains(&event_type)).map(|(k, _)| k)
    }

    /// How reports name the stream (`account 5b1…`).
    pub fn noun(self) -> &'static str {
        match self {
            StreamKind::Account => "account",
            StreamKind::Team => "team",
            StreamKind::Webhook => "webhook endpoint",
        }
    }
}

/// A stream's events: an enum stored as `{"type": variant, "payload": …}`,
/// whose variant names are the stored event types.
pub trait DomainEvent: Serialize + DeserializeOwned + Clone + PartialEq + Debug + Send + Sync + 'static {
    /// Every event type of the stream kind.
    const TYPES: &'static [&'static str];

    fn event_type(&self) -> &'static str;

    /// The stored payload.
    fn payload(&self) -> Value {
        let mut v = serde_json::to_value(self).expect("events serialize");
        v.get_mut("payload").map(Value::take).unwrap_or(Value::Null)
    }

    /// The upcaster: an event stored with an older schema version, as the
    /// current type (`None`: no such version of this type was ever written).
    fn upcast(_event_type: &str, _schema_version: u32, _payload: &Value) -> Option<Result<Self, String>> {
        None
    }
}

/// An event-sourced stream: pure `decide` and `apply`, and the stream head
/// (version and last hash) its state carries, so one read gives what the next
/// append chains to. The state is `None` before the first event, and after an
/// event that ends the stream (a removed account is gone from reads).
pub trait Aggregate: Clone + PartialEq + Debug + Send + Sync + Sized + 'static {
    type Command: Clone + Debug + Send + Sync;
    type Event: DomainEvent;
    /// Why a command is refused (the API words it).
    type Refusal: Debug + Send + Sync;
    const KIND: StreamKind;

    /// The events `cmd` makes of `state` (none: it changes nothing), or a refusal.
    fn decide(state: Option<&Self>, cmd: &Self::Command, ctx: &Context) -> Result<Vec<Self::Event>, Self::Refusal>;

    /// The state after one event; `None` when the event cannot follow the state.
    fn apply(state: Option<Self>, event: &Self::Event) -> Option<Option<Self>>;

    fn version(&self) -> u64;
    fn last_hash(&self) -> &str;
    fn set_head(&mut self, version: u64, hash: &str);

    /// Sets what a command carries that no event records (credentials are not
    /// events: a password hash, a signing secret), once its events are applied.
    fn keep(&mut self, _cmd: &Self::Command) {}

    /// The state without those values: what a replay of the events gives.
    fn without_secrets(&self) -> Self {
        self.clone()
    }
}

/// The stream head methods of an aggregate whose state keeps its head in the
/// fields `version` and `last_hash` (each one here does).
macro_rules! head_in_fields {
    () => {
        fn version(&self) -> u64 {
            self.version
        }

        fn last_hash(&self) -> &str {
            &self.last_hash
        }

        fn set_head(&mut self, version: u64, hash: &str) {
            self.version = version;
            self.last_hash = hash.to_string();
        }
    };
}
pub(crate) use head_in_fields;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReplayError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("stream {stream_id} v{version}: {event_type} cannot follow the stream's state")]
    Unexpected { stream_id: Uuid, version: u64, event_type: String },
}

impl ReplayError {
    /// The version where the stream stops being readable.
    pub fn version(&self) -> u64 {
        match self {
            ReplayError::Decode(DecodeError::UnknownSchema { version, .. } | DecodeError::Payload { version, .. }) => {
                *version
            }
            ReplayError::Unexpected { version, .. } => *version,
        }
    }
}

/// Applies one event and moves the stream head to `version` / `hash`.
pub fn advance<A: Aggregate>(state: Option<A>, event: &A::Event, version: u64, hash: &str) -> Option<Option<A>> {
    let next = A::apply(state, event)?;
    Some(next.map(|mut a| {
        a.set_head(version, hash);
        a
    }))
}

/// Applies one stored event: the domain change plus the stream head.
pub fn apply_stored<A: Aggregate>(state: Option<A>, stored: &StoredEvent) -> Result<Option<A>, ReplayError> {
    let event = stored.decode::<A::Event>()?;
    advance(state, &event, stored.version, &stored.hash).ok_or_else(|| ReplayError::Unexpected {
        stream_id: stored.stream_id,
        version: stored.version,
        event_type: stored.event_type.clone(),
    })
}

/// Replay: the one fold used by the writer, the rebuild command and the auditor.
pub fn replay<'a, A: Aggregate>(events: impl IntoIterator<Item = &'a StoredEvent>) -> Result<Option<A>, ReplayError> {
    events.into_iter().try_fold(None, apply_stored::<A>)
}

/// Decides a command and seals the resulting events onto the stream head of
/// `state`. Returns the new events (empty for a no-op) and the state after them.
pub fn execute<A: Aggregate>(
    state: Option<&A>,
    stream_id: Uuid,
    cmd: &A::Command,
    ctx: &Context,
    correlation_id: &str,
) -> Result<(Vec<StoredEvent>, Option<A>), A::Refusal> {
    let events = A::decide(state, cmd, ctx)?;
    let (version, prev) = state.map_or((0, GENESIS_HASH), |a| (a.version(), a.last_hash()));
    let meta = Metadata {
        client_id: ctx.client_id,
        actor: ctx.actor.clone(),
        correlation_id: correlation_id.to_string(),
        recorded_at: ctx.now,
    };
    let stored = seal(stream_id, version, prev, &events, &meta);
    // The typed events are applied as decided: no decoding of what was just encoded.
    let mut next = state.cloned();
    for (event, sealed) in events.iter().zip(&stored) {
        next = advance(next, event, sealed.version, &sealed.hash).expect("events just decided apply to their state");
    }
    if let (Some(n), false) = (&mut next, events.is_empty()) {
        n.keep(cmd);
    }
    Ok((stored, next))
}
