//! `inbox`: the local server, tenants and users — on whichever store the
//! environment configures (the embedded SQLite file by default).

mod audit;
mod directory;
mod limits;
mod serve;
mod streams;
mod tokens;

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand, ValueEnum};
use directory::{create_client, create_user, existing_client};
use inbox_api::auth::Role;
use inbox_api::{config, Config};
use inbox_domain::ClientId;
use inbox_infra::{fixtures, sam};
use inbox_store::{DynamoStore, Tables};
use uuid::Uuid;

#[derive(Parser)]
#[command(name = "inbox", version, about = "Inbox Accounts: run the API locally and administer its store")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve every route of the API in one process.
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: std::net::SocketAddr,
        /// Do not create the demo client on an empty store.
        #[arg(long)]
        no_demo: bool,
        /// Open connections at most; past it, a 503 and the connection is closed.
        #[arg(long, env = "INBOX_MAX_CONNECTIONS", default_value_t = 4096)]
        max_connections: usize,
        /// Seconds a client has to send a request's headers; also how long an
        /// idle keep-alive connection stays open.
        #[arg(long, env = "INBOX_HEADER_TIMEOUT", default_value_t = 10)]
        header_timeout: u64,
        /// Seconds a client has to send a request's body (408 after).
        #[arg(long, env = "INBOX_BODY_TIMEOUT", default_value_t = 30)]
        body_timeout: u64,
    },
    /// Manage clients (tenants).
    #[command(name = "tenant", alias = "client")]
    Client {
        #[command(subcommand)]
        command: ClientCmd,
    },
    /// Manage users who log in with a password.
    User {
        #[command(subcommand)]
        command: UserCmd,
    },
    /// Manage API tokens for the Inbox Enterprise API (`/api/v1`).
    Token {
        #[command(subcommand)]
        command: TokenCmd,
    },
    /// Deployment files derived from the code.
    Infra {
        #[command(subcommand)]
        command: InfraCmd,
    },
    /// Replay and check account histories.
    Audit {
        #[command(subcommand)]
        command: AuditCmd,
    },
    /// DynamoDB administration (endpoint and credentials from the AWS environment).
    #[command(name = "dynamodb")]
    DynamoDb {
        #[command(subcommand)]
        command: DynamoCmd,
    },
}

#[derive(Subcommand)]
enum InfraCmd {
    /// Rewrite every file derived from the route table: infra/template.yaml,
    /// events/*.json and the watch router in Cargo.toml (run at the workspace root).
    Generate,
    /// Print the SAM template (infra/template.yaml) for the current route table.
    Template,
    /// Write one sample API Gateway event per function (events/*.json).
    Events {
        #[arg(long, default_value = "events")]
        dir: std::path::PathBuf,
    },
    /// Load the example client, owner, account and API token the sample events use.
    Fixtures,
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Create an API token; prints only its secret (shown this once).
    Create {
        /// The client's id.
        #[arg(long = "tenant", alias = "client")]
        client: ClientId,
        #[arg(long)]
        name: String,
    },
    /// List a client's tokens (or one): hint, creation, revocation, last use.
    List {
        #[arg(long = "tenant", alias = "client")]
        client: ClientId,
        #[arg(long)]
        token: Option<Uuid>,
    },
    /// A token's request log, newest first (kept INBOX_TOKEN_LOG_DAYS days).
    Log {
        #[arg(long = "tenant", alias = "client")]
        client: ClientId,
        #[arg(long)]
        token: Uuid,
        /// How many entries at most.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// A readable timeline of an account: time, version, event, who, what changed.
    History { account: Uuid },
    /// The account as it was at an instant (JSON, as the API shows it).
    State {
        account: Uuid,
        /// RFC 3339 date-time, e.g. 2025-12-06T04:35:33.192Z.
        #[arg(long)]
        at: String,
    },
    /// Recompute every hash chain and rebuild every read model in memory; report
    /// every mismatch with the stored ones. Exits 1 if there is any.
    Verify {
        #[arg(long = "tenant", alias = "client")]
        client: Option<ClientId>,
    },
    /// Rewrite the stored read models from the events (safe to interrupt and rerun).
    Rebuild {
        #[arg(long = "tenant", alias = "client")]
        client: Option<ClientId>,
    },
    /// Every event of a client as JSON Lines on stdout, then a manifest line.
    Export {
        #[arg(long = "tenant", alias = "client")]
        client: ClientId,
    },
    /// Verify an export on its own, with no store access. Exits 1 on any problem.
    VerifyExport { file: std::path::PathBuf },
}

#[derive(Subcommand)]
enum DynamoCmd {
    /// Create the events, accounts and directory tables that do not exist yet
    /// (names from INBOX_EVENTS_TABLE, INBOX_ACCOUNTS_TABLE, INBOX_DIRECTORY_TABLE).
    CreateTables,
    /// Bring items written by earlier versions up to date, once after an
    /// upgrade: users created before `/api/users` existed are listed under
    /// their client, and accounts created before the account lists are put in
    /// them (with their counts). Safe to run again.
    Migrate,
}

#[derive(Subcommand)]
enum ClientCmd {
    /// Create a client; prints only its id.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "free")]
        plan: String,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a user of a client; prints only its id.
    Create {
        /// The client's id.
        #[arg(long = "tenant", alias = "client")]
        client: ClientId,
        #[arg(long)]
        username: String,
        /// At least 8 characters. Stored as an argon2id hash.
        #[arg(long, env = "INBOX_USER_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Owner,
    Customer,
    Auditor,
    Connector,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Owner => Role::Owner,
            RoleArg::Customer => Role::Customer,
            RoleArg::Auditor => Role::Auditor,
            RoleArg::Connector => Role::Connector,
        }
    }
}

