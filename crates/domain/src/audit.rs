//! Audit: replaying a stream with every check, and comparing with what was stored.
//! Pure functions shared by `inbox audit verify`, `verify-export` and rebuild.

use crate::account::{project, State};
use crate::events::{verify_chain, StoredEvent};
use uuid::Uuid;

/// One thing wrong with one account's history, precise enough to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub stream_id: Uuid,
    /// The version where the history stops being trustworthy, when there is one.
    pub version: Option<u64>,
    pub problem: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.version {
            Some(v) => write!(f, "account {} v{v}: {}", self.stream_id, self.problem),
            None => write!(f, "account {}: {}", self.stream_id, self.problem),
        }
    }
}

/// Checks the chain (versions 1..n, links, hashes) and replays the stream.
pub fn replay_checked(stream_id: Uuid, events: &[StoredEvent]) -> Result<State, Finding> {
    use crate::events::ChainError::*;
    verify_chain(stream_id, events).map_err(|e| {
        let version = match &e {
            VersionGap { expected, .. } => *expected,
            BrokenLink { version, .. } | BadHash { version, .. } | WrongStream { version, .. } => *version,
        };
        Finding { stream_id, version: Some(version), problem: e.to_string() }
    })?;
    if let Some(e) = events.iter().find(|e| e.client_id != events[0].client_id) {
        return Err(Finding { stream_id, version: Some(e.version), problem: "event of another client".into() });
    }
    project(events).map_err(|e| {
        let version = match &e {
            crate::ReplayError::Decode(d) => match d {
                crate::events::DecodeError::UnknownSchema { version, .. }
                | crate::events::DecodeError::Payload { version, .. } => *version,
            },
            crate::ReplayError::Unexpected { version, .. } => *version,
        };
        Finding { stream_id, version: Some(version), problem: e.to_string() }
    })
}

/// Compares a stored read model with the replay of its stream, as JSON.
pub fn compare(stream_id: Uuid, replayed: &State, stored: &State) -> Option<Finding> {
    // Equal values serialize alike; only unequal ones are compared as JSON.
    let json = |s: &State| serde_json::to_string(s).expect("accounts serialize");
    if replayed == stored || json(replayed) == json(stored) {
        return None;
    }
    let version = |s: &State| s.as_ref().map(|a| a.version);
    let describe = |s: &State| match s {
        Some(a) => format!("v{}", a.version),
        None => "absent".to_string(),
    };
    Some(Finding {
        stream_id,
        version: version(replayed).max(version(stored)),
        problem: format!(
            "stored read model ({}) differs from the replay of its events ({})",
            describe(stored),
            describe(replayed)
        ),
    })
}

/// The state as it was at `at`: the replay of the events recorded until then.
pub fn state_at(events: &[StoredEvent], at: crate::Timestamp) -> Result<State, crate::ReplayError> {
    project(events.iter().take_while(|e| e.recorded_at <= at))
}
