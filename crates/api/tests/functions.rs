//! The `functions/` crates and the route table agree one to one.

use inbox_api::ROUTES;
use std::path::Path;

#[test]
fn one_function_crate_per_route() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../functions");
    let mut crates: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| dir.join(name).join("Cargo.toml").exists())
        .collect();
    crates.sort();
    let mut functions: Vec<String> = ROUTES.iter().map(|r| r.function.to_string()).collect();
    functions.sort();
    assert_eq!(crates, functions, "functions/ must hold exactly one crate per route");

    for r in ROUTES {
        let main = std::fs::read_to_string(dir.join(r.function).join("src/main.rs")).unwrap();
        let wired = format!("inbox_lambda::run(inbox_api::Endpoint::{:?})", r.endpoint);
        assert!(main.contains(&wired), "functions/{} must call {wired}", r.function);
    }
}

/// `cargo lambda watch` routes every method and path of the API to its function.
#[test]
fn watch_router_matches_the_route_table() {
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml")).unwrap();
    let doc: toml::Table = manifest.parse().unwrap();
    let router = doc["workspace"]["metadata"]["lambda"]["watch"]["router"].as_table().expect("watch router");
    let mut declared: Vec<(String, String, String)> = vec![];
    for (path, entries) in router {
        for e in entries.as_array().expect("method list") {
            let method = e["method"].as_str().unwrap().to_string();
            declared.push((method, path.clone(), e["function"].as_str().unwrap().to_string()));
        }
    }
    declared.sort();
    let mut expected: Vec<_> =
        ROUTES.iter().map(|r| (r.method.to_string(), r.path.to_string(), r.function.to_string())).collect();
    expected.sort();
    assert_eq!(declared, expected);
}
