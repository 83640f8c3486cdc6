//! Sliding-window rate limits keyed by whatever the caller chooses (client IP, account, email).
//!
//! Time comes from the application clock, so tests move through a window without sleeping.
//! State lives in memory: a restart forgets it, which only ever loosens limits for a moment.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use crate::clock::{unix, Clock};
use crate::error::AppError;

/// At most `max` events per `window_secs` for each key.
pub struct RateLimiter {
    max: usize,
    window_secs: i64,
    clock: Arc<dyn Clock>,
    events: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl RateLimiter {
    pub(crate) fn new(max: u32, window_secs: i64, clock: Arc<dyn Clock>) -> Self {
        RateLimiter {
            max: max.max(1) as usize,
            window_secs,
            clock,
            events: Mutex::new(HashMap::new()),
        }
    }

    fn now(&self) -> i64 {
        unix(self.clock.now())
    }

    /// Ok when `key` still has an allowance; else 429 with the seconds until one frees up.
    /// Records nothing (see `record`), for limits that count only failures.
    pub(crate) fn check(&self, key: &str) -> Result<(), AppError> {
        let now = self.now();
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        match events.get_mut(key) {
            Some(times) => self.verdict(times, now),
            None => Ok(()),
        }
    }

    /// Records one event for `key`.
    pub(crate) fn record(&self, key: &str) {
        let now = self.now();
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        events.entry(key.to_string()).or_default().push_back(now);
    }

    /// `check` and, when allowed, `record`: one attempt spent.
    pub(crate) fn hit(&self, key: &str) -> Result<(), AppError> {
        let now = self.now();
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let times = events.entry(key.to_string()).or_default();
        self.verdict(times, now)?;
        times.push_back(now);
        Ok(())
    }

    /// Forgets the events of `key` (a successful login clears its failures).
    pub(crate) fn clear(&self, key: &str) {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }

    fn verdict(&self, times: &mut VecDeque<i64>, now: i64) -> Result<(), AppError> {
        while times.front().is_some_and(|&t| t <= now - self.window_secs) {
            times.pop_front();
        }
        if times.len() < self.max {
            return Ok(());
        }
        let oldest = times.front().copied().unwrap_or(now);
        Err(AppError::rate_limited((oldest + self.window_secs - now).max(1) as u64))
    }

    /// Drops keys with no event left in the window, so memory follows current traffic only.
    pub(crate) fn prune(&self) {
        let now = self.now();
        let window = self.window_secs;
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        events.retain(|_, times| times.back().is_some_and(|&t| t > now - window));
        events.shrink_to_fit();
    }

    pub fn tracked_keys(&self) -> usize {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// Every limit Clubroom enforces. The numbers are part of the product's contract.
pub struct Limits {
    /// Password logins per client IP (a burst allowance; `login_attempts_per_minute`).
    pub login_ip: RateLimiter,
    /// Failed password sign-ins per typed username or address, for devices not known to the
    /// account: 5 per 15 minutes.
    pub login_name: RateLimiter,
    /// Failed sign-ins (passwords and second-factor codes) per known device: 10 per 15 minutes,
    /// after which the device counts as unknown.
    pub login_device: RateLimiter,
    /// Wrong second-factor codes and wrong current passwords per account: 5 per 15 minutes.
    pub login_account: RateLimiter,
    /// Password-reset requests per email: 3 per hour.
    pub forgot_email: RateLimiter,
    /// Magic-link requests per email: 3 per hour.
    pub magic_email: RateLimiter,
    /// Claim-code requests per client IP: 5 per minute.
    pub claim_ip: RateLimiter,
    /// Claim-code requests per email: 3 per hour.
    pub claim_email: RateLimiter,
    /// Wrong claim codes per email, whichever code they were meant for: 10 per hour.
    pub claim_guesses: RateLimiter,
    /// Requests that send a link or code by email, per client IP: 10 per minute.
    pub email_ip: RateLimiter,
    /// Code and challenge verifications per client IP: 10 per minute.
    pub verify_ip: RateLimiter,
    /// Registrations (and guest sign-ups) per client IP: 10 per hour.
    pub register_ip: RateLimiter,
    /// Chat messages per member (`chat_messages_per_minute`).
    pub chat_member: RateLimiter,
}

impl Limits {
    pub(crate) fn new(login_per_minute: u32, chat_per_minute: u32, clock: Arc<dyn Clock>) -> Self {
        let limiter = |max, window| RateLimiter::new(max, window, clock.clone());
        Limits {
            login_ip: limiter(login_per_minute, 60),
            login_name: limiter(5, 15 * 60),
            login_device: limiter(10, 15 * 60),
            login_account: limiter(5, 15 * 60),
            forgot_email: limiter(3, 3600),
            magic_email: limiter(3, 3600),
            claim_ip: limiter(5, 60),
            claim_email: limiter(3, 3600),
            claim_guesses: limiter(10, 3600),
            email_ip: limiter(10, 60),
            verify_ip: limiter(10, 60),
            register_ip: limiter(10, 3600),
            chat_member: limiter(chat_per_minute, 60),
        }
    }

    pub(crate) fn prune(&self) {
        for limiter in [
            &self.login_ip,
            &self.login_name,
            &self.login_device,
            &self.login_account,
            &self.forgot_email,
            &self.magic_email,
            &self.claim_ip,
            &self.claim_email,
            &self.claim_guesses,
            &self.email_ip,
            &self.verify_ip,
            &self.register_ip,
            &self.chat_member,
        ] {
            limiter.prune();
        }
    }
}

/// A kind of request that spends an allowance of one limit. Implemented where the request's
/// command is defined, which makes that the one place deciding how the request is limited.
pub trait Limited {
    /// The limit this kind of request counts against.
    fn limiter(limits: &Limits) -> &RateLimiter;
    /// Whose allowance it spends (as a rule, the client's address: `ClientInfo::limit_key`).
    fn limit_key(&self) -> String;
}

/// A request its limit let through. Only `admit` makes one, so a service that takes an
/// `Admitted<C>` cannot run for a request no limit counted, whichever surface it came from.
/// Admission is its own step, before the request waits for a password-hashing slot: a flood
/// of refused requests must never fill that queue.
pub struct Admitted<T>(T);

impl<T: Limited> Admitted<T> {
    /// Spends one attempt of `request`'s allowance; 429 with the seconds to wait when none is
    /// left.
    pub fn admit(limits: &Limits, request: T) -> Result<Admitted<T>, AppError> {
        T::limiter(limits).hit(&request.limit_key())?;
        Ok(Admitted(request))
    }
}

impl<T> Admitted<T> {
    pub(crate) fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Admitted<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use chrono::Duration;

    #[test]
    fn a_key_gets_its_allowance_per_window() {
        let clock = Arc::new(ManualClock::new());
        let limiter = RateLimiter::new(2, 60, clock.clone());
        assert!(limiter.hit("a").is_ok());
        assert!(limiter.hit("a").is_ok());
        let err = limiter.hit("a").unwrap_err();
        assert_eq!(err.status(), 429);
        assert!(err.retry_after().unwrap() <= 60);
        assert!(limiter.hit("b").is_ok(), "keys are independent");
        clock.advance(Duration::seconds(61));
        assert!(limiter.hit("a").is_ok(), "the window slides");
    }

    #[test]
    fn check_and_record_count_only_what_is_recorded() {
        let clock = Arc::new(ManualClock::new());
        let limiter = RateLimiter::new(1, 60, clock);
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        limiter.record("a");
        assert!(limiter.check("a").is_err());
        limiter.clear("a");
        assert!(limiter.check("a").is_ok());
    }

    #[test]
    fn pruning_forgets_idle_keys() {
        let clock = Arc::new(ManualClock::new());
        let limiter = RateLimiter::new(5, 60, clock.clone());
        limiter.hit("a").unwrap();
        clock.advance(Duration::seconds(30));
        limiter.hit("b").unwrap();
        clock.advance(Duration::seconds(31));
        limiter.prune();
        assert_eq!(limiter.tracked_keys(), 1);
    }
}
