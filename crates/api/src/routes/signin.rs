//! Where sign-in providers send the person's browser back.

use super::*;
use crate::routing::{handler, Access, Doc, Route};
use crate::signin;
use http::Method;

pub const KMS_GENERATE: &str = "kms:GenerateDataKey";
pub const KMS_DECRYPT: &str = "kms:Decrypt";

/// The functions that seal or open credentials and call providers' token
/// endpoints, with the KMS actions each needs: on AWS only these are granted
/// the vault's key and read the providers' client secrets.
pub const CREDENTIALS: &[(&str, &[&str])] = &[
    (OAUTH_CALLBACK.function, &[KMS_GENERATE]),
    (super::accounts::ACCOUNTS_ACCESS_TOKEN.function, &[KMS_DECRYPT, KMS_GENERATE]),
    // Its removal revokes the grant at the provider, with the stored token.
    (super::accounts::ACCOUNTS_DELETE.function, &[KMS_DECRYPT]),
    (signin::renewals::FUNCTION, &[KMS_DECRYPT, KMS_GENERATE]),
];

/// The KMS actions of `function` ([`CREDENTIALS`]); none for the others.
pub fn credential_grants(function: &str) -> &'static [&'static str] {
    CREDENTIALS.iter().find(|(f, _)| *f == function).map_or(&[], |(_, actions)| actions)
}

pub(super) const OAUTH_CALLBACK: Route = Route {
    method: Method::GET,
    path: signin::CALLBACK_PATH,
    function: "oauth-callback",
    access: Access::Public,
    handler: handler!(Plain, signin::callback),
    doc: Doc {
        summary: "A provider's answer to a sign-in (OAuth 2.0 authorization response): finishes it and sends the \
                  browser on to the account's connect page (`?signIn=connected`, or `?signIn=failed&reason=…`).",
        tag: "Account",
        body: None,
        ok: (303, "On to the account's connect page, which says how the sign-in went", None, "text/html"),
        query: &[
            ("state", "string required", "The sign-in's state, as started."),
            ("code", "string", "The authorization code."),
            ("iss", "string", "The issuer of the answer (RFC 9207)."),
            ("error", "string", "Why the provider ended the sign-in (`access_denied`, …)."),
            ("error_description", "string", "The provider's words for it."),
        ],
    },
    // The sign-in is taken (a conditional delete), then the account's command.
    tables: &[(Events, &[PUT]), (Accounts, &[GET, PUT]), (Directory, &[DELETE, PUT, UPDATE])],
};