#[tokio::main]
async fn main() {
    init_tracing();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Cmd::Infra { command: InfraCmd::Generate } => {
            for path in inbox_infra::generate(std::path::Path::new("."))? {
                println!("{path}");
            }
            return Ok(());
        }
        Cmd::Infra { command: InfraCmd::Template } => {
            print!("{}", sam::template());
            return Ok(());
        }
        Cmd::Infra { command: InfraCmd::Events { dir } } => {
            std::fs::create_dir_all(dir)?;
            for (name, content) in fixtures::events() {
                std::fs::write(dir.join(&name), content)?;
                println!("{}", dir.join(name).display());
            }
            return Ok(());
        }
        _ => {}
    }
    if let Cmd::Audit { command: AuditCmd::VerifyExport { file } } = &cli.command {
        let input = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        let (events, findings) = audit::verify_export(std::io::BufReader::new(input))?;
        return report(&format!("{events} events"), &findings);
    }
    let config = Config::load().await?;
    if let Cmd::DynamoDb { command: DynamoCmd::CreateTables } = cli.command {
        let store = DynamoStore::from_env(Tables::from_env()).await;
        let created = store.create_tables().await?;
        for def in store.tables().definitions() {
            let state = if created.contains(&def.name) { "created" } else { "exists" };
            println!("{state} {}", def.name);
        }
        return Ok(());
    }
    if let Cmd::DynamoDb { command: DynamoCmd::Migrate } = cli.command {
        let store = DynamoStore::from_env(Tables::from_env()).await;
        println!("listed {} users under their client", store.index_users().await?);
        let upgraded = store.upgrade_streams().await?;
        println!(
            "upgraded {} teams and {} webhook endpoints into streams ({} events)",
            upgraded.teams, upgraded.endpoints, upgraded.events
        );
        let clients: std::collections::BTreeSet<_> =
            inbox_store::ReadModelAdmin::read_model_keys(&store, None).await?.into_iter().map(|(c, _)| c).collect();
        let mut accounts = 0;
        for client in &clients {
            accounts += inbox_store::ReadModelAdmin::reindex_lists(&store, *client).await?;
        }
        println!("indexed {accounts} accounts of {} clients in the account lists", clients.len());
        return Ok(());
    }
    let store: std::sync::Arc<dyn inbox_store::Store> = match (&cli.command, config.store) {
        (Cmd::Audit { .. }, config::StoreKind::Sqlite) => std::sync::Arc::new(
            inbox_store::SqliteStore::open_for_scans(&config.sqlite_path()).context("cannot open the store")?,
        ),
        _ => config::open_store(&config).await.context("cannot open the store")?,
    };
    match cli.command {
        Cmd::Serve { listen, no_demo, max_connections, header_timeout, body_timeout } => {
            let limits = limits::Limits {
                max_connections: max_connections.max(1),
                header_timeout: std::time::Duration::from_secs(header_timeout.max(1)),
                body_timeout: std::time::Duration::from_secs(body_timeout.max(1)),
            };
            serve::serve(config, store, listen, !no_demo, limits).await
        }
        Cmd::Client { command: ClientCmd::Create { name, plan } } => {
            println!("{}", create_client(&*store, &name, &plan).await?);
            Ok(())
        }
        Cmd::User { command: UserCmd::Create { client, username, password, role } } => {
            println!("{}", create_user(&*store, client, &username, &password, role.into()).await?);
            Ok(())
        }
        Cmd::Token { command: TokenCmd::Create { client, name } } => {
            existing_client(&*store, client).await?;
            println!("{}", tokens::create(&*store, client, &name).await?);
            Ok(())
        }
        Cmd::Token { command: TokenCmd::List { client, token } } => {
            existing_client(&*store, client).await?;
            tokens::list(&*store, client, token, &mut std::io::stdout().lock()).await
        }
        Cmd::Token { command: TokenCmd::Log { client, token, limit } } => {
            tokens::log(&*store, client, token, limit, &mut std::io::stdout().lock()).await
        }
        Cmd::Audit { command } => match command {
            AuditCmd::History { account } => audit::history(&*store, account, &mut std::io::stdout().lock()).await,
            AuditCmd::State { account, at } => {
                println!("{}", audit::state(&*store, account, &at).await?);
                Ok(())
            }
            AuditCmd::Verify { client } => {
                let (streams, events, findings) = audit::verify(store.clone(), client).await?;
                report(&format!("{streams} accounts, {events} events"), &findings)
            }
            AuditCmd::Rebuild { client } => {
                let (written, findings) = audit::rebuild(&*store, client).await?;
                println!("rebuilt {written} read models");
                report("rebuild", &findings)
            }
            AuditCmd::Export { client } => {
                let out = &mut std::io::BufWriter::new(std::io::stdout().lock());
                let n = audit::export(&*store, client, out).await?;
                std::io::Write::flush(out)?;
                eprintln!("exported {n} events");
                Ok(())
            }
            AuditCmd::VerifyExport { .. } => unreachable!("handled above"),
        },
        Cmd::Infra { command: InfraCmd::Fixtures } => {
            let created = fixtures::load(&*store).await?;
            println!(
                "{}",
                if created { "loaded the example fixtures" } else { "the example fixtures are already there" }
            );
            Ok(())
        }
        Cmd::DynamoDb { .. } | Cmd::Infra { .. } => unreachable!("handled above"),
    }
}

/// Prints every finding; an error (exit 1) if there is any.
fn report(what: &str, findings: &[inbox_domain::audit::Finding]) -> anyhow::Result<()> {
    for f in findings {
        println!("MISMATCH {f}");
    }
    if findings.is_empty() {
        println!("OK: {what} verified");
        Ok(())
    } else {
        bail!("{} problem(s) in {what}", findings.len())
    }
}

/// Logs on stderr (stdout carries only command results); `INBOX_LOG_FORMAT=json`
/// for JSON lines; level from `RUST_LOG` (default info).
fn init_tracing() {
    use tracing_subscriber::prelude::*;
    let info = || tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO);
    // `level` or `target=level` directives, as the Lambda functions read them.
    let filter: tracing_subscriber::filter::Targets =
        std::env::var("RUST_LOG").ok().and_then(|v| v.parse().ok()).unwrap_or_else(info);
    let registry = tracing_subscriber::registry().with(filter);
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    if std::env::var("INBOX_LOG_FORMAT").is_ok_and(|f| f == "json") {
        registry.with(layer.json()).init();
    } else {
        registry.with(layer).init();
    }
}
