//! The transparency log's trees, checkpoints and proofs, checked by an
//! independent verifier (tests/tlog/verify.py: hashlib, `cryptography`,
//! pymerkle) that shares no code with ours.

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use inbox_domain::tlog::entry::Entry;
use inbox_domain::tlog::{merkle, note, Checkpoint, Frontier};
use inbox_domain::{time, ClientId};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::process::Command;
use uuid::Uuid;

// One key signs every client's log: it is named for the deployment, each
// origin for the deployment and the client.
const ORIGIN: &str = "inbox.example.test/log/7d5f0c2e-0000-4000-8000-000000000001";
const KEY_NAME: &str = "inbox.example.test";

/// The sizes proven: every size to 40, and around powers of two up to 300.
fn sizes() -> Vec<u64> {
    (1..=40).chain([63, 64, 65, 127, 128, 129, 255, 256, 257, 300]).collect()
}

/// A log of 300 entries with its checkpoints and proofs, as verify.py reads it.
fn log() -> Value {
    let client = ClientId(Uuid::from_u128(0x7d5f0c2e_0000_4000_8000_000000000001));
    let recorded = time::parse("2026-12-08T10:00:00.000Z").unwrap();
    let entries: Vec<Entry> = (0..300u64)
        .map(|i| Entry {
            client,
            index: i,
            stream: Uuid::from_u128(i as u128 % 7 + 1),
            version: i / 7 + 1,
            event_type: ["AccountConnected", "AccountAuthorized", "UserAdded"][i as usize % 3].into(),
            recorded_at: recorded + chrono::Duration::milliseconds(i as i64),
            payload: merkle::leaf_hash(&i.to_be_bytes()),
        })
        .collect();
    let pair = Ed25519KeyPair::from_seed_unchecked(&[42u8; 32]).unwrap();
    let public: [u8; 32] = pair.public_key().as_ref().try_into().unwrap();
    let mut frontier = Frontier::default();
    let mut nodes = HashMap::new();
    let mut checkpoints = vec![];
    for e in &entries {
        nodes.extend(frontier.push(e.leaf_hash()));
        if sizes().contains(&frontier.size()) {
            let body = Checkpoint { origin: ORIGIN.into(), size: frontier.size(), root: frontier.root() }.body();
            let signature: [u8; 64] = pair.sign(body.as_bytes()).as_ref().try_into().unwrap();
            checkpoints.push(note::signed(&body, KEY_NAME, &public, &signature));
        }
    }
    let proof = |plan: Vec<Vec<merkle::Node>>| -> Vec<String> {
        merkle::assemble(&plan, |n| nodes.get(n).copied()).unwrap().iter().map(hex::encode).collect()
    };
    let mut inclusion = vec![];
    let mut consistency = vec![];
    for size in sizes() {
        for index in 0..size {
            inclusion.push(
                json!({"index": index, "size": size, "proof": proof(merkle::inclusion_plan(index, size).unwrap())}),
            );
        }
        for from in sizes().into_iter().filter(|f| *f <= size) {
            consistency
                .push(json!({"from": from, "to": size, "proof": proof(merkle::consistency_plan(from, size).unwrap())}));
        }
    }
    let entries: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "client": e.client.to_string(), "index": e.index, "stream": e.stream.to_string(),
                "version": e.version, "type": e.event_type, "recorded": time::format(&e.recorded_at),
                "payload": hex::encode(e.payload),
            })
        })
        .collect();
    json!({
        "origin": ORIGIN,
        "verifierKey": note::verifier_key(KEY_NAME, &public),
        "entries": entries,
        "checkpoints": checkpoints,
        "inclusion": inclusion,
        "consistency": consistency,
    })
}

/// verify.py's verdict on `log`: whether it accepted, and what it printed.
fn verify(log: &Value) -> (bool, String) {
    let path = std::env::temp_dir().join(format!("tlog-{}.json", Uuid::new_v4().simple()));
    std::fs::write(&path, serde_json::to_vec(log).unwrap()).unwrap();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new(format!("{root}/.tools/venv/bin/python"))
        .arg(format!("{root}/tests/tlog/verify.py"))
        .arg(&path)
        .output()
        .expect("python in .tools/venv (tests/run.sh installs it, with pymerkle and cryptography)");
    std::fs::remove_file(&path).unwrap();
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn an_independent_verifier_accepts_our_checkpoints_and_proofs() {
    let log = log();
    let (ok, said) = verify(&log);
    assert!(ok, "{said}");
    assert!(said.starts_with(&format!("verified: {} checkpoints", sizes().len())), "{said}");
}

#[test]
fn an_independent_verifier_refuses_a_changed_entry_a_forged_signature_or_a_bent_proof() {
    let log = log();
    // History rewritten: one entry's payload, with everything else as it was.
    let mut changed = log.clone();
    changed["entries"][17]["payload"] = json!(hex::encode([0u8; 32]));
    let (ok, said) = verify(&changed);
    assert!(!ok && said.contains("root of size 18"), "{said}");
    // A checkpoint signed by another key under our name.
    let mut forged = log.clone();
    let other = Ed25519KeyPair::from_seed_unchecked(&[1u8; 32]).unwrap();
    let public: [u8; 32] = other.public_key().as_ref().try_into().unwrap();
    forged["verifierKey"] = json!(note::verifier_key(KEY_NAME, &public));
    let (ok, said) = verify(&forged);
    assert!(!ok && said.contains("no signature by"), "{said}");
    // One hash of one proof.
    let mut bent = log.clone();
    let first = bent["inclusion"][500]["proof"][0].as_str().unwrap().to_string();
    bent["inclusion"][500]["proof"][0] =
        json!(format!("{}{}", if first.starts_with('0') { "1" } else { "0" }, &first[1..]));
    let (ok, said) = verify(&bent);
    assert!(!ok && said.contains("inclusion of"), "{said}");
}
