//! What the one command path needs of each kind of stream beyond the domain's
//! [`Aggregate`]: how its state is read back, and which read model its commit
//! writes. One impl per aggregate; [`crate::commands`] is generic over them.

use crate::{ReadModel, Result, Store, StoreError};
use inbox_domain::TeamRefusal;
use inbox_domain::{Account, AccountId, Aggregate, ClientId, DomainError, Endpoint, EndpointId, EndpointRefusal, Team};
use std::future::Future;
use uuid::Uuid;

/// A stream kind the store can run commands on.
pub trait Stream: Aggregate {
    /// The current state of stream `id` of `client` (with its head), from its
    /// read model: one read.
    fn load<'a, S: Store + ?Sized>(
        store: &'a S,
        client: ClientId,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Self>>> + Send + 'a;

    /// What a commit writes beside the events.
    fn read_model(before: Option<&Self>, after: Option<&Self>) -> ReadModel;

    /// The refusal of a creation whose stream exists already.
    fn already_exists() -> Self::Refusal;
}

/// A read model stored before its kind had streams cannot take commands until
/// the upgrade made its stream (`inbox dynamodb migrate`).
fn not_upgraded(what: &str) -> StoreError {
    StoreError::Unavailable(format!("{what} was stored by an older version: run `inbox dynamodb migrate`"))
}

impl Stream for Account {
    fn load<'a, S: Store + ?Sized>(
        store: &'a S,
        client: ClientId,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Self>>> + Send + 'a {
        store.get_account(client, AccountId(id))
    }

    fn read_model(before: Option<&Self>, after: Option<&Self>) -> ReadModel {
        ReadModel::Account { before: before.cloned(), after: after.cloned() }
    }

    fn already_exists() -> DomainError {
        DomainError::AlreadyExists
    }
}

impl Stream for Team {
    async fn load<S: Store + ?Sized>(store: &S, client: ClientId, _id: Uuid) -> Result<Option<Self>> {
        match store.team(client).await? {
            // Users but no stream head: stored before teams had streams.
            Some(t) if t.last_hash.is_empty() && (t.version > 0 || !t.members.is_empty()) => {
                Err(not_upgraded("this client's team"))
            }
            other => Ok(other),
        }
    }

    fn read_model(before: Option<&Self>, after: Option<&Self>) -> ReadModel {
        ReadModel::Team { before: before.cloned(), after: after.cloned() }
    }

    fn already_exists() -> TeamRefusal {
        TeamRefusal::AlreadyExists
    }
}

impl Stream for Endpoint {
    async fn load<S: Store + ?Sized>(store: &S, client: ClientId, id: Uuid) -> Result<Option<Self>> {
        match store.webhook_endpoint(client, EndpointId(id)).await? {
            Some(e) if e.last_hash.is_empty() => Err(not_upgraded("this webhook endpoint")),
            other => Ok(other),
        }
    }

    fn read_model(_before: Option<&Self>, after: Option<&Self>) -> ReadModel {
        ReadModel::Webhook { after: after.cloned() }
    }

    fn already_exists() -> EndpointRefusal {
        EndpointRefusal::AlreadyExists
    }
}
