//! Where sign-in providers send the person's browser back.

use super::*;
use crate::routing::{handler, Access, Doc, Route};
use crate::signin;
use http::Method;

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
