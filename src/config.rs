//! Typed configuration: embedded defaults (`Rocket.toml`), an optional operator file, then
//! `CLUBROOM_*` environment variables. `validate()` turns mistakes into readable messages.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;

/// The defaults, compiled into the binary so it runs with no file next to it.
pub(crate) const DEFAULTS_TOML: &str = include_str!("../Rocket.toml");

/// Every key, in the order of the README table; also the environment variables we read.
pub const KEYS: &[&str] = &[
    "address",
    "port",
    "workers",
    "log_level",
    "ip_header",
    "base_url",
    "data_dir",
    "secret_key",
    "smtp_host",
    "smtp_port",
    "smtp_tls",
    "smtp_username",
    "smtp_password",
    "smtp_timeout_secs",
    "mail_from",
    "mail_max_attempts",
    "session_idle_minutes",
    "session_absolute_minutes",
    "setup_token_hours",
    "invite_days",
    "claim_code_minutes",
    "magic_link_minutes",
    "two_factor_code_minutes",
    "reset_link_minutes",
    "code_max_attempts",
    "access_token_minutes",
    "refresh_token_days",
    "login_attempts_per_minute",
    "chat_messages_per_minute",
    "password_hash_memory_kib",
    "password_hash_iterations",
    "db_pool_size",
    "db_timeout_secs",
    "ws_heartbeat_secs",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    Starttls,
    Tls,
    None,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    pub address: IpAddr,
    pub port: u16,
    pub workers: usize,
    pub log_level: String,
    pub ip_header: String,
    pub base_url: String,
    pub data_dir: PathBuf,
    pub secret_key: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_username: String,
    pub smtp_password: String,
    pub smtp_timeout_secs: u64,
    pub mail_from: String,
    pub mail_max_attempts: u32,
    pub session_idle_minutes: i64,
    pub session_absolute_minutes: i64,
    pub setup_token_hours: i64,
    pub invite_days: i64,
    pub claim_code_minutes: i64,
    pub magic_link_minutes: i64,
    pub two_factor_code_minutes: i64,
    pub reset_link_minutes: i64,
    pub code_max_attempts: i64,
    pub access_token_minutes: i64,
    pub refresh_token_days: i64,
    pub login_attempts_per_minute: u32,
    pub chat_messages_per_minute: u32,
    pub password_hash_memory_kib: u32,
    pub password_hash_iterations: u32,
    pub db_pool_size: u32,
    pub db_timeout_secs: u64,
    /// How often a WebSocket is pinged and its access re-checked.
    pub ws_heartbeat_secs: u64,
}

/// A configuration problem, worded for the person starting the server.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration error: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Secrets are never printed, not even in debug output.
impl fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |s: &str| if s.is_empty() { "" } else { "<redacted>" };
        f.debug_struct("AppConfig")
            .field("address", &self.address)
            .field("port", &self.port)
            .field("base_url", &self.base_url)
            .field("data_dir", &self.data_dir)
            .field("secret_key", &redact(&self.secret_key))
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_tls", &self.smtp_tls)
            .field("smtp_username", &self.smtp_username)
            .field("smtp_password", &redact(&self.smtp_password))
            .field("mail_from", &self.mail_from)
            .finish_non_exhaustive()
    }
}

