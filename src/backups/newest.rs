//! The newest backup's time, remembered between asks.
//!
//! `/health` reports the last backup's age on every call, and monitors call it often. Listing
//! the folder on every call cost a blocking-thread hop per request, and even one `stat` per
//! request costs more than the rest of the answer; so the answer is remembered:
//!
//! * Clubroom forgets it whenever it writes or prunes a backup, so its own changes show at once;
//! * a backup added, removed or renamed by hand shows within `RECHECK`: after that long the
//!   folder is looked at again (one `stat`), and listed again only when its modification time
//!   or identity changed.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};

use crate::error::AppError;

/// How long a remembered answer stands without looking at the folder again.
pub const RECHECK: Duration = Duration::from_secs(1);

/// A listing is only compared by the folder's time once the folder had been unchanged this long
/// before it was made. A file system stamps times in steps (a second on some, two on FAT), so a
/// change right after a listing can leave the folder's time as it was; past this margin it
/// cannot.
const SETTLE: Duration = Duration::from_secs(2);

pub struct NewestBackup {
    dir: PathBuf,
    recheck: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Bumped by `forget`, so a listing that began before a change is never kept after it.
    generation: u64,
    known: Option<Listing>,
}

struct Listing {
    /// None when the folder did not exist.
    stamp: Option<Stamp>,
    /// Whether `stamp` can tell a later change (see `SETTLE`).
    settled: bool,
    newest: Option<DateTime<Utc>>,
    checked: Instant,
}

/// What identifies the folder's contents without reading them.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: SystemTime,
    identity: (u64, u64),
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Option<Stamp> {
        Some(Stamp { modified: meta.modified().ok()?, identity: identity(meta) })
    }
}

/// The device and inode, so a folder deleted and made again is never taken for the old one.
#[cfg(unix)]
fn identity(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_: &fs::Metadata) -> (u64, u64) {
    (0, 0)
}

fn io_error(path: &Path, err: std::io::Error) -> AppError {
    AppError::internal(format!("{}: {err}", path.display()))
}

/// The folder's stamp; Ok(None) when it does not exist.
fn stamp_of(dir: &Path) -> Result<Option<Stamp>, AppError> {
    match fs::metadata(dir) {
        Ok(meta) => Ok(Stamp::of(&meta)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(dir, e)),
    }
}

