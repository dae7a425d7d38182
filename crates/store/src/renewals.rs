//! Renewals: which signed-in accounts' access tokens expire soon, so that a
//! scheduled run renews them before anyone needs them (and notices a grant the
//! provider no longer honours). Each store's account read-model writer keeps
//! this index in the command's own transaction: an account is in it while it
//! is authorized and holds renewable credentials, at their expiry.

use crate::Result;
use async_trait::async_trait;
use inbox_domain::{Account, AccountId, ClientId, Timestamp};

/// One account's place in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renewal {
    pub client_id: ClientId,
    pub account_id: AccountId,
    /// When its access token expires.
    pub expires_at: Timestamp,
}

/// The index entry of an account's state, if it has one.
pub fn due(a: Option<&Account>) -> Option<Timestamp> {
    let a = a.filter(|a| a.is_authorized)?;
    a.credentials.as_ref()?.renewal_due()
}

#[async_trait]
pub trait Renewals: Send + Sync {
    /// Accounts whose access token expires before `before`, soonest first, at most `limit`.
    async fn renewals_due(&self, before: Timestamp, limit: usize) -> Result<Vec<Renewal>>;
}
