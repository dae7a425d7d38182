//! Inbox Accounts domain: every stream as an [`Aggregate`] — accounts, a
//! client's team of users, webhook endpoints — with its events, commands,
//! `decide` and `apply`; the stored envelope and its hash chain; replay and
//! audit. Pure logic without I/O; every store and handler builds on it.

pub mod account;
pub mod aggregate;
pub mod audit;
mod canonical;
pub mod commands;
pub mod credentials;
pub mod endpoint;
pub mod events;
pub mod ids;
pub mod integrations;
pub mod signin;
pub mod status;
pub mod team;
pub mod text;
pub mod time;
pub mod tlog;
pub mod webhooks;

pub use account::{apply, project, Account, State, CUSTOMER_ACTOR_PREFIX};
pub use aggregate::{Aggregate, DomainEvent, ReplayError, StreamKind};
pub use commands::{decide, Changes, Command, Context, DomainError, Field, Rule, Violation};
pub use endpoint::{Endpoint, EndpointCommand, EndpointRefusal};
pub use events::{seal, verify_chain, AccountEvent, Metadata, Profile, StoredEvent, GENESIS_HASH};
pub use ids::{AccountId, ClientId, EndpointId, UserId};
pub use team::{Role, Team, TeamCommand, TeamRefusal, User};
pub use time::Timestamp;

/// Decides an account command and seals the resulting events onto the stream
/// head of `state` (see [`aggregate::execute`]).
pub fn execute(
    state: &State,
    stream_id: uuid::Uuid,
    cmd: &Command,
    ctx: &Context,
    correlation_id: &str,
) -> Result<(Vec<StoredEvent>, State), DomainError> {
    aggregate::execute::<Account>(state.as_ref(), stream_id, cmd, ctx, correlation_id)
}
