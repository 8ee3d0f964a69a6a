//! Operator commands that change the database directly (scripts and tests use them). Each
//! prints one JSON object on success.

use std::process::ExitCode;

use identity::applications::{self, AppType, NewApplication};
use identity::oidc::keys::Activation;
use identity::rbac::{self, RoleDefinition, RoleHolder, RoleType};
use identity::users::{self, NewUser};
use identity::{ErrorCode, Store, SystemClock};
use serde_json::json;

use crate::cli::{AccountCenterCommand, AppCommand, AppCreate, AppKind, ConnectorCommand, ConsoleCommand, KeysCommand, ResourceCommand, RoleCommand, RoleKind, SignInExperienceCommand, UserCommand};
use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Start(#[from] crate::StartError),
    #[error("{code}: {message}")]
    Domain { code: &'static str, message: String },
    #[error("invalid argument: {0}")]
    Argument(String),
    #[error("there is no Vestibule database at {0}. Run this command with the server's configuration (--config FILE, VESTIBULE_DATA_DIR or DATABASE_URL, as the server is started), or add --create-database to start a new one there")]
    NoDatabase(String),
}

fn domain(err: impl ErrorCode + std::fmt::Display) -> CommandError {
    CommandError::Domain { code: err.code(), message: err.to_string() }
}

/// The server's database, migrated. A database that does not exist yet is refused unless
/// `--create-database` was given: a command run from the wrong directory, or without the
/// server's settings, would otherwise quietly fill a second, empty database.
async fn open(config: &Config) -> Result<Store, CommandError> {
    let start = |e: identity::StoreError| CommandError::Start(e.into());
    if !config.create_database {
        if let Some(file) = config.sqlite_file().filter(|file| !file.exists()) {
            let shown = std::path::absolute(&file).unwrap_or(file);
            return Err(CommandError::NoDatabase(shown.display().to_string()));
        }
    }
    let store = Store::connect(&config.database_url()).await.map_err(start)?;
    if !config.create_database && store.is_empty().await.map_err(start)? {
        return Err(CommandError::NoDatabase(config.database_url()));
    }
    store.migrate().await.map_err(start)?;
    Ok(store)
}

pub async fn app(config: &Config, command: AppCommand) -> Result<ExitCode, CommandError> {
    let AppCommand::Create(args) = command;
    let store = open(config).await?;
    let created = applications::create_or_update(&store, &SystemClock, new_application(args)).await.map_err(domain)?;
    println!("{}", json!({ "id": created.application.id, "secret": created.secret }));
    Ok(ExitCode::SUCCESS)
}

fn new_application(args: AppCreate) -> NewApplication {
    let app_type = match args.kind {
        AppKind::Traditional => AppType::Traditional,
        AppKind::Spa => AppType::Spa,
        AppKind::Native => AppType::Native,
        AppKind::M2m => AppType::MachineToMachine,
    };
    NewApplication {
        id: args.id,
        name: args.name,
        app_type,
        secret: args.secret,
        redirect_uris: args.redirect_uris,
        post_logout_redirect_uris: args.post_logout_redirect_uris,
        cors_allowed_origins: args.cors_origins,
        is_third_party: false,
        id_token_alg: Some(args.id_token_alg),
        description: None,
    }
}

pub async fn user(config: &Config, command: UserCommand) -> Result<ExitCode, CommandError> {
    let UserCommand::Create { username, password, email, id } = command;
    let store = open(config).await?;
    let provider = crate::build_provider(config, &store, &config.resolve_secret().map_err(crate::StartError::from)?);
    let hash = provider.passwords.hash(&password).await;
    let existing = match &id {
        Some(id) => users::find_by_id(&store, id).await.map_err(domain)?,
        None => None,
    };
    let user_id = match existing {
        Some(user) => {
            users::set_password(&store, &SystemClock, &user.id, hash).await.map_err(domain)?;
            user.id
        }
        None => {
            let new = NewUser { id, username: Some(username), primary_email: email, password: Some(hash), ..NewUser::default() };
            users::create(&store, &SystemClock, new).await.map_err(domain)?.id
        }
    };
    println!("{}", json!({ "id": user_id }));
    Ok(ExitCode::SUCCESS)
}

pub async fn keys(config: &Config, command: KeysCommand) -> Result<ExitCode, CommandError> {
    let KeysCommand::Rotate { now } = command;
    let activation = if now { Activation::Immediate } else { Activation::Scheduled };
    let store = open(config).await?;
    let provider = crate::build_provider(config, &store, &config.resolve_secret().map_err(crate::StartError::from)?);
    provider.keys.ensure_default_key(&SystemClock).await.map_err(crate::StartError::from)?;
    let created = provider.keys.rotate(&SystemClock, activation).await.map_err(crate::StartError::from)?;
    println!("{}", json!({ "created": created }));
    Ok(ExitCode::SUCCESS)
}

pub async fn resource(config: &Config, command: ResourceCommand) -> Result<ExitCode, CommandError> {
    let ResourceCommand::Create { name, indicator, scopes, default, access_token_ttl } = command;
    if access_token_ttl <= 0 {
        return Err(CommandError::Argument("--access-token-ttl must be positive".into()));
    }
    let store = open(config).await?;
    let resource = rbac::ensure_resource(&store, &SystemClock, &name, &indicator, access_token_ttl, default).await.map_err(domain)?;
    for scope in &scopes {
        rbac::ensure_scope(&store, &SystemClock, &resource, scope).await.map_err(domain)?;
    }
    println!("{}", json!({ "id": resource.id }));
    Ok(ExitCode::SUCCESS)
}

pub async fn role(config: &Config, command: RoleCommand) -> Result<ExitCode, CommandError> {
    let RoleCommand::Create { name, kind, scopes, users, apps } = command;
    let role_type = match kind {
        RoleKind::User => RoleType::User,
        RoleKind::M2m => RoleType::MachineToMachine,
    };
    let mut grants = Vec::new();
    for grant in &scopes {
        let (indicator, scope) = grant.split_once('=').ok_or_else(|| CommandError::Argument(format!("--scope {grant}: expected INDICATOR=SCOPE")))?;
        grants.push((indicator.to_owned(), scope.to_owned()));
    }
    let holders: Vec<RoleHolder> = users.iter().map(|u| RoleHolder::User(u)).chain(apps.iter().map(|a| RoleHolder::Application(a))).collect();
    let store = open(config).await?;
    let definition = RoleDefinition { name: &name, role_type, scopes: &grants, holders: &holders };
    let role_id = rbac::define_role(&store, &SystemClock, definition).await.map_err(domain)?;
    println!("{}", json!({ "id": role_id }));
    Ok(ExitCode::SUCCESS)
}

pub async fn sign_in_experience(config: &Config, command: SignInExperienceCommand) -> Result<ExitCode, CommandError> {
    let store = open(config).await?;
    let current = match command {
        SignInExperienceCommand::Show => identity::sign_in_experience::load(&store).await.map_err(domain)?,
        SignInExperienceCommand::Set { file } => {
            let patch = read_json(&file)?;
            identity::sign_in_experience::update(&store, &SystemClock, &patch).await.map_err(domain)?
        }
    };
    println!("{}", serde_json::to_string_pretty(&current).expect("configuration serializes"));
    Ok(ExitCode::SUCCESS)
}

pub async fn account_center(config: &Config, command: AccountCenterCommand) -> Result<ExitCode, CommandError> {
    let store = open(config).await?;
    let current = match command {
        AccountCenterCommand::Show => identity::account::settings::load(&store).await.map_err(domain)?,
        AccountCenterCommand::Set { file } => identity::account::settings::update(&store, &SystemClock, &read_json(&file)?).await.map_err(domain)?,
    };
    println!("{}", serde_json::to_string_pretty(&current).expect("settings serialize"));
    Ok(ExitCode::SUCCESS)
}

pub async fn console(config: &Config, command: ConsoleCommand) -> Result<ExitCode, CommandError> {
    let store = open(config).await?;
    if let ConsoleCommand::Set { allow_organization_creation } = command {
        let settings = identity::console::ConsoleSettings { allow_organization_creation };
        identity::console::save_settings(&store, &SystemClock, &settings).await.map_err(|e| domain(identity::console::ConsoleError::from(e)))?;
    }
    let current = identity::console::settings(&store).await.map_err(|e| domain(identity::console::ConsoleError::from(e)))?;
    println!("{}", serde_json::to_string_pretty(&current).expect("settings serialize"));
    Ok(ExitCode::SUCCESS)
}

pub async fn connector(config: &Config, command: ConnectorCommand) -> Result<ExitCode, CommandError> {
    let store = open(config).await?;
    match command {
        ConnectorCommand::Set { file } => {
            let connector: identity::connectors::ConnectorConfig =
                serde_json::from_value(read_json(&file)?).map_err(|e| CommandError::Argument(format!("{}: {e}", file.display())))?;
            identity::connectors::configure(&store, &SystemClock, &connector).await.map_err(domain)?;
            println!("{}", json!({ "kind": connector.kind() }));
        }
        ConnectorCommand::Remove { kind } => {
            let kind = if kind == "email" { identity::connectors::ConnectorKind::Email } else { identity::connectors::ConnectorKind::Sms };
            let removed = identity::connectors::remove(&store, kind).await.map_err(domain)?;
            println!("{}", json!({ "kind": kind, "removed": removed }));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_json(path: &std::path::Path) -> Result<serde_json::Value, CommandError> {
    let text = std::fs::read_to_string(path).map_err(|e| CommandError::Argument(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| CommandError::Argument(format!("{}: {e}", path.display())))
}

pub async fn bootstrap(config: &Config, m2m_id: String, m2m_secret: String) -> Result<ExitCode, CommandError> {
    if m2m_secret.len() < 16 {
        return Err(CommandError::Argument("--m2m-secret must be at least 16 characters".into()));
    }
    let store = open(config).await?;
    let indicator = &config.management_api_indicator;
    let id = identity::management::ensure_client(&store, &SystemClock, indicator, Some(m2m_id), &m2m_secret).await.map_err(domain)?;
    println!("{}", json!({ "id": id, "resource": indicator, "scope": identity::management::SCOPE_ALL }));
    Ok(ExitCode::SUCCESS)
}
