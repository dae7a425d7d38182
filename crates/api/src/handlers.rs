//! One function per endpoint. Reads come from the read model only; commands load
//! the account, decide, and commit events plus read model in one write.

use crate::auth::{self, Principal};
use crate::query::{encode, json_body, pairs};
use crate::resources::*;
use crate::{jsonld, openapi, tokens, ApiError, App, Call, Endpoint, Request, Response};
use http::{header, HeaderValue, StatusCode};
use inbox_domain::integrations::{self, INTEGRATIONS};
use inbox_domain::{execute, time, Account, Changes, Command, Context, Profile, State};
use inbox_store::{ApiToken, Commit, ListQuery, StoreError};
use uuid::Uuid;

/// Account links answered at most (the Enterprise API's list has no pages).
const MAX_LINKS: u64 = 10_000;

/// Attempts of a command whose stream moved on meanwhile, before answering 409.
const MAX_ATTEMPTS: u32 = 10;

pub(crate) async fn handle(app: &App, endpoint: Endpoint, call: &Call, req: Request) -> Result<Response, ApiError> {
    match endpoint {
        Endpoint::AccountsList => list(app, call, &req).await,
        Endpoint::AccountsCreate => create(app, call, &req).await,
        Endpoint::AccountsGet => {
            let account = visible(app, call.principal(), account_id(call)?).await?;
            Ok(jsonld(StatusCode::OK, &AccountView::of(&account, true)))
        }
        Endpoint::AccountsUpdate => {
            let body: AccountUpdate = json_body(&req)?;
            let changes = Changes {
                username: body.username,
                description: body.description,
                avatar_url: body.avatar_url,
                share_past_history: body.share_past_history,
                history_sync_until: body.history_sync_until,
            };
            let state = change(app, call, |_| Ok(Command::Update(changes.clone()))).await?;
            Ok(account_response(StatusCode::OK, &state))
        }
        Endpoint::AccountsDelete => {
            change(app, call, |_| Ok(Command::Remove)).await?;
            Ok(crate::error::empty(StatusCode::NO_CONTENT))
        }
        Endpoint::AccountsAuthorize => {
            let body: AuthorizeInput = json_body(&req)?;
            let Some(platform_id) = body.platform_id else {
                return Err(ApiError::violation("platformId", "This value should not be null."));
            };
            let profile = Profile {
                username: body.username,
                description: body.description,
                avatar_url: body.avatar_url,
                platform_id,
                platform_username: body.platform_username,
            };
            let state = change(app, call, |_| Ok(Command::Authorize(profile.clone()))).await?;
            Ok(account_response(StatusCode::OK, &state))
        }
        Endpoint::AccountsDisconnect => {
            // The connector may report a lost session with no body at all.
            let body: DisconnectInput =
                if req.body().is_empty() { DisconnectInput::default() } else { json_body(&req)? };
            let state = change(app, call, |a| {
                Ok(Command::Disconnect {
                    reason: body.reason.clone(),
                    reconnect_url: body.reconnect_url.clone().unwrap_or_else(|| connect_url(app, &a.integration, a.id)),
                })
            })
            .await?;
            Ok(account_response(StatusCode::OK, &state))
        }
        Endpoint::AccountsEvents => events(app, call, &req).await,
        Endpoint::IntegrationsList => {
            let member: Vec<_> = INTEGRATIONS.iter().map(|i| IntegrationView::of(i, false)).collect();
            Ok(jsonld(
                StatusCode::OK,
                &Collection {
                    context: "/api/contexts/Integration",
                    iri: "/api/integrations".into(),
                    kind: "Collection",
                    total_items: member.len() as u64,
                    member,
                    view: None,
                    search: None,
                },
            ))
        }
        Endpoint::IntegrationsGet => {
            let i = integrations::find(&call.params[0]).ok_or_else(ApiError::not_found)?;
            Ok(jsonld(StatusCode::OK, &IntegrationView::of(i, true)))
        }
        Endpoint::TokensCreate => {
            let p = call.principal();
            let body: TokenCreate = json_body(&req)?;
            let name = body.name.unwrap_or_default().trim().to_string();
            if name.is_empty() || name.chars().count() > 100 {
                return Err(ApiError::violation("name", "This value should have 1 to 100 characters."));
            }
            let (secret, hint, secret_hash) = tokens::generate();
            let token = ApiToken {
                id: Uuid::new_v4(),
                tenant_id: p.client_id,
                name,
                hint,
                secret_hash,
                created_by: p.subject.clone(),
                created_at: time::truncate(chrono::Utc::now()),
                revoked_at: None,
            };
            app.store.create_api_token(&token).await?;
            let mut resp = jsonld(StatusCode::CREATED, &TokenView::of(&token, true, Some(secret)));
            let location = HeaderValue::from_str(&format!("/api/tokens/{}", token.id)).expect("valid header");
            resp.headers_mut().insert(header::LOCATION, location);
            Ok(resp)
        }
        Endpoint::TokensList => {
            let tokens = app.store.list_api_tokens(call.principal().client_id).await?;
            Ok(jsonld(
                StatusCode::OK,
                &Collection {
                    context: "/api/contexts/ApiToken",
                    iri: "/api/tokens".into(),
                    kind: "Collection",
                    total_items: tokens.len() as u64,
                    member: tokens.iter().map(|t| TokenView::of(t, false, None)).collect(),
                    view: None,
                    search: None,
                },
            ))
        }
        Endpoint::TokensDelete => {
            let id = Uuid::parse_str(&call.params[0]).map_err(|_| ApiError::not_found())?;
            let now = time::truncate(chrono::Utc::now());
            if !app.store.revoke_api_token(call.principal().client_id, id, now).await? {
                return Err(ApiError::not_found());
            }
            Ok(crate::error::empty(StatusCode::NO_CONTENT))
        }
        Endpoint::V1Team => {
            let t = app.store.get_tenant(call.principal().client_id).await?;
            let t = t.ok_or(ApiError::Enterprise(StatusCode::UNAUTHORIZED))?;
            let team = Team { id: t.id, name: t.name, created_at: time::format(&t.created_at), plan: t.plan };
            Ok(crate::json_response(StatusCode::OK, "application/json", &team))
        }
        Endpoint::V1AccountLinksList => {
            // Every active account of the client: the read model is the one source.
            let q = ListQuery { limit: MAX_LINKS, ..ListQuery::default() };
            let page = app.store.list_accounts(call.principal().client_id, &q).await?;
            let links = AccountLinks { account_links: page.items.iter().map(AccountLink::of).collect() };
            Ok(crate::json_response(StatusCode::OK, "application/json", &links))
        }
        Endpoint::V1AccountLinksGet => {
            let not_found = || ApiError::Enterprise(StatusCode::NOT_FOUND);
            let id = Uuid::parse_str(&call.params[0]).map_err(|_| not_found())?;
            let account = app.store.get_account(call.principal().client_id, id).await?.ok_or_else(not_found)?;
            Ok(crate::json_response(StatusCode::OK, "application/json", &AccountLink::of(&account)))
        }
        Endpoint::LoginCheck => login(app, &req).await,
        Endpoint::ApiDocs => Ok(crate::json_response(StatusCode::OK, "application/json", openapi::cached())),
    }
}

