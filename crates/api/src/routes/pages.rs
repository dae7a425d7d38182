//! The pages people use: the dashboard, the connect page each account's
//! `reconnectUrl` opens, and the embeddable accounts widget. Static files built
//! into the binary, served by one function (`dashboard`); they call only the
//! public JSON API. Not part of the API's own documentation.

use crate::handlers::pages;
use crate::routing::{handler, Access, Doc, Route};
use http::Method;

/// The Lambda function that serves every page.
pub const PAGES_FUNCTION: &str = "dashboard";

const fn page(path: &'static str, handler: crate::routing::Handler, summary: &'static str) -> Route {
    Route {
        method: Method::GET,
        path,
        function: PAGES_FUNCTION,
        access: Access::Public,
        handler,
        doc: Doc { summary, tag: "Pages", body: None, ok: (200, summary, None, "text/html"), query: &[] },
        tables: &[],
    }
}

pub const PAGES: &[Route] = &[
    page("/dashboard", handler!(Plain, pages::dashboard), "The dashboard"),
    page("/dashboard/{id}", handler!(ByName, pages::asset), "A file of the dashboard (script, style, logo)"),
    page("/connect/{integration}/{id}", handler!(ById, pages::connect), "An account's connect page"),
    page("/embed/accounts.js", handler!(Plain, pages::widget), "The embeddable accounts widget"),
];
