//! `inbox tenant|user create` and the demo client: the directory as the command
//! line writes it, with the API's rules for names and passwords.

use anyhow::bail;
use inbox_api::auth::{hash_password, password_problem, Role, MAX_PASSWORD_BYTES, MAX_USERNAME, MIN_PASSWORD_CHARS};
use inbox_domain::{ClientId, Team, TeamCommand, TeamRefusal, UserId};
use inbox_store::commands::{self, CommandError, Envelope};
use inbox_store::{Client, Store, StoreError};
use std::sync::Arc;
use uuid::Uuid;

/// A name typed on the command line, checked as the API checks names.
pub fn human_text(what: &str, value: &str, max: usize) -> anyhow::Result<String> {
    use inbox_domain::{text, Rule};
    text::clean(value.trim(), max, text::Lines::Single, true).map_err(|rule| match rule {
        Rule::Blank => anyhow::anyhow!("the {what} must not be blank"),
        Rule::TooLong { max } => anyhow::anyhow!("the {what} must have 1 to {max} characters"),
        _ => anyhow::anyhow!("the {what} must not contain control, bidirectional or only invisible characters"),
    })
}

pub async fn create_client(store: &dyn Store, name: &str, plan: &str) -> anyhow::Result<ClientId> {
    let (name, plan) = (human_text("tenant name", name, 255)?, human_text("tenant plan", plan, 100)?);
    let client = Client { id: ClientId::new(), name, plan, created_at: now() };
    store.create_client(&client).await?;
    Ok(client.id)
}

/// The existence check every command on a client starts with.
pub(crate) async fn existing_client(store: &dyn Store, client: ClientId) -> anyhow::Result<()> {
    if store.get_client(client).await?.is_none() {
        bail!("there is no tenant {client} (create one with `inbox tenant create`)");
    }
    Ok(())
}

pub async fn create_user(
    store: &dyn Store,
    client: ClientId,
    username: &str,
    password: &str,
    role: Role,
) -> anyhow::Result<UserId> {
    let username = human_text("username", username, MAX_USERNAME)?;
    if password_problem(password).is_some() {
        bail!("the password must have at least {MIN_PASSWORD_CHARS} characters and at most {MAX_PASSWORD_BYTES} bytes");
    }
    existing_client(store, client).await?;
    let id = UserId::new();
    let add = TeamCommand::Add {
        id,
        username: username.clone(),
        password_hash: hash_password(password),
        roles: vec![role],
        enabled: true,
    };
    let envelope = Envelope {
        client_id: client,
        actor: "cli".into(),
        correlation_id: format!("cli-{}", Uuid::new_v4()),
        at: None,
        idempotency: None,
    };
    let done = commands::execute::<Team, _, CommandError<TeamRefusal>>(store, &envelope, client.team_stream(), |_| {
        Ok(add.clone())
    });
    match done.await {
        Ok(_) => Ok(id),
        Err(CommandError::Store(StoreError::Duplicate(_)) | CommandError::Domain(TeamRefusal::UsernameTaken)) => {
            bail!("the username {username:?} is taken")
        }
        Err(CommandError::Domain(r)) => bail!("cannot add the user: {r}"),
        Err(CommandError::Store(e)) => Err(e.into()),
    }
}

fn now() -> inbox_domain::Timestamp {
    inbox_domain::time::truncate(std::time::SystemTime::now().into())
}

/// The demo client a newcomer can log in to at once.
pub const DEMO_USERNAME: &str = "owner@demo.test";
pub const DEMO_PASSWORD: &str = "demo-password";

pub async fn ensure_demo(store: &Arc<dyn Store>) -> anyhow::Result<Option<ClientId>> {
    if store.has_clients().await? {
        return Ok(None);
    }
    let client = create_client(&**store, "Demo", "free").await?;
    create_user(&**store, client, DEMO_USERNAME, DEMO_PASSWORD, Role::Owner).await?;
    Ok(Some(client))
}
