//! Authentication: JWT issue and validation, roles (passwords: `crate::passwords`).

use inbox_domain::ClientId;
use inbox_store::User;
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;

// Passwords have their own module; these names stay where callers found them.
pub use crate::passwords::{
    burn_password_check, hash_password, off_the_runtime, password_problem, verify_password, MAX_PASSWORD_BYTES,
    MAX_USERNAME, MIN_PASSWORD_CHARS,
};

/// The roles are the domain's: the team's rules and the tokens share them.
pub use inbox_domain::Role;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub username: String,
    pub client_id: ClientId,
    pub roles: Vec<String>,
    pub iat: i64,
    pub exp: i64,
    /// Not valid before (optional; checked when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Set in customer sessions only: the host application's id of its end user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
}

/// How far in the future `iat` and `nbf` may be: clocks of issuers drift a little.
pub const CLOCK_SKEW_SECONDS: i64 = 5;

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub client_id: ClientId,
    pub roles: Vec<Role>,
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Customers (without a broader role) and customer sessions see and change
    /// only what they created.
    pub fn only_own_accounts(&self) -> bool {
        self.has(Role::CustomerSession)
            || (self.has(Role::Customer) && !self.has(Role::Owner) && !self.has(Role::Auditor))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Missing,
    Invalid,
    Expired,
}

impl TokenError {
    /// The message of the 401 body (as LexikJWTAuthenticationBundle words it).
    pub fn message(self) -> &'static str {
        match self {
            TokenError::Missing => "JWT Token not found",
            TokenError::Invalid => "Invalid JWT Token",
            TokenError::Expired => "Expired JWT Token",
        }
    }
}

/// HS256 keys and the token lifetime. Tokens are signed with the current
/// secret and name it (`kid`); the previous secret still verifies the tokens
/// it signed, so a secret is rotated without logging anyone out.
pub struct Keys {
    kid: String,
    encoding: EncodingKey,
    /// (kid, key): the current one first.
    decoding: Vec<(String, DecodingKey)>,
    validation: Validation,
    ttl_seconds: i64,
    /// Tokens verified lately, with what they prove and their `exp`: a client
    /// sends the same token on every request, and decoding and checking it
    /// was a large part of answering a GET. Keyed by the whole token, so only
    /// the very string that verified is trusted again; `exp` is checked on
    /// every use. The keys never change in a process, so neither does a verdict.
    verified: Mutex<HashMap<Box<str>, (Principal, i64)>>,
}

/// Verified tokens remembered at most (then forgotten all at once): about 1 MB.
const VERIFIED_TOKENS: usize = 4096;

/// A secret's key id: a short hash, so the secret itself is never shown.
fn kid(secret: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(secret)[..8])
}

impl Keys {
    pub fn new(secret: &[u8], ttl_seconds: i64) -> Self {
        Self::rotating(secret, None, ttl_seconds)
    }

    /// Keys that sign with `current` and also accept what `previous` signed.
    pub fn rotating(current: &[u8], previous: Option<&[u8]>, ttl_seconds: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let decoding = [Some(current), previous].into_iter().flatten().map(|s| (kid(s), DecodingKey::from_secret(s)));
        Self {
            kid: kid(current),
            encoding: EncodingKey::from_secret(current),
            decoding: decoding.collect(),
            validation,
            ttl_seconds,
            verified: Mutex::default(),
        }
    }

    pub fn issue(&self, user: &User, now: i64) -> String {
        let claims = Claims {
            sub: user.id.to_string(),
            username: user.username.clone(),
            client_id: user.client_id,
            roles: user.roles.iter().map(|r| r.claim().to_string()).collect(),
            iat: now,
            exp: now + self.ttl_seconds,
            nbf: None,
            customer_id: None,
        };
        self.sign(&claims)
    }

    /// A customer session of `client_id` for the host's end user `customer_id`.
    pub fn issue_customer_session(&self, client_id: ClientId, customer_id: &str, now: i64, ttl_seconds: i64) -> String {
        let claims = Claims {
            sub: customer_id.to_string(),
            username: customer_id.to_string(),
            client_id,
            roles: vec![Role::CustomerSession.claim().to_string()],
            iat: now,
            exp: now + ttl_seconds,
            nbf: None,
            customer_id: Some(customer_id.to_string()),
        };
        self.sign(&claims)
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("HS256 signing cannot fail")
    }

    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let now = chrono::Utc::now().timestamp();
        let verified = || self.verified.lock().unwrap_or_else(|e| e.into_inner());
        // Before `exp` a verified token is still valid; from then on it is checked again (and refused).
        if let Some((principal, _)) = verified().get(token).filter(|(_, exp)| now < *exp) {
            return Ok(principal.clone());
        }
        let (principal, exp) = self.check(token, now)?;
        let mut verified = verified();
        if verified.len() >= VERIFIED_TOKENS {
            verified.clear();
        }
        verified.insert(token.into(), (principal.clone(), exp));
        Ok(principal)
    }

    /// Verifies a token in full: signature, expiry, issue and start times, claims.
    fn check(&self, token: &str, now: i64) -> Result<(Principal, i64), TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        // A named key, or (tokens from before key ids) each key in turn.
        let candidates = self.decoding.iter().filter(|(kid, _)| header.kid.as_ref().is_none_or(|k| k == kid));
        let mut verdict = Err(TokenError::Invalid);
        for (_, key) in candidates {
            verdict = jsonwebtoken::decode::<Claims>(token, key, &self.validation).map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            });
            if !matches!(verdict, Err(TokenError::Invalid)) {
                break;
            }
        }
        let c = verdict?.claims;
        // A token issued, or valid only, in the future is not valid now.
        if c.iat > now + CLOCK_SKEW_SECONDS || c.nbf.is_some_and(|nbf| nbf > now + CLOCK_SKEW_SECONDS) {
            return Err(TokenError::Invalid);
        }
        // A customer session is that and nothing else, whatever roles it names.
        if let Some(customer) = c.customer_id {
            let subject = format!("{}{customer}", inbox_domain::CUSTOMER_ACTOR_PREFIX);
            return Ok((Principal { subject, client_id: c.client_id, roles: vec![Role::CustomerSession] }, c.exp));
        }
        // Unknown roles grant nothing; they are not an error (tokens may outlive a role's rename).
        let roles = c.roles.iter().filter_map(|r| Role::from_claim(r)).collect();
        Ok((Principal { subject: c.sub, client_id: c.client_id, roles }, c.exp))
    }
}

