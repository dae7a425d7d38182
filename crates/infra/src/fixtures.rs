//! The fixed example data the sample events in `events/` refer to, and the
//! events themselves. Test-only secrets, documented in the README: never use
//! them in a deployment.

use inbox_api::auth::{hash_password, Claims, Keys};
use inbox_api::routes::{PAGES, PAGES_FUNCTION};
use inbox_api::routing::{Access, Handler, Route};
use inbox_api::{Scope, ROUTES};
use inbox_domain::{time, Account, AccountId, ClientId, Command, Endpoint, EndpointCommand, EndpointId, Role, Team};
use inbox_domain::{TeamCommand, UserId};
use inbox_store::commands::{self, Envelope};
use inbox_store::{ApiToken, Client, RefreshFamily, Store, User};
use serde_json::{json, Value};
use uuid::Uuid;

pub const JWT_SECRET: &str = "example-events-secret-not-for-production";
pub const CLIENT: Uuid = Uuid::from_u128(0x7d5f0c2e_0000_4000_8000_000000000001);
pub const USER: Uuid = Uuid::from_u128(0x7d5f0c2e_0000_4000_8000_000000000002);
pub const ACCOUNT: Uuid = Uuid::from_u128(0x7d5f0c2e_0000_4000_8000_000000000003);
pub const TOKEN: Uuid = Uuid::from_u128(0x7d5f0c2e_0000_4000_8000_000000000004);
/// A second user (an auditor): the one the user samples read, change and delete.
pub const AUDITOR: Uuid = Uuid::from_u128(0x7d5f0c2e_0000_4000_8000_000000000005);
pub const REFRESH_FAMILY: Uuid = Uuid::from_u128(0x7d5f0c2e_0000_4000_8000_000000000006);
/// The example owner's refresh token (the refresh and logout samples send it).
pub const WEBHOOK: Uuid = Uuid::from_u128(0x7d5f0c2e_0000_4000_8000_000000000007);
/// An X account: X signs in here in the example configuration (the sign-in sample starts one).
pub const X_ACCOUNT: Uuid = Uuid::from_u128(0x7d5f0c2e_0000_4000_8000_000000000008);
pub const REFRESH_TOKEN: &str = "00000000000000000000000000000000000000000000000000000example-refresh";
pub const USERNAME: &str = "owner@example.test";
pub const PASSWORD: &str = "example-password";
pub const API_TOKEN: &str = "inbx_00000000000000000000000000000000000000000000000000000000example";

fn created_at() -> inbox_domain::Timestamp {
    time::parse("2026-01-01T00:00:00.000Z").expect("valid")
}

/// Creates the example client, owner, account and API token (once).
pub async fn load(store: &dyn Store) -> anyhow::Result<bool> {
    if store.get_client(ClientId(CLIENT)).await?.is_some() {
        return Ok(false);
    }
    let at = created_at();
    store
        .create_client(&Client {
            id: ClientId(CLIENT),
            name: "Example Co".into(),
            plan: "enterprise".into(),
            created_at: at,
        })
        .await?;
    let envelope = Envelope {
        client_id: ClientId(CLIENT),
        actor: USER.to_string(),
        correlation_id: "fixtures".into(),
        at: Some(at),
        idempotency: None,
    };
    let owner = add_user(store, &envelope, USER, USERNAME, Role::Owner).await?;
    add_user(store, &envelope, AUDITOR, "support@example.test", Role::Auditor).await?;
    store
        .start_family(&RefreshFamily {
            id: REFRESH_FAMILY,
            client_id: ClientId(CLIENT),
            user_id: UserId(USER),
            user_version: owner.version,
            current: inbox_api::tokens::hash(REFRESH_TOKEN),
            revoked: false,
            expires_at: time::parse("2100-01-01T00:00:00.000Z").expect("valid"),
        })
        .await?;
    let connect = Command::Connect {
        account_id: AccountId(ACCOUNT),
        integration: "whatsapp".into(),
        reconnect_url: format!("https://connect.example.com/whatsapp/{ACCOUNT}"),
        history_sync_until: None,
    };
    commands::create::<Account, _, anyhow::Error>(store, &envelope, ACCOUNT, &connect).await?;
    let connect = Command::Connect {
        account_id: AccountId(X_ACCOUNT),
        integration: "x".into(),
        reconnect_url: format!("https://connect.example.com/x/{X_ACCOUNT}"),
        history_sync_until: None,
    };
    commands::create::<Account, _, anyhow::Error>(store, &envelope, X_ACCOUNT, &connect).await?;
    let token = ApiToken {
        id: TOKEN,
        client_id: ClientId(CLIENT),
        name: "example".into(),
        hint: API_TOKEN[..11].into(),
        secret_hash: inbox_api::tokens::hash(API_TOKEN),
        created_by: "fixtures".into(),
        created_at: at,
        revoked_at: None,
        last_used: None,
    };
    store.create_api_token(&token).await?;
    let webhook = EndpointCommand::Register {
        id: EndpointId(WEBHOOK),
        url: "https://hooks.example.com/inbox".into(),
        events: vec![],
        description: Some("example".into()),
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
    };
    commands::create::<Endpoint, _, anyhow::Error>(store, &envelope, WEBHOOK, &webhook).await?;
    Ok(true)
}

