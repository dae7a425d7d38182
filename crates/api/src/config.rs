//! Configuration from the environment, with defaults that make a local run work
//! with no setup.

use inbox_store::{AppStore, DynamoStore, StoreError, Tables};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Which backend holds events and read models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// The embedded SQLite file (default: local runs need nothing else).
    Sqlite,
    DynamoDb,
}

pub const DEFAULT_DATA_DIR: &str = ".inbox";
/// An access JWT lives 15 minutes; a refresh token renews it.
pub const DEFAULT_TOKEN_TTL: i64 = 900;
/// A refresh token lives 30 days (gesdinet/jwt-refresh-token-bundle's default).
pub const DEFAULT_REFRESH_TTL: i64 = 30 * 86_400;
pub const DEFAULT_TOKEN_LOG_DAYS: i64 = 30;
pub const DEFAULT_RENEW_EVERY: i64 = 60;
const SECRET_FILE: &str = "jwt-secret";
const MIN_SECRET_LEN: usize = 32;

#[derive(Clone)]
pub struct Config {
    pub store: StoreKind,
    /// Where the embedded store and the generated JWT secret live.
    pub data_dir: PathBuf,
    /// The secret that signs new tokens.
    pub jwt_secret: Vec<u8>,
    /// The secret before the last rotation: its tokens stay valid until they expire.
    pub jwt_previous_secret: Option<Vec<u8>>,
    pub token_ttl_seconds: i64,
    pub refresh_ttl_seconds: i64,
    /// `reconnectUrl` of an account is `{base}/{integration}/{account id}`;
    /// empty: this server's own connect page, `{public URL}/connect`.
    pub connect_base_url: String,
    /// The URL this API is reached at (`INBOX_PUBLIC_URL`): every link it hands
    /// out starts so, never with what a request's headers claim. Empty: the
    /// local server's own address, or on Lambda the domain API Gateway names.
    pub public_url: String,
    /// The integrations this server signs in itself ([`crate::signin::providers`]).
    pub providers: Vec<crate::signin::Provider>,
    /// Origins whose pages may call the API from a browser (`INBOX_EMBED_ORIGINS`,
    /// comma-separated): where the embedded accounts widget runs.
    pub embed_origins: Vec<String>,
    /// How long an API token's request log keeps an entry.
    pub token_log_days: i64,
    /// `INBOX_WEBHOOK_ALLOW_PRIVATE=1`: webhooks may use `http` and reach
    /// private and loopback addresses (local work and tests only).
    pub webhook_allow_private: bool,
    /// Seconds before each delivery attempt (`INBOX_WEBHOOK_RETRY_SCHEDULE`).
    pub webhook_schedule: Vec<u64>,
    /// How often `inbox serve` renews the provider tokens that expire soon
    /// (`INBOX_RENEW_EVERY`, seconds; on AWS a schedule does).
    pub renew_every_seconds: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} {problem}")]
    Invalid { name: &'static str, problem: String },
    #[error("cannot use the data folder {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("store", &self.store)
            .field("data_dir", &self.data_dir)
            .field("jwt_secret", &"<redacted>")
            .field("jwt_previous_secret", &self.jwt_previous_secret.as_ref().map(|_| "<redacted>"))
            .field("token_ttl_seconds", &self.token_ttl_seconds)
            .field("refresh_ttl_seconds", &self.refresh_ttl_seconds)
            .field("connect_base_url", &self.connect_base_url)
            .field("public_url", &self.public_url)
            .field("providers", &self.providers)
            .field("embed_origins", &self.embed_origins)
            .field("token_log_days", &self.token_log_days)
            .field("renew_every_seconds", &self.renew_every_seconds)
            .field("webhook_allow_private", &self.webhook_allow_private)
            .field("webhook_schedule", &self.webhook_schedule)
            .finish()
    }
}

