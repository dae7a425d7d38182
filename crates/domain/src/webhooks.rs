//! Webhooks, the pure part: which message type each account event becomes, the
//! Standard Webhooks signature, the retry schedule and what an attempt's
//! outcome means for the message and its endpoint, and which addresses a
//! delivery may reach.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// Each account event's message type, in one place (`events` filters name these).
pub const EVENT_TYPES: &[(&str, &str)] = &[
    ("AccountConnected", "account.connected"),
    ("AccountAuthorized", "account.authorized"),
    ("AccountDisconnected", "account.disconnected"),
    ("AccountUpdated", "account.updated"),
    ("HistorySyncSet", "account.history_sync_set"),
    ("AccountRemoved", "account.removed"),
];

/// The type of the message `POST /api/webhooks/{id}/test` sends.
pub const TEST_TYPE: &str = "webhook.test";

/// The message type of an account event type (`None` for one no message names).
pub fn message_type(event_type: &str) -> Option<&'static str> {
    EVENT_TYPES.iter().find(|(e, _)| *e == event_type).map(|(_, m)| *m)
}

pub fn is_message_type(name: &str) -> bool {
    EVENT_TYPES.iter().any(|(_, m)| *m == name)
}

/// Whether an endpoint filtering on `events` (empty: all) wants `message_type`.
pub fn wants(events: &[String], message_type: &str) -> bool {
    events.is_empty() || events.iter().any(|e| e == message_type)
}

/// The Standard Webhooks delays before each attempt: immediately, 5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
pub const SCHEDULE: &[u64] = &[0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400];

/// An endpoint all of whose deliveries failed for this long is disabled.
pub const FAILING_LIMIT: Duration = Duration::from_secs(5 * 24 * 3600);

/// A delivery succeeds on a 2xx answer within this time.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// Parses `INBOX_WEBHOOK_RETRY_SCHEDULE`: comma-separated seconds before each attempt.
pub fn parse_schedule(text: &str) -> Result<Vec<u64>, String> {
    let delays: Result<Vec<u64>, _> = text.split(',').map(|s| s.trim().parse::<u64>()).collect();
    match delays {
        Ok(d) if !d.is_empty() => Ok(d),
        _ => Err(format!("INBOX_WEBHOOK_RETRY_SCHEDULE: expected comma-separated seconds, got {text:?}")),
    }
}

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with the
/// decoded secret (`whsec_` + base64).
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let key = secret_key(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", b64().encode(mac.finalize().into_bytes())))
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// The key bytes of a `whsec_…` secret.
pub fn secret_key(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret.strip_prefix("whsec_").ok_or("a webhook secret starts with whsec_")?;
    b64().decode(encoded).map_err(|e| format!("a webhook secret is base64 after whsec_: {e}"))
}

/// A secret from 32 random bytes.
pub fn secret_from(bytes: &[u8; 32]) -> String {
    format!("whsec_{}", b64().encode(bytes))
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP answer; `retry_after` from its header, in seconds.
    Answered { status: u16, retry_after: Option<u64> },
    /// No answer: refused, blocked by the address guard, timed out, TLS …
    Failed { error: String },
}

/// What an outcome means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Delivered,
    /// Try again after this delay.
    Retry(Duration),
    /// The last attempt failed: the message is `failed`.
    GiveUp,
    /// `410 Gone`: the message fails and the endpoint is disabled.
    Gone,
}

/// Decides after attempt number `attempt` (1-based) of `schedule`. `jitter` in
/// [-1, 1] spreads retries by up to a tenth of their delay.
pub fn next(outcome: &Outcome, attempt: u32, schedule: &[u64], jitter: f64) -> Next {
    let retry_after = match outcome {
        Outcome::Answered { status: 200..=299, .. } => return Next::Delivered,
        Outcome::Answered { status: 410, .. } => return Next::Gone,
        Outcome::Answered { status: 429 | 503, retry_after } => *retry_after,
        _ => None,
    };
    let Some(&delay) = schedule.get(attempt as usize) else { return Next::GiveUp };
    let spread = (delay as f64 * 0.1 * jitter.clamp(-1.0, 1.0)).round() as i64;
    let scheduled = (delay as i64 + spread).max(0) as u64;
    // A receiver asking for more time gets it, up to the schedule's longest wait.
    let wait = retry_after.map_or(scheduled, |r| scheduled.max(r.min(*SCHEDULE.last().expect("non-empty"))));
    Next::Retry(Duration::from_secs(wait))
}

