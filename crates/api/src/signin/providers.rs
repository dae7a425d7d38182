//! Which integrations this server signs in itself (OAuth 2.0 / OpenID
//! Connect), and how: from the environment, over defaults for each provider.
//! An integration is signed in here once its client id and secret are set
//! (`INBOX_OAUTH_{GMAIL,OUTLOOK,LINKEDIN,X,INSTAGRAM}_CLIENT_ID` / `_CLIENT_SECRET`);
//! the others keep their connector's sign-in. On AWS the client secrets are
//! one Secrets Manager secret instead (`INBOX_OAUTH_SECRET_ID`, a JSON object
//! of integration → client secret), read only by the functions that call
//! a provider's token endpoint ([`with_secrets`]).

use crate::config::ConfigError;
use inbox_domain::signin::ProfileFields;
use url::Url;

/// How a provider's endpoints are found.
// Built once at start-up, a few per process: the size of a variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoints {
    /// OpenID Connect discovery (`{issuer}/.well-known/openid-configuration`).
    Discovery { issuer: Url },
    /// Plain OAuth 2.0: the endpoints themselves, and the profile's URL.
    Explicit { authorization: Url, token: Url, profile: Url, revocation: Option<Url> },
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic with the client id and secret (RFC 6749 §2.3.1).
    Basic,
    /// `client_id` and `client_secret` in the form (Instagram's way).
    Post,
}

const OIDC_PROFILE: ProfileFields = ProfileFields { id: "/sub", handle: "/email", name: "/name", picture: "/picture" };

