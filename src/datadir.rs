//! The data directory: created on first start, holding the database and the secret key.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::{decode_secret, AppConfig};
use crate::crypto::random_bytes;
use crate::error::AppError;

pub(crate) const SECRET_FILE: &str = "secret.key";
/// Held locked by the serving process (and by a restore) for as long as it runs.
pub(crate) const LOCK_FILE: &str = "clubroom.lock";

/// Creates the data directory (owner-only on Unix) and the internal template folder the
/// template engine insists on. Returns the template folder.
pub(crate) fn prepare(config: &AppConfig) -> Result<PathBuf, AppError> {
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
pub(crate) fn secret_key(config: &AppConfig) -> Result<Vec<u8>, AppError> {
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
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match create_key(&path)? {
            Some(key) => Ok(key),
            // Another process (a command run during the first start) made it meanwhile.
            None => secret_key(config),
        },
        Err(e) => Err(io_error(&path, e)),
    }
}

/// Writes a new key to `path`, which appears only once complete: the key is written and synced
/// under a name of its own, then linked into place. Created in place, a crash (or
/// power cut) between creating the file and writing it left an empty key file, and no start
/// could get past it. None when `path` exists by then.
fn create_key(path: &Path) -> Result<Option<Vec<u8>>, AppError> {
    let key = random_bytes(32);
    let partial = path.with_extension(format!("{}.partial", hex::encode(random_bytes(8))));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&partial).and_then(|mut file| {
        writeln!(file, "{}", hex::encode(&key))?;
        file.sync_all()?;
        // Unlike a rename, a link never replaces a key another process put there first.
        fs::hard_link(&partial, path)
    });
    let _ = fs::remove_file(&partial);
    match written {
        Ok(()) => Ok(Some(key)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
        Err(e) => Err(io_error(path, e)),
    }
}

/// An exclusive hold on the data directory, released when dropped. The operating system drops
/// the lock when its process ends in any way, so a crash never leaves a stale lock behind.
#[derive(Debug)]
pub(crate) struct DataDirLock {
    _file: fs::File,
}

/// Takes the data directory for this process: the server holds it while serving and a restore
/// while it replaces the database, so neither can run under the other. 409 naming the
/// holder's process id when another process has it.
pub(crate) fn lock(config: &AppConfig) -> Result<DataDirLock, AppError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config_in(dir: &Path) -> AppConfig {
        let mut config = AppConfig::defaults();
        config.data_dir = dir.to_path_buf();
        config
    }

    #[test]
    fn processes_making_the_key_at_once_all_get_the_one_kept() {
        // Created in place, the key file was empty for a moment, and a start reading it then
        // failed; so would a start after a crash in that moment. Many rounds: the moment is short.
        for _ in 0..30 {
            let dir = tempfile::tempdir().unwrap();
            let config = config_in(dir.path());
            let together = std::sync::Barrier::new(8);
            let keys: Vec<Vec<u8>> = std::thread::scope(|s| {
                let makers: Vec<_> = (0..8)
                    .map(|_| {
                        s.spawn(|| {
                            together.wait();
                            secret_key(&config).unwrap()
                        })
                    })
                    .collect();
                makers.into_iter().map(|m| m.join().unwrap()).collect()
            });
            assert!(keys.iter().all(|k| k.len() == 32 && *k == keys[0]));
            let kept = fs::read_to_string(dir.path().join(SECRET_FILE)).unwrap();
            assert_eq!(kept.trim(), hex::encode(&keys[0]));
            let names: Vec<String> = fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect();
            assert_eq!(names, [SECRET_FILE], "no partial file stays behind");
            assert_eq!(secret_key(&config).unwrap(), keys[0], "read back on the next start");
        }
    }
}
