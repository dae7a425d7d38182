//! A log entry: what a leaf of the client's tree commits to. The payload is
//! held by its hash only, so that a payload erased later for privacy leaves
//! the tree, and every proof, intact.

use super::merkle::{leaf_hash, Hash};
use crate::events::StoredEvent;
use crate::ids::ClientId;
use crate::time::{self, Timestamp};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Names the encoding in every entry.
const FORMAT: &str = "inbox-accounts/log-entry/v1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub client: ClientId,
    /// The entry's place in the client's log (gapless from 0).
    pub index: u64,
    pub stream: Uuid,
    pub version: u64,
    pub event_type: String,
    pub recorded_at: Timestamp,
    /// SHA-256 of the payload's canonical JSON (the hash chain's encoding).
    pub payload: Hash,
}

impl Entry {
    /// The entry of `event`, at `index` of its client's log.
    pub fn of(event: &StoredEvent, index: u64) -> Entry {
        let mut canonical = Vec::with_capacity(256);
        crate::canonical::write_value(&event.payload, &mut canonical);
        Entry {
            client: event.client_id,
            index,
            stream: event.stream_id,
            version: event.version,
            event_type: event.event_type.clone(),
            recorded_at: event.recorded_at,
            payload: Sha256::digest(&canonical).into(),
        }
    }

    /// The bytes the leaf hashes: one `name value` line per field, in this
    /// order, so that any language rebuilds them with a format string.
    pub fn encode(&self) -> Vec<u8> {
        format!(
            "{FORMAT}\nclient {}\nindex {}\nstream {}\nversion {}\ntype {}\nrecorded {}\npayload {}\n",
            self.client,
            self.index,
            self.stream,
            self.version,
            self.event_type,
            time::format(&self.recorded_at),
            hex::encode(self.payload),
        )
        .into_bytes()
    }

    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_entry_holds_the_payload_by_the_hash_of_its_canonical_json() {
        let event = StoredEvent {
            stream_id: Uuid::from_u128(5),
            version: 3,
            event_type: "AccountUpdated".into(),
            schema_version: 1,
            payload: json!({"username": "ann", "description": null}),
            client_id: ClientId(Uuid::from_u128(1)),
            actor: "someone".into(),
            correlation_id: "req-1".into(),
            recorded_at: time::parse("2026-12-08T10:00:00.123Z").unwrap(),
            prev_hash: String::new(),
            hash: String::new(),
        };
        let e = Entry::of(&event, 41);
        assert_eq!(e.payload, <Hash>::from(Sha256::digest(br#"{"description":null,"username":"ann"}"#)));
        let text = String::from_utf8(e.encode()).unwrap();
        assert_eq!(
            text,
            format!(
                "inbox-accounts/log-entry/v1\nclient 00000000-0000-0000-0000-000000000001\nindex 41\n\
                 stream 00000000-0000-0000-0000-000000000005\nversion 3\ntype AccountUpdated\n\
                 recorded 2026-12-08T10:00:00.123Z\npayload {}\n",
                hex::encode(e.payload)
            )
        );
        // Who wrote it is not in the entry: the chain keeps it, and the payload may be erased.
        assert!(!text.contains("someone"));
        assert_eq!(e.leaf_hash(), super::super::merkle::leaf_hash(text.as_bytes()));
    }
}
