//! The account events, their stored envelope, and the hash chain over a stream.

use crate::aggregate::DomainEvent;
use crate::canonical::{write_str, write_value};
use crate::ids::{AccountId, ClientId};
use crate::time::{self, serde_opt_ts, serde_ts, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Schema version written with every new event; bump it (and add an upcaster in
/// [`StoredEvent::event`]) when a payload's shape changes.
pub const SCHEMA_VERSION: u32 = 1;

/// `prev_hash` of the first event of every stream.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The account lifecycle. The variant name is the stored event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload")]
pub enum AccountEvent {
    AccountConnected(Connected),
    AccountAuthorized(Profile),
    AccountDisconnected(Disconnected),
    HistorySyncSet(HistorySync),
    AccountUpdated(Writable),
    AccountRemoved(Removed),
    /// Provider credentials were stored or replaced (their value never is an event).
    CredentialsStored(crate::credentials::Stored),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Connected {
    pub account_id: AccountId,
    pub client_id: ClientId,
    /// Integration id (`whatsapp`, …).
    pub integration: String,
    /// Subject of the token that created the account (customers see only their own).
    pub created_by: String,
    pub reconnect_url: String,
    #[serde(with = "serde_ts")]
    pub connected_at: Timestamp,
}

/// The channel profile reported by the connector after a finished sign-in;
/// a field it does not report (`None`) keeps the account's current value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Profile {
    pub username: Option<String>,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
    pub platform_id: String,
    pub platform_username: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Disconnected {
    pub reason: String,
    pub reconnect_url: String,
    #[serde(with = "serde_ts")]
    pub disconnected_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HistorySync {
    #[serde(with = "serde_opt_ts")]
    pub history_sync_until: Option<Timestamp>,
}

/// The full new value of every field a PUT may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Writable {
    pub username: Option<String>,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
    pub share_past_history: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Removed {}

impl DomainEvent for AccountEvent {
    const TYPES: &'static [&'static str] = &[
        "AccountConnected",
        "AccountAuthorized",
        "AccountDisconnected",
        "HistorySyncSet",
        "AccountUpdated",
        "AccountRemoved",
        "CredentialsStored",
    ];

    fn event_type(&self) -> &'static str {
        match self {
            Self::AccountConnected(_) => "AccountConnected",
            Self::AccountAuthorized(_) => "AccountAuthorized",
            Self::AccountDisconnected(_) => "AccountDisconnected",
            Self::HistorySyncSet(_) => "HistorySyncSet",
            Self::AccountUpdated(_) => "AccountUpdated",
            Self::AccountRemoved(_) => "AccountRemoved",
            Self::CredentialsStored(_) => "CredentialsStored",
        }
    }
}

/// Who did it, for whom, and when: recorded with every event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub client_id: ClientId,
    pub actor: String,
    pub correlation_id: String,
    pub recorded_at: Timestamp,
}

/// An event as stored: the envelope every store keeps, and what auditors read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredEvent {
    pub stream_id: Uuid,
    pub version: u64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub schema_version: u32,
    pub payload: Value,
    /// The client the stream belongs to (stored and hashed as `tenant`).
    #[serde(rename = "tenant")]
    pub client_id: ClientId,
    pub actor: String,
    pub correlation_id: String,
    #[serde(with = "serde_ts")]
    pub recorded_at: Timestamp,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("event {stream_id} v{version}: unknown schema version {schema_version} of {event_type}")]
    UnknownSchema { stream_id: Uuid, version: u64, event_type: String, schema_version: u32 },
    #[error("event {stream_id} v{version}: cannot decode {event_type}: {reason}")]
    Payload { stream_id: Uuid, version: u64, event_type: String, reason: String },
}

impl StoredEvent {
    /// Decodes the account event.
    pub fn event(&self) -> Result<AccountEvent, DecodeError> {
        self.decode()
    }

    /// Decodes the domain event, through its upcaster for an older schema version.
    pub fn decode<E: DomainEvent>(&self) -> Result<E, DecodeError> {
        let payload_error = |reason: String| DecodeError::Payload {
            stream_id: self.stream_id,
            version: self.version,
            event_type: self.event_type.clone(),
            reason,
        };
        if self.schema_version != SCHEMA_VERSION {
            return match E::upcast(&self.event_type, self.schema_version, &self.payload) {
                Some(upcast) => upcast.map_err(payload_error),
                None => Err(DecodeError::UnknownSchema {
                    stream_id: self.stream_id,
                    version: self.version,
                    event_type: self.event_type.clone(),
                    schema_version: self.schema_version,
                }),
            };
        }
        // `{"type": …, "payload": …}` read in place: the payload is not copied.
        let tag = Value::String(self.event_type.clone());
        let fields = [("type", &tag), ("payload", &self.payload)];
        let tagged = serde::de::value::MapDeserializer::<_, serde_json::Error>::new(fields.into_iter());
        E::deserialize(tagged).map_err(|e| payload_error(e.to_string()))
    }

