//! Password sign-in and signing out.

use rusqlite::Connection;
use serde_json::json;

use crate::accounts::known_devices;
use crate::accounts::model::ClientInfo;
use crate::accounts::model::{AuthUser, Credential, UserStatus};
use crate::accounts::repo;
use crate::accounts::second_step::{after_first_factor, FirstFactor};
use crate::accounts::sessions::{Grant, LoginOutcome};
use crate::audit::{self, AuditEvent};
use crate::crypto::keyed_hash;
use crate::ctx::Ctx;
use crate::db::write_tx;
use crate::error::{AppError, Validator};
use crate::ratelimit::{Admitted, Limited, Limits, RateLimiter};

pub(crate) struct LoginCommand {
    pub login: String,
    pub password: String,
    pub client: ClientInfo,
    /// The session token the browser already had, ended on success.
    pub replaces: Option<String>,
    /// The browser's device cookie: the accounts it signed in to before.
    pub device: Option<String>,
    pub grant: Grant,
}

impl Limited for LoginCommand {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.login_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

/// Password login by username or email.
///
/// Unknown account, wrong password and an account without a password all fail the same way
/// (401 `invalid_credentials`, same body, one Argon2 verification each, which for a name
/// without a password costs what a stored hash costs). Failures count per typed name (a
/// username and an address of one account are two names, as they would be for two accounts):
/// after 5 in 15 minutes the name gets 429 until the window frees up, except on a device that
/// signed in to the account before (`known_devices`), which has its own allowance of 10. A
/// disabled account with the right password gets 403 `account_disabled`. A right password
/// stored with other hash settings than the configured ones is stored again with them, in
/// the sign-in's transaction. Empty fields are 422. Every attempt is audited. When the club
/// policy or the member asks for a second factor, the answer is a challenge and an emailed code
/// instead of a session. Admitted per client address (`login_attempts_per_minute`, else 429).
/// The caller must hold a hashing permit.
pub(crate) fn login(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: Admitted<LoginCommand>,
) -> Result<LoginOutcome, AppError> {
    let cmd = cmd.into_inner();
    let login = cmd.login.trim().to_lowercase();
    let mut v = Validator::new();
    v.check(!login.is_empty(), "login", "Enter your username or email address.");
    v.check(!cmd.password.is_empty(), "password", "Enter your password.");
    v.finish()?;

    let record = repo::find_for_login(conn, &login)?;
    // Counted per typed name, known or not, so that the answers tell nothing about accounts:
    // not whether a name has one, nor which names share one.
    let name_key = format!("login:{login}");
    let device =
        record.as_ref().and_then(|r| known_devices::exempt(ctx, cmd.device.as_deref(), r.user_id));
    if device.is_none() {
        ctx.limits.login_name.check(&name_key)?;
    }
    // Asked for every name, so that a name without an account runs the same queries.
    let stand_in = repo::some_password_hash(conn, stand_in_pick(ctx, &login))?;
    let stored = record.as_ref().and_then(|r| r.password_hash.as_deref());
    let matches = match stored {
        Some(stored) => ctx.passwords.verify(&cmd.password, Some(stored)),
        None => ctx.passwords.fail_like(&cmd.password, stand_in.as_deref()),
    };
    if !matches {
        ctx.limits.login_name.record(&name_key);
        if let Some(device) = &device {
            known_devices::record_failure(ctx, device);
        }
    }
    let enabled = record.as_ref().is_some_and(|r| r.status != UserStatus::Disabled);
    let rehashed = match stored {
        Some(old) if matches && enabled && ctx.passwords.needs_rehash(old) => {
            Some((old.to_string(), ctx.passwords.hash(&cmd.password)?))
        }
        _ => None,
    };
    let ip = cmd.client.ip.as_deref();

    // The transaction commits the audit row of a refused attempt too, so the closure returns
    // the refusal as its Ok value.
    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let user = match record {
            Some(user) if matches => user,
            other => {
                let event = AuditEvent::new("login_failed")
                    .target(login.chars().take(100).collect::<String>())
                    .ip(ip)
                    .detail(json!({ "known_account": other.is_some() }));
                audit::record(tx, event, now)?;
                return Ok(Err(AppError::invalid_credentials()));
            }
        };
        if user.status == UserStatus::Disabled {
            let event = AuditEvent::new("login_refused_disabled").actor(user.user_id).ip(ip);
            audit::record(tx, event, now)?;
            return Ok(Err(AppError::forbidden(
                "This account has been disabled. Please contact the club.",
            )
            .with_code("account_disabled")));
        }
        if let Some((old, new)) = &rehashed {
            repo::upgrade_password_hash(tx, user.user_id, old, new)?;
        }
        let replaces = cmd.replaces.as_deref();
        let (first, grant) = (FirstFactor::Password, cmd.grant);
        Ok(after_first_factor(tx, ctx, user.user_id, first, grant, &cmd.client, replaces))
    })?
}

/// Which stored hash a name without one is checked like: picked with the server's key, so
/// names spread over the stored hashes as accounts do and nobody can tell which one a name
/// gets, and always the same for one name, so asking again shows no change. Hashes made
/// before the settings changed then cost a name without an account what they cost an account.
fn stand_in_pick(ctx: &Ctx, login: &str) -> i64 {
    let digest = keyed_hash(&ctx.secret, &[b"sign-in stand-in", login.as_bytes()]);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) >> 1) as i64
}

/// Ends one session (logout).
pub(crate) fn logout(
    conn: &mut Connection,
    ctx: &Ctx,
    user: &AuthUser,
    client: &ClientInfo,
) -> Result<(), AppError> {
    write_tx(conn, |tx| {
        match &user.credential {
            Credential::Session { id, .. } => repo::delete_session(tx, *id)?,
            Credential::Token { family, .. } => {
                crate::accounts::tokens::revoke_family(tx, family, ctx.now_unix())?;
            }
        }
        tx.disconnect_sign_in(user.user_id, user.credential.sign_in());
        let event = AuditEvent::new("logout").actor(user.user_id).ip(client.ip.as_deref());
        audit::record(tx, event, ctx.now_unix())
    })
}
