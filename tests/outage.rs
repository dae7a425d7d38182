//! DynamoDB goes away while `inbox serve` runs: 503 problem+json, then recovery.

mod support;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A DynamoDB Local process, stopped cleanly (SIGTERM) when dropped, even if the test fails.
struct DynamoDb(Child);

impl Drop for DynamoDb {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

/// DynamoDB Local in the foreground, data on disk so a restart keeps it.
fn dynamodb(port: u16, dir: &std::path::Path) -> DynamoDb {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/dynamodb-local.sh");
    let child = Command::new(script)
        .args(["run", &port.to_string(), &dir.display().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start DynamoDB Local");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "DynamoDB Local did not start on {port}");
        std::thread::sleep(Duration::from_millis(200));
    }
    DynamoDb(child)
}

#[test]
fn dynamodb_outage_is_503_and_the_server_recovers() {
    let port = free_port();
    let db_dir = temp_dir("ddb-data");
    let ddb = dynamodb(port, &db_dir);
    let data_dir = temp_dir("outage");
    let mut env = env(&data_dir);
    env.retain(|(k, _)| !k.starts_with("AWS_") && !k.starts_with("INBOX_STORE") && !k.ends_with("_TABLE"));
    env.extend(dynamodb_env(&data_dir, &format!("http://127.0.0.1:{port}")));
    let tables = Command::new(inbox_bin()).args(["dynamodb", "create-tables"]).envs(env.clone()).output().unwrap();
    assert!(tables.status.success(), "{}", String::from_utf8_lossy(&tables.stderr));
    assert_eq!(String::from_utf8_lossy(&tables.stdout).matches("created ").count(), 3);

    let srv = Server::start_env(&["--no-demo"], data_dir, env);
    let s = srv.client("owner");
    let id = srv.create_account(&s, "whatsapp");
    let path = format!("/api/accounts/{id}");

    drop(ddb); // a clean shutdown, so its data is on disk for the restart
    let started = Instant::now();
    for r in [
        srv.get(&path, &s),
        srv.get("/api/accounts", &s),
        srv.put_json(&path, &s, &serde_json::json!({"username": "x"})),
        srv.post_json("/authentication/login_check", None, &serde_json::json!({"username": "a", "password": "b"})),
    ] {
        assert_problem(&r, 503);
    }
    // Bounded retries: clients hear about the outage in well under a timeout.
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());

    let ddb = dynamodb(port, &db_dir);
    let back = srv.get(&path, &s);
    assert_eq!(back.status, 200, "{}", back.text);
    assert_eq!(back.json["id"], id.as_str());
    assert_eq!(srv.put_json(&path, &s, &serde_json::json!({"username": "x"})).status, 200);
    drop(ddb);
    std::fs::remove_dir_all(db_dir).ok();
}