fn account_id(call: &Call) -> Result<Uuid, ApiError> {
    // Any id that is not a UUID names no account.
    Uuid::parse_str(&call.params[0]).map_err(|_| ApiError::not_found())
}

fn connect_url(app: &App, integration: &str, id: Uuid) -> String {
    format!("{}/{}/{id}", app.config.connect_base_url, encode(integration))
}

fn account_response(status: StatusCode, state: &State) -> Response {
    match state {
        Some(a) => jsonld(status, &AccountView::of(a, true)),
        None => crate::error::empty(StatusCode::NO_CONTENT),
    }
}

/// The account if the caller may see it: same client, and for customers their own.
/// Anything else is 404, so another client's ids are never confirmed.
async fn visible(app: &App, p: &Principal, id: Uuid) -> Result<Account, ApiError> {
    match app.store.get_account(p.client_id, id).await? {
        Some(a) if !p.only_own_accounts() || a.created_by == p.subject => Ok(a),
        _ => Err(ApiError::not_found()),
    }
}

fn context(p: &Principal) -> Context {
    Context { client_id: p.client_id, actor: p.subject.clone(), now: time::truncate(chrono::Utc::now()) }
}

/// Runs a command on an existing account, retrying when a concurrent command
/// moved the stream on (the command is decided again on the new state).
async fn change(
    app: &App,
    call: &Call,
    make: impl Fn(&Account) -> Result<Command, ApiError>,
) -> Result<State, ApiError> {
    let p = call.principal();
    let id = account_id(call)?;
    for attempt in 1..=MAX_ATTEMPTS {
        let current = visible(app, p, id).await?;
        let cmd = make(&current)?;
        let expected_version = current.version;
        let state = Some(current);
        let (events, next) = execute(&state, id, &cmd, &context(p), &call.request_id)?;
        let commit = Commit { stream_id: id, client_id: p.client_id, expected_version, events, state: next.clone() };
        match app.store.commit(commit).await {
            Ok(()) => return Ok(next),
            Err(StoreError::Conflict { .. }) if attempt < MAX_ATTEMPTS => backoff(attempt).await,
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the last attempt returns")
}

async fn backoff(attempt: u32) {
    let mut jitter = [0u8; 1];
    getrandom::fill(&mut jitter).expect("operating system randomness");
    let ms = u64::from(jitter[0] % 4 + 1) * u64::from(attempt);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

async fn create(app: &App, call: &Call, req: &Request) -> Result<Response, ApiError> {
    let p = call.principal();
    let body: AccountCreate = json_body(req)?;
    let iri = body.integration.ok_or_else(|| ApiError::violation("integration", "This value should not be blank."))?;
    let integration = parse_integration_iri(&iri).ok_or_else(|| {
        ApiError::violation("integration", "This value should be an IRI such as \"/api/integrations/whatsapp\".")
    })?;
    let id = Uuid::new_v4();
    let cmd = Command::Connect {
        account_id: id,
        integration: integration.to_string(),
        reconnect_url: connect_url(app, integration, id),
        history_sync_until: body.history_sync_until,
    };
    let (events, state) = execute(&None, id, &cmd, &context(p), &call.request_id)?;
    app.store
        .commit(Commit { stream_id: id, client_id: p.client_id, expected_version: 0, events, state: state.clone() })
        .await?;
    let mut resp = account_response(StatusCode::CREATED, &state);
    let location = HeaderValue::from_str(&account_iri(id)).expect("IRIs are valid header values");
    resp.headers_mut().insert(header::LOCATION, location.clone());
    resp.headers_mut().insert(header::CONTENT_LOCATION, location);
    Ok(resp)
}

async fn list(app: &App, call: &Call, req: &Request) -> Result<Response, ApiError> {
    let p = call.principal();
    let mut page = 1u64;
    let mut query = ListQuery { limit: PAGE_SIZE, ..ListQuery::default() };
    for (key, value) in pairs(req.uri().query()) {
        match key.as_str() {
            "page" => page = page_number(&value)?,
            "accountType" => query.account_type = Some(value),
            "isAuthorized" => {
                query.is_authorized = Some(match value.as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => {
                        return Err(ApiError::bad_request(format!(
                            "isAuthorized should be true or false, not \"{value}\"."
                        )))
                    }
                })
            }
            _ => {}
        }
    }
    query.offset = (page - 1) * PAGE_SIZE;
    if p.only_own_accounts() {
        query.created_by = Some(p.subject.clone());
    }
    let result = app.store.list_accounts(p.client_id, &query).await?;
    let mut filters = vec![];
    if let Some(t) = &query.account_type {
        filters.push(format!("accountType={}", encode(t)));
    }
    if let Some(b) = query.is_authorized {
        filters.push(format!("isAuthorized={b}"));
    }
    let view = collection_view(ACCOUNTS, &filters.join("&"), page, result.total);
    Ok(jsonld(
        StatusCode::OK,
        &Collection {
            context: "/api/contexts/Account",
            iri: ACCOUNTS.into(),
            kind: "Collection",
            total_items: result.total,
            member: result.items.iter().map(|a| AccountView::of(a, false)).collect(),
            view,
            search: Some(account_search()),
        },
    ))
}

fn page_number(value: &str) -> Result<u64, ApiError> {
    value
        .parse()
        .ok()
        .filter(|n| (1..=1_000_000).contains(n))
        .ok_or_else(|| ApiError::bad_request(format!("Page should be an integer from 1 to 1000000, not \"{value}\".")))
}

/// The history of an account of the caller's client, removed ones included.
async fn events(app: &App, call: &Call, req: &Request) -> Result<Response, ApiError> {
    let p = call.principal();
    let id = account_id(call)?;
    let mut page = 1;
    for (key, value) in pairs(req.uri().query()) {
        if key == "page" {
            page = page_number(&value)?;
        }
    }
    let events = app.store.load_stream(id).await?;
    if events.first().is_none_or(|e| e.tenant != p.client_id) {
        return Err(ApiError::not_found());
    }
    let total = events.len() as u64;
    let base = format!("{}/events", account_iri(id));
    let member = events.iter().skip(((page - 1) * PAGE_SIZE) as usize).take(PAGE_SIZE as usize).map(EventView::of);
    Ok(jsonld(
        StatusCode::OK,
        &Collection {
            context: "/api/contexts/AccountEvent",
            view: collection_view(&base, "", page, total),
            iri: base,
            kind: "Collection",
            total_items: total,
            member: member.collect(),
            search: None,
        },
    ))
}

async fn login(app: &App, req: &Request) -> Result<Response, ApiError> {
    let body: LoginInput = json_body(req)?;
    let user = app.store.find_user(&body.username).await?;
    let ok = match &user {
        Some(u) => auth::verify_password(&body.password, &u.password_hash),
        None => {
            auth::burn_password_check(&body.password);
            false
        }
    };
    match user {
        Some(u) if ok => {
            let token = app.keys().issue(&u, chrono::Utc::now().timestamp());
            Ok(crate::json_response(StatusCode::OK, "application/json", &TokenOutput { token }))
        }
        _ => Err(ApiError::BadCredentials),
    }
}
