//! Cross-origin calls from the pages of listed origins (`INBOX_EMBED_ORIGINS`):
//! the embedded accounts widget runs on the host application's pages and calls
//! this API with a customer session token in `Authorization`. No cookies are
//! involved, so credentials are never allowed, and an origin is echoed only if
//! listed (never `*`). On AWS, API Gateway answers preflights from the same list.

use crate::{Request, Response};
use bytes::Bytes;
use http::{header, HeaderValue, Method, StatusCode};

/// What a cross-origin page may send.
pub const ALLOW_METHODS: &str = "GET, POST, PUT, DELETE";
pub const ALLOW_HEADERS: &str = "authorization, content-type, idempotency-key, x-request-id";
/// What it may read of an answer besides the safelisted headers.
pub const EXPOSE_HEADERS: &str = "location, x-request-id, retry-after";
/// How long a browser may keep a preflight's answer.
pub const MAX_AGE_SECONDS: u32 = 600;

/// Parses a comma-separated list of origins (`https://app.example.com`,
/// `http://localhost:8080`): scheme, host and port only.
pub fn parse_origins(list: &str) -> Result<Vec<String>, String> {
    let mut origins = vec![];
    for raw in list.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        if raw == "*" {
            return Err("must list origins; `*` would let any site act with a customer's token".into());
        }
        let origin = url::Url::parse(raw)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .map(|u| u.origin().ascii_serialization())
            .filter(|o| o == raw.trim_end_matches('/').to_ascii_lowercase().as_str())
            .ok_or_else(|| format!("must be origins like https://app.example.com (no path), not {raw:?}"))?;
        origins.push(origin);
    }
    Ok(origins)
}

/// Whether answers depend on the caller's origin (some are listed): caches
/// must then keep them apart, allowed or not.
pub fn varies(allowed: &[String], resp: &mut Response) {
    if !allowed.is_empty() {
        resp.headers_mut().append(header::VARY, HeaderValue::from_static("origin"));
    }
}

/// The request's `Origin`, if it is one of `allowed`.
pub fn allowed_origin<'a>(allowed: &[String], req: &'a Request) -> Option<&'a str> {
    let origin = req.headers().get(header::ORIGIN)?.to_str().ok()?;
    allowed.iter().any(|a| a == origin).then_some(origin)
}

/// A preflight (`OPTIONS` with `Access-Control-Request-Method`) from an allowed
/// origin: 204 with what it may do.
pub fn preflight(allowed: &[String], req: &Request) -> Option<Response> {
    if req.method() != Method::OPTIONS || !req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
        return None;
    }
    let origin = allowed_origin(allowed, req)?;
    let mut resp = Response::new(Bytes::new());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOW_METHODS));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOW_HEADERS));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(MAX_AGE_SECONDS));
    allow(h, origin);
    varies(allowed, &mut resp);
    Some(resp)
}

/// Lets an allowed origin read an answer.
pub fn expose(resp: &mut Response, origin: &str) {
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
    allow(h, origin);
}

fn allow(h: &mut http::HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, origin: &str, preflight: bool) -> Request {
        let mut b = http::Request::builder().method(method).uri("/api/accounts").header("origin", origin);
        if preflight {
            b = b.header("access-control-request-method", "POST");
        }
        b.body(Bytes::new()).unwrap()
    }

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert_eq!(
            parse_origins(" https://app.example.com, http://localhost:8080 ,").unwrap(),
            ["https://app.example.com", "http://localhost:8080"]
        );
        assert_eq!(parse_origins("").unwrap(), Vec::<String>::new());
        for bad in ["*", "app.example.com", "https://app.example.com/inbox", "ftp://x.test", "https://a.test?x=1"] {
            assert!(parse_origins(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_listed_origins_are_answered_and_never_with_credentials() {
        let allowed = parse_origins("https://host.example.com").unwrap();
        let ok = preflight(&allowed, &request(Method::OPTIONS, "https://host.example.com", true)).unwrap();
        assert_eq!(ok.status(), StatusCode::NO_CONTENT);
        assert_eq!(ok.headers()["access-control-allow-origin"], "https://host.example.com");
        assert!(ok.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
        assert!(!ok.headers().contains_key("access-control-allow-credentials"));
        assert!(preflight(&allowed, &request(Method::OPTIONS, "https://evil.example.com", true)).is_none());
        assert!(preflight(&allowed, &request(Method::OPTIONS, "https://host.example.com", false)).is_none());
        assert!(preflight(&[], &request(Method::OPTIONS, "https://host.example.com", true)).is_none());
        assert_eq!(allowed_origin(&allowed, &request(Method::GET, "https://host.example.com.evil.test", false)), None);
    }
}
