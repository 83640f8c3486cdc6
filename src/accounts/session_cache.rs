//! Sessions recently resolved from the database, so that most signed-in requests know who is
//! asking without a database round trip of their own: the handler's is then the request's only
//! one.
//!
//! An entry is only ever an answer the database gave, and it is used only while
//! - nothing in the tables that decide it has changed since it was read (`db::AuthChanges`:
//!   the counter is read before the database is, and must not have moved since), so signing
//!   out, revoking sessions, disabling an account, changing roles or session settings take
//!   effect on the very next request;
//! - the session is within its absolute limit and idle limit, counted at the time of use;
//! - less than a minute has passed since the session's `last_seen_at`, the point at which the
//!   database must be asked anyway to refresh it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::model::{AuthUser, Credential, UserStatus};

/// How often a session's `last_seen_at` is refreshed (and so how long an entry can serve).
pub(crate) const TOUCH_EVERY_SECS: i64 = 60;

/// Entries kept at most; past that the cache starts over (it refills from the next requests).
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    user: AuthUser,
    last_seen_at: i64,
    idle_secs: i64,
    generation: u64,
}

/// What the database said of a valid session, for `SessionCache::put`.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub user: AuthUser,
    pub last_seen_at: i64,
    pub idle_secs: i64,
}

#[derive(Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<Vec<u8>, Entry>>,
    hits: AtomicU64,
}

impl SessionCache {
    /// The user behind the session whose token hashes to `token_hash`, if an entry read under
    /// `generation` (the current one) still holds at `now`.
    pub(crate) fn get(&self, token_hash: &[u8], generation: u64, now: i64) -> Option<AuthUser> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(token_hash)?;
        let Credential::Session { expires_at, .. } = entry.user.credential else { return None };
        let idle = now - entry.last_seen_at;
        let usable = entry.generation == generation
            && now < expires_at
            && idle < entry.idle_secs
            && idle < TOUCH_EVERY_SECS
            && entry.user.status != UserStatus::Disabled;
        if !usable {
            return None;
        }
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(entry.user.clone())
    }

    /// Keeps what the database answered, read under `generation` (taken before asking it).
    pub(crate) fn put(&self, token_hash: Vec<u8>, resolved: Resolved, generation: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&token_hash) {
            entries.clear();
        }
        let Resolved { user, last_seen_at, idle_secs } = resolved;
        entries.insert(token_hash, Entry { user, last_seen_at, idle_secs, generation });
    }

    /// Requests answered from the cache so far (for tests and diagnostics).
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::model::Role;

    fn user(status: UserStatus, expires_at: i64) -> AuthUser {
        AuthUser {
            user_id: 7,
            username: "ann".into(),
            email: "ann@example.org".into(),
            display_name: "Ann".into(),
            roles: vec![Role::Member],
            status,
            credential: Credential::Session { id: 3, expires_at },
        }
    }

    fn cache_with(status: UserStatus, last_seen_at: i64, idle_secs: i64) -> SessionCache {
        let cache = SessionCache::default();
        let resolved = Resolved { user: user(status, 10_000), last_seen_at, idle_secs };
        cache.put(b"key".to_vec(), resolved, 5);
        cache
    }

    #[test]
    fn an_entry_serves_only_its_own_generation() {
        let cache = cache_with(UserStatus::Active, 1_000, 3_600);
        assert_eq!(cache.get(b"key", 5, 1_010).map(|u| u.user_id), Some(7));
        assert!(cache.get(b"key", 6, 1_010).is_none(), "something changed since");
        assert!(cache.get(b"other", 5, 1_010).is_none());
        assert_eq!(cache.hits(), 1);
    }

    #[test]
    fn limits_are_counted_at_the_time_of_use() {
        let cache = cache_with(UserStatus::Active, 1_000, 30);
        assert!(cache.get(b"key", 5, 1_029).is_some());
        assert!(cache.get(b"key", 5, 1_030).is_none(), "idle limit reached");
        let cache = cache_with(UserStatus::Active, 1_000, 3_600);
        assert!(cache.get(b"key", 5, 1_000 + TOUCH_EVERY_SECS).is_none(), "time to refresh");
        let cache = cache_with(UserStatus::Active, 9_990, 3_600);
        assert!(cache.get(b"key", 5, 10_000).is_none(), "absolute limit reached");
        let cache = cache_with(UserStatus::Disabled, 1_000, 3_600);
        assert!(cache.get(b"key", 5, 1_001).is_none());
    }
}
