//! `/authentication/login_check`: a username and password for a JWT.

use crate::query::json_body;
use crate::resources::{LoginInput, TokenOutput};
use crate::{auth, json_response, Answer, ApiError, App, Call};
use http::StatusCode;

pub async fn login_check(app: &App, call: Call) -> Answer {
    let body: LoginInput = json_body(&call.req)?;
    let user = app.store.find_user(&body.username).await?;
    let ok = match &user {
        Some(u) => auth::verify_password(&body.password, &u.password_hash),
        None => {
            auth::burn_password_check(&body.password);
            false
        }
    };
    match user {
        Some(u) if ok => {
            let token = app.keys().issue(&u, chrono::Utc::now().timestamp());
            Ok(json_response(StatusCode::OK, "application/json", &TokenOutput { token }))
        }
        _ => Err(ApiError::BadCredentials),
    }
}