impl Config {
    /// Reads `INBOX_STORE`, `INBOX_DATA_DIR`, `INBOX_JWT_SECRET`, `INBOX_JWT_TTL`, `INBOX_REFRESH_TTL`,
    /// `INBOX_CONNECT_BASE_URL`, `INBOX_PUBLIC_URL`, `INBOX_EMBED_ORIGINS`, `INBOX_TOKEN_LOG_DAYS`,
    /// `INBOX_WEBHOOK_ALLOW_PRIVATE`, `INBOX_WEBHOOK_RETRY_SCHEDULE`, `INBOX_RENEW_EVERY`, `INBOX_OAUTH_*`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        let store = match var("INBOX_STORE").as_deref() {
            // The deployed functions are built without the embedded store.
            None | Some("sqlite") if !cfg!(feature = "sqlite") => {
                return Err(ConfigError::Invalid {
                    name: "INBOX_STORE",
                    problem:
                        "this build has no embedded store (built without the `sqlite` feature): set it to dynamodb"
                            .into(),
                })
            }
            None | Some("sqlite") => StoreKind::Sqlite,
            Some("dynamodb") => StoreKind::DynamoDb,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "INBOX_STORE",
                    problem: format!("must be sqlite or dynamodb, not {other:?}"),
                })
            }
        };
        let data_dir = PathBuf::from(var("INBOX_DATA_DIR").unwrap_or_else(|| DEFAULT_DATA_DIR.into()));
        // With a Secrets Manager secret, `load` fetches the keys: nothing local.
        let from_secrets_manager = var("INBOX_JWT_SECRET_ID").is_some();
        let jwt_secret = match var("INBOX_JWT_SECRET") {
            Some(s) => long_enough("INBOX_JWT_SECRET", s)?,
            None if from_secrets_manager => vec![],
            None => local_secret(&data_dir, SECRET_FILE, MIN_SECRET_LEN)?.into_bytes(),
        };
        let jwt_previous_secret =
            var("INBOX_JWT_PREVIOUS_SECRET").map(|s| long_enough("INBOX_JWT_PREVIOUS_SECRET", s)).transpose()?;
        let positive = |name: &'static str, default: i64, unit: &str| match var(name) {
            None => Ok(default),
            Some(v) => v.parse().ok().filter(|n| *n > 0).ok_or_else(|| ConfigError::Invalid {
                name,
                problem: format!("must be a positive number of {unit}, not {v:?}"),
            }),
        };
        let token_ttl_seconds = positive("INBOX_JWT_TTL", DEFAULT_TOKEN_TTL, "seconds")?;
        let refresh_ttl_seconds = positive("INBOX_REFRESH_TTL", DEFAULT_REFRESH_TTL, "seconds")?;
        let token_log_days = positive("INBOX_TOKEN_LOG_DAYS", DEFAULT_TOKEN_LOG_DAYS, "days")?;
        let renew_every_seconds = positive("INBOX_RENEW_EVERY", DEFAULT_RENEW_EVERY, "seconds")?;
        let url = |name: &'static str| {
            let value = var(name).unwrap_or_default();
            if !value.is_empty() && !inbox_domain::commands::is_http_url(&value) {
                return Err(ConfigError::Invalid { name, problem: format!("must be an http(s) URL, not {value:?}") });
            }
            Ok(value.trim_end_matches('/').to_string())
        };
        let connect_base_url = url("INBOX_CONNECT_BASE_URL")?;
        let public_url = url("INBOX_PUBLIC_URL")?;
        let providers = crate::signin::providers::from_env(&var)?;
        let embed_origins = match var("INBOX_EMBED_ORIGINS") {
            None => vec![],
            Some(v) => crate::cors::parse_origins(&v)
                .map_err(|problem| ConfigError::Invalid { name: "INBOX_EMBED_ORIGINS", problem })?,
        };
        let webhook_allow_private = match var("INBOX_WEBHOOK_ALLOW_PRIVATE").as_deref() {
            None | Some("0") => false,
            Some("1") => true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "INBOX_WEBHOOK_ALLOW_PRIVATE",
                    problem: format!("must be 1 or 0, not {other:?}"),
                })
            }
        };
        let webhook_schedule = match var("INBOX_WEBHOOK_RETRY_SCHEDULE") {
            None => inbox_domain::webhooks::SCHEDULE.to_vec(),
            Some(v) => inbox_domain::webhooks::parse_schedule(&v)
                .map_err(|problem| ConfigError::Invalid { name: "INBOX_WEBHOOK_RETRY_SCHEDULE", problem })?,
        };
        Ok(Config {
            store,
            data_dir,
            jwt_secret,
            jwt_previous_secret,
            token_ttl_seconds,
            refresh_ttl_seconds,
            connect_base_url,
            public_url,
            providers,
            embed_origins,
            token_log_days,
            webhook_allow_private,
            webhook_schedule,
            renew_every_seconds,
        })
    }

    /// [`Config::from_env`], then the secrets kept in AWS Secrets Manager:
    /// - the JWT keys when `INBOX_JWT_SECRET_ID` names a secret: its
    ///   `AWSCURRENT` version signs, its `AWSPREVIOUS` one (if any) still verifies;
    /// - the providers' client secrets when `INBOX_OAUTH_SECRET_ID` names one.
    ///
    /// Read once, at start-up, so no secret sits in a function's configuration.
    pub async fn load() -> Result<Self, ConfigError> {
        Self::load_secrets(Secrets { jwt: true, client_secrets: true }).await
    }

    /// As [`Config::load`], reading only the secrets a function needs (and is granted).
    pub async fn load_secrets(needs: Secrets) -> Result<Self, ConfigError> {
        let mut config = Self::from_env()?;
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let jwt_id = var("INBOX_JWT_SECRET_ID").filter(|_| needs.jwt);
        let oauth_id = var(crate::signin::providers::SECRET_ID).filter(|_| needs.client_secrets);
        if jwt_id.is_none() && oauth_id.is_none() {
            return Ok(config);
        }
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
        let client = aws_sdk_secretsmanager::Client::new(&sdk);
        // Both at once: a function that needs both pays one round trip at init.
        let jwt = async {
            match &jwt_id {
                Some(id) => secrets_manager_keys(&client, id).await.map(Some),
                None => Ok(None),
            }
        };
        let oauth = async {
            match &oauth_id {
                Some(id) => secret_value(&client, id, "AWSCURRENT").await.map(Some),
                None => Ok(None),
            }
        };
        let (jwt, oauth) = tokio::join!(jwt, oauth);
        if let Some((current, previous)) = jwt? {
            config.jwt_secret = current;
            config.jwt_previous_secret = previous;
        }
        let name = crate::signin::providers::SECRET_ID;
        let id = oauth_id.as_deref().unwrap_or_default();
        let invalid = |problem: String| ConfigError::Invalid { name, problem: format!("secret {id} {problem}") };
        if let Some(value) = oauth.map_err(&invalid)? {
            let value = value.ok_or_else(|| invalid("does not exist".into()))?;
            crate::signin::providers::with_secrets(&mut config.providers, &value).map_err(invalid)?;
        }
        Ok(config)
    }

    /// The provider that signs accounts of `integration` in here, if any.
    pub fn provider(&self, integration: &str) -> Option<&crate::signin::Provider> {
        self.providers.iter().find(|p| p.integration == integration)
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("inbox.db")
    }
}

