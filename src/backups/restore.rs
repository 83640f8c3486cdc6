//! `clubroom restore PATH`: puts a backup in place of the database of a stopped instance.
//!
//! The order keeps a usable database at every step: the backup is checked, copied next to the
//! database and checked again, and only then is the current database moved aside and the copy
//! renamed into place.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::config::AppConfig;
use crate::db::backup::integrity_check;
use crate::error::AppError;

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub database: PathBuf,
    /// Where the database that was replaced now is (None when there was none).
    pub kept_aside: Option<PathBuf>,
}

fn io_error(path: &Path, err: std::io::Error) -> AppError {
    AppError::internal(format!("{}: {err}", path.display()))
}

/// Checks that `path` is a sound Clubroom database this version can open.
pub(crate) fn verify_backup(path: &Path) -> Result<(), AppError> {
    if !path.is_file() {
        return Err(AppError::not_found(format!("no backup at {}", path.display())));
    }
    let unsound = |why: String| {
        AppError::bad_request(format!("{} is not a usable backup: {why}", path.display()))
    };
    integrity_check(path).map_err(|e| unsound(e.describe()))?;
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| unsound(e.to_string()))?;
    let version: Option<i64> = conn
        .query_row("SELECT max(version) FROM refinery_schema_history", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .optional()
        .map_err(|_| unsound("it is not a Clubroom database".to_string()))?
        .flatten();
    let Some(version) = version else {
        return Err(unsound("it is not a Clubroom database".to_string()));
    };
    let newest = crate::db::newest_migration();
    if version > newest {
        return Err(unsound(format!(
            "it comes from a newer Clubroom (schema version {version}, this one knows up to {newest})"
        )));
    }
    Ok(())
}

/// Restores the backup at `source` as the database of `config`'s data directory.
///
/// Refuses (409) while a server holds the data directory, and holds it itself meanwhile so
/// none starts half-way. Errors when the backup fails `verify_backup` (nothing is touched
/// then). The replaced database is renamed `clubroom.db.before-restore-<time>` (its WAL with
/// it), and journal files left beside the database are removed so SQLite cannot replay them
/// into the restored file.
pub fn restore(
    config: &AppConfig,
    source: &Path,
    now: DateTime<Utc>,
) -> Result<Restored, AppError> {
    verify_backup(source)?;
    crate::datadir::prepare(config)?;
    let _lock = crate::datadir::lock(config)?;
    let database = config.database_path();
    let dir = &config.data_dir;
    let staging = dir.join("clubroom.db.restoring");
    if staging.exists() {
        fs::remove_file(&staging).map_err(|e| io_error(&staging, e))?;
    }
    fs::copy(source, &staging).map_err(|e| io_error(&staging, e))?;
    fs::File::open(&staging).and_then(|f| f.sync_all()).map_err(|e| io_error(&staging, e))?;
    if let Err(err) = integrity_check(&staging) {
        let _ = fs::remove_file(&staging);
        return Err(err);
    }

    let kept_aside = if database.exists() {
        // Fold the WAL into the old file so the copy kept aside is complete by itself; when
        // that fails the WAL is moved along with it instead.
        if let Ok(conn) = Connection::open(&database) {
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        // A name not taken yet: renaming onto an earlier copy would replace it.
        let stamp = now.format("%Y%m%d-%H%M%S");
        let aside = (0..)
            .map(|n| match n {
                0 => dir.join(format!("clubroom.db.before-restore-{stamp}")),
                n => dir.join(format!("clubroom.db.before-restore-{stamp}-{n}")),
            })
            .find(|path| !path.exists() && !journal(path, "-wal").exists())
            .expect("an unused name");
        fs::rename(&database, &aside).map_err(|e| io_error(&aside, e))?;
        let wal = journal(&database, "-wal");
        if wal.exists() {
            let aside_wal = journal(&aside, "-wal");
            fs::rename(&wal, &aside_wal).map_err(|e| io_error(&aside_wal, e))?;
        }
        Some(aside)
    } else {
        None
    };
    for suffix in ["-wal", "-shm", "-journal"] {
        let stale = journal(&database, suffix);
        if stale.exists() {
            fs::remove_file(&stale).map_err(|e| io_error(&stale, e))?;
        }
    }
    fs::rename(&staging, &database).map_err(|e| io_error(&database, e))?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(Restored { database, kept_aside })
}

fn journal(database: &Path, suffix: &str) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
