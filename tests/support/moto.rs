//! moto's server (PyPI `moto`, installed by `tests/run.sh` in `.tools/venv`):
//! KMS and Secrets Manager as the SDK calls them, one per test on a free port.

use super::Resp;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    pub url: String,
}

impl Moto {
    pub fn start() -> Moto {
        let bin = concat!(env!("CARGO_MANIFEST_DIR"), "/../.tools/venv/bin/moto_server");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server (tests/run.sh installs it in .tools/venv)");
        let moto = Moto { child, url: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not listen on {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// One call of the AWS JSON protocol (moto checks no signature, only the
    /// service named in the credential scope).
    pub fn call(&self, service: &str, target: &str, body: &Value) -> Resp {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=local/20260101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"
        );
        let headers = [("X-Amz-Target", target), ("Authorization", auth.as_str())];
        let body = body.to_string();
        super::call("POST", &format!("{}/", self.url), None, Some(("application/x-amz-json-1.1", &body)), &headers)
    }

    /// A new symmetric KMS key; its ARN.
    pub fn create_key(&self) -> String {
        let r = self.call("kms", "TrentService.CreateKey", &serde_json::json!({}));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["KeyMetadata"]["Arn"].as_str().unwrap().to_string()
    }

    pub fn create_secret(&self, name: &str, value: &str) {
        let body = serde_json::json!({"Name": name, "SecretString": value});
        let r = self.call("secretsmanager", "secretsmanager.CreateSecret", &body);
        assert_eq!(r.status, 200, "{}", r.text);
    }

    /// What the AWS SDK needs to reach this server as AWS.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.url.as_str()),
            ("AWS_REGION", REGION),
            ("AWS_ACCESS_KEY_ID", "local"),
            ("AWS_SECRET_ACCESS_KEY", "local"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }
}

pub const REGION: &str = "us-east-1";

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
