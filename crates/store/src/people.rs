//! People and their sessions: a client's users with the history of their
//! changes, refresh-token families, and failed-login counters. Types and
//! traits; each backend implements them beside its other roles.

use crate::{Result, User};
use async_trait::async_trait;
use inbox_domain::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One recorded change of a user: the user's own stream of changes, with who
/// made it, when and under which request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserEvent {
    pub client_id: Uuid,
    pub user_id: Uuid,
    /// The user's version after this change (1 for its creation).
    pub version: u64,
    /// `UserCreated`, `UserChanged` or `UserDeleted`.
    pub event_type: String,
    /// What changed: `username`, `roles`, `enabled`, `passwordChanged` (never a password).
    pub changes: serde_json::Value,
    pub actor: String,
    pub correlation_id: String,
    #[serde(with = "inbox_domain::time::serde_ts")]
    pub recorded_at: Timestamp,
}

/// One user change, written atomically with its event, if the client's users
/// are still as they were read (`expected`, see [`Users::client_users`]).
#[derive(Debug, Clone)]
pub struct UserCommit {
    pub client_id: Uuid,
    pub expected: u64,
    /// The user before the change (`None`: created now).
    pub before: Option<User>,
    /// The user after it (`None`: deleted).
    pub after: Option<User>,
    pub event: UserEvent,
}

#[async_trait]
pub trait Users: Send + Sync {
    /// The version of the client's set of users, then the users (read in that
    /// order: a commit decided on them conflicts if anything changed since).
    async fn client_users(&self, client_id: Uuid) -> Result<(u64, Vec<User>)>;
    async fn get_user(&self, client_id: Uuid, id: Uuid) -> Result<Option<User>>;
    async fn find_user(&self, username: &str) -> Result<Option<User>>;
    /// [`crate::StoreError::Conflict`] if the client's users changed since
    /// `expected`; [`crate::StoreError::Duplicate`] if a new user's username is taken.
    async fn commit_user(&self, commit: &UserCommit) -> Result<()>;
    /// The user's changes, oldest first (also after its deletion).
    async fn user_events(&self, client_id: Uuid, user_id: Uuid) -> Result<Vec<UserEvent>>;
}

/// The refresh tokens descending from one login. Only its newest token
/// refreshes; presenting an older one revokes the family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshFamily {
    pub id: Uuid,
    pub client_id: Uuid,
    pub user_id: Uuid,
    /// The user's version at login: any later change of the user ends the family.
    pub user_version: u64,
    /// The hash of the newest token.
    pub current: String,
    pub revoked: bool,
    pub expires_at: Timestamp,
}

/// A refresh token, known by the SHA-256 of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub hash: String,
    pub family: Uuid,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait RefreshTokens: Send + Sync {
    /// A login: a new family and its first token (`family.current`).
    async fn start_family(&self, family: &RefreshFamily) -> Result<()>;
    /// The token and its family, expired or not (TTL deletes lazily).
    async fn find_refresh(&self, hash: &str) -> Result<Option<(RefreshToken, RefreshFamily)>>;
    /// Makes `next` the family's newest token if `used` still is, the family is
    /// not revoked, and its user is still enabled at `family.user_version` (one
    /// atomic write); `false` otherwise.
    async fn rotate_refresh(&self, family: &RefreshFamily, used: &str, next: &RefreshToken) -> Result<bool>;
    async fn revoke_family(&self, family: Uuid) -> Result<()>;
}

/// What taking a login attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Counted: the password may be checked.
    Allowed,
    /// Refused: `max` attempts failed in the window that started then.
    Refused { since: Timestamp },
}

#[async_trait]
pub trait LoginThrottle: Send + Sync {
    /// Counts one attempt for `username` at `now` — in a new window if the
    /// current one started before `window_start_after` — unless `max` are
    /// counted in the current window already. Atomic: of any number of
    /// concurrent attempts, at most `max` are allowed a window.
    async fn take_login_attempt(
        &self,
        username: &str,
        now: Timestamp,
        window_start_after: Timestamp,
        max: u32,
    ) -> Result<Attempt>;
    /// A successful login: the count starts again.
    async fn clear_login_failures(&self, username: &str) -> Result<()>;
}