/// The `Authorization: Bearer …` token of a request.
pub fn bearer(headers: &http::HeaderMap) -> Result<&str, TokenError> {
    let value = headers.get(http::header::AUTHORIZATION).ok_or(TokenError::Missing)?;
    let value = value.to_str().map_err(|_| TokenError::Invalid)?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(TokenError::Missing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: inbox_domain::UserId::new(),
            client_id: ClientId::new(),
            username: "ann".into(),
            password_hash: String::new(),
            roles: vec![Role::Owner],
            enabled: true,
            version: 1,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn tokens_round_trip_and_expire() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef", 3600);
        let u = user();
        let now = chrono::Utc::now().timestamp();
        let p = keys.verify(&keys.issue(&u, now)).unwrap();
        assert_eq!((p.client_id, p.roles.clone()), (u.client_id, vec![Role::Owner]));
        assert_eq!(keys.verify(&keys.issue(&u, now - 7200)), Err(TokenError::Expired));
        let other = Keys::new(b"another-secret-another-secret-xx", 3600);
        assert_eq!(other.verify(&keys.issue(&u, now)), Err(TokenError::Invalid));
        assert_eq!(keys.verify("not.a.jwt"), Err(TokenError::Invalid));
        // Issued in the future, or not valid before a future instant: invalid, beyond a few seconds of skew.
        assert_eq!(keys.verify(&keys.issue(&u, now + 60)), Err(TokenError::Invalid));
        assert!(keys.verify(&keys.issue(&u, now + CLOCK_SKEW_SECONDS - 1)).is_ok());
        let claims = |nbf| Claims {
            sub: "s".into(),
            username: "u".into(),
            client_id: u.client_id,
            roles: vec![],
            iat: now,
            exp: now + 600,
            nbf: Some(nbf),
            customer_id: None,
        };
        assert_eq!(keys.verify(&keys.sign(&claims(now + 60))), Err(TokenError::Invalid));
        assert!(keys.verify(&keys.sign(&claims(now - 60))).is_ok());
    }

    #[test]
    fn a_rotated_secret_still_verifies_what_it_signed() {
        let (old, new) =
            (b"old-secret-old-secret-old-secret".as_slice(), b"new-secret-new-secret-new-secret".as_slice());
        let u = user();
        let now = chrono::Utc::now().timestamp();
        let before = Keys::new(old, 600);
        let issued_before = before.issue(&u, now);
        let after = Keys::rotating(new, Some(old), 600);
        assert!(after.verify(&issued_before).is_ok(), "signed with the previous secret");
        let issued_after = after.issue(&u, now);
        assert!(after.verify(&issued_after).is_ok());
        assert_eq!(before.verify(&issued_after), Err(TokenError::Invalid), "the old keys do not know the new one");
        let header = jsonwebtoken::decode_header(&issued_after).unwrap();
        assert_eq!(header.kid.as_deref(), Some(kid(new).as_str()));
        let retired = Keys::new(new, 600);
        assert_eq!(retired.verify(&issued_before), Err(TokenError::Invalid), "once the previous secret is gone");
        assert_eq!(after.verify(&before.issue(&u, now - 7200)), Err(TokenError::Expired));
    }

    #[test]
    fn a_verified_token_is_trusted_again_only_until_it_expires() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef", 3600);
        let u = user();
        let now = chrono::Utc::now().timestamp();
        let token = keys.sign(&Claims {
            sub: u.id.to_string(),
            username: u.username.clone(),
            client_id: u.client_id,
            roles: vec!["ROLE_OWNER".into()],
            iat: now,
            exp: now + 1,
            nbf: None,
            customer_id: None,
        });
        let first = keys.verify(&token).unwrap();
        assert_eq!(keys.verify(&token), Ok(first), "remembered");
        // Another signature on the same claims is not the token that verified.
        let (head, _) = token.rsplit_once('.').unwrap();
        assert_eq!(keys.verify(&format!("{head}.AAAA")), Err(TokenError::Invalid));
        std::thread::sleep(std::time::Duration::from_millis(2100));
        assert_eq!(keys.verify(&token), Err(TokenError::Expired), "once expired, remembered or not");
    }

    #[test]
    fn customer_sessions_are_nothing_but_that() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef", 3600);
        let client = ClientId::new();
        let now = chrono::Utc::now().timestamp();
        let p = keys.verify(&keys.issue_customer_session(client, "end-user-7", now, 60)).unwrap();
        assert_eq!(p.roles, vec![Role::CustomerSession]);
        assert_eq!((p.subject.as_str(), p.client_id), ("customer:end-user-7", client));
        assert!(p.only_own_accounts());
        let expired = keys.issue_customer_session(client, "end-user-7", now - 120, 60);
        assert_eq!(keys.verify(&expired), Err(TokenError::Expired));
    }

    #[test]
    fn roles_parse_by_claim() {
        assert_eq!(Role::from_claim("ROLE_AUDITOR"), Some(Role::Auditor));
        assert_eq!(Role::from_claim("ROLE_ADMIN"), None);
    }
}
