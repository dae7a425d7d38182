//! The credentials vault: provider tokens sealed by envelope encryption. Each
//! sealing draws a fresh data key (AES-256-GCM), itself sealed by the master
//! key; both carry the client and the account as additional data, so sealed
//! credentials copied to another account do not open. Removing an account
//! removes its read model, and with it the only copy of its data key.
//!
//! The master key: `INBOX_VAULT_KEY` (64 hex characters), else a key file in
//! the data folder (`vault-key`, 0600), made on first use.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use base64::Engine;
use inbox_domain::credentials::Sealed;
use inbox_domain::time::{serde_opt_ts, Timestamp};
use inbox_domain::{AccountId, ClientId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

const FORMAT: u8 = 1;
const KEY_FILE: &str = "vault-key";
const TAG: usize = 16;

/// What a provider handed over, as sealed. Never logged, never an event.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    pub access_token: String,
    pub refresh_token: Option<String>,
    #[serde(with = "serde_opt_ts")]
    pub expires_at: Option<Timestamp>,
    pub scope: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

pub struct Vault {
    key: [u8; 32],
    key_id: String,
}

impl Vault {
    /// The master key from `INBOX_VAULT_KEY`, else the data folder's key file.
    pub fn load(data_dir: &Path) -> Result<Vault, String> {
        let hex_key = match std::env::var("INBOX_VAULT_KEY").ok().filter(|v| !v.is_empty()) {
            Some(v) => v,
            None => crate::config::local_secret(data_dir, KEY_FILE, 64).map_err(|e| e.to_string())?,
        };
        let bytes = hex::decode(hex_key.trim()).ok().filter(|b| b.len() == 32);
        let key: [u8; 32] = bytes
            .and_then(|b| b.try_into().ok())
            .ok_or("INBOX_VAULT_KEY (or the vault-key file) must be 64 hex characters")?;
        Ok(Vault::new(key))
    }

    pub fn new(key: [u8; 32]) -> Vault {
        let key_id = format!("local:{}", &hex::encode(Sha256::digest(key))[..16]);
        Vault { key, key_id }
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn seal(&self, c: &Credentials, client: ClientId, account: AccountId) -> Sealed {
        let aad = context(client, account);
        let mut data_key = [0u8; 32];
        getrandom::fill(&mut data_key).expect("operating system randomness");
        let mut out = vec![FORMAT];
        out.extend(seal(&self.key, &aad, data_key.to_vec()));
        out.extend(seal(&data_key, &aad, serde_json::to_vec(c).expect("credentials serialize")));
        Sealed {
            key_id: self.key_id.clone(),
            blob: base64::engine::general_purpose::STANDARD.encode(out),
            expires_at: c.expires_at,
            refreshable: c.refresh_token.is_some(),
        }
    }

    pub fn open(&self, s: &Sealed, client: ClientId, account: AccountId) -> Result<Credentials, String> {
        if s.key_id != self.key_id {
            return Err(format!("sealed by key {}, not this vault's {}", s.key_id, self.key_id));
        }
        let bytes =
            base64::engine::general_purpose::STANDARD.decode(&s.blob).map_err(|_| "unreadable sealed credentials")?;
        let wrapped = NONCE_LEN + 32 + TAG;
        if bytes.len() < 1 + wrapped + NONCE_LEN + TAG || bytes[0] != FORMAT {
            return Err("unreadable sealed credentials".into());
        }
        let aad = context(client, account);
        let data_key = open(&self.key, &aad, &bytes[1..1 + wrapped])?;
        let data_key: [u8; 32] = data_key.try_into().map_err(|_| "unreadable data key")?;
        let plain = open(&data_key, &aad, &bytes[1 + wrapped..])?;
        serde_json::from_slice(&plain).map_err(|_| "unreadable credentials".into())
    }
}

/// The additional data both layers are bound to.
fn context(client: ClientId, account: AccountId) -> Vec<u8> {
    format!("inbox-accounts credentials v1 client={client} account={account}").into_bytes()
}

/// nonce ‖ ciphertext ‖ tag.
fn seal(key: &[u8; 32], aad: &[u8], mut data: Vec<u8>) -> Vec<u8> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("a 256-bit key"));
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).expect("operating system randomness");
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut data)
        .expect("sealing in memory");
    let mut out = nonce.to_vec();
    out.extend(data);
    out
}

fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, String> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("a 256-bit key"));
    let (nonce, data) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| "bad nonce")?;
    let mut data = data.to_vec();
    let plain =
        key.open_in_place(nonce, Aad::from(aad), &mut data).map_err(|_| "the sealed credentials do not open")?;
    Ok(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_credentials_open_only_for_their_account_and_key() {
        let vault = Vault::new([7; 32]);
        let (client, account) = (ClientId::new(), AccountId::new());
        let c = Credentials {
            access_token: "at-secret".into(),
            refresh_token: Some("rt-secret".into()),
            expires_at: None,
            scope: Some("openid".into()),
        };
        let sealed = vault.seal(&c, client, account);
        assert!(!sealed.blob.contains("secret") && !format!("{c:?}").contains("secret"));
        assert_eq!(vault.open(&sealed, client, account).unwrap(), c);
        assert!(vault.open(&sealed, client, AccountId::new()).is_err(), "another account's");
        assert!(vault.open(&sealed, ClientId::new(), account).is_err(), "another client's");
        assert!(Vault::new([8; 32]).open(&sealed, client, account).is_err(), "another key");
        let mut bytes = base64::engine::general_purpose::STANDARD.decode(&sealed.blob).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        let tampered = Sealed { blob: base64::engine::general_purpose::STANDARD.encode(bytes), ..sealed.clone() };
        assert!(vault.open(&tampered, client, account).is_err(), "tampered");
        assert_ne!(vault.seal(&c, client, account).blob, sealed.blob, "a fresh data key and nonces each time");
    }
}
