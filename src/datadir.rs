//! The data directory: created on first start, holding the database and the secret key.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::{decode_secret, AppConfig};
use crate::crypto::random_bytes;
use crate::error::AppError;

pub const SECRET_FILE: &str = "secret.key";
/// Held locked by the serving process (and by a restore) for as long as it runs.
pub const LOCK_FILE: &str = "clubroom.lock";

/// Creates the data directory (owner-only on Unix) and the internal template folder the
/// template engine insists on. Returns the template folder.
pub fn prepare(config: &AppConfig) -> Result<PathBuf, AppError> {
    create_private_dir(&config.data_dir)?;
    let templates = config.data_dir.join("templates");
    fs::create_dir_all(&templates).map_err(|e| io_error(&templates, e))?;
    Ok(templates)
}

/// Creates `dir` (and its parents) readable by this user only, when it is not there yet.
pub fn create_private_dir(dir: &Path) -> Result<(), AppError> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| io_error(dir, e))?;
    }
    Ok(())
}

fn io_error(path: &Path, err: std::io::Error) -> AppError {
    AppError::internal(format!("{}: {err}", path.display()))
}

/// The configured secret key, or the one kept in `<data_dir>/secret.key`, generated (mode 0600)
/// on first start.
pub fn secret_key(config: &AppConfig) -> Result<Vec<u8>, AppError> {
    if !config.secret_key.is_empty() {
        return decode_secret(&config.secret_key)
            .ok_or_else(|| AppError::internal("secret_key is not valid (see validate())"));
    }
    let path = config.data_dir.join(SECRET_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => decode_secret(&text).ok_or_else(|| {
            AppError::internal(format!(
                "{} does not hold a valid key (64 hex characters); delete it to generate a new one",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = random_bytes(32);
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(&path).map_err(|e| io_error(&path, e))?;
            writeln!(file, "{}", hex::encode(&key)).map_err(|e| io_error(&path, e))?;
            file.sync_all().map_err(|e| io_error(&path, e))?;
            Ok(key)
        }
        Err(e) => Err(io_error(&path, e)),
    }
}

/// An exclusive hold on the data directory, released when dropped. The operating system drops
/// the lock when its process ends in any way, so a crash never leaves a stale lock behind.
#[derive(Debug)]
pub struct DataDirLock {
    _file: fs::File,
}

/// Takes the data directory for this process: the server holds it while serving and a restore
/// while it replaces the database, so neither can run under the other. 409 naming the
/// holder's process id when another process has it.
pub fn lock(config: &AppConfig) -> Result<DataDirLock, AppError> {
    let path = config.data_dir.join(LOCK_FILE);
    // Not truncated on open: the holder's pid must survive our failed attempt.
    let mut file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| io_error(&path, e))?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0).map_err(|e| io_error(&path, e))?;
            writeln!(file, "{}", std::process::id()).map_err(|e| io_error(&path, e))?;
            Ok(DataDirLock { _file: file })
        }
        Err(fs::TryLockError::WouldBlock) => {
            let holder = fs::read_to_string(&path).unwrap_or_default();
            Err(AppError::conflict(format!(
                "a Clubroom server (pid {}) is using {}; stop it first",
                holder.trim(),
                config.data_dir.display()
            )))
        }
        Err(fs::TryLockError::Error(e)) => Err(io_error(&path, e)),
    }
}
