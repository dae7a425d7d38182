//! What `inbox serve` accepts from a client, and the problem+json answers past
//! it: 408 for a body sent too slowly, 413 for one too large (after draining it
//! a little, so a client still sending reads the answer instead of a reset),
//! 414 for a long URI, 431 for large headers or a large bearer token.

use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body as _, Incoming};
use inbox_api::usage::ClientIp;
use inbox_api::{ApiError, App};
use std::time::Duration;

/// Larger bodies are refused with 413 (API Gateway's own limit is 10 MB).
pub const MAX_BODY: usize = 1024 * 1024;
const MAX_URI: usize = 8 * 1024;
const MAX_HEADERS_BYTES: usize = 32 * 1024;
const MAX_HEADERS: usize = 100;
const MAX_AUTHORIZATION: usize = 8 * 1024;
/// hyper's own limits, above ours: only beyond them does hyper answer by itself
/// (a 431 without a body, past 128 headers). hyper sets aside room for its
/// whole header limit on every request, 64 bytes a header: 1,000 cost a tenth
/// of answering a GET.
pub const HYPER_BUFFER: usize = 1024 * 1024;
pub const HYPER_HEADERS: usize = 128;
/// How long a refused body is drained at most before answering 413.
const DRAIN_FOR: Duration = Duration::from_secs(2);
const DRAIN_AT_MOST: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
}

pub fn problem_body(status: u16, detail: &str) -> Bytes {
    let status = StatusCode::from_u16(status).expect("a known status");
    ApiError::new(status, detail).into_response().into_body()
}

fn problem(status: StatusCode, detail: &str) -> http::Response<Full<Bytes>> {
    let mut resp = ApiError::new(status, detail).into_response().map(Full::new);
    let headers = resp.headers_mut();
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The request's size problem, if it has one.
fn oversized(req: &http::Request<Incoming>) -> Option<(StatusCode, &'static str)> {
    if req.uri().to_string().len() > MAX_URI {
        return Some((StatusCode::URI_TOO_LONG, "The request URI is longer than 8 KiB."));
    }
    let headers = req.headers();
    let total: usize = headers.iter().map(|(k, v)| k.as_str().len() + v.len()).sum();
    if headers.len() > MAX_HEADERS || total > MAX_HEADERS_BYTES {
        return Some((StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "The request headers are too large."));
    }
    if headers.get(header::AUTHORIZATION).is_some_and(|v| v.len() > MAX_AUTHORIZATION) {
        return Some((StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "The Authorization header is too large."));
    }
    None
}

/// Reads what is left of a body, for a while, and throws it away.
async fn drain(mut body: Incoming) {
    let work = async {
        let mut seen = 0;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len());
            if seen > DRAIN_AT_MOST {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_FOR, work).await;
}

/// Answers one request: checks its size, reads its body (bounded in size and
/// time), and lets the app answer.
pub async fn answer(
    app: &App,
    limits: &Limits,
    client_ip: ClientIp,
    req: http::Request<Incoming>,
) -> http::Response<Full<Bytes>> {
    if let Some((status, detail)) = oversized(&req) {
        let mut resp = problem(status, detail);
        resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        return resp;
    }
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(client_ip);
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let too_large = || {
        let mut resp = problem(StatusCode::PAYLOAD_TOO_LARGE, "The request body is larger than 1 MiB.");
        resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        resp
    };
    if declared.is_some_and(|n| n > MAX_BODY) {
        drain(body).await;
        return too_large();
    }
    // Most requests (GETs) have no body: nothing to wait for, no timer to set.
    let bytes = if body.is_end_stream() {
        Bytes::new()
    } else {
        let read = http_body_util::Limited::new(body, MAX_BODY).collect();
        match tokio::time::timeout(limits.body_timeout, read).await {
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(_)) => return too_large(),
            Err(_) => {
                let mut resp = problem(StatusCode::REQUEST_TIMEOUT, "The request body was not received in time.");
                resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
                return resp;
            }
        }
    };
    app.handle(http::Request::from_parts(parts, bytes), inbox_api::Scope::ALL).await.map(Full::new)
}
