//! The client's webhook endpoints, managed by its owners.

use super::*;
use crate::access::Table::Directory;
use crate::handlers::webhooks;
use crate::routing::{handler, Access, BodyDoc, Doc, Route};
use http::Method;

/// An endpoint change: read the endpoint, write its stream's event and the
/// endpoint in one transaction.
const WEBHOOK_CHANGE: &[(crate::access::Table, &[&str])] = &[(Events, &[PUT]), (Directory, &[GET, PUT, DELETE])];

/// An endpoint's history: its stream (or, before the upgrade, the old records).
const WEBHOOK_HISTORY: &[(crate::access::Table, &[&str])] = &[(Events, &[QUERY]), (Directory, &[QUERY])];

/// Functions that send a message while the caller waits (up to 15 s), with
/// the Lambda timeout they need.
pub const TIMEOUTS: &[(&str, u32)] = &[("webhooks-test", 30)];

/// A delivery: find what is due, claim and settle it (message, due item and
/// attempt in one transaction), note the endpoint's health; the message body
/// reads the account event and the account.
pub const DELIVERY: &[(crate::access::Table, &[&str])] =
    &[(Events, &[QUERY, PUT]), (Accounts, &[GET]), (Directory, &[GET, QUERY, PUT, UPDATE, DELETE])];

pub(super) const WEBHOOKS_LIST: Route = Route {
    method: Method::GET,
    path: "/api/webhooks",
    function: "webhooks-list",
    access: Access::Roles(OWNERS),
    handler: handler!(Plain, webhooks::list),
    doc: Doc {
        summary: "Lists the client's webhook endpoints (never their secrets).",
        tag: "Webhook",
        body: None,
        ok: (200, "Webhook collection", Some("WebhookCollection"), JSONLD),
        query: &[],
    },
    tables: &[(Directory, &[QUERY])],
};

pub(super) const WEBHOOKS_CREATE: Route = Route {
    method: Method::POST,
    path: "/api/webhooks",
    function: "webhooks-create",
    access: Access::Roles(OWNERS),
    handler: handler!(Plain, webhooks::create),
    doc: Doc {
        summary: "Registers a webhook endpoint: an https URL reaching only public addresses. The answer carries \
                  its signing secret (`whsec_…`), shown this once.",
        tag: "Webhook",
        body: Some(BodyDoc {
            schema: "WebhookCreate",
            required: true,
            example: r#"{"url":"https://hooks.example.com/inbox","events":["account.disconnected"]}"#,
        }),
        ok: (201, "Webhook resource created", Some("Webhook"), JSONLD),
        query: &[],
    },
    tables: &[(Events, &[PUT]), (Directory, &[GET, QUERY, PUT, DELETE])],
};

pub(super) const WEBHOOKS_GET: Route = Route {
    method: Method::GET,
    path: "/api/webhooks/{id}",
    function: "webhooks-get",
    access: Access::Roles(OWNERS),
    handler: handler!(ById, webhooks::get),
    doc: Doc {
        summary: "Returns one webhook endpoint (without its secret).",
        tag: "Webhook",
        body: None,
        ok: (200, "Webhook resource", Some("Webhook"), JSONLD),
        query: &[],
    },
    tables: &[(Directory, &[GET])],
};

pub(super) const WEBHOOKS_UPDATE: Route = Route {
    method: Method::PUT,
    path: "/api/webhooks/{id}",
    function: "webhooks-update",
    access: Access::Roles(OWNERS),
    handler: handler!(ById, webhooks::update),
    doc: Doc {
        summary: "Changes an endpoint's url, events, description or enabled flag; enabling it again clears \
                  `disabledReason`.",
        tag: "Webhook",
        body: Some(BodyDoc { schema: "WebhookUpdate", required: true, example: r#"{"enabled":true}"# }),
        ok: (200, "Webhook resource updated", Some("Webhook"), JSONLD),
        query: &[],
    },
    tables: WEBHOOK_CHANGE,
};

pub(super) const WEBHOOKS_DELETE: Route = Route {
    method: Method::DELETE,
    path: "/api/webhooks/{id}",
    function: "webhooks-delete",
    access: Access::Roles(OWNERS),
    handler: handler!(ById, webhooks::delete),
    doc: Doc {
        summary: "Deletes an endpoint: it gets no more messages; its history is kept.",
        tag: "Webhook",
        body: None,
        ok: (204, "Webhook resource deleted", None, JSONLD),
        query: &[],
    },
    tables: WEBHOOK_CHANGE,
};

pub(super) const WEBHOOKS_TEST: Route = Route {
    method: Method::POST,
    path: "/api/webhooks/{id}/test",
    function: "webhooks-test",
    access: Access::Roles(OWNERS),
    handler: handler!(ById, webhooks::test),
    doc: Doc {
        summary: "Sends a `webhook.test` message now and answers with its first attempt; a failed one is retried \
                  like any message.",
        tag: "Webhook",
        body: Some(BodyDoc { schema: "WebhookTestInput", required: false, example: "{}" }),
        ok: (200, "The first delivery attempt", Some("WebhookDelivery"), JSONLD),
        query: &[],
    },
    tables: DELIVERY,
};

pub(super) const WEBHOOKS_DELIVERIES: Route = Route {
    method: Method::GET,
    path: "/api/webhooks/{id}/deliveries",
    function: "webhooks-deliveries",
    access: Access::Roles(OWNERS),
    handler: handler!(ById, webhooks::deliveries),
    doc: Doc {
        summary: "The endpoint's latest 100 delivery attempts, newest first: message id, type, attempt, time, \
                  HTTP status or error, duration, next attempt, state.",
        tag: "Webhook",
        body: None,
        ok: (200, "Delivery attempts", Some("WebhookDeliveryCollection"), JSONLD),
        query: &[],
    },
    tables: &[(Directory, &[GET, QUERY])],
};

pub(super) const WEBHOOKS_EVENTS: Route = Route {
    method: Method::GET,
    path: "/api/webhooks/{id}/events",
    function: "webhooks-events",
    // Owners only: endpoint URLs often carry the receiver's own credentials.
    access: Access::Roles(OWNERS),
    handler: handler!(ById, webhooks::events),
    doc: Doc {
        summary: "The endpoint's changes, oldest first, with actor, time and request id; also after deletion.",
        tag: "Webhook",
        body: None,
        ok: (200, "Webhook change history", Some("WebhookEventCollection"), JSONLD),
        query: &[],
    },
    tables: WEBHOOK_HISTORY,
};
