//! Making, listing, pruning and handing out backups.
//!
//! A backup is named after the UTC second it was made (`clubroom-20260301-030000.db`), so the
//! name alone says when and orders the files; a `<name>.verified` file beside it records when
//! the copy passed `PRAGMA integrity_check`. A copy is written under a `.partial` name and only
//! renamed once checked, so a half-written file never looks like a backup.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::json;

use super::names::{file_name, parse_name, PREFIX};
use super::views::{human_age, human_size, BackupView, BackupsView};
use crate::accounts::model::Actor;
use crate::audit::{self, AuditEvent};
use crate::clock::rfc3339;
use crate::ctx::Ctx;
use crate::db::write_tx;
use crate::error::AppError;
use crate::settings;

/// How often the scheduled job looks whether a backup is due; the interval itself is a setting.
pub(crate) const CHECK_EVERY_SECS: u64 = 300;
const VERIFIED_SUFFIX: &str = ".verified";
const PARTIAL_SUFFIX: &str = ".partial";

/// One backup at a time per process: the scheduled job and "back up now" must not prune
/// while the other is writing.
static WRITING: Mutex<()> = Mutex::new(());

struct Found {
    name: String,
    at: DateTime<Utc>,
    size: u64,
    verified_at: Option<String>,
}

impl Found {
    fn view(&self) -> BackupView {
        BackupView {
            name: self.name.clone(),
            created_at: rfc3339(self.at),
            size_bytes: self.size,
            size: human_size(self.size),
            verified: self.verified_at.is_some(),
            verified_at: self.verified_at.clone(),
        }
    }
}

fn io_error(path: &Path, err: std::io::Error) -> AppError {
    AppError::internal(format!("{}: {err}", path.display()))
}

/// The backups in `dir`, newest first. A folder not made yet holds none.
fn scan(dir: &Path) -> Result<Vec<Found>, AppError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(dir, e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(at) = parse_name(&name) else { continue };
        let meta = entry.metadata().map_err(|e| io_error(&entry.path(), e))?;
        if !meta.is_file() {
            continue;
        }
        let verified_at = fs::read_to_string(dir.join(format!("{name}{VERIFIED_SUFFIX}")))
            .ok()
            .map(|text| text.trim().to_string())
            .filter(|text| crate::clock::parse_rfc3339(text).is_some());
        found.push(Found { name, at, size: meta.len(), verified_at });
    }
    found.sort_by(|a, b| b.name.cmp(&a.name));
    Ok(found)
}

fn admin_only(actor: &Actor) -> Result<(), AppError> {
    actor.require_admin("Backups are for club admins.")
}

/// Whole seconds from `at` to the clock's now; never negative.
pub(crate) fn age_of(ctx: &Ctx, at: DateTime<Utc>) -> i64 {
    (ctx.now() - at).num_seconds().max(0)
}

/// The backups, newest first, with the schedule. Admins only (403).
pub(crate) fn list(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<BackupsView, AppError> {
    admin_only(actor)?;
    let schedule = settings::backup_schedule(conn)?;
    let found = scan(&ctx.config.backups_dir())?;
    let age = found.first().map(|f| age_of(ctx, f.at));
    Ok(BackupsView {
        last_backup_age_secs: age,
        last_backup_age: age.map(human_age),
        backups: found.iter().map(Found::view).collect(),
        interval_hours: schedule.interval_hours,
        keep: schedule.keep,
        directory: ctx.config.backups_dir().display().to_string(),
    })
}

/// Seconds since the newest backup was made; None when there is none. For the dashboard and
/// `/health`. Errors only when the backups folder cannot be read. The newest backup's time is
/// remembered between calls (see `newest`); the age is always taken against the clock now.
pub fn last_backup_age(ctx: &Ctx) -> Result<Option<i64>, AppError> {
    Ok(ctx.newest_backup.newest()?.map(|at| age_of(ctx, at)))
}

fn lock_writing() -> std::sync::MutexGuard<'static, ()> {
    WRITING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes a verified copy under a new name. The caller holds the writing lock.
fn write_backup(ctx: &Ctx) -> Result<Found, AppError> {
    let dir = ctx.config.backups_dir();
    crate::datadir::create_private_dir(&dir)?;
    let name = file_name(ctx.now());
    let at = parse_name(&name).unwrap_or_else(|| ctx.now());
    let path = dir.join(&name);
    if path.exists() {
        return Err(AppError::conflict(
            "A backup was made this very second; try again in a moment.",
        ));
    }
    let partial = dir.join(format!("{name}{PARTIAL_SUFFIX}"));
    if partial.exists() {
        fs::remove_file(&partial).map_err(|e| io_error(&partial, e))?;
    }
    let size = crate::db::backup::backup(&ctx.config.database_path(), &partial)?;
    fs::rename(&partial, &path).map_err(|e| io_error(&path, e))?;
    let verified_at = rfc3339(ctx.now());
    let marker = dir.join(format!("{name}{VERIFIED_SUFFIX}"));
    fs::write(&marker, &verified_at).map_err(|e| io_error(&marker, e))?;
    ctx.newest_backup.forget();
    Ok(Found { name, at, size, verified_at: Some(verified_at) })
}

/// Deletes all but the `keep` newest backups (with their markers) and copies a crash left
/// half-written. The caller holds the writing lock. Returns the names deleted.
fn prune(ctx: &Ctx, keep: usize) -> Result<Vec<String>, AppError> {
    let dir = &ctx.config.backups_dir();
    let mut deleted = Vec::new();
    for old in scan(dir)?.into_iter().skip(keep) {
        let path = dir.join(&old.name);
        fs::remove_file(&path).map_err(|e| io_error(&path, e))?;
        let _ = fs::remove_file(dir.join(format!("{}{VERIFIED_SUFFIX}", old.name)));
        deleted.push(old.name);
    }
    for entry in fs::read_dir(dir).map_err(|e| io_error(dir, e))?.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with(PREFIX) && name.ends_with(PARTIAL_SUFFIX) {
            let _ = fs::remove_file(entry.path());
        }
    }
    ctx.newest_backup.forget();
    Ok(deleted)
}

