//! Club-wide settings stored in the database, with an in-memory copy for the hot path (every
//! page shows the club name).

use std::sync::{Arc, RwLock};

use rusqlite::{params, Connection, OptionalExtension};

use crate::config::AppConfig;
use crate::error::AppError;

pub(crate) const CLUB_NAME: &str = "club_name";
pub(crate) const DEFAULT_CLUB_NAME: &str = "Clubroom";
pub(crate) const REGISTRATION_MODE: &str = "registration_mode";
pub(crate) const TWO_FACTOR_POLICY: &str = "two_factor_policy";
pub(crate) const GUEST_ACCOUNTS: &str = "guest_accounts";
pub(crate) const MEMBER_REVIEW: &str = "member_review";
pub(crate) const DIRECT_CHAT: &str = "direct_chat";
pub(crate) const CLUB_DESCRIPTION: &str = "club_description";
pub(crate) const CONTACT_EMAIL: &str = "contact_email";
pub(crate) const CLUB_TIMEZONE: &str = "club_timezone";
pub(crate) const SESSION_IDLE_MINUTES: &str = "session_idle_minutes";
pub(crate) const SESSION_ABSOLUTE_MINUTES: &str = "session_absolute_minutes";
pub(crate) const BACKUP_INTERVAL_HOURS: &str = "backup_interval_hours";
pub(crate) const BACKUP_KEEP: &str = "backup_keep";

/// Backups are made once a day unless an admin chooses otherwise.
pub(crate) const DEFAULT_BACKUP_INTERVAL_HOURS: i64 = 24;
/// ... and the newest seven are kept.
pub(crate) const DEFAULT_BACKUP_KEEP: i64 = 7;

crate::values::string_enum! {
    /// Who may create an account by themselves.
    pub(crate) enum RegistrationMode {
        /// Only with a valid invitation (the default).
        InviteOnly = "invite_only",
        /// Anyone; an invitation still grants its roles.
        Open = "open",
        /// Nobody, invitations included; admins can still pre-register members.
        Closed = "closed",
    }
}

crate::values::string_enum! {
    /// Who must take a second step to sign in.
    pub(crate) enum TwoFactorPolicy {
        /// Only members who turned it on for themselves or set up an app or a passkey.
        Off = "off",
        /// Admins always (the default), others when they turned it on.
        Admins = "admins",
        /// Admins always, with an authenticator app or a passkey (their mailbox is not enough);
        /// an admin without one sets one up at their next sign-in.
        AdminsStrong = "admins_strong",
        Everyone = "everyone",
    }
}

/// The club's name, or the default one before an admin set it.
pub(crate) fn club_name(conn: &Connection) -> Result<String, AppError> {
    Ok(get(conn, CLUB_NAME)?.unwrap_or_else(|| DEFAULT_CLUB_NAME.into()))
}

/// The account-related club settings, with their defaults applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub(crate) struct AccountSettings {
    pub registration_mode: RegistrationMode,
    pub two_factor_policy: TwoFactorPolicy,
    pub guest_accounts: bool,
    /// An admin reviews each member who finished onboarding before they become active.
    pub member_review: bool,
    /// Members may start one-to-one conversations (and post in them).
    pub direct_chat: bool,
}

pub(crate) fn account_settings(conn: &Connection) -> Result<AccountSettings, AppError> {
    let registration_mode = get(conn, REGISTRATION_MODE)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(RegistrationMode::InviteOnly);
    let two_factor_policy = get(conn, TWO_FACTOR_POLICY)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(TwoFactorPolicy::Admins);
    let guest_accounts = get(conn, GUEST_ACCOUNTS)?.is_some_and(|v| v == "on");
    let member_review = get(conn, MEMBER_REVIEW)?.is_none_or(|v| v != "off");
    let direct_chat = get(conn, DIRECT_CHAT)?.is_none_or(|v| v != "off");
    Ok(AccountSettings {
        registration_mode,
        two_factor_policy,
        guest_accounts,
        member_review,
        direct_chat,
    })
}

/// The club's time zone (IANA name); UTC until an admin sets one.
pub(crate) fn club_timezone(conn: &Connection) -> Result<String, AppError> {
    Ok(get(conn, CLUB_TIMEZONE)?
        .filter(|z| z.parse::<chrono_tz::Tz>().is_ok())
        .unwrap_or_else(|| "UTC".to_string()))
}

