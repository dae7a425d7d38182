//! The credentials vault: provider tokens sealed by envelope encryption. Each
//! sealing draws a fresh data key (AES-256-GCM) that seals the credentials;
//! the data key itself is sealed by the master key. Both layers are bound to
//! the client and the account, so sealed credentials copied to another
//! account do not open. Removing an account removes its read model, and with
//! it the only copy of its data key.
//!
//! The master key, in this order:
//! - `INBOX_KMS_KEY_ID` (on AWS): a KMS key makes each data key
//!   (`GenerateDataKey`) and opens it (`Decrypt`) with the encryption context
//!   `{client, account}` — which the functions' grants require, and which
//!   CloudTrail records beside each use;
//! - `INBOX_VAULT_KEY` (64 hex characters);
//! - else a key file in the data folder (`vault-key`, 0600), made on first use.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
#[cfg(feature = "kms")]
use aws_sdk_kms::{error::ProvideErrorMetadata, primitives::Blob};
use base64::Engine;
use inbox_domain::credentials::Sealed;
use inbox_domain::time::{serde_opt_ts, Timestamp};
use inbox_domain::{AccountId, ClientId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
#[cfg(feature = "kms")]
use std::collections::HashMap;
use std::path::Path;

/// The first byte of a sealed value: whose master key sealed its data key.
const LOCAL: u8 = 1;
const KMS: u8 = 2;
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
    master: Master,
    /// The master key's name in what it seals (`local:{hash}`, or the KMS key's ARN).
    key_id: String,
}

enum Master {
    Local([u8; 32]),
    #[cfg(feature = "kms")]
    Kms(aws_sdk_kms::Client),
}

impl Vault {
    /// The vault the environment names: KMS with `INBOX_KMS_KEY_ID`, else [`Vault::load`].
    pub async fn from_env(data_dir: &Path) -> Result<Vault, String> {
        match std::env::var("INBOX_KMS_KEY_ID").ok().filter(|v| !v.is_empty()) {
            #[cfg(feature = "kms")]
            Some(key) => {
                let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
                Ok(Vault::kms(aws_sdk_kms::Client::new(&sdk), &key))
            }
            // Only the functions that hold credentials link the KMS client.
            #[cfg(not(feature = "kms"))]
            Some(_) => Err("INBOX_KMS_KEY_ID is set, but this build has no KMS client (the `kms` feature)".into()),
            None => Vault::load(data_dir),
        }
    }

