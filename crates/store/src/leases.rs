//! Leases: one holder at a time for a short task that must not run twice at
//! once (refreshing an account's provider token), by a conditional write.

use crate::Result;
use async_trait::async_trait;
use inbox_domain::Timestamp;

#[async_trait]
pub trait Leases: Send + Sync {
    /// Takes the lease `name` for `holder` until `until`, if no one holds it
    /// at `now`: `true` if taken. Of concurrent takes, at most one wins.
    async fn take_lease(&self, name: &str, holder: &str, until: Timestamp, now: Timestamp) -> Result<bool>;
    /// Gives the lease back, if `holder` still holds it.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<()>;
}
