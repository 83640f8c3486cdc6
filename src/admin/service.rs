//! Admin use cases.

use rusqlite::Connection;

use serde_json::json;

use std::ops::RangeInclusive;

use super::input::{Number, SettingsInput};
use super::views::{AdminHome, Count, SettingsView};
use crate::accounts::model::Actor;
use crate::accounts::repo as accounts;
use crate::audit::{self, AuditEvent};
use crate::ctx::Ctx;
use crate::email::outbox;
use crate::error::{AppError, Validator};
use crate::settings::{self, RegistrationMode, TwoFactorPolicy};

/// The figures on the admin home. Admins only (403 otherwise). Jobs and mail mode are filled
/// in by the caller, which knows the running scheduler and transport.
pub fn home(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<AdminHome, AppError> {
    admin_only(actor)?;
    let counts = |rows: Vec<(String, i64)>| {
        rows.into_iter().map(|(label, count)| Count { label, count }).collect::<Vec<_>>()
    };
    Ok(AdminHome {
        users: accounts::count_users(conn)?,
        pending_invites: crate::invites::repo::count_pending(conn, ctx.now_unix())?,
        roles: counts(accounts::count_by_role(conn)?),
        active_sessions: accounts::count_sessions(conn, ctx.now_unix())?,
        outbox: counts(outbox::status_counts(conn)?),
        mail_mode: String::new(),
        base_url: ctx.config.public_url(),
        jobs: Vec::new(),
    })
}

fn admin_only(actor: &Actor) -> Result<(), AppError> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(AppError::forbidden("This part of Clubroom is for club admins."))
    }
}

/// The club settings, with their defaults applied. Admins only (403).
pub fn get_settings(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<SettingsView, AppError> {
    admin_only(actor)?;
    let account = settings::account_settings(conn)?;
    let sessions = settings::session_timeouts(conn, &ctx.config)?;
    let backups = settings::backup_schedule(conn)?;
    Ok(SettingsView {
        club_name: settings::get(conn, settings::CLUB_NAME)?
            .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.to_string()),
        club_description: settings::get(conn, settings::CLUB_DESCRIPTION)?.unwrap_or_default(),
        contact_email: settings::get(conn, settings::CONTACT_EMAIL)?.unwrap_or_default(),
        club_timezone: settings::club_timezone(conn)?,
        registration_mode: account.registration_mode.as_str(),
        two_factor_policy: account.two_factor_policy.as_str(),
        guest_accounts: account.guest_accounts,
        member_review: account.member_review,
        direct_chat: account.direct_chat,
        session_idle_minutes: sessions.idle_minutes,
        session_absolute_minutes: sessions.absolute_minutes,
        backup_interval_hours: backups.interval_hours,
        backup_keep: backups.keep,
    })
}

/// The longest session limit an admin can set: a year.
const MAX_SESSION_MINUTES: i64 = 365 * 24 * 60;
/// Shorter idle limits would end sessions between two clicks: a session's last use is
/// recorded at most once a minute.
const MIN_SESSION_MINUTES: i64 = 5;

