//! Second factors: what a member can prove besides their password or mailbox, and what the
//! club requires of them.
//!
//! A mailbox is one factor. An authenticator app (TOTP) or a passkey is a strong second factor;
//! recovery codes stand in for a lost one. Where a second step is required, a password sign-in
//! takes an app code, a passkey or a recovery code, or an emailed code when the member has no
//! strong factor; a sign-in by email link takes the password, a passkey, an app code or a
//! recovery code, never a second email.

pub(crate) mod api;
pub(crate) mod pages;
pub(crate) mod repo;
pub(crate) mod service;
pub(crate) mod totp;

use rusqlite::Connection;

use crate::crypto::{keyed_hash, random_code};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::settings::{self, TwoFactorPolicy};

crate::values::string_enum! {
    /// The ways to answer a sign-in challenge.
    pub(crate) enum Method {
        AuthenticatorApp = "authenticator_app",
        Passkey = "passkey",
        RecoveryCode = "recovery_code",
        Password = "password",
        EmailCode = "email_code",
    }
}

/// What a member has set up.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Factors {
    /// A confirmed authenticator app.
    pub app: bool,
    pub passkeys: i64,
    pub recovery_codes_left: i64,
}

impl Factors {
    /// Whether the member holds a factor stronger than their mailbox.
    pub(crate) fn strong(&self) -> bool {
        self.app || self.passkeys > 0
    }
}

pub(crate) fn of(conn: &Connection, user_id: i64) -> Result<Factors, AppError> {
    let app = repo::find_app(conn, user_id)?.is_some_and(|a| a.confirmed);
    Ok(Factors {
        app,
        passkeys: crate::accounts::passkeys::count(conn, user_id)?,
        recovery_codes_left: repo::unused_recovery_codes(conn, user_id)?,
    })
}

/// What a sign-in of one member requires.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Requirement {
    /// A second step after a password or an email link.
    pub second_step: bool,
    /// The club's policy requires the second step of this member.
    pub by_policy: bool,
    /// The club requires this member to hold an app or a passkey, and they hold neither: the
    /// session starts only once they set one up.
    pub enrol: bool,
    pub factors: Factors,
}

/// The second step is required by the member's own choice, by the club's policy, or because
/// the member set up a strong factor (which would be pointless if it were never asked for).
pub(crate) fn requirement(conn: &Connection, user_id: i64) -> Result<Requirement, AppError> {
    let (chosen, is_admin) = crate::accounts::repo::two_factor_info(conn, user_id)?;
    let policy = settings::account_settings(conn)?.two_factor_policy;
    let by_policy = match policy {
        TwoFactorPolicy::Off => false,
        TwoFactorPolicy::Admins | TwoFactorPolicy::AdminsStrong => is_admin,
        TwoFactorPolicy::Everyone => true,
    };
    let factors = of(conn, user_id)?;
    let must_be_strong = policy == TwoFactorPolicy::AdminsStrong && is_admin;
    Ok(Requirement {
        second_step: chosen || by_policy || factors.strong(),
        by_policy,
        enrol: must_be_strong && !factors.strong(),
        factors,
    })
}

// ----- recovery codes -----

const RECOVERY_CODES: usize = 10;

fn recovery_hash(ctx: &Ctx, code: &str) -> Vec<u8> {
    let normalized = crate::accounts::short_codes::normalize_code(code);
    keyed_hash(&ctx.secret, &[b"recovery code", normalized.as_bytes()])
}

/// Makes ten new recovery codes (the old ones stop working) and returns them: the only time
/// they are shown.
pub(crate) fn new_recovery_codes(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
) -> Result<Vec<String>, AppError> {
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let raw = random_code(10);
            format!("{}-{}", &raw[..5], &raw[5..])
        })
        .collect();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| recovery_hash(ctx, c)).collect();
    repo::replace_recovery_codes(conn, user_id, &hashes, ctx.now_unix())?;
    Ok(codes)
}

/// Spends a recovery code of the account; false when it is not one of its unused codes.
pub(crate) fn spend_recovery_code(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
    code: &str,
) -> Result<bool, AppError> {
    repo::spend_recovery_code(conn, user_id, &recovery_hash(ctx, code), ctx.now_unix())
}

// ----- authenticator apps -----

/// The sealer of app secrets: a copy of the database alone gives no codes.
fn sealer(ctx: &Ctx) -> crate::email::seal::Sealer {
    crate::email::seal::Sealer::for_purpose(&ctx.secret, "authenticator app")
}

fn open_secret(ctx: &Ctx, sealed: &str) -> Result<Vec<u8>, AppError> {
    hex::decode(sealer(ctx).open(sealed)?).map_err(AppError::internal)
}

/// Checks a code of the member's confirmed app (or, with `pending`, of the app being set up)
/// and spends it: a code, or any earlier one, is accepted once.
pub(crate) fn check_app_code(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
    code: &str,
    pending: bool,
) -> Result<bool, AppError> {
    let Some(app) = repo::find_app(conn, user_id)? else { return Ok(false) };
    if app.confirmed == pending {
        return Ok(false);
    }
    let secret = open_secret(ctx, &app.secret)?;
    let now = ctx.now_unix();
    let Some(step) = totp::matching_step(&secret, code, now) else { return Ok(false) };
    let step = i64::try_from(step).map_err(AppError::internal)?;
    if step <= app.last_step {
        return Ok(false);
    }
    repo::accept_step(conn, user_id, step, now)
}

/// A new secret for an app being set up (replacing an unfinished one), sealed in the database.
pub(crate) fn start_app(conn: &Connection, ctx: &Ctx, user_id: i64) -> Result<Vec<u8>, AppError> {
    let secret = crate::crypto::random_bytes(totp::SECRET_BYTES);
    repo::put_pending_app(conn, user_id, &sealer(ctx).seal(&hex::encode(&secret)), ctx.now_unix())?;
    Ok(secret)
}

/// The secret of the app being set up, if one is.
pub(crate) fn pending_app_secret(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
) -> Result<Option<Vec<u8>>, AppError> {
    match repo::find_app(conn, user_id)? {
        Some(app) if !app.confirmed => Ok(Some(open_secret(ctx, &app.secret)?)),
        _ => Ok(None),
    }
}