fn long_enough(name: &'static str, secret: String) -> Result<Vec<u8>, ConfigError> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(ConfigError::Invalid { name, problem: format!("must be at least {MIN_SECRET_LEN} characters") });
    }
    Ok(secret.into_bytes())
}

/// Which secrets a process reads at start-up ([`Config::load_secrets`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Secrets {
    /// The JWT keys: to sign or verify tokens.
    pub jwt: bool,
    /// The providers' client secrets: to call their token endpoints.
    pub client_secrets: bool,
}

/// The current and previous versions of a Secrets Manager secret, fetched together.
async fn secrets_manager_keys(
    client: &aws_sdk_secretsmanager::Client,
    id: &str,
) -> Result<(Vec<u8>, Option<Vec<u8>>), ConfigError> {
    let invalid = |problem: String| ConfigError::Invalid { name: "INBOX_JWT_SECRET_ID", problem };
    let (current, previous) =
        tokio::join!(secret_value(client, id, "AWSCURRENT"), secret_value(client, id, "AWSPREVIOUS"));
    let current = current.map_err(|e| invalid(format!("secret {id}: {e}")))?;
    let current = current.ok_or_else(|| invalid(format!("secret {id} does not exist")))?;
    let current = long_enough("INBOX_JWT_SECRET_ID", current)?;
    // Never rotated: there is no previous version.
    let previous = previous.map_err(|e| invalid(format!("secret {id}: {e}")))?;
    let previous = previous.map(|p| long_enough("INBOX_JWT_SECRET_ID", p)).transpose()?;
    Ok((current, previous))
}