    /// The canonical encoding the hash covers: a JSON object of every field but the
    /// two hashes, keys sorted by code point at every depth, no whitespace.
    pub fn canonical(&self) -> String {
        let mut out = Vec::with_capacity(512);
        self.write_canonical(&mut out);
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    /// Written field by field (names in code-point order), not through a
    /// `json!` copy of the payload: `inbox audit verify` hashes every event.
    fn write_canonical(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        out.extend_from_slice(b"{\"actor\":");
        write_str(&self.actor, out);
        out.extend_from_slice(b",\"correlationId\":");
        write_str(&self.correlation_id, out);
        out.extend_from_slice(b",\"payload\":");
        write_value(&self.payload, out);
        out.extend_from_slice(b",\"recordedAt\":");
        write_str(&time::format(&self.recorded_at), out);
        let (schema, stream, tenant) = (self.schema_version, self.stream_id, self.client_id);
        write!(out, ",\"schemaVersion\":{schema},\"streamId\":\"{stream}\",\"tenant\":\"{tenant}\",\"type\":")
            .expect("writing to a Vec never fails");
        write_str(&self.event_type, out);
        write!(out, ",\"version\":{}}}", self.version).expect("writing to a Vec never fails");
    }

    /// `hex(sha256(prev_hash || "\n" || canonical))`.
    pub fn compute_hash(&self) -> String {
        hex::encode(self.digest())
    }

    /// Whether `hash` is the event's own: compared as bytes, with no hex string
    /// made (`inbox audit verify` checks every event).
    pub fn hash_matches(&self) -> bool {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let (digest, hash) = (self.digest(), self.hash.as_bytes());
        hash.len() == 2 * digest.len()
            && digest
                .iter()
                .zip(hash.chunks_exact(2))
                .all(|(b, h)| h == [HEX[(b >> 4) as usize], HEX[(b & 15) as usize]])
    }

    fn digest(&self) -> sha2::digest::Output<Sha256> {
        let mut canonical = Vec::with_capacity(512);
        self.write_canonical(&mut canonical);
        let mut h = Sha256::new();
        h.update(self.prev_hash.as_bytes());
        h.update(b"\n");
        h.update(&canonical);
        h.finalize()
    }
}

/// Turns freshly decided events into stored events: numbered after `version`,
/// each hash chained to the one before (`prev_hash` of the stream head).
pub fn seal<E: DomainEvent>(
    stream_id: Uuid,
    version: u64,
    prev_hash: &str,
    events: &[E],
    meta: &Metadata,
) -> Vec<StoredEvent> {
    let mut prev = prev_hash.to_string();
    let mut out = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        let mut stored = StoredEvent {
            stream_id,
            version: version + 1 + i as u64,
            event_type: e.event_type().to_string(),
            schema_version: SCHEMA_VERSION,
            payload: e.payload(),
            client_id: meta.client_id,
            actor: meta.actor.clone(),
            correlation_id: meta.correlation_id.clone(),
            recorded_at: time::truncate(meta.recorded_at),
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        stored.hash = stored.compute_hash();
        prev = stored.hash.clone();
        out.push(stored);
    }
    out
}

/// What is wrong with a stream's chain, if anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("stream {stream_id}: expected version {expected}, found {found}")]
    VersionGap { stream_id: Uuid, expected: u64, found: u64 },
    #[error("stream {stream_id} v{version}: prev_hash does not match the previous event's hash")]
    BrokenLink { stream_id: Uuid, version: u64 },
    #[error("stream {stream_id} v{version}: hash does not match the event's content")]
    BadHash { stream_id: Uuid, version: u64 },
    #[error("stream {stream_id} v{version}: event belongs to stream {found}")]
    WrongStream { stream_id: Uuid, version: u64, found: Uuid },
}

/// Checks one stream: versions 1..n without gaps, every link and every hash.
pub fn verify_chain(stream_id: Uuid, events: &[StoredEvent]) -> Result<(), ChainError> {
    let mut prev = GENESIS_HASH;
    for (i, e) in events.iter().enumerate() {
        let expected = i as u64 + 1;
        if e.stream_id != stream_id {
            return Err(ChainError::WrongStream { stream_id, version: e.version, found: e.stream_id });
        }
        if e.version != expected {
            return Err(ChainError::VersionGap { stream_id, expected, found: e.version });
        }
        if e.prev_hash != prev {
            return Err(ChainError::BrokenLink { stream_id, version: e.version });
        }
        if !e.hash_matches() {
            return Err(ChainError::BadHash { stream_id, version: e.version });
        }
        prev = &e.hash;
    }
    Ok(())
}
