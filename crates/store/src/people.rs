//! People and their sessions: a client's users (the team's read model) and
//! their history, refresh-token families, and failed-login counters. Types and
//! traits; each backend implements them beside its other roles.

use crate::{Result, User, UserChange};
use async_trait::async_trait;
use inbox_domain::{ClientId, Team, Timestamp, UserId};
use uuid::Uuid;

#[async_trait]
pub trait Users: Send + Sync {
    /// The client's users and the head of the team's stream, as stored (`None`:
    /// no user yet). A team stored before teams had streams has an empty
    /// `last_hash` until it is upgraded.
    async fn team(&self, client_id: ClientId) -> Result<Option<Team>>;
    async fn get_user(&self, client_id: ClientId, id: UserId) -> Result<Option<User>>;
    async fn find_user(&self, username: &str) -> Result<Option<User>>;
    /// The user's changes, oldest first (also after its deletion).
    async fn user_changes(&self, client_id: ClientId, user_id: UserId) -> Result<Vec<UserChange>>;
}

/// The refresh tokens descending from one login. Only its newest token
/// refreshes; presenting an older one revokes the family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshFamily {
    pub id: Uuid,
    pub client_id: ClientId,
    pub user_id: UserId,
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