/// A configured provider of one integration.
#[derive(Clone, PartialEq, Eq)]
pub struct Provider {
    pub integration: &'static str,
    pub client_id: String,
    pub client_secret: String,
    pub endpoints: Endpoints,
    pub client_auth: ClientAuth,
    /// As the provider writes them (space-separated; Instagram: commas).
    pub scopes: String,
    /// Added to the authorization request (Google: `access_type=offline`, `prompt=consent`).
    pub authorize_params: Vec<(String, String)>,
    pub profile: ProfileFields,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("integration", &self.integration)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("endpoints", &self.endpoints)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// What each provider uses unless the environment says otherwise.
struct Defaults {
    integration: &'static str,
    issuer: Option<&'static str>,
    /// authorization, token, profile, revocation (for providers without discovery).
    explicit: Option<[&'static str; 4]>,
    client_auth: ClientAuth,
    scopes: &'static str,
    params: &'static str,
    profile: ProfileFields,
}

const DEFAULTS: &[Defaults] = &[
    Defaults {
        integration: "gmail",
        issuer: Some("https://accounts.google.com"),
        explicit: None,
        client_auth: ClientAuth::Basic,
        scopes: "openid email profile https://mail.google.com/",
        // A refresh token, every time: Google gives one only with consent.
        params: "access_type=offline&prompt=consent",
        profile: OIDC_PROFILE,
    },
    Defaults {
        integration: "outlook",
        issuer: Some("https://login.microsoftonline.com/common/v2.0"),
        explicit: None,
        client_auth: ClientAuth::Basic,
        scopes: "openid email profile offline_access https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/Mail.Send",
        params: "",
        profile: ProfileFields { handle: "/preferred_username", ..OIDC_PROFILE },
    },
    Defaults {
        integration: "linkedin",
        issuer: Some("https://www.linkedin.com/oauth"),
        explicit: None,
        client_auth: ClientAuth::Post,
        scopes: "openid profile email",
        params: "",
        profile: OIDC_PROFILE,
    },
    Defaults {
        integration: "x",
        issuer: None,
        explicit: Some([
            "https://x.com/i/oauth2/authorize",
            "https://api.x.com/2/oauth2/token",
            "https://api.x.com/2/users/me?user.fields=profile_image_url",
            "https://api.x.com/2/oauth2/revoke",
        ]),
        client_auth: ClientAuth::Basic,
        scopes: "users.read tweet.read dm.read dm.write offline.access",
        params: "",
        profile: ProfileFields {
            id: "/data/id",
            handle: "/data/username",
            name: "/data/name",
            picture: "/data/profile_image_url",
        },
    },
    Defaults {
        integration: "instagram",
        issuer: None,
        explicit: Some([
            "https://www.instagram.com/oauth/authorize",
            "https://api.instagram.com/oauth/access_token",
            "https://graph.instagram.com/me?fields=user_id,username,name,profile_picture_url",
            "",
        ]),
        client_auth: ClientAuth::Post,
        scopes: "instagram_business_basic,instagram_business_manage_messages",
        params: "",
        profile: ProfileFields { id: "/user_id", handle: "/username", name: "/name", picture: "/profile_picture_url" },
    },
];

/// The integrations that can be signed in here.
pub const SIGN_IN_INTEGRATIONS: [&str; 5] = ["gmail", "outlook", "linkedin", "x", "instagram"];

/// The configured providers, from `var` (the environment). With
/// `INBOX_OAUTH_SECRET_ID` their client secrets are left empty, for
/// [`with_secrets`] to fill in.
pub fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Provider>, ConfigError> {
    let secret_id = var(SECRET_ID);
    let mut providers = vec![];
    for d in DEFAULTS {
        let prefix = format!("INBOX_OAUTH_{}_", d.integration.to_uppercase());
        let get = |name: &str| var(&format!("{prefix}{name}"));
        let name = |suffix: &str| -> &'static str { leak(format!("{prefix}{suffix}")) };
        let Some(client_id) = get("CLIENT_ID") else {
            if let Some(other) = ["CLIENT_SECRET", "ISSUER", "AUTHORIZATION_URL"].into_iter().find(|n| get(n).is_some())
            {
                return Err(ConfigError::Invalid {
                    name: name(other),
                    problem: format!("is set, but {prefix}CLIENT_ID is not: set both, or neither"),
                });
            }
            continue;
        };
        let client_secret = match (get("CLIENT_SECRET"), &secret_id) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::Invalid {
                    name: name("CLIENT_SECRET"),
                    problem: format!("is set beside {SECRET_ID}: keep each client secret in one place"),
                })
            }
            (Some(secret), None) => secret,
            (None, Some(_)) => String::new(),
            (None, None) => {
                return Err(ConfigError::Invalid {
                    name: name("CLIENT_SECRET"),
                    problem: format!("must be set with {prefix}CLIENT_ID (or {SECRET_ID})"),
                })
            }
        };
        let url = |suffix: &str, default: &str| -> Result<Option<Url>, ConfigError> {
            match get(suffix).or_else(|| (!default.is_empty()).then(|| default.to_string())) {
                None => Ok(None),
                Some(v) => {
                    provider_url(&v).map(Some).map_err(|problem| ConfigError::Invalid { name: name(suffix), problem })
                }
            }
        };
        let explicit = get("AUTHORIZATION_URL").is_some() || (d.explicit.is_some() && get("ISSUER").is_none());
        let endpoints = if explicit {
            let [a, t, p, r] = d.explicit.unwrap_or(["", "", "", ""]);
            let required = |suffix: &'static str, default| {
                url(suffix, default)?.ok_or_else(|| ConfigError::Invalid {
                    name: name(suffix),
                    problem: format!("must be set with {prefix}AUTHORIZATION_URL"),
                })
            };
            Endpoints::Explicit {
                authorization: required("AUTHORIZATION_URL", a)?,
                token: required("TOKEN_URL", t)?,
                profile: required("USERINFO_URL", p)?,
                revocation: url("REVOCATION_URL", r)?,
            }
        } else {
            let issuer =
                url("ISSUER", d.issuer.unwrap_or_default())?.expect("every OIDC provider has a default issuer");
            Endpoints::Discovery { issuer }
        };
        let params = get("AUTHORIZE_PARAMS").unwrap_or_else(|| d.params.to_string());
        let authorize_params = url::form_urlencoded::parse(params.as_bytes()).into_owned().collect();
        providers.push(Provider {
            integration: d.integration,
            client_id,
            client_secret,
            endpoints,
            client_auth: d.client_auth,
            scopes: get("SCOPES").unwrap_or_else(|| d.scopes.to_string()),
            authorize_params,
            profile: d.profile,
        });
    }
    Ok(providers)
}

/// Names the Secrets Manager secret that holds the client secrets.
pub const SECRET_ID: &str = "INBOX_OAUTH_SECRET_ID";

/// Fills in each provider's client secret from the secret's value (a JSON
/// object: integration → client secret). Every configured provider needs
/// one; a secret for an integration not configured here is a mistake too.
pub fn with_secrets(providers: &mut [Provider], value: &str) -> Result<(), String> {
    let secrets: std::collections::BTreeMap<String, String> = serde_json::from_str(value)
        .map_err(|_| "must hold a JSON object of integration → client secret, as {\"gmail\": \"…\"}".to_string())?;
    if let Some(other) = secrets.keys().find(|k| !providers.iter().any(|p| p.integration == k.as_str())) {
        let prefix = format!("INBOX_OAUTH_{}_CLIENT_ID", other.to_uppercase());
        return Err(match SIGN_IN_INTEGRATIONS.contains(&other.as_str()) {
            true => format!("holds a client secret for {other}, but {prefix} is not set"),
            false => format!("holds a client secret for {other:?}, not one of {}", SIGN_IN_INTEGRATIONS.join(", ")),
        });
    }
    for p in providers.iter_mut() {
        match secrets.get(p.integration).filter(|s| !s.is_empty()) {
            Some(secret) => p.client_secret = secret.clone(),
            None => return Err(format!("holds no client secret for {}", p.integration)),
        }
    }
    Ok(())
}

