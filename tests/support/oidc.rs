//! The tests' OpenID provider (`tests/oidc/server.mjs`, panva's oidc-provider),
//! one per test on a free port, and a browser's way through its sign-in.

use super::{Resp, Server};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub const CLIENT_ID: &str = "inbox-accounts";
pub const CLIENT_SECRET: &str = "inbox-accounts-test-secret";
/// The login hint the provider's person declines with.
pub const DECLINES: &str = "deny@example.test";

pub struct Provider {
    child: Child,
    pub issuer: String,
}

/// `Authorization` of the provider's client (HTTP Basic of its id and secret).
const CLIENT_BASIC: &str = "Basic aW5ib3gtYWNjb3VudHM6aW5ib3gtYWNjb3VudHMtdGVzdC1zZWNyZXQ=";

impl Provider {
    pub fn start() -> Provider {
        Self::start_with(&[])
    }

    /// A provider with this environment (`ACCESS_TOKEN_TTL`: seconds).
    pub fn start_with(env: &[(&str, &str)]) -> Provider {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/oidc/run.sh");
        let mut child = Command::new(script)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the OpenID provider (tests/oidc/run.sh: Node and npm)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let issuer = loop {
            let line = lines.next().expect("the OpenID provider exited before listening").unwrap();
            if let Some(url) = line.split("listening on ").nth(1) {
                break url.trim().to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Provider { child, issuer }
    }

    /// What makes `inbox serve` sign Gmail accounts in at this provider, as
    /// Google is configured: offline access asked for with `prompt=consent`.
    pub fn gmail_env(&self) -> Vec<(String, String)> {
        [
            ("INBOX_OAUTH_GMAIL_CLIENT_ID", CLIENT_ID),
            ("INBOX_OAUTH_GMAIL_CLIENT_SECRET", CLIENT_SECRET),
            ("INBOX_OAUTH_GMAIL_ISSUER", self.issuer.as_str()),
            ("INBOX_OAUTH_GMAIL_SCOPES", "openid email profile offline_access"),
            ("INBOX_OAUTH_GMAIL_AUTHORIZE_PARAMS", "prompt=consent"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }
}

impl Provider {
    /// The provider's introspection of a token (RFC 7662), as its client asks.
    pub fn introspect(&self, token: &str) -> serde_json::Value {
        let body = format!("token={token}");
        let url = format!("{}/token/introspection", self.issuer);
        let headers = [("Authorization", CLIENT_BASIC)];
        let r = super::call("POST", &url, None, Some(("application/x-www-form-urlencoded", &body)), &headers);
        assert_eq!(r.status, 200, "{}", r.text);
        r.json
    }

    /// The token endpoint answers its next `n` requests 503.
    pub fn outage(&self, n: u32) {
        let r = super::call("POST", &format!("{}/test/outage/{n}", self.issuer), None, None, &[]);
        assert_eq!(r.status, 204, "{}", r.text);
    }

    /// The person withdraws every grant they gave (as in their account's settings).
    pub fn withdraw(&self, person: &str) {
        let r = super::call("POST", &format!("{}/test/revoke/{person}", self.issuer), None, None, &[]);
        assert_eq!(r.status, 204, "{}", r.text);
    }
}

/// `POST /api/accounts/{id}/access-token` as `s`.
pub fn hand_out(srv: &Server, s: &super::Session, id: &str) -> Resp {
    srv.call("POST", &format!("/api/accounts/{id}/access-token"), Some(&s.token), None)
}

/// The account's `CredentialsStored` events (what was stored, never what it is).
pub fn stored_credentials(srv: &Server, s: &super::Session, id: &str) -> Vec<serde_json::Value> {
    let r = srv.get(&format!("/api/accounts/{id}/events"), s);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["member"].as_array().unwrap().iter().filter(|e| e["type"] == "CredentialsStored").cloned().collect()
}

/// Signs an account in at the provider as `person`, the whole way.
pub fn sign_in(srv: &Server, s: &super::Session, id: &str, person: &str) {
    let r = srv.post_json(
        &format!("/api/accounts/{id}/sign-in"),
        Some(&s.token),
        &serde_json::json!({"loginHint": person}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let answer = browse(r.json["authorizationUrl"].as_str().unwrap(), &srv.url("/oauth/callback"));
    let back = once(&answer, "");
    assert!(back.header("location").is_some_and(|l| l.ends_with("?signIn=connected")), "{:?}", back.headers);
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server whose Gmail accounts sign in at `provider`. Its scheduled
/// renewal waits an hour: what the tests renew, hand-outs renew.
pub fn server_with(provider: &Provider) -> Server {
    server_with_env(provider, &[("INBOX_RENEW_EVERY", "3600")])
}

/// [`server_with`], with more environment.
pub fn server_with_env(provider: &Provider, more: &[(&str, &str)]) -> Server {
    let dir = super::temp_dir("oidc");
    let mut env = super::env(&dir);
    env.extend(provider.gmail_env());
    env.extend(more.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Server::start_env(&["--no-demo"], dir, env)
}

/// One request, redirects not followed.
pub fn once(url: &str, cookies: &str) -> Resp {
    let headers: Vec<(&str, &str)> = if cookies.is_empty() { vec![] } else { vec![("Cookie", cookies)] };
    super::call_once("GET", url, &headers)
}

/// A browser at the provider: follows its redirects from the authorization
/// URL, keeping its cookies, up to the first one to `stop_at` (the redirect
/// URI), which it returns without following.
pub fn browse(authorization_url: &str, stop_at: &str) -> String {
    let mut jar = BTreeMap::new();
    let mut url = authorization_url.to_string();
    for _ in 0..10 {
        let cookies: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let r = once(&url, &cookies.join("; "));
        for (name, value) in &r.headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                let pair = value.split(';').next().unwrap_or_default();
                if let Some((k, v)) = pair.split_once('=') {
                    jar.insert(k.trim().to_string(), v.trim().to_string());
                }
            }
        }
        let location =
            r.header("location").unwrap_or_else(|| panic!("no redirect from {url}: {} {}", r.status, r.text));
        let next = url::Url::parse(&url).and_then(|u| u.join(location)).expect("a redirect URL").to_string();
        if next.starts_with(stop_at) {
            return next;
        }
        url = next;
    }
    panic!("the provider kept redirecting");
}

/// A query parameter of a URL (decoded), if present.
pub fn param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The URL with `name` set to `value` (`None`: removed).
pub fn with_param(url: &str, name: &str, value: Option<&str>) -> String {
    let mut url = url::Url::parse(url).expect("an absolute URL");
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().filter(|(k, _)| k != name).collect();
    url.query_pairs_mut().clear().extend_pairs(pairs).extend_pairs(value.map(|v| (name, v)));
    url.to_string()
}