/// One version of a secret's `SecretString`; `None` if there is no such version.
/// Boxed: each call site polls the one copy of the SDK's call, which inlined
/// at the three sites made every function's binary 0.5 MB larger.
fn secret_value<'a>(
    client: &'a aws_sdk_secretsmanager::Client,
    id: &'a str,
    stage: &'a str,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<String>, String>> + Send + 'a>> {
    use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
    Box::pin(async move {
        match client.get_secret_value().secret_id(id).version_stage(stage).send().await {
            Ok(out) => out.secret_string.map(Some).ok_or_else(|| "has no SecretString".to_string()),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => {
                Err(format!("cannot be read: {}", e.message().map(str::to_string).unwrap_or_else(|| e.to_string())))
            }
        }
    })
}

/// A secret kept in the data folder (`file`: 32 random bytes, hex), generated
/// on first use. Several processes may start at once: the first to create the
/// file wins, the others read it.
pub(crate) fn local_secret(dir: &Path, file: &'static str, min_len: usize) -> Result<String, ConfigError> {
    let io = |source| ConfigError::DataDir { path: dir.to_path_buf(), source };
    inbox_store::private_dir(dir).map_err(io)?;
    let path = dir.join(file);
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("operating system randomness");
    let fresh = hex::encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut f) => {
            // A crash mid-write leaves a short file, which readers refuse below.
            std::io::Write::write_all(&mut f, fresh.as_bytes()).map_err(io)?;
            Ok(fresh)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // The creator may still be writing: wait for the whole secret.
            for _ in 0..50 {
                let s = std::fs::read_to_string(&path).map_err(io)?;
                if s.trim().len() >= min_len {
                    return Ok(s.trim().to_string());
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(ConfigError::Invalid {
                name: file,
                problem: format!("{} is shorter than {min_len} characters", path.display()),
            })
        }
        Err(e) => Err(io(e)),
    }
}

/// Opens the configured store: DynamoDB when `INBOX_STORE=dynamodb` (tables from
/// `INBOX_*_TABLE`, endpoint from the standard AWS configuration), else the
/// embedded SQLite file under the data folder.
pub async fn open_store(config: &Config) -> Result<Arc<AppStore>, StoreError> {
    Ok(match config.store {
        #[cfg(feature = "sqlite")]
        StoreKind::Sqlite => Arc::new(inbox_store::SqliteStore::open(&config.sqlite_path())?),
        // `Config::from_env` refuses it in such a build.
        #[cfg(not(feature = "sqlite"))]
        StoreKind::Sqlite => return Err(StoreError::Internal("built without the embedded store".into())),
        StoreKind::DynamoDb => Arc::new(DynamoStore::from_env(Tables::from_env()).await),
    })
}

/// The deployed functions' build (`--no-default-features`, run by `make -f
/// infra/Makefile slim-check`): without the embedded store, only DynamoDB is
/// accepted, and the error says what to set.
#[cfg(all(test, not(feature = "sqlite")))]
mod without_sqlite {
    #[test]
    fn only_dynamodb_is_accepted() {
        // The only test of this binary that reads INBOX_STORE.
        std::env::remove_var("INBOX_STORE");
        let e = super::Config::from_env().unwrap_err().to_string();
        assert!(e.contains("INBOX_STORE") && e.contains("set it to dynamodb"), "{e}");
    }
}