impl AppConfig {
    /// Builds the layered figment: embedded defaults < file < environment.
    ///
    /// The file is `path` if given, else `$CLUBROOM_CONFIG`, else `./Rocket.toml` when present.
    pub(crate) fn figment(path: Option<&Path>) -> Figment {
        let file = path
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("CLUBROOM_CONFIG").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("Rocket.toml"));
        Figment::new()
            .merge(Toml::string(DEFAULTS_TOML).nested())
            .merge(Toml::file(file).nested())
            .merge(Env::prefixed("CLUBROOM_").only(KEYS).global())
    }

    /// Loads and validates the configuration.
    pub fn load(path: Option<&Path>) -> Result<AppConfig, ConfigError> {
        if let Some(p) = path {
            if !p.exists() {
                return Err(ConfigError(format!("config file {} does not exist", p.display())));
            }
        }
        Self::from_figment(&Self::figment(path))
    }

    pub(crate) fn from_figment(figment: &Figment) -> Result<AppConfig, ConfigError> {
        let config: AppConfig = figment.extract().map_err(|e| ConfigError(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// The embedded defaults alone, for tests and tools that then adjust fields.
    pub fn defaults() -> AppConfig {
        Figment::new()
            .merge(Toml::string(DEFAULTS_TOML).nested())
            .extract()
            .expect("embedded defaults are valid")
    }

    /// Checks every value and reports all problems at once.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        if !["off", "critical", "normal", "debug"].contains(&self.log_level.as_str()) {
            problems.push(format!(
                "log_level must be off, critical, normal or debug (got {:?})",
                self.log_level
            ));
        }
        if !self.ip_header.is_empty()
            && !self.ip_header.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            problems.push(format!("ip_header {:?} is not a header name", self.ip_header));
        }
        if self.port == 0 {
            problems.push("port must be between 1 and 65535".to_string());
        }
        if !self.base_url.is_empty() {
            if let Err(why) = check_base_url(&self.base_url) {
                problems.push(format!("base_url {:?} {why}", self.base_url));
            }
        }
        if self.data_dir.as_os_str().is_empty() {
            problems.push("data_dir must not be empty".to_string());
        }
        if !self.secret_key.is_empty() && decode_secret(&self.secret_key).is_none() {
            problems.push(
                "secret_key must be 64 hex characters or base64 of at least 32 bytes".to_string(),
            );
        }
        if lettre::message::Mailbox::from_str(&self.mail_from).is_err() {
            problems.push(format!(
                "mail_from {:?} is not an email address (e.g. \"Club <club@example.org>\")",
                self.mail_from
            ));
        }
        if !self.smtp_host.is_empty() && self.smtp_port == 0 {
            problems.push("smtp_port must be between 1 and 65535".to_string());
        }
        if self.smtp_username.is_empty() != self.smtp_password.is_empty() {
            problems.push("smtp_username and smtp_password must be set together".to_string());
        }
        if self.smtp_timeout_secs == 0 {
            problems.push("smtp_timeout_secs must be at least 1".to_string());
        }
        if self.mail_max_attempts == 0 {
            problems.push("mail_max_attempts must be at least 1".to_string());
        }
        if self.session_idle_minutes < 1 || self.session_absolute_minutes < 1 {
            problems.push(
                "session_idle_minutes and session_absolute_minutes must be at least 1".to_string(),
            );
        } else if self.session_idle_minutes > self.session_absolute_minutes {
            problems.push(
                "session_idle_minutes cannot be longer than session_absolute_minutes".to_string(),
            );
        }
        if self.setup_token_hours < 1 {
            problems.push("setup_token_hours must be at least 1".to_string());
        }
        if !(1..=90).contains(&self.invite_days) {
            problems.push("invite_days must be between 1 and 90".to_string());
        }
        for (key, value) in [
            ("claim_code_minutes", self.claim_code_minutes),
            ("magic_link_minutes", self.magic_link_minutes),
            ("two_factor_code_minutes", self.two_factor_code_minutes),
            ("reset_link_minutes", self.reset_link_minutes),
            ("code_max_attempts", self.code_max_attempts),
            ("access_token_minutes", self.access_token_minutes),
            ("refresh_token_days", self.refresh_token_days),
        ] {
            if value < 1 {
                problems.push(format!("{key} must be at least 1"));
            }
        }
        if self.login_attempts_per_minute == 0 {
            problems.push("login_attempts_per_minute must be at least 1".to_string());
        }
        if self.chat_messages_per_minute == 0 {
            problems.push("chat_messages_per_minute must be at least 1".to_string());
        }
        if self.password_hash_memory_kib < 8 || self.password_hash_iterations < 1 {
            problems.push(
                "password_hash_memory_kib must be at least 8 and password_hash_iterations at least 1"
                    .to_string(),
            );
        }
        if self.db_pool_size < 2 {
            problems.push("db_pool_size must be at least 2".to_string());
        }
        if self.db_timeout_secs == 0 {
            problems.push("db_timeout_secs must be at least 1".to_string());
        }
        if !(1..=300).contains(&self.ws_heartbeat_secs) {
            problems.push("ws_heartbeat_secs must be between 1 and 300".to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(problems.join("; ")))
        }
    }

    /// The base URL without a trailing slash; derived from address and port when not set.
    pub fn public_url(&self) -> String {
        if self.base_url.is_empty() {
            let host = match self.address {
                IpAddr::V6(a) => format!("[{a}]"),
                IpAddr::V4(a) if a.is_unspecified() => "127.0.0.1".to_string(),
                IpAddr::V4(a) => a.to_string(),
            };
            format!("http://{host}:{}", self.port)
        } else {
            self.base_url.trim_end_matches('/').to_string()
        }
    }

    /// Cookies get `Secure` and responses HSTS when members reach us over https.
    pub(crate) fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    pub(crate) fn database_path(&self) -> PathBuf {
        self.data_dir.join("clubroom.db")
    }

    /// Where the server keeps its own backups.
    pub(crate) fn backups_dir(&self) -> PathBuf {
        self.data_dir.join("backups")
    }

    pub(crate) fn mail_mode(&self) -> &'static str {
        if self.smtp_host.is_empty() {
            "console"
        } else {
            "smtp"
        }
    }
}

