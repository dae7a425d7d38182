//! Checkpoints as C2SP `tlog-checkpoint` bodies in C2SP `signed-note`s with
//! Ed25519 signatures: the text an auditor keeps, and everything needed to
//! check it with only the verifier key (`name+keyid+base64(0x01‖key)`).

use super::merkle::Hash;
use aws_lc_rs::signature::{UnparsedPublicKey, ED25519};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The signature type byte of Ed25519 in signed notes.
const ED25519_TYPE: u8 = 0x01;
/// What starts a signature line.
const DASH: &str = "\u{2014} ";

/// A tree's size and root hash, named by the log's origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("not a checkpoint: {0}")]
    Body(&'static str),
    #[error("not a verifier key: {0}")]
    Key(&'static str),
    #[error("not a signed note: {0}")]
    Note(&'static str),
    #[error("no valid signature by {0}")]
    Unsigned(String),
}

impl Checkpoint {
    /// The note body: origin, size, base64 root, each on its own line.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, B64.encode(self.root))
    }

    /// A body's checkpoint; extension lines after the root are ignored.
    pub fn parse(body: &str) -> Result<Checkpoint, NoteError> {
        let text = body.strip_suffix('\n').ok_or(NoteError::Body("no final newline"))?;
        let mut lines = text.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty()).ok_or(NoteError::Body("no origin"))?;
        let size = lines.next().ok_or(NoteError::Body("no size"))?;
        // Decimal without a sign or leading zeros, as the format requires.
        if size.is_empty() || (size.len() > 1 && size.starts_with('0')) || !size.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NoteError::Body("the size is not a decimal number"));
        }
        let size = size.parse().map_err(|_| NoteError::Body("the size is too large"))?;
        let root = lines.next().ok_or(NoteError::Body("no root hash"))?;
        let root = B64
            .decode(root)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or(NoteError::Body("the root is not 32 bytes of base64"))?;
        if lines.any(str::is_empty) {
            return Err(NoteError::Body("an empty extension line"));
        }
        Ok(Checkpoint { origin: origin.to_string(), size, root })
    }
}

