//! The per-client transparency log: RFC 9162 Merkle trees over the client's
//! events and the signed checkpoints (C2SP) an auditor keeps, so that the
//! operator cannot rewrite history — even with every hash recomputed —
//! without a kept checkpoint disagreeing.

pub mod entry;
pub mod merkle;
pub mod note;

pub use merkle::{Frontier, Hash, Node, ProofError};
pub use note::{Checkpoint, NoteError};
