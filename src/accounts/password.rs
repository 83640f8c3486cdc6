//! Password hashing with Argon2id, and admission control around it.
//!
//! Each hash holds `memory_kib` of memory for tens of milliseconds, so at most one hash per core
//! runs at a time and only a bounded number of logins may wait; past that, callers get 503
//! instead of queueing unbounded memory and latency.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::AppError;

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

pub struct Passwords {
    argon: Argon2<'static>,
    /// Verified against when the account does not exist, so that "no such user" costs as much
    /// time as "wrong password".
    dummy: OnceLock<String>,
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    verifications: AtomicU64,
}

/// Holding one allows a hash or verification to run.
pub struct HashPermit {
    _permit: OwnedSemaphorePermit,
}

impl Passwords {
    /// `concurrency` hashes may run at once (one per core is right); 16 times as many may wait.
    pub fn new(memory_kib: u32, iterations: u32, concurrency: usize) -> Result<Self, AppError> {
        let params = Params::new(memory_kib, iterations, 1, None)
            .map_err(|e| AppError::internal(format!("argon2 parameters: {e}")))?;
        let concurrency = concurrency.max(1);
        Ok(Passwords {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            dummy: OnceLock::new(),
            permits: Arc::new(Semaphore::new(concurrency)),
            waiting: AtomicUsize::new(0),
            max_waiting: concurrency * 16,
            verifications: AtomicU64::new(0),
        })
    }

    /// Waits for a hashing slot, or fails at once with 503 when too many are already waiting.
    pub async fn permit(&self) -> Result<HashPermit, AppError> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(AppError::unavailable(
                "Too many sign-ins at once. Please try again in a moment.",
            )
            .with_code("busy"));
        }
        let permit = self.permits.clone().acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let permit = permit.map_err(AppError::internal)?;
        Ok(HashPermit { _permit: permit })
    }

    /// Argon2 verifications run so far (real or dummy): lets tests prove that every failed
    /// login costs the same work.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Hashes `password` into a PHC string (salt and parameters included). Blocking.
    pub fn hash(&self, password: &str) -> Result<String, AppError> {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        self.argon
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(format!("argon2: {e}")))
    }

    /// Computes the dummy hash ahead of the first login of an unknown account, so that even
    /// that first one costs no more than a wrong password. Blocking; run it off the async workers.
    pub fn warm_up(&self) {
        self.dummy_hash();
    }

    fn dummy_hash(&self) -> &str {
        self.dummy.get_or_init(|| self.hash("clubroom dummy password").unwrap_or_default())
    }

    /// True when `password` matches `stored`. With no stored hash (unknown user, or no password
    /// set yet) it verifies against a dummy hash and returns false, taking the same time.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let dummy;
        let (hash, real) = match stored {
            Some(h) => (h, true),
            None => {
                dummy = self
                    .dummy
                    .get_or_init(|| self.hash("clubroom dummy password").unwrap_or_default());
                (dummy.as_str(), false)
            }
        };
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let ok = self.argon.verify_password(password.as_bytes(), &parsed).is_ok();
        ok && real
    }
}

/// The password rules: long enough, not absurdly long, not on the common-passwords list, not
/// the person's own name or address. No composition rules.
pub fn check_policy(password: &str, username: &str, email: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(format!("Use at least {MIN_LENGTH} characters."));
    }
    if length > MAX_LENGTH {
        return Err(format!("Use at most {MAX_LENGTH} characters."));
    }
    let lowered = password.to_lowercase();
    if (!username.is_empty() && lowered == username.to_lowercase())
        || (!email.is_empty() && lowered == email.to_lowercase())
    {
        return Err("Your password cannot be your username or email address.".to_string());
    }
    if super::common_passwords::is_common(password) {
        return Err(
            "This password is too common and easy to guess. A few unrelated words work well."
                .to_string(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Passwords {
        Passwords::new(8, 1, 2).unwrap()
    }

    #[test]
    fn hashes_verify_and_are_salted() {
        let p = cheap();
        let a = p.hash("correct horse battery").unwrap();
        let b = p.hash("correct horse battery").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(p.verify("correct horse battery", Some(&a)));
        assert!(!p.verify("wrong horse battery", Some(&a)));
        assert!(!p.verify("anything", None));
        assert!(!p.verify("anything", Some("not a hash")));
    }

    #[test]
    fn policy_checks_length_and_identity() {
        assert!(check_policy("short", "", "").is_err());
        assert!(check_policy(&"x".repeat(129), "", "").is_err());
        assert!(check_policy("alice.skates.well", "alice.skates.well", "").is_err());
        assert!(check_policy("password1234", "", "").is_err());
        assert!(check_policy("a long enough passphrase", "alice", "a@b.org").is_ok());
        assert!(check_policy("äöüßäöüßäöüß", "", "").is_ok(), "length counts characters");
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_instead_of_waiting() {
        let p = Passwords::new(8, 1, 1).unwrap();
        let held = p.permit().await.unwrap();
        p.waiting.store(p.max_waiting, Ordering::SeqCst);
        let err = p.permit().await.err().unwrap();
        assert_eq!(err.status(), 503);
        drop(held);
    }
}
