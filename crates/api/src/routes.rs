//! The route table: the one description of every endpoint. The router, the
//! Lambda binaries, the OpenAPI document, the SAM template (policies included),
//! the watch router and the sample events all come from it. Adding an endpoint:
//! one entry here, one handler, one `functions/<name>` crate (see the README).

use crate::access::Table::{Accounts, Directory, Events};
use crate::auth::Role::{self, *};
use crate::handlers::{accounts, docs, enterprise, history, integrations, login, tokens};
use crate::routing::{handler, Access, BodyDoc, Doc, Route};
use http::Method;

const READERS: &[Role] = &[Owner, Customer, Auditor];
const WRITERS: &[Role] = &[Owner, Customer];
const CONNECTORS: &[Role] = &[Owner, Connector];
const AUDITORS: &[Role] = &[Owner, Auditor];
const OWNERS: &[Role] = &[Owner];
const ANY_ROLE: &[Role] = &[Owner, Customer, Auditor, Connector];

const GET: &str = "dynamodb:GetItem";
const PUT: &str = "dynamodb:PutItem";
const DELETE: &str = "dynamodb:DeleteItem";
const UPDATE: &str = "dynamodb:UpdateItem";
const QUERY: &str = "dynamodb:Query";

const JSONLD: &str = "application/ld+json";
const JSON: &str = "application/json";
const PAGE: (&str, &str, &str) = ("page", "integer", "The collection page number (30 a page).");

/// What a command on an existing account needs: read the read model, append, rewrite it.
const ACCOUNT_COMMAND: &[(crate::access::Table, &[&str])] = &[(Events, &[PUT]), (Accounts, &[GET, PUT])];

pub const ROUTES: &[Route] = &[
    Route {
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
            ],
        },
        tables: &[(Accounts, &[QUERY])],
    },
    Route {
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
        tables: &[(Events, &[PUT]), (Accounts, &[PUT]), (Directory, &[GET])],
    },
    Route {
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
    },
    Route {
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
    },
    Route {
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
        tables: &[(Events, &[PUT]), (Accounts, &[GET, DELETE])],
    },
    Route {
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
    },
    Route {
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
    },
    Route {
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
    },
    Route {
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
    },
    Route {
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
    },
    Route {
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
    },
    Route {
        method: Method::GET,
        path: "/api/tokens",
        function: "tokens-list",
        access: Access::Roles(OWNERS),
        handler: handler!(Plain, tokens::list),
        doc: Doc {
            summary: "Lists the client's API tokens (never their secrets).",
            tag: "Authentication",
            body: None,
            ok: (200, "API token collection", Some("ApiTokenCollection"), JSONLD),
            query: &[],
        },
        tables: &[(Directory, &[QUERY])],
    },
    Route {
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
    },
    Route {
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
    },
    Route {
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
    },
    Route {
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
    },
    Route {
        method: Method::GET,
        path: "/api/v1/account-links",
        function: "v1-account-links-list",
        access: Access::ApiToken,
        handler: handler!(Plain, enterprise::links),
        doc: Doc {
            summary: "The team's connected accounts, as account links.",
            tag: "Enterprise API",
            body: None,
            ok: (200, "Account links", Some("AccountLinks"), JSON),
            query: &[],
        },
        tables: &[(Directory, &[GET]), (Accounts, &[QUERY])],
    },
    Route {
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
    },
    Route {
        method: Method::POST,
        path: "/authentication/login_check",
        function: "login-check",
        access: Access::Public,
        handler: handler!(Plain, login::login_check),
        doc: Doc {
            summary: "Exchanges a username and password for a JWT.",
            tag: "Authentication",
            body: Some(BodyDoc {
                schema: "LoginInput",
                required: true,
                example: r#"{"username":"owner@example.test","password":"example-password"}"#,
            }),
            ok: (200, "A JWT for the Authorization header", Some("TokenOutput"), JSON),
            query: &[],
        },
        tables: &[(Directory, &[GET])],
    },
    Route {
        method: Method::GET,
        path: "/api/docs.json",
        function: "api-docs",
        access: Access::Public,
        handler: handler!(Plain, docs::openapi),
        doc: Doc {
            summary: "This API's OpenAPI 3.1 document.",
            tag: "Documentation",
            body: None,
            ok: (200, "OpenAPI 3.1 document", None, JSON),
            query: &[],
        },
        tables: &[],
    },
    Route {
        method: Method::GET,
        path: "/api",
        function: "api-entrypoint",
        access: Access::Public,
        handler: handler!(Plain, docs::entrypoint),
        doc: Doc {
            summary: "The Hydra entrypoint: a link to every collection.",
            tag: "Documentation",
            body: None,
            ok: (200, "Hydra entrypoint", None, JSONLD),
            query: &[],
        },
        tables: &[],
    },
    Route {
        method: Method::GET,
        path: "/api/contexts/{id}",
        function: "api-contexts",
        access: Access::Public,
        handler: handler!(ByName, docs::context),
        doc: Doc {
            summary: "The JSON-LD context of a class (Account, Entrypoint, Error …).",
            tag: "Documentation",
            body: None,
            ok: (200, "JSON-LD context", None, JSONLD),
            query: &[],
        },
        tables: &[],
    },
    Route {
        method: Method::GET,
        path: "/api/docs.jsonld",
        function: "api-docs-jsonld",
        access: Access::Public,
        handler: handler!(Plain, docs::documentation),
        doc: Doc {
            summary: "This API's Hydra documentation.",
            tag: "Documentation",
            body: None,
            ok: (200, "Hydra API documentation", None, JSONLD),
            query: &[],
        },
        tables: &[],
    },
];

/// The route a Lambda function serves, by its crate name.
pub fn by_function(function: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.function == function)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::{match_path, Handler};

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
            assert_eq!(r.doc.body.is_some(), matches!(r.method, Method::POST | Method::PUT), "{}", r.function);
        }
    }
}
