//! The route table: the one description of every endpoint. The router, the
//! Lambda binaries, the OpenAPI document, the SAM template (policies included),
//! the watch router and the sample events all come from it. Adding an endpoint:
//! one entry here, one handler, one `functions/<name>` crate (see the README).

use crate::access::Table::{Accounts, Directory, Events};
use crate::auth::Role::{self, *};
use crate::routing::Route;

mod accounts;
mod auth;
mod docs;
mod enterprise;
mod pages;
mod signin;
mod table;
mod users;
mod webhooks;
pub use pages::{PAGES, PAGES_FUNCTION};
pub use signin::{credential_grants, CREDENTIALS};
pub use table::ROUTES;
pub use webhooks::{DELIVERY, TIMEOUTS};

pub(crate) const READERS: &[Role] = &[Owner, Customer, Auditor, CustomerSession];
pub(crate) const WRITERS: &[Role] = &[Owner, Customer, CustomerSession];
pub(crate) const CONNECTORS: &[Role] = &[Owner, Connector];
pub(crate) const AUDITORS: &[Role] = &[Owner, Auditor];
pub(crate) const OWNERS: &[Role] = &[Owner];
pub(crate) const ANY_ROLE: &[Role] = &[Owner, Customer, Auditor, Connector, CustomerSession];

pub(crate) const GET: &str = "dynamodb:GetItem";
pub(crate) const PUT: &str = "dynamodb:PutItem";
pub(crate) const DELETE: &str = "dynamodb:DeleteItem";
pub(crate) const UPDATE: &str = "dynamodb:UpdateItem";
pub(crate) const QUERY: &str = "dynamodb:Query";
pub(crate) const BATCH_GET: &str = "dynamodb:BatchGetItem";
/// A `ConditionCheck` inside a transaction (a refresh checks its user).
pub(crate) const CONDITION_CHECK: &str = "dynamodb:ConditionCheckItem";

pub(crate) const JSONLD: &str = "application/ld+json";
pub(crate) const JSON: &str = "application/json";
pub(crate) const PAGE: (&str, &str, &str) = ("page", "integer", "The collection page number (30 a page).");

/// What a command on an existing account needs: read the read model, append,
/// rewrite it, and move it in the account lists (members and counts).
pub(crate) const ACCOUNT_COMMAND: &[(crate::access::Table, &[&str])] =
    &[(Events, &[PUT]), (Accounts, &[GET, PUT]), (Directory, LIST_WRITES)];
/// Moving an account in the account lists: members put and deleted, counts updated.
pub(crate) const LIST_WRITES: &[&str] = &[PUT, DELETE, UPDATE];
/// Reading a page of an account list: its count and keys, then its accounts.
pub(crate) const LIST_READ: &[(crate::access::Table, &[&str])] =
    &[(Directory, &[GET, QUERY]), (Accounts, &[BATCH_GET])];

/// The functions that take a password: only they link argon2 (feature `passwords`).
pub const PASSWORD_FUNCTIONS: &[&str] = &["login-check", "users-create", "users-update"];
/// The functions that serve the API's descriptions: only they build the OpenAPI
/// document (feature `openapi`).
pub const DOCUMENT_FUNCTIONS: &[&str] = &["api-contexts", "api-docs", "api-docs-jsonld", "api-entrypoint"];

/// The function whose answers include 429 (failed logins are throttled per username).
pub const THROTTLED_LOGIN: &str = "login-check";

/// The route a Lambda function serves, by its crate name.
pub fn by_function(function: &str) -> Option<&'static Route> {
    ROUTES.iter().copied().find(|r| r.function == function)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::{match_path, Handler};
    use http::Method;

    #[test]
    fn templates_match_whole_segments() {
        assert_eq!(match_path("/api/accounts/{id}", "/api/accounts/abc"), Some(Some("abc")));
        assert_eq!(match_path("/api/accounts/{id}", "/api/accounts/"), None);
        assert_eq!(match_path("/api/accounts/{id}", "/api/accounts/a/b"), None);
        assert_eq!(match_path("/api/accounts", "/api/accounts"), Some(None));
        assert_eq!(match_path("/api/accounts", "/api/accounts/x"), None);
    }

    #[test]
    fn every_route_is_unique_and_its_handler_takes_its_parameter() {
        for (i, r) in ROUTES.iter().enumerate() {
            assert!(
                ROUTES[i + 1..].iter().all(|o| o.function != r.function && (o.method != r.method || o.path != r.path)),
                "{} is declared twice",
                r.function
            );
            let has_param = r.path.contains("{id}");
            assert_eq!(
                has_param,
                !matches!(r.handler, Handler::Plain(_)),
                "{}: handler kind and path disagree",
                r.function
            );
            // Only writes take a body, and every PUT does (a POST may take none: a hand-out).
            let writes = matches!(r.method, Method::POST | Method::PUT);
            assert!(r.doc.body.is_none() || writes, "{}: a body on a {}", r.function, r.method);
            assert!(r.doc.body.is_some() || r.method != Method::PUT, "{}: a PUT without a body", r.function);
        }
    }
}
