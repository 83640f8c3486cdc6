//! Per-client-IP rate limits for the endpoints that check passwords or tokens.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rocket::request::{FromRequest, Outcome, Request};

use super::guards::fail;
use crate::error::AppError;

pub struct LoginLimiter {
    limiter: DefaultKeyedRateLimiter<Option<IpAddr>>,
}

impl LoginLimiter {
    pub fn new(per_minute: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute.max(1)).expect("at least 1"));
        LoginLimiter { limiter: RateLimiter::keyed(quota) }
    }

    /// Takes one attempt for `ip`; Err with the seconds to wait when none is left.
    pub fn check(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        self.limiter.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::rate_limited(wait.as_secs() + 1)
        })
    }

    /// Forgets clients whose allowance is full again, so the table does not grow forever.
    pub fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// A request guard that spends one login attempt of the client's IP address (429 when spent).
pub struct LoginAttempt;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for LoginAttempt {
    type Error = AppError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, AppError> {
        let Some(limiter) = req.rocket().state::<std::sync::Arc<LoginLimiter>>() else {
            return fail(req, AppError::internal("login limiter not managed"));
        };
        match limiter.check(req.client_ip()) {
            Ok(()) => Outcome::Success(LoginAttempt),
            Err(err) => fail(req, err),
        }
    }
}
