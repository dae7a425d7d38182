//! API tokens: long random secrets with a recognisable prefix; only their
//! SHA-256 is stored (a fast hash suffices for 256 random bits).

use sha2::{Digest, Sha256};

pub const PREFIX: &str = "inbx_";
/// A token's name (what it is for) has at most this many characters.
pub const MAX_NAME: usize = 100;
/// How much of the secret lists show, to tell tokens apart.
const HINT_LEN: usize = PREFIX.len() + 6;

/// A new secret, its hint and its hash.
pub fn generate() -> (String, String, String) {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("operating system randomness");
    let secret = format!("{PREFIX}{}", hex::encode(bytes));
    let hint = secret[..HINT_LEN].to_string();
    let hash = hash(&secret);
    (secret, hint, hash)
}

pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_prefixed_and_distinct() {
        let (a, hint, h) = generate();
        let (b, _, _) = generate();
        assert!(a.starts_with("inbx_") && a.len() == 5 + 64);
        assert_ne!(a, b);
        assert!(a.starts_with(&hint));
        assert_eq!(h, hash(&a));
        assert_eq!(h.len(), 64);
    }
}
