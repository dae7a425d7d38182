//! Test support: starts the real `inbox` binary on a fresh data folder and talks
//! to it over HTTP, as a client would. Each test file includes it as a module.
#![allow(dead_code)]

pub mod moto;
pub mod oidc;
pub mod receiver;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

/// The JWT secret every test server uses, so tests can forge expired or foreign tokens.
pub const SECRET: &str = "test-secret-test-secret-test-secret!";

/// The `inbox` binary of this build (`cargo build` puts it next to the test's `deps`).
pub fn inbox_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("INBOX_BIN") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target/<profile>");
    let bin = dir.join(format!("inbox{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} is missing: run `cargo build --workspace` first", bin.display());
    bin
}

/// The backend the black-box tests run on: `INBOX_TEST_STORE=dynamodb` for
/// DynamoDB Local, else the embedded SQLite store.
pub fn on_dynamodb() -> bool {
    std::env::var("INBOX_TEST_STORE").is_ok_and(|s| s == "dynamodb")
}

/// A fresh data folder; on DynamoDB also fresh tables named after it.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = new_dir(tag);
    if on_dynamodb() {
        let out = run_inbox(&dir, &["dynamodb", "create-tables"]);
        assert!(out.status.success(), "create-tables: {}", String::from_utf8_lossy(&out.stderr));
    }
    dir
}

