//! Sessions and password sign-in: starting, resolving and ending sessions, the sign-in
//! that hands out a session or API tokens, and the purge of what expired.

use rusqlite::Connection;
use serde_json::json;

use super::{ClientInfo, StartedSession};
use crate::accounts::codes;
use crate::accounts::model::{AuthUser, Credential, UserStatus};
use crate::accounts::repo::{self, NewSession};
use crate::accounts::tokens::{self, TokenPair};
use crate::audit::{self, AuditEvent};
use crate::crypto::{random_token, token_hash};
use crate::ctx::Ctx;
use crate::db::write_tx;
use crate::error::{AppError, Validator};
use crate::ratelimit::{Admitted, Limited, Limits, RateLimiter};

/// Creates a session for `user_id`, optionally ending the one the browser had (so a login always
/// yields a fresh token), and records the login.
pub(crate) fn start_session(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
    client: &ClientInfo,
    replaces: Option<&str>,
) -> Result<StartedSession, AppError> {
    let now = ctx.now_unix();
    if let Some(old) = replaces {
        repo::delete_session_by_hash(conn, &token_hash(old))?;
    }
    let token = random_token();
    let timeouts = crate::settings::session_timeouts(conn, &ctx.config)?;
    let expires_at = now + timeouts.absolute_secs();
    repo::insert_session(
        conn,
        &NewSession {
            token_hash: &token_hash(&token),
            user_id,
            expires_at,
            ip: client.ip.as_deref(),
            user_agent: client.user_agent.as_deref(),
        },
        now,
    )?;
    repo::record_login(conn, user_id, now)?;
    Ok(StartedSession { token, user_id, expires_at })
}

/// What a session cookie turned out to be.
#[derive(Debug)]
pub enum SessionState {
    Valid(Box<crate::accounts::session_cache::Resolved>),
    /// Known but past its idle or absolute limit, or its account is disabled; now deleted.
    Expired,
    Unknown,
}

/// Resolves a session token. Enforces the idle and absolute timeouts and refuses disabled
/// accounts (deleting such sessions). Refreshes `last_seen_at` at most once a minute, so that
/// most requests stay reads.
pub fn resolve_session(
    conn: &Connection,
    ctx: &Ctx,
    token: &str,
) -> Result<SessionState, AppError> {
    let Some(record) = repo::find_session(conn, &token_hash(token))? else {
        return Ok(SessionState::Unknown);
    };
    let now = ctx.now_unix();
    let user = record.user;
    let Credential::Session { id, expires_at } = user.credential else {
        return Ok(SessionState::Unknown);
    };
    let idle_limit = crate::settings::session_timeouts(conn, &ctx.config)?.idle_secs();
    if now >= expires_at
        || now - record.last_seen_at >= idle_limit
        || user.status == UserStatus::Disabled
    {
        repo::delete_session(conn, id)?;
        return Ok(SessionState::Expired);
    }
    let mut last_seen_at = record.last_seen_at;
    if now - last_seen_at >= crate::accounts::session_cache::TOUCH_EVERY_SECS {
        // Not an auth change: it decides nothing a cached answer holds.
        crate::db::quietly(|| repo::touch_session(conn, id, now))?;
        last_seen_at = now;
    }
    let resolved =
        crate::accounts::session_cache::Resolved { user, last_seen_at, idle_secs: idle_limit };
    Ok(SessionState::Valid(Box::new(resolved)))
}

/// Whether the credential a long-lived connection (a WebSocket) was opened with still grants
/// the member area: the session was not ended and has not expired, or the API login was not
/// revoked and still holds an unexpired token; and the user is still an active member. Never
/// extends the session: an open socket alone does not keep a browser signed in.
pub fn credential_alive(
    conn: &Connection,
    ctx: &Ctx,
    credential: &Credential,
) -> Result<bool, AppError> {
    let now = ctx.now_unix();
    match credential {
        Credential::Session { id, .. } => {
            let idle = crate::settings::session_timeouts(conn, &ctx.config)?.idle_secs();
            repo::session_alive(conn, *id, now, idle)
        }
        Credential::Token { family, .. } => repo::token_family_alive(conn, family, now),
    }
}

/// The key an account's failed sign-ins (passwords and second-factor codes) count under.
pub fn account_limit_key(user_id: i64) -> String {
    format!("user:{user_id}")
}

crate::values::string_enum! {
    /// What a successful sign-in yields: a browser session, or API tokens.
    pub enum Grant {
        Session = "session",
        Tokens = "tokens",
    }
}

impl Grant {
    /// What a stored challenge grants; challenges from before grants were recorded give a session.
    pub fn from_stored(s: Option<&str>) -> Grant {
        s.and_then(|s| s.parse().ok()).unwrap_or(Grant::Session)
    }
}

/// The end of a sign-in step.
#[derive(Debug)]
pub enum LoginOutcome {
    Session(StartedSession),
    Tokens(TokenPair),
    /// The password was right; an emailed code must follow (`verify_two_factor`).
    TwoFactor {
        challenge: String,
    },
}

pub struct LoginCommand {
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

/// Signs `user_id` in: a new session or a new token pair, audited as `how`.
pub fn finish_login(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
    grant: Grant,
    client: &ClientInfo,
    replaces: Option<&str>,
    how: &str,
) -> Result<LoginOutcome, AppError> {
    // Only a completed sign-in clears the account's failures (a right password followed by
    // wrong second-factor codes does not).
    ctx.limits.login_account.clear(&account_limit_key(user_id));
    let now = ctx.now_unix();
    let event = AuditEvent::new("login_succeeded")
        .actor(user_id)
        .ip(client.ip.as_deref())
        .detail(json!({ "method": how, "grant": grant.as_str() }));
    audit::record(conn, event, now)?;
    match grant {
        Grant::Session => {
            Ok(LoginOutcome::Session(start_session(conn, ctx, user_id, client, replaces)?))
        }
        Grant::Tokens => {
            repo::record_login(conn, user_id, now)?;
            Ok(LoginOutcome::Tokens(tokens::issue_pair(conn, ctx, user_id, None, client)?))
        }
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
pub fn login(
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
pub fn logout(
    conn: &mut Connection,
    ctx: &Ctx,
    user: &AuthUser,
    client: &ClientInfo,
) -> Result<(), AppError> {
    write_tx(conn, |tx| {
        match &user.credential {
            Credential::Session { id, .. } => repo::delete_session(tx, *id)?,
            Credential::Token { family, .. } => {
                crate::accounts::tokens::revoke_family(tx, family, ctx.now_unix())?
            }
        }
        let event = AuditEvent::new("logout").actor(user.user_id).ip(client.ip.as_deref());
        audit::record(tx, event, ctx.now_unix())
    })
}

/// Deletes expired sessions and spent one-time and API tokens (a scheduled job). Returns
/// (sessions, tokens) deleted.
pub fn purge_expired(conn: &Connection, ctx: &Ctx) -> Result<(usize, usize), AppError> {
    let now = ctx.now_unix();
    let idle = crate::settings::session_timeouts(conn, &ctx.config)?.idle_secs();
    let sessions = repo::purge_sessions(conn, now, now - idle)?;
    let tokens = repo::purge_tokens(conn, now)? + repo::purge_api_tokens(conn, now)?;
    Ok((sessions, tokens))
}
