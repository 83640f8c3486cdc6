//! Club-wide settings stored in the database, with an in-memory copy for the hot path (every
//! page shows the club name).

use std::sync::RwLock;

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::AppError;

pub const CLUB_NAME: &str = "club_name";
pub const DEFAULT_CLUB_NAME: &str = "Clubroom";
pub const REGISTRATION_MODE: &str = "registration_mode";
pub const TWO_FACTOR_POLICY: &str = "two_factor_policy";
pub const GUEST_ACCOUNTS: &str = "guest_accounts";
pub const MEMBER_REVIEW: &str = "member_review";
pub const DIRECT_CHAT: &str = "direct_chat";

/// Who may create an account by themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationMode {
    /// Only with a valid invitation (the default).
    InviteOnly,
    /// Anyone; an invitation still grants its roles.
    Open,
    /// Nobody, invitations included; admins can still pre-register members.
    Closed,
}

impl RegistrationMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "invite_only" => Some(Self::InviteOnly),
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InviteOnly => "invite_only",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

/// Who must confirm a password login with an emailed code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TwoFactorPolicy {
    /// Only members who turned it on for themselves.
    Off,
    /// Admins always (the default), others when they turned it on.
    Admins,
    Everyone,
}

impl TwoFactorPolicy {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "off" => Some(Self::Off),
            "admins" => Some(Self::Admins),
            "everyone" => Some(Self::Everyone),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Admins => "admins",
            Self::Everyone => "everyone",
        }
    }
}

/// The account-related club settings, with their defaults applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct AccountSettings {
    pub registration_mode: RegistrationMode,
    pub two_factor_policy: TwoFactorPolicy,
    pub guest_accounts: bool,
    /// An admin reviews each member who finished onboarding before they become active.
    pub member_review: bool,
    /// Members may start one-to-one conversations (and post in them).
    pub direct_chat: bool,
}

pub fn account_settings(conn: &Connection) -> Result<AccountSettings, AppError> {
    let registration_mode = get(conn, REGISTRATION_MODE)?
        .and_then(|v| RegistrationMode::parse(&v))
        .unwrap_or(RegistrationMode::InviteOnly);
    let two_factor_policy = get(conn, TWO_FACTOR_POLICY)?
        .and_then(|v| TwoFactorPolicy::parse(&v))
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

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
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

/// The settings every page needs, kept in memory and refreshed after a change is committed.
pub struct SiteInfo {
    club_name: RwLock<String>,
}

impl SiteInfo {
    pub fn load(conn: &Connection) -> Result<SiteInfo, AppError> {
        let name = get(conn, CLUB_NAME)?.unwrap_or_else(|| DEFAULT_CLUB_NAME.to_string());
        Ok(SiteInfo { club_name: RwLock::new(name) })
    }

    pub fn club_name(&self) -> String {
        self.club_name.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set_club_name(&self, name: &str) {
        *self.club_name.write().unwrap_or_else(|e| e.into_inner()) = name.to_string();
    }
}
