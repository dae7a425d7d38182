//! The route table: the one description of every endpoint. The router, the
//! Lambda binaries, the OpenAPI document (and the SAM template and watch router
//! checks) all come from it.

use crate::auth::Role;
use http::Method;

/// One HTTP endpoint, served by its own Lambda function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    AccountsList,
    AccountsCreate,
    AccountsGet,
    AccountsUpdate,
    AccountsDelete,
    AccountsAuthorize,
    AccountsDisconnect,
    AccountsEvents,
    IntegrationsList,
    IntegrationsGet,
    TokensCreate,
    TokensList,
    TokensDelete,
    V1Team,
    V1AccountLinksList,
    V1AccountLinksGet,
    LoginCheck,
    ApiDocs,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// A valid JWT carrying at least one of these roles.
    Roles(&'static [Role]),
    /// A valid, unrevoked API token (`/api/v1`, the Inbox Enterprise API).
    ApiToken,
}

#[derive(Debug)]
pub struct Route {
    pub endpoint: Endpoint,
    pub method: Method,
    /// Path template; `{name}` matches one non-empty segment.
    pub path: &'static str,
    /// The crate under `functions/` that serves this route on Lambda.
    pub function: &'static str,
    pub summary: &'static str,
    pub access: Access,
}

use Role::*;
const READERS: &[Role] = &[Owner, Customer, Auditor];
const WRITERS: &[Role] = &[Owner, Customer];
const CONNECTORS: &[Role] = &[Owner, Connector];
const AUDITORS: &[Role] = &[Owner, Auditor];
const OWNERS: &[Role] = &[Owner];
const ANY_ROLE: &[Role] = &[Owner, Customer, Auditor, Connector];

pub const ROUTES: &[Route] = &[
    Route {
        endpoint: Endpoint::AccountsList,
        method: Method::GET,
        path: "/api/accounts",
        function: "accounts-list",
        summary: "Lists the client's active accounts, 30 a page, ordered by creation.",
        access: Access::Roles(READERS),
    },
    Route {
        endpoint: Endpoint::AccountsCreate,
        method: Method::POST,
        path: "/api/accounts",
        function: "accounts-create",
        summary: "Connects a new account to an integration.",
        access: Access::Roles(WRITERS),
    },
    Route {
        endpoint: Endpoint::AccountsGet,
        method: Method::GET,
        path: "/api/accounts/{id}",
        function: "accounts-get",
        summary: "Returns one account.",
        access: Access::Roles(READERS),
    },
    Route {
        endpoint: Endpoint::AccountsUpdate,
        method: Method::PUT,
        path: "/api/accounts/{id}",
        function: "accounts-update",
        summary: "Changes the writable fields of an account; read-only fields in the body are ignored.",
        access: Access::Roles(WRITERS),
    },
    Route {
        endpoint: Endpoint::AccountsDelete,
        method: Method::DELETE,
        path: "/api/accounts/{id}",
        function: "accounts-delete",
        summary: "Removes an account; its history is kept for audit.",
        access: Access::Roles(WRITERS),
    },
    Route {
        endpoint: Endpoint::AccountsAuthorize,
        method: Method::POST,
        path: "/api/accounts/{id}/authorize",
        function: "accounts-authorize",
        summary: "The channel connector reports a finished sign-in, with the channel profile.",
        access: Access::Roles(CONNECTORS),
    },
    Route {
        endpoint: Endpoint::AccountsDisconnect,
        method: Method::POST,
        path: "/api/accounts/{id}/disconnect",
        function: "accounts-disconnect",
        summary: "The channel connector reports a lost session.",
        access: Access::Roles(CONNECTORS),
    },
    Route {
        endpoint: Endpoint::AccountsEvents,
        method: Method::GET,
        path: "/api/accounts/{id}/events",
        function: "accounts-events",
        summary: "The account's event history, oldest first, with the hash chain; also after removal.",
        access: Access::Roles(AUDITORS),
    },
    Route {
        endpoint: Endpoint::IntegrationsList,
        method: Method::GET,
        path: "/api/integrations",
        function: "integrations-list",
        summary: "Lists the channels an account can connect to.",
        access: Access::Roles(ANY_ROLE),
    },
    Route {
        endpoint: Endpoint::IntegrationsGet,
        method: Method::GET,
        path: "/api/integrations/{id}",
        function: "integrations-get",
        summary: "Returns one integration.",
        access: Access::Roles(ANY_ROLE),
    },
    Route {
        endpoint: Endpoint::TokensCreate,
        method: Method::POST,
        path: "/api/tokens",
        function: "tokens-create",
        summary: "Creates an API token for /api/v1; the answer shows its secret, once.",
        access: Access::Roles(OWNERS),
    },
    Route {
        endpoint: Endpoint::TokensList,
        method: Method::GET,
        path: "/api/tokens",
        function: "tokens-list",
        summary: "Lists the client's API tokens (never their secrets).",
        access: Access::Roles(OWNERS),
    },
    Route {
        endpoint: Endpoint::TokensDelete,
        method: Method::DELETE,
        path: "/api/tokens/{id}",
        function: "tokens-delete",
        summary: "Revokes an API token, at once.",
        access: Access::Roles(OWNERS),
    },
    Route {
        endpoint: Endpoint::V1Team,
        method: Method::GET,
        path: "/api/v1/team",
        function: "v1-team",
        summary: "The API token's team (client).",
        access: Access::ApiToken,
    },
    Route {
        endpoint: Endpoint::V1AccountLinksList,
        method: Method::GET,
        path: "/api/v1/account-links",
        function: "v1-account-links-list",
        summary: "The team's connected accounts, as account links.",
        access: Access::ApiToken,
    },
    Route {
        endpoint: Endpoint::V1AccountLinksGet,
        method: Method::GET,
        path: "/api/v1/account-links/{id}",
        function: "v1-account-links-get",
        summary: "One account link.",
        access: Access::ApiToken,
    },
    Route {
        endpoint: Endpoint::LoginCheck,
        method: Method::POST,
        path: "/authentication/login_check",
        function: "login-check",
        summary: "Exchanges a username and password for a JWT.",
        access: Access::Public,
    },
    Route {
        endpoint: Endpoint::ApiDocs,
        method: Method::GET,
        path: "/api/docs.json",
        function: "api-docs",
        summary: "This API's OpenAPI 3.1 document.",
        access: Access::Public,
    },
];

