//! The `clubroom` command: serve (the default), migrate, backup, restore, admin create.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use clubroom::commands;
use clubroom::config::AppConfig;

#[derive(Parser)]
#[command(
    name = "clubroom",
    version,
    about = "A self-hosted members portal for small clubs: one binary, one SQLite file.",
    after_help = "With no command, runs the portal (same as `clubroom serve`).\nEvery setting can also be given as CLUBROOM_<KEY>; see the README."
)]
struct Cli {
    /// A Rocket.toml with settings (default: ./Rocket.toml when present).
    #[arg(short, long, global = true, env = "CLUBROOM_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the portal (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Write a consistent, verified copy of the database to PATH (safe while serving).
    Backup {
        /// Where to write the copy; must not exist yet.
        path: PathBuf,
    },
    /// Replace the database with the backup at PATH. Only while the server is stopped; the
    /// current database is kept aside.
    Restore {
        /// The backup to restore (checked before anything is touched).
        path: PathBuf,
    },
    /// Manage admins.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin. Asks for a password on a terminal; otherwise prints a one-time
    /// set-password link.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match AppConfig::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => clubroom::serve(config).map(|()| String::new()),
        Command::Migrate => commands::migrate(&config).map_err(|e| e.describe()),
        Command::Backup { path } => commands::backup(&config, &path).map_err(|e| e.describe()),
        Command::Restore { path } => commands::restore(&config, &path).map_err(|e| e.describe()),
        Command::Admin { command: AdminCommand::Create { username, email } } => {
            commands::admin_create(&config, &username, &email).map_err(|e| e.describe())
        }
    };
    match result {
        Ok(report) => {
            if !report.is_empty() {
                println!("{report}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