/// Changes the given settings (admins only, 403): 422 naming every invalid value (club name
/// 1-80 characters, description up to 300, a valid contact email or none, an IANA time zone,
/// the known registration modes and 2FA policies, session limits of 5 minutes to a year with
/// the idle one no longer than the absolute one, backups every 1-720 hours keeping 1-100).
/// Every change is audited as `setting_changed` with its old and new value. A shorter
/// absolute session limit also shortens the sessions already open. Returns the settings after
/// the change.
pub fn update_settings(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    input: SettingsInput,
    ip: Option<&str>,
) -> Result<SettingsView, AppError> {
    let before = get_settings(conn, ctx, actor)?;
    let mut v = Validator::new();
    let club_name = input.club_name.map(|n| n.trim().to_string());
    if let Some(name) = &club_name {
        v.check(
            !name.is_empty() && name.chars().count() <= 80 && !name.chars().any(char::is_control),
            "club_name",
            "Use 1 to 80 characters.",
        );
    }
    let description = input.club_description.map(|d| d.trim().to_string());
    if let Some(text) = &description {
        v.check(
            text.chars().count() <= 300 && !text.chars().any(char::is_control),
            "club_description",
            "Use at most 300 characters, on one line.",
        );
    }
    let contact_email = input.contact_email.map(|e| e.trim().to_string());
    if let Some(email) = contact_email.as_deref().filter(|e| !e.is_empty()) {
        v.result("contact_email", crate::accounts::service::check_email(email));
    }
    let timezone = input.club_timezone.map(|z| z.trim().to_string());
    if let Some(zone) = &timezone {
        v.check(
            zone.parse::<chrono_tz::Tz>().is_ok(),
            "club_timezone",
            "Choose a time zone name from the list, like Europe/Paris.",
        );
    }
    if let Some(mode) = &input.registration_mode {
        v.check(
            RegistrationMode::parse(mode).is_some(),
            "registration_mode",
            "Choose invite_only, open or closed.",
        );
    }
    if let Some(policy) = &input.two_factor_policy {
        v.check(
            TwoFactorPolicy::parse(policy).is_some(),
            "two_factor_policy",
            "Choose off, admins or everyone.",
        );
    }
    let mut number = |field: &'static str, value: &Option<Number>, range: RangeInclusive<i64>| {
        let value = value.as_ref()?;
        let parsed = value.parse_in(range.clone());
        if parsed.is_none() {
            let message =
                format!("Enter a whole number from {} to {}.", range.start(), range.end());
            v.check(false, field, message);
        }
        parsed
    };
    let sessions = MIN_SESSION_MINUTES..=MAX_SESSION_MINUTES;
    let idle = number("session_idle_minutes", &input.session_idle_minutes, sessions.clone());
    let absolute = number("session_absolute_minutes", &input.session_absolute_minutes, sessions);
    let interval = number("backup_interval_hours", &input.backup_interval_hours, 1..=720);
    let keep = number("backup_keep", &input.backup_keep, 1..=100);
    let (idle_after, absolute_after) = (
        idle.unwrap_or(before.session_idle_minutes),
        absolute.unwrap_or(before.session_absolute_minutes),
    );
    if (idle.is_some() || absolute.is_some()) && idle_after > absolute_after {
        v.check(
            false,
            "session_idle_minutes",
            "The idle limit cannot be longer than the absolute limit.",
        );
    }
    v.finish()?;

    let now = ctx.now_unix();
    let on_off = |on: bool| if on { "on" } else { "off" }.to_string();
    let text = |n: i64| n.to_string();
    let changes = [
        (settings::CLUB_NAME, club_name, before.club_name.clone()),
        (settings::CLUB_DESCRIPTION, description, before.club_description.clone()),
        (settings::CONTACT_EMAIL, contact_email, before.contact_email.clone()),
        (settings::CLUB_TIMEZONE, timezone, before.club_timezone.clone()),
        (
            settings::REGISTRATION_MODE,
            input.registration_mode,
            before.registration_mode.to_string(),
        ),
        (
            settings::TWO_FACTOR_POLICY,
            input.two_factor_policy,
            before.two_factor_policy.to_string(),
        ),
        (settings::GUEST_ACCOUNTS, input.guest_accounts.map(on_off), on_off(before.guest_accounts)),
        (settings::MEMBER_REVIEW, input.member_review.map(on_off), on_off(before.member_review)),
        (settings::DIRECT_CHAT, input.direct_chat.map(on_off), on_off(before.direct_chat)),
        (settings::SESSION_IDLE_MINUTES, idle.map(text), text(before.session_idle_minutes)),
        (
            settings::SESSION_ABSOLUTE_MINUTES,
            absolute.map(text),
            text(before.session_absolute_minutes),
        ),
        (settings::BACKUP_INTERVAL_HOURS, interval.map(text), text(before.backup_interval_hours)),
        (settings::BACKUP_KEEP, keep.map(text), text(before.backup_keep)),
    ];
    for (key, new, old) in changes {
        let Some(new) = new.filter(|new| *new != old) else { continue };
        settings::set(conn, key, &new, now)?;
        let event = AuditEvent::new("setting_changed")
            .actor_opt(actor.user_id())
            .target(key.to_string())
            .detail(json!({ "before": old, "after": new }))
            .ip(ip);
        audit::record(conn, event, now)?;
    }
    if let Some(minutes) = absolute.filter(|m| *m < before.session_absolute_minutes) {
        accounts::cap_session_lifetimes(conn, minutes * 60)?;
    }
    get_settings(conn, ctx, actor)
}