impl Endpoint {
    pub fn route(self) -> &'static Route {
        ROUTES.iter().find(|r| r.endpoint == self).expect("every endpoint has a route")
    }
}

/// Matches `path` against a template; returns the values of its `{params}` in order.
pub fn match_path<'p>(template: &str, path: &'p str) -> Option<Vec<&'p str>> {
    let mut t = template.split('/');
    let mut p = path.split('/');
    let mut params = vec![];
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(params),
            (Some(ts), Some(ps)) if ts.starts_with('{') && ts.ends_with('}') && !ps.is_empty() => params.push(ps),
            (Some(ts), Some(ps)) if ts == ps => {}
            _ => return None,
        }
    }
}

/// How a request resolves against the table.
pub enum Resolved {
    Found(&'static Route, Vec<String>),
    /// The path exists, not with this method: the methods it has.
    MethodNotAllowed(Vec<Method>),
    NotFound,
}

pub fn resolve(method: &Method, path: &str) -> Resolved {
    let mut allowed = vec![];
    for r in ROUTES {
        if let Some(params) = match_path(r.path, path) {
            if r.method == method {
                return Resolved::Found(r, params.into_iter().map(str::to_string).collect());
            }
            allowed.push(r.method.clone());
        }
    }
    if allowed.is_empty() {
        Resolved::NotFound
    } else {
        Resolved::MethodNotAllowed(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_whole_segments() {
        assert_eq!(match_path("/api/accounts/{id}", "/api/accounts/abc"), Some(vec!["abc"]));
        assert_eq!(match_path("/api/accounts/{id}", "/api/accounts/"), None);
        assert_eq!(match_path("/api/accounts/{id}", "/api/accounts/a/b"), None);
        assert_eq!(match_path("/api/accounts", "/api/accounts"), Some(vec![]));
        assert_eq!(match_path("/api/accounts", "/api/accountsx"), None);
    }

    #[test]
    fn every_endpoint_has_one_route_and_function() {
        let mut functions: Vec<_> = ROUTES.iter().map(|r| r.function).collect();
        functions.sort();
        functions.dedup();
        assert_eq!(functions.len(), ROUTES.len());
        for r in ROUTES {
            assert_eq!(r.endpoint.route().function, r.function);
        }
    }

    #[test]
    fn resolve_tells_405_from_404() {
        assert!(matches!(resolve(&Method::PATCH, "/api/accounts/x"), Resolved::MethodNotAllowed(m) if m.len() == 3));
        assert!(matches!(resolve(&Method::GET, "/nope"), Resolved::NotFound));
        assert!(
            matches!(resolve(&Method::GET, "/api/docs.json"), Resolved::Found(r, _) if r.endpoint == Endpoint::ApiDocs)
        );
    }
}