/// Adds a user of the example client, with the example password.
async fn add_user(
    store: &dyn Store,
    envelope: &Envelope,
    id: Uuid,
    username: &str,
    role: Role,
) -> anyhow::Result<User> {
    let id = UserId(id);
    let cmd = TeamCommand::Add {
        id,
        username: username.into(),
        password_hash: hash_password(PASSWORD),
        roles: vec![role],
        enabled: true,
    };
    let stream = envelope.client_id.team_stream();
    let done = commands::execute::<Team, _, anyhow::Error>(store, envelope, stream, |_| Ok(cmd.clone())).await?;
    done.state.and_then(|t| t.member(id).cloned()).ok_or_else(|| anyhow::anyhow!("user {id} was not added"))
}

/// A JWT of the example owner, valid until 2100.
pub fn owner_jwt() -> String {
    let claims = Claims {
        sub: USER.to_string(),
        username: USERNAME.into(),
        client_id: ClientId(CLIENT),
        roles: vec!["ROLE_OWNER".into()],
        iat: 1_767_225_600,
        exp: 4_102_444_800,
        nbf: None,
        customer_id: None,
    };
    Keys::new(JWT_SECRET.as_bytes(), 3600).sign(&claims)
}

/// The path, body and expected status of the sample request of a route: its
/// documented example body and success status, on the example data.
pub fn sample(r: &Route) -> (String, Option<Value>, u16) {
    let id = match r.handler {
        Handler::ByName(_) if r.path.starts_with("/api/contexts/") => "Account".to_string(),
        Handler::ByName(_) => "whatsapp".to_string(),
        _ if r.path.starts_with("/api/tokens/") => TOKEN.to_string(),
        _ if r.path.starts_with("/api/users/") => AUDITOR.to_string(),
        _ if r.path.starts_with("/api/webhooks/") => WEBHOOK.to_string(),
        _ if r.path.ends_with("/sign-in") => X_ACCOUNT.to_string(),
        _ => ACCOUNT.to_string(),
    };
    // The sample carries no sign-in to finish: it gets the page that says so.
    if r.path == inbox_api::signin::CALLBACK_PATH {
        return (r.path.to_string(), None, 400);
    }
    // No example account was signed in here: it holds no token to hand out.
    if r.path.ends_with("/access-token") {
        return (r.path.replace("{id}", &X_ACCOUNT.to_string()), None, 409);
    }
    let mut body: Option<Value> =
        r.doc.body.as_ref().map(|b| serde_json::from_str(b.example).expect("route examples are JSON"));
    // A refresh token must be one the example data holds.
    if let Some(token) = body.as_mut().and_then(|b| b.get_mut("refresh_token")) {
        *token = json!(REFRESH_TOKEN);
    }
    (r.path.replace("{id}", &id), body, r.doc.ok.0)
}

