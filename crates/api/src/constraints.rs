//! What the API enforces on input, stated in the OpenAPI document so that a
//! schema-valid request is an accepted one (schemathesis holds us to it): the
//! text rules of `inbox_domain::text`, URL and length limits, the integration
//! IRIs, page bounds. The limits come from the domain, never copied.

use inbox_domain::commands::{MAX_DESCRIPTION, MAX_NAME, MAX_URL};
use inbox_domain::integrations::INTEGRATIONS;
use serde_json::{json, Map, Value};

/// No control characters (but line breaks and tabs in multi-line text), no
/// bidirectional overrides or isolates: what `text::clean` refuses.
const FORBIDDEN: &str = r"\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069";
const FORBIDDEN_MULTILINE: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069";
/// Characters that show nothing (white space included): a text made only of
/// them is blank. White space is listed, not `\s`, whose meaning varies by engine.
const INVISIBLE: &str = r"\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u2028\u2029\u2060-\u2064\u3164\uFE00-\uFE0F\uFEFF\uFFA0";

/// A one-line name with at least one visible character.
fn name(max: usize) -> Value {
    let visible = format!("[^{FORBIDDEN}]*[^{FORBIDDEN}{INVISIBLE}][^{FORBIDDEN}]*");
    json!({"minLength": 1, "maxLength": max, "pattern": format!("^{visible}$")})
}

/// A multi-line text that may be empty or blank, but not made only of
/// invisible characters.
fn description(max: usize) -> Value {
    let f = FORBIDDEN_MULTILINE;
    let visible = format!("[^{f}]*[^{f}{INVISIBLE}][^{f}]*");
    json!({"maxLength": max, "pattern": format!(r"^([\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*|{visible})$")})
}

/// An absolute http(s) URL with a host, in RFC 3986's grammar: what the API
/// accepts (`inbox_domain::commands::is_http_url`).
fn url() -> Value {
    let c = r"A-Za-z0-9\-._~!$&'()*+,;=";
    let e = "%[0-9A-Fa-f]{2}";
    let pattern = format!(
        r"^https?://(([{c}:]|{e})*@)?([{c}]|{e})+(:[0-9]*)?(/([{c}:@]|{e})*)*(\?([{c}:@/?]|{e})*)?(#([{c}:@/?]|{e})*)?$"
    );
    json!({"format": "uri", "maxLength": MAX_URL, "pattern": pattern})
}

/// The integration IRIs, in both accepted forms.
fn integration_iris() -> Value {
    let forms =
        INTEGRATIONS.iter().flat_map(|i| [format!("/api/integrations/{}", i.id), format!("/integrations/{}", i.id)]);
    json!({"enum": forms.collect::<Vec<_>>()})
}

/// (schema, property, constraints) for every input the API checks beyond its type.
fn rules() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("AccountCreate", "integration", integration_iris()),
        ("AccountUpdate", "username", name(MAX_NAME)),
        ("AccountUpdate", "description", description(MAX_DESCRIPTION)),
        ("AccountUpdate", "avatarUrl", url()),
        ("AuthorizeInput", "platformId", name(MAX_NAME)),
        ("AuthorizeInput", "platformUsername", name(MAX_NAME)),
        ("AuthorizeInput", "username", name(MAX_NAME)),
        ("AuthorizeInput", "description", description(MAX_DESCRIPTION)),
        ("AuthorizeInput", "avatarUrl", url()),
        ("DisconnectInput", "reason", name(MAX_NAME)),
        ("DisconnectInput", "reconnectUrl", url()),
        ("TokenCreate", "name", name(crate::tokens::MAX_NAME)),
    ]
}

/// Adds the constraints to the document's schemas and query parameters.
pub fn apply(doc: &mut Value) {
    for (schema, property, constraints) in rules() {
        let target = doc.pointer_mut(&format!("/components/schemas/{schema}/properties/{property}"));
        if let Some(Value::Object(p)) = target {
            merge(p, &constraints);
        }
    }
    // A page is an integer from 1 to 1,000,000; a cursor a non-empty key.
    for (_, item) in doc.get_mut("paths").and_then(Value::as_object_mut).into_iter().flatten() {
        for (_, op) in item.as_object_mut().into_iter().flatten() {
            let params = op.get_mut("parameters").and_then(Value::as_array_mut);
            for param in params.into_iter().flatten() {
                let bounds = match param["name"].as_str() {
                    Some("page") => json!({"minimum": 1, "maximum": 1_000_000}),
                    Some("before") => json!({"minLength": 1, "maxLength": 200}),
                    _ => continue,
                };
                if let Some(Value::Object(schema)) = param.get_mut("schema") {
                    merge(schema, &bounds);
                }
            }
        }
    }
}

fn merge(target: &mut Map<String, Value>, constraints: &Value) {
    for (k, v) in constraints.as_object().into_iter().flatten() {
        target.insert(k.clone(), v.clone());
    }
}
