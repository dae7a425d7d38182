//! What a route is, and how a request finds one. The table itself is `routes/table.rs`.

use crate::access::Table;
use crate::auth::Role;
use crate::{ApiError, App, Request, Response};
pub use http::Method;
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;

/// One HTTP endpoint, served by its own Lambda function: everything the router,
/// the Lambda binaries, the OpenAPI document, the SAM template and the sample
/// events need to know about it.
#[derive(Debug)]
pub struct Route {
    pub method: Method,
    /// Path template; `{id}` matches one non-empty segment.
    pub path: &'static str,
    /// The crate under `functions/` that serves this route on Lambda.
    pub function: &'static str,
    pub access: Access,
    pub handler: Handler,
    pub doc: Doc,
    /// The DynamoDB actions the handler needs, per table: the SAM policy, and
    /// what a test holds the handler to. A command's `TransactWriteItems` needs
    /// the item actions it contains (`PutItem`, `DeleteItem`).
    pub tables: &'static [(Table, &'static [&'static str])],
}

impl Route {
    /// Every DynamoDB action the route's function needs: its own, plus what its
    /// kind of authentication needs (an API token is read, its last use and its
    /// request log written).
    pub fn grants(&self) -> Vec<(Table, &'static [&'static str])> {
        let mut grants = self.tables.to_vec();
        grants.extend(self.directory_grants().into_iter().flatten().map(|actions| (Table::Directory, actions)));
        grants
    }

    /// What its kind of authentication adds to [`Route::grants`], on the directory.
    const fn directory_grants(&self) -> [Option<&'static [&'static str]>; 2] {
        let tokens = matches!(self.access, Access::ApiToken | Access::RolesOrApiToken(_));
        [
            if tokens { Some(API_TOKEN_GRANTS) } else { None },
            if self.keeps_idempotency_keys() { Some(IDEMPOTENCY_GRANTS) } else { None },
        ]
    }

    /// Whether [`Route::grants`] has `action` on `table`; a `const fn` for
    /// choices made when a function's binary is built ([`crate::warm`]).
    pub const fn allows(&self, table: Table, action: &str) -> bool {
        let mut i = 0;
        while i < self.tables.len() {
            if self.tables[i].0 as u8 == table as u8 && has(self.tables[i].1, action) {
                return true;
            }
            i += 1;
        }
        if table as u8 != Table::Directory as u8 {
            return false;
        }
        let extra = self.directory_grants();
        let mut i = 0;
        while i < extra.len() {
            if let Some(actions) = extra[i] {
                if has(actions, action) {
                    return true;
                }
            }
            i += 1;
        }
        false
    }

    /// Whether its requests may carry an `Idempotency-Key`: authenticated writes.
    /// A `const fn`, so a function's binary can leave that code out when not.
    pub const fn keeps_idempotency_keys(&self) -> bool {
        !matches!(self.access, Access::Public) && matches!(self.method, Method::POST | Method::PUT | Method::DELETE)
    }
}

const fn has(actions: &[&str], action: &str) -> bool {
    let mut i = 0;
    while i < actions.len() {
        if same(actions[i], action) {
            return true;
        }
        i += 1;
    }
    false
}

/// String equality in a `const fn`.
pub const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const API_TOKEN_GRANTS: &[&str] = &["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"];
/// An `Idempotency-Key` is taken, read, answered and given back.
const IDEMPOTENCY_GRANTS: &[&str] = &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"];

