use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use server::cli::{Cli, Command};
use server::commands::{self, CommandError};
use server::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let started = Instant::now();
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => Config { create_database: cli.create_database, ..config },
        Err(err) => {
            eprintln!("vestibule: {err}");
            return ExitCode::from(2);
        }
    };
    server::telemetry::init_logging(config.log_format);
    if !config.ignored_environment.is_empty() {
        tracing::warn!(variables = ?config.ignored_environment, "ignoring VESTIBULE_* environment variables that name no setting");
    }

    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => server::run(config, started).await.map(|()| ExitCode::SUCCESS).map_err(CommandError::from),
        Command::Migrate { check } => migrate(&config, check).await.map_err(CommandError::from),
        Command::App(command) => commands::app(&config, command).await,
        Command::User(command) => commands::user(&config, command).await,
        Command::Keys(command) => commands::keys(&config, command).await,
        Command::Resource(command) => commands::resource(&config, command).await,
        Command::Role(command) => commands::role(&config, command).await,
        Command::SignInExperience(command) => commands::sign_in_experience(&config, command).await,
        Command::AccountCenter(command) => commands::account_center(&config, command).await,
        Command::Console(command) => commands::console(&config, command).await,
        Command::Connector(command) => commands::connector(&config, command).await,
        Command::Bootstrap { m2m_id, m2m_secret } => commands::bootstrap(&config, m2m_id, m2m_secret).await,
    };
    result.unwrap_or_else(|err| {
        tracing::error!("{err}");
        eprintln!("vestibule: {err}");
        ExitCode::FAILURE
    })
}

/// `migrate` applies; `migrate --check` lists what is pending and exits 1 if anything is.
async fn migrate(config: &Config, check: bool) -> Result<ExitCode, server::StartError> {
    let store = identity::Store::connect(&config.database_url()).await?;
    let pending = store.pending_migrations().await?;
    if check {
        for migration in &pending {
            println!("pending {:04} {}", migration.version, migration.description);
        }
        if pending.is_empty() {
            println!("database is up to date");
            return Ok(ExitCode::SUCCESS);
        }
        return Ok(ExitCode::from(1));
    }
    store.migrate().await?;
    for migration in &pending {
        println!("applied {:04} {}", migration.version, migration.description);
    }
    println!("database is up to date");
    Ok(ExitCode::SUCCESS)
}
