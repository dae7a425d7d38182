//! Provider credentials as an account's stream knows them: that they were
//! stored, by which key, for which scopes and until when — never their value.
//! The sealed value lives in the account's read model (as a user's password
//! hash lives in the team's), written in the same commit as the event.

use crate::time::{serde_opt_ts, Timestamp};
use serde::{Deserialize, Serialize};

/// What `CredentialsStored` records: the vault key, scopes and expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Stored {
    /// The vault's key that sealed them (`local:…`, `kms:…`).
    pub key_id: String,
    pub scopes: Option<String>,
    /// When the access token expires.
    #[serde(with = "serde_opt_ts")]
    pub expires_at: Option<Timestamp>,
    /// Whether a refresh token is held (the access token can be renewed).
    pub refreshable: bool,
}

/// Credentials as the vault sealed them: opaque without its key, but labelled
/// with what is no secret and lets them be renewed on time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sealed {
    pub key_id: String,
    /// Base64 of the wrapped data key, the nonces and the ciphertext.
    pub blob: String,
    /// When the access token expires.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_opt_ts")]
    pub expires_at: Option<Timestamp>,
    /// Whether a refresh token is sealed with it.
    #[serde(default)]
    pub refreshable: bool,
}

impl Sealed {
    /// When these credentials are due for renewal ahead of need: their expiry,
    /// if they can be renewed at all.
    pub fn renewal_due(&self) -> Option<Timestamp> {
        self.expires_at.filter(|_| self.refreshable)
    }
}
