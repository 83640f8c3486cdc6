//! Sessions, and how every sign-in ends: a browser session or a pair of API tokens. Whatever
//! proved who someone is (a password, an emailed code, a sign-in link), `finish_login` is the one
//! way in; the sign-in flows above it (`service`, `codes`) call down here, never the reverse.

use rusqlite::Connection;
use serde_json::json;

use super::model::{ClientInfo, Credential, SignIn, UserStatus};
use super::repo::{self, NewSession};
use super::tokens::{self, TokenPair};
use crate::audit::{self, AuditEvent};
use crate::crypto::{random_token, token_hash};
use crate::ctx::Ctx;
use crate::db::Tx;
use crate::error::AppError;

/// A session just created; `token` goes into the cookie and is not stored anywhere.
#[derive(Debug)]
pub struct StartedSession {
    pub token: String,
    pub user_id: i64,
    pub expires_at: i64,
    /// For a sign-in: the note that this device signed in to the account (see `known_devices`).
    pub device: Option<String>,
}

/// Creates a session for `user_id`, optionally ending the one the browser had (so a login always
/// yields a fresh token; the live sockets of the ended one close), and records the login.
pub(crate) fn start_session(
    tx: &Tx,
    ctx: &Ctx,
    user_id: i64,
    client: &ClientInfo,
    replaces: Option<&str>,
) -> Result<StartedSession, AppError> {
    let now = ctx.now_unix();
    if let Some(old) = replaces {
        if let Some((ended, owner)) = repo::delete_session_by_hash(tx, &token_hash(old))? {
            tx.disconnect_sign_in(owner, SignIn::Session(ended));
        }
    }
    let token = random_token();
    let timeouts = crate::settings::session_timeouts(tx, &ctx.config)?;
    let expires_at = now + timeouts.absolute_secs();
    repo::insert_session(
        tx,
        &NewSession {
            token_hash: &token_hash(&token),
            user_id,
            expires_at,
            ip: client.ip.as_deref(),
            user_agent: client.user_agent.as_deref(),
        },
        now,
    )?;
    repo::record_login(tx, user_id, now)?;
    Ok(StartedSession { token, user_id, expires_at, device: None })
}

/// What a session cookie turned out to be.
#[derive(Debug)]
pub(crate) enum SessionState {
    Valid(Box<super::session_cache::Resolved>),
    /// Known but past its idle or absolute limit, or its account is disabled; now deleted.
    Expired,
    Unknown,
}

/// Resolves a session token. Enforces the idle and absolute timeouts and refuses disabled
/// accounts (deleting such sessions). Refreshes `last_seen_at` at most once a minute, so that
/// most requests stay reads.
pub(crate) fn resolve_session(
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
    if now - last_seen_at >= super::session_cache::TOUCH_EVERY_SECS {
        // Not an auth change: it decides nothing a cached answer holds.
        crate::db::quietly(|| repo::touch_session(conn, id, now))?;
        last_seen_at = now;
    }
    let resolved = super::session_cache::Resolved { user, last_seen_at, idle_secs: idle_limit };
    Ok(SessionState::Valid(Box::new(resolved)))
}

/// Whether the credential a long-lived connection (a WebSocket) was opened with still grants
/// the member area: the session was not ended and has not expired, or the API login was not
/// revoked and still holds an unexpired token; and the user is still an active member. Never
/// extends the session: an open socket alone does not keep a browser signed in.
pub(crate) fn credential_alive(
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

/// The key an account's wrong second-factor codes and wrong current passwords count under.
pub(crate) fn account_limit_key(user_id: i64) -> String {
    format!("user:{user_id}")
}

crate::values::string_enum! {
    /// What a successful sign-in yields: a browser session, or API tokens.
    pub(crate) enum Grant {
        Session = "session",
        Tokens = "tokens",
    }
}

impl Grant {
    /// What a stored challenge grants; challenges from before grants were recorded give a session.
    pub(crate) fn from_stored(s: Option<&str>) -> Grant {
        s.and_then(|s| s.parse().ok()).unwrap_or(Grant::Session)
    }
}

/// The end of a sign-in step.
#[derive(Debug)]
pub(crate) enum LoginOutcome {
    Session(StartedSession),
    Tokens(TokenPair),
    /// The first factor was right; a second must follow (`second_step::answer`), by one of
    /// `methods`.
    TwoFactor {
        challenge: String,
        methods: Vec<crate::accounts::factors::Method>,
    },
    /// Both steps were right, but the club requires this admin to set up an authenticator app
    /// first (`second_step::enrol_finish`).
    Enrol {
        challenge: String,
    },
}

/// Signs `user_id` in: a new session (with a note making the device known to the account) or
/// a new token pair, audited as `how`.
pub(crate) fn finish_login(
    tx: &Tx,
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
    audit::record(tx, event, now)?;
    match grant {
        Grant::Session => {
            let mut session = start_session(tx, ctx, user_id, client, replaces)?;
            session.device = Some(super::known_devices::issue(ctx, user_id));
            Ok(LoginOutcome::Session(session))
        }
        Grant::Tokens => {
            repo::record_login(tx, user_id, now)?;
            Ok(LoginOutcome::Tokens(tokens::issue_pair(tx, ctx, user_id, None, client)?))
        }
    }
}

/// Deletes expired sessions and spent one-time and API tokens (a scheduled job). Returns
/// (sessions, tokens) deleted.
pub fn purge_expired(conn: &Connection, ctx: &Ctx) -> Result<(usize, usize), AppError> {
    let now = ctx.now_unix();
    let idle = crate::settings::session_timeouts(conn, &ctx.config)?.idle_secs();
    let sessions = repo::purge_sessions(conn, now, now - idle)?;
    let tokens = repo::purge_tokens(conn, now)?
        + repo::purge_api_tokens(conn, now)?
        + crate::accounts::factors::repo::purge_challenges(conn, now)?;
    Ok((sessions, tokens))
}
