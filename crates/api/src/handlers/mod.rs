//! One module per resource, one async function per endpoint. Reads come from the
//! read model only; every account change goes through the store's one command
//! path ([`inbox_store::commands`]).

pub mod accounts;
pub mod docs;
pub mod enterprise;
pub mod history;
pub mod integrations;
pub mod login;
pub mod pages;
pub mod sessions;
pub mod tokens;
pub mod users;
pub mod webhooks;

use crate::auth::Principal;
use crate::{Call, Response};
use http::{header, HeaderValue, StatusCode};
use inbox_domain::{Account, State};
use inbox_store::commands::{Envelope, Idempotent};
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;

/// The caller, its client and the request id, as recorded with every event;
/// and the request's `Idempotency-Key`, answered by `answer` from the state
/// after the command, in the command's own transaction.
fn envelope(call: &Call, answer: impl Fn(&State) -> Response + Send + Sync + 'static) -> Envelope {
    let idempotency = call.idempotency.clone().map(|claim| {
        Idempotent::new::<Account>(claim, move |state: &State| crate::idempotency::stored(&answer(state)))
    });
    Envelope { idempotency, ..caller(call) }
}

/// The caller, its client and the request id, as every recorded change keeps them.
fn caller(call: &Call) -> Envelope {
    let p = call.principal();
    Envelope {
        client_id: p.client_id,
        actor: p.subject.clone(),
        correlation_id: call.request_id.clone(),
        at: None,
        idempotency: None,
    }
}

/// Whether the caller may see this account of its client: customers see only
/// their own. Anything else answers 404, so other ids are never confirmed.
pub(crate) fn may_see(p: &Principal, a: &Account) -> bool {
    !p.only_own_accounts() || a.created_by == p.subject
}

/// The caller's client must exist before anything is created for it: a
/// well-signed token of a client that does not exist (any more) creates nothing.
async fn existing_client(app: &crate::App, call: &Call) -> Result<(), crate::ApiError> {
    match app.store.get_client(call.principal().client_id).await? {
        Some(_) => Ok(()),
        None => Err(crate::auth::TokenError::Invalid.into()),
    }
}

fn with_location(mut resp: Response, iri: &str) -> Response {
    let value = HeaderValue::from_str(iri).expect("IRIs are valid header values");
    resp.headers_mut().insert(header::LOCATION, value);
    resp
}

fn no_content() -> Response {
    crate::error::empty(StatusCode::NO_CONTENT)
}
