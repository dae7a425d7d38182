//! The one command path: every write to every stream — an account, a client's
//! team, a webhook endpoint; from a handler, the CLI, the dispatcher, fixtures
//! or a test — goes through [`execute`] (or [`create`] for a fresh id). It
//! loads the read model (which carries the stream head and last hash), decides,
//! seals, commits events and read model in one transaction, and on a version
//! conflict decides again on the new state, a bounded number of times.

use crate::{Commit, IdempotencyRecord, KeyClaim, Store, StoreError, StoredAnswer, Stream};
use inbox_domain::{Aggregate, ClientId, Context, DomainError, EndpointRefusal, StoredEvent, TeamRefusal, Timestamp};
use std::any::Any;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Attempts of a command whose stream moved on meanwhile, before giving up
/// with [`StoreError::Conflict`] (the API answers 409).
pub const MAX_ATTEMPTS: u32 = 10;

/// Who asks, for which client, under which request id.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub client_id: ClientId,
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

/// A held `Idempotency-Key`, and how to word the answer from the stream's
/// state after the command (the caller's representation of it).
#[derive(Clone)]
pub struct Idempotent {
    pub claim: KeyClaim,
    answer: Answer,
}

/// Words the answer from a stream's state (`None`: a state of another kind).
type Answer = Arc<dyn Fn(&dyn Any) -> Option<StoredAnswer> + Send + Sync>;

impl std::fmt::Debug for Idempotent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotent").field("claim", &self.claim).finish_non_exhaustive()
    }
}

impl Idempotent {
    /// A key answered from the state (`Option<A>`) of a stream of kind `A`.
    pub fn new<A: Aggregate>(
        claim: KeyClaim,
        answer: impl Fn(&Option<A>) -> StoredAnswer + Send + Sync + 'static,
    ) -> Self {
        let answer = move |state: &dyn Any| state.downcast_ref::<Option<A>>().map(&answer);
        Idempotent { claim, answer: Arc::new(answer) }
    }

    /// The record to commit; `None` for a command on a stream of another kind
    /// than the key's answer reads (the key is then released by its holder).
    fn record<A: Aggregate>(&self, state: &Option<A>) -> Option<IdempotencyRecord> {
        Some(IdempotencyRecord {
            client_id: self.claim.client_id,
            key: self.claim.key.clone(),
            fingerprint: self.claim.fingerprint.clone(),
            owner: self.claim.owner.clone(),
            answer: (self.answer)(state)?,
            expires_at: self.claim.expires_at,
        })
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

/// A command refused by its stream's rules (`R`: the aggregate's refusal, an
/// account's by default) or failed in the store, kept apart so a caller can
/// word each (the API, the CLI, fixtures, tests).
#[derive(Debug, thiserror::Error)]
pub enum CommandError<R = DomainError> {
    #[error("{0}")]
    Domain(R),
    #[error(transparent)]
    Store(#[from] StoreError),
}

macro_rules! refused_by {
    ($($refusal:ty),*) => {$(
        impl From<$refusal> for CommandError<$refusal> {
            fn from(r: $refusal) -> Self {
                CommandError::Domain(r)
            }
        }
    )*};
}
refused_by!(DomainError, TeamRefusal, EndpointRefusal);

/// What a command did.
#[derive(Debug, Clone)]
pub struct Executed<A> {
    /// The events appended (empty for a command that changed nothing).
    pub events: Vec<StoredEvent>,
    /// The stream's state after them (`None` once ended: a removed account).
    pub state: Option<A>,
}

/// Seals the decision on `state` and commits it with the read model.
async fn decide_and_commit<A, S>(
    store: &S,
    envelope: &Envelope,
    stream_id: Uuid,
    state: Option<A>,
    cmd: &A::Command,
) -> Result<Executed<A>, Failed<A::Refusal>>
where
    A: Stream,
    S: Store + ?Sized,
{
    let ctx = envelope.context();
    let (events, next) =
        inbox_domain::aggregate::execute(state.as_ref(), stream_id, cmd, &ctx, &envelope.correlation_id)
            .map_err(Failed::Refused)?;
    let commit = Commit {
        client_id: envelope.client_id,
        stream_id,
        expected_version: state.as_ref().map_or(0, Aggregate::version),
        events: events.clone(),
        read_model: A::read_model(state.as_ref(), next.as_ref()),
        idempotency: envelope.idempotency.as_ref().and_then(|i| i.record(&next)),
    };
    store.commit(commit).await.map_err(Failed::Store)?;
    Ok(Executed { events, state: next })
}

/// Runs a command on stream `stream_id` of kind `A`. `decide` sees the current
/// state (`None` for a stream that does not exist, or has ended) and returns
/// the command to run, or refuses (e.g. an account the caller may not see). It
/// may be called again after a conflict, on the newer state.
pub async fn execute<A, S, E>(
    store: &S,
    envelope: &Envelope,
    stream_id: Uuid,
    mut decide: impl FnMut(Option<&A>) -> Result<A::Command, E>,
) -> Result<Executed<A>, E>
where
    A: Stream,
    S: Store + ?Sized,
    E: From<A::Refusal> + From<StoreError>,
{
    for attempt in 1..=MAX_ATTEMPTS {
        let state = A::load(store, envelope.client_id, stream_id).await?;
        let cmd = decide(state.as_ref())?;
        match decide_and_commit(store, envelope, stream_id, state, &cmd).await {
            Ok(done) => return Ok(done),
            Err(Failed::Store(StoreError::Conflict { .. })) if attempt < MAX_ATTEMPTS => backoff(attempt).await,
            Err(e) => return Err(e.into_caller()),
        }
    }
    unreachable!("the last attempt returns")
}

/// Starts a new stream: decided on the empty state without reading it (the id
/// is fresh), committed only if the stream does not exist. A stream that exists
/// already is refused as [`Stream::already_exists`].
pub async fn create<A, S, E>(
    store: &S,
    envelope: &Envelope,
    stream_id: Uuid,
    cmd: &A::Command,
) -> Result<Executed<A>, E>
where
    A: Stream,
    S: Store + ?Sized,
    E: From<A::Refusal> + From<StoreError>,
{
    match decide_and_commit(store, envelope, stream_id, None, cmd).await {
        Err(Failed::Store(StoreError::Conflict { .. })) => Err(A::already_exists().into()),
        other => other.map_err(Failed::into_caller),
    }
}

/// A refusal or a store error, before the caller's error type: conflicts are
/// told apart from the rest whatever that type is.
enum Failed<R> {
    Refused(R),
    Store(StoreError),
}

impl<R> Failed<R> {
    fn into_caller<E: From<R> + From<StoreError>>(self) -> E {
        match self {
            Failed::Refused(r) => r.into(),
            Failed::Store(e) => e.into(),
        }
    }
}

/// A short, growing, jittered pause, so racing writers do not retry in step.
pub(crate) async fn backoff(attempt: u32) {
    let jitter = u64::from(Uuid::new_v4().as_bytes()[0] % 4 + 1);
    tokio::time::sleep(Duration::from_millis(jitter * u64::from(attempt))).await;
}
