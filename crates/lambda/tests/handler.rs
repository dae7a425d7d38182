//! A Lambda function serves its own route only, finding path parameters itself.

use inbox_api::auth::hash_password;
use inbox_api::routes::by_function;
use inbox_api::{App, Config};
use inbox_store::{Client, Directory, SqliteStore};
use lambda_http::Body;
use std::sync::Arc;

async fn app_and_token() -> (App, String) {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let now = inbox_domain_now();
    let client = Client { id: inbox_domain::ClientId::new(), name: "T".into(), plan: "free".into(), created_at: now };
    store.create_client(&client).await.unwrap();
    let envelope = inbox_store_contract::user_envelope(client.id, "test");
    let id = inbox_domain::UserId::new();
    let add = inbox_domain::TeamCommand::Add {
        id,
        username: "u".into(),
        password_hash: hash_password("password1"),
        roles: vec![inbox_domain::Role::Owner],
        enabled: true,
    };
    let team = inbox_store_contract::team(&*store, &envelope, add).await.unwrap().unwrap();
    let user = team.member(id).unwrap().clone();
    let config = Config {
        store: inbox_api::config::StoreKind::Sqlite,
        data_dir: std::env::temp_dir(),
        jwt_secret: b"lambda-test-secret-lambda-test-secret".to_vec(),
        jwt_previous_secret: None,
        token_ttl_seconds: 600,
        refresh_ttl_seconds: 86_400,
        connect_base_url: "https://connect.example.test".into(),
        public_url: String::new(),
        providers: vec![],
        embed_origins: vec![],
        token_log_days: 30,
        webhook_allow_private: false,
        webhook_schedule: inbox_domain::webhooks::SCHEDULE.to_vec(),
        renew_every_seconds: inbox_api::config::DEFAULT_RENEW_EVERY,
    };
    let app = App::new(config, store);
    let token = app.keys().issue(&user, now.timestamp());
    (app, token)
}

fn route(function: &str) -> inbox_api::Scope {
    inbox_api::Scope::Route(by_function(function).unwrap())
}

fn inbox_domain_now() -> inbox_domain::Timestamp {
    inbox_domain::time::truncate(std::time::SystemTime::now().into())
}

fn request(method: &str, path: &str, token: &str, body: Body) -> lambda_http::Request {
    http::Request::builder()
        .method(method)
        .uri(format!("https://api.example.test{path}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/ld+json")
        .body(body)
        .unwrap()
}

fn json(resp: &lambda_http::Response<Body>) -> serde_json::Value {
    match resp.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        other => panic!("expected a text body, got {other:?}"),
    }
}

#[tokio::test]
async fn each_function_serves_only_its_route() {
    let (app, token) = app_and_token().await;
    let body = Body::Text(r#"{"integration":"/api/integrations/telegram"}"#.into());
    let created =
        inbox_lambda::handle(&app, route("accounts-create"), request("POST", "/api/accounts", &token, body)).await;
    assert_eq!(created.status(), 201);
    let id = json(&created)["id"].as_str().unwrap().to_string();

    let got = inbox_lambda::handle(
        &app,
        route("accounts-get"),
        request("GET", &format!("/api/accounts/{id}"), &token, Body::Empty),
    )
    .await;
    assert_eq!(got.status(), 200);
    assert_eq!(json(&got)["accountType"], "telegram");
    assert!(got.headers().contains_key("x-request-id"));

    // The get function does not answer the list route, nor another method.
    let other =
        inbox_lambda::handle(&app, route("accounts-get"), request("GET", "/api/accounts", &token, Body::Empty)).await;
    assert_eq!(other.status(), 404);
    let del = inbox_lambda::handle(
        &app,
        route("accounts-get"),
        request("DELETE", &format!("/api/accounts/{id}"), &token, Body::Empty),
    )
    .await;
    assert_eq!(del.status(), 404);

    let deleted = inbox_lambda::handle(
        &app,
        route("accounts-delete"),
        request("DELETE", &format!("/api/accounts/{id}"), &token, Body::Empty),
    )
    .await;
    assert_eq!(deleted.status(), 204);
    assert!(matches!(deleted.body(), Body::Empty));
}

/// The function behind API Gateway's `$default` route: problem+json 404 for
/// any unknown path, 405 with `Allow` for a known path and another method.
#[tokio::test]
async fn the_fallback_function_answers_unknown_routes_as_problems() {
    let (app, token) = app_and_token().await;
    let unknown = inbox_lambda::handle(
        &app,
        inbox_api::Scope::Unrouted(inbox_api::ROUTES),
        request("GET", "/nowhere", &token, Body::Empty),
    )
    .await;
    assert_eq!(unknown.status(), 404);
    assert!(unknown.headers()["content-type"].to_str().unwrap().starts_with("application/problem+json"));
    assert_eq!(json(&unknown)["status"], 404);
    let method = inbox_lambda::handle(
        &app,
        inbox_api::Scope::Unrouted(inbox_api::ROUTES),
        request("PATCH", "/api/accounts", &token, Body::Empty),
    )
    .await;
    assert_eq!(method.status(), 405);
    assert_eq!(method.headers()["allow"], "GET, HEAD, POST");
    // A real route is never served by the fallback (it has none of the routes' grants).
    let real = inbox_lambda::handle(
        &app,
        inbox_api::Scope::Unrouted(inbox_api::ROUTES),
        request("GET", "/api/accounts", &token, Body::Empty),
    )
    .await;
    assert_eq!(real.status(), 404);
}
