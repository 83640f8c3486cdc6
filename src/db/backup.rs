//! Online backups: `VACUUM INTO` writes a consistent, compacted copy while the server keeps
//! serving, and the copy is checked before it is called a backup.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::error::AppError;

/// Writes a copy of the database at `source` to `dest` and verifies it with
/// `PRAGMA integrity_check`. Refuses to overwrite an existing file; removes a copy that fails
/// the check. Returns the size of the copy in bytes.
pub(crate) fn backup(source: &Path, dest: &Path) -> Result<u64, AppError> {
    if !source.exists() {
        return Err(AppError::not_found(format!(
            "no database at {} (is data_dir right?)",
            source.display()
        )));
    }
    if dest.exists() {
        return Err(AppError::conflict(format!(
            "{} already exists; choose a new file name",
            dest.display()
        )));
    }
    let dest_str = dest
        .to_str()
        .ok_or_else(|| AppError::bad_request("the backup path must be valid UTF-8"))?;
    let conn = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.execute("VACUUM INTO ?1", [dest_str])?;
    drop(conn);

    if let Err(err) = integrity_check(dest) {
        let _ = std::fs::remove_file(dest);
        return Err(err);
    }
    Ok(std::fs::metadata(dest).map_err(AppError::internal)?.len())
}

/// Runs `PRAGMA integrity_check` on the database at `path`; Ok only when it says "ok".
pub fn integrity_check(path: &Path) -> Result<(), AppError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let result: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if result == "ok" {
        Ok(())
    } else {
        Err(AppError::internal(format!("integrity check of {} failed: {result}", path.display())))
    }
}