/// An API Gateway HTTP API (payload 2.0) event for the sample request of a route.
pub fn event(r: &Route) -> Value {
    let (path, body, _) = sample(r);
    let (raw_path, query) = path.split_once('?').unwrap_or((&path, ""));
    let mut headers = json!({
        "accept": "application/ld+json",
        "host": "abc123defg.execute-api.eu-west-1.amazonaws.com",
        "user-agent": "curl/8.5.0",
        "x-request-id": format!("example-{}", r.function),
    });
    match r.access {
        Access::Roles(_) => headers["authorization"] = json!(format!("Bearer {}", owner_jwt())),
        Access::ApiToken | Access::RolesOrApiToken(_) => {
            headers["authorization"] = json!(format!("Bearer {API_TOKEN}"))
        }
        Access::Public => {}
    }
    if body.is_some() {
        headers["content-type"] = json!("application/ld+json");
    }
    let route_key = format!("{} {}", r.method, r.path);
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "domainName": "abc123defg.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123defg",
            "http": {
                "method": r.method.as_str(),
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "curl/8.5.0"
            },
            "requestId": format!("example-{}", r.function),
            "routeKey": route_key,
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1_767_225_600_000u64
        },
        "isBase64Encoded": false
    });
    if r.path.contains("{id}") {
        let id = raw_path.rsplit('/').find(|s| Uuid::parse_str(s).is_ok()).unwrap_or("whatsapp");
        event["pathParameters"] = json!({ "id": id });
    }
    if let Some(b) = body {
        event["body"] = json!(b.to_string());
    }
    event
}

/// The routes with a sample event: every API route, and the dashboard's first page.
pub fn sampled() -> impl Iterator<Item = &'static Route> {
    ROUTES.iter().copied().chain(&PAGES[..1])
}

/// What a function serves of a route: the route, or every page.
pub fn scope(r: &'static Route) -> Scope {
    if r.function == PAGES_FUNCTION {
        Scope::Pages(PAGES)
    } else {
        Scope::Route(r)
    }
}

/// Every sample event, by file name.
pub fn events() -> Vec<(String, String)> {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).expect("json") + "\n";
    let mut all: Vec<(String, String)> =
        sampled().map(|r| (format!("{}.json", r.function), pretty(&event(r)))).collect();
    for (function, _) in inbox_api::jobs::FUNCTIONS {
        all.push((format!("{function}.json"), pretty(&job_event(function))));
    }
    all
}

/// What drives a job: a stream batch with the example account's
/// first event, or the schedule's (empty) input.
pub fn job_event(function: &str) -> Value {
    if function != inbox_api::webhooks::DISPATCH_FUNCTION {
        return json!({});
    }
    json!({"Records": [{
        "eventID": "c4ca4238a0b923820dcc509a6f75849b",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1_767_225_600,
            "Keys": {"streamId": {"S": ACCOUNT.to_string()}, "version": {"N": "1"}},
            "SequenceNumber": "100000000000000000001",
            "SizeBytes": 312,
            "StreamViewType": "NEW_IMAGE"
        },
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/inbox-events/stream/2026-01-01T00:00:00.000"
    }]})
}

/// X signs in here (its endpoints are configured: no discovery to reach),
/// at its token endpoint or at `token_url`.
pub fn example_providers(token_url: Option<&str>) -> Vec<inbox_api::signin::Provider> {
    inbox_api::signin::providers::from_env(&|name: &str| match name {
        "INBOX_OAUTH_X_CLIENT_ID" => Some("example-client".into()),
        "INBOX_OAUTH_X_CLIENT_SECRET" => Some("example-client-secret".into()),
        "INBOX_OAUTH_X_TOKEN_URL" => token_url.map(str::to_string),
        _ => None,
    })
    .expect("the example providers are valid")
}

/// What the functions run with when the sample events are sent to them.
pub fn example_config(store: inbox_api::config::StoreKind) -> inbox_api::Config {
    inbox_api::Config {
        store,
        data_dir: std::env::temp_dir(),
        jwt_secret: JWT_SECRET.as_bytes().to_vec(),
        jwt_previous_secret: None,
        token_ttl_seconds: 3600,
        refresh_ttl_seconds: 86_400,
        connect_base_url: "https://connect.example.com".into(),
        public_url: String::new(),
        providers: example_providers(None),
        embed_origins: vec![],
        token_log_days: 30,
        webhook_allow_private: false,
        webhook_schedule: inbox_domain::webhooks::SCHEDULE.to_vec(),
        renew_every_seconds: inbox_api::config::DEFAULT_RENEW_EVERY,
    }
}

#[cfg(test)]
mod tests;