/// How long sessions last. The configuration gives the defaults; an admin's choice stored in
/// the database wins, so a change applies without a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub(crate) struct SessionTimeouts {
    pub idle_minutes: i64,
    pub absolute_minutes: i64,
}

impl SessionTimeouts {
    pub(crate) fn idle_secs(self) -> i64 {
        self.idle_minutes * 60
    }

    pub(crate) fn absolute_secs(self) -> i64 {
        self.absolute_minutes * 60
    }
}

pub(crate) fn session_timeouts(
    conn: &Connection,
    config: &AppConfig,
) -> Result<SessionTimeouts, AppError> {
    Ok(SessionTimeouts {
        idle_minutes: get_i64(conn, SESSION_IDLE_MINUTES)?.unwrap_or(config.session_idle_minutes),
        absolute_minutes: get_i64(conn, SESSION_ABSOLUTE_MINUTES)?
            .unwrap_or(config.session_absolute_minutes),
    })
}

/// How often a backup is made and how many are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub(crate) struct BackupSchedule {
    pub interval_hours: i64,
    pub keep: i64,
}

pub(crate) fn backup_schedule(conn: &Connection) -> Result<BackupSchedule, AppError> {
    Ok(BackupSchedule {
        interval_hours: get_i64(conn, BACKUP_INTERVAL_HOURS)?
            .unwrap_or(DEFAULT_BACKUP_INTERVAL_HOURS),
        keep: get_i64(conn, BACKUP_KEEP)?.unwrap_or(DEFAULT_BACKUP_KEEP),
    })
}

/// A stored number; a value that is not one (edited by hand) counts as unset, so the default
/// applies rather than the site failing.
fn get_i64(conn: &Connection, key: &str) -> Result<Option<i64>, AppError> {
    Ok(get(conn, key)?.and_then(|v| v.parse::<i64>().ok()).filter(|n| *n > 0))
}

pub(crate) fn get(conn: &Connection, key: &str) -> Result<Option<String>, AppError> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str, now: i64) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        params![key, value, now],
    )?;
    Ok(())
}

/// The settings every page needs, kept in memory and refreshed after a change is committed
/// (the change records it on its transaction: `Tx::set_club_name`, `Tx::set_public_info`).
/// Clones share one copy.
#[derive(Clone)]
pub(crate) struct SiteInfo(Arc<SiteCopy>);

struct SiteCopy {
    club_name: RwLock<String>,
    public: RwLock<PublicInfo>,
}

impl Default for SiteInfo {
    fn default() -> Self {
        SiteInfo::new(DEFAULT_CLUB_NAME.to_string(), PublicInfo::default())
    }
}

/// What members see of the club besides its name (the page footer), and how long the
/// browser keeps the session cookie.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PublicInfo {
    pub description: String,
    pub contact_email: String,
    pub session_absolute_minutes: i64,
}

impl PublicInfo {
    pub(crate) fn load(conn: &Connection, config: &AppConfig) -> Result<PublicInfo, AppError> {
        Ok(PublicInfo {
            description: get(conn, CLUB_DESCRIPTION)?.unwrap_or_default(),
            contact_email: get(conn, CONTACT_EMAIL)?.unwrap_or_default(),
            session_absolute_minutes: session_timeouts(conn, config)?.absolute_minutes,
        })
    }
}

impl SiteInfo {
    pub(crate) fn load(conn: &Connection, config: &AppConfig) -> Result<SiteInfo, AppError> {
        let name = get(conn, CLUB_NAME)?.unwrap_or_else(|| DEFAULT_CLUB_NAME.to_string());
        let public = PublicInfo::load(conn, config)?;
        Ok(SiteInfo::new(name, public))
    }

    fn new(club_name: String, public: PublicInfo) -> SiteInfo {
        SiteInfo(Arc::new(SiteCopy {
            club_name: RwLock::new(club_name),
            public: RwLock::new(public),
        }))
    }

    pub(crate) fn club_name(&self) -> String {
        self.0.club_name.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_club_name(&self, name: &str) {
        *self.0.club_name.write().unwrap_or_else(|e| e.into_inner()) = name.to_string();
    }

    pub(crate) fn public(&self) -> PublicInfo {
        self.0.public.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_public(&self, info: PublicInfo) {
        *self.0.public.write().unwrap_or_else(|e| e.into_inner()) = info;
    }
}
