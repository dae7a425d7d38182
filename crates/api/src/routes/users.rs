//! The client's users, managed by its owners.

use super::*;
use crate::access::Table::Directory;
use crate::handlers::users;
use crate::routing::{handler, Access, BodyDoc, Doc, Route};
use http::Method;

/// A user change reads the client's users and writes, in one transaction, the
/// team stream's event, its head on the client item and both items of the user.
const USER_CHANGE: &[(crate::access::Table, &[&str])] =
    &[(Events, &[PUT]), (Directory, &[GET, QUERY, PUT, UPDATE, DELETE])];

/// A user's history: the team's stream (or, before the upgrade, the old records).
const USER_HISTORY: &[(crate::access::Table, &[&str])] = &[(Events, &[QUERY]), (Directory, &[QUERY])];

pub(super) const USERS_LIST: Route = Route {
    method: Method::GET,
    path: "/api/users",
    function: "users-list",
    access: Access::Roles(OWNERS),
    handler: handler!(Plain, users::list),
    doc: Doc {
        summary: "Lists the client's users (never a password or its hash).",
        tag: "User",
        body: None,
        ok: (200, "User collection", Some("UserCollection"), JSONLD),
        query: &[],
    },
    tables: &[(Directory, &[GET, QUERY])],
};

pub(super) const USERS_CREATE: Route = Route {
    method: Method::POST,
    path: "/api/users",
    function: "users-create",
    access: Access::Roles(OWNERS),
    handler: handler!(Plain, users::create),
    doc: Doc {
        summary: "Creates a user of the client. Usernames are unique across the installation.",
        tag: "User",
        body: Some(BodyDoc {
            schema: "UserCreate",
            required: true,
            example: r#"{"username":"auditor@example.test","plainPassword":"correct horse battery","roles":["ROLE_AUDITOR"]}"#,
        }),
        ok: (201, "User resource created", Some("User"), JSONLD),
        query: &[],
    },
    tables: USER_CHANGE,
};

pub(super) const USERS_GET: Route = Route {
    method: Method::GET,
    path: "/api/users/{id}",
    function: "users-get",
    access: Access::Roles(OWNERS),
    handler: handler!(ById, users::get),
    doc: Doc {
        summary: "Returns one user.",
        tag: "User",
        body: None,
        ok: (200, "User resource", Some("User"), JSONLD),
        query: &[],
    },
    tables: &[(Directory, &[GET])],
};

pub(super) const USERS_UPDATE: Route = Route {
    method: Method::PUT,
    path: "/api/users/{id}",
    function: "users-update",
    access: Access::Roles(OWNERS),
    handler: handler!(ById, users::update),
    doc: Doc {
        summary: "Changes a user's roles, enabled flag or password; any of these ends its refresh tokens. The \
                  client's last enabled owner cannot be disabled or demoted.",
        tag: "User",
        body: Some(BodyDoc {
            schema: "UserUpdate",
            required: true,
            example: r#"{"roles":["ROLE_OWNER"],"enabled":true}"#,
        }),
        ok: (200, "User resource updated", Some("User"), JSONLD),
        query: &[],
    },
    tables: USER_CHANGE,
};

pub(super) const USERS_DELETE: Route = Route {
    method: Method::DELETE,
    path: "/api/users/{id}",
    function: "users-delete",
    access: Access::Roles(OWNERS),
    handler: handler!(ById, users::delete),
    doc: Doc {
        summary: "Deletes a user (not the client's last enabled owner); its history is kept.",
        tag: "User",
        body: None,
        ok: (204, "User resource deleted", None, JSONLD),
        query: &[],
    },
    tables: USER_CHANGE,
};

pub(super) const USERS_EVENTS: Route = Route {
    method: Method::GET,
    path: "/api/users/{id}/events",
    function: "users-events",
    access: Access::Roles(AUDITORS),
    handler: handler!(ById, users::events),
    doc: Doc {
        summary: "The user's changes, oldest first, with actor, time and request id; also after deletion.",
        tag: "User",
        body: None,
        ok: (200, "User change history", Some("UserEventCollection"), JSONLD),
        query: &[],
    },
    tables: USER_HISTORY,
};
