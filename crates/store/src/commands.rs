//! The one command path: every write to an account — from a handler, the CLI,
//! fixtures or a test — goes through [`execute`]. It loads the read model (which
//! carries the stream head and last hash), decides, seals, commits events and
//! read model in one transaction, and on a version conflict decides again on the
//! new state, a bounded number of times.

use crate::{AccountReads, Commit, EventStore, IdempotencyRecord, KeyClaim, StoreError, StoredAnswer};
use inbox_domain::{Command, Context, DomainError, State, StoredEvent, Timestamp};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Attempts of a command whose stream moved on meanwhile, before giving up
/// with [`StoreError::Conflict`] (the API answers 409).
pub const MAX_ATTEMPTS: u32 = 10;

/// Who asks, for which client, under which request id.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub client_id: Uuid,
    /// The subject of the caller's token: recorded with every event.
    pub actor: String,
    /// The request id: recorded with every event.
    pub correlation_id: String,
    /// The instant to decide at; `None` reads the clock at each attempt.
    pub at: Option<Timestamp>,
    /// The request's `Idempotency-Key`, held pending: its answer is recorded in
    /// the command's own transaction.
    pub idempotency: Option<Idempotent>,
}

/// A held `Idempotency-Key`, and how to word the answer from the state after
/// the command (the caller's representation of it).
#[derive(Clone)]
pub struct Idempotent {
    pub claim: KeyClaim,
    pub answer: Arc<dyn Fn(&State) -> StoredAnswer + Send + Sync>,
}

impl std::fmt::Debug for Idempotent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotent").field("claim", &self.claim).finish_non_exhaustive()
    }
}

impl Idempotent {
    fn record(&self, state: &State) -> IdempotencyRecord {
        IdempotencyRecord {
            client_id: self.claim.client_id,
            key: self.claim.key.clone(),
            fingerprint: self.claim.fingerprint.clone(),
            owner: self.claim.owner.clone(),
            answer: (self.answer)(state),
            expires_at: self.claim.expires_at,
        }
    }
}

impl Envelope {
    /// The domain's view: who, for whom, and now.
    fn context(&self) -> Context {
        Context { client_id: self.client_id, actor: self.actor.clone(), now: self.now() }
    }

    /// The instant to decide and record at: `at`, else the clock.
    pub fn now(&self) -> Timestamp {
        self.at.unwrap_or_else(|| inbox_domain::time::truncate(chrono::Utc::now()))
    }
}

/// A refused or failed command, for callers without an error type of their own
/// (the CLI, fixtures, tests); the API maps both halves to its answers.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a command did.
#[derive(Debug, Clone)]
pub struct Executed {
    /// The events appended (empty for a command that changed nothing).
    pub events: Vec<StoredEvent>,
    /// The account after them (`None` once removed).
    pub state: State,
}

/// Runs a command on one account stream. `decide` sees the current state (`None`
/// for an account that does not exist, or was removed) and returns the command
/// to run, or refuses (e.g. an account the caller may not see). It may be called
/// again after a conflict, on the newer state.
pub async fn execute<S, E>(
    store: &S,
    envelope: &Envelope,
    stream_id: Uuid,
    mut decide: impl FnMut(&State) -> Result<Command, E>,
) -> Result<Executed, E>
where
    S: EventStore + AccountReads + ?Sized,
    E: From<DomainError> + From<StoreError>,
{
    for attempt in 1..=MAX_ATTEMPTS {
        let state = store.get_account(envelope.client_id, stream_id).await?;
        let cmd = decide(&state)?;
        let (events, next) =
            inbox_domain::execute(&state, stream_id, &cmd, &envelope.context(), &envelope.correlation_id)?;
        let commit = Commit {
            stream_id,
            client_id: envelope.client_id,
            expected_version: state.as_ref().map_or(0, |a| a.version),
            previous: state.clone(),
            events: events.clone(),
            state: next.clone(),
            idempotency: envelope.idempotency.as_ref().map(|i| i.record(&next)),
        };
        match store.commit(commit).await {
            Ok(()) => return Ok(Executed { events, state: next }),
            Err(StoreError::Conflict { .. }) if attempt < MAX_ATTEMPTS => backoff(attempt).await,
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the last attempt returns")
}

/// Starts a new stream: decided on the empty state without reading it (the id
/// is fresh), committed only if the stream does not exist. A stream that exists
/// already is [`DomainError::AlreadyExists`].
pub async fn create<S, E>(store: &S, envelope: &Envelope, stream_id: Uuid, cmd: &Command) -> Result<Executed, E>
where
    S: EventStore + AccountReads + ?Sized,
    E: From<DomainError> + From<StoreError>,
{
    let (events, state) = inbox_domain::execute(&None, stream_id, cmd, &envelope.context(), &envelope.correlation_id)?;
    let commit = Commit {
        stream_id,
        client_id: envelope.client_id,
        expected_version: 0,
        previous: None,
        events: events.clone(),
        state: state.clone(),
        idempotency: envelope.idempotency.as_ref().map(|i| i.record(&state)),
    };
    match store.commit(commit).await {
        Ok(()) => Ok(Executed { events, state }),
        Err(StoreError::Conflict { .. }) => Err(DomainError::AlreadyExists.into()),
        Err(e) => Err(e.into()),
    }
}

/// A short, growing, jittered pause, so racing writers do not retry in step.
pub(crate) async fn backoff(attempt: u32) {
    let jitter = u64::from(Uuid::new_v4().as_bytes()[0] % 4 + 1);
    tokio::time::sleep(Duration::from_millis(jitter * u64::from(attempt))).await;
}
