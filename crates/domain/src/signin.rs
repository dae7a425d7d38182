//! Hosted sign-in's pure parts: PKCE (RFC 7636), the key a state is kept
//! under, the profile a provider's answer gives, and why a sign-in did not
//! finish, in words.

use crate::events::Profile;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `code_challenge` of a verifier (method `S256`).
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// What a state is stored under: its SHA-256, hex (a database reader cannot
/// finish someone's sign-in with it).
pub fn state_key(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

/// Where a profile's fields are in a provider's answer: JSON pointers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileFields {
    pub id: &'static str,
    pub handle: &'static str,
    pub name: &'static str,
    pub picture: &'static str,
}

/// The profile in `answer` (the ID token's claims and the userinfo answer,
/// merged); `None` without the provider's id of the person.
pub fn profile_of(answer: &Value, fields: &ProfileFields) -> Option<Profile> {
    let text = |pointer: &str| match answer.pointer(pointer)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        // X and Instagram send numeric ids as numbers in places.
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    Some(Profile {
        platform_id: text(fields.id)?,
        platform_username: text(fields.handle),
        username: text(fields.name),
        avatar_url: text(fields.picture).filter(|u| crate::commands::is_http_url(u)),
        description: None,
    })
}

/// Why a sign-in did not finish: the code the connect page is sent back
/// with (`?signIn=failed&reason=…`), and its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The person declined at the provider (`access_denied`).
    Denied,
    /// The provider answered the authorization with another error.
    ProviderError,
    /// The answer names another issuer than the one asked (RFC 9207).
    WrongIssuer,
    /// The code exchange or the ID token did not hold.
    Unconfirmed,
    /// The provider could not be reached, or failed on its side.
    Unreachable,
    /// The person's provider account is connected here already, as another account.
    AlreadyConnected,
}

impl Failure {
    pub const ALL: [Failure; 6] = [
        Failure::Denied,
        Failure::ProviderError,
        Failure::WrongIssuer,
        Failure::Unconfirmed,
        Failure::Unreachable,
        Failure::AlreadyConnected,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Failure::Denied => "denied",
            Failure::ProviderError => "provider_error",
            Failure::WrongIssuer => "wrong_issuer",
            Failure::Unconfirmed => "unconfirmed",
            Failure::Unreachable => "unreachable",
            Failure::AlreadyConnected => "already_connected",
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            Failure::Denied => "access was not granted at the provider",
            Failure::ProviderError => "the provider ended the sign-in with an error",
            Failure::WrongIssuer => "the answer did not come from the provider the sign-in started at",
            Failure::Unconfirmed => "the provider did not confirm the sign-in",
            Failure::Unreachable => "the provider could not be reached; try again in a moment",
            Failure::AlreadyConnected => "this account is connected here already, as another account",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_pkce_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn a_profile_needs_the_providers_id() {
        let oidc = ProfileFields { id: "/sub", handle: "/email", name: "/name", picture: "/picture" };
        let p = profile_of(
            &json!({"sub": "1234", "email": "a@example.com", "name": " Ann ", "picture": "javascript:x"}),
            &oidc,
        )
        .unwrap();
        assert_eq!((p.platform_id.as_str(), p.platform_username.as_deref()), ("1234", Some("a@example.com")));
        assert_eq!(p.username.as_deref(), Some("Ann"));
        assert_eq!(p.avatar_url, None, "only http(s) pictures");
        let x = ProfileFields { id: "/data/id", handle: "/data/username", name: "/data/name", picture: "/data/p" };
        assert_eq!(profile_of(&json!({"data": {"id": 42}}), &x).unwrap().platform_id, "42");
        assert_eq!(profile_of(&json!({"email": "a@example.com"}), &oidc), None);
        assert_eq!(profile_of(&json!({"sub": "  "}), &oidc), None);
    }
}