/// An environment variable's name, for an error that outlives its building.
fn leak(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}

/// A provider's URL: `https`, or `http` on a loopback address only (a
/// provider on this machine, as in tests: RFC 8252's loopback exception).
pub fn provider_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|_| format!("must be a URL, not {value:?}"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(format!("must be an https URL (http only on a loopback address), not {value:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(pairs: &[(&str, &str)]) -> Result<Vec<Provider>, ConfigError> {
        let env: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        from_env(&|name| env.get(name).cloned())
    }

    #[test]
    fn a_provider_is_configured_by_its_client_and_defaults_the_rest() {
        assert!(load(&[]).unwrap().is_empty(), "nothing configured: every integration keeps its connector");
        let gmail =
            &load(&[("INBOX_OAUTH_GMAIL_CLIENT_ID", "id"), ("INBOX_OAUTH_GMAIL_CLIENT_SECRET", "s")]).unwrap()[0];
        assert_eq!(
            gmail.endpoints,
            Endpoints::Discovery { issuer: Url::parse("https://accounts.google.com").unwrap() }
        );
        assert!(gmail.authorize_params.contains(&("prompt".into(), "consent".into())));
        assert!(!format!("{gmail:?}").contains("\"s\""), "the secret is never printed");
        let x = &load(&[("INBOX_OAUTH_X_CLIENT_ID", "id"), ("INBOX_OAUTH_X_CLIENT_SECRET", "s")]).unwrap()[0];
        assert!(
            matches!(&x.endpoints, Endpoints::Explicit { token, .. } if token.as_str() == "https://api.x.com/2/oauth2/token")
        );
        let local = load(&[
            ("INBOX_OAUTH_X_CLIENT_ID", "id"),
            ("INBOX_OAUTH_X_CLIENT_SECRET", "s"),
            ("INBOX_OAUTH_X_ISSUER", "http://127.0.0.1:4000"),
        ])
        .unwrap();
        assert!(matches!(&local[0].endpoints, Endpoints::Discovery { .. }), "an issuer turns discovery on");
    }

    #[test]
    fn client_secrets_come_from_one_secret_that_names_each_provider() {
        let env = [("INBOX_OAUTH_GMAIL_CLIENT_ID", "id"), ("INBOX_OAUTH_X_CLIENT_ID", "x-id")];
        let mut providers = load(&[env[0], env[1], ("INBOX_OAUTH_SECRET_ID", "inbox/oauth")]).unwrap();
        assert!(providers.iter().all(|p| p.client_secret.is_empty()), "until the secret is read");
        with_secrets(&mut providers, r#"{"gmail": "g-secret", "x": "x-secret"}"#).unwrap();
        let secrets: Vec<_> = providers.iter().map(|p| (p.integration, p.client_secret.as_str())).collect();
        assert_eq!(secrets, [("gmail", "g-secret"), ("x", "x-secret")]);
        for (value, problem) in [
            (r#"{"gmail": "g-secret"}"#, "no client secret for x"),
            (r#"{"gmail": "g", "x": "x", "outlook": "o"}"#, "INBOX_OAUTH_OUTLOOK_CLIENT_ID is not set"),
            (r#"{"gmail": "g", "x": "x", "gmial": "o"}"#, "\"gmial\", not one of"),
            (r#"{"gmail": "g", "x": ""}"#, "no client secret for x"),
            ("g-secret", "JSON object"),
        ] {
            let e = with_secrets(&mut providers.clone(), value).unwrap_err();
            assert!(e.contains(problem), "{value}: {e}");
        }
    }

    #[test]
    fn half_a_configuration_and_unsafe_urls_are_refused() {
        let e = load(&[("INBOX_OAUTH_GMAIL_CLIENT_SECRET", "s")]).unwrap_err().to_string();
        assert!(e.contains("INBOX_OAUTH_GMAIL_CLIENT_ID"), "{e}");
        let e = load(&[("INBOX_OAUTH_GMAIL_CLIENT_ID", "id")]).unwrap_err().to_string();
        assert!(e.contains("INBOX_OAUTH_GMAIL_CLIENT_SECRET"), "{e}");
        let e = load(&[
            ("INBOX_OAUTH_GMAIL_CLIENT_ID", "id"),
            ("INBOX_OAUTH_GMAIL_CLIENT_SECRET", "s"),
            ("INBOX_OAUTH_GMAIL_ISSUER", "http://accounts.example.com"),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("https"), "{e}");
        let e = load(&[
            ("INBOX_OAUTH_GMAIL_CLIENT_ID", "id"),
            ("INBOX_OAUTH_GMAIL_CLIENT_SECRET", "s"),
            ("INBOX_OAUTH_SECRET_ID", "inbox/oauth"),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("one place"), "{e}");
        assert!(provider_url("http://localhost:8080/").is_ok());
        assert!(provider_url("ftp://127.0.0.1/").is_err());
    }
}
