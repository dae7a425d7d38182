//! `/api/users`: a client's team, managed by its owners. Every change goes
//! through the one user command path ([`inbox_store::users`]) and is recorded.

use super::{caller as envelope, existing_client, no_content, with_location};
use crate::auth::{self, Role};
use crate::error::ViolationBody;
use crate::query::json_body;
use crate::resources::*;
use crate::{jsonld, Answer, ApiError, App, Call};
use http::StatusCode;
use inbox_domain::{text, time};
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use inbox_store::users::{self, Decision};
use inbox_store::{StoreError, User};
use uuid::Uuid;

const LAST_OWNER: &str = "The client's last enabled owner cannot be disabled, demoted or deleted.";

pub async fn list(app: &App, call: Call) -> Answer {
    let (_, all) = app.store.client_users(call.principal().client_id).await?;
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
    let user = app.store.get_user(call.principal().client_id, id).await?.ok_or_else(ApiError::not_found)?;
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
    let user = User {
        id: Uuid::new_v4(),
        client_id: call.principal().client_id,
        username: username.expect("checked"),
        password_hash,
        roles: roles.expect("checked"),
        enabled: body.enabled.unwrap_or(true),
        version: 0,
        created_at: time::truncate(chrono::Utc::now()),
    };
    let created = match users::change(&*app.store, &envelope(&call), user.id, |_| Ok(Decision::Put(user.clone()))).await
    {
        Ok(created) => created.expect("a put user exists"),
        // A taken username is the caller's to fix (422), not a conflict.
        Err(StoreError::Duplicate(_)) => {
            return Err(ApiError::invalid(vec![violation("username", "This value is already used.".into())]))
        }
        Err(e) => return Err(e.into()),
    };
    let resp = jsonld(StatusCode::CREATED, &UserView::of(&created, true));
    Ok(with_location(resp, &user_iri(created.id)))
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
    // Hashed once, outside the decision (which may run again after a conflict).
    let hash = match body.plain_password.clone() {
        Some(p) => Some(auth::off_the_runtime(move || auth::hash_password(&p)).await),
        None => None,
    };
    let after = users::change(&*app.store, &envelope(&call), id, |all| {
        let before = all.iter().find(|u| u.id == id).ok_or_else(ApiError::not_found)?;
        let mut next = before.clone();
        if let Some(r) = &roles {
            next.roles = r.clone();
        }
        next.enabled = body.enabled.unwrap_or(next.enabled);
        if let Some(h) = &hash {
            next.password_hash = h.clone();
        }
        if !keeps_an_owner(all, id, Some(&next)) {
            let field = if next.enabled { "roles" } else { "enabled" };
            return Err(ApiError::invalid(vec![violation(field, LAST_OWNER.into())]));
        }
        Ok(Decision::Put(next))
    })
    .await?
    .ok_or_else(ApiError::not_found)?;
    Ok(jsonld(StatusCode::OK, &UserView::of(&after, true)))
}

pub async fn delete(app: &App, call: Call, id: Uuid) -> Answer {
    users::change(&*app.store, &envelope(&call), id, |all| {
        if !all.iter().any(|u| u.id == id) {
            return Err(ApiError::not_found());
        }
        if !keeps_an_owner(all, id, None) {
            return Err(ApiError::invalid(vec![violation("id", LAST_OWNER.into())]));
        }
        Ok(Decision::Delete)
    })
    .await?;
    Ok(no_content())
}

pub async fn events(app: &App, call: Call, id: Uuid) -> Answer {
    let events = app.store.user_events(call.principal().client_id, id).await?;
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
fn checked_roles(roles: Option<Vec<String>>, violations: &mut Vec<ViolationBody>) -> Option<Vec<String>> {
    let roles = roles.unwrap_or_default();
    let known = |r: &String| Role::ALL.iter().any(|role| role.claim() == r);
    if roles.is_empty() {
        violations.push(violation("roles", "This collection should contain 1 element or more.".into()));
    } else if let Some(bad) = roles.iter().find(|r| !known(r)) {
        let choices = Role::ALL.map(Role::claim).join(", ");
        violations.push(violation("roles", format!("The value \"{bad}\" is not a valid choice: {choices}.")));
    } else {
        let mut unique: Vec<String> = vec![];
        for r in roles {
            if !unique.contains(&r) {
                unique.push(r);
            }
        }
        return Some(unique);
    }
    None
}

fn enabled_owner(u: &User) -> bool {
    u.enabled && u.roles.iter().any(|r| r == Role::Owner.claim())
}

/// Whether the client keeps an enabled owner once user `id` becomes `after`
/// (`None`: deleted). A client without one already is not held to it.
fn keeps_an_owner(all: &[User], id: Uuid, after: Option<&User>) -> bool {
    let was = all.iter().any(|u| u.id == id && enabled_owner(u));
    let others = all.iter().filter(|u| u.id != id && enabled_owner(u)).count();
    !was || others > 0 || after.is_some_and(enabled_owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: &str, enabled: bool) -> User {
        User {
            id: Uuid::new_v4(),
            client_id: Uuid::nil(),
            username: "u".into(),
            password_hash: String::new(),
            roles: vec![role.into()],
            enabled,
            version: 1,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn the_last_enabled_owner_stays() {
        let (owner, auditor) = (user("ROLE_OWNER", true), user("ROLE_AUDITOR", true));
        let all = vec![owner.clone(), auditor.clone()];
        let demoted = User { roles: vec!["ROLE_AUDITOR".into()], ..owner.clone() };
        let disabled = User { enabled: false, ..owner.clone() };
        assert!(!keeps_an_owner(&all, owner.id, Some(&demoted)));
        assert!(!keeps_an_owner(&all, owner.id, Some(&disabled)));
        assert!(!keeps_an_owner(&all, owner.id, None));
        assert!(keeps_an_owner(&all, owner.id, Some(&owner)), "a password change");
        assert!(keeps_an_owner(&all, auditor.id, None), "not an owner");
        let second = user("ROLE_OWNER", true);
        let two = vec![owner.clone(), second.clone()];
        assert!(keeps_an_owner(&two, owner.id, None));
        let disabled_second = vec![owner.clone(), User { enabled: false, ..second }];
        assert!(!keeps_an_owner(&disabled_second, owner.id, None), "a disabled owner does not count");
    }
}
