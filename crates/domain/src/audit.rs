//! Audit: replaying a stream of any kind with every check, and comparing with
//! what was stored. Pure functions shared by `inbox audit verify`,
//! `verify-export` and rebuild.

use crate::account::{Account, State};
use crate::aggregate::{replay, Aggregate, StreamKind};
use crate::endpoint::Endpoint;
use crate::events::{verify_chain, StoredEvent};
use crate::team::Team;
use uuid::Uuid;

/// One thing wrong with one stream's history, precise enough to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: StreamKind,
    pub stream_id: Uuid,
    /// The version where the history stops being trustworthy, when there is one.
    pub version: Option<u64>,
    pub problem: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let noun = self.kind.noun();
        match self.version {
            Some(v) => write!(f, "{noun} {} v{v}: {}", self.stream_id, self.problem),
            None => write!(f, "{noun} {}: {}", self.stream_id, self.problem),
        }
    }
}

/// The state a stream's replay ends in, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replayed {
    Account(State),
    Team(Option<Team>),
    Webhook(Option<Endpoint>),
}

/// The kind of a stream, from its first event's type (an account if unknown:
/// its replay then says what is wrong).
pub fn kind_of(events: &[StoredEvent]) -> StreamKind {
    events.first().and_then(|e| StreamKind::of(&e.event_type)).unwrap_or(StreamKind::Account)
}

/// Checks the chain (versions 1..n, links, hashes) and replays the stream as
/// its kind.
pub fn replay_any(stream_id: Uuid, events: &[StoredEvent]) -> Result<Replayed, Finding> {
    Ok(match kind_of(events) {
        StreamKind::Account => Replayed::Account(replay_checked::<Account>(stream_id, events)?),
        StreamKind::Team => Replayed::Team(replay_checked::<Team>(stream_id, events)?),
        StreamKind::Webhook => Replayed::Webhook(replay_checked::<Endpoint>(stream_id, events)?),
    })
}

/// Checks the chain and replays the stream as an `A`.
pub fn replay_checked<A: Aggregate>(stream_id: Uuid, events: &[StoredEvent]) -> Result<Option<A>, Finding> {
    use crate::events::ChainError::*;
    let finding = |version: u64, problem: String| Finding { kind: A::KIND, stream_id, version: Some(version), problem };
    verify_chain(stream_id, events).map_err(|e| {
        let version = match &e {
            VersionGap { expected, .. } => *expected,
            BrokenLink { version, .. } | BadHash { version, .. } | WrongStream { version, .. } => *version,
        };
        finding(version, e.to_string())
    })?;
    if let Some(e) = events.iter().find(|e| e.client_id != events[0].client_id) {
        return Err(finding(e.version, "event of another client".into()));
    }
    replay::<A>(events).map_err(|e| finding(e.version(), e.to_string()))
}

/// Compares a stored state with the replay of its stream (credentials, which
/// no event records, aside).
pub fn compare<A: Aggregate>(stream_id: Uuid, replayed: &Option<A>, stored: &Option<A>) -> Option<Finding> {
    let plain = |s: &Option<A>| s.as_ref().map(A::without_secrets);
    if plain(replayed) == plain(stored) {
        return None;
    }
    let version = |s: &Option<A>| s.as_ref().map(A::version);
    let describe = |s: &Option<A>| s.as_ref().map_or_else(|| "absent".to_string(), |a| format!("v{}", a.version()));
    Some(Finding {
        kind: A::KIND,
        stream_id,
        version: version(replayed).max(version(stored)),
        problem: format!(
            "stored read model ({}) differs from the replay of its events ({})",
            describe(stored),
            describe(replayed)
        ),
    })
}

/// The account as it was at `at`: the replay of the events recorded until then.
pub fn state_at(events: &[StoredEvent], at: crate::Timestamp) -> Result<State, crate::ReplayError> {
    replay::<Account>(events.iter().take_while(|e| e.recorded_at <= at))
}