/// "Back up now": writes a verified backup, prunes to the number kept, and records who asked
/// in the audit log. Admins only (403); 409 when a backup was made in the same second; an
/// integrity failure removes the copy and is an error.
pub(crate) fn back_up_now(
    conn: &mut Connection,
    ctx: &Ctx,
    actor: &Actor,
    ip: Option<&str>,
) -> Result<BackupView, AppError> {
    admin_only(actor)?;
    let keep = settings::backup_schedule(conn)?.keep;
    let found = {
        let _writing = lock_writing();
        let found = write_backup(ctx)?;
        prune(ctx, keep as usize)?;
        found
    };
    write_tx(conn, |tx| {
        let event = AuditEvent::new("backup_created")
            .actor_opt(actor.user_id())
            .target(format!("backup:{}", found.name))
            .detail(json!({ "size_bytes": found.size }))
            .ip(ip);
        audit::record(tx, event, ctx.now_unix())
    })?;
    Ok(found.view())
}

/// The scheduled job: when the newest backup is at least the set interval old (or there is
/// none), writes a verified one and prunes to the number kept. Returns the new backup's name.
pub fn run_scheduled(conn: &Connection, ctx: &Ctx) -> Result<Option<String>, AppError> {
    let schedule = settings::backup_schedule(conn)?;
    let dir = ctx.config.backups_dir();
    let _writing = lock_writing();
    // What /health remembers rests on file times; listing afresh now and then bounds how long
    // a wall clock set back could keep a hand-made change from showing.
    ctx.newest_backup.forget();
    let newest = scan(&dir)?.into_iter().next();
    if newest.is_some_and(|n| age_of(ctx, n.at) < schedule.interval_hours * 3600) {
        return Ok(None);
    }
    let found = write_backup(ctx)?;
    let deleted = prune(ctx, schedule.keep as usize)?;
    if !deleted.is_empty() {
        log::info!("backups: wrote {}, pruned {}", found.name, deleted.join(", "));
    }
    Ok(Some(found.name))
}

/// Where the backup `name` is, for a download, recording who took it (a backup holds every
/// member's data). Admins only (403); 404 for a name that is not a backup's or a file that is
/// gone.
pub(crate) fn download(
    conn: &mut Connection,
    ctx: &Ctx,
    actor: &Actor,
    name: &str,
    ip: Option<&str>,
) -> Result<PathBuf, AppError> {
    admin_only(actor)?;
    if parse_name(name).is_none() {
        return Err(AppError::not_found("No such backup."));
    }
    let path = ctx.config.backups_dir().join(name);
    if !path.is_file() {
        return Err(AppError::not_found("No such backup."));
    }
    write_tx(conn, |tx| {
        let event = AuditEvent::new("backup_downloaded")
            .actor_opt(actor.user_id())
            .target(format!("backup:{name}"))
            .ip(ip);
        audit::record(tx, event, ctx.now_unix())
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_backup_names_are_accepted() {
        let at = parse_name("clubroom-20260301-030405.db").unwrap();
        assert_eq!(file_name(at), "clubroom-20260301-030405.db");
        for bad in [
            "../clubroom.db",
            "clubroom-20260301-030405.db/../../secret.key",
            "clubroom-20260301-030405.db.verified",
            "clubroom-20260301-030405.db.partial",
            "clubroom-2026030-1030405.db",
            "clubroom-20261301-030405.db",
            "clubroom-+0260301-030405.db",
            "clubroom.db",
            "",
        ] {
            assert!(parse_name(bad).is_none(), "{bad}");
        }
    }
}
