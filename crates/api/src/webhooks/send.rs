//! One delivery attempt over HTTP(S), and the address guard in front of it:
//! the host is resolved, every address must be public (unless private targets
//! are allowed), and the request goes to a checked address — never to a name
//! resolved again later. One POST, no redirects, 15 s in all.

use crate::outbound;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use http_body_util::Full;
use inbox_domain::webhooks::{is_public, Outcome, TIMEOUT};
use std::net::SocketAddr;
use url::Url;

/// The longest URL an endpoint may have.
pub const MAX_URL: usize = 2048;

/// A parsed, acceptable endpoint URL.
#[derive(Debug, Clone)]
pub struct Target {
    url: Url,
    host: String,
    port: u16,
}

/// Checks the form of an endpoint URL: `https` (or `http` where private
/// targets are allowed), a host, no credentials, at most [`MAX_URL`] bytes.
pub fn parse(url: &str, allow_private: bool) -> Result<Target, String> {
    if url.len() > MAX_URL {
        return Err(format!("This URL is longer than {MAX_URL} characters."));
    }
    let parsed = Url::parse(url).map_err(|_| "This value is not a valid URL.".to_string())?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err("The URL must use https.".into()),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("The URL must not contain credentials.".into());
    }
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) => d.to_string(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err("The URL must name a host.".into()),
    };
    let port = parsed.port_or_known_default().ok_or("The URL must name a port.")?;
    Ok(Target { url: parsed, host, port })
}

/// The addresses to connect to: all public, unless private targets are allowed.
pub async fn resolve(target: &Target, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> = match target.host.parse::<std::net::IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, target.port)],
        Err(_) => tokio::net::lookup_host((target.host.as_str(), target.port))
            .await
            .map_err(|_| format!("The host {} cannot be resolved.", target.host))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(format!("The host {} cannot be resolved.", target.host));
    }
    if !allow_private {
        // Which private address it is stays in the server's log: a caller
        // must not map internal names through this answer.
        if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
            tracing::info!(host = %target.host, address = %bad.ip(), "webhook target refused: not a public address");
            return Err(format!("The URL must reach a public address; {} does not.", target.host));
        }
    }
    Ok(addrs)
}

/// How long registration waits for a name to resolve; a resolver slower than
/// that counts as "does not resolve yet" rather than holding the request.
const RESOLVE_AT_REGISTRATION: std::time::Duration = std::time::Duration::from_secs(3);

/// Registration's check: the form, then where the host resolves now. A name
/// that does not resolve (yet) is accepted: every delivery checks again.
pub async fn check(url: &str, allow_private: bool) -> Result<(), String> {
    let target = parse(url, allow_private)?;
    match tokio::time::timeout(RESOLVE_AT_REGISTRATION, resolve(&target, allow_private)).await {
        Err(_) => Ok(()),
        Ok(Err(e)) if e.ends_with("cannot be resolved.") => Ok(()),
        Ok(other) => other.map(drop),
    }
}

/// Sends one POST of `body` with `headers` to `url`, and tells how it went.
pub async fn post(url: &str, headers: &[(&str, String)], body: String, allow_private: bool) -> Outcome {
    match tokio::time::timeout(TIMEOUT, attempt(url, headers, body, allow_private)).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => Outcome::Failed { error },
        Err(_) => Outcome::Failed { error: format!("no answer within {} s", TIMEOUT.as_secs()) },
    }
}

async fn attempt(url: &str, headers: &[(&str, String)], body: String, allow_private: bool) -> Result<Outcome, String> {
    let target = parse(url, allow_private)?;
    let addrs = resolve(&target, allow_private).await?;
    let io = outbound::connect(&target.url, &addrs).await?;
    let mut req = outbound::request(http::Method::POST, &target.url)
        .header(CONTENT_TYPE, "application/json")
        .header(USER_AGENT, concat!("inbox-accounts-webhooks/", env!("CARGO_PKG_VERSION")));
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    let req = req.body(Full::new(Bytes::from(body))).map_err(|e| format!("bad request: {e}"))?;
    // The answer's head is all a delivery needs.
    let answer = outbound::exchange(io, req, 0).await?;
    let retry_after = answer.headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(retry_after);
    Ok(Outcome::Answered { status: answer.status, retry_after })
}

/// `Retry-After` in seconds: a number, or an HTTP date from now.
fn retry_after(value: &str) -> Option<u64> {
    if let Ok(secs) = value.trim().parse::<u64>() {
        return Some(secs);
    }
    let at = chrono::DateTime::parse_from_rfc2822(value.trim()).ok()?;
    Some((at.timestamp() - chrono::Utc::now().timestamp()).max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_without_credentials() {
        assert!(parse("https://example.test/hook?x=1", false).is_ok());
        assert!(parse("http://example.test/hook", false).unwrap_err().contains("https"));
        assert!(parse("http://127.0.0.1:9/hook", true).is_ok());
        assert!(parse("ftp://example.test/", true).is_err());
        assert!(parse("https://user:pw@example.test/", false).unwrap_err().contains("credentials"));
        assert!(parse("not a url", false).is_err());
        assert!(parse(&format!("https://example.test/{}", "a".repeat(MAX_URL)), false).is_err());
        assert_eq!(retry_after(" 120 "), Some(120));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(0));
        assert_eq!(retry_after("soon"), None);
    }

    #[tokio::test]
    async fn private_targets_are_refused_before_any_request() {
        for url in ["https://127.0.0.1/", "https://169.254.169.254/latest", "https://10.0.0.1/", "https://[::1]/"] {
            assert!(check(url, false).await.unwrap_err().contains("public address"), "{url}");
            assert!(check(url, true).await.is_ok(), "{url} allowed when private targets are");
        }
        assert!(check("https://localhost/", false).await.unwrap_err().contains("public address"));
        // Nothing listens on the discard port: the guard answers before any connection.
        let outcome = post("https://127.0.0.1:9/", &[], "{}".into(), false).await;
        assert!(matches!(outcome, Outcome::Failed { error } if error.contains("public address")));
    }
}
