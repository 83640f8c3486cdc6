//! Admin use cases.

use rusqlite::Connection;

use serde_json::json;

use super::input::SettingsInput;
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

/// The club settings. Admins only.
pub fn get_settings(conn: &Connection, actor: &Actor) -> Result<SettingsView, AppError> {
    admin_only(actor)?;
    let account = settings::account_settings(conn)?;
    Ok(SettingsView {
        club_name: settings::get(conn, settings::CLUB_NAME)?
            .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.to_string()),
        registration_mode: account.registration_mode.as_str(),
        two_factor_policy: account.two_factor_policy.as_str(),
        guest_accounts: account.guest_accounts,
        member_review: account.member_review,
        direct_chat: account.direct_chat,
    })
}

/// Changes the given settings (admins only): 422 naming each invalid value; every change is
/// audited with its old and new value. Returns the settings after the change.
pub fn update_settings(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    input: SettingsInput,
) -> Result<SettingsView, AppError> {
    let before = get_settings(conn, actor)?;
    let mut v = Validator::new();
    let club_name = input.club_name.map(|n| n.trim().to_string());
    if let Some(name) = &club_name {
        v.check(
            !name.is_empty() && name.chars().count() <= 80 && !name.chars().any(char::is_control),
            "club_name",
            "Use 1 to 80 characters.",
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
    v.finish()?;
    let now = ctx.now_unix();
    let on_off = |on: bool| if on { "on" } else { "off" };
    let guests = input.guest_accounts.map(on_off);
    let review = input.member_review.map(on_off);
    let direct_chat = input.direct_chat.map(on_off);
    let changes = [
        (settings::CLUB_NAME, club_name.as_deref(), before.club_name.as_str()),
        (settings::REGISTRATION_MODE, input.registration_mode.as_deref(), before.registration_mode),
        (settings::TWO_FACTOR_POLICY, input.two_factor_policy.as_deref(), before.two_factor_policy),
        (settings::GUEST_ACCOUNTS, guests, on_off(before.guest_accounts)),
        (settings::MEMBER_REVIEW, review, on_off(before.member_review)),
        (settings::DIRECT_CHAT, direct_chat, on_off(before.direct_chat)),
    ];
    for (key, new, old) in changes {
        let Some(new) = new.filter(|new| *new != old) else { continue };
        settings::set(conn, key, new, now)?;
        let event = AuditEvent::new("setting_changed")
            .actor_opt(actor.user_id())
            .target(key.to_string())
            .detail(json!({ "before": old, "after": new }));
        audit::record(conn, event, now)?;
    }
    get_settings(conn, actor)
}
