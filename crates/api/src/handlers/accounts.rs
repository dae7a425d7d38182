//! `/api/accounts` and the connector's reports on one account.

use super::{envelope, existing_client, may_see, no_content, with_location};
use crate::query::{encode, json_body, pairs};
use crate::resources::*;
use crate::{jsonld, Answer, ApiError, App, Call};
use http::{header, StatusCode};
use inbox_domain::{Account, AccountId, Changes, Command, Profile, State, CUSTOMER_ACTOR_PREFIX};
use inbox_store::commands;
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use inbox_store::ListQuery;
use uuid::Uuid;

pub async fn list(app: &App, call: Call) -> Answer {
    let p = call.principal();
    let mut page = 1u64;
    let mut query = ListQuery { limit: PAGE_SIZE, ..ListQuery::default() };
    let mut customer = None;
    for (key, value) in pairs(call.req.uri().query()) {
        match key.as_str() {
            "page" => page = page_number(&value)?,
            "accountType" => query.account_type = Some(value),
            "isAuthorized" => query.is_authorized = Some(boolean("isAuthorized", &value)?),
            "customerId" => customer = Some(value),
            _ => {}
        }
    }
    query.offset = (page - 1) * PAGE_SIZE;
    query.created_by = customer.as_ref().map(|c| format!("{CUSTOMER_ACTOR_PREFIX}{c}"));
    if p.only_own_accounts() {
        // Their own accounts, and only those: another customer's filter matches nothing.
        if query.created_by.as_ref().is_some_and(|c| *c != p.subject) {
            query.limit = 0;
        }
        query.created_by = Some(p.subject.clone());
    }
    let result = if query.limit == 0 {
        inbox_store::Page { items: vec![], total: 0 }
    } else {
        app.store.list_accounts(p.client_id, &query).await?
    };
    let mut filters = vec![];
    if let Some(t) = &query.account_type {
        filters.push(format!("accountType={}", encode(t)));
    }
    if let Some(b) = query.is_authorized {
        filters.push(format!("isAuthorized={b}"));
    }
    if let Some(c) = &customer {
        filters.push(format!("customerId={}", encode(c)));
    }
    Ok(jsonld(
        StatusCode::OK,
        &Collection {
            context: "/api/contexts/Account",
            iri: ACCOUNTS.into(),
            kind: "Collection",
            total_items: Some(result.total),
            member: result.items.iter().map(|a| AccountView::of(a, false)).collect(),
            view: collection_view(ACCOUNTS, &filters.join("&"), page, result.total),
            search: Some(account_search()),
        },
    ))
}

fn boolean(name: &str, value: &str) -> Result<bool, ApiError> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ApiError::bad_request(format!("{name} should be true or false, not \"{value}\"."))),
    }
}

pub(super) fn page_number(value: &str) -> Result<u64, ApiError> {
    value
        .parse()
        .ok()
        .filter(|n| (1..=1_000_000).contains(n))
        .ok_or_else(|| ApiError::bad_request(format!("Page should be an integer from 1 to 1000000, not \"{value}\".")))
}

pub async fn create(app: &App, call: Call) -> Answer {
    let body: AccountCreate = json_body(&call.req)?;
    existing_client(app, &call).await?;
    let iri = body.integration.ok_or_else(|| ApiError::violation("integration", "This value should not be blank."))?;
    let integration = parse_integration_iri(&iri).ok_or_else(|| {
        ApiError::violation("integration", "This value should be an IRI such as \"/api/integrations/whatsapp\".")
    })?;
    let id = Uuid::new_v4();
    let cmd = Command::Connect {
        account_id: AccountId(id),
        integration: integration.to_string(),
        reconnect_url: app.connect_url(&call.req, integration, id),
        history_sync_until: body.history_sync_until,
    };
    let answer = move |state: &State| created(state, id);
    let done = commands::create::<Account, _, ApiError>(&*app.store, &envelope(&call, answer), id, &cmd).await?;
    Ok(created(&done.state, id))
}

fn created(state: &State, id: Uuid) -> crate::Response {
    let mut resp = with_location(account_response(StatusCode::CREATED, state), &account_iri(id));
    let location = resp.headers()[header::LOCATION].clone();
    resp.headers_mut().insert(header::CONTENT_LOCATION, location);
    resp
}

pub async fn get(app: &App, call: Call, id: Uuid) -> Answer {
    let p = call.principal();
    match app.store.get_account(p.client_id, AccountId(id)).await? {
        Some(a) if may_see(p, &a) => Ok(jsonld(StatusCode::OK, &AccountView::of(&a, true))),
        _ => Err(ApiError::not_found()),
    }
}

pub async fn update(app: &App, call: Call, id: Uuid) -> Answer {
    let body: AccountUpdate = json_body(&call.req)?;
    let changes = Changes {
        username: body.username,
        description: body.description,
        avatar_url: body.avatar_url,
        share_past_history: body.share_past_history,
        history_sync_until: body.history_sync_until,
    };
    let state = change(app, &call, id, StatusCode::OK, |_| Command::Update(changes.clone())).await?;
    Ok(account_response(StatusCode::OK, &state))
}

pub async fn delete(app: &App, call: Call, id: Uuid) -> Answer {
    // The account as the removal was decided on: its grant is revoked once the
    // removal is committed (no read of its own).
    let removed = std::sync::Mutex::new(None);
    change(app, &call, id, StatusCode::NO_CONTENT, |a| {
        *removed.lock().unwrap() = Some(a.clone());
        Command::Remove
    })
    .await?;
    if let Some(a) = removed.into_inner().unwrap() {
        crate::signin::handout::revoke(app, &a).await;
    }
    Ok(no_content())
}

pub async fn authorize(app: &App, call: Call, id: Uuid) -> Answer {
    let body: AuthorizeInput = json_body(&call.req)?;
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
    let state = change(app, &call, id, StatusCode::OK, |_| Command::Authorize(profile.clone())).await?;
    Ok(account_response(StatusCode::OK, &state))
}

pub async fn disconnect(app: &App, call: Call, id: Uuid) -> Answer {
    // The connector may report a lost session with no body at all.
    let body: DisconnectInput =
        if call.req.body().is_empty() { DisconnectInput::default() } else { json_body(&call.req)? };
    let state = change(app, &call, id, StatusCode::OK, |a| Command::Disconnect {
        reason: body.reason.clone(),
        reconnect_url: body.reconnect_url.clone().unwrap_or_else(|| app.connect_url(&call.req, &a.integration, a.id.0)),
    })
    .await?;
    Ok(account_response(StatusCode::OK, &state))
}

/// Runs a command on an account the caller may see (else 404), through the
/// command path (which decides again on a newer state after a conflict).
/// `status` is the answer's, recorded for the request's `Idempotency-Key`.
async fn change(
    app: &App,
    call: &Call,
    id: Uuid,
    status: StatusCode,
    make: impl Fn(&Account) -> Command,
) -> Result<State, ApiError> {
    let p = call.principal();
    let envelope = envelope(call, move |state: &State| account_response(status, state));
    let done = commands::execute::<Account, _, _>(&*app.store, &envelope, id, |state| match state {
        Some(a) if may_see(p, a) => Ok(make(a)),
        _ => Err(ApiError::not_found()),
    })
    .await?;
    Ok(done.state)
}

fn account_response(status: StatusCode, state: &State) -> crate::Response {
    match state {
        Some(a) => jsonld(status, &AccountView::of(a, true)),
        None => no_content(),
    }
}
