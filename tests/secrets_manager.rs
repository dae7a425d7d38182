//! On AWS the JWT secret is read from Secrets Manager at start-up (never from
//! the function's configuration): its current version signs, its previous
//! version still verifies what it signed, so a rotation logs nobody out. Here a
//! fake Secrets Manager answers the SDK's `GetSecretValue` calls.

mod support;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use support::*;

const CURRENT: &str = "current-secret-current-secret-current-secret";
const PREVIOUS: &str = "previous-secret-previous-secret-previous-secret";

/// Serves `GetSecretValue` for one secret with both versions; records each call.
fn fake_secrets_manager() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let calls = Arc::new(Mutex::new(vec![]));
    let seen = calls.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let (mut length, mut target) = (0, String::new());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if let Some(v) = lower.strip_prefix("x-amz-target:") {
                    target = v.trim().to_string();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            seen.lock().unwrap().push(json!({"target": target, "request": request}));
            let secret = match request["VersionStage"].as_str() {
                Some("AWSPREVIOUS") => PREVIOUS,
                _ => CURRENT,
            };
            let (status, answer) = if request["SecretId"] == "inbox/jwt" {
                (
                    "200 OK",
                    json!({"ARN": "arn:aws:secretsmanager:us-east-1:1:secret:inbox/jwt-AbCdEf", "Name": "inbox/jwt", "SecretString": secret}),
                )
            } else {
                ("400 Bad Request", json!({"__type": "ResourceNotFoundException", "Message": "no such secret"}))
            };
            let answer = answer.to_string();
            let _ = write!(
                conn,
                "HTTP/1.1 {status}\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, calls)
}

fn sign(secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[test]
fn the_jwt_secret_comes_from_secrets_manager_and_rotates_without_logging_out() {
    let (endpoint, calls) = fake_secrets_manager();
    let dir = temp_dir("secrets");
    let mut env: Vec<_> = support::env(&dir).into_iter().filter(|(k, _)| k != "INBOX_JWT_SECRET").collect();
    env.extend([
        ("INBOX_JWT_SECRET_ID".to_string(), "inbox/jwt".to_string()),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER".into(), endpoint),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID".into(), "local".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "local".into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
    ]);
    let srv = Server::start_env(&["--no-demo"], dir.clone(), env);
    let s = srv.client("owner");
    assert!(!dir.join("jwt-secret").exists(), "no secret is kept locally");

    // New tokens are signed with the current version, and name it.
    let header = jsonwebtoken::decode_header(&s.token).unwrap();
    assert!(header.kid.is_some());
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_required_spec_claims(&["exp"]);
    let key = jsonwebtoken::DecodingKey::from_secret(CURRENT.as_bytes());
    let claims = jsonwebtoken::decode::<Value>(&s.token, &key, &validation).expect("signed with AWSCURRENT").claims;
    assert_eq!(srv.get("/api/accounts", &s).status, 200);

    // A token signed before the rotation (by the previous version) still works; any other does not.
    let before = sign(PREVIOUS, &claims);
    assert_eq!(srv.call("GET", "/api/accounts", Some(&before), None).status, 200);
    let forged = sign("another-secret-another-secret-another-secret", &claims);
    assert_401(&srv.call("GET", "/api/accounts", Some(&forged), None), "Invalid JWT Token");

    let calls = calls.lock().unwrap();
    let stages: Vec<_> =
        calls.iter().map(|c| c["request"]["VersionStage"].as_str().unwrap_or("").to_string()).collect();
    assert!(stages.contains(&"AWSCURRENT".to_string()) && stages.contains(&"AWSPREVIOUS".to_string()), "{calls:?}");
    assert!(calls.iter().all(|c| c["target"] == "secretsmanager.getsecretvalue"), "{calls:?}");
}
