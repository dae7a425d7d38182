//! The `functions/` crates: one per function of the route table (and the
//! pages, the fallback and the jobs), each a manifest and a
//! `main.rs` that serve the function named after the crate. All generated:
//! adding an endpoint is its route entry, its handler and `inbox infra generate`.

use crate::make::{features, functions};
use inbox_api::jobs::FUNCTIONS as JOB_FUNCTIONS;
use inbox_api::routes::PAGES_FUNCTION;
use inbox_api::{FALLBACK_FUNCTION, ROUTES};

/// What the function does: its description and the first lines of its `main.rs`.
fn purpose(function: &str) -> (String, String) {
    if function == PAGES_FUNCTION {
        let doc = "The pages (`/dashboard`, `/connect/…`, `/embed/accounts.js`) as one Lambda function.\n\
                   //! Serves every route whose `function` is this crate's name.";
        return ("the dashboard, connect page and embeddable widget".into(), doc.into());
    }
    if function == FALLBACK_FUNCTION {
        let doc = "API Gateway's `$default` route: every request no route matches, answered\n\
                   //! as problem+json (404, or 405 with `Allow` for a known path) like locally.";
        return (
            "every request API Gateway matches to no route ($default): problem+json 404 or 405".into(),
            doc.into(),
        );
    }
    if let Some((_, what)) = JOB_FUNCTIONS.iter().find(|(f, _)| *f == function) {
        let what = what[..1].to_lowercase() + &what[1..];
        let doc = format!("`{function}`, a job (no route) —\n//! {what}.");
        return (what, doc);
    }
    let r = ROUTES.iter().find(|r| r.function == function).expect("every function is a route's, or named above");
    let doc = format!(
        "`{} {}` as its own Lambda function.\n//! Serves the route whose `function` is this crate's name.",
        r.method, r.path
    );
    (format!("{} {}", r.method, r.path), doc)
}

fn manifest(function: &str) -> String {
    let (description, _) = purpose(function);
    let dependency = match features(function) {
        [] => "inbox-lambda.workspace = true".to_string(),
        f => format!("inbox-lambda = {{ workspace = true, features = [{}] }}", quoted(f)),
    };
    format!(
        r#"[package]
name = "{function}"
description = "Lambda: {description}"
version.workspace = true
edition.workspace = true
license.workspace = true
publish.workspace = true

# `cargo lambda watch` serves it on the embedded store; the deploy build
# (infra/Makefile) leaves SQLite out with --no-default-features.
[features]
default = ["local"]
local = ["inbox-lambda/sqlite"]

[dependencies]
{dependency}

# Its code is in the shared crates and tested there: no test harness of its own.
[[bin]]
name = "{function}"
path = "src/main.rs"
test = false
"#
    )
}

fn quoted(features: &[&str]) -> String {
    features.iter().map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(", ")
}

fn main_rs(function: &str) -> String {
    let (_, doc) = purpose(function);
    format!(
        r#"//! {doc}

// Found at compile time: the binary holds only what this crate's name serves.
const FUNCTION: inbox_lambda::Function = inbox_lambda::function(env!("CARGO_PKG_NAME"));

fn main() -> Result<(), inbox_lambda::Error> {{
    inbox_lambda::main(FUNCTION)
}}
"#
    )
}

/// Every file of every function crate: its path under the workspace, and its content.
pub fn files() -> Vec<(String, String)> {
    let mut out = vec![];
    for f in functions() {
        out.push((format!("functions/{f}/Cargo.toml"), manifest(f)));
        out.push((format!("functions/{f}/src/main.rs"), main_rs(f)));
    }
    out
}

/// Folders under `functions/` that no function of the route table owns any more.
pub fn stale(root: &std::path::Path) -> std::io::Result<Vec<String>> {
    let known = functions();
    let mut stale = vec![];
    for entry in std::fs::read_dir(root.join("functions"))? {
        let name = entry?.file_name().to_string_lossy().to_string();
        if !known.contains(&name.as_str()) {
            stale.push(format!("functions/{name}"));
        }
    }
    stale.sort();
    Ok(stale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_function_crates_are_generated_from_the_route_table() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for (path, content) in files() {
            let committed = std::fs::read_to_string(root.join(&path)).unwrap_or_default();
            assert!(committed == content, "{path} is stale: run `cargo run -q -p inbox -- infra generate`");
        }
        assert_eq!(stale(&root).unwrap(), Vec::<String>::new(), "function crates without a function");
    }

    #[test]
    fn each_function_links_its_own_features() {
        assert!(manifest("login-check").contains(r#"features = ["passwords"]"#));
        assert!(manifest("api-docs").contains(r#"features = ["openapi"]"#));
        assert!(manifest("accounts-get").contains("inbox-lambda.workspace = true"));
        assert!(main_rs("accounts-get").starts_with("//! `GET /api/accounts/{id}` as its own Lambda function."));
    }
}
