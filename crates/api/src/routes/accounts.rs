//! Accounts (and the integrations they connect to).

use super::*;
use crate::access::Table::{Accounts, Directory, Events};
use crate::handlers::{accounts, history, integrations};
use crate::routing::{handler, Access, BodyDoc, Doc, Route};
use crate::signin;
use http::Method;

pub(super) const ACCOUNTS_LIST: Route = Route {
    method: Method::GET,
    path: "/api/accounts",
    function: "accounts-list",
    access: Access::Roles(READERS),
    handler: handler!(Plain, accounts::list),
    doc: Doc {
        summary: "Lists the client's active accounts, 30 a page, ordered by creation.",
        tag: "Account",
        body: None,
        ok: (200, "Account collection", Some("AccountCollection"), JSONLD),
        query: &[
            PAGE,
            ("accountType", "string", "Only accounts of this integration (e.g. whatsapp)."),
            ("isAuthorized", "boolean", "Only authorized (true) or unauthorized (false) accounts."),
            ("customerId", "string", "Only accounts created in customer sessions of this customer."),
        ],
    },
    tables: LIST_READ,
};

pub(super) const ACCOUNTS_CREATE: Route = Route {
    method: Method::POST,
    path: "/api/accounts",
    function: "accounts-create",
    access: Access::Roles(WRITERS),
    handler: handler!(Plain, accounts::create),
    doc: Doc {
        summary: "Connects a new account to an integration.",
        tag: "Account",
        body: Some(BodyDoc {
            schema: "AccountCreate",
            required: true,
            example: r#"{"integration":"/api/integrations/whatsapp","historySyncUntil":null}"#,
        }),
        ok: (201, "Account resource created", Some("Account"), JSONLD),
        query: &[],
    },
    // A new account's read model is put only if absent: no read needed but
    // that its client exists.
    tables: &[(Events, &[PUT]), (Accounts, &[PUT]), (Directory, &[GET, PUT, UPDATE])],
};

pub(super) const ACCOUNTS_GET: Route = Route {
    method: Method::GET,
    path: "/api/accounts/{id}",
    function: "accounts-get",
    access: Access::Roles(READERS),
    handler: handler!(ById, accounts::get),
    doc: Doc {
        summary: "Returns one account.",
        tag: "Account",
        body: None,
        ok: (200, "Account resource", Some("Account"), JSONLD),
        query: &[],
    },
    tables: &[(Accounts, &[GET])],
};

pub(super) const ACCOUNTS_UPDATE: Route = Route {
    method: Method::PUT,
    path: "/api/accounts/{id}",
    function: "accounts-update",
    access: Access::Roles(WRITERS),
    handler: handler!(ById, accounts::update),
    doc: Doc {
        summary: "Changes the writable fields of an account; read-only fields in the body are ignored.",
        tag: "Account",
        body: Some(BodyDoc {
            schema: "AccountUpdate",
            required: true,
            example: r#"{"username":"Support line","description":"Customer support","sharePastHistory":true}"#,
        }),
        ok: (200, "Account resource updated", Some("Account"), JSONLD),
        query: &[],
    },
    tables: ACCOUNT_COMMAND,
};

pub(super) const ACCOUNTS_DELETE: Route = Route {
    method: Method::DELETE,
    path: "/api/accounts/{id}",
    function: "accounts-delete",
    access: Access::Roles(WRITERS),
    handler: handler!(ById, accounts::delete),
    doc: Doc {
        summary: "Removes an account; its history is kept for audit.",
        tag: "Account",
        body: None,
        ok: (204, "Account resource deleted", None, JSONLD),
        query: &[],
    },
    tables: &[(Events, &[PUT]), (Accounts, &[GET, DELETE]), (Directory, &[DELETE, UPDATE])],
};

pub(super) const ACCOUNTS_AUTHORIZE: Route = Route {
    method: Method::POST,
    path: "/api/accounts/{id}/authorize",
    function: "accounts-authorize",
    access: Access::Roles(CONNECTORS),
    handler: handler!(ById, accounts::authorize),
    doc: Doc {
        summary: "The channel connector reports a finished sign-in, with the channel profile.",
        tag: "Account",
        body: Some(BodyDoc {
            schema: "AuthorizeInput",
            required: true,
            example: r#"{"platformId":"15551234567","platformUsername":"examplecosupport","username":"Example Co Support"}"#,
        }),
        ok: (200, "Account resource updated", Some("Account"), JSONLD),
        query: &[],
    },
    tables: ACCOUNT_COMMAND,
};

