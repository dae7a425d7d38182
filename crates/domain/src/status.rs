//! What an account's state is called, in one place: the dashboard, the connect
//! page and the widget all read these words (served to them as JSON), so a
//! person sees one name for one state wherever they look.

use crate::account::Account;
use crate::commands::DEFAULT_DISCONNECT_REASON;
use serde_json::{json, Value};

/// An account's state as people see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Signed in with its channel (`isAuthorized`).
    Connected,
    /// Created, the channel's sign-in not finished yet.
    Waiting,
    /// Signed in once, then the session was lost (`disconnectedAt`).
    Disconnected,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Connected, Status::Waiting, Status::Disconnected];

    pub fn of(a: &Account) -> Status {
        if a.is_authorized {
            Status::Connected
        } else if a.disconnected_at.is_some() {
            Status::Disconnected
        } else {
            Status::Waiting
        }
    }

    /// The key pages style and test by (`data-state`).
    pub fn key(self) -> &'static str {
        match self {
            Status::Connected => "authorized",
            Status::Waiting => "waiting",
            Status::Disconnected => "disconnected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Connected => "Connected",
            Status::Waiting => "Waiting for sign-in",
            Status::Disconnected => "Disconnected",
        }
    }

    /// One sentence; `{reason}` stands for the reason in words.
    pub fn detail(self) -> &'static str {
        match self {
            Status::Connected => "Signed in: messages flow.",
            Status::Waiting => "Created: the sign-in with the channel is not finished yet.",
            Status::Disconnected => "Disconnected: {reason}. Sign in again to reconnect.",
        }
    }
}

/// The disconnect reasons connectors and this service report, in words; an
/// unknown one is shown with its underscores as spaces.
pub const REASONS: &[(&str, &str)] = &[
    (DEFAULT_DISCONNECT_REASON, "the session was lost"),
    ("logged_out", "logged out on the device"),
    ("token_revoked", "access was revoked"),
    ("credentials_revoked", "the provider revoked access"),
    ("password_changed", "the password changed"),
    ("session_expired", "the session expired"),
];

/// A reason in words.
pub fn reason_text(reason: &str) -> String {
    REASONS.iter().find(|(code, _)| *code == reason).map_or_else(|| reason.replace('_', " "), |(_, t)| t.to_string())
}

/// The whole vocabulary, as the pages read it.
pub fn vocabulary() -> Value {
    let statuses: serde_json::Map<String, Value> =
        Status::ALL.iter().map(|s| (s.key().into(), json!({"label": s.label(), "detail": s.detail()}))).collect();
    let reasons: serde_json::Map<String, Value> = REASONS.iter().map(|(c, t)| ((*c).into(), json!(t))).collect();
    let sign_in: serde_json::Map<String, Value> =
        crate::signin::Failure::ALL.iter().map(|f| (f.code().into(), json!(f.text()))).collect();
    json!({
        "statuses": statuses,
        "reasons": reasons,
        "defaultReason": DEFAULT_DISCONNECT_REASON,
        "signInFailures": sign_in,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_and_reason_has_words() {
        let v = vocabulary();
        for s in Status::ALL {
            assert!(v["statuses"][s.key()]["label"].is_string(), "{s:?}");
        }
        assert_eq!(reason_text("logged_out"), "logged out on the device");
        assert_eq!(reason_text("rate_limited"), "rate limited");
        assert_eq!(v["reasons"][DEFAULT_DISCONNECT_REASON], "the session was lost");
        assert_eq!(v["signInFailures"]["denied"], "access was not granted at the provider");
    }
}
