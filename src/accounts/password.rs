//! Password hashing with Argon2id, and admission control around it.
//!
//! Each hash holds `memory_kib` of memory for tens of milliseconds, so only a few hashes run at
//! a time and only a bounded number of logins may wait; past that, callers get 503 (after a
//! pause, so a flood cannot turn refusals into a busy loop) instead of queueing unbounded
//! memory and latency.
//!
//! The hashes' working memory is kept and reused rather than allocated per hash: the blocking
//! threads that run hashes change from one to the next, and the system allocator keeps freed
//! memory per thread, so allocating per hash let a burst of sign-ins leave a copy on every
//! thread it touched. Reused buffers bound it by the number of hashes that can run at once.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::hash_threads::HashThreads;
use crate::error::AppError;

/// How long a sign-in refused for being one too many waits before hearing so.
const BUSY_PAUSE: Duration = Duration::from_millis(500);

/// The salt of the work done when there is no stored hash to check; its result is thrown away.
const NO_HASH_SALT: &[u8] = b"clubroom-no-hash";

pub(crate) const MIN_LENGTH: usize = 12;
pub(crate) const MAX_LENGTH: usize = 128;

pub struct Passwords {
    argon: Argon2<'static>,
    params: Params,
    /// Working memory of finished hashes, ready for the next (at most one per slot is kept).
    buffers: Mutex<Vec<Vec<Block>>>,
    slots: usize,
    permits: Arc<Semaphore>,
    /// Where hashes run, below the priority of the rest of the server.
    threads: HashThreads,
    waiting: AtomicUsize,
    max_waiting: usize,
    verifications: AtomicU64,
}

/// Holding one allows a hash or verification to run.
pub(crate) struct HashPermit {
    _permit: OwnedSemaphorePermit,
}

