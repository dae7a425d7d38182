//! Logins and their sessions: `/authentication/login_check` (throttled per
//! username), `/api/token/refresh` (rotating refresh tokens) and
//! `/api/token/invalidate` (logout). Refusals keep the JWT bundles' `{code, message}`.

use crate::error::Session;
use crate::query::json_body;
use crate::resources::{LoginInput, RefreshInput, TokenOutput};
use crate::{auth, json_response, tokens, Answer, ApiError, App, Call};
use chrono::{Duration, Utc};
use http::StatusCode;
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use inbox_store::{Attempt, RefreshFamily, RefreshToken, User};
use uuid::Uuid;

/// Failed logins of one username after which it is refused until the window passes.
pub const MAX_FAILURES: u32 = 5;
pub const FAILURE_WINDOW_SECONDS: i64 = 15 * 60;
/// No username is longer: a longer one is refused without touching the store.
const MAX_LOGIN_NAME_BYTES: usize = 1024;

pub async fn login_check(app: &App, call: Call) -> Answer {
    let body: LoginInput = json_body(&call.req)?;
    let now = Utc::now();
    if body.username.len() > MAX_LOGIN_NAME_BYTES || body.password.len() > auth::MAX_PASSWORD_BYTES {
        auth::off_the_runtime(|| auth::burn_password_check("")).await;
        return Err(ApiError::BadCredentials);
    }
    // The attempt is counted before the password is checked, atomically: a burst
    // of parallel guesses gets no more than MAX_FAILURES tries a window.
    let window = Duration::seconds(FAILURE_WINDOW_SECONDS);
    let attempt = app.store.take_login_attempt(&body.username, now, now - window, MAX_FAILURES).await?;
    if let Attempt::Refused { since } = attempt {
        let retry_after = (since + window - now).num_seconds().max(1) as u64;
        return Err(ApiError::Session(Session::Throttled { retry_after }));
    }
    let user = app.store.find_user(&body.username).await?;
    // An unknown username costs a password check too: timing tells nothing.
    let (password, hash) = (body.password.clone(), user.as_ref().map(|u| u.password_hash.clone()));
    let matches = auth::off_the_runtime(move || match hash {
        Some(h) => auth::verify_password(&password, &h),
        None => {
            auth::burn_password_check(&password);
            false
        }
    })
    .await;
    let ok = matches && user.as_ref().is_some_and(|u| u.enabled);
    match user {
        Some(u) if ok => {
            app.store.clear_login_failures(&body.username).await?;
            Ok(issue(app, &u, start_family(app, &u).await?))
        }
        // The failed attempt stays counted.
        _ => Err(ApiError::BadCredentials),
    }
}

/// Exchanges the newest refresh token of a login for the next pair. An older
/// one (stolen, or replayed) ends the whole login: 401 for every token of it.
pub async fn refresh(app: &App, call: Call) -> Answer {
    let body: RefreshInput = json_body(&call.req)?;
    let presented =
        body.refresh_token.filter(|t| !t.is_empty()).ok_or(ApiError::Session(Session::MissingRefreshToken))?;
    let invalid = ApiError::Session(Session::InvalidRefreshToken);
    let hash = tokens::hash(&presented);
    let Some((token, family)) = app.store.find_refresh(&hash).await? else { return Err(invalid) };
    if family.revoked || token.expires_at <= Utc::now() {
        return Err(invalid);
    }
    let user = app.store.get_user(family.client_id, family.user_id).await?;
    let current_user = user.filter(|u| u.enabled && u.version == family.user_version);
    let (Some(user), true) = (current_user, family.current == hash) else {
        // A replayed token, or a user disabled, deleted or changed since the login.
        app.store.revoke_family(family.id).await?;
        return Err(invalid);
    };
    let (secret, next) = new_refresh_token(app, family.id);
    // Two requests racing with the same token: one wins, the other is a replay
    // (and a user changed meanwhile wins nothing).
    if !app.store.rotate_refresh(&family, &hash, &next).await? {
        app.store.revoke_family(family.id).await?;
        return Err(invalid);
    }
    Ok(issue(app, &user, secret))
}

/// Logout: the refresh token's login ends. Unknown tokens are answered the
/// same, so the answer tells nothing.
pub async fn invalidate(app: &App, call: Call) -> Answer {
    let body: RefreshInput = json_body(&call.req)?;
    let presented =
        body.refresh_token.filter(|t| !t.is_empty()).ok_or(ApiError::Session(Session::MissingRefreshToken))?;
    if let Some((_, family)) = app.store.find_refresh(&tokens::hash(&presented)).await? {
        app.store.revoke_family(family.id).await?;
    }
    Ok(crate::error::empty(StatusCode::NO_CONTENT))
}

fn issue(app: &App, user: &User, refresh_token: String) -> crate::Response {
    let token = app.keys().issue(user, Utc::now().timestamp());
    json_response(StatusCode::OK, "application/json", &TokenOutput { token, refresh_token })
}

/// A login's first refresh token: its secret.
async fn start_family(app: &App, user: &User) -> Result<String, ApiError> {
    let id = Uuid::new_v4();
    let (secret, token) = new_refresh_token(app, id);
    let family = RefreshFamily {
        id,
        client_id: user.client_id,
        user_id: user.id,
        user_version: user.version,
        current: token.hash,
        revoked: false,
        expires_at: token.expires_at,
    };
    app.store.start_family(&family).await?;
    Ok(secret)
}

/// 256 random bits; only their SHA-256 is stored.
fn new_refresh_token(app: &App, family: Uuid) -> (String, RefreshToken) {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("operating system randomness");
    let secret = hex::encode(bytes);
    // To the second: DynamoDB's TTL attribute holds epoch seconds.
    let expires_at = chrono::DateTime::from_timestamp(Utc::now().timestamp() + app.config.refresh_ttl_seconds, 0)
        .expect("a time within chrono's range");
    let hash = tokens::hash(&secret);
    (secret, RefreshToken { hash, family, expires_at })
}