impl Route {
    /// Whether the route signs or verifies JWTs (its function reads the JWT secret).
    pub fn uses_jwt(&self) -> bool {
        match self.access {
            Access::Roles(_) | Access::RolesOrApiToken(_) => true,
            Access::ApiToken => false,
            // Of the public routes, those that answer a JWT (login, refresh) sign one.
            Access::Public => self.doc.ok.2 == Some("TokenOutput"),
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// A valid JWT carrying at least one of these roles.
    Roles(&'static [Role]),
    /// A valid, unrevoked API token (`/api/v1`, the Inbox Enterprise API).
    ApiToken,
    /// Either: a JWT with one of these roles, or an API token (`inbx_…`), the
    /// host application's server-to-server key.
    RolesOrApiToken(&'static [Role]),
}

pub type Answer = Result<Response, ApiError>;
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Answer> + Send + 'a>>;

/// The handler of a route, typed by its path parameter: the router parses `{id}`
/// once, so handlers never see raw path segments.
#[derive(Clone, Copy)]
pub enum Handler {
    /// No path parameter.
    Plain(for<'a> fn(&'a App, Call) -> HandlerFuture<'a>),
    /// `{id}` is a UUID; any other value names no resource (404).
    ById(for<'a> fn(&'a App, Call, Uuid) -> HandlerFuture<'a>),
    /// `{id}` is a name (an integration).
    ByName(for<'a> fn(&'a App, Call, String) -> HandlerFuture<'a>),
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Handler::Plain(_) => "Plain",
            Handler::ById(_) => "ById",
            Handler::ByName(_) => "ByName",
        })
    }
}

/// Wraps an `async fn(&App, Call[, id]) -> Answer` as a [`Handler`] of that kind.
macro_rules! handler {
    (Plain, $f:path) => {{
        fn h(app: &$crate::App, call: $crate::Call) -> $crate::routing::HandlerFuture<'_> {
            Box::pin($f(app, call))
        }
        $crate::routing::Handler::Plain(h)
    }};
    (ById, $f:path) => {{
        fn h(app: &$crate::App, call: $crate::Call, id: uuid::Uuid) -> $crate::routing::HandlerFuture<'_> {
            Box::pin($f(app, call, id))
        }
        $crate::routing::Handler::ById(h)
    }};
    (ByName, $f:path) => {{
        fn h(app: &$crate::App, call: $crate::Call, name: String) -> $crate::routing::HandlerFuture<'_> {
            Box::pin($f(app, call, name))
        }
        $crate::routing::Handler::ByName(h)
    }};
}
pub(crate) use handler;

/// How a route is documented in OpenAPI (and so in Hydra, and the sample events).
#[derive(Debug)]
pub struct Doc {
    pub summary: &'static str,
    pub tag: &'static str,
    pub body: Option<BodyDoc>,
    /// The success answer: status, description, schema (if any), content type.
    pub ok: (u16, &'static str, Option<&'static str>, &'static str),
    /// Query parameters: name, type (`integer`, `string`, `boolean`; an integer
    /// may carry its bounds, `integer 1..=100`, a string its pattern,
    /// `string ^[a-z]+$`; `string required` for one that must be there), description.
    pub query: &'static [(&'static str, &'static str, &'static str)],
}

/// A request body: its schema, whether it is required, and an example (JSON).
#[derive(Debug)]
pub struct BodyDoc {
    pub schema: &'static str,
    pub required: bool,
    pub example: &'static str,
}

/// Per-request facts a handler may use.
pub struct Call {
    pub principal: Option<crate::auth::Principal>,
    pub request_id: String,
    pub req: Request,
    /// The request's `Idempotency-Key`, held: an account command records its
    /// answer in its own transaction.
    pub idempotency: Option<inbox_store::KeyClaim>,
}

impl Call {
    /// The authenticated caller; every route but public ones has one.
    pub fn principal(&self) -> &crate::auth::Principal {
        self.principal.as_ref().expect("the router authenticates before calling a handler that needs it")
    }
}

/// Matches `path` against a template; returns the value of its parameter, if any.
pub fn match_path<'p>(template: &str, path: &'p str) -> Option<Option<&'p str>> {
    let mut t = template.split('/');
    let mut p = path.split('/');
    let mut param = None;
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(param),
            (Some(ts), Some(ps)) if ts.starts_with('{') && ts.ends_with('}') && !ps.is_empty() => param = Some(ps),
            (Some(ts), Some(ps)) if ts == ps => {}
            _ => return None,
        }
    }
}

/// How a request resolves against a set of routes.
pub enum Resolved<'p> {
    Found(&'static Route, Option<&'p str>),
    /// The path exists, not with this method: the methods it has.
    MethodNotAllowed(Vec<Method>),
    NotFound,
}

/// `HEAD` is answered wherever `GET` is (with the headers of `GET`, no body).
pub fn resolve<'p>(routes: impl IntoIterator<Item = &'static Route>, method: &Method, path: &'p str) -> Resolved<'p> {
    let mut allowed = vec![];
    for r in routes {
        if let Some(param) = match_path(r.path, path) {
            if r.method == method || (method == Method::HEAD && r.method == Method::GET) {
                return Resolved::Found(r, param);
            }
            allowed.push(r.method.clone());
            if r.method == Method::GET {
                allowed.push(Method::HEAD);
            }
        }
    }
    if allowed.is_empty() {
        Resolved::NotFound
    } else {
        Resolved::MethodNotAllowed(allowed)
    }
}