pub(super) const ACCOUNTS_DISCONNECT: Route = Route {
    method: Method::POST,
    path: "/api/accounts/{id}/disconnect",
    function: "accounts-disconnect",
    access: Access::Roles(CONNECTORS),
    handler: handler!(ById, accounts::disconnect),
    doc: Doc {
        summary: "The channel connector reports a lost session.",
        tag: "Account",
        body: Some(BodyDoc { schema: "DisconnectInput", required: false, example: r#"{"reason":"logged_out"}"# }),
        ok: (200, "Account resource updated", Some("Account"), JSONLD),
        query: &[],
    },
    tables: ACCOUNT_COMMAND,
};

pub(super) const ACCOUNTS_SIGN_IN: Route = Route {
    method: Method::POST,
    path: "/api/accounts/{id}/sign-in",
    function: "accounts-sign-in",
    access: Access::Roles(WRITERS),
    handler: handler!(ById, signin::start),
    doc: Doc {
        summary: "Starts the account's sign-in with its provider (OAuth 2.0, PKCE): answers the URL to open in the \
                  person's browser. Integrations without a configured provider sign in with their connector (409).",
        tag: "Account",
        body: Some(BodyDoc { schema: "SignInInput", required: false, example: r#"{"loginHint":"ann@example.com"}"# }),
        ok: (200, "Sign-in started", Some("SignInStart"), JSON),
        query: &[],
    },
    // The account is read; the started sign-in is kept in the directory.
    tables: &[(Accounts, &[GET]), (Directory, &[PUT])],
};

pub(super) const ACCOUNTS_ACCESS_TOKEN: Route = Route {
    method: Method::POST,
    path: "/api/accounts/{id}/access-token",
    function: "accounts-access-token",
    access: Access::Roles(CONNECTORS),
    handler: handler!(ById, signin::handout::access_token),
    doc: Doc {
        summary: "Hands the connector a valid access token of an account signed in here (renewed first when it \
                  expires within a minute), never its refresh token.",
        tag: "Account",
        body: None,
        ok: (200, "A valid access token", Some("AccessToken"), JSON),
        query: &[],
    },
    // The account is read and, after a renewal, rewritten with its event; the
    // renewal's lease and the hand-out's log entry are directory items.
    tables: &[(Events, &[PUT]), (Accounts, &[GET, PUT]), (Directory, &[PUT, DELETE, UPDATE])],
};

pub(super) const ACCOUNTS_ACCESS_LOG: Route = Route {
    method: Method::GET,
    path: "/api/accounts/{id}/access-log",
    function: "accounts-access-log",
    access: Access::Roles(AUDITORS),
    handler: handler!(ById, signin::handout::log),
    doc: Doc {
        summary: "Who was handed the account's access token, and when: newest first, kept 30 days.",
        tag: "Account",
        body: None,
        ok: (200, "Hand-out log", Some("TokenRequestCollection"), JSONLD),
        query: &[("before", "string", "The cursor of a `next` link: entries older than it.")],
    },
    tables: &[(Accounts, &[GET]), (Directory, &[QUERY])],
};

pub(super) const ACCOUNTS_EVENTS: Route = Route {
    method: Method::GET,
    path: "/api/accounts/{id}/events",
    function: "accounts-events",
    access: Access::Roles(AUDITORS),
    handler: handler!(ById, history::list),
    doc: Doc {
        summary: "The account's event history, oldest first, with the hash chain; also after removal.",
        tag: "Account",
        body: None,
        ok: (200, "Account event history", Some("AccountEventCollection"), JSONLD),
        query: &[PAGE],
    },
    tables: &[(Events, &[QUERY])],
};

pub(super) const INTEGRATIONS_LIST: Route = Route {
    method: Method::GET,
    path: "/api/integrations",
    function: "integrations-list",
    access: Access::Roles(ANY_ROLE),
    handler: handler!(Plain, integrations::list),
    doc: Doc {
        summary: "Lists the channels an account can connect to.",
        tag: "Integration",
        body: None,
        ok: (200, "Integration collection", Some("IntegrationCollection"), JSONLD),
        query: &[],
    },
    tables: &[],
};

pub(super) const INTEGRATIONS_GET: Route = Route {
    method: Method::GET,
    path: "/api/integrations/{id}",
    function: "integrations-get",
    access: Access::Roles(ANY_ROLE),
    handler: handler!(ByName, integrations::get),
    doc: Doc {
        summary: "Returns one integration.",
        tag: "Integration",
        body: None,
        ok: (200, "Integration resource", Some("Integration"), JSONLD),
        query: &[],
    },
    tables: &[],
};
