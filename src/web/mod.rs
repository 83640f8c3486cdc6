//! Everything HTTP that is not a feature: guards, CSRF, JSON bodies, error rendering, security
//! headers, templates, assets, health and the public landing page.

pub(crate) mod assets;
pub(crate) mod chart;
pub(crate) mod csrf;
pub(crate) mod download;
pub(crate) mod errors;
pub(crate) mod guards;
pub(crate) mod headers;
pub mod health;
pub(crate) mod json;
pub(crate) mod logging;
pub(crate) mod page;
pub(crate) mod qr;
pub(crate) mod site;

use std::sync::Mutex;

use rocket::http::{Cookie, SameSite};

/// The setup link printed at start, kept so it is printed once (and readable by tests).
#[derive(Default)]
pub struct SetupLink(pub Mutex<Option<String>>);

impl SetupLink {
    pub fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Whether cookies are marked Secure (base URL is https).
pub(crate) struct SecureCookies(pub bool);

/// Builds a cookie with the attributes every Clubroom cookie shares: HttpOnly, SameSite=Lax,
/// path /, and Secure when the base URL is https.
pub(crate) fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure)
        .build()
}

/// True for paths served as JSON (errors there are JSON too).
pub(crate) fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Work a handler starts and does not wait for (sending a reset link, say), so that the answer
/// takes the same time whether or not there was work to do. Counted, so tests and shutdown can
/// wait for it.
#[derive(Clone, Default)]
pub struct Background {
    running: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Background {
    /// Background jobs allowed at once; past that the request gets 503 instead of piling up.
    pub(crate) const MAX_RUNNING: usize = 64;

    pub(crate) fn spawn<F>(&self, what: &'static str, work: F) -> Result<(), crate::error::AppError>
    where
        F: std::future::Future<Output = Result<(), crate::error::AppError>> + Send + 'static,
    {
        use std::sync::atomic::Ordering;
        let running = self.running.clone();
        if running.fetch_add(1, Ordering::SeqCst) >= Self::MAX_RUNNING {
            running.fetch_sub(1, Ordering::SeqCst);
            return Err(crate::error::AppError::unavailable(
                "Too many requests at once. Please try again.",
            ));
        }
        tokio::spawn(async move {
            if let Err(err) = work.await {
                log::error!("background {what} failed: {err}");
            }
            running.fetch_sub(1, Ordering::SeqCst);
        });
        Ok(())
    }

    /// Waits until no background work is running.
    pub async fn idle(&self) {
        while self.running.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }
}
