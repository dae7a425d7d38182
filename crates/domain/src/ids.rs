//! Typed ids for the values that are easily swapped: a client's id passed
//! where an account's was meant compiles no more. Each is a UUID on the wire
//! and in storage (`#[serde(transparent)]`), made explicitly (`ClientId(uuid)`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random id.
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }

            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

ids! {
    /// A client (tenant): whose accounts, users and endpoints these are.
    ClientId,
    /// An account, and the id of its event stream.
    AccountId,
    /// A user of a client's team.
    UserId,
    /// A webhook endpoint, and the id of its event stream.
    EndpointId,
}

impl ClientId {
    /// The stream of the client's team of users: a UUID derived from the
    /// client's (version 8, from SHA-256), so it is found without a lookup and
    /// never equals an account's or an endpoint's random (version 4) id.
    pub fn team_stream(self) -> Uuid {
        use sha2::{Digest, Sha256};
        let digest = Sha256::new().chain_update(b"inbox team stream\0").chain_update(self.0.as_bytes()).finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Uuid::new_v8(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_stream_is_its_clients_alone() {
        let (a, b) = (ClientId(Uuid::from_u128(1)), ClientId(Uuid::from_u128(2)));
        assert_eq!(a.team_stream(), a.team_stream());
        assert_ne!(a.team_stream(), b.team_stream());
        assert_eq!(a.team_stream().get_version_num(), 8);
        assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{}\"", a.0));
    }
}
