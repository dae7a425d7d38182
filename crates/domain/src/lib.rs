//! Inbox Accounts domain: the account events, commands, `decide` and `apply`, the
//! projection and the hash chain. Pure logic without I/O; every store and handler
//! builds on it.

pub mod account;
pub mod audit;
pub mod commands;
pub mod events;
pub mod integrations;
pub mod text;
pub mod time;
pub mod webhooks;

pub use account::{advance, apply, project, Account, ReplayError, State, CUSTOMER_ACTOR_PREFIX};
pub use commands::{decide, Changes, Command, Context, DomainError, Field, Rule, Violation};
pub use events::{seal, verify_chain, AccountEvent, Metadata, Profile, StoredEvent, GENESIS_HASH};
pub use time::Timestamp;

/// Decides a command and seals the resulting events onto the stream head of `state`.
/// Returns the new events (empty for a no-op) and the state after them.
pub fn execute(
    state: &State,
    stream_id: uuid::Uuid,
    cmd: &Command,
    ctx: &Context,
    correlation_id: &str,
) -> Result<(Vec<StoredEvent>, State), DomainError> {
    let events = decide(state, cmd, ctx)?;
    let (version, prev) = match state {
        Some(a) => (a.version, a.last_hash.as_str()),
        None => (0, GENESIS_HASH),
    };
    let meta = Metadata {
        client_id: ctx.client_id,
        actor: ctx.actor.clone(),
        correlation_id: correlation_id.to_string(),
        recorded_at: ctx.now,
    };
    let stored = seal(stream_id, version, prev, &events, &meta);
    // The typed events are applied as decided: no decoding of what was just encoded.
    let next = events.iter().zip(&stored).fold(state.clone(), |s, (event, sealed)| {
        advance(s, event, sealed.version, &sealed.hash).expect("events just decided apply to their state")
    });
    Ok((stored, next))
}
