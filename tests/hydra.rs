//! A real JSON-LD/Hydra API: API Platform's own clients read it. jsonld.js
//! expands every kind of body, and @api-platform/api-doc-parser finds every
//! resource, with its fields and operations, in the Hydra documentation and the
//! same resources and fields in the OpenAPI document.

mod support;
use serde_json::{json, Value};
use support::*;

const DOCS_REL: &str = "rel=\"http://www.w3.org/ns/hydra/core#apiDocumentation\"";

#[test]
fn entrypoint_contexts_and_documentation_are_public_json_ld() {
    let srv = Server::start();
    let entry = srv.call("GET", "/api", None, None);
    assert_eq!(entry.status, 200, "{}", entry.text);
    assert!(entry.header("content-type").unwrap().starts_with("application/ld+json"));
    assert_eq!(
        entry.json,
        json!({"@context": "/api/contexts/Entrypoint", "@id": "/api", "@type": "Entrypoint",
               "account": "/api/accounts", "apiToken": "/api/tokens", "integration": "/api/integrations",
               "user": "/api/users", "webhook": "/api/webhooks"})
    );
    let vocab = format!("{}/api/docs.jsonld#", srv.base);
    for name in [
        "Entrypoint",
        "Account",
        "Integration",
        "ApiToken",
        "AccountEvent",
        "TokenRequest",
        "Error",
        "ConstraintViolation",
    ] {
        let ctx = srv.call("GET", &format!("/api/contexts/{name}"), None, None);
        assert_eq!(ctx.status, 200, "{name}: {}", ctx.text);
        assert!(ctx.header("content-type").unwrap().starts_with("application/ld+json"));
        assert_eq!(ctx.json["@context"]["@vocab"], vocab, "{name}");
    }
    let account = srv.call("GET", "/api/contexts/Account", None, None).json;
    assert_eq!(account["@context"]["username"], "Account/username");
    assert_eq!(account["@context"]["integration"], json!({"@id": "Account/integration", "@type": "@id"}));
    assert_problem(&srv.call("GET", "/api/contexts/Nothing", None, None), 404);
    let docs = srv.call("GET", "/api/docs.jsonld", None, None);
    assert_eq!(docs.status, 200);
    assert_eq!(
        (docs.json["@type"].as_str(), docs.json["entrypoint"].as_str()),
        (Some("ApiDocumentation"), Some("/api"))
    );
    assert_eq!(docs.json["@context"][1]["@vocab"], vocab);
}

#[test]
fn every_answer_links_to_the_documentation() {
    let srv = Server::start();
    let s = srv.client("owner");
    let expected = format!("<{}/api/docs.jsonld>; {DOCS_REL}", srv.base);
    for r in [
        srv.get("/api/accounts", &s),
        srv.call("GET", "/api/accounts", None, None),
        srv.call("GET", "/nowhere", None, None),
        srv.post_json("/api/accounts", Some(&s.token), &json!({})),
        srv.call("GET", "/api", None, None),
    ] {
        assert_eq!(r.header("link"), Some(expected.as_str()), "{} {}", r.status, r.text);
    }
}

