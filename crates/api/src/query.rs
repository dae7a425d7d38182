//! Reading requests: query strings and JSON bodies, with clear 400/415 answers.

use crate::{ApiError, Request};
use http::{header, StatusCode};
use serde::de::DeserializeOwned;

/// `a=1&b=x%20y` as decoded pairs, in order.
pub fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| bytes.get(j).and_then(|b| (*b as char).to_digit(16));
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
            (b'+', ..) => out.push(b' '),
            (b, ..) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const JSON_TYPES: [&str; 2] = ["application/ld+json", "application/json"];

/// Checks the content type and decodes the body into `T`; a wrong type of any
/// field is a 400 naming the field.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !JSON_TYPES.contains(&essence.as_str()) {
        let shown = if content_type.is_empty() { "(none)" } else { content_type };
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "The content-type \"{shown}\" is not supported. Supported MIME types are \"{}\".",
                JSON_TYPES.join("\", \"")
            ),
        ));
    }
    let value: serde_json::Value =
        serde_json::from_slice(req.body()).map_err(|e| ApiError::bad_request(format!("Syntax error: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::bad_request("The request body must be a JSON object."));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            ApiError::bad_request(format!("Invalid body: {inner}."))
        } else {
            ApiError::bad_request(format!("The \"{path}\" attribute is invalid: {inner}."))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_encodes() {
        assert_eq!(
            pairs(Some("a=1&b=x%20y+z&c&%zz=%4")),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y z".into()),
                ("c".into(), "".into()),
                ("%zz".into(), "%4".into()),
            ]
        );
        assert_eq!(encode("a b/é"), "a%20b%2F%C3%A9");
        assert_eq!(pairs(Some(&format!("v={}", encode("a b&c=d")))), vec![("v".into(), "a b&c=d".into())]);
    }
}
