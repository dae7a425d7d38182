//! Every error answer in one place: RFC 7807 problem+json in API Platform's
//! JSON-LD shape, and the JWT bundle's 401 body.

use crate::auth::TokenError;
use crate::routing::{Access, Route};
use crate::Response;
use bytes::Bytes;
use http::{header, HeaderValue, Method, StatusCode};
use inbox_domain::{DomainError, Field, Rule, Violation};
use inbox_store::StoreError;
use serde::Serialize;

#[derive(Debug)]
pub enum ApiError {
    Problem {
        status: StatusCode,
        detail: String,
        violations: Vec<ViolationBody>,
        allow: Vec<Method>,
    },
    Token(TokenError),
    BadCredentials,
    /// The login and refresh routes' other refusals, in the same `{code, message}` body.
    Session(Session),
    /// The Inbox Enterprise API's own error bodies (`/api/v1`).
    Enterprise(Enterprise),
}

/// Refusals of a login or a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Session {
    /// Too many failed logins for the username: try again after this many seconds.
    Throttled {
        retry_after: u64,
    },
    MissingRefreshToken,
    /// Unknown, expired, used, revoked — or its user changed or went away.
    InvalidRefreshToken,
}

/// The answers of the Inbox Enterprise API that are not successes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enterprise {
    Unauthorized,
    LinkNotFound,
    /// A query parameter out of range or unreadable: the message says which.
    BadParameter(&'static str),
}

impl From<Enterprise> for ApiError {
    fn from(e: Enterprise) -> Self {
        ApiError::Enterprise(e)
    }
}

/// `{"error": "Unauthorized", "message": "…"}`, as the Inbox Enterprise API answers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EnterpriseError {
    #[schema(example = "Unauthorized")]
    pub error: &'static str,
    #[schema(example = "Invalid or missing authentication token")]
    pub message: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "@context")]
    #[schema(rename = "@context", example = "/api/contexts/Error")]
    pub context: &'static str,
    #[serde(rename = "@id")]
    #[schema(rename = "@id", example = "/api/errors/404")]
    pub id: String,
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "Error")]
    pub kind: &'static str,
    #[schema(example = "Not Found")]
    pub title: String,
    #[schema(example = "Not Found")]
    pub detail: String,
    #[schema(example = 404)]
    pub status: u16,
    #[serde(rename = "type")]
    #[schema(rename = "type", example = "/errors/404")]
    pub problem_type: String,
    /// Hydra's name for `detail`, kept for API Platform clients.
    pub description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<ViolationBody>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ViolationBody {
    #[schema(example = "historySyncUntil")]
    pub property_path: String,
    #[schema(example = "This value should not be in the future.")]
    pub message: String,
}

