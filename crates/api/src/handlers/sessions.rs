//! `/api/customer_sessions`: the host application's back end (an owner, or an
//! API token) mints a short-lived JWT for one of its end users.

use super::existing_client;
use crate::query::json_body;
use crate::resources::{CustomerSessionCreate, CustomerSessionView};
use crate::{jsonld, Answer, ApiError, App, Call};
use http::StatusCode;
use inbox_domain::{text, time};

pub const DEFAULT_TTL: i64 = 900;
pub const MAX_TTL: i64 = 86_400;
pub const MAX_CUSTOMER_ID: usize = 255;

pub async fn create(app: &App, call: Call) -> Answer {
    let body: CustomerSessionCreate = json_body(&call.req)?;
    let mut violations = vec![];
    let raw = body.customer_id.unwrap_or_default();
    // The host's id is kept verbatim; it is only checked as names are.
    if let Err(rule) = text::clean(&raw, MAX_CUSTOMER_ID, text::Lines::Single, true) {
        violations.push(("customerId", crate::error::message(rule)));
    }
    let ttl = body.ttl.unwrap_or(DEFAULT_TTL);
    if !(1..=MAX_TTL).contains(&ttl) {
        violations.push(("ttl", format!("This value should be between 1 and {MAX_TTL}.")));
    }
    if !violations.is_empty() {
        return Err(ApiError::invalid(
            violations
                .into_iter()
                .map(|(path, message)| crate::error::ViolationBody { property_path: path.into(), message })
                .collect(),
        ));
    }
    existing_client(app, &call).await?;
    let client_id = call.principal().client_id;
    let now = chrono::Utc::now();
    let token = app.keys().issue_customer_session(client_id, &raw, now.timestamp(), ttl);
    let expires_at = chrono::DateTime::from_timestamp(now.timestamp() + ttl, 0).unwrap_or(now);
    let view = CustomerSessionView {
        context: "/api/contexts/CustomerSession",
        iri: format!("/.well-known/genid/{}", uuid::Uuid::new_v4().simple()),
        kind: "CustomerSession",
        customer_id: raw,
        token,
        expires_at: time::format(&expires_at),
    };
    Ok(jsonld(StatusCode::CREATED, &view))
}
