//! The README's walk-through works as written, against a fresh `inbox serve`.

mod support;
use support::*;

#[test]
fn walkthrough_runs_verbatim() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let after = readme.split("<!-- walkthrough -->").nth(1).expect("walk-through marker");
    let script = after.split("```sh").nth(1).unwrap().split("```").next().unwrap();
    let default_api = "API=http://127.0.0.1:3000";
    assert!(script.contains(default_api));

    let srv = Server::start_with(&[], temp_dir("readme"));
    let script = script.replace(default_api, &format!("API={}", srv.base));
    let out = std::process::Command::new("bash").args(["-euo", "pipefail", "-c", &script]).output().expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "walk-through failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    let id = lines[0].strip_prefix("created ").expect("created line");
    uuid::Uuid::parse_str(id).expect("an account id");
    assert!(lines[1].contains("\"totalItems\":1"), "{}", lines[1]);
    assert!(lines[2].contains("\"description\":\"Support line\""), "{}", lines[2]);
    assert!(lines[3].contains("\"isAuthorized\":true") && lines[3].contains("Acme Support"), "{}", lines[3]);
    assert_eq!(&lines[4..], ["204", "404"]);
}
