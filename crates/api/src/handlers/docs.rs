//! `/api/docs.json`: the OpenAPI document.

use crate::{json_response, openapi, Answer, App, Call};
use http::StatusCode;

pub async fn openapi(_: &App, _: Call) -> Answer {
    Ok(json_response(StatusCode::OK, "application/json", openapi::cached()))
}
