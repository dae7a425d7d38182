//! The API's descriptions: OpenAPI (`/api/docs.json`), and Hydra — the
//! entrypoint (`/api`), JSON-LD contexts and the API documentation. Public:
//! they are documentation, not data. Only the documentation functions are built
//! with them (feature `openapi`); elsewhere these routes are never served.

#[cfg(feature = "openapi")]
pub use served::*;

#[cfg(not(feature = "openapi"))]
pub use absent::*;

#[cfg(feature = "openapi")]
mod served {
    use crate::{hydra, json_response, jsonld, openapi, Answer, ApiError, App, Call};
    use http::StatusCode;

    pub async fn openapi(_: &App, _: Call) -> Answer {
        Ok(json_response(StatusCode::OK, "application/json", openapi::cached()))
    }

    pub async fn entrypoint(_: &App, _: Call) -> Answer {
        Ok(jsonld(StatusCode::OK, &hydra::entrypoint()))
    }

    pub async fn context(app: &App, call: Call, name: String) -> Answer {
        let context = hydra::context(&name, &app.public_url(&call.req)).ok_or_else(ApiError::not_found)?;
        Ok(jsonld(StatusCode::OK, &context))
    }

    pub async fn documentation(app: &App, call: Call) -> Answer {
        Ok(jsonld(StatusCode::OK, &hydra::documentation(&app.public_url(&call.req))))
    }
}

/// Without the documents a route of theirs answers 404, as an unknown path would.
#[cfg(not(feature = "openapi"))]
mod absent {
    use crate::{Answer, ApiError, App, Call};

    pub async fn openapi(_: &App, _: Call) -> Answer {
        Err(ApiError::not_found())
    }

    pub async fn entrypoint(_: &App, _: Call) -> Answer {
        Err(ApiError::not_found())
    }

    pub async fn context(_: &App, _: Call, _: String) -> Answer {
        Err(ApiError::not_found())
    }

    pub async fn documentation(_: &App, _: Call) -> Answer {
        Err(ApiError::not_found())
    }
}