fn check_base_url(url: &str) -> Result<(), &'static str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must start with http:// or https://")?;
    let host = rest.trim_end_matches('/');
    if host.is_empty() {
        return Err("has no host");
    }
    if host.contains(['?', '#', ' ', '@']) {
        return Err("must be a plain address such as https://club.example.org");
    }
    Ok(())
}

/// Decodes a configured secret key: 64+ hex characters, or base64 of 32+ bytes.
pub(crate) fn decode_secret(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let text = text.trim();
    if let Ok(bytes) = hex::decode(text) {
        if bytes.len() >= 32 {
            return Some(bytes);
        }
    }
    for engine in [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        if let Ok(bytes) = engine.decode(text) {
            if bytes.len() >= 32 {
                return Some(bytes);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_validate() {
        let config = AppConfig::defaults();
        config.validate().unwrap();
        assert_eq!(config.public_url(), "http://127.0.0.1:8000");
        assert_eq!(config.mail_mode(), "console");
    }

    #[test]
    fn every_default_key_is_listed_once() {
        use figment::Provider;
        let data = Toml::string(DEFAULTS_TOML).nested().data().unwrap();
        let keys: Vec<&str> = data[&figment::Profile::Default].keys().map(|k| k.as_str()).collect();
        assert_eq!(keys.len(), KEYS.len());
        for key in KEYS {
            assert!(keys.contains(key), "{key} missing from Rocket.toml");
        }
    }

    #[test]
    fn validation_reports_every_problem_readably() {
        let mut config = AppConfig::defaults();
        config.base_url = "club.example.org".into();
        config.log_level = "loud".into();
        config.secret_key = "short".into();
        config.session_idle_minutes = 100_000;
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("base_url"), "{err}");
        assert!(err.contains("log_level"), "{err}");
        assert!(err.contains("secret_key"), "{err}");
        assert!(err.contains("session_idle_minutes"), "{err}");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let mut config = AppConfig::defaults();
        config.secret_key = "a".repeat(64);
        config.smtp_password = "hunter2hunter2".into();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains(&"a".repeat(64)));
    }

    #[test]
    fn secrets_decode_from_hex_or_base64() {
        assert_eq!(decode_secret(&"ab".repeat(32)).unwrap().len(), 32);
        assert!(decode_secret("dGVzdA==").is_none());
        let b64 = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";
        assert_eq!(decode_secret(b64).unwrap().len(), 32);
    }
}
