//! Password sign-in and signing out.

use rusqlite::Connection;
use serde_json::json;

use crate::accounts::codes;
use crate::accounts::model::ClientInfo;
use crate::accounts::model::{AuthUser, Credential, UserStatus};
use crate::accounts::repo;
use crate::accounts::sessions::{account_limit_key, finish_login, Grant, LoginOutcome};
use crate::audit::{self, AuditEvent};
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
/// (401 `invalid_credentials`, same body, one Argon2 verification each). After 5 failures in
/// 15 minutes an account (or a typed name) gets 429 until the window frees up. A disabled account
/// with the right password gets 403 `account_disabled`. Empty fields are 422. Every attempt is
/// audited. When the club policy or the member asks for a second factor, the answer is a
/// challenge and an emailed code instead of a session. Admitted per client address
/// (`login_attempts_per_minute`, else 429). The caller must hold a hashing permit.
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
    // Failures count per account (or per typed name when there is no such account, so that
    // both behave alike); a success clears them.
    let account_key = match &record {
        Some(r) => account_limit_key(r.user_id),
        None => format!("login:{login}"),
    };
    ctx.limits.login_account.check(&account_key)?;
    let stored = record.as_ref().and_then(|r| r.password_hash.as_deref());
    let matches = ctx.passwords.verify(&cmd.password, stored);
    if !matches {
        ctx.limits.login_account.record(&account_key);
    }
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
        if codes::two_factor_required(tx, user.user_id)? {
            let challenge = codes::start_two_factor(tx, ctx, user.user_id, cmd.grant)?;
            return Ok(Ok(LoginOutcome::TwoFactor { challenge }));
        }
        let replaces = cmd.replaces.as_deref();
        Ok(finish_login(tx, ctx, user.user_id, cmd.grant, &cmd.client, replaces, "password"))
    })?
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
