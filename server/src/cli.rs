//! The `vestibule` command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "vestibule", version, about = "Vestibule: a self-hostable customer identity platform")]
pub struct Cli {
    /// TOML configuration file (default: vestibule.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Let an operator command create the database when there is none yet (by default they
    /// refuse, so a command run from the wrong directory cannot quietly start a second one).
    #[arg(long, global = true)]
    pub create_database: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply pending database migrations.
    Migrate {
        /// List pending migrations and exit 1 if there are any; apply nothing.
        #[arg(long)]
        check: bool,
    },
    /// Applications (OIDC clients).
    #[command(subcommand)]
    App(AppCommand),
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// Token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// API resources and their scopes.
    #[command(subcommand)]
    Resource(ResourceCommand),
    /// Roles granting resource scopes to users and machine-to-machine apps.
    #[command(subcommand)]
    Role(RoleCommand),
    /// The sign-in experience: modes, identifiers, password policy, terms, branding.
    #[command(subcommand, name = "sign-in-experience")]
    SignInExperience(SignInExperienceCommand),
    /// The account center (/account and the Account API): whether it is on, what each field
    /// allows, self-service deletion.
    #[command(subcommand, name = "account-center")]
    AccountCenter(AccountCenterCommand),
    /// The organization console (/console): whether people may create organizations there.
    #[command(subcommand)]
    Console(ConsoleCommand),
    /// Email and SMS connectors that deliver verification codes.
    #[command(subcommand)]
    Connector(ConnectorCommand),
    /// Make sure a machine-to-machine application with these credentials can use the
    /// Management API (idempotent; for scripts and provisioning).
    Bootstrap {
        #[arg(long = "m2m-id")]
        m2m_id: String,
        #[arg(long = "m2m-secret")]
        m2m_secret: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SignInExperienceCommand {
    /// Print the current configuration as JSON.
    Show,
    /// Change the configuration: the file holds a partial JSON document (as PATCH
    /// /api/sign-in-exp takes) that is merged into the current one and validated.
    Set {
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountCenterCommand {
    /// Print the current settings as JSON.
    Show,
    /// Change the settings: the file holds a partial JSON document (as PATCH
    /// /api/account-center takes), e.g. {"enabled": true, "fields": {"name": "Edit"}}.
    Set {
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConsoleCommand {
    /// Print the console settings as JSON.
    Show,
    /// Change the console settings.
    Set {
        /// Let anyone signed in create an organization from /console (they become its admin).
        #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
        allow_organization_creation: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConnectorCommand {
    /// Configure the email or SMS connector from a JSON file:
    /// {"connectorId": "smtp" | "http-sms", "config": {...}}.
    Set {
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Remove the connector of a kind (the dev outbox takes over).
    Remove {
        #[arg(value_parser = ["email", "sms"])]
        kind: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Create (or, with an existing --id, update) an application; prints {"id","secret"}.
    Create(AppCreate),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AppKind {
    Traditional,
    Spa,
    Native,
    M2m,
}

#[derive(Debug, Args)]
pub struct AppCreate {
    #[arg(long = "type", value_enum)]
    pub kind: AppKind,
    #[arg(long)]
    pub name: String,
    #[arg(long = "redirect-uri", num_args = 1..)]
    pub redirect_uris: Vec<String>,
    #[arg(long = "post-logout-redirect-uri", num_args = 1..)]
    pub post_logout_redirect_uris: Vec<String>,
    #[arg(long = "cors-origin", num_args = 1..)]
    pub cors_origins: Vec<String>,
    #[arg(long)]
    pub id: Option<String>,
    #[arg(long)]
    pub secret: Option<String>,
    /// Algorithm for this app's ID tokens.
    #[arg(long, default_value = "ES256", value_parser = ["ES256", "RS256"])]
    pub id_token_alg: String,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create (or, with an existing --id, reset the password of) a user; prints {"id"}.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        id: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a new signing key: published in the JWKS at once, signing six minutes later on
    /// every node (longer than relying parties cache the JWKS); the previous key stays
    /// published.
    Rotate {
        /// Sign with the new key at once (a compromised key): relying parties that cached
        /// the JWKS reject new tokens until their copy expires (up to five minutes).
        #[arg(long)]
        now: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ResourceCommand {
    /// Create an API resource (or reuse the one with this indicator); prints {"id"}.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        indicator: String,
        #[arg(long = "scope", num_args = 1..)]
        scopes: Vec<String>,
        /// Use this resource when a token request names none.
        #[arg(long)]
        default: bool,
        #[arg(long, default_value_t = 3600)]
        access_token_ttl: i64,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleKind {
    User,
    M2m,
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Create a role (or reuse the one with this name) and grant and assign it; prints {"id"}.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long = "type", value_enum)]
        kind: RoleKind,
        /// `INDICATOR=SCOPE`, repeatable.
        #[arg(long = "scope", num_args = 1..)]
        scopes: Vec<String>,
        #[arg(long = "user", num_args = 1..)]
        users: Vec<String>,
        #[arg(long = "app", num_args = 1..)]
        apps: Vec<String>,
    },
}
