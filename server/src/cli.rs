//! The `vestibule` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "vestibule", version, about = "Vestibule: a self-hostable customer identity platform")]
pub struct Cli {
    /// TOML configuration file (default: vestibule.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

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
}
