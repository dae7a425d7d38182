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
    functions.push(inbox_api::FALLBACK_FUNCTION.to_string());
    functions.push(inbox_api::routes::PAGES_FUNCTION.to_string());
    functions.extend(inbox_api::jobs::FUNCTIONS.iter().map(|(f, _)| f.to_string()));
    functions.sort();
    assert_eq!(
        crates, functions,
        "functions/ must hold exactly one crate per route, the fallback, the pages and the jobs"
    );

    // Every function crate is the same two lines: it serves the route named after it.
    let jobs = inbox_api::jobs::FUNCTIONS.iter().map(|(f, _)| *f);
    let others = [inbox_api::FALLBACK_FUNCTION, inbox_api::routes::PAGES_FUNCTION];
    for function in ROUTES.iter().map(|r| r.function).chain(others).chain(jobs) {
        let main = std::fs::read_to_string(dir.join(function).join("src/main.rs")).unwrap();
        let wired = "inbox_lambda::function(env!(\"CARGO_PKG_NAME\"))";
        assert!(main.contains(wired), "functions/{function} must serve {wired}");
        assert!(main.contains("inbox_lambda::main(FUNCTION)"), "functions/{function}");
        let manifest = std::fs::read_to_string(dir.join(function).join("Cargo.toml")).unwrap();
        assert!(manifest.contains(&format!("name = \"{function}\"")), "functions/{function}/Cargo.toml");
    }
}

/// `Route::allows`, the `const fn` that picks a function's warm-up read when its
/// binary is built, says what `Route::grants` (the SAM policy) says.
#[test]
fn allows_is_what_the_grants_say() {
    use inbox_api::access::Table;
    let actions: std::collections::BTreeSet<&str> =
        ROUTES.iter().flat_map(|r| r.grants()).flat_map(|(_, actions)| actions.iter().copied()).collect();
    assert!(actions.len() > 5, "{actions:?}");
    for r in ROUTES {
        let grants = r.grants();
        for table in Table::ALL {
            for &action in &actions {
                let granted = grants.iter().any(|(t, a)| *t == table && a.contains(&action));
                assert_eq!(r.allows(table, action), granted, "{} {table:?} {action}", r.function);
            }
        }
        // A route with tables warms its store; one without has nothing to warm.
        assert_eq!(inbox_api::warm::read_for(r).is_some(), !grants.is_empty(), "{}", r.function);
    }
}
