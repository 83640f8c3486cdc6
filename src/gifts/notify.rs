//! Emails to the admins about an exchange (new registration, withdrawal, matching complete),
//! following their global preferences and each exchange's overrides.

use rusqlite::{params, Connection, OptionalExtension};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

use crate::ctx::Ctx;
use crate::email;
use crate::error::AppError;
use crate::settings;

/// Settings keys of the club-wide preferences ("on" / "off"; absent means on).
pub(crate) const REGISTRATION_KEY: &str = "gift_notify_registration";
pub(crate) const WITHDRAWAL_KEY: &str = "gift_notify_withdrawal";
pub(crate) const MATCHED_KEY: &str = "gift_notify_matched";

/// What happened in an exchange that admins may want to hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminNotice {
    Registered { participant_id: i64 },
    Withdrew { participant_id: i64 },
    Matched,
}

crate::values::string_enum! {
    /// The three kinds of notice, each with its global setting, its per-exchange column and its
    /// email.
    pub(crate) enum NoticeKind {
        Registration = "registration",
        Withdrawal = "withdrawal",
        Matched = "matched",
    }
}

impl NoticeKind {
    pub(crate) fn of(notice: AdminNotice) -> Self {
        match notice {
            AdminNotice::Registered { .. } => NoticeKind::Registration,
            AdminNotice::Withdrew { .. } => NoticeKind::Withdrawal,
            AdminNotice::Matched => NoticeKind::Matched,
        }
    }

    pub(crate) fn setting_key(self) -> &'static str {
        match self {
            NoticeKind::Registration => REGISTRATION_KEY,
            NoticeKind::Withdrawal => WITHDRAWAL_KEY,
            NoticeKind::Matched => MATCHED_KEY,
        }
    }

    fn template(self) -> &'static str {
        match self {
            NoticeKind::Registration => "gift_admin_registered",
            NoticeKind::Withdrawal => "gift_admin_withdrew",
            NoticeKind::Matched => "gift_admin_matched",
        }
    }
}

/// On/off for each kind of notice: the club-wide preferences, or an exchange's effective ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub(crate) struct NotifyPrefs {
    pub registration: bool,
    pub withdrawal: bool,
    pub matched: bool,
}

impl NotifyPrefs {
    pub(crate) fn get(&self, kind: NoticeKind) -> bool {
        match kind {
            NoticeKind::Registration => self.registration,
            NoticeKind::Withdrawal => self.withdrawal,
            NoticeKind::Matched => self.matched,
        }
    }

    pub(crate) fn set(&mut self, kind: NoticeKind, on: bool) {
        match kind {
            NoticeKind::Registration => self.registration = on,
            NoticeKind::Withdrawal => self.withdrawal = on,
            NoticeKind::Matched => self.matched = on,
        }
    }
}

/// Per-exchange overrides: null follows the club-wide preference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub(crate) struct NotifyOverrides {
    pub registration: Option<bool>,
    pub withdrawal: Option<bool>,
    pub matched: Option<bool>,
}

impl NotifyOverrides {
    pub(crate) fn get(&self, kind: NoticeKind) -> Option<bool> {
        match kind {
            NoticeKind::Registration => self.registration,
            NoticeKind::Withdrawal => self.withdrawal,
            NoticeKind::Matched => self.matched,
        }
    }

    pub(crate) fn set(&mut self, kind: NoticeKind, value: Option<bool>) {
        match kind {
            NoticeKind::Registration => self.registration = value,
            NoticeKind::Withdrawal => self.withdrawal = value,
            NoticeKind::Matched => self.matched = value,
        }
    }
}

/// The club-wide preferences; every kind is on until an admin turns it off.
pub(crate) fn global_prefs(conn: &Connection) -> Result<NotifyPrefs, AppError> {
    let mut prefs = NotifyPrefs { registration: true, withdrawal: true, matched: true };
    for kind in NoticeKind::ALL {
        let on = settings::get(conn, kind.setting_key())?.is_none_or(|v| v != "off");
        prefs.set(kind, on);
    }
    Ok(prefs)
}

/// An exchange's overrides, or None when there is no such exchange.
pub(crate) fn exchange_overrides(
    conn: &Connection,
    exchange_id: i64,
) -> Result<Option<NotifyOverrides>, AppError> {
    Ok(conn
        .query_row(
            "SELECT notify_registration, notify_withdrawal, notify_matched
               FROM exchanges WHERE id = ?1",
            [exchange_id],
            |r| {
                let flag = |i: usize| r.get::<_, Option<i64>>(i).map(|v| v.map(|v| v != 0));
                Ok(NotifyOverrides {
                    registration: flag(0)?,
                    withdrawal: flag(1)?,
                    matched: flag(2)?,
                })
            },
        )
        .optional()?)
}

struct Admin {
    email: String,
    name: String,
}

/// Admins who can act on the news: the admin role and an active account.
fn active_admins(conn: &Connection) -> Result<Vec<Admin>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT u.email, COALESCE(NULLIF(u.display_name, ''), u.username)
           FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'admin'
          WHERE u.status = 'active'
          ORDER BY u.id",
    )?;
    let rows = stmt.query_map([], |r| Ok(Admin { email: r.get(0)?, name: r.get(1)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Queues the email about `what` in `exchange_id` to every admin, when the exchange's override
/// or, without one, the global preference wants it. Call it inside the transaction that made the
/// change.
///
/// Errors: 404 when the exchange does not exist, or the participant named in `what` is not one
/// of its participants.
pub fn admins(
    conn: &Connection,
    ctx: &Ctx,
    exchange_id: i64,
    what: AdminNotice,
) -> Result<(), AppError> {
    let kind = NoticeKind::of(what);
    let overrides = exchange_overrides(conn, exchange_id)?
        .ok_or_else(|| AppError::not_found("There is no such exchange."))?;
    let wanted = match overrides.get(kind) {
        Some(on) => on,
        None => global_prefs(conn)?.get(kind),
    };
    if !wanted {
        return Ok(());
    }
    let exchange_name: String =
        conn.query_row("SELECT name FROM exchanges WHERE id = ?1", [exchange_id], |r| r.get(0))?;
    let participant_name = match what {
        AdminNotice::Registered { participant_id } | AdminNotice::Withdrew { participant_id } => {
            let name: Option<String> = conn
                .query_row(
                    "SELECT name FROM exchange_participants WHERE id = ?1 AND exchange_id = ?2",
                    params![participant_id, exchange_id],
                    |r| r.get(0),
                )
                .optional()?;
            Some(name.ok_or_else(|| {
                AppError::not_found("There is no such participant in this exchange.")
            })?)
        }
        AdminNotice::Matched => None,
    };
    let participants: i64 = conn.query_row(
        "SELECT count(*) FROM exchange_participants WHERE exchange_id = ?1 AND removed_at IS NULL",
        [exchange_id],
        |r| r.get(0),
    )?;
    let club_name = settings::get(conn, settings::CLUB_NAME)?
        .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.to_string());
    let url = ctx.url(&format!("/admin/exchanges/{exchange_id}"));
    let settings_url = ctx.url(&format!("/admin/exchanges/{exchange_id}/schedule"));
    for admin in active_admins(conn)? {
        let data = json!({
            "club_name": club_name,
            "name": admin.name,
            "exchange_name": exchange_name,
            "participant_name": participant_name,
            "participants": participants,
            "url": url,
            "settings_url": settings_url,
        });
        email::queue(conn, ctx, &admin.email, kind.template(), &data)?;
    }
    Ok(())
}