/// The 401 body of an absent, invalid or expired JWT, or of bad credentials.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuthFailure {
    #[schema(example = 401)]
    pub code: u16,
    #[schema(example = "JWT Token not found")]
    pub message: &'static str,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::Problem { status, detail: detail.into(), violations: vec![], allow: vec![] }
    }
    /// 503, with `Retry-After`: a dependency is busy or out of reach.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, detail)
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found")
    }
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "Access Denied.")
    }
    /// 404 in the words of the route's API (the Enterprise API has its own).
    pub fn not_found_at(route: &Route) -> Self {
        match route.access {
            Access::ApiToken => Self::Enterprise(Enterprise::LinkNotFound),
            _ => Self::not_found(),
        }
    }
    pub fn invalid(violations: Vec<ViolationBody>) -> Self {
        let detail =
            violations.iter().map(|v| format!("{}: {}", v.property_path, v.message)).collect::<Vec<_>>().join("\n");
        Self::Problem { status: StatusCode::UNPROCESSABLE_ENTITY, detail, violations, allow: vec![] }
    }
    pub fn violation(path: &str, message: &str) -> Self {
        Self::invalid(vec![ViolationBody { property_path: path.into(), message: message.into() }])
    }
    pub fn method_not_allowed(method: &Method, path: &str, allow: Vec<Method>) -> Self {
        let detail = format!(
            "No route found for \"{method} {path}\": Method Not Allowed (Allow: {})",
            allow.iter().map(Method::as_str).collect::<Vec<_>>().join(", ")
        );
        Self::Problem { status: StatusCode::METHOD_NOT_ALLOWED, detail, violations: vec![], allow }
    }

    pub fn into_response(self) -> Response {
        match self {
            ApiError::Token(e) => auth_failure(e.message()),
            ApiError::BadCredentials => auth_failure("Invalid credentials."),
            ApiError::Session(Session::Throttled { retry_after }) => {
                let message = "Too many failed login attempts, please try again later.";
                let status = StatusCode::TOO_MANY_REQUESTS;
                let mut resp = crate::json_response(status, "application/json", &AuthFailure { code: 429, message });
                resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                resp
            }
            ApiError::Session(Session::MissingRefreshToken) => auth_failure("Missing JWT Refresh Token"),
            ApiError::Session(Session::InvalidRefreshToken) => auth_failure("Invalid JWT Refresh Token"),
            ApiError::Enterprise(e) => {
                let (status, error, message) = match e {
                    Enterprise::Unauthorized => {
                        (StatusCode::UNAUTHORIZED, "Unauthorized", "Invalid or missing authentication token")
                    }
                    Enterprise::LinkNotFound => (StatusCode::NOT_FOUND, "Not Found", "Account link not found"),
                    Enterprise::BadParameter(message) => (StatusCode::BAD_REQUEST, "Bad Request", message),
                };
                let mut resp = crate::json_response(status, "application/json", &EnterpriseError { error, message });
                if e == Enterprise::Unauthorized {
                    resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                }
                resp
            }
            ApiError::Problem { status, detail, violations, allow } => {
                let code = status.as_u16();
                let body = Problem {
                    context: "/api/contexts/Error",
                    id: format!("/api/errors/{code}"),
                    kind: "Error",
                    title: status.canonical_reason().unwrap_or("An error occurred").to_string(),
                    description: detail.clone(),
                    detail,
                    status: code,
                    problem_type: format!("/errors/{code}"),
                    violations,
                };
                let mut resp = crate::json_response(status, "application/problem+json; charset=utf-8", &body);
                if !allow.is_empty() {
                    let allow = allow.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
                    resp.headers_mut().insert(header::ALLOW, HeaderValue::from_str(&allow).expect("method names"));
                }
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    // Every 503 is worth retrying: say when.
                    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                }
                resp
            }
        }
    }
}

fn auth_failure(message: &'static str) -> Response {
    let mut resp =
        crate::json_response(StatusCode::UNAUTHORIZED, "application/json", &AuthFailure { code: 401, message });
    resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    resp
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        ApiError::Token(e)
    }
}

/// A refused value, in the API's words: the field's wire name, and a message.
fn worded(v: &Violation) -> ViolationBody {
    let path = match v.field {
        Field::Integration => "integration",
        Field::ReconnectUrl => "reconnectUrl",
        Field::HistorySyncUntil => "historySyncUntil",
        Field::PlatformId => "platformId",
        Field::PlatformUsername => "platformUsername",
        Field::Username => "username",
        Field::Description => "description",
        Field::AvatarUrl => "avatarUrl",
        Field::Reason => "reason",
    };
    ViolationBody { property_path: path.to_string(), message: message(v.rule) }
}

/// What the API says of a refused value.
pub fn message(rule: Rule) -> String {
    match rule {
        Rule::Blank => "This value should not be blank.".to_string(),
        Rule::TooLong { max } => format!("This value is too long. It should have {max} characters or less."),
        Rule::ControlCharacters => "This value contains control characters.".to_string(),
        Rule::NotAUrl => "This value is not a valid URL.".to_string(),
        Rule::InFuture => "This value should not be in the future.".to_string(),
        Rule::UnknownIntegration => "This integration does not exist.".to_string(),
        Rule::Invisible => "This value contains only invisible characters.".to_string(),
        Rule::BidiControl => "This value contains bidirectional control characters.".to_string(),
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(v) => ApiError::invalid(v.iter().map(worded).collect()),
            DomainError::NotFound => ApiError::not_found(),
            DomainError::AlreadyExists => ApiError::new(StatusCode::CONFLICT, "The account already exists."),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { .. } => ApiError::new(
                StatusCode::CONFLICT,
                "The account was changed by concurrent requests; read it again and retry.",
            ),
            StoreError::Duplicate(what) => ApiError::new(StatusCode::CONFLICT, format!("{what} already exists.")),
            StoreError::Unavailable(reason) => {
                tracing::error!(%reason, "store unavailable");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "The account store is unavailable; retry later.")
            }
            StoreError::Internal(reason) => {
                tracing::error!(%reason, "store error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }
}

pub fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = status;
    r
}
