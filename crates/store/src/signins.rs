//! Started sign-ins with a provider (OAuth 2.0): one row per `state`, kept ten
//! minutes and taken once. The row holds what the callback needs and the
//! browser must not: the PKCE verifier, the OIDC nonce, the exact redirect URI.

use crate::Result;
use async_trait::async_trait;
use inbox_domain::{AccountId, ClientId, Timestamp};
use serde::{Deserialize, Serialize};

/// A sign-in waiting for the provider's callback. Keyed by the SHA-256 of its
/// `state` (the state itself travels only in the browser's URLs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    pub state_hash: String,
    pub client_id: ClientId,
    pub account_id: AccountId,
    pub integration: String,
    /// Who started it: the actor of the account's `AccountAuthorized` event.
    pub actor: String,
    pub code_verifier: String,
    pub nonce: String,
    pub redirect_uri: String,
    #[serde(with = "inbox_domain::time::serde_ts")]
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait SignIns: Send + Sync {
    /// Keeps a started sign-in until it is taken or expires; a state hash
    /// already kept is [`crate::StoreError::Duplicate`].
    async fn put_sign_in(&self, sign_in: &SignIn) -> Result<()>;
    /// Removes the sign-in and returns it, if it is kept and not expired at
    /// `now`. One atomic delete: of concurrent takes of one state, one wins.
    async fn take_sign_in(&self, state_hash: &str, now: Timestamp) -> Result<Option<SignIn>>;
}

/// The stored body of a sign-in, and back.
pub(crate) fn encode(s: &SignIn) -> String {
    serde_json::to_string(s).expect("sign-ins serialize")
}

pub(crate) fn decode(body: &str) -> Result<SignIn> {
    serde_json::from_str(body).map_err(|e| crate::StoreError::Internal(format!("stored sign-in is unreadable: {e}")))
}
