//! Known answers from transparency-dev/merkle (the RFC 6962 test tree), then
//! every tree of size 1–300 against a direct reading of RFC 9162's MTH.

use super::*;
use std::collections::HashMap;

fn h(hex: &str) -> Hash {
    hex::decode(hex).unwrap().try_into().unwrap()
}

const INPUTS: [&str; 8] =
    ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// The tree of `leaves`, as a builder stores it: every complete node.
fn build(leaves: &[Hash]) -> (Frontier, HashMap<Node, Hash>) {
    let mut f = Frontier::default();
    let mut nodes = HashMap::new();
    for leaf in leaves {
        nodes.extend(f.push(*leaf));
    }
    (f, nodes)
}

/// RFC 9162 §2.1.1, read directly.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

fn kat_leaves() -> Vec<Hash> {
    INPUTS.iter().map(|i| leaf_hash(&hex::decode(i).unwrap())).collect()
}

#[test]
fn the_rfc_6962_test_tree_has_its_known_roots_and_proofs() {
    assert_eq!(empty_root(), h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    let leaves = kat_leaves();
    for (n, root) in ROOTS.iter().enumerate() {
        assert_eq!(build(&leaves[..=n]).0.root(), h(root), "size {}", n + 1);
    }
    let (_, nodes) = build(&leaves);
    let proof = |plan: Vec<Vec<Node>>| assemble(&plan, |n| nodes.get(n).copied()).unwrap();
    // (entry, size, proof) and (from, to, proof): proof/verify_test.go.
    let inclusion: [(u64, u64, &[&str]); 4] = [
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (index, size, want) in inclusion {
        let got = proof(inclusion_plan(index, size).unwrap());
        assert_eq!(got, want.iter().map(|w| h(w)).collect::<Vec<_>>(), "inclusion {index} in {size}");
        verify_inclusion(index, size, &leaves[index as usize], &got, &h(ROOTS[size as usize - 1])).unwrap();
    }
    let consistency: [(u64, u64, &[&str]); 4] = [
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    for (from, to, want) in consistency {
        let got = proof(consistency_plan(from, to).unwrap());
        assert_eq!(got, want.iter().map(|w| h(w)).collect::<Vec<_>>(), "consistency {from} to {to}");
        let (a, b) = (h(ROOTS[from as usize - 1]), h(ROOTS[to as usize - 1]));
        verify_consistency(from, to, &a, &b, &got).unwrap();
    }
}

#[test]
fn every_tree_up_to_300_entries_proves_each_entry_and_each_prefix() {
    let leaves: Vec<Hash> = (0..300u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let (_, nodes) = build(&leaves);
    let get = |n: &Node| nodes.get(n).copied();
    let roots: Vec<Hash> = (0..=300).map(|n| mth(&leaves[..n])).collect();
    for size in 1..=300u64 {
        let (frontier, _) = build(&leaves[..size as usize]);
        assert_eq!(frontier.root(), roots[size as usize], "root of {size}");
        for index in 0..size {
            let plan = inclusion_plan(index, size).unwrap();
            let depth = 64 - size.leading_zeros() as usize;
            assert!(plan.iter().map(Vec::len).sum::<usize>() <= 2 * depth, "O(log n) nodes");
            let proof = assemble(&plan, get).unwrap();
            verify_inclusion(index, size, &leaves[index as usize], &proof, &roots[size as usize]).unwrap();
        }
        for from in 1..=size {
            let proof = assemble(&consistency_plan(from, size).unwrap(), get).unwrap();
            verify_consistency(from, size, &roots[from as usize], &roots[size as usize], &proof).unwrap();
        }
    }
}

#[test]
fn tampered_proofs_are_refused() {
    let leaves: Vec<Hash> = (0..300u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let (_, nodes) = build(&leaves);
    let get = |n: &Node| nodes.get(n).copied();
    let root = |n: usize| mth(&leaves[..n]);
    for (index, size) in [(0u64, 2u64), (5, 8), (6, 7), (17, 300), (299, 300), (128, 129)] {
        let r = root(size as usize);
        let leaf = leaves[index as usize];
        let proof = assemble(&inclusion_plan(index, size).unwrap(), get).unwrap();
        verify_inclusion(index, size, &leaf, &proof, &r).unwrap();
        let longer = [proof.clone(), vec![r]].concat();
        assert_eq!(verify_inclusion(index, size, &leaf, &longer, &r), Err(ProofError::Length));
        assert!(verify_inclusion(index, size, &leaf, &proof[..proof.len() - 1], &r).is_err(), "shorter");
        assert!(verify_inclusion((index + 1) % size, size, &leaf, &proof, &r).is_err(), "another entry");
        assert!(verify_inclusion(index, size * 2, &leaf, &proof, &r).is_err(), "another size");
        assert_eq!(verify_inclusion(size, size, &leaf, &proof, &r), Err(ProofError::OutOfRange { index: size, size }));
        assert_eq!(inclusion_plan(size, size), Err(ProofError::OutOfRange { index: size, size }));
        for i in 0..proof.len() {
            let mut bad = proof.clone();
            bad[i][0] ^= 8;
            assert_eq!(verify_inclusion(index, size, &leaf, &bad, &r), Err(ProofError::Mismatch), "bit in {i}");
        }
    }
    for (from, to) in [(1u64, 2u64), (6, 8), (2, 5), (6, 7), (100, 300), (128, 256)] {
        let (a, b) = (root(from as usize), root(to as usize));
        let proof = assemble(&consistency_plan(from, to).unwrap(), get).unwrap();
        verify_consistency(from, to, &a, &b, &proof).unwrap();
        assert!(verify_consistency(from, to, &b, &a, &proof).is_err(), "swapped roots");
        assert!(verify_consistency(from, to, &a, &b, &[proof.clone(), vec![b]].concat()).is_err(), "longer");
        assert!(verify_consistency(from, to, &a, &b, &proof[..proof.len() - 1]).is_err(), "shorter");
        assert!(verify_consistency(from + 1, to, &a, &b, &proof).is_err(), "another size");
        for i in 0..proof.len() {
            let mut bad = proof.clone();
            bad[i][0] ^= 16;
            assert!(verify_consistency(from, to, &a, &b, &bad).is_err(), "bit in {i}");
        }
    }
    // From the empty tree, or backwards, there is nothing to prove.
    let e = empty_root();
    assert_eq!(consistency_plan(0, 5), Err(ProofError::Sizes { from: 0, to: 5 }));
    assert_eq!(verify_consistency(0, 5, &e, &root(5), &[]), Err(ProofError::Sizes { from: 0, to: 5 }));
    assert_eq!(consistency_plan(6, 5), Err(ProofError::Sizes { from: 6, to: 5 }));
    assert_eq!(verify_consistency(5, 5, &root(5), &root(5), &[]), Ok(()));
    assert_eq!(verify_consistency(5, 5, &root(5), &root(4), &[]), Err(ProofError::Mismatch));
    assert_eq!(verify_consistency(5, 5, &root(5), &root(5), &[e]), Err(ProofError::Length));
}

#[test]
fn a_kept_frontier_goes_on_where_it_stopped() {
    let leaves: Vec<Hash> = (0..77u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let (mut first, _) = build(&leaves[..40]);
    let mut kept = Frontier::new(first.size(), first.hashes().to_vec()).unwrap();
    for leaf in &leaves[40..] {
        assert_eq!(kept.push(*leaf), first.push(*leaf));
    }
    assert_eq!(kept.root(), mth(&leaves));
    assert_eq!(Frontier::new(40, vec![]), None, "40 has two bits: two hashes");
}
