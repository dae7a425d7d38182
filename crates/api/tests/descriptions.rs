//! The two descriptions of the API cannot drift: every class of the Hydra
//! documentation has the same properties, with the same read-only and required
//! marks, as its schema in the OpenAPI document; and every collection of the
//! entrypoint is a documented path.

use serde_json::Value;

#[test]
fn hydra_and_openapi_describe_the_same_classes() {
    let hydra = inbox_api::hydra::documentation("http://example.test");
    let openapi = inbox_api::openapi::cached();
    let classes = hydra["supportedClass"].as_array().unwrap();
    let mut compared = 0;
    for class in classes {
        let name = class["title"].as_str().unwrap();
        if matches!(name, "Entrypoint" | "ConstraintViolationList") {
            continue;
        }
        let schema = &openapi["components"]["schemas"][name];
        assert!(schema.is_object(), "{name} has no OpenAPI schema");
        let mut in_schema: Vec<(String, bool, bool)> = schema["properties"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| !k.starts_with('@'))
            .map(|(k, p)| {
                let required = schema["required"].as_array().is_some_and(|r| r.iter().any(|v| v == k));
                (k.clone(), p["readOnly"] != Value::Bool(true), required)
            })
            .collect();
        let mut in_hydra: Vec<(String, bool, bool)> = class["supportedProperty"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["title"].as_str().unwrap().to_string(), p["writeable"] == true, p["required"] == true))
            .collect();
        in_schema.sort();
        in_hydra.sort();
        assert_eq!(in_hydra, in_schema, "{name}: (property, writeable, required)");
        compared += 1;
    }
    assert!(compared >= 5, "Account, Integration, ApiToken, AccountEvent, TokenRequest");
    let entrypoint = inbox_api::hydra::entrypoint();
    for (key, path) in entrypoint.as_object().unwrap().iter().filter(|(k, _)| !k.starts_with('@')) {
        assert!(openapi["paths"][path.as_str().unwrap()]["get"].is_object(), "{key}: {path}");
    }
}
