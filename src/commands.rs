//! The command-line tasks besides serving: migrate, backup, restore, admin create.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use crate::accounts::service::{self, CreateAdminCommand};
use crate::clock::SystemClock;
use crate::config::AppConfig;
use crate::ctx::Ctx;
use crate::db::{self, Db};
use crate::email::{deliver_due, Transport};
use crate::error::AppError;

/// Opens the data directory and database (applying migrations), as every command does.
pub(crate) fn open(config: &AppConfig) -> Result<Db, AppError> {
    crate::datadir::prepare(config)?;
    Db::open(
        &config.database_path(),
        config.db_pool_size,
        std::time::Duration::from_secs(config.db_timeout_secs),
    )
}

/// `clubroom migrate`: applies pending migrations and reports how many ran.
pub fn migrate(config: &AppConfig) -> Result<String, AppError> {
    crate::datadir::prepare(config)?;
    let mut conn = rusqlite::Connection::open(config.database_path())?;
    let applied = db::migrate(&mut conn)?;
    Ok(format!("{applied} migration(s) applied to {}", config.database_path().display()))
}

/// `clubroom backup PATH`: a consistent, verified copy of the live database.
pub fn backup(config: &AppConfig, dest: &Path) -> Result<String, AppError> {
    let bytes = db::backup::backup(&config.database_path(), dest)?;
    Ok(format!("Backup written to {} ({bytes} bytes, integrity check ok)", dest.display()))
}

/// `clubroom restore PATH`: replaces the database of a stopped instance with a backup.
pub fn restore(config: &AppConfig, source: &Path) -> Result<String, AppError> {
    let done = crate::backups::restore::restore(config, source, chrono::Utc::now())?;
    let mut report = format!(
        "Restored {} from {} (integrity check ok).",
        done.database.display(),
        source.display()
    );
    if let Some(aside) = done.kept_aside {
        report.push_str(&format!("\nThe database it replaced is kept at {}.", aside.display()));
    }
    report.push_str("\nStart the server again; it applies any newer migrations.");
    Ok(report)
}

/// `clubroom admin create`: asks for a password on a terminal; otherwise creates the account
/// without one and prints a one-time set-password link.
pub fn admin_create(config: &AppConfig, username: &str, email: &str) -> Result<String, AppError> {
    let db = open(config)?;
    let secret = crate::datadir::secret_key(config)?;
    let ctx = Ctx::new(Arc::new(config.clone()), Arc::new(SystemClock), secret)?;
    let password = if std::io::stdin().is_terminal() {
        let first =
            rpassword::prompt_password("Password for the new admin (at least 12 characters): ")
                .map_err(AppError::internal)?;
        let second =
            rpassword::prompt_password("Repeat the password: ").map_err(AppError::internal)?;
        if first != second {
            return Err(AppError::invalid_field("password", "The two passwords do not match."));
        }
        Some(first)
    } else {
        None
    };
    let cmd =
        CreateAdminCommand { username: username.to_string(), email: email.to_string(), password };
    let mut conn = db.conn()?;
    let created = service::create_admin(&mut conn, &ctx, cmd)?;
    let mut report = format!("Admin {username} created (user id {}).", created.user_id);
    if let Some(url) = created.set_password_url {
        report.push_str(&format!(
            "\nNo terminal to ask for a password, so here is a one-time link to set it (valid {} hours):\n\n    {url}\n",
            config.setup_token_hours
        ));
        if config.mail_mode() == "smtp" {
            send_queued_now(config, &db, &ctx);
        }
    }
    Ok(report)
}

/// Sends what is queued right away instead of waiting for the server's worker.
fn send_queued_now(config: &AppConfig, db: &Db, ctx: &Ctx) {
    let Ok(transport) = Transport::from_config(config) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    if let Ok(rt) = runtime {
        let result = rt.block_on(deliver_due(db, Arc::new(transport), ctx.clone()));
        if let Err(e) = result {
            eprintln!("The email could not be sent now ({e}); the server will retry.");
        }
    }
}
