//! The Inbox Enterprise API (`/api/v1`), for API tokens.

use super::*;
use crate::access::Table::{Accounts, Directory};
use crate::handlers::enterprise;
use crate::routing::{handler, Access, Doc, Route};
use http::Method;

pub(super) const V1_TEAM: Route = Route {
    method: Method::GET,
    path: "/api/v1/team",
    function: "v1-team",
    access: Access::ApiToken,
    handler: handler!(Plain, enterprise::team),
    doc: Doc {
        summary: "The API token's team (client).",
        tag: "Enterprise API",
        body: None,
        ok: (200, "The team", Some("Team"), JSON),
        query: &[],
    },
    tables: &[(Directory, &[GET])],
};

pub(super) const V1_ACCOUNT_LINKS_LIST: Route = Route {
    method: Method::GET,
    path: "/api/v1/account-links",
    function: "v1-account-links-list",
    access: Access::ApiToken,
    handler: handler!(Plain, enterprise::links),
    doc: Doc {
        summary: "The team's connected accounts, as account links, oldest first: all of them (up to 10,000 a page), \
                  or `limit` a page; `nextCursor` continues.",
        tag: "Enterprise API",
        body: None,
        ok: (200, "Account links", Some("AccountLinks"), JSON),
        query: &[
            ("limit", "integer 1..=10000", "Links a page, 1 to 10000 (default 10000)."),
            (
                "cursor",
                "string ^c1\\.[0-9a-f]{1,15}$|^c2\\.[0-9a-f]{1,12}\\.[0-9a-f]{32}$",
                "The `nextCursor` of the previous page.",
            ),
        ],
    },
    tables: &[(Directory, &[GET, QUERY]), (Accounts, &[BATCH_GET])],
};

pub(super) const V1_ACCOUNT_LINKS_GET: Route = Route {
    method: Method::GET,
    path: "/api/v1/account-links/{id}",
    function: "v1-account-links-get",
    access: Access::ApiToken,
    handler: handler!(ById, enterprise::link),
    doc: Doc {
        summary: "One account link.",
        tag: "Enterprise API",
        body: None,
        ok: (200, "Account link", Some("AccountLink"), JSON),
        query: &[],
    },
    tables: &[(Directory, &[GET]), (Accounts, &[GET])],
};
