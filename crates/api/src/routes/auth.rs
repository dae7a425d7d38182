//! Authentication: logins and their refresh tokens, customer sessions, API tokens.

use super::*;
use crate::access::Table::Directory;
use crate::handlers::{login, sessions, tokens};
use crate::routing::{handler, Access, BodyDoc, Doc, Route};
use http::Method;

pub(super) const TOKENS_CREATE: Route = Route {
    method: Method::POST,
    path: "/api/tokens",
    function: "tokens-create",
    access: Access::Roles(OWNERS),
    handler: handler!(Plain, tokens::create),
    doc: Doc {
        summary: "Creates an API token for /api/v1; the answer shows its secret, once.",
        tag: "Authentication",
        body: Some(BodyDoc { schema: "TokenCreate", required: true, example: r#"{"name":"CRM sync"}"# }),
        ok: (201, "API token created; `token` is its secret, shown once", Some("ApiToken"), JSONLD),
        query: &[],
    },
    tables: &[(Directory, &[GET, PUT])],
};

pub(super) const TOKENS_LIST: Route = Route {
    method: Method::GET,
    path: "/api/tokens",
    function: "tokens-list",
    access: Access::Roles(OWNERS),
    handler: handler!(Plain, tokens::list),
    doc: Doc {
        summary: "Lists the client's API tokens (never their secrets), 30 a page, oldest first.",
        tag: "Authentication",
        body: None,
        ok: (200, "API token collection", Some("ApiTokenCollection"), JSONLD),
        query: &[PAGE],
    },
    tables: &[(Directory, &[QUERY])],
};

pub(super) const TOKENS_GET: Route = Route {
    method: Method::GET,
    path: "/api/tokens/{id}",
    function: "tokens-get",
    access: Access::Roles(OWNERS),
    handler: handler!(ById, tokens::get),
    doc: Doc {
        summary: "Returns one API token (never its secret), with its last use.",
        tag: "Authentication",
        body: None,
        ok: (200, "API token resource", Some("ApiToken"), JSONLD),
        query: &[],
    },
    tables: &[(Directory, &[GET])],
};

pub(super) const TOKENS_REQUESTS: Route = Route {
    method: Method::GET,
    path: "/api/tokens/{id}/requests",
    function: "tokens-requests",
    access: Access::Roles(OWNERS),
    handler: handler!(ById, tokens::requests),
    doc: Doc {
        summary: "The requests made with an API token, newest first, kept 30 days; also after revocation.",
        tag: "Authentication",
        body: None,
        ok: (200, "Token request log", Some("TokenRequestCollection"), JSONLD),
        query: &[("before", "string", "The cursor of a `next` link: entries older than it.")],
    },
    tables: &[(Directory, &[GET, QUERY])],
};

pub(super) const TOKENS_DELETE: Route = Route {
    method: Method::DELETE,
    path: "/api/tokens/{id}",
    function: "tokens-delete",
    access: Access::Roles(OWNERS),
    handler: handler!(ById, tokens::revoke),
    doc: Doc {
        summary: "Revokes an API token, at once.",
        tag: "Authentication",
        body: None,
        ok: (204, "API token revoked", None, JSONLD),
        query: &[],
    },
    tables: &[(Directory, &[GET, UPDATE])],
};

pub(super) const LOGIN_CHECK: Route = Route {
    method: Method::POST,
    path: "/authentication/login_check",
    function: "login-check",
    access: Access::Public,
    handler: handler!(Plain, login::login_check),
    doc: Doc {
        summary: "Exchanges a username and password for a JWT and a refresh token. After 5 failed attempts for a \
                  username within 15 minutes, that username is refused (429) until the window passes.",
        tag: "Authentication",
        body: Some(BodyDoc {
            schema: "LoginInput",
            required: true,
            example: r#"{"username":"owner@example.test","password":"example-password"}"#,
        }),
        ok: (200, "A JWT for the Authorization header, and a refresh token", Some("TokenOutput"), JSON),
        query: &[],
    },
    // The user and its failed-login counter are read; the counter written or
    // cleared; a refresh-token family started (a transaction of puts).
    tables: &[(Directory, &[GET, PUT, UPDATE, DELETE])],
};

pub(super) const TOKEN_REFRESH: Route = Route {
    method: Method::POST,
    path: "/api/token/refresh",
    function: "token-refresh",
    access: Access::Public,
    handler: handler!(Plain, login::refresh),
    doc: Doc {
        summary: "Exchanges a refresh token for a new JWT and a new refresh token; the one used stops working. \
                  Presenting a used one again ends every token of its login.",
        tag: "Authentication",
        body: Some(BodyDoc { schema: "RefreshInput", required: true, example: r#"{"refresh_token":"0f3a9c"}"# }),
        ok: (200, "A JWT for the Authorization header, and the next refresh token", Some("TokenOutput"), JSON),
        query: &[],
    },
    // The token, its family and its user are read; the family moved and the new
    // token put in one transaction that also checks the user is unchanged.
    tables: &[(Directory, &[GET, PUT, UPDATE, CONDITION_CHECK])],
};

pub(super) const TOKEN_INVALIDATE: Route = Route {
    method: Method::POST,
    path: "/api/token/invalidate",
    function: "token-invalidate",
    access: Access::Public,
    handler: handler!(Plain, login::invalidate),
    doc: Doc {
        summary: "Logs out: ends the refresh token and every token of its login. An access JWT already issued \
                  stays valid until it expires.",
        tag: "Authentication",
        body: Some(BodyDoc { schema: "RefreshInput", required: true, example: r#"{"refresh_token":"0f3a9c"}"# }),
        ok: (204, "Logged out", None, JSON),
        query: &[],
    },
    tables: &[(Directory, &[GET, UPDATE])],
};

pub(super) const CUSTOMER_SESSIONS_CREATE: Route = Route {
    method: Method::POST,
    path: "/api/customer_sessions",
    function: "customer-sessions-create",
    access: Access::RolesOrApiToken(OWNERS),
    handler: handler!(Plain, sessions::create),
    doc: Doc {
        summary: "Mints a short-lived JWT for one end user of the host application (the embedded inbox): it \
                  creates accounts and sees, changes and removes only those created for the same customerId.",
        tag: "Authentication",
        body: Some(BodyDoc {
            schema: "CustomerSessionCreate",
            required: true,
            example: r#"{"customerId":"host-user-42","ttl":900}"#,
        }),
        ok: (201, "Customer session created", Some("CustomerSession"), JSONLD),
        query: &[],
    },
    tables: &[(Directory, &[GET])],
};
