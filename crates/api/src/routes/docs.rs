//! The public documentation: OpenAPI, the Hydra entrypoint, contexts and documentation.

use super::*;
use crate::handlers::docs;
use crate::routing::{handler, Access, Doc, Route};
use http::Method;

pub(super) const API_DOCS: Route = Route {
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
};

pub(super) const API_ENTRYPOINT: Route = Route {
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
};

pub(super) const API_CONTEXTS: Route = Route {
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
};

pub(super) const API_DOCS_JSONLD: Route = Route {
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
};