    /// The local master key from `INBOX_VAULT_KEY`, else the data folder's key file.
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
        Vault { master: Master::Local(key), key_id }
    }

    /// A vault whose data keys come from the KMS key `key` (an id, ARN or alias).
    #[cfg(feature = "kms")]
    pub fn kms(client: aws_sdk_kms::Client, key: &str) -> Vault {
        Vault { master: Master::Kms(client), key_id: key.to_string() }
    }

    pub async fn seal(&self, c: &Credentials, client: ClientId, account: AccountId) -> Result<Sealed, String> {
        let aad = context(client, account);
        let (data_key, mut out, key_id) = match &self.master {
            Master::Local(key) => {
                let mut data_key = [0u8; 32];
                getrandom::fill(&mut data_key).expect("operating system randomness");
                let mut out = vec![LOCAL];
                out.extend(seal(key, &aad, data_key.to_vec()));
                (data_key, out, self.key_id.clone())
            }
            #[cfg(feature = "kms")]
            Master::Kms(kms) => {
                let made = kms
                    .generate_data_key()
                    .set_encryption_context(kms_context(client, account))
                    .key_id(&self.key_id)
                    .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
                    .send()
                    .await
                    .map_err(|e| kms_error("GenerateDataKey", &e))?;
                let plain = made.plaintext.as_ref().map(|b| b.as_ref().to_vec()).unwrap_or_default();
                let data_key: [u8; 32] = plain.try_into().map_err(|_| "KMS returned no 256-bit data key")?;
                let wrapped = made.ciphertext_blob.map(Blob::into_inner).unwrap_or_default();
                let length = u16::try_from(wrapped.len()).map_err(|_| "KMS returned an oversized data key")?;
                let mut out = vec![KMS];
                out.extend(length.to_be_bytes());
                out.extend(wrapped);
                // The key's ARN, whichever name configured it: what opens it again.
                (data_key, out, made.key_id.unwrap_or_else(|| self.key_id.clone()))
            }
        };
        out.extend(seal(&data_key, &aad, serde_json::to_vec(c).expect("credentials serialize")));
        Ok(Sealed {
            key_id,
            blob: base64::engine::general_purpose::STANDARD.encode(out),
            expires_at: c.expires_at,
            refreshable: c.refresh_token.is_some(),
        })
    }

    pub async fn open(&self, s: &Sealed, client: ClientId, account: AccountId) -> Result<Credentials, String> {
        let unreadable = || "unreadable sealed credentials".to_string();
        let bytes = base64::engine::general_purpose::STANDARD.decode(&s.blob).map_err(|_| unreadable())?;
        let aad = context(client, account);
        let (data_key, rest) = match (&self.master, bytes.first()) {
            (Master::Local(key), Some(&LOCAL)) => {
                if s.key_id != self.key_id {
                    return Err(format!("sealed by key {}, not this vault's {}", s.key_id, self.key_id));
                }
                let wrapped = NONCE_LEN + 32 + TAG;
                let wrapped = bytes.get(1..1 + wrapped).ok_or_else(unreadable)?;
                (open(key, &aad, wrapped)?, &bytes[1 + wrapped.len()..])
            }
            #[cfg(feature = "kms")]
            (Master::Kms(kms), Some(&KMS)) => {
                let length = bytes.get(1..3).ok_or_else(unreadable)?;
                let end = 3 + u16::from_be_bytes([length[0], length[1]]) as usize;
                let wrapped = bytes.get(3..end).ok_or_else(unreadable)?;
                // Named, so that a data key of any other KMS key is refused by KMS.
                let opened = kms
                    .decrypt()
                    .set_encryption_context(kms_context(client, account))
                    .key_id(&s.key_id)
                    .ciphertext_blob(Blob::new(wrapped))
                    .send()
                    .await
                    .map_err(|e| kms_error("Decrypt", &e))?;
                (opened.plaintext.map(Blob::into_inner).unwrap_or_default(), &bytes[end..])
            }
            // Without KMS a local vault opens every `LOCAL` value above.
            #[cfg_attr(not(feature = "kms"), allow(unreachable_patterns))]
            (_, Some(&LOCAL | &KMS)) => {
                return Err(format!("sealed by key {}, which this vault ({}) does not hold", s.key_id, self.key_id))
            }
            _ => return Err(unreadable()),
        };
        let data_key: [u8; 32] = data_key.try_into().map_err(|_| "unreadable data key")?;
        if rest.len() < NONCE_LEN + TAG {
            return Err(unreadable());
        }
        let plain = open(&data_key, &aad, rest)?;
        serde_json::from_slice(&plain).map_err(|_| "unreadable credentials".into())
    }
}

/// The KMS encryption context of an account's data key.
#[cfg(feature = "kms")]
fn kms_context(client: ClientId, account: AccountId) -> Option<HashMap<String, String>> {
    Some(HashMap::from([("client".into(), client.to_string()), ("account".into(), account.to_string())]))
}

#[cfg(feature = "kms")]
fn kms_error<E: ProvideErrorMetadata + std::fmt::Display>(call: &str, e: &E) -> String {
    let code = e.code().unwrap_or("no code");
    format!("KMS {call} failed ({code}): {}", e.message().map(str::to_string).unwrap_or_else(|| e.to_string()))
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

    #[tokio::test]
    async fn sealed_credentials_open_only_for_their_account_and_key() {
        let vault = Vault::new([7; 32]);
        let (client, account) = (ClientId::new(), AccountId::new());
        let c = Credentials {
            access_token: "at-secret".into(),
            refresh_token: Some("rt-secret".into()),
            expires_at: None,
            scope: Some("openid".into()),
        };
        let sealed = vault.seal(&c, client, account).await.unwrap();
        assert!(!sealed.blob.contains("secret") && !format!("{c:?}").contains("secret"));
        assert_eq!(vault.open(&sealed, client, account).await.unwrap(), c);
        assert!(vault.open(&sealed, client, AccountId::new()).await.is_err(), "another account's");
        assert!(vault.open(&sealed, ClientId::new(), account).await.is_err(), "another client's");
        assert!(Vault::new([8; 32]).open(&sealed, client, account).await.is_err(), "another key");
        let mut bytes = base64::engine::general_purpose::STANDARD.decode(&sealed.blob).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        let tampered = Sealed { blob: base64::engine::general_purpose::STANDARD.encode(bytes), ..sealed.clone() };
        assert!(vault.open(&tampered, client, account).await.is_err(), "tampered");
        assert_ne!(
            vault.seal(&c, client, account).await.unwrap().blob,
            sealed.blob,
            "a fresh data key and nonces each time"
        );
    }
}
