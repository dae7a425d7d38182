//! The pages' files, built into the binary (`crates/api/web/`). HTML pages get a
//! strict Content-Security-Policy: same-origin scripts, styles and API calls
//! only, nothing inline, no framing. Every file carries an `ETag`, so a
//! browser revalidates instead of downloading it again.

use crate::{Answer, ApiError, App, Call, Response};
use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

macro_rules! web {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $name))
    };
}

/// The dashboard's files, by the name they are served under (`/dashboard/{name}`).
pub const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.js", JS, web!("app.js")),
    ("api.js", JS, web!("api.js")),
    ("ui.js", JS, web!("ui.js")),
    ("accounts.js", JS, web!("accounts.js")),
    ("settings.js", JS, web!("settings.js")),
    ("connect.js", JS, web!("connect.js")),
    ("dashboard.css", CSS, web!("dashboard.css")),
    ("logo-whatsapp.svg", SVG, web!("logos/whatsapp.svg")),
    ("logo-linkedin.svg", SVG, web!("logos/linkedin.svg")),
    ("logo-telegram.svg", SVG, web!("logos/telegram.svg")),
    ("logo-instagram.svg", SVG, web!("logos/instagram.svg")),
    ("logo-x.svg", SVG, web!("logos/x.svg")),
    ("logo-gmail.svg", SVG, web!("logos/gmail.svg")),
    ("logo-outlook.svg", SVG, web!("logos/outlook.svg")),
];
pub const DASHBOARD: &[u8] = web!("dashboard.html");
pub const CONNECT: &[u8] = web!("connect.html");
const WIDGET: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/embed-accounts.js"));

/// Where the widget gets the vocabulary (it is one script: no import).
const VOCABULARY_SLOT: &str = "/*VOCABULARY*/ null";

/// The pages' words for account states and reasons, from the one place that
/// holds them ([`inbox_domain::status`]), as a module the pages import.
fn status_js() -> &'static [u8] {
    static JS: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    JS.get_or_init(|| format!("export const VOCABULARY = {};\n", inbox_domain::status::vocabulary()).into_bytes())
}

/// The widget with the vocabulary in its slot.
pub fn widget_js() -> &'static [u8] {
    static JS: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    JS.get_or_init(|| {
        assert!(WIDGET.contains(VOCABULARY_SLOT), "the widget keeps a slot for the vocabulary");
        WIDGET.replacen(VOCABULARY_SLOT, &inbox_domain::status::vocabulary().to_string(), 1).into_bytes()
    })
}

pub async fn dashboard(_app: &App, call: Call) -> Answer {
    Ok(file(&call, HTML, DASHBOARD))
}

pub async fn asset(_app: &App, call: Call, name: String) -> Answer {
    if name == "status.js" {
        return Ok(file(&call, JS, status_js()));
    }
    let (_, kind, body) = ASSETS.iter().find(|(n, _, _)| *n == name).ok_or_else(ApiError::not_found)?;
    Ok(file(&call, kind, body))
}

/// The same page for every account: it reads the account id from its own URL.
pub async fn connect(_app: &App, call: Call, _id: Uuid) -> Answer {
    Ok(file(&call, HTML, CONNECT))
}

/// Loaded by other sites' pages with `<script src>`: public, and readable
/// from any origin (it holds no data).
pub async fn widget(_app: &App, call: Call) -> Answer {
    let mut resp = file(&call, JS, widget_js());
    let h = resp.headers_mut();
    // Every page view of every host loads it: let browsers keep it a while.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    Ok(resp)
}

fn file(call: &Call, kind: &'static str, body: &'static [u8]) -> Response {
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(body))[..20]);
    // `If-None-Match` may list several tags, weak (`W/`) or not.
    let fresh =
        call.req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|tags| {
            tags.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == etag || t == "*")
        });
    let mut resp = Response::new(if fresh { Bytes::new() } else { Bytes::from_static(body) });
    if fresh {
        *resp.status_mut() = StatusCode::NOT_MODIFIED;
    }
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if kind == HTML {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    resp
}
