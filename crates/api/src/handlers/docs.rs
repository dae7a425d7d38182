//! The API's descriptions: OpenAPI (`/api/docs.json`), and Hydra — the
//! entrypoint (`/api`), JSON-LD contexts and the API documentation. Public:
//! they are documentation, not data.

use crate::{base_url, hydra, json_response, jsonld, openapi, Answer, ApiError, App, Call};
use http::StatusCode;

pub async fn openapi(_: &App, _: Call) -> Answer {
    Ok(json_response(StatusCode::OK, "application/json", openapi::cached()))
}

pub async fn entrypoint(_: &App, _: Call) -> Answer {
    Ok(jsonld(StatusCode::OK, &hydra::entrypoint()))
}

pub async fn context(_: &App, call: Call, name: String) -> Answer {
    let context = hydra::context(&name, &base_url(&call.req)).ok_or_else(ApiError::not_found)?;
    Ok(jsonld(StatusCode::OK, &context))
}

pub async fn documentation(_: &App, call: Call) -> Answer {
    Ok(jsonld(StatusCode::OK, &hydra::documentation(&base_url(&call.req))))
}
