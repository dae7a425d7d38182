//! Passwords: the rule for new ones, argon2id hashes, and checks kept off the
//! async workers and equal in time whether or not the user exists.

use std::sync::OnceLock;

/// A username has 1 to this many characters (Symfony's user identifier length).
pub const MAX_USERNAME: usize = 180;
/// NIST SP 800-63B: at least 8 characters; long passphrases allowed, not unbounded.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_BYTES: usize = 4096;

/// Why a new password is refused, if it is (the API and the CLI apply the same rule).
pub fn password_problem(password: &str) -> Option<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        Some(format!("This value is too short. It should have {MIN_PASSWORD_CHARS} characters or more."))
    } else if password.len() > MAX_PASSWORD_BYTES {
        Some(format!("This value is too long. It should have {MAX_PASSWORD_BYTES} bytes or less."))
    } else {
        None
    }
}

/// Runs argon2 work on the blocking pool, so a flood of logins (each ~tens of
/// milliseconds of CPU) never stalls the async workers serving other requests.
pub async fn off_the_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

pub fn hash_password(password: &str) -> String {
    argon::hash(password)
}

/// Checks a password against a stored PHC hash; a malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    argon::verify(password, phc)
}

/// argon2id, linked only into builds that take passwords (feature `passwords`).
#[cfg(feature = "passwords")]
mod argon {
    use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
    use argon2::Argon2;

    pub fn hash(password: &str) -> String {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("operating system randomness");
        let salt = SaltString::encode_b64(&bytes).expect("16 bytes make a salt");
        Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2id hashing").to_string()
    }

    pub fn verify(password: &str, phc: &str) -> bool {
        PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    }
}

/// A function built without `passwords` serves a route that never takes one; the
/// crate still compiles the login and user handlers, which it never links or runs.
/// Should one run anyway, it fails closed: no hash is made, no password matches.
#[cfg(not(feature = "passwords"))]
mod argon {
    pub fn hash(_: &str) -> String {
        panic!("this function was built without the `passwords` feature")
    }

    pub fn verify(_: &str, _: &str) -> bool {
        false
    }
}

/// Spends the same work as a real check, so an unknown username is not told
/// apart from a wrong password by timing.
pub fn burn_password_check(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash_password("not-a-real-password"));
    verify_password(password, phc);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built without argon2 (`slim-check`): no password matches, even a right one.
    #[test]
    #[cfg(not(feature = "passwords"))]
    fn without_argon2_every_password_check_fails() {
        // A well-formed argon2id PHC string: without the feature it is not even parsed.
        let phc = "$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcA$0G0KC4nQ0fUH8/TlI0xRCa4jaeXvaf5pgVi6mBCUa6I";
        assert!(!verify_password("s3cret-pass", phc));
    }

    #[test]
    #[cfg(feature = "passwords")]
    fn passwords_hash_with_argon2id() {
        let h = hash_password("s3cret-pass");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("s3cret-pass", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("s3cret-pass", "garbage"));
    }
}