/// Runs the Node clients against the server on these bodies; returns their report.
fn clients(srv: &Server, bodies: &Value) -> Value {
    let file = srv.data_dir.join("bodies.json");
    std::fs::write(&file, bodies.to_string()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/node/run.sh");
    let client = concat!(env!("CARGO_MANIFEST_DIR"), "/node/hydra-clients.mjs");
    let out = std::process::Command::new(script).arg(client).arg(&srv.base).arg(&file).output().expect("node");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn api_platform_clients_read_the_api() {
    let srv = Server::start();
    let s = srv.client("owner");
    let id = srv.create_account(&s, "whatsapp");
    srv.put_json(&format!("/api/accounts/{id}"), &s, &json!({"username": "Support", "description": "Line 1"}));
    let token = srv.post_json("/api/tokens", Some(&s.token), &json!({"name": "crm"}));
    let token_iri = token.json["@id"].as_str().unwrap().to_string();
    let with_url = |path: &str, r: Resp| {
        assert!(r.status < 500 && r.json.is_object(), "{path}: {}", r.text);
        json!({"url": srv.url(path), "body": r.json})
    };
    let invalid = srv.post_json("/api/accounts", Some(&s.token), &json!({"integration": "/api/integrations/myspace"}));
    assert_eq!(invalid.status, 422);
    let bodies = json!({
        "account": with_url(&format!("/api/accounts/{id}"), srv.get(&format!("/api/accounts/{id}"), &s)),
        "collection": with_url("/api/accounts?accountType=whatsapp", srv.get("/api/accounts?accountType=whatsapp", &s)),
        "integration": with_url("/api/integrations/whatsapp", srv.get("/api/integrations/whatsapp", &s)),
        "integrations": with_url("/api/integrations", srv.get("/api/integrations", &s)),
        "token": with_url(&token_iri, token),
        "history": with_url(&format!("/api/accounts/{id}/events"), srv.get(&format!("/api/accounts/{id}/events"), &s)),
        "error": with_url("/api/accounts", invalid),
        "entrypoint": with_url("/api", srv.call("GET", "/api", None, None)),
    });
    assert!(bodies["collection"]["body"]["view"].is_object() && bodies["collection"]["body"]["search"].is_object());
    let report = clients(&srv, &bodies);

    // jsonld.js: every body expands, and every key with a value becomes an IRI.
    for (name, result) in report["expansion"].as_object().unwrap() {
        assert_eq!(result["ok"], true, "{name}: {result}");
        assert_eq!(result["dropped"], json!([]), "{name} drops terms: {result}");
        assert!(!result["terms"].as_array().unwrap().is_empty(), "{name}");
    }
    let account_terms = report["expansion"]["account"]["terms"].to_string();
    assert!(account_terms.contains(&format!("{}/api/docs.jsonld#Account/username", srv.base)), "{account_terms}");

    // api-doc-parser on the Hydra documentation.
    let hydra = &report["hydra"];
    assert_eq!(hydra["ok"], true, "{hydra}");
    let names: Vec<_> = hydra["resources"].as_array().unwrap().iter().map(|r| r["name"].clone()).collect();
    assert_eq!(names, [json!("accounts"), json!("integrations"), json!("tokens"), json!("users"), json!("webhooks")]);
    let resource = |doc: &Value, name: &str| -> Value {
        doc["resources"].as_array().unwrap().iter().find(|r| r["name"] == name).cloned().unwrap_or(Value::Null)
    };
    let field = |r: &Value, name: &str| -> Value {
        r["fields"].as_array().unwrap().iter().find(|f| f["name"] == name).cloned().unwrap_or(Value::Null)
    };
    let accounts = resource(hydra, "accounts");
    assert_eq!(accounts["url"], srv.url("/api/accounts"));
    assert_eq!(
        field(&accounts, "integration"),
        json!({"name": "integration", "required": true, "readable": true, "writable": true, "reference": "integrations"})
    );
    for (name, writable) in
        [("username", true), ("sharePastHistory", true), ("id", false), ("clientId", false), ("isAuthorized", false)]
    {
        let f = field(&accounts, name);
        assert_eq!(
            (f["readable"].clone(), f["writable"].clone(), f["required"].clone()),
            (json!(true), json!(writable), json!(false)),
            "{name}"
        );
    }
    assert_eq!(accounts["operations"], json!(["create POST", "delete DELETE", "edit PUT", "list GET", "show GET"]));
    let tokens = resource(hydra, "tokens");
    assert_eq!(
        (field(&tokens, "name")["required"].clone(), field(&tokens, "name")["writable"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(field(&tokens, "hint")["writable"], false);
    assert_eq!(tokens["operations"], json!(["create POST", "delete DELETE", "list GET", "show GET"]));
    let integrations = resource(hydra, "integrations");
    assert!(integrations["fields"].as_array().unwrap().iter().all(|f| f["writable"] == false && f["readable"] == true));
    assert_eq!(integrations["operations"], json!(["list GET", "show GET"]));

    // api-doc-parser on the OpenAPI document: the same resources, the same fields.
    // (Its list and create operations are looked up without the `/api` prefix,
    // a known limitation of the parser, so only fields are compared.)
    let openapi = &report["openapi"];
    assert_eq!(openapi["ok"], true, "{openapi}");
    for name in ["accounts", "integrations", "tokens"] {
        let flags = |r: &Value| -> Vec<Value> {
            r["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| json!([f["name"], f["required"], f["readable"], f["writable"]]))
                .collect()
        };
        assert_eq!(flags(&resource(openapi, name)), flags(&resource(hydra, name)), "{name}");
    }
}