impl NewestBackup {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self::with_recheck(dir, RECHECK)
    }

    fn with_recheck(dir: PathBuf, recheck: Duration) -> Self {
        NewestBackup { dir, recheck, state: Mutex::new(State::default()) }
    }

    /// The newest backup's time if it is known without listing the folder (`Some(None)`: there
    /// is none); None when the folder has to be listed (`list`). Within `RECHECK` of the last
    /// look this touches no file at all; after that, one `stat`.
    pub(crate) fn remembered(&self) -> Result<Option<Option<DateTime<Utc>>>, AppError> {
        let now = Instant::now();
        {
            let state = self.lock();
            match &state.known {
                Some(known) if now.duration_since(known.checked) < self.recheck => {
                    return Ok(Some(known.newest))
                }
                Some(_) => {}
                None => return Ok(None),
            }
        }
        let stamp = stamp_of(&self.dir)?;
        let mut state = self.lock();
        let Some(known) = state.known.as_mut() else { return Ok(None) };
        let unchanged = match (stamp, known.stamp) {
            (None, None) => true,
            (Some(now), Some(then)) => known.settled && now == then,
            _ => false,
        };
        if !unchanged {
            return Ok(None);
        }
        known.checked = now;
        Ok(Some(known.newest))
    }

    /// Lists the folder for the newest backup and remembers the answer. Blocking.
    pub(crate) fn list(&self) -> Result<Option<DateTime<Utc>>, AppError> {
        let generation = self.lock().generation;
        let (checked, started) = (Instant::now(), SystemTime::now());
        // The stamp is taken before reading, so a change during the listing shows as a
        // different stamp next time.
        let stamp = stamp_of(&self.dir)?;
        let newest = match stamp {
            Some(_) => newest_in(&self.dir)?,
            None => None,
        };
        let settled = stamp.is_some_and(|stamp| {
            started.duration_since(stamp.modified).is_ok_and(|quiet| quiet >= SETTLE)
        });
        let mut state = self.lock();
        if state.generation == generation {
            state.known = Some(Listing { stamp, settled, newest, checked });
        }
        Ok(newest)
    }

    /// The newest backup's time; None when there is none. Blocking.
    pub(crate) fn newest(&self) -> Result<Option<DateTime<Utc>>, AppError> {
        match self.remembered()? {
            Some(newest) => Ok(newest),
            None => self.list(),
        }
    }

    /// Drops what is remembered; called after Clubroom writes or deletes a backup.
    pub(crate) fn forget(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.known = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The time of the newest backup in `dir`, from the names alone (no sizes or markers).
fn newest_in(dir: &Path) -> Result<Option<DateTime<Utc>>, AppError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(dir, e)),
    };
    let mut named = Vec::new();
    for entry in entries {
        let name = entry.map_err(|e| io_error(dir, e))?.file_name();
        if let Some(at) = super::names::parse_name(&name.to_string_lossy()) {
            named.push((at, name));
        }
    }
    named.sort_unstable_by_key(|(at, _)| std::cmp::Reverse(*at));
    Ok(named.into_iter().find(|(_, name)| dir.join(name).is_file()).map(|(at, _)| at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backups::names::file_name;

    fn set_folder_time(dir: &Path, to: SystemTime) {
        fs::File::open(dir).unwrap().set_modified(to).unwrap();
    }

    fn backdate(dir: &Path) {
        set_folder_time(dir, SystemTime::now() - Duration::from_secs(10));
    }

    fn at(stamp: &str) -> DateTime<Utc> {
        crate::clock::from_unix(crate::clock::parse_rfc3339(stamp).unwrap())
    }

    #[test]
    fn a_settled_folder_is_looked_at_again_but_listed_only_when_it_changed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("backups");
        let newest = NewestBackup::with_recheck(dir.clone(), Duration::ZERO);
        assert_eq!(newest.newest().unwrap(), None, "no folder, no backup");
        assert_eq!(newest.remembered().unwrap(), Some(None));

        fs::create_dir(&dir).unwrap();
        let first = at("2026-03-01T03:00:00Z");
        fs::write(dir.join(file_name(first)), b"").unwrap();
        fs::write(dir.join("notes.txt"), b"").unwrap();
        backdate(&dir);
        assert_eq!(newest.remembered().unwrap(), None, "a folder that appeared is listed");
        assert_eq!(newest.newest().unwrap(), Some(first));
        assert_eq!(newest.remembered().unwrap(), Some(Some(first)), "unchanged: not listed");

        let second = at("2026-03-02T03:00:00Z");
        fs::write(dir.join(file_name(second)), b"").unwrap();
        assert_eq!(newest.remembered().unwrap(), None, "a file added by hand is noticed");
        assert_eq!(newest.newest().unwrap(), Some(second));
        assert_eq!(newest.remembered().unwrap(), None, "a folder just changed is not trusted");

        backdate(&dir);
        assert_eq!(newest.newest().unwrap(), Some(second));
        fs::remove_file(dir.join(file_name(second))).unwrap();
        assert_eq!(newest.newest().unwrap(), Some(first), "a file removed by hand is noticed");

        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(newest.newest().unwrap(), None, "a folder removed by hand is noticed");
    }

    #[test]
    fn within_the_recheck_window_the_folder_is_not_touched_and_forgetting_ends_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let first = at("2026-03-01T03:00:00Z");
        fs::write(dir.join(file_name(first)), b"").unwrap();
        let newest = NewestBackup::with_recheck(dir.clone(), Duration::from_secs(3600));
        assert_eq!(newest.newest().unwrap(), Some(first));

        let second = at("2026-03-02T03:00:00Z");
        fs::write(dir.join(file_name(second)), b"").unwrap();
        assert_eq!(newest.remembered().unwrap(), Some(Some(first)), "remembered for the window");
        newest.forget();
        assert_eq!(newest.remembered().unwrap(), None);
        assert_eq!(newest.newest().unwrap(), Some(second));
    }

    #[test]
    fn a_change_that_leaves_the_folder_time_as_it_was_is_caught_while_unsettled() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let first = at("2026-03-01T03:00:00Z");
        fs::write(dir.join(file_name(first)), b"").unwrap();
        let newest = NewestBackup::with_recheck(dir.clone(), Duration::ZERO);
        assert_eq!(newest.newest().unwrap(), Some(first));

        // As on a coarse file system: the folder's time does not move with this change.
        let unchanged = fs::metadata(&dir).unwrap().modified().unwrap();
        let second = at("2026-03-02T03:00:00Z");
        fs::write(dir.join(file_name(second)), b"").unwrap();
        set_folder_time(&dir, unchanged);
        assert_eq!(newest.newest().unwrap(), Some(second), "a fresh folder is listed again");
    }
}
