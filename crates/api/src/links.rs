//! The links this API hands out (`reconnectUrl`, redirect URIs, `@vocab`,
//! `Link`): from configuration, else the domain API Gateway names — never
//! from what a request's own headers claim.

use crate::{signin, App, Request};

/// The domain API Gateway received a request on (`requestContext.domainName`),
/// set by the Lambda adapter: API Gateway's record, not a header of the caller's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiDomain(pub String);

impl App {
    /// The absolute URL this API is reached at, which every link it hands out
    /// (`reconnectUrl`, redirect URIs, `@vocab`, `Link`) starts with: from
    /// configuration, else the domain API Gateway received the request on —
    /// never from the request's own `Host` or `X-Forwarded-*` headers, which
    /// a caller chooses.
    pub fn public_url(&self, req: &Request) -> String {
        if !self.config.public_url.is_empty() {
            return self.config.public_url.clone();
        }
        match req.extensions().get::<ApiDomain>() {
            // `cargo lambda watch` names its own loopback address.
            Some(ApiDomain(d)) if d.starts_with("localhost") || d.starts_with("127.0.0.1") => format!("http://{d}"),
            Some(ApiDomain(d)) => format!("https://{d}"),
            None => "http://localhost".into(),
        }
    }

    /// An account's connect page: `{INBOX_CONNECT_BASE_URL}/{integration}/{id}`,
    /// by default this server's own, `{public URL}/connect/…`.
    pub fn connect_url(&self, req: &Request, integration: &str, id: uuid::Uuid) -> String {
        self.connect_url_at(&self.public_url(req), integration, id)
    }

    /// An account's connect page outside any request (a scheduled run): by
    /// configuration alone.
    pub fn connect_url_at(&self, public_url: &str, integration: &str, id: uuid::Uuid) -> String {
        let base = match self.config.connect_base_url.as_str() {
            "" if public_url.is_empty() => "http://localhost/connect".to_string(),
            "" => format!("{public_url}/connect"),
            base => base.to_string(),
        };
        signin::connect_path(&base, integration, id)
    }
}

// An App needs a store: the embedded one, in memory.
#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use crate::config::{self, Config};
    use inbox_store::AppStore;
    use std::sync::Arc;

    fn req(headers: &[(&str, &str)]) -> Request {
        let mut b = http::Request::builder().uri("/api");
        for (name, value) in headers {
            b = b.header(*name, *value);
        }
        b.body(bytes::Bytes::new()).unwrap()
    }

    #[test]
    fn links_never_follow_the_callers_headers() {
        let config = Config {
            store: config::StoreKind::Sqlite,
            data_dir: std::env::temp_dir(),
            jwt_secret: b"lib-test-secret-lib-test-secret-lib".to_vec(),
            jwt_previous_secret: None,
            token_ttl_seconds: 600,
            refresh_ttl_seconds: 86_400,
            connect_base_url: String::new(),
            public_url: String::new(),
            providers: vec![],
            embed_origins: vec![],
            token_log_days: 30,
            webhook_allow_private: false,
            webhook_schedule: inbox_domain::webhooks::SCHEDULE.to_vec(),
            renew_every_seconds: crate::config::DEFAULT_RENEW_EVERY,
        };
        let store: Arc<AppStore> = Arc::new(inbox_store::SqliteStore::in_memory().unwrap());
        let mut app = App::new(config, store);
        let spoofed =
            req(&[("host", "evil.example"), ("x-forwarded-proto", "https"), ("x-forwarded-host", "evil.example")]);
        assert_eq!(app.public_url(&spoofed), "http://localhost");
        let mut on_lambda = spoofed;
        on_lambda.extensions_mut().insert(ApiDomain("abc.execute-api.eu-west-1.amazonaws.com".into()));
        assert_eq!(app.public_url(&on_lambda), "https://abc.execute-api.eu-west-1.amazonaws.com");
        app.config.public_url = "https://inbox.example.com".into();
        assert_eq!(app.public_url(&on_lambda), "https://inbox.example.com");
        let id = uuid::Uuid::nil();
        assert_eq!(app.connect_url(&on_lambda, "x", id), format!("https://inbox.example.com/connect/x/{id}"));
    }
}
