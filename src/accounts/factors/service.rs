//! A member's own second factors: setting up and removing an authenticator app, recovery
//! codes, and what the account page and the API show about them.

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

use super::{repo, totp, Factors};
use crate::accounts::model::Actor;
use crate::audit::{self, AuditEvent};
use crate::ctx::Ctx;
use crate::email;
use crate::error::AppError;

/// `GET /api/v1/auth/factors`: how the member can sign in.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct FactorsView {
    /// An authenticator app is set up and confirmed.
    pub authenticator_app: bool,
    /// An app set-up was started and waits for its first code.
    pub authenticator_app_pending: bool,
    pub passkeys: i64,
    pub recovery_codes_left: i64,
    /// Every password sign-in takes a second step (the member's choice, the club's policy or a
    /// strong factor set up).
    pub second_step_required: bool,
    /// The club's policy requires the second step of this member.
    pub club_requires_second_step: bool,
    /// The club requires this account to hold an authenticator app or a passkey.
    pub strong_factor_required: bool,
}

/// `POST /api/v1/auth/authenticator`: what the app needs. Shown once, while set-up waits for
/// its first code.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct AppEnrolmentView {
    /// The `otpauth://` link the QR code holds.
    pub otpauth_url: String,
    /// The same secret to type in by hand (base32).
    pub secret: String,
}

/// Recovery codes, shown once.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct RecoveryCodesView {
    /// Each works once in place of a second factor. Empty when the account already had codes.
    pub recovery_codes: Vec<String>,
}

fn person(actor: &Actor) -> Result<i64, AppError> {
    actor.user_id().ok_or_else(|| AppError::forbidden("Only people have sign-in methods."))
}

/// Tells the member that the ways into their account changed (`change` names what), so a
/// change they did not make does not go unnoticed.
pub(crate) fn notify(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
    change: &str,
) -> Result<(), AppError> {
    let to = crate::accounts::repo::email_of(conn, user_id)?;
    if to.ends_with(crate::accounts::model::GUEST_EMAIL_DOMAIN) {
        return Ok(());
    }
    let club = crate::settings::club_name(conn)?;
    let data = json!({ "club_name": club, "change": change, "url": ctx.url("/account") });
    email::queue(conn, ctx, &to, "sign_in_methods_changed", &data)?;
    Ok(())
}

/// The member's sign-in methods.
pub(crate) fn status(conn: &Connection, actor: &Actor) -> Result<FactorsView, AppError> {
    let user_id = person(actor)?;
    let required = super::requirement(conn, user_id)?;
    let Factors { app, passkeys, recovery_codes_left } = required.factors;
    let pending = repo::find_app(conn, user_id)?.is_some_and(|a| !a.confirmed);
    let policy = crate::settings::account_settings(conn)?.two_factor_policy;
    Ok(FactorsView {
        authenticator_app: app,
        authenticator_app_pending: pending,
        passkeys,
        recovery_codes_left,
        second_step_required: required.second_step,
        club_requires_second_step: required.by_policy,
        strong_factor_required: policy == crate::settings::TwoFactorPolicy::AdminsStrong
            && actor.is_admin(),
    })
}

/// What an app being set up for `user_id` needs: the link of its QR code and the typed secret.
pub(crate) fn enrolment(
    conn: &Connection,
    user_id: i64,
    secret: &[u8],
) -> Result<AppEnrolmentView, AppError> {
    let club = crate::settings::club_name(conn)?;
    let account = crate::accounts::repo::username_of(conn, user_id)?.unwrap_or_default();
    let label = totp::Label { issuer: &club, account: &account };
    Ok(AppEnrolmentView {
        otpauth_url: totp::enrolment_url(secret, label),
        secret: totp::typed_secret(secret),
    })
}

/// Starts setting up an authenticator app for `user_id` (a new secret; an unfinished set-up is
/// replaced). 409 when an app is already set up: remove it first.
pub(crate) fn start_app_for(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
) -> Result<AppEnrolmentView, AppError> {
    if repo::find_app(conn, user_id)?.is_some_and(|a| a.confirmed) {
        return Err(AppError::conflict(
            "An authenticator app is already set up. Remove it first to set up another.",
        ));
    }
    let secret = super::start_app(conn, ctx, user_id)?;
    enrolment(conn, user_id, &secret)
}