/// Whether a delivery may reach `ip`: public unicast only. Loopback, private,
/// link-local (the cloud metadata address), CGNAT, multicast, unspecified,
/// documentation and reserved ranges are refused, also inside IPv6.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let low_v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    // NAT64 (64:ff9b::/96), IPv4-compatible (::/96) and IPv4-translated
    // (::ffff:0:0:0/96) addresses reach IPv4: judged by that address.
    if (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4]) || s[..6] == [0; 6] || s[..6] == [0, 0, 0, 0, 0xffff, 0] {
        return !ip.is_unspecified() && !ip.is_loopback() && is_public_v4(low_v4);
    }
    // 6to4 (2002::/16) carries its IPv4 address in the next 32 bits.
    if s[0] == 0x2002 {
        return is_public_v4(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo: tunnels to anywhere
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1)) // local-use NAT64 (RFC 8215)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(sign("MfKQ9r8", "m", 1, "").is_err());
    }

    #[test]
    fn every_account_event_has_a_message_type() {
        for t in ["AccountConnected", "AccountAuthorized", "AccountDisconnected", "AccountUpdated"] {
            assert!(message_type(t).is_some(), "{t}");
        }
        assert_eq!(message_type("HistorySyncSet"), Some("account.history_sync_set"));
        assert_eq!(message_type("AccountRemoved"), Some("account.removed"));
        assert!(is_message_type("account.removed") && !is_message_type("account.deleted"));
        assert!(wants(&[], "account.removed"));
        assert!(!wants(&["account.connected".into()], "account.removed"));
    }

    #[test]
    fn outcomes_follow_the_schedule() {
        let ok = Outcome::Answered { status: 204, retry_after: None };
        assert_eq!(next(&ok, 1, SCHEDULE, 0.0), Next::Delivered);
        let err = Outcome::Answered { status: 500, retry_after: None };
        assert_eq!(next(&err, 1, SCHEDULE, 0.0), Next::Retry(Duration::from_secs(5)));
        assert_eq!(next(&err, 2, SCHEDULE, 1.0), Next::Retry(Duration::from_secs(330)));
        assert_eq!(next(&err, 2, SCHEDULE, -1.0), Next::Retry(Duration::from_secs(270)));
        assert_eq!(next(&err, 10, SCHEDULE, 0.0), Next::GiveUp);
        let redirect = Outcome::Answered { status: 302, retry_after: None };
        assert_eq!(next(&redirect, 1, SCHEDULE, 0.0), Next::Retry(Duration::from_secs(5)));
        let gone = Outcome::Answered { status: 410, retry_after: None };
        assert_eq!(next(&gone, 1, SCHEDULE, 0.0), Next::Gone);
        let busy = Outcome::Answered { status: 429, retry_after: Some(120) };
        assert_eq!(next(&busy, 1, SCHEDULE, 0.0), Next::Retry(Duration::from_secs(120)));
        let failed = Outcome::Failed { error: "refused".into() };
        assert_eq!(next(&failed, 1, &[0, 1], 0.0), Next::Retry(Duration::from_secs(1)));
        assert_eq!(next(&failed, 2, &[0, 1], 0.0), Next::GiveUp);
        assert_eq!(parse_schedule("0, 1,2").unwrap(), vec![0, 1, 2]);
        assert!(parse_schedule("0,x").is_err() && parse_schedule("").is_err());
    }

    #[test]
    fn only_public_addresses_are_reachable() {
        for blocked in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "64:ff9b:1::a00:1",
            "::ffff:0:a00:1",
            "2002:a00:1::1",
            "2001:0:4136:e378::1",
            "192.88.99.1",
        ] {
            assert!(!is_public(blocked.parse().unwrap()), "{blocked} must be refused");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"] {
            assert!(is_public(public.parse().unwrap()), "{public} must be allowed");
        }
    }
}