impl Passwords {
    /// `concurrency` hashes may run at once; 16 times as many may wait.
    pub fn new(memory_kib: u32, iterations: u32, concurrency: usize) -> Result<Self, AppError> {
        let params = Params::new(memory_kib, iterations, 1, None)
            .map_err(|e| AppError::internal(format!("argon2 parameters: {e}")))?;
        let concurrency = concurrency.max(1);
        Ok(Passwords {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()),
            params,
            buffers: Mutex::new(Vec::new()),
            slots: concurrency,
            permits: Arc::new(Semaphore::new(concurrency)),
            threads: HashThreads::new(concurrency),
            waiting: AtomicUsize::new(0),
            max_waiting: concurrency * 16,
            verifications: AtomicU64::new(0),
        })
    }

    /// Hashing slots to use on a machine with `cores` cores: all but one, so that a wave of
    /// sign-ins (or a flood of wrong passwords) always leaves a core to serve everyone else.
    pub(crate) fn slots_for(cores: usize) -> usize {
        cores.saturating_sub(1).max(1)
    }

    /// Waits for a hashing slot, or fails with 503 when too many are already waiting.
    pub(crate) async fn permit(&self) -> Result<HashPermit, AppError> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            tokio::time::sleep(BUSY_PAUSE).await;
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

    /// Runs `f`, which hashes or verifies, on a hashing thread. Take a `permit` first.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.threads.run(f).await
    }

    /// Argon2 verifications run so far (real or dummy): lets tests prove that every failed
    /// login costs the same work.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Hashes `password` into a PHC string (salt and parameters included). Blocking.
    pub fn hash(&self, password: &str) -> Result<String, AppError> {
        let fail = |e: &dyn std::fmt::Display| AppError::internal(format!("argon2: {e}"));
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes).map_err(|e| fail(&e))?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.with_memory(self.params.block_count(), |blocks| {
            self.argon.hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                &mut out,
                blocks,
            )
        })
        .map_err(|e| fail(&e))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params).map_err(|e| fail(&e))?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(|e| fail(&e))?),
        };
        Ok(phc.to_string())
    }

    /// True when `password` matches `stored`. With no stored hash (unknown user, or no password
    /// set yet) it returns false after the work of a check with the configured settings (see
    /// `fail_like` for other settings).
    pub(crate) fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        match stored {
            Some(hash) => {
                self.verifications.fetch_add(1, Ordering::Relaxed);
                self.matches(password, hash)
            }
            None => self.fail_like(password, None),
        }
    }

    /// For a sign-in with no stored hash to check: does the work that checking `like` (a hash
    /// someone has stored) would do, and returns false. Stored hashes keep the settings they
    /// were made with, so after the settings change, a name without an account checked with the
    /// configured ones would answer faster or slower than the accounts hashed before. Without
    /// `like` (or with one that cannot be read), the configured settings.
    pub(crate) fn fail_like(&self, password: &str, like: Option<&str>) -> bool {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let parsed = like.and_then(|like| PasswordHash::new(like).ok());
        let (argon, blocks, length) = match parsed.as_ref().and_then(settings_of) {
            Some((argon, blocks)) => {
                let length =
                    parsed.and_then(|p| p.hash).map_or(Params::DEFAULT_OUTPUT_LEN, |h| h.len());
                (argon, blocks, length)
            }
            None => (self.argon.clone(), self.params.block_count(), Params::DEFAULT_OUTPUT_LEN),
        };
        let mut out = vec![0u8; length];
        let _ = self.with_memory(blocks, |memory| {
            argon.hash_password_into_with_memory(
                password.as_bytes(),
                NO_HASH_SALT,
                &mut out,
                memory,
            )
        });
        false
    }

    /// Whether `stored` was made with other settings than the configured ones, so that a
    /// sign-in with the right password should store a fresh hash. An unreadable hash never
    /// verifies, so it never needs this.
    pub(crate) fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else { return false };
        let Ok(params) = Params::try_from(&parsed) else { return false };
        parsed.algorithm != Algorithm::Argon2id.ident()
            || parsed.version != Some(Version::V0x13.into())
            || params.m_cost() != self.params.m_cost()
            || params.t_cost() != self.params.t_cost()
            || params.p_cost() != self.params.p_cost()
            || params.output_len() != Some(Params::DEFAULT_OUTPUT_LEN)
    }

    /// Recomputes the PHC string `stored` (with its own algorithm, version, parameters and
    /// salt) from `password` and compares in constant time.
    fn matches(&self, password: &str, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else { return false };
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
        let Some((argon, blocks)) = settings_of(&parsed) else { return false };
        let mut salt_bytes = [0u8; 64];
        let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else { return false };
        let mut out = vec![0u8; expected.len()];
        let computed = self.with_memory(blocks, |memory| {
            argon.hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, memory)
        });
        // `Output` compares in constant time.
        computed.is_ok() && Output::new(&out).is_ok_and(|out| out == expected)
    }

    /// Runs `f` with `blocks` blocks of working memory, reusing a kept buffer when there is
    /// one. At most one buffer per slot is kept afterwards.
    fn with_memory<T>(&self, blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
        let kept = self.buffers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut buffer = kept.unwrap_or_default();
        if buffer.len() < blocks {
            buffer.resize(blocks, Block::default());
        }
        let out = f(&mut buffer[..blocks]);
        let mut buffers = self.buffers.lock().unwrap_or_else(|e| e.into_inner());
        if buffers.len() < self.slots {
            buffers.push(buffer);
        }
        out
    }

    /// Working-memory buffers kept for the next hashes.
    #[cfg(test)]
    fn kept_buffers(&self) -> usize {
        self.buffers.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// The hasher a PHC string was made with (its algorithm, version and parameters), and the
/// blocks of working memory it takes.
fn settings_of(parsed: &PasswordHash<'_>) -> Option<(Argon2<'static>, usize)> {
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = parsed.version.map_or(Ok(Version::default()), Version::try_from).ok()?;
    let params = Params::try_from(parsed).ok()?;
    let blocks = params.block_count();
    Some((Argon2::new(algorithm, version, params), blocks))
}

/// A confirmation, when the form asks for one, must repeat the password.
pub(crate) fn check_confirmation(password: &str, confirm: Option<&str>) -> Result<(), String> {
    match confirm {
        Some(confirm) if confirm != password => Err("The two passwords do not match.".into()),
        _ => Ok(()),
    }
}

/// The password rules: long enough, not absurdly long, not on the common-passwords list, not
/// the person's own name or address. No composition rules.
pub(crate) fn check_policy(password: &str, username: &str, email: &str) -> Result<(), String> {
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
    fn a_hash_made_with_other_settings_needs_replacing() {
        let p = cheap();
        let ours = p.hash("correct horse battery").unwrap();
        let heavier = Passwords::new(16, 2, 1).unwrap().hash("correct horse battery").unwrap();
        assert!(!p.needs_rehash(&ours));
        assert!(p.needs_rehash(&heavier));
        assert!(!p.needs_rehash("not a hash"), "it could never be verified anyway");
    }

    #[test]
    fn work_without_a_stored_hash_never_matches() {
        let p = cheap();
        let like = p.hash("correct horse battery").unwrap();
        assert!(!p.fail_like("correct horse battery", Some(&like)), "not even its password");
        assert!(!p.fail_like("anything", None));
        assert!(!p.fail_like("anything", Some("not a hash")));
        assert_eq!(p.verifications(), 3, "each counts as a verification");
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

    #[test]
    fn hashes_are_standard_argon2id_phc_strings_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let p = cheap();
        let ours = p.hash("correct horse battery").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        let reference =
            Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8, 1, 1, None).unwrap());
        assert!(reference.verify_password(b"correct horse battery", &parsed).is_ok());
        assert!(reference.verify_password(b"correct horse batterY", &parsed).is_err());
        // A hash made elsewhere, with other parameters than ours, still verifies.
        let other =
            Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(16, 2, 1, None).unwrap());
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let theirs = other.hash_password(b"another passphrase", &salt).unwrap().to_string();
        assert!(p.verify("another passphrase", Some(&theirs)));
        assert!(!p.verify("another passphrasE", Some(&theirs)));
    }

    #[test]
    fn working_memory_is_reused_and_bounded_by_the_slots() {
        let p = Passwords::new(64, 1, 2).unwrap();
        assert_eq!(p.kept_buffers(), 0, "an idle server keeps no working memory");
        let hash = p.hash("a passphrase for memory").unwrap();
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| assert!(p.verify("a passphrase for memory", Some(&hash))));
            }
        });
        assert!((1..=2).contains(&p.kept_buffers()), "{}", p.kept_buffers());
    }

    #[test]
    fn one_core_is_left_for_serving() {
        assert_eq!(Passwords::slots_for(1), 1);
        assert_eq!(Passwords::slots_for(2), 1);
        assert_eq!(Passwords::slots_for(8), 7);
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
