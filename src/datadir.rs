//! The data directory: created on first start, holding the database and the secret key.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::{decode_secret, AppConfig};
use crate::crypto::random_bytes;
use crate::error::AppError;

pub const SECRET_FILE: &str = "secret.key";

/// Creates the data directory (owner-only on Unix) and the internal template folder the
/// template engine insists on. Returns the template folder.
pub fn prepare(config: &AppConfig) -> Result<PathBuf, AppError> {
    create_private_dir(&config.data_dir)?;
    let templates = config.data_dir.join("templates");
    fs::create_dir_all(&templates).map_err(|e| io_error(&templates, e))?;
    Ok(templates)
}

fn create_private_dir(dir: &Path) -> Result<(), AppError> {
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
