//! The route table: every endpoint, in the order the router tries them. Each
//! route is declared in the file of its resource.

use super::{accounts, auth, docs, enterprise, signin, users, webhooks};
use crate::routing::Route;

/// Each route is its own constant, listed by reference: a Lambda function that
/// picks its route at compile time (`inbox_lambda::function`) then holds that
/// route alone, and links only its handler.
pub const ROUTES: &[&Route] = &[
    &accounts::ACCOUNTS_LIST,
    &accounts::ACCOUNTS_CREATE,
    &accounts::ACCOUNTS_GET,
    &accounts::ACCOUNTS_UPDATE,
    &accounts::ACCOUNTS_DELETE,
    &accounts::ACCOUNTS_AUTHORIZE,
    &accounts::ACCOUNTS_DISCONNECT,
    &accounts::ACCOUNTS_SIGN_IN,
    &accounts::ACCOUNTS_ACCESS_TOKEN,
    &accounts::ACCOUNTS_ACCESS_LOG,
    &signin::OAUTH_CALLBACK,
    &accounts::ACCOUNTS_EVENTS,
    &accounts::INTEGRATIONS_LIST,
    &accounts::INTEGRATIONS_GET,
    &auth::TOKENS_CREATE,
    &auth::TOKENS_LIST,
    &auth::TOKENS_GET,
    &auth::TOKENS_REQUESTS,
    &auth::TOKENS_DELETE,
    &enterprise::V1_TEAM,
    &enterprise::V1_ACCOUNT_LINKS_LIST,
    &enterprise::V1_ACCOUNT_LINKS_GET,
    &auth::LOGIN_CHECK,
    &auth::TOKEN_REFRESH,
    &auth::TOKEN_INVALIDATE,
    &auth::CUSTOMER_SESSIONS_CREATE,
    &users::USERS_LIST,
    &users::USERS_CREATE,
    &users::USERS_GET,
    &users::USERS_UPDATE,
    &users::USERS_DELETE,
    &users::USERS_EVENTS,
    &webhooks::WEBHOOKS_LIST,
    &webhooks::WEBHOOKS_CREATE,
    &webhooks::WEBHOOKS_GET,
    &webhooks::WEBHOOKS_UPDATE,
    &webhooks::WEBHOOKS_DELETE,
    &webhooks::WEBHOOKS_TEST,
    &webhooks::WEBHOOKS_DELIVERIES,
    &webhooks::WEBHOOKS_EVENTS,
    &docs::API_DOCS,
    &docs::API_ENTRYPOINT,
    &docs::API_CONTEXTS,
    &docs::API_DOCS_JSONLD,
];
