//! The one path of a user change — from the API, the CLI or a test: read the
//! client's users, decide, write the change and its event in one transaction if
//! the client's users are still as read, else decide again on the newer set.

use crate::commands::{backoff, Envelope, MAX_ATTEMPTS};
use crate::{StoreError, User, UserCommit, UserEvent, Users};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// What a decision makes of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The user as it should be from now on (new, or changed).
    Put(User),
    Delete,
}

/// Changes the user `user_id` of the envelope's client. `decide` sees the
/// client's users (the one changed among them, unless new) and returns what
/// the user becomes, or refuses. A decision that changes nothing writes nothing.
/// Returns the user after the change (`None` once deleted).
pub async fn change<S, E>(
    store: &S,
    envelope: &Envelope,
    user_id: Uuid,
    mut decide: impl FnMut(&[User]) -> Result<Decision, E>,
) -> Result<Option<User>, E>
where
    S: Users + ?Sized,
    E: From<StoreError>,
{
    for attempt in 1..=MAX_ATTEMPTS {
        let (expected, users) = store.client_users(envelope.client_id).await?;
        let before = users.iter().find(|u| u.id == user_id).cloned();
        let after = match decide(&users)? {
            Decision::Put(mut u) => {
                u.version = before.as_ref().map_or(0, |b| b.version) + 1;
                Some(u)
            }
            Decision::Delete => None,
        };
        let Some(event) = event(envelope, user_id, before.as_ref(), after.as_ref()) else { return Ok(before) };
        let commit = UserCommit { client_id: envelope.client_id, expected, before, after: after.clone(), event };
        match store.commit_user(&commit).await {
            Ok(()) => return Ok(after),
            Err(StoreError::Conflict { .. }) if attempt < MAX_ATTEMPTS => backoff(attempt).await,
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the last attempt returns")
}

/// Creates a user (the CLI, fixtures, tests): [`StoreError::Duplicate`] if its
/// username is taken.
pub async fn create<S: Users + ?Sized>(store: &S, envelope: &Envelope, user: &User) -> Result<User, StoreError> {
    let created = change(store, envelope, user.id, |users| {
        if users.iter().any(|u| u.id == user.id) {
            return Err(StoreError::Duplicate(format!("user {}", user.id)));
        }
        Ok(Decision::Put(user.clone()))
    })
    .await?;
    Ok(created.expect("a put user exists"))
}

/// The event recording `before` → `after`; `None` if nothing changed.
fn event(envelope: &Envelope, user_id: Uuid, before: Option<&User>, after: Option<&User>) -> Option<UserEvent> {
    let mut changes = Map::new();
    let (event_type, version) = match (before, after) {
        (None, None) => return None,
        (None, Some(a)) => {
            changes.insert("username".into(), json!(a.username));
            changes.insert("roles".into(), json!(a.roles));
            changes.insert("enabled".into(), json!(a.enabled));
            ("UserCreated", a.version)
        }
        (Some(b), Some(a)) => {
            if a.roles != b.roles {
                changes.insert("roles".into(), json!(a.roles));
            }
            if a.enabled != b.enabled {
                changes.insert("enabled".into(), json!(a.enabled));
            }
            if a.password_hash != b.password_hash {
                changes.insert("passwordChanged".into(), json!(true));
            }
            if changes.is_empty() {
                return None;
            }
            ("UserChanged", a.version)
        }
        (Some(b), None) => ("UserDeleted", b.version + 1),
    };
    Some(UserEvent {
        client_id: envelope.client_id,
        user_id,
        version,
        event_type: event_type.into(),
        changes: Value::Object(changes),
        actor: envelope.actor.clone(),
        correlation_id: envelope.correlation_id.clone(),
        recorded_at: envelope.now(),
    })
}