/// An Ed25519 key's id in notes: the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key).
pub fn key_id(name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let digest =
        Sha256::new().chain_update(name).chain_update([b'\n', ED25519_TYPE]).chain_update(public_key).finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// The verifier key an auditor is given: `name+hex(key id)+base64(0x01 ‖ key)`.
pub fn verifier_key(name: &str, public_key: &[u8; 32]) -> String {
    let mut typed = vec![ED25519_TYPE];
    typed.extend_from_slice(public_key);
    format!("{name}+{}+{}", hex::encode(key_id(name, public_key)), B64.encode(typed))
}

/// A verifier key's name and Ed25519 public key.
pub fn parse_verifier_key(key: &str) -> Result<(String, [u8; 32]), NoteError> {
    // Split at the first two: the base64 key may hold a `+` itself.
    let mut parts = key.trim().splitn(3, '+');
    let (Some(name), Some(id), Some(typed)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::Key("expected name+keyid+key"));
    };
    if !valid_name(name) {
        return Err(NoteError::Key("the name is empty or holds a space or a plus"));
    }
    let typed = B64.decode(typed).map_err(|_| NoteError::Key("the key is not base64"))?;
    let Some((&ED25519_TYPE, public_key)) = typed.split_first() else {
        return Err(NoteError::Key("not an Ed25519 key"));
    };
    let public_key: [u8; 32] = public_key.try_into().map_err(|_| NoteError::Key("not an Ed25519 key"))?;
    if hex::decode(id).ok().as_deref() != Some(&key_id(name, &public_key)[..]) {
        return Err(NoteError::Key("the key id does not match the key"));
    }
    Ok((name.to_string(), public_key))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// The signed note of `body`, with `signature`: the body's bytes signed by
/// the key named `name`, whose public half is `public_key` (on AWS KMS signs,
/// locally a key in the data folder: the signer stays at the edge).
pub fn signed(body: &str, name: &str, public_key: &[u8; 32], signature: &[u8; 64]) -> String {
    let mut blob = key_id(name, public_key).to_vec();
    blob.extend_from_slice(signature);
    format!("{body}\n{DASH}{name} {}\n", B64.encode(blob))
}

/// The checkpoint of a signed note, if the verifier key signed it. Other
/// signers' lines (witnesses, for instance) are left alone; a line by the
/// verifier's name and key id that does not verify refuses the note.
pub fn open(note: &str, verifier_key: &str) -> Result<Checkpoint, NoteError> {
    let (name, public_key) = parse_verifier_key(verifier_key)?;
    if note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::Note("a control character"));
    }
    let split = note.rfind("\n\n").ok_or(NoteError::Note("no blank line before the signatures"))?;
    let (body, signatures) = (&note[..split + 1], &note[split + 2..]);
    let signatures = signatures.strip_suffix('\n').ok_or(NoteError::Note("no signature lines"))?;
    let id = key_id(&name, &public_key);
    let key = UnparsedPublicKey::new(&ED25519, public_key);
    let mut verified = false;
    for line in signatures.split('\n') {
        let rest = line.strip_prefix(DASH).ok_or(NoteError::Note("a signature line does not start with an em dash"))?;
        let (signer, blob) = rest.split_once(' ').ok_or(NoteError::Note("a signature line has no signature"))?;
        let blob = B64.decode(blob).map_err(|_| NoteError::Note("a signature is not base64"))?;
        if signer == name && blob.get(..4) == Some(&id[..]) {
            if key.verify(body.as_bytes(), &blob[4..]).is_err() {
                return Err(NoteError::Unsigned(name));
            }
            verified = true;
        }
    }
    if !verified {
        return Err(NoteError::Unsigned(name));
    }
    Checkpoint::parse(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};

    fn key() -> (Ed25519KeyPair, [u8; 32]) {
        let pair = Ed25519KeyPair::from_seed_unchecked(&[7u8; 32]).unwrap();
        let public: [u8; 32] = pair.public_key().as_ref().try_into().unwrap();
        (pair, public)
    }

    fn note(c: &Checkpoint, name: &str) -> String {
        let (pair, public) = key();
        let body = c.body();
        let signature: [u8; 64] = pair.sign(body.as_bytes()).as_ref().try_into().unwrap();
        signed(&body, name, &public, &signature)
    }

    #[test]
    fn a_signed_checkpoint_opens_with_its_verifier_key_only() {
        let (_, public) = key();
        let c = Checkpoint { origin: "inbox.example.com/client/7d5f".into(), size: 300, root: [9u8; 32] };
        assert_eq!(c.body(), "inbox.example.com/client/7d5f\n300\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n");
        let n = note(&c, "inbox.example.com");
        let verifier = verifier_key("inbox.example.com", &public);
        assert_eq!(open(&n, &verifier), Ok(c.clone()));
        // The same key under another name, a changed body, a cut signature: refused.
        let other = verifier_key("other.example.com", &public);
        assert_eq!(open(&n, &other), Err(NoteError::Unsigned("other.example.com".into())));
        let changed = n.replacen("\n300\n", "\n301\n", 1);
        assert!(open(&changed, &verifier).is_err());
        let (body, _) = n.split_once('\u{2014}').unwrap();
        assert!(open(&format!("{body}\u{2014} inbox.example.com AAAA\n"), &verifier).is_err());
        // A second line by our key that does not verify refuses the note.
        let (_, line) = n.split_once('\u{2014}').unwrap();
        let mut wrong = B64.decode(line.trim().rsplit(' ').next().unwrap()).unwrap();
        wrong[10] ^= 1;
        let twice = format!("{n}{DASH}inbox.example.com {}\n", B64.encode(&wrong));
        assert_eq!(open(&twice, &verifier), Err(NoteError::Unsigned("inbox.example.com".into())));
        assert_eq!(open(&n.replacen("7d5f", "7d\u{7}f", 1), &verifier), Err(NoteError::Note("a control character")));
        // A witness's line beside ours does not stop it from opening.
        let cosigned = format!("{n}{DASH}witness.example {}\n", B64.encode([1u8; 68]));
        assert_eq!(open(&cosigned, &verifier), Ok(c));
    }

    #[test]
    fn malformed_bodies_and_keys_are_refused() {
        for body in [
            "o\n1\n",
            "o\n01\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n",
            "o\n-1\nCQ==\n",
            "o\n1\nCQ==\n",
            "\n1\nCQ==\n",
            "o\n1\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n\n",
        ] {
            assert!(Checkpoint::parse(body).is_err(), "{body:?}");
        }
        let (_, public) = key();
        let good = verifier_key("log", &public);
        assert_eq!(parse_verifier_key(&good).unwrap(), ("log".to_string(), public));
        let bad_id = format!("log+00000000+{}", good.rsplit('+').next().unwrap());
        assert_eq!(parse_verifier_key(&bad_id), Err(NoteError::Key("the key id does not match the key")));
        assert!(parse_verifier_key("log").is_err());
        assert_eq!(parse_verifier_key("log+00000000+"), Err(NoteError::Key("not an Ed25519 key")));
        // A key whose base64 holds a `+` (as about one in two do).
        let plus = (0u8..=255)
            .map(|seed| Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).unwrap())
            .map(|pair| <[u8; 32]>::try_from(pair.public_key().as_ref()).unwrap())
            .find(|public| verifier_key("log", public).matches('+').count() > 2)
            .unwrap();
        assert_eq!(parse_verifier_key(&verifier_key("log", &plus)).unwrap(), ("log".to_string(), plus));
        assert!(parse_verifier_key(&good.replacen("log", "l g", 1)).is_err());
    }
}
