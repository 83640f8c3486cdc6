//! What a service needs besides its connection: the clock, configuration, email templates, the
//! password hasher and the passkey relying party. Cheap to clone; handlers move a clone into the
//! blocking closure.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::accounts::password::Passwords;
use crate::backups::newest::NewestBackup;
use crate::clock::{unix, Clock};
use crate::config::AppConfig;
use crate::email::EmailTemplates;
use crate::error::AppError;
use crate::ratelimit::Limits;

#[derive(Clone)]
pub struct Ctx {
    pub clock: Arc<dyn Clock>,
    pub config: Arc<AppConfig>,
    pub emails: Arc<EmailTemplates>,
    pub passwords: Arc<Passwords>,
    pub limits: Arc<Limits>,
    /// The server's secret key: signs CSRF tokens and keys the hashes of short codes.
    pub secret: Arc<Vec<u8>>,
    /// Sessions recently resolved, valid while nothing they depend on changes.
    pub sessions: Arc<crate::accounts::session_cache::SessionCache>,
    /// The directory's order of all members, valid while nothing it depends on changes.
    pub directory_order: Arc<crate::members::order_cache::DirectoryOrder>,
    /// The newest backup's time, remembered so `/health` need not list the folder each time.
    pub newest_backup: Arc<NewestBackup>,
    /// This portal as passkeys know it (its `base_url`); None where the address cannot have
    /// passkeys (an IP address, or plain HTTP beyond localhost).
    pub webauthn: Option<Arc<webauthn_rs::Webauthn>>,
}

impl Ctx {
    /// Builds the context: loads the email templates, sets up password hashing on all cores
    /// but one (`Passwords::slots_for`) and the passkey relying party for `base_url`.
    pub(crate) fn new(
        config: Arc<AppConfig>,
        clock: Arc<dyn Clock>,
        secret: Vec<u8>,
    ) -> Result<Ctx, AppError> {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let passwords = Passwords::new(
            config.password_hash_memory_kib,
            config.password_hash_iterations,
            Passwords::slots_for(cores),
        )?;
        let limits = Limits::new(
            config.login_attempts_per_minute,
            config.chat_messages_per_minute,
            clock.clone(),
        );
        let newest_backup = NewestBackup::new(config.backups_dir());
        let webauthn = crate::accounts::passkeys::party::relying_party(&config).map(Arc::new);
        Ok(Ctx {
            webauthn,
            newest_backup: Arc::new(newest_backup),
            limits: Arc::new(limits),
            secret: Arc::new(secret),
            sessions: Arc::default(),
            directory_order: Arc::default(),
            clock,
            config,
            emails: Arc::new(EmailTemplates::load()?),
            passwords: Arc::new(passwords),
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Now, in the form stored in `*_at` columns.
    pub fn now_unix(&self) -> i64 {
        unix(self.clock.now())
    }

    /// An absolute link for `path` (which starts with `/`), always from the configured base URL,
    /// never from request headers.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.public_url(), path)
    }
}
