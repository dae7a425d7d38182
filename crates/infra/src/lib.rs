//! Deployment files derived from the route table, so that adding an endpoint
//! is one route entry and one handler: `inbox infra generate` writes its
//! `functions/` crate, and rewrites the SAM template and its Makefile, the
//! sample events and the watch router.

pub mod credentials;
pub mod fixtures;
pub mod functions;
pub mod make;
pub mod sam;
pub mod watch;

use std::path::Path;

/// Rewrites every derived file under the workspace root; returns the paths written.
pub fn generate(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut written = vec![];
    std::fs::write(root.join("infra/template.yaml"), sam::template())?;
    written.push("infra/template.yaml".to_string());
    std::fs::write(root.join("infra/Makefile"), make::makefile())?;
    written.push("infra/Makefile".to_string());
    let events = root.join("events");
    std::fs::create_dir_all(&events)?;
    for entry in std::fs::read_dir(&events)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::remove_file(path)?;
        }
    }
    for (name, content) in fixtures::events() {
        std::fs::write(events.join(&name), content)?;
        written.push(format!("events/{name}"));
    }
    for (path, content) in functions::files() {
        let path_on_disk = root.join(&path);
        std::fs::create_dir_all(path_on_disk.parent().expect("a file in a folder"))?;
        std::fs::write(path_on_disk, content)?;
        written.push(path);
    }
    for stale in functions::stale(root)? {
        // Never deleted here: it may hold work. Said, so it is removed by hand.
        eprintln!("warning: {stale} serves no function of the route table any more: remove it");
    }
    let manifest = root.join("Cargo.toml");
    std::fs::write(&manifest, watch::with_router(&std::fs::read_to_string(&manifest)?)?)?;
    written.push("Cargo.toml (watch router)".to_string());
    Ok(written)
}
