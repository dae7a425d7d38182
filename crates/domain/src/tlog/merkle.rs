//! RFC 9162 Merkle trees (§2.1): the hashes, the compact range a builder
//! keeps, the complete nodes a proof is made of, and proof verification.
//! Pure: a caller fetches the nodes a proof needs ([`inclusion_plan`],
//! [`consistency_plan`]) and [`assemble`]s them, so a proof costs O(log n)
//! reads of stored nodes whatever the tree's size.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// `SHA-256(0x00 ‖ entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    Sha256::new().chain_update([0u8]).chain_update(entry).finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new().chain_update([1u8]).chain_update(left).chain_update(right).finalize().into()
}

/// The root of the empty tree: `SHA-256()`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A complete subtree: the `2^level` leaves from `index << level`. The tree
/// keeps one hash per complete node; every other hash is made of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    pub level: u8,
    pub index: u64,
}

/// The complete nodes of the subtree `[begin, end)` as RFC 9162 splits a
/// tree (`begin` a multiple of the largest power of two in the length),
/// largest first.
fn range_nodes(begin: u64, end: u64) -> Vec<Node> {
    let mut nodes = vec![];
    let mut at = begin;
    while at < end {
        let level = 63 - (end - at).leading_zeros() as u8;
        debug_assert_eq!(at % (1 << level), 0, "an RFC 9162 subtree");
        nodes.push(Node { level, index: at >> level });
        at += 1 << level;
    }
    nodes
}

/// The hash of a subtree from its complete nodes' hashes, largest first.
pub fn fold(hashes: &[Hash]) -> Option<Hash> {
    let (last, rest) = hashes.split_last()?;
    Some(rest.iter().rev().fold(*last, |right, left| node_hash(left, &right)))
}

/// The largest power of two below `n` (n > 1).
fn split(n: u64) -> u64 {
    debug_assert!(n > 1, "only a tree of two or more entries splits");
    1 << (63 - (n - 1).leading_zeros())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("entry {index} is not in a tree of size {size}")]
    OutOfRange { index: u64, size: u64 },
    #[error("no consistency proof from size {from} to size {to}")]
    Sizes { from: u64, to: u64 },
    #[error("the proof has the wrong length")]
    Length,
    #[error("the proof does not lead to the root")]
    Mismatch,
}

/// The subtrees whose hashes prove entry `index` in the tree of `size`
/// (RFC 9162 §2.1.3.1, deepest first), each as its complete nodes.
pub fn inclusion_plan(index: u64, size: u64) -> Result<Vec<Vec<Node>>, ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange { index, size });
    }
    let (mut lo, mut hi) = (0, size);
    let mut ranges = vec![];
    while hi - lo > 1 {
        let k = split(hi - lo);
        if index < lo + k {
            ranges.push(range_nodes(lo + k, hi));
            hi = lo + k;
        } else {
            ranges.push(range_nodes(lo, lo + k));
            lo += k;
        }
    }
    ranges.reverse();
    Ok(ranges)
}

/// The subtrees whose hashes prove the tree of size `from` a prefix of the
/// tree of size `to` (RFC 9162 §2.1.4.1), each as its complete nodes. A
/// proof from the empty tree proves nothing and is refused.
pub fn consistency_plan(from: u64, to: u64) -> Result<Vec<Vec<Node>>, ProofError> {
    if from == 0 || from > to {
        return Err(ProofError::Sizes { from, to });
    }
    let (mut lo, mut hi, mut whole) = (0, to, true);
    let mut ranges = vec![];
    while from != hi {
        let k = split(hi - lo);
        if from <= lo + k {
            ranges.push(range_nodes(lo + k, hi));
            hi = lo + k;
        } else {
            ranges.push(range_nodes(lo, lo + k));
            lo += k;
            whole = false;
        }
    }
    // The old tree's own root is left out when the old tree is a subtree of the new.
    if !whole {
        ranges.push(range_nodes(lo, hi));
    }
    ranges.reverse();
    Ok(ranges)
}

/// A proof's hashes from its plan and the stored nodes; `None` if one is missing.
pub fn assemble(plan: &[Vec<Node>], node: impl Fn(&Node) -> Option<Hash>) -> Option<Vec<Hash>> {
    plan.iter().map(|nodes| fold(&nodes.iter().map(&node).collect::<Option<Vec<_>>>()?)).collect()
}

/// RFC 9162 §2.1.3.2.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::Length);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::Length);
    }
    if r != *root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2; equal sizes need equal roots and an empty proof.
pub fn verify_consistency(
    from: u64,
    to: u64,
    from_root: &Hash,
    to_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if from == 0 || from > to {
        return Err(ProofError::Sizes { from, to });
    }
    if from == to {
        if !proof.is_empty() {
            return Err(ProofError::Length);
        }
        return if from_root == to_root { Ok(()) } else { Err(ProofError::Mismatch) };
    }
    let mut path = Vec::with_capacity(proof.len() + 1);
    if from.is_power_of_two() {
        path.push(*from_root);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (from - 1, to - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (first, rest) = path.split_first().ok_or(ProofError::Length)?;
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return Err(ProofError::Length);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::Length);
    }
    if fr != *from_root || sr != *to_root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// What a tree builder keeps between entries: the hashes of the complete
/// nodes of `[0, size)`, largest first (one per bit of `size`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    hashes: Vec<Hash>,
}

impl Frontier {
    /// A kept frontier; `None` if `hashes` does not fit `size`.
    pub fn new(size: u64, hashes: Vec<Hash>) -> Option<Frontier> {
        (hashes.len() == size.count_ones() as usize).then_some(Frontier { size, hashes })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Adds the next entry's leaf hash; answers the complete nodes it made
    /// (the leaf itself, then each subtree it completed), to be stored.
    pub fn push(&mut self, leaf: Hash) -> Vec<(Node, Hash)> {
        let mut node = Node { level: 0, index: self.size };
        let mut made = vec![(node, leaf)];
        let mut hash = leaf;
        while node.index & 1 == 1 {
            let left = self.hashes.pop().expect("one hash per bit of the size");
            hash = node_hash(&left, &hash);
            node = Node { level: node.level + 1, index: node.index >> 1 };
            made.push((node, hash));
        }
        self.hashes.push(hash);
        self.size += 1;
        made
    }

    /// The tree's root hash.
    pub fn root(&self) -> Hash {
        fold(&self.hashes).unwrap_or_else(empty_root)
    }
}

#[cfg(test)]
#[path = "merkle_tests.rs"]
mod tests;
