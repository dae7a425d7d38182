//! `/api/users`: a client's team, managed by its owners. Every change is a
//! command on the team's stream ([`inbox_domain::Team`], whose rules keep an
//! enabled owner) through the one command path, and is recorded.

use super::{caller as envelope, existing_client, no_content, with_location};
use crate::auth::{self, Role};
use crate::error::ViolationBody;
use crate::query::json_body;
use crate::resources::*;
use crate::{jsonld, Answer, ApiError, App, Call};
use http::StatusCode;
use inbox_domain::team::TeamField;
use inbox_domain::{text, Team, TeamCommand, TeamRefusal, UserId};
use inbox_store::commands::{self, CommandError};
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use inbox_store::StoreError;
use uuid::Uuid;

const LAST_OWNER: &str = "The client's last enabled owner cannot be disabled, demoted or deleted.";
const TAKEN: &str = "This value is already used.";

const NO_ROLES: &str = "This collection should contain 1 element or more.";

/// The answer to a refused team command.
fn refusal(r: TeamRefusal) -> ApiError {
    let field = match r {
        TeamRefusal::NotFound => return ApiError::not_found(),
        TeamRefusal::LastOwner(TeamField::Roles) => "roles",
        TeamRefusal::LastOwner(TeamField::Enabled) => "enabled",
        TeamRefusal::LastOwner(TeamField::Id) => "id",
        TeamRefusal::UsernameTaken | TeamRefusal::AlreadyExists => {
            return ApiError::invalid(vec![violation("username", TAKEN.into())])
        }
        TeamRefusal::NoRoles => return ApiError::invalid(vec![violation("roles", NO_ROLES.into())]),
    };
    ApiError::invalid(vec![violation(field, LAST_OWNER.into())])
}

/// Runs a command on the caller's team: a username another client holds is
/// the caller's to fix (422), not a conflict.
async fn run(app: &App, call: &Call, cmd: TeamCommand) -> Result<Option<Team>, ApiError> {
    let stream = call.principal().client_id.team_stream();
    let envelope = envelope(call);
    let done =
        commands::execute::<Team, _, CommandError<TeamRefusal>>(&*app.store, &envelope, stream, |_| Ok(cmd.clone()));
    match done.await {
        Ok(done) => Ok(done.state),
        Err(CommandError::Store(StoreError::Duplicate(_))) => Err(refusal(TeamRefusal::UsernameTaken)),
        Err(CommandError::Store(e)) => Err(e.into()),
        Err(CommandError::Domain(r)) => Err(refusal(r)),
    }
}

pub async fn list(app: &App, call: Call) -> Answer {
    let team = app.store.team(call.principal().client_id).await?;
    let all = team.map(|t| t.members).unwrap_or_default();
    Ok(jsonld(
        StatusCode::OK,
        &Collection {
            context: "/api/contexts/User",
            iri: USERS.into(),
            kind: "Collection",
            total_items: Some(all.len() as u64),
            member: all.iter().map(|u| UserView::of(u, false)).collect(),
            view: None,
            search: None,
        },
    ))
}

pub async fn get(app: &App, call: Call, id: Uuid) -> Answer {
    let user = app.store.get_user(call.principal().client_id, UserId(id)).await?.ok_or_else(ApiError::not_found)?;
    Ok(jsonld(StatusCode::OK, &UserView::of(&user, true)))
}

pub async fn create(app: &App, call: Call) -> Answer {
    let body: UserCreate = json_body(&call.req)?;
    let mut violations = vec![];
    let username =
        text::clean(body.username.as_deref().unwrap_or_default(), auth::MAX_USERNAME, text::Lines::Single, true)
            .map_err(|rule| violations.push(violation("username", crate::error::message(rule))))
            .ok();
    let password = body.plain_password.unwrap_or_default();
    if let Some(problem) = auth::password_problem(&password) {
        violations.push(violation("plainPassword", problem));
    }
    let roles = checked_roles(body.roles, &mut violations);
    if !violations.is_empty() {
        return Err(ApiError::invalid(violations));
    }
    existing_client(app, &call).await?;
    let password_hash = auth::off_the_runtime(move || auth::hash_password(&password)).await;
    let id = UserId::new();
    let cmd = TeamCommand::Add {
        id,
        username: username.expect("checked"),
        password_hash,
        roles: roles.expect("checked"),
        enabled: body.enabled.unwrap_or(true),
    };
    let team = run(app, &call, cmd).await?;
    let created = team.as_ref().and_then(|t| t.member(id)).expect("an added user exists");
    let resp = jsonld(StatusCode::CREATED, &UserView::of(created, true));
    Ok(with_location(resp, &user_iri(id.0)))
}

pub async fn update(app: &App, call: Call, id: Uuid) -> Answer {
    let body: UserUpdate = json_body(&call.req)?;
    let mut violations = vec![];
    if let Some(problem) = body.plain_password.as_deref().and_then(auth::password_problem) {
        violations.push(violation("plainPassword", problem));
    }
    let roles = match body.roles {
        Some(r) => checked_roles(Some(r), &mut violations),
        None => None,
    };
    if !violations.is_empty() {
        return Err(ApiError::invalid(violations));
    }
    // Hashed once, before the command (which may be decided again after a conflict).
    let password_hash = match body.plain_password.clone() {
        Some(p) => Some(auth::off_the_runtime(move || auth::hash_password(&p)).await),
        None => None,
    };
    let id = UserId(id);
    let team = run(app, &call, TeamCommand::Change { id, roles, enabled: body.enabled, password_hash }).await?;
    let after = team.as_ref().and_then(|t| t.member(id)).ok_or_else(ApiError::not_found)?;
    Ok(jsonld(StatusCode::OK, &UserView::of(after, true)))
}

pub async fn delete(app: &App, call: Call, id: Uuid) -> Answer {
    run(app, &call, TeamCommand::Remove { id: UserId(id) }).await?;
    Ok(no_content())
}

pub async fn events(app: &App, call: Call, id: Uuid) -> Answer {
    let events = app.store.user_changes(call.principal().client_id, UserId(id)).await?;
    if events.is_empty() {
        return Err(ApiError::not_found());
    }
    let iri = format!("{}/events", user_iri(id));
    Ok(jsonld(
        StatusCode::OK,
        &Collection {
            context: "/api/contexts/UserEvent",
            iri,
            kind: "Collection",
            total_items: Some(events.len() as u64),
            member: events.iter().map(UserEventView::of).collect(),
            view: None,
            search: None,
        },
    ))
}

fn violation(path: &str, message: String) -> ViolationBody {
    ViolationBody { property_path: path.into(), message }
}

/// The roles a body names: at least one, each a role users can hold.
fn checked_roles(roles: Option<Vec<String>>, violations: &mut Vec<ViolationBody>) -> Option<Vec<Role>> {
    let roles = roles.unwrap_or_default();
    if roles.is_empty() {
        violations.push(violation("roles", NO_ROLES.into()));
    } else if let Some(bad) = roles.iter().find(|r| Role::from_claim(r).is_none()) {
        let choices = Role::ALL.map(Role::claim).join(", ");
        violations.push(violation("roles", format!("The value \"{bad}\" is not a valid choice: {choices}.")));
    } else {
        return Some(roles.iter().filter_map(|r| Role::from_claim(r)).collect());
    }
    None
}