/// The member's own `start_app_for`.
pub(crate) fn start_app(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
) -> Result<AppEnrolmentView, AppError> {
    start_app_for(conn, ctx, person(actor)?)
}

/// The set-up waiting for its first code, shown again (a page reloaded). 404 when none waits.
pub(crate) fn pending_app(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
) -> Result<AppEnrolmentView, AppError> {
    match super::pending_app_secret(conn, ctx, user_id)? {
        Some(secret) => enrolment(conn, user_id, &secret),
        None => Err(AppError::not_found("No authenticator app is being set up.")),
    }
}

/// Confirms the app being set up for `user_id` with its first code. 422 `code` for a wrong
/// code; 409 when no set-up waits. The first strong factor comes with ten recovery codes
/// (returned once). Audited; the member is emailed.
pub(crate) fn confirm_app_for(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
    code: &str,
) -> Result<RecoveryCodesView, AppError> {
    {
        if super::pending_app_secret(conn, ctx, user_id)?.is_none() {
            return Err(AppError::conflict(
                "No authenticator app is being set up. Start again from your account page.",
            ));
        }
        if !super::check_app_code(conn, ctx, user_id, code, true)? {
            return Err(AppError::invalid_field(
                "code",
                "That code is not right. Type the newest code your app shows, and check that your phone's clock is right.",
            ));
        }
        let recovery_codes = if repo::unused_recovery_codes(conn, user_id)? == 0 {
            super::new_recovery_codes(conn, ctx, user_id)?
        } else {
            Vec::new()
        };
        audit::record(
            conn,
            AuditEvent::new("authenticator_app_added").actor(user_id),
            ctx.now_unix(),
        )?;
        notify(conn, ctx, user_id, "app_added")?;
        Ok(RecoveryCodesView { recovery_codes })
    }
}

/// The member's own `confirm_app_for`.
pub(crate) fn confirm_app(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    code: &str,
) -> Result<RecoveryCodesView, AppError> {
    confirm_app_for(conn, ctx, person(actor)?, code)
}

/// Removes the member's authenticator app (or an unfinished set-up). 404 when there is none.
/// Audited; the member is emailed.
pub(crate) fn remove_app(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<(), AppError> {
    let user_id = person(actor)?;
    let was_confirmed = repo::find_app(conn, user_id)?.is_some_and(|a| a.confirmed);
    if !repo::delete_app(conn, user_id)? {
        return Err(AppError::not_found("No authenticator app is set up."));
    }
    if was_confirmed {
        audit::record(
            conn,
            AuditEvent::new("authenticator_app_removed").actor(user_id),
            ctx.now_unix(),
        )?;
        notify(conn, ctx, user_id, "app_removed")?;
    }
    Ok(())
}

/// Ten new recovery codes; the old ones stop working. 409 unless the member holds an app or a
/// passkey (recovery codes stand in for those). Audited; the member is emailed.
pub(crate) fn renew_recovery_codes(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
) -> Result<RecoveryCodesView, AppError> {
    let user_id = person(actor)?;
    if !super::of(conn, user_id)?.strong() {
        return Err(AppError::conflict(
            "Set up an authenticator app or a passkey first: recovery codes stand in for those.",
        ));
    }
    let recovery_codes = super::new_recovery_codes(conn, ctx, user_id)?;
    audit::record(conn, AuditEvent::new("recovery_codes_renewed").actor(user_id), ctx.now_unix())?;
    notify(conn, ctx, user_id, "recovery_codes")?;
    Ok(RecoveryCodesView { recovery_codes })
}

/// Removes every second factor of `user_id` (app, passkeys, recovery codes) and ends open
/// sign-in challenges: what an admin's reset does. Returns whether there was anything.
pub(crate) fn remove_all(conn: &Connection, ctx: &Ctx, user_id: i64) -> Result<bool, AppError> {
    let app = repo::delete_app(conn, user_id)?;
    let passkeys = crate::accounts::passkeys::remove_all(conn, user_id)?;
    let codes = repo::delete_recovery_codes(conn, user_id)?;
    repo::retire_challenges(conn, user_id, ctx.now_unix())?;
    Ok(app || passkeys > 0 || codes > 0)
}