fn new_dir(tag: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "inbox-test-{tag}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One `inbox serve` process on its own data folder and a free port.
pub struct Server {
    child: Child,
    pub base: String,
    pub data_dir: PathBuf,
    /// What `serve` printed before the URL line (the demo login, if any).
    pub banner: Vec<String>,
    env: Vec<(String, String)>,
}

impl Server {
    pub fn start() -> Server {
        Self::start_with(&["--no-demo"], temp_dir("srv"))
    }

    /// The store this server writes, opened directly (to check what was stored).
    pub async fn store(&self) -> std::sync::Arc<dyn inbox_store::Store> {
        if on_dynamodb() {
            let tables = inbox_store::Tables::prefixed(&table_prefix(&self.data_dir));
            std::sync::Arc::new(inbox_store::DynamoStore::local(inbox_store_contract::dynamodb_local(), tables).await)
        } else {
            std::sync::Arc::new(inbox_store::SqliteStore::open(&self.data_dir.join("inbox.db")).unwrap())
        }
    }

    pub fn start_with(args: &[&str], data_dir: PathBuf) -> Server {
        let env = env(&data_dir);
        Self::start_env(args, data_dir, env)
    }

    /// A server with exactly this environment.
    pub fn start_env(args: &[&str], data_dir: PathBuf, env: Vec<(String, String)>) -> Server {
        let mut child = Command::new(inbox_bin())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .envs(env.clone())
            .stdout(Stdio::piped())
            // Its log, to read after a failure (and to check what it never says).
            .stderr(Self::log_file(&data_dir))
            .spawn()
            .expect("start inbox serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut banner = vec![];
        let base = loop {
            let line = lines.next().expect("inbox serve exited before listening").unwrap();
            if let Some(url) = line.split("listening on ").nth(1) {
                break url.trim().to_string();
            }
            banner.push(line);
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, base, data_dir, banner, env }
    }

    fn log_file(data_dir: &std::path::Path) -> std::fs::File {
        // As private as the server makes it (a test checks the mode).
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(data_dir).expect("the data folder");
        let path = data_dir.join("server.log");
        std::fs::OpenOptions::new().create(true).append(true).open(path).expect("the server's log file")
    }

    /// What the server logged so far (its standard error).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("server.log")).unwrap_or_default()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server, keeping its data folder.
    pub fn stop_keeping_data(mut self) -> PathBuf {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::take(&mut self.data_dir)
    }

    /// Runs the CLI on this server's store.
    pub fn inbox(&self, args: &[&str]) -> Output {
        Command::new(inbox_bin()).args(args).envs(self.env.clone()).output().expect("run inbox")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A new client (tenant) with one user of the given role; returns its session.
    pub fn client(&self, role: &str) -> Session {
        let tenant = stdout_line(&self.inbox(&["tenant", "create", "--name", "Acme"]));
        self.user(&tenant, role)
    }

    /// A new user of `role` in an existing tenant, logged in.
    pub fn user(&self, tenant: &str, role: &str) -> Session {
        let username = format!("{role}-{}@example.test", uuid::Uuid::new_v4().simple());
        let out = self.inbox(&[
            "user",
            "create",
            "--tenant",
            tenant,
            "--username",
            &username,
            "--password",
            "correct horse",
            "--role",
            role,
        ]);
        let user_id = stdout_line(&out);
        let resp = self.post_json(
            "/authentication/login_check",
            None,
            &serde_json::json!({
                "username": username, "password": "correct horse"
            }),
        );
        assert_eq!(resp.status, 200, "login: {}", resp.text);
        Session { tenant: tenant.to_string(), user_id, token: resp.json["token"].as_str().unwrap().to_string() }
    }

    pub fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<(&str, &str)>) -> Resp {
        call(method, &self.url(path), token, body, &[])
    }

    pub fn get(&self, path: &str, s: &Session) -> Resp {
        self.call("GET", path, Some(&s.token), None)
    }

    pub fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.call("POST", path, token, Some(("application/ld+json", &body.to_string())))
    }

    pub fn put_json(&self, path: &str, s: &Session, body: &Value) -> Resp {
        self.call("PUT", path, Some(&s.token), Some(("application/ld+json", &body.to_string())))
    }

    pub fn delete(&self, path: &str, s: &Session) -> Resp {
        self.call("DELETE", path, Some(&s.token), None)
    }

    /// Creates an account; returns its id.
    pub fn create_account(&self, s: &Session, integration: &str) -> String {
        let r = self.post_json(
            "/api/accounts",
            Some(&s.token),
            &serde_json::json!({
                "integration": format!("/api/integrations/{integration}")
            }),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["id"].as_str().unwrap().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.data_dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

fn table_prefix(data_dir: &std::path::Path) -> String {
    data_dir.file_name().unwrap().to_string_lossy().into_owned()
}

/// The environment of every `inbox` process of a test on `data_dir`.
pub fn env(data_dir: &std::path::Path) -> Vec<(String, String)> {
    let mut env = vec![
        ("INBOX_DATA_DIR".to_string(), data_dir.display().to_string()),
        ("INBOX_JWT_SECRET".into(), SECRET.into()),
        ("RUST_LOG".into(), "warn".into()),
    ];
    if on_dynamodb() {
        env.extend(dynamodb_env(data_dir, inbox_store_contract::dynamodb_local()));
    }
    env
}

/// What points `inbox` at tables of its own (named after `data_dir`) on `endpoint`.
pub fn dynamodb_env(data_dir: &std::path::Path, endpoint: &str) -> Vec<(String, String)> {
    let tables = inbox_store::Tables::prefixed(&table_prefix(data_dir));
    vec![
        ("INBOX_STORE".to_string(), "dynamodb".to_string()),
        ("AWS_ENDPOINT_URL_DYNAMODB".into(), endpoint.into()),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID".into(), "local".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "local".into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ("INBOX_EVENTS_TABLE".into(), tables.events),
        ("INBOX_ACCOUNTS_TABLE".into(), tables.accounts),
        ("INBOX_DIRECTORY_TABLE".into(), tables.directory),
    ]
}

pub fn run_inbox(data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(inbox_bin()).args(args).envs(env(data_dir)).output().expect("run inbox")
}

/// The single line a successful command printed.
pub fn stdout_line(out: &Output) -> String {
    assert!(out.status.success(), "inbox failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "expected one line, got {text:?}");
    text.trim().to_string()
}

#[derive(Debug, Clone)]
pub struct Session {
    pub tenant: String,
    pub user_id: String,
    pub token: String,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
    /// The body as JSON (`Null` when empty or not JSON).
    pub json: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub fn call(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<(&str, &str)>,
    headers: &[(&str, &str)],
) -> Resp {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    call_on(&agent, method, url, token, body, headers)
}

/// A request whose redirect is answered, not followed.
pub fn call_once(method: &str, url: &str, headers: &[(&str, &str)]) -> Resp {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    call_on(&agent, method, url, None, None, headers)
}

fn call_on(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<(&str, &str)>,
    headers: &[(&str, &str)],
) -> Resp {
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let (content_type, bytes) = body.unwrap_or(("", ""));
    if !content_type.is_empty() {
        req = req.header("Content-Type", content_type);
    }
    let mut resp = agent.run(req.body(bytes.as_bytes().to_vec()).unwrap()).expect("HTTP call");
    let status = resp.status().as_u16();
    let headers =
        resp.headers().iter().map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string())).collect();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp { status, headers, text, json }
}

/// Asserts an API Platform problem+json answer with this status.
#[track_caller]
pub fn assert_problem(r: &Resp, status: u16) {
    assert_eq!(r.status, status, "{}", r.text);
    assert!(r.header("content-type").unwrap_or("").starts_with("application/problem+json"), "{:?}", r.headers);
    assert_eq!(r.json["@context"], "/api/contexts/Error");
    assert_eq!(r.json["@type"], "Error");
    assert_eq!(r.json["status"], status);
    assert_eq!(r.json["type"], format!("/errors/{status}"));
    assert!(r.json["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(r.json["detail"].as_str().is_some_and(|t| !t.is_empty()));
}

/// Asserts the JWT bundle's 401 answer.
#[track_caller]
pub fn assert_401(r: &Resp, message: &str) {
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json, serde_json::json!({"code": 401, "message": message}));
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
}
